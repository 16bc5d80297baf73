// The e-mail intake of DESIGN §6: one received message → a case, a comment,
// a follow-up case, or nothing (auto-replies, bounces, lists, our own mail),
// with the user created for an unknown sender and a reply queued. Rules and
// outcomes: docs/mail.md.
//
// Every change goes through the core's mutators (MutationEnv{actor = the
// sender, channel = email, authoritative}) in one write transaction, which
// also records the Message-ID: a message delivered twice is processed once.
//
// Thread-safe (the store serialises writers). Errors: kInvalidRequest when
// the input is not a message at all, kValidationFailed when it has no usable
// sender, kStorage; never a secret in a message.
#ifndef CASESYNC_SERVER_MAIL_INTAKE_H_
#define CASESYNC_SERVER_MAIL_INTAKE_H_

#include <functional>
#include <string>
#include <string_view>

#include "casesync/status.h"
#include "passwords.h"
#include "service.h"
#include "store.h"

namespace casesync::server::mail {

struct IntakeOptions {
  // Domain of our Message-IDs (lower case): mail from it is our own.
  std::string own_domain = "casesync.invalid";
  // Where e-mail cases land until an agent triages them (catalog ids).
  std::string service_id = "svc-soporte";
  std::string product_id = "prd-soporte-cuenta";
  std::string issue_type_id = "iss-soporte-cuenta-acceso";
  // Automatic answers per sender address and hour; past it messages are
  // still processed, but not answered.
  int answers_per_hour = 5;
  HashCost hash_cost = HashCost::kInteractive;
};

struct InboundOutcome {
  // case_created | followup_created | comment_added | ignored_own |
  // ignored_bounce | ignored_auto_reply | ignored_list |
  // ignored_disabled_user
  std::string outcome;
  std::string message_id;
  std::string case_id;
  std::string case_number;
  bool duplicate = false;     // seen before: nothing done this time
  bool user_created = false;  // an unknown sender got a user
  bool answered = false;      // a reply was queued
};

class MailIntake {
 public:
  // `store` and `clock` must outlive the intake; `wake` is called after each
  // commit with what it changed (long polls).
  MailIntake(Store& store, Clock& clock, IntakeOptions options,
             std::function<void(const ChangeSet&)> wake);

  Result<InboundOutcome> Receive(std::string_view raw);

 private:
  Store& store_;
  Clock& clock_;
  IntakeOptions options_;
  std::function<void(const ChangeSet&)> wake_;
};

// A temporary password: 3 groups of 4 characters without look-alikes
// ("Kf7q-2Rnb-xW9d"), from libsodium's generator.
std::string TemporaryPassword();

}  // namespace casesync::server::mail

#endif  // CASESYNC_SERVER_MAIL_INTAKE_H_
