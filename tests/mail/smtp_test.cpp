// Outbound mail against a real SMTP server (aiosmtpd).
#include <doctest/doctest.h>

#include <regex>

#include "mail/mail_message.h"
#include "mail_fixtures.h"
#include "process_util.h"

namespace casesync::server::testing {
namespace {

TEST_SUITE("mail smtp") {
  TEST_CASE("the credentials mail arrives with the right headers") {
    int port = FreePort();
    SmtpServer smtp(port, "smtp-ok");
    REQUIRE(smtp.Start());
    MailWorld w(smtp.url());
    auto o = w.Receive(Corpus("19_new_customer.eml"));
    REQUIRE(o.user_created);
    auto r = w.mail->SendDue();
    REQUIRE(r.ok());
    CHECK(r->sent == 1);
    std::vector<std::string> got = smtp.Messages();
    REQUIRE(got.size() == 1);
    std::string raw = ReadFile(got[0]);
    mail::ParsedMessage m = mail::ParseMessage(raw);
    CHECK(m.from == "soporte@mesa.example.co");
    CHECK(raw.find("To: marta.ruiz@transportes-nuevos.example") !=
          std::string::npos);
    CHECK(m.subject == "[CS0000002] No me llega el código de verificación");
    CHECK(m.auto_submitted == "auto-replied");
    CHECK(m.x_casesync);
    CHECK(m.message_id.size() > 20);
    CHECK(m.message_id.find("@mesa.example.co") != std::string::npos);
    REQUIRE(!m.references.empty());
    CHECK(m.references[0] == "new-customer-0001@transportes-nuevos.example");
    CHECK(m.text.find("Contraseña temporal: ") != std::string::npos);
    CHECK(m.text.find("Temporary password: ") != std::string::npos);
    CHECK(raw.find("text/html") != std::string::npos);
    // Sent over SMTP: the secret no longer sits in the database.
    CHECK(w.Query("SELECT body FROM notifications WHERE kind='credentials'") ==
          "");
    CHECK(w.Query("SELECT message_id FROM notifications WHERE "
                  "kind='credentials'") == m.message_id);
  }

  TEST_CASE(
      "with the relay down a message waits and goes out when it is back") {
    int port = FreePort();
    SmtpServer smtp(port, "smtp-later");
    MailWorld w("smtp://127.0.0.1:" + std::to_string(port));
    w.Receive(Corpus("19_new_customer.eml"));
    auto first = w.mail->SendDue();
    REQUIRE(first.ok());
    CHECK(first->sent == 0);
    CHECK(first->failed == 1);
    CHECK(w.Query(
              "SELECT attempts FROM notifications WHERE kind='credentials'") ==
          "1");
    CHECK(w.Query("SELECT last_error FROM notifications WHERE "
                  "kind='credentials'") != "");
    // Backoff: not retried before its time.
    auto again = w.mail->SendDue();
    CHECK(again->failed == 0);
    CHECK(again->sent == 0);
    REQUIRE(smtp.Start());
    w.clock.Advance(61'000);
    auto later = w.mail->SendDue();
    REQUIRE(later.ok());
    CHECK(later->sent == 1);
    CHECK(smtp.Messages().size() == 1);
  }

  TEST_CASE("nothing is lost across a server restart") {
    int port = FreePort();
    SmtpServer smtp(port, "smtp-restart");
    MailWorld w("smtp://127.0.0.1:" + std::to_string(port));
    w.Receive(Corpus("19_new_customer.eml"));
    REQUIRE(w.mail->SendDue()->failed == 1);
    std::string id = w.Query(
        "SELECT message_id FROM notifications WHERE "
        "kind='credentials'");
    CHECK(!id.empty());
    // Restart the whole server (service and mail part) with the relay up.
    REQUIRE(smtp.Start());
    w.Open("smtp://127.0.0.1:" + std::to_string(port));
    w.clock.Advance(61'000);
    CHECK(w.mail->SendDue()->sent == 1);
    REQUIRE(smtp.Messages().size() == 1);
    mail::ParsedMessage m = mail::ParseMessage(ReadFile(smtp.Messages()[0]));
    CHECK(m.message_id == id);  // the same Message-ID as before the restart
  }

  TEST_CASE("the background thread sends without being asked") {
    int port = FreePort();
    SmtpServer smtp(port, "smtp-thread");
    REQUIRE(smtp.Start());
    MailWorld w(smtp.url());
    w.mail->Start();
    w.Receive(Corpus("19_new_customer.eml"));
    for (int i = 0; i < 100 && smtp.Messages().empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(smtp.Messages().size() == 1);
    w.mail->Stop();
  }
}

}  // namespace
}  // namespace casesync::server::testing
