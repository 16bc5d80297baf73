// casesync-server: the sync authority (DESIGN.md §8).
//
//   casesync-server --listen HOST:PORT --data DIR [--web DIR] [--demo]
//                   [--synchronous FULL|NORMAL] [--poke-timeout-ms N]
//                   [--threads N] [--pull-page-rows N]
//                   [--log-level debug|info|warn|error]
//                   [--smtp smtp://HOST:PORT] [--smtp-user U]
//                   [--smtp-password-file F] [--smtp-starttls]
//                   [--mailgate-secret-file F] [--mail-from ADDRESS]
//                   [--auto-close-days N]                   (docs/mail.md)
//   casesync-server admin ...            (operators; see admin.h)
//
// Every flag can also be given as CASESYNC_<NAME> in the environment
// (CASESYNC_LISTEN, CASESYNC_DATA, CASESYNC_WEB, CASESYNC_DEMO=1, ...); a flag
// on the command line wins over the environment.
//
// SIGTERM or SIGINT: new requests get 503, long polls are answered, in-flight
// requests finish, then the process exits 0.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "admin.h"
#include "api.h"
#include "http_transport.h"
#include "logging.h"
#include "mail/inbound_http.h"
#include "mail/mail_service.h"
#include "service.h"
#include "worker_pool.h"

namespace {

using namespace casesync;
using namespace casesync::server;

// "127.0.0.1:8080", "localhost:8080", "[::1]:8080", ":8080" (all addresses).
bool ParseListen(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  std::string p = s.substr(colon + 1);
  if (p.empty() || p.size() > 5 ||
      p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  unsigned long n = std::stoul(p);
  if (n == 0 || n > 65535) return false;
  *port = static_cast<uint16_t>(n);
  return true;
}

int Serve(int argc, char** argv) {
  CLI::App app{"casesync-server: the casesync sync authority"};
  std::string listen = "127.0.0.1:8080";
  std::string data_dir;
  std::string web_dir;
  bool demo = false;
  std::string synchronous = "FULL";
  int poke_timeout_ms = 25000;
  size_t threads = 0;
  size_t pull_page_rows = kDefaultPullPageRows;
  std::string log_level = "info";
  bool bench_noop = false;
  app.add_option("--listen", listen, "HOST:PORT to listen on")
      ->envname("CASESYNC_LISTEN")
      ->capture_default_str();
  app.add_option("--data", data_dir, "data directory (holds casesync.db)")
      ->envname("CASESYNC_DATA")
      ->required();
  app.add_option("--web", web_dir, "directory of the built web app")
      ->envname("CASESYNC_WEB");
  app.add_flag("--demo", demo,
               "seed demo accounts and users and print their logins")
      ->envname("CASESYNC_DEMO");
  app.add_option("--synchronous", synchronous,
                 "SQLite synchronous mode: FULL (durable on power loss) or "
                 "NORMAL (faster; may lose the last commits on power loss)")
      ->envname("CASESYNC_SYNCHRONOUS")
      ->check(CLI::IsMember({"FULL", "NORMAL"}, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--poke-timeout-ms", poke_timeout_ms,
                 "how long a poke long poll waits at most")
      ->envname("CASESYNC_POKE_TIMEOUT_MS")
      ->check(CLI::Range(1, 25000))
      ->capture_default_str();
  app.add_option("--threads", threads,
                 "worker threads for the slow routes: password hashing, "
                 "e-mail, files, large pushes (0: max(4, 2 x cores))")
      ->envname("CASESYNC_THREADS")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--pull-page-rows", pull_page_rows,
                 "rows per pull page at most (smaller pages: less memory per "
                 "request, more requests for an initial sync)")
      ->envname("CASESYNC_PULL_PAGE_ROWS")
      ->check(CLI::Range(size_t{1}, casesync::kMaxPullResponseRows))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->envname("CASESYNC_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  // Hidden: /api/v1/bench/noop, the trivial handler of tools/bench.
  app.add_flag("--bench-noop-route", bench_noop)
      ->envname("CASESYNC_BENCH_NOOP_ROUTE")
      ->group("");
  // Mail (docs/mail.md).
  std::string smtp_url, smtp_user, smtp_password_file, mailgate_secret_file;
  std::string mail_from = "mesadeayuda@localhost";
  bool smtp_starttls = false;
  int auto_close_days = 7;
  app.add_option("--smtp", smtp_url,
                 "SMTP relay smtp://HOST:PORT (none: .eml files in "
                 "DATA/outbox/)")
      ->envname("CASESYNC_SMTP");
  app.add_option("--smtp-user", smtp_user, "SMTP AUTH user")
      ->envname("CASESYNC_SMTP_USER");
  app.add_option("--smtp-password-file", smtp_password_file,
                 "file holding the SMTP password")
      ->envname("CASESYNC_SMTP_PASSWORD_FILE");
  app.add_flag("--smtp-starttls", smtp_starttls, "require STARTTLS")
      ->envname("CASESYNC_SMTP_STARTTLS");
  app.add_option("--mailgate-secret-file", mailgate_secret_file,
                 "file holding the casesync-mailgate secret (or "
                 "CASESYNC_MAILGATE_SECRET); none: e-mail intake off")
      ->envname("CASESYNC_MAILGATE_SECRET_FILE");
  app.add_option("--mail-from", mail_from, "address notifications come from")
      ->envname("CASESYNC_MAIL_FROM")
      ->capture_default_str();
  app.add_option("--auto-close-days", auto_close_days,
                 "resolved cases close after N days (reminder at N/2; 0: off)")
      ->envname("CASESYNC_AUTO_CLOSE_DAYS")
      ->check(CLI::Range(0, 365))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  for (auto& c : synchronous) c = std::toupper(static_cast<unsigned char>(c));
  SetLogLevel(*LogLevelFromName(log_level));

  std::string host;
  uint16_t port = 0;
  if (!ParseListen(listen, &host, &port)) {
    std::fprintf(stderr, "casesync-server: --listen wants HOST:PORT, got %s\n",
                 listen.c_str());
    return 2;
  }

  // Signals are taken synchronously by sigwait() below; every thread
  // started from here on inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto nofile = RaiseOpenFileLimit();
  bool one_network_thread = InitTransport();
  auto workers = std::make_unique<WorkerPool>(
      threads == 0 ? DefaultWorkerThreads() : threads);

  ServiceOptions options;
  options.data_dir = data_dir;
  options.synchronous = synchronous;
  options.pull_page_rows = pull_page_rows;
  options.demo = demo;
  options.log_demo_secrets = demo;
  auto service = Service::Open(options);
  if (!service.ok()) {
    Log(LogLevel::kError, "start_failed",
        {{"error", service.status().ToString()}, {"data", data_dir}});
    return 1;
  }

  mail::MailOptions mail_options;
  mail_options.data_dir = data_dir;
  mail_options.smtp.url = smtp_url;
  mail_options.smtp.user = smtp_user;
  mail_options.smtp.starttls = smtp_starttls;
  mail_options.from_address = mail_from;
  mail_options.auto_close_days = auto_close_days;
  mail_options.log = [](const std::string& line) {
    Log(LogLevel::kWarn, "mail", {{"message", line}});
  };
  std::string mailgate_secret;
  auto read_first_line = [](const std::string& path, std::string* out) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) return false;
    char buf[1024] = {0};
    bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
    std::fclose(f);
    *out = buf;
    while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) {
      out->pop_back();
    }
    return ok;
  };
  if (!smtp_password_file.empty() &&
      !read_first_line(smtp_password_file, &mail_options.smtp.password)) {
    Log(LogLevel::kError, "start_failed",
        {{"error", "cannot read --smtp-password-file"}});
    return 1;
  }
  if (!mailgate_secret_file.empty()) {
    if (!read_first_line(mailgate_secret_file, &mailgate_secret)) {
      Log(LogLevel::kError, "start_failed",
          {{"error", "cannot read --mailgate-secret-file"}});
      return 1;
    }
  } else if (const char* env = std::getenv("CASESYNC_MAILGATE_SECRET")) {
    mailgate_secret = env;
  }
  auto mail = std::make_unique<mail::MailService>(**service, mail_options);

