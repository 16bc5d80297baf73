#include "mail/mail_service.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <utility>

#include "casesync/lifecycle.h"
#include "mail/mail_message.h"
#include "mail/mail_text.h"
#include "mail/notifications.h"
#include "passwords.h"
#include "store.h"

namespace casesync::server::mail {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr size_t kBatch = 50;

std::string DomainOf(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos
             ? std::string("localhost")
             : NormalizeAddress(address.substr(at + 1));
}

MailOptions WithDefaults(MailOptions o) {
  if (o.intake.own_domain.empty() ||
      o.intake.own_domain == IntakeOptions().own_domain) {
    o.intake.own_domain = DomainOf(o.from_address);
  }
  if (o.smtp.helo_domain.empty() || o.smtp.helo_domain == "localhost") {
    o.smtp.helo_domain = DomainOf(o.from_address);
  }
  return o;
}

}  // namespace

std::string NewMessageId(std::string_view domain) {
  return RandomHex(12) + "@" + std::string(domain);
}

MailService::MailService(Service& service, MailOptions options)
    : service_(service),
      options_(WithDefaults(std::move(options))),
      clock_(options_.clock ? *options_.clock : SystemClock()),
      intake_(service.store(), clock_, options_.intake,
              [&service](const ChangeSet& c) { service.WakeWaiters(c); }) {
  if (options_.smtp.url.empty()) {
    transport_ = NewOutboxTransport(
        (std::filesystem::path(options_.data_dir) / "outbox").string());
  } else {
    transport_ = NewSmtpTransport(options_.smtp);
  }
}

MailService::~MailService() { Stop(); }

void MailService::Log(const std::string& line) {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << line << "\n";
  }
}

Result<InboundOutcome> MailService::Receive(std::string_view raw) {
  auto out = intake_.Receive(raw);
  if (out.ok() && out->answered) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();  // send the answer now, not at the next poll
  }
  return out;
}

Result<SendReport> MailService::SendDue() {
  std::lock_guard<std::mutex> one_at_a_time(send_mu_);
  Store& store = service_.store();
  SendReport report;
  int64_t now = clock_.NowMs();
  CASESYNC_ASSIGN_OR_RETURN(std::vector<QueuedNotification> due,
                            store.DueNotifications(now, kBatch));
  for (QueuedNotification& q : due) {
    NotificationDelivery d;
    d.id = q.id;
    d.message_id = q.n.message_id;
    d.attempts = q.attempts;
    d.keep_body = options_.smtp.url.empty();
    if (d.message_id.empty()) {
      // Persisted before the first attempt: a retry (or a restart) sends
      // the same Message-ID, and replies thread to the case meanwhile.
      d.message_id = NewMessageId(options_.intake.own_domain);
      CASESYNC_ASSIGN_OR_RETURN(auto tx, store.BeginWrite());
      CASESYNC_RETURN_IF_ERROR(tx->UpdateNotificationDelivery(d));
      CASESYNC_RETURN_IF_ERROR(tx->Commit());
    }
    OutboundMessage m;
    m.from = options_.from_address;
    m.from_name = options_.from_name;
    m.to = q.n.to;
    m.subject = q.n.subject;
    m.text = q.n.body;
    m.message_id = d.message_id;
    m.in_reply_to = q.n.in_reply_to;
    m.kind = q.n.kind;
    m.date_ms = now;
    std::string raw = BuildMessage(m);
    bool permanent = false;
    Status st =
        transport_->Send(options_.from_address, q.n.to, raw, &permanent);
    d.attempts = q.attempts + 1;
    if (st.ok()) {
      d.sent_at = FormatIsoTime(clock_.NowMs());
      d.last_error.clear();
      ++report.sent;
    } else {
      d.last_error = st.message().substr(0, 500);
      if (permanent || d.attempts >= options_.max_attempts) {
        d.failed = true;
        ++report.gave_up;
      } else {
        int64_t wait = options_.first_retry.count();
        for (int i = 1; i < d.attempts && wait < options_.max_retry.count();
             ++i) {
          wait *= 2;
        }
        d.next_attempt_ms = clock_.NowMs() +
                            std::min<int64_t>(wait, options_.max_retry.count());
        ++report.failed;
      }
      Log("mail: notification " + std::to_string(q.id) + " (" + q.n.kind +
          ") not sent, attempt " + std::to_string(d.attempts) + ": " +
          d.last_error + (d.failed ? " — giving up" : ""));
    }
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store.BeginWrite());
    CASESYNC_RETURN_IF_ERROR(tx->UpdateNotificationDelivery(d));
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
    if (!st.ok() && !permanent) {
      // The relay is down: the rest waits for the next pass too.
      break;
    }
  }
  return report;
}

