// The mail part of casesync-server (DESIGN §6, docs/mail.md): the e-mail
// intake behind POST /api/v1/mail/inbound, the sender that delivers queued
// notifications (SMTP through libcurl, or .eml files in DATA/outbox/) with
// retry and exponential backoff, and auto-close of resolved cases.
//
// Start() runs one background thread that sends what is due and runs
// auto-close; tests call SendDue() and RunAutoClose() directly with an
// injected clock instead. Thread-safe; the destructor stops the thread.
#ifndef CASESYNC_SERVER_MAIL_MAIL_SERVICE_H_
#define CASESYNC_SERVER_MAIL_MAIL_SERVICE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "casesync/status.h"
#include "mail/intake.h"
#include "mail/transport.h"
#include "service.h"

namespace casesync::server::mail {

struct MailOptions {
  std::string data_dir;  // outbox at DATA/outbox/ when no SMTP relay
  SmtpOptions smtp;      // smtp.url "" : outbox files
  std::string from_address = "mesadeayuda@localhost";
  std::string from_name = "Mesa de ayuda";
  // Resolved cases close after this many days without activity, with a
  // reminder at half of it. 0 turns auto-close off.
  int auto_close_days = 7;
  IntakeOptions intake;    // own_domain "" → the domain of from_address
  Clock* clock = nullptr;  // nullptr: SystemClock()
  // Retry: the first after first_retry, doubling up to max_retry; after
  // max_attempts (about 2 days with the defaults) the notification fails.
  std::chrono::milliseconds first_retry{std::chrono::minutes(1)};
  std::chrono::milliseconds max_retry{std::chrono::hours(1)};
  int max_attempts = 50;
  std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
  std::chrono::milliseconds auto_close_interval{std::chrono::minutes(5)};
  // Log lines (never a secret); nullptr: stderr.
  std::function<void(const std::string&)> log;
};

struct SendReport {
  int sent = 0;
  int failed = 0;   // attempts that failed this pass (will retry)
  int gave_up = 0;  // marked failed for good
};

class MailService {
 public:
  // `service` must outlive this object.
  MailService(Service& service, MailOptions options);
  ~MailService();
  MailService(const MailService&) = delete;
  MailService& operator=(const MailService&) = delete;

  // One received message (mail_message.h, intake.h).
  Result<InboundOutcome> Receive(std::string_view raw);

  // Sends every notification due now. Storage errors only; delivery errors
  // are recorded on the notification and counted.
  Result<SendReport> SendDue();
  // Sends reminders and closes resolved cases that waited long enough.
  // Returns the number of cases closed.
  Result<int> RunAutoClose();

  void Start();
  void Stop();

  const MailOptions& options() const { return options_; }

 private:
  void Log(const std::string& line);
  void Loop();

  Service& service_;
  MailOptions options_;
  Clock& clock_;
  MailIntake intake_;
  std::unique_ptr<MailTransport> transport_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  std::mutex send_mu_;  // one SendDue at a time
};

// "<24 hex>@<domain>" (without <>).
std::string NewMessageId(std::string_view domain);

}  // namespace casesync::server::mail

#endif  // CASESYNC_SERVER_MAIL_MAIL_SERVICE_H_
