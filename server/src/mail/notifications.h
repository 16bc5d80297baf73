// The notifications of the help desk (DESIGN §6): what each says, in
// Spanish (Colombia) first and English below it, and when the server queues
// them. Bodies are plain text; the sender adds the HTML part (escaped) and
// the headers (mail_message.h BuildMessage). The subject of every
// notification about a case starts with its token "[CS0000123]".
//
// Queued rows are in the `notifications` table (store.h Notification). A
// body may hold a secret (temporary password, reset token): it is never
// logged, and the store blanks it once sent.
#ifndef CASESYNC_SERVER_MAIL_NOTIFICATIONS_H_
#define CASESYNC_SERVER_MAIL_NOTIFICATIONS_H_

#include <string>
#include <string_view>

#include "casesync/domain.h"
#include "casesync/protocol.h"
#include "casesync/status.h"
#include "store.h"

namespace casesync::server::mail {

// Kinds (the X-Casesync header of the sent message).
inline constexpr const char kKindCredentials[] = "credentials";
inline constexpr const char kKindCaseReceived[] = "case_received";
inline constexpr const char kKindComment[] = "comment";
inline constexpr const char kKindStateChanged[] = "state_changed";
inline constexpr const char kKindAutoCloseReminder[] = "auto_close_reminder";
inline constexpr const char kKindAutoClosed[] = "auto_closed";

// "[CS0000123] Subject of the case".
std::string CaseSubject(const Case& c);

// New user from an e-mail: the login, the temporary password (to change at
// first sign-in) and the case number.
Notification CredentialsNotification(const User& user,
                                     std::string_view temporary_password,
                                     const Case& c,
                                     std::string_view in_reply_to);
// A case (or a follow-up of a closed one) was opened from an e-mail.
Notification CaseReceivedNotification(const User& contact, const Case& c,
                                      std::string_view parent_number,
                                      std::string_view in_reply_to);
// A public comment of someone else on the contact's case.
Notification CommentNotification(const User& contact, const Case& c,
                                 std::string_view author_name,
                                 std::string_view body);
// The case moved to another state; `note` is the agent's comment or notes.
Notification StateChangedNotification(const User& contact, const Case& c,
                                      std::string_view note);
Notification AutoCloseReminderNotification(const User& contact, const Case& c,
                                           int days_left);
Notification AutoClosedNotification(const User& contact, const Case& c,
                                    int days);

// The body of the password-reset notification (service.cpp).
std::string PasswordResetBody(std::string_view token, int minutes);

// Called inside the push transaction right after `m` was applied with
// `env` (service.cpp Push, and the mail intake): queues what the case's
// contact should hear — a public comment or a state change made by someone
// else (agents; a customer admin on a colleague's case), or a case filed
// for them. Internal notes, the contact's own actions, priority and contact
// edits queue nothing. Errors are storage errors (the push rolls back).
Status QueueMutationNotifications(WriteTx& tx, const MutationRecord& m,
                                  const MutationEnv& env);

}  // namespace casesync::server::mail

#endif  // CASESYNC_SERVER_MAIL_NOTIFICATIONS_H_
