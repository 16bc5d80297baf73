// Mail benchmark (issue 6): messages parsed, and parsed + processed through
// the server path (MailService::Receive: GMime parse, classification,
// threading, the mutators in one durable SQLite transaction, the answer
// queued), per second. Prints figures; asserts nothing about time.
//
//   casesync_mail_bench [--messages N] [--new-senders N]
//
// Input: the normal messages of tests/mail/corpus/ (Outlook, Gmail, Apple
// Mail replies, forwards, base64/QP, HTML-only, attachments), each sent with
// a fresh Message-ID so that none is a duplicate. Known senders (their users
// exist); new senders pay argon2id (libsodium INTERACTIVE) once each, by
// design, and are measured separately.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mail/mail_message.h"
#include "mail/mail_service.h"
#include "mail/mail_text.h"
#include "service.h"
#include "store.h"

namespace {

using namespace casesync;
using namespace casesync::server;
using Steady = std::chrono::steady_clock;

std::vector<std::string> LoadCorpus() {
  std::vector<std::string> out;
  for (const auto& e :
       std::filesystem::directory_iterator(CASESYNC_MAIL_CORPUS)) {
    std::string name = e.path().filename().string();
    // The messages a person wrote, from known senders.
    if (name.rfind("13_", 0) == 0 || name.rfind("14_", 0) == 0 ||
        name.rfind("15_", 0) == 0 || name.rfind("16_", 0) == 0 ||
        name.rfind("18_", 0) == 0 || name.rfind("09_", 0) == 0 ||
        name.rfind("19_", 0) == 0) {
      continue;
    }
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    out.push_back(s.str());
  }
  return out;
}

// `raw` with its Message-ID (and From, when `from` is set) replaced.
std::string Variant(const std::string& raw, int n, const std::string& from) {
  std::string out = "Message-ID: <bench-" + std::to_string(n) + "@bench>\n";
  if (!from.empty()) out += "From: " + from + "\n";
  std::istringstream in(raw);
  std::string line;
  bool headers = true;
  while (std::getline(in, line)) {
    if (headers && line.empty()) headers = false;
    if (headers && (line.rfind("Message-ID:", 0) == 0 ||
                    line.rfind("Message-Id:", 0) == 0 ||
                    (!from.empty() && line.rfind("From:", 0) == 0))) {
      continue;
    }
    out += line + "\n";
  }
  return out;
}

void Seed(Service& service) {
  auto tx = service.store().BeginWrite();
  if (!tx.ok()) std::abort();
  for (auto [id, name, domain] :
       {std::tuple{"acc-a", "A S.A.S.", "a.example.co"},
        std::tuple{"acc-b", "B LTDA", "b.example.co"}}) {
    AccountRecord a;
    a.account = {id, name, "", {domain}};
    if (!(*tx)->PutAccount(a).ok()) std::abort();
  }
  int n = 0;
  for (const char* email :
       {"ana@a.example.co", "andres@a.example.co", "alba@a.example.co",
        "beto@b.example.co", "brenda@b.example.co"}) {
    UserRecord u;
    u.user.id = "u-" + std::to_string(++n);
    u.user.account_id =
        email[std::string(email).find('@') + 1] == 'a' ? "acc-a" : "acc-b";
    u.user.email = email;
    u.user.name = email;
    u.password_hash = "x";
    if (!(*tx)->PutUser(u).ok()) std::abort();
  }
  if (!(*tx)->Commit().ok()) std::abort();
}

struct Run {
  std::unique_ptr<Service> service;
  std::unique_ptr<mail::MailService> mail;
};

Run Open(const std::string& dir, const std::string& synchronous) {
  std::filesystem::remove_all(dir);
  ServiceOptions o;
  o.data_dir = dir;
  o.synchronous = synchronous;
  o.log = [](const std::string&) {};
  auto s = Service::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  Run r;
  r.service = std::move(*s);
  Seed(*r.service);
  mail::MailOptions m;
  m.data_dir = dir;
  m.from_address = "soporte@mesa.example.co";
  m.intake.answers_per_hour = 1'000'000;  // every message answered
  m.log = [](const std::string&) {};
  r.mail = std::make_unique<mail::MailService>(*r.service, m);
  return r;
}

double Seconds(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  int messages = 2000;
  int new_senders = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--messages") messages = std::atoi(argv[i + 1]);
    if (a == "--new-senders") new_senders = std::atoi(argv[i + 1]);
  }
  std::vector<std::string> corpus = LoadCorpus();
  std::printf("corpus: %zu messages (tests/mail/corpus)\n", corpus.size());

  // 1. Parsing alone.
  {
    size_t bytes = 0;
    auto t0 = Steady::now();
    for (int i = 0; i < messages * 5; ++i) {
      const std::string& raw = corpus[i % corpus.size()];
      mail::ParsedMessage m = mail::ParseMessage(raw);
      mail::Classify(m, "mesa.example.co");
      mail::NormalizeSubject(m.subject);
      bytes += mail::TrimQuotedReply(m.text).size();
    }
    double s = Seconds(t0, Steady::now());
    std::printf(
        "parse (GMime + classify + subject + quotes): %.0f msg/s "
        "(%d messages, %.2f s)\n",
        messages * 5 / s, messages * 5, s);
    (void)bytes;
  }

  // 2. The server path, known senders.
  for (const char* sync : {"FULL", "NORMAL"}) {
    Run r = Open(std::string("mail-bench-") + sync, sync);
    auto t0 = Steady::now();
    int cases = 0, comments = 0;
    for (int i = 0; i < messages; ++i) {
      auto o = r.mail->Receive(Variant(corpus[i % corpus.size()], i, ""));
      if (!o.ok()) {
        std::fprintf(stderr, "receive: %s\n", o.status().ToString().c_str());
        return 1;
      }
      (o->outcome == "comment_added" ? comments : cases)++;
    }
    double s = Seconds(t0, Steady::now());
    std::printf(
        "server path, known senders, synchronous=%s: %.0f msg/s "
        "(%d messages: %d cases, %d comments; %.2f s)\n",
        sync, messages / s, messages, cases, comments, s);
  }

  // 3. New senders: a user, a pending account and argon2id each.
  {
    Run r = Open("mail-bench-new", "FULL");
    auto t0 = Steady::now();
    for (int i = 0; i < new_senders; ++i) {
      std::string from = "persona" + std::to_string(i) + "@nuevo" +
                         std::to_string(i) + ".example";
      auto o = r.mail->Receive(Variant(corpus[0], 100000 + i, from));
      if (!o.ok() || !o->user_created) {
        std::fprintf(stderr, "new sender failed\n");
        return 1;
      }
    }
    double s = Seconds(t0, Steady::now());
    std::printf(
        "server path, new senders (argon2id INTERACTIVE each): "
        "%.1f msg/s (%d messages, %.2f s)\n",
        new_senders / s, new_senders, s);
  }
  return 0;
}
