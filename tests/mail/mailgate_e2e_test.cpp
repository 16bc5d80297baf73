// End to end: a new customer's e-mail through casesync-mailgate (the real
// binary, over real HTTP to the inbound handler) → the reply with the
// credentials → sign in with them → forced password change → the case from
// the e-mail is in the customer's pull ("Mis casos"). Also the mailgate's
// exit codes, which the MTA acts on.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "http_transport.h"
#include "mail/inbound_http.h"
#include "mail/mail_message.h"
#include "mail_fixtures.h"
#include "process_util.h"

namespace casesync::server::testing {
namespace {

constexpr const char kSecret[] = "s3cret-for-the-mailgate";

std::string MailgateBin() {
  const char* bin = std::getenv("CASESYNC_MAILGATE_BIN");
  REQUIRE_MESSAGE(bin != nullptr, "CASESYNC_MAILGATE_BIN is not set");
  return bin;
}

// The inbound route of the server on a real listener.
struct InboundServer {
  int port = FreePort();
  std::unique_ptr<Listener> listener = NewCppRestListener();

  InboundServer(mail::MailService* mail, std::string secret) {
    auto handler = mail::InboundHandler(mail, std::move(secret));
    Status st = listener->Start(
        "127.0.0.1", static_cast<uint16_t>(port),
        [handler](HttpRequest r, std::shared_ptr<Responder> out) {
          if (r.path == mail::kInboundPath && r.method == "POST") {
            out->Reply(handler(r));
          } else {
            out->Reply(ErrorResponse(Status(ErrorCode::kRouteNotFound, "no")));
          }
        });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
  }
  ~InboundServer() { listener->Stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

int Mailgate(const std::string& server, const std::string& file,
             const std::string& secret) {
  return Run("CASESYNC_MAILGATE_SECRET='" + secret + "' " + MailgateBin() +
             " --server " + server + " < " + file + " > /dev/null 2>&1");
}

TEST_SUITE("mail end to end") {
  TEST_CASE("a new customer's e-mail becomes a login and a case in Mis casos") {
    MailWorld w;
    InboundServer http(w.mail.get(), kSecret);
    std::string file =
        std::string(CASESYNC_MAIL_CORPUS) + "/19_new_customer.eml";
    REQUIRE(Mailgate(http.url(), file, kSecret) == 0);
    // The MTA delivers it twice: still one case, one answer.
    REQUIRE(Mailgate(http.url(), file, kSecret) == 0);
    CHECK(w.Count("SELECT count(*) FROM cases") == 2);

    REQUIRE(w.mail->SendDue()->sent == 1);
    std::vector<std::string> out = w.Outbox();
    REQUIRE(out.size() == 1);
    mail::ParsedMessage reply = mail::ParseMessage(out[0]);
    std::smatch m;
    REQUIRE(std::regex_search(reply.text, m,
                              std::regex("Contraseña temporal: (\\S+)")));
    std::string password = m[1];
    CHECK(reply.subject.rfind("[CS0000002] ", 0) == 0);

    const std::string email = "marta.ruiz@transportes-nuevos.example";
    auto login = w.service->Login(email, password, false, "10.0.0.9");
    REQUIRE_MESSAGE(login.ok(), login.status().ToString());
    CHECK(login->session.must_change_password);
    auto refused = w.service->Pull(login->session, PullRequest{"marta-1", {}});
    REQUIRE(!refused.ok());
    CHECK(refused.status().code() == ErrorCode::kPasswordChangeRequired);
    REQUIRE(
        w.service
            ->ChangePassword(login->session, password, "Marta-Nueva-Clave-2026")
            .ok());
    auto again =
        w.service->Login(email, "Marta-Nueva-Clave-2026", false, "10.0.0.9");
    REQUIRE(again.ok());
    CHECK(!again->session.must_change_password);
    Pulled mine = PullFresh(*w.service, again->session, "marta-1");
    REQUIRE(mine.Count("cases") == 1);
    const Json& c = mine.tables["cases"].begin()->second;
    CHECK(c["number"] == "CS0000002");
    CHECK(c["channel"] == "email");
    CHECK(c["subject"] == "No me llega el código de verificación");
    CHECK(c["state"] == "new");
  }

  TEST_CASE("the mailgate's exit codes follow sysexits") {
    MailWorld w;
    InboundServer http(w.mail.get(), kSecret);
    std::string corpus = CASESYNC_MAIL_CORPUS;
    CHECK(Mailgate(http.url(), corpus + "/05_stacked_prefixes.eml",
                   "wrong") == 77);  // EX_NOPERM
    CHECK(Mailgate(http.url(), corpus + "/18_not_a_message.eml", kSecret) ==
          65);  // EX_DATAERR
    CHECK(Mailgate(http.url(), corpus + "/13_out_of_office.eml", kSecret) ==
          0);  // accepted, ignored
    int closed = FreePort();
    CHECK(Mailgate("http://127.0.0.1:" + std::to_string(closed),
                   corpus + "/05_stacked_prefixes.eml",
                   kSecret) == 75);  // EX_TEMPFAIL: the MTA keeps it
    // --secret-file instead of the environment.
    {
      std::ofstream f("secret.txt");
      f << kSecret << "\n";
    }
    CHECK(Run(MailgateBin() + " --server " + http.url() +
              " --secret-file secret.txt < " + corpus +
              "/05_stacked_prefixes.eml > /dev/null 2>&1") == 0);
    CHECK(Run(MailgateBin() + " < /dev/null > /dev/null 2>&1") == 64);
  }

  TEST_CASE("an intake without a secret refuses with 503 (the MTA retries)") {
    MailWorld w;
    InboundServer http(w.mail.get(), "");
    CHECK(
        Mailgate(http.url(),
                 std::string(CASESYNC_MAIL_CORPUS) + "/05_stacked_prefixes.eml",
                 kSecret) == 75);
  }

  TEST_CASE("secrets compare whole and in constant time") {
    CHECK(mail::SecretMatches("abc", "abc"));
    CHECK(!mail::SecretMatches("abc", "abd"));
    CHECK(!mail::SecretMatches("abc", "abcd"));
    CHECK(!mail::SecretMatches("", ""));
  }
}

}  // namespace
}  // namespace casesync::server::testing
