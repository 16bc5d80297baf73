#include "mail/intake.h"

#include <sodium.h>

#include <utility>

#include "casesync/lifecycle.h"
#include "casesync/mutation.h"
#include "casesync/validation.h"
#include "mail/mail_message.h"
#include "mail/mail_text.h"
#include "mail/notifications.h"

namespace casesync::server::mail {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr const char kMailClientId[] = "mail";

std::string DomainOf(std::string_view email) {
  size_t at = email.rfind('@');
  return at == std::string_view::npos ? std::string()
                                      : std::string(email.substr(at + 1));
}

std::string HumanSize(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024) return std::to_string(bytes / 1024) + " KB";
  return std::to_string(bytes / (1024 * 1024)) + " MB";
}

// The text a case or comment gets from a message: the new part of a reply
// (the whole text of a forward) and the list of attachments.
std::string MessageText(const ParsedMessage& m, bool forward, size_t max) {
  std::string text = forward ? m.text : TrimQuotedReply(m.text);
  if (!m.attachments.empty()) {
    std::string list =
        "\n\nAdjuntos (no se guardan; pídalos si los necesita) / "
        "Attachments (not stored):";
    for (const Attachment& a : m.attachments) {
      list += "\n- " + (a.name.empty() ? std::string("(sin nombre)") : a.name) +
              " (" + a.content_type + ", " + HumanSize(a.size) + ")";
    }
    // The list survives truncation of a long text.
    std::string clean_list = CleanText(list, max / 2, true);
    size_t room = max > clean_list.size() + 2 ? max - clean_list.size() - 2 : 1;
    text = CleanText(text, room, true) + "\n\n" + clean_list;
  }
  text = CleanText(text, max, true);
  if (text.empty()) text = "(mensaje sin texto / message without text)";
  return text;
}

bool IsRuleBreak(ErrorCode code) {
  return code != ErrorCode::kStorage && code != ErrorCode::kInternal &&
         code != ErrorCode::kUnavailable;
}

}  // namespace

std::string TemporaryPassword() {
  static constexpr char kAlphabet[] =
      "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 12; ++i) {
    if (i > 0 && i % 4 == 0) out += '-';
    out += kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
  }
  return out;
}

MailIntake::MailIntake(Store& store, Clock& clock, IntakeOptions options,
                       std::function<void(const ChangeSet&)> wake)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      wake_(std::move(wake)) {}