  ListenerOptions listener_options;
  auto listener = NewCppRestListener(listener_options);
  ApiOptions api_options;
  api_options.web_dir = web_dir;
  api_options.poke_timeout = std::chrono::milliseconds(poke_timeout_ms);
  api_options.bench_noop_route = bench_noop;
  api_options.mail_inbound =
      mail::InboundHandler(mail.get(), std::move(mailgate_secret));
  api_options.workers = workers.get();
  Api api(**service, api_options, listener.get());
  Status started = listener->Start(
      host, port, [&api](HttpRequest request, std::shared_ptr<Responder> r) {
        api.Handle(std::move(request), std::move(r));
      });
  if (!started.ok()) {
    Log(LogLevel::kError, "start_failed", {{"error", started.ToString()}});
    return 1;
  }
  std::string url =
      "http://" +
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
      std::to_string(port);
  Log(LogLevel::kInfo, "started",
      {{"url", url},
       {"data", data_dir},
       {"web", web_dir.empty() ? "(built-in page)" : web_dir},
       {"synchronous", synchronous},
       {"network_threads", one_network_thread ? "1" : "cpprestsdk default"},
       {"workers", std::to_string(workers->threads())},
       {"nofile", nofile.ok() ? std::to_string(*nofile) : "?"},
       {"demo", demo ? "true" : "false"}});
  std::printf("casesync-server listening on %s\n", url.c_str());
  if (host == "127.0.0.1" || host == "0.0.0.0") {
    std::printf("open http://localhost:%u in a browser\n", port);
  }
  if (demo) {
    std::printf("demo logins (password change not required):\n");
    for (const auto& d : (*service)->DemoLogins()) {
      std::printf("  %-16s %-36s %-20s %s\n", d.role.c_str(), d.email.c_str(),
                  d.password.c_str(), d.account.c_str());
    }
  }
  std::fflush(stdout);
  mail->Start();  // sender and auto-close thread, after the banner

  int sig = 0;
  sigwait(&stop_signals, &sig);
  Log(LogLevel::kInfo, "stopping",
      {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
       {"in_flight", std::to_string(listener->InFlight())}});
  listener->Stop([&service] { (*service)->Shutdown(); });
  workers.reset();  // runs what a drain timeout left queued, then joins
  listener.reset();
  mail.reset();  // stops the sender thread
  service = Result<std::unique_ptr<Service>>(
      Status(ErrorCode::kUnavailable, "stopped"));
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "admin") == 0) {
    return casesync::server::RunAdmin(argc - 1, argv + 1);
  }
  return Serve(argc, argv);
}