Result<int> MailService::RunAutoClose() {
  if (options_.auto_close_days <= 0) return 0;
  Store& store = service_.store();
  int64_t now = clock_.NowMs();
  int64_t limit = options_.auto_close_days * kDayMs;
  std::string now_iso = FormatIsoTime(now);
  CASESYNC_ASSIGN_OR_RETURN(
      std::vector<Case> waiting,
      store.ListCasesInState(CaseState::kResolved,
                             FormatIsoTime(now - limit / 2), 500));
  int closed = 0;
  for (const Case& listed : waiting) {
    std::optional<int64_t> since = ParseIsoTime(listed.updated_at);
    if (!since) continue;
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store.BeginWrite());
    CASESYNC_ASSIGN_OR_RETURN(std::optional<Case> c,
                              tx->mutations().GetCase(listed.id));
    // Changed meanwhile (reopened, commented): its clock restarted.
    if (!c || c->state != CaseState::kResolved ||
        c->updated_at != listed.updated_at) {
      continue;
    }
    CASESYNC_ASSIGN_OR_RETURN(std::optional<User> contact,
                              tx->mutations().GetUser(c->contact_id));
    int64_t age = now - *since;
    if (age >= limit) {
      CASESYNC_RETURN_IF_ERROR(CheckTransition(Transition::kAutoClose, c->state,
                                               Role::kAdmin, /*system=*/true));
      c->state = RuleFor(Transition::kAutoClose).to;
      c->updated_at = now_iso;
      CASESYNC_RETURN_IF_ERROR(tx->mutations().PutCase(*c));
      if (contact && contact->status != UserStatus::kDisabled) {
        CASESYNC_RETURN_IF_ERROR(tx->EnqueueNotification(
            AutoClosedNotification(*contact, *c, options_.auto_close_days),
            now_iso));
      }
      CASESYNC_RETURN_IF_ERROR(tx->Commit());
      ChangeSet changes = tx->changes();
      tx.reset();
      service_.WakeWaiters(changes);
      ++closed;
      continue;
    }
    CASESYNC_ASSIGN_OR_RETURN(
        bool reminded,
        store.HasNotification(kKindAutoCloseReminder, c->id, c->updated_at));
    if (reminded || !contact || contact->status == UserStatus::kDisabled) {
      continue;
    }
    int days_left = static_cast<int>((limit - age + kDayMs - 1) / kDayMs);
    CASESYNC_RETURN_IF_ERROR(tx->EnqueueNotification(
        AutoCloseReminderNotification(*contact, *c, days_left), now_iso));
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
  }
  return closed;
}

void MailService::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void MailService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void MailService::Loop() {
  auto next_auto_close = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
    }
    auto sent = SendDue();
    if (!sent.ok()) Log("mail: sender: " + sent.status().ToString());
    if (std::chrono::steady_clock::now() >= next_auto_close) {
      auto closed = RunAutoClose();
      if (!closed.ok()) Log("mail: auto-close: " + closed.status().ToString());
      next_auto_close =
          std::chrono::steady_clock::now() + options_.auto_close_interval;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    cv_.wait_for(lock, options_.poll_interval);
  }
}

}  // namespace casesync::server::mail