Result<InboundOutcome> MailIntake::Receive(std::string_view raw) {
  ParsedMessage m = ParseMessage(raw);
  if (!m.parsed) {
    return Status(ErrorCode::kInvalidRequest,
                  "the input is not an e-mail message");
  }
  MessageClass cls = Classify(m, options_.own_domain);
  bool normal = cls == MessageClass::kNormal;
  if (normal && !IsValidEmail(m.from)) {
    return Status(ErrorCode::kValidationFailed,
                  "the message has no valid From address");
  }
  int64_t now_ms = clock_.NowMs();
  std::string now = FormatIsoTime(now_ms);
  InboundOutcome out;
  out.message_id = m.message_id;

  // Reads and hashing before the writer lock (argon2id is slow by design).
  std::optional<UserRecord> known;
  std::string temporary_password, temporary_hash;
  std::optional<AccountRecord> trusted;
  int64_t recent_answers = 0;
  if (normal) {
    CASESYNC_ASSIGN_OR_RETURN(known, store_.FindUserByEmail(m.from));
    if (!known) {
      temporary_password = TemporaryPassword();
      CASESYNC_ASSIGN_OR_RETURN(
          temporary_hash, HashPassword(temporary_password, options_.hash_cost));
      CASESYNC_ASSIGN_OR_RETURN(trusted,
                                store_.FindAccountForDomain(DomainOf(m.from)));
    }
    CASESYNC_ASSIGN_OR_RETURN(
        recent_answers,
        store_.CountAttempts("mail:" + m.from, now_ms - kHourMs));
  }

  CASESYNC_ASSIGN_OR_RETURN(auto tx, store_.BeginWrite());
  CASESYNC_ASSIGN_OR_RETURN(auto seen, tx->GetInboundMail(m.message_id));
  if (seen) {
    out.outcome = seen->outcome;
    out.case_id = seen->case_id;
    out.duplicate = true;
    if (!out.case_id.empty()) {
      CASESYNC_ASSIGN_OR_RETURN(auto c, tx->mutations().GetCase(out.case_id));
      if (c) out.case_number = c->number;
    }
    return out;  // rolls back: nothing written
  }
  InboundMail record{m.message_id, m.from, "", "", now};

  if (!normal) {
    out.outcome = std::string("ignored_") + MessageClassName(cls);
    if (cls == MessageClass::kBounce) {
      for (const std::string& id : m.bounced_message_ids) {
        CASESYNC_RETURN_IF_ERROR(
            tx->MarkNotificationBounced(id, "bounced: " + m.subject));
      }
    }
    record.outcome = out.outcome;
    CASESYNC_RETURN_IF_ERROR(tx->PutInboundMail(record));
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
    return out;
  }

  // The sender: known (re-read inside the transaction), or a new user.
  CASESYNC_ASSIGN_OR_RETURN(std::optional<UserRecord> user,
                            tx->FindUserByEmail(m.from));
  if (user && user->user.status == UserStatus::kDisabled) {
    out.outcome = "ignored_disabled_user";
    record.outcome = out.outcome;
    CASESYNC_RETURN_IF_ERROR(tx->PutInboundMail(record));
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
    return out;
  }
  if (!user) {
    if (temporary_hash.empty()) {
      // Created by someone else between the read and the lock: rare; the
      // slow hash must not run under the writer lock, so ask to retry.
      return Status(ErrorCode::kUnavailable, "sender changed; retry");
    }
    UserRecord fresh;
    fresh.user.id = NewId("usr-");
    fresh.user.email = m.from;
    std::string name = CleanText(m.from_name, kMaxName, false);
    if (name.empty() || name.find('@') != std::string::npos) {
      name = CleanText(m.from.substr(0, m.from.find('@')), kMaxName, false);
    }
    fresh.user.name = name;
    fresh.user.role = Role::kCustomer;
    // Active: the credentials go to this very mailbox, which proves it.
    // An unknown domain's account stays pending for an agent's review.
    fresh.user.status = UserStatus::kActive;
    fresh.password_hash = temporary_hash;
    fresh.must_change_password = true;
    if (trusted) {
      fresh.user.account_id = trusted->account.id;
    } else {
      AccountRecord account;
      account.account.id = NewId("acc-");
      account.account.name = "Pendiente: " + DomainOf(m.from) + " (" +
                             account.account.id.substr(4, 8) + ")";
      account.pending = true;
      CASESYNC_RETURN_IF_ERROR(tx->PutAccount(account));
      fresh.user.account_id = account.account.id;
    }
    CASESYNC_RETURN_IF_ERROR(tx->PutUser(fresh));
    user = std::move(fresh);
    out.user_created = true;
  }

  MutationEnv env;
  env.actor = Actor{user->user.id, user->user.account_id, user->user.role};
  env.now = now;
  env.client_id = kMailClientId;
  env.authoritative = true;
  env.channel = Channel::kEmail;
  auto apply = [&](const MutationRecord& mutation) {
    return tx->InSavepoint([&]() -> Status {
      CASESYNC_RETURN_IF_ERROR(ApplyMutation(mutation, env, tx->mutations()));
      return QueueMutationNotifications(*tx, mutation, env);
    });
  };

  NormalizedSubject subject = NormalizeSubject(m.subject);
  // Threading: our Message-IDs (and the ones we received) first, then the
  // case token when the sender may see that case. A forward is new.
  std::optional<Case> thread;
  if (!subject.is_forward) {
    for (const std::string& id : m.references) {
      CASESYNC_ASSIGN_OR_RETURN(auto case_id, tx->FindCaseIdByMessageId(id));
      if (!case_id) continue;
      CASESYNC_ASSIGN_OR_RETURN(thread, tx->mutations().GetCase(*case_id));
      if (thread && CanSeeCase(env.actor, *thread)) break;
      thread.reset();
    }
    if (!thread && !subject.case_number.empty()) {
      CASESYNC_ASSIGN_OR_RETURN(thread,
                                tx->FindCaseByNumber(subject.case_number));
      if (thread && !CanSeeCase(env.actor, *thread)) thread.reset();
    }
  }

  std::string parent_number;
  if (thread && !IsTerminal(thread->state)) {
    MutationRecord comment;
    comment.name = "addComment";
    comment.args = Json{{"id", NewUuidV7()},
                        {"caseId", thread->id},
                        {"body", MessageText(m, false, kMaxCommentBody)}};
    Status st = apply(comment);
    if (st.ok()) {
      out.outcome = "comment_added";
      out.case_id = thread->id;
      out.case_number = thread->number;
    } else if (!IsRuleBreak(st.code())) {
      return st;
    }
  } else if (thread) {
    parent_number = thread->number;
  }

  Case created;
  if (out.outcome.empty()) {
    std::string title = CleanText(subject.text, kMaxSubject, false);
    if (title.empty()) title = "Solicitud recibida por correo";
    MutationRecord create;
    create.name = "createCase";
    create.args = Json{
        {"id", NewUuidV7()},
        {"serviceId", options_.service_id},
        {"productId", options_.product_id},
        {"issueTypeId", options_.issue_type_id},
        {"contactHours", ""},
        {"contactPhone", ""},
        {"subject", title},
        {"description", MessageText(m, subject.is_forward, kMaxDescription)}};
    if (!parent_number.empty()) create.args["parentId"] = thread->id;
    Status st = apply(create);
    if (!st.ok()) return st;  // defaults or storage broken: let the MTA retry
    CASESYNC_ASSIGN_OR_RETURN(
        auto c, tx->mutations().GetCase(create.args["id"].get<std::string>()));
    if (!c) return Status(ErrorCode::kInternal, "created case vanished");
    created = std::move(*c);
    out.outcome = parent_number.empty() ? "case_created" : "followup_created";
    out.case_id = created.id;
    out.case_number = created.number;

    // The answer: credentials for a new user (always: without them the
    // account is useless), a receipt otherwise; never more than
    // answers_per_hour per address.
    if (out.user_created || recent_answers < options_.answers_per_hour) {
      Notification n =
          out.user_created
              ? CredentialsNotification(user->user, temporary_password, created,
                                        m.message_id)
              : CaseReceivedNotification(user->user, created, parent_number,
                                         m.message_id);
      CASESYNC_RETURN_IF_ERROR(tx->EnqueueNotification(n, now));
      CASESYNC_RETURN_IF_ERROR(
          tx->RecordAttempt("mail:" + m.from, now_ms, true));
      out.answered = true;
    }
  }
  record.outcome = out.outcome;
  record.case_id = out.case_id;
  CASESYNC_RETURN_IF_ERROR(tx->PutInboundMail(record));
  CASESYNC_RETURN_IF_ERROR(tx->Commit());
  ChangeSet changes = tx->changes();
  tx.reset();
  if (wake_) wake_(changes);
  return out;
}

}  // namespace casesync::server::mail
