// Shared fixtures of the mail tests: a service with the people of
// tests/server/server_fixtures.h, a MailService on a fake clock writing to
// the outbox (or to an SMTP URL), the corpus, and case CS0000001 of Ana
// with one notification whose Message-ID is <n-0001@mesa.example.co>.
#ifndef CASESYNC_TESTS_MAIL_MAIL_FIXTURES_H_
#define CASESYNC_TESTS_MAIL_MAIL_FIXTURES_H_

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mail/mail_service.h"
#include "server_fixtures.h"

namespace casesync::server::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string Corpus(const std::string& name) {
  return ReadFile(std::string(CASESYNC_MAIL_CORPUS) + "/" + name);
}

inline constexpr const char kCaseId[] = "c0000000-0000-4000-8000-000000000001";

struct MailWorld {
  FakeClock clock;
  std::string dir = FreshDir("mail");
  std::unique_ptr<Service> service;
  std::unique_ptr<mail::MailService> mail;

  explicit MailWorld(const std::string& smtp_url = "", bool seed = true) {
    SeedPeople(dir);
    Open(smtp_url);
    if (seed) SeedCase();
  }

  mail::MailOptions MailOptionsFor(const std::string& smtp_url) {
    mail::MailOptions o;
    o.data_dir = dir;
    o.smtp.url = smtp_url;
    o.smtp.connect_timeout_s = 2;
    o.smtp.timeout_s = 10;
    o.from_address = "soporte@mesa.example.co";
    o.clock = &clock;
    o.intake.hash_cost = HashCost::kMinimum;
    o.log = [](const std::string&) {};
    return o;
  }

  void Open(const std::string& smtp_url = "") {
    mail.reset();
    service.reset();
    service = OpenService(Options(dir, &clock));
    mail =
        std::make_unique<mail::MailService>(*service, MailOptionsFor(smtp_url));
  }

  // CS0000001 "No puedo ingresar al portal" of Ana, and our notification
  // about it with Message-ID n-0001@mesa.example.co.
  void SeedCase() {
    Session ana = LoginAs(*service, "ana@a.example.co");
    Json args = CaseArgs(kCaseId);
    args["subject"] = "No puedo ingresar al portal";
    auto r = PushAs(*service, ana, "ana-1", {Mut(1, "createCase", args)});
    REQUIRE(r.ok());
    auto tx = service->store().BeginWrite();
    REQUIRE(tx.ok());
    Notification n;
    n.kind = "state_changed";
    n.to = "ana@a.example.co";
    n.subject = "[CS0000001] No puedo ingresar al portal";
    n.body = "x";
    n.case_id = kCaseId;
    n.message_id = "n-0001@mesa.example.co";
    REQUIRE((*tx)->EnqueueNotification(n, FormatIsoTime(clock.NowMs())).ok());
    REQUIRE((*tx)->Commit().ok());
    tx = Status(ErrorCode::kInternal, "released");  // the writer lock too
    // Sent long ago.
    tx = service->store().BeginWrite();
    REQUIRE(tx.ok());
    NotificationDelivery d;
    d.id =
        std::stoll(Query("SELECT id FROM notifications WHERE "
                         "message_id='n-0001@mesa.example.co'"));
    d.message_id = n.message_id;
    d.attempts = 1;
    d.sent_at = FormatIsoTime(clock.NowMs());
    d.keep_body = true;
    REQUIRE((*tx)->UpdateNotificationDelivery(d).ok());
    REQUIRE((*tx)->Commit().ok());
  }

  mail::InboundOutcome Receive(const std::string& raw) {
    auto r = mail->Receive(raw);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return *r;
  }

  std::string Query(const std::string& sql) { return QueryText(dir, sql); }
  int64_t Count(const std::string& sql) { return std::stoll(Query(sql)); }

  std::optional<Case> GetCase(const std::string& id) {
    auto tx = service->store().BeginWrite();
    REQUIRE(tx.ok());
    auto c = (*tx)->mutations().GetCase(id);
    REQUIRE(c.ok());
    return *c;
  }
  std::optional<Case> GetCaseByNumber(const std::string& number) {
    auto tx = service->store().BeginWrite();
    REQUIRE(tx.ok());
    auto c = (*tx)->FindCaseByNumber(number);
    REQUIRE(c.ok());
    return *c;
  }

  // The outbox files, oldest first.
  std::vector<std::string> Outbox() {
    std::vector<std::string> names;
    std::filesystem::path box = std::filesystem::path(dir) / "outbox";
    if (!std::filesystem::exists(box)) return {};
    for (const auto& e : std::filesystem::directory_iterator(box)) {
      if (e.path().extension() == ".eml") names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> out;
    for (const auto& n : names) out.push_back(ReadFile(n));
    return out;
  }
};

}  // namespace casesync::server::testing

#endif  // CASESYNC_TESTS_MAIL_MAIL_FIXTURES_H_
