// Service (service.h) over a Store: authentication, the sync authority and
// long polls. Decisions are written down in docs/server.md.
#include "service.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "casesync/mutation.h"
#include "casesync/validation.h"
#include "demo.h"
#include "mail/notifications.h"
#include "passwords.h"
#include "poke_registry.h"
#include "store.h"

namespace casesync::server {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kThrottleWindowMs = 15 * kMinuteMs;
constexpr size_t kMaxTokenLength = 128;
// A "Recordarme" session is pushed forward at most once a minute.
constexpr int64_t kSlideGranularityMs = kMinuteMs;
constexpr auto kMaxPokeWait = std::chrono::minutes(5);
// Authenticated sessions are cached this long at most: this process's own
// revocations and user changes invalidate an entry at once; a change made by
// another process (casesync-server admin) is seen within this time.
constexpr int64_t kSessionCacheMs = 10'000;
constexpr size_t kSessionCacheEntries = 100'000;

class SystemClockImpl : public Clock {
 public:
  int64_t NowMs() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
        .count();
  }
};

const Status kBadLogin(ErrorCode::kUnauthenticated,
                       "Correo o contraseña incorrectos. / Wrong e-mail or "
                       "password.");
const Status kNoSession(ErrorCode::kUnauthenticated,
                        "Inicie sesión de nuevo. / Please sign in again.");
const Status kThrottled(ErrorCode::kRateLimited,
                        "Demasiados intentos. Intente de nuevo más tarde. / "
                        "Too many attempts; try again later.");
const Status kBadResetToken(ErrorCode::kUnauthenticated,
                            "El enlace para restablecer la contraseña no es "
                            "válido o expiró. / The reset link is invalid or "
                            "has expired.");

// Trimmed, ASCII lower-case e-mail (the login name).
std::string NormalizeEmail(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email[0]))) {
    email.remove_prefix(1);
  }
  while (!email.empty() &&
         std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  std::string out(email);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string DomainOf(const std::string& email) {
  auto at = email.rfind('@');
  return at == std::string::npos ? std::string() : email.substr(at + 1);
}

// ---- cursors: "v1.<epoch>.<scope>.<seq>" ----
// epoch: 16 hex digits chosen when the database was created (a cursor of
// another database is unknown); scope: ShortHash of the reader's role, user
// and account (a cursor of another user or of an old role is expired); seq:
// the change sequence the client has seen, decimal.

std::string ScopeOf(const Actor& a) {
  return ShortHash(std::string(RoleName(a.role)) + "|" + a.user_id + "|" +
                   a.account_id);
}

std::string MakeCursor(const std::string& epoch, const std::string& scope,
                       int64_t seq) {
  return "v1." + epoch + "." + scope + "." + std::to_string(seq);
}

// The sequence of a cursor that is well-formed and of this database and
// scope; nullopt otherwise. Whether it is from the future is the caller's.
std::optional<int64_t> ParseCursor(std::string_view cursor,
                                   const std::string& epoch,
                                   const std::string& scope) {
  std::string prefix = "v1." + epoch + "." + scope + ".";
  if (cursor.size() <= prefix.size() ||
      cursor.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  std::string_view digits = cursor.substr(prefix.size());
  if (digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  int64_t seq = 0;
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || end != digits.data() + digits.size() || seq < 0) {
    return std::nullopt;
  }
  return seq;
}

Session MakeSession(const SessionRecord& s, const UserRecord& u) {
  Session session;
  session.session_id = s.id;
  session.user = u.user;
  session.actor = Actor{u.user.id, u.user.account_id, u.user.role};
  session.must_change_password = u.must_change_password;
  session.expires_at = FormatIsoTime(s.expires_ms);
  return session;
}

bool IsRuleBreak(ErrorCode code) {
  return code != ErrorCode::kStorage && code != ErrorCode::kInternal &&
         code != ErrorCode::kUnavailable;
}

class ServiceImpl : public Service {
 public:
  ServiceImpl(ServiceOptions options, std::unique_ptr<Store> store)
      : options_(std::move(options)),
        clock_(options_.clock ? *options_.clock : SystemClock()),
        store_(std::move(store)),
        cost_(options_.fast_password_hashing ? HashCost::kMinimum
                                             : HashCost::kInteractive) {
    options_.pull_page_rows =
        std::clamp<size_t>(options_.pull_page_rows, 1, kMaxPullResponseRows);
  }

  ~ServiceImpl() override { registry_.Shutdown(); }

  Status Init() {
    CASESYNC_ASSIGN_OR_RETURN(auto epoch, store_->GetMeta("epoch"));
    if (!epoch) {
      CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
      CASESYNC_ASSIGN_OR_RETURN(epoch, tx->GetMeta("epoch"));
      if (!epoch) {
        epoch = RandomHex(8);
        CASESYNC_RETURN_IF_ERROR(tx->SetMeta("epoch", *epoch));
        CASESYNC_RETURN_IF_ERROR(tx->Commit());
      }
    }
    epoch_ = *epoch;
    CASESYNC_RETURN_IF_ERROR(SeedCatalog(*store_));
    if (options_.demo) {
      CASESYNC_RETURN_IF_ERROR(SeedDemo(*store_, cost_, clock_.NowMs()));
    }
    // Unknown e-mails are checked against this, so that a login takes as
    // long whether the e-mail exists or not.
    CASESYNC_ASSIGN_OR_RETURN(dummy_hash_, HashPassword(RandomToken(), cost_));
    return Status::Ok();
  }

  // ---- auth ----

  Result<LoginResult> Login(std::string_view email_in,
                            std::string_view password, bool remember,
                            std::string_view remote_addr) override {
    std::string email = NormalizeEmail(email_in);
    int64_t now = clock_.NowMs();
    std::string email_key = "email:" + email;
    std::string addr_key = "addr:" + std::string(remote_addr);
    CASESYNC_RETURN_IF_ERROR(CheckThrottle(email_key, now, false));
    CASESYNC_RETURN_IF_ERROR(CheckThrottle(addr_key, now, false));

    std::optional<UserRecord> user;
    if (IsValidEmail(email) && password.size() <= kMaxStringBytes) {
      CASESYNC_ASSIGN_OR_RETURN(user, store_->FindUserByEmail(email));
    }
    bool ok = user ? VerifyPassword(user->password_hash, password)
                   : (VerifyPassword(dummy_hash_, password), false);
    if (!ok || user->user.status == UserStatus::kDisabled) {
      CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
      CASESYNC_RETURN_IF_ERROR(tx->RecordAttempt(email_key, now, false));
      CASESYNC_RETURN_IF_ERROR(tx->RecordAttempt(addr_key, now, false));
      CASESYNC_RETURN_IF_ERROR(tx->Commit());
      return kBadLogin;
    }
    if (user->user.status == UserStatus::kPending) {
      return Status(ErrorCode::kAccountPending,
                    "Su cuenta espera la revisión de la mesa de ayuda. / "
                    "Your account is waiting for the help desk's review.");
    }
    std::optional<std::string> rehash;
    if (NeedsRehash(user->password_hash, cost_)) {
      CASESYNC_ASSIGN_OR_RETURN(rehash, HashPassword(password, cost_));
    }

    SessionRecord session;
    std::string token = RandomToken();
    session.id = NewId("ses-");
    session.token_hash = TokenHash(token);
    session.user_id = user->user.id;
    session.created_ms = now;
    session.remember = remember;
    session.expires_ms = now + (remember ? options_.remember_days * kDayMs
                                         : options_.session_hours * kHourMs);
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    if (rehash) {
      CASESYNC_RETURN_IF_ERROR(
          tx->SetPassword(user->user.id, *rehash, user->must_change_password));
      user->password_hash = *rehash;
    }
    CASESYNC_RETURN_IF_ERROR(tx->InsertSession(session));
    CASESYNC_RETURN_IF_ERROR(tx->ClearFailures(email_key));
    CASESYNC_RETURN_IF_ERROR(tx->PruneAttempts(now - kDayMs));
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
    return LoginResult{std::move(token), MakeSession(session, *user)};
  }

  Status Logout(std::string_view token) override {
    if (token.empty() || token.size() > kMaxTokenLength) return kNoSession;
    CASESYNC_ASSIGN_OR_RETURN(auto found,
                              store_->FindSession(TokenHash(token)));
    if (!found) return kNoSession;
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    CASESYNC_RETURN_IF_ERROR(tx->RevokeSession(found->first.id));
    return tx->Commit();
  }

  Result<Session> Authenticate(std::string_view token) override {
    if (token.empty() || token.size() > kMaxTokenLength) return kNoSession;
    std::string token_hash = TokenHash(token);
    int64_t now = clock_.NowMs();
    CASESYNC_ASSIGN_OR_RETURN(auto found, FindSession(token_hash, now));
    if (!found || found->first.revoked || found->first.expires_ms <= now ||
        found->second.user.status != UserStatus::kActive) {
      return kNoSession;
    }
    SessionRecord& session = found->first;
    if (session.remember) {
      int64_t slid = now + options_.remember_days * kDayMs;
      if (slid - session.expires_ms >= kSlideGranularityMs) {
        CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
        CASESYNC_RETURN_IF_ERROR(tx->ExtendSession(session.id, slid));
        CASESYNC_RETURN_IF_ERROR(tx->Commit());
        session.expires_ms = slid;
        std::lock_guard<std::mutex> lock(session_cache_mu_);
        auto it = session_cache_.find(token_hash);
        if (it != session_cache_.end()) it->second.session.expires_ms = slid;
      }
    }
    return MakeSession(session, found->second);
  }

  Status ChangePassword(const Session& session, std::string_view old_password,
                        std::string_view new_password) override {
    int64_t now = clock_.NowMs();
    std::string key = "email:" + session.user.email;
    CASESYNC_RETURN_IF_ERROR(CheckThrottle(key, now, false));
    CASESYNC_ASSIGN_OR_RETURN(auto user, store_->GetUser(session.user.id));
    if (!user) return kNoSession;
    if (!VerifyPassword(user->password_hash, old_password)) {
      CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
      CASESYNC_RETURN_IF_ERROR(tx->RecordAttempt(key, now, false));
      CASESYNC_RETURN_IF_ERROR(tx->Commit());
      return Status(ErrorCode::kUnauthenticated,
                    "La contraseña actual no es correcta. / The current "
                    "password is wrong.");
    }
    if (old_password == new_password) {
      return Status(ErrorCode::kWeakPassword,
                    "La nueva contraseña debe ser distinta de la actual. / "
                    "The new password must differ from the current one.");
    }
    CASESYNC_RETURN_IF_ERROR(
        CheckPasswordStrength(new_password, user->user.email));
    CASESYNC_ASSIGN_OR_RETURN(std::string hash,
                              HashPassword(new_password, cost_));
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    CASESYNC_RETURN_IF_ERROR(tx->SetPassword(user->user.id, hash, false));
    // Other devices sign in again with the new password.
    CASESYNC_RETURN_IF_ERROR(
        tx->RevokeUserSessions(user->user.id, session.session_id));
    return tx->Commit();
  }

  Result<RegisterResult> Register(const RegisterRequest& r,
                                  std::string_view remote_addr) override {
    int64_t now = clock_.NowMs();
    std::string addr_key = "register:" + std::string(remote_addr);
    CASESYNC_RETURN_IF_ERROR(CheckThrottle(addr_key, now, true));

    std::string email = NormalizeEmail(r.email);
    if (!IsValidEmail(email)) {
      return Status(ErrorCode::kValidationFailed,
                    "El correo electrónico no es válido. / The e-mail "
                    "address is not valid.");
    }
    std::string name = r.name;
    CASESYNC_RETURN_IF_ERROR(ValidationStatus(
        ValidateText(name, "name", "Nombre", "Name", kMaxName, true, false)));
    std::string phone = r.phone;
    if (!phone.empty()) {
      CASESYNC_RETURN_IF_ERROR(ValidationStatus(ValidateText(
          phone, "phone", "Teléfono", "Phone", kMaxPhone, false, false)));
      if (!phone.empty() && !IsValidPhone(phone)) {
        return Status(ErrorCode::kValidationFailed,
                      "El teléfono no es válido. / The phone is not valid.");
      }
    }
    CASESYNC_RETURN_IF_ERROR(CheckPasswordStrength(r.password, email));
    std::string domain = DomainOf(email);
    CASESYNC_ASSIGN_OR_RETURN(auto trusted,
                              store_->FindAccountForDomain(domain));
    CASESYNC_ASSIGN_OR_RETURN(std::string hash,
                              HashPassword(r.password, cost_));

    UserRecord record;
    record.user.id = NewId("usr-");
    record.user.email = email;
    record.user.name = name;
    record.user.phone = phone;
    record.user.role = Role::kCustomer;
    record.user.status = trusted ? UserStatus::kActive : UserStatus::kPending;
    record.user.account_id = trusted ? trusted->account.id : NewId("acc-");
    record.password_hash = std::move(hash);

    CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    CASESYNC_RETURN_IF_ERROR(tx->RecordAttempt(addr_key, now, true));
    CASESYNC_ASSIGN_OR_RETURN(auto existing, tx->FindUserByEmail(email));
    if (existing) {
      // No enumeration: answer as for a new address, and tell the owner.
      Notification n;
      n.kind = "account_exists";
      n.to = email;
      n.subject = "Ya tiene una cuenta en la mesa de ayuda";
      n.body =
          "Alguien intentó registrarse con este correo, que ya tiene una "
          "cuenta. Si fue usted, inicie sesión o use \"¿Olvidó su "
          "contraseña?\". Si no, ignore este mensaje.";
      CASESYNC_RETURN_IF_ERROR(tx->EnqueueNotification(n, FormatIsoTime(now)));
      CASESYNC_RETURN_IF_ERROR(tx->Commit());
      return RegisterResult{record.user};
    }
    if (!trusted) {
      // An unknown domain: a pending account of its own, for an agent to
      // review (and merge or activate).
      AccountRecord account;
      account.account.id = record.user.account_id;
      account.account.name = "Pendiente: " + domain + " (" +
                             record.user.account_id.substr(4, 8) + ")";
      account.pending = true;
      CASESYNC_RETURN_IF_ERROR(tx->PutAccount(account));
    }
    CASESYNC_RETURN_IF_ERROR(tx->PutUser(record));
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
    ChangeSet changes = tx->changes();
    tx.reset();
    registry_.Wake(changes);
    return RegisterResult{record.user};
  }

  Status RequestPasswordReset(std::string_view email_in,
                              std::string_view remote_addr) override {
    int64_t now = clock_.NowMs();
    std::string addr_key = "reset:" + std::string(remote_addr);
    CASESYNC_RETURN_IF_ERROR(CheckThrottle(addr_key, now, true));
    std::string email = NormalizeEmail(email_in);
    if (!IsValidEmail(email)) {
      return Status(ErrorCode::kValidationFailed,
                    "El correo electrónico no es válido. / The e-mail "
                    "address is not valid.");
    }
    std::string email_key = "reset-email:" + email;
    CASESYNC_ASSIGN_OR_RETURN(auto user, store_->FindUserByEmail(email));
    CASESYNC_ASSIGN_OR_RETURN(int64_t recent,
                              store_->CountAttempts(email_key, now - kHourMs));
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    CASESYNC_RETURN_IF_ERROR(tx->RecordAttempt(addr_key, now, true));
    std::string token;
    // Silently nothing for unknown, inactive or over-asked addresses.
    if (user && user->user.status == UserStatus::kActive && recent < 5) {
      token = RandomToken();
      CASESYNC_RETURN_IF_ERROR(tx->RecordAttempt(email_key, now, true));
      CASESYNC_RETURN_IF_ERROR(
          tx->InsertResetToken(TokenHash(token), user->user.id, now,
                               now + options_.reset_token_minutes * kMinuteMs));
      Notification n;
      n.kind = "password_reset";
      n.to = email;
      n.subject = "Restablecer su contraseña / Reset your password";
      n.body = mail::PasswordResetBody(token, options_.reset_token_minutes);
      CASESYNC_RETURN_IF_ERROR(tx->EnqueueNotification(n, FormatIsoTime(now)));
    }
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
    if (!token.empty() && options_.log_demo_secrets) {
      Log("demo: password reset token for " + email + ": " + token);
    }
    return Status::Ok();
  }

  Status ConfirmPasswordReset(std::string_view token,
                              std::string_view new_password) override {
    if (token.empty() || token.size() > kMaxTokenLength) return kBadResetToken;
    CASESYNC_RETURN_IF_ERROR(CheckPasswordStrength(new_password));
    CASESYNC_ASSIGN_OR_RETURN(std::string hash,
                              HashPassword(new_password, cost_));
    int64_t now = clock_.NowMs();
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    CASESYNC_ASSIGN_OR_RETURN(auto user_id,
                              tx->ConsumeResetToken(TokenHash(token), now));
    if (!user_id) return kBadResetToken;
    CASESYNC_ASSIGN_OR_RETURN(auto user, tx->mutations().GetUser(*user_id));
    if (!user) return kBadResetToken;
    CASESYNC_RETURN_IF_ERROR(tx->SetPassword(*user_id, hash, false));
    CASESYNC_RETURN_IF_ERROR(tx->RevokeUserSessions(*user_id, ""));
    CASESYNC_RETURN_IF_ERROR(tx->ClearFailures("email:" + user->email));
    return tx->Commit();
  }

  // ---- sync ----

  // What one committed push did.
  struct PushOutcome {
    int64_t last = 0;  // the client's lastMutationId after it
    int64_t applied = 0, rejected = 0, skipped = 0;
    ChangeSet changes;
  };

  // Applies `push` in one write transaction and commits it. Without
  // `savepoints`, a mutation that fails after writing sets `*partial` and
  // nothing is committed (the caller runs it again with savepoints).
  Result<PushOutcome> PushInTransaction(const Session& session,
                                        const PushRequest& push,
                                        const std::string& now, bool savepoints,
                                        bool* partial) {
    *partial = false;
    CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    CASESYNC_ASSIGN_OR_RETURN(ClientRecord client,
                              ClaimClient(*tx, session, push.client_id));
    PushOutcome out;
    int64_t& last = out.last;
    last = client.last_mutation_id;
    MutationEnv env;
    env.actor = session.actor;
    env.now = now;
    env.client_id = push.client_id;
    env.authoritative = true;
    for (const MutationRecord& m : push.mutations) {
      if (m.id <= last) {
        ++out.skipped;
        continue;
      }
      if (m.id != last + 1) {
        return Status(ErrorCode::kMutationGap,
                      "mutation " + std::to_string(m.id) +
                          " skips ahead: expected " + std::to_string(last + 1));
      }
      env.mutation_id = m.id;
      auto body = [&]() -> Status {
        CASESYNC_RETURN_IF_ERROR(ApplyMutation(m, env, tx->mutations()));
        // E-mail to the case's contact, committed with the change.
        return mail::QueueMutationNotifications(*tx, m, env);
      };
      Status st = savepoints ? tx->InSavepoint(body)
                             : tx->WithoutSavepoint(body, partial);
      if (*partial) return st;  // rolled back whole by ~WriteTx
      if (st.ok()) {
        ++out.applied;
      } else if (!IsRuleBreak(st.code())) {
        return st;  // the whole push rolls back
      } else {
        // Kept with its args as a tree (the pull sends them back).
        Rejection rejection{m.id, st.code(), st.message(), m};
        Json args;
        rejection.mutation.args = ArgsTree(m, &args);
        rejection.mutation.args_text.clear();
        rejection.mutation.args_index.clear();
        CASESYNC_RETURN_IF_ERROR(
            tx->AddRejection(push.client_id, session.user.id, rejection));
        ++out.rejected;
      }
      last = m.id;
    }
    if (last != client.last_mutation_id) {
      client.prev_mutation_id = client.last_mutation_id;
      client.prev_push_seq = client.last_push_seq;
      client.last_mutation_id = last;
      client.last_push_seq = tx->changes().head;
      CASESYNC_RETURN_IF_ERROR(tx->PutClient(client));
    }
    CASESYNC_RETURN_IF_ERROR(tx->Commit());
    out.changes = tx->changes();
    return out;  // ~WriteTx releases the writer before anyone is woken
  }

  Result<PushResponse> Push(const Session& session,
                            const PushRequest& push) override {
    CASESYNC_RETURN_IF_ERROR(CheckSyncAllowed(session, push.client_id));
    std::string now = FormatIsoTime(clock_.NowMs());
    // Without a savepoint per mutation first (the mutators check every rule
    // before they write, so a rejection has nothing to undo); should a
    // mutation break a rule after writing, that transaction is dropped
    // unwritten and the push runs again with a savepoint per mutation.
    bool partial = false;
    Result<PushOutcome> outcome =
        PushInTransaction(session, push, now, /*savepoints=*/false, &partial);
    if (partial) {
      outcome =
          PushInTransaction(session, push, now, /*savepoints=*/true, &partial);
    }
    if (!outcome.ok()) return outcome.status();
    {
      std::lock_guard<std::mutex> lock(counters_mu_);
      ++counters_.pushes;
      counters_.mutations_applied += outcome->applied;
      counters_.mutations_rejected += outcome->rejected;
      counters_.mutations_skipped += outcome->skipped;
    }
    // After the writer lock is released (the transaction is gone).
    if (outcome->applied + outcome->rejected > 0) {
      registry_.Wake(outcome->changes);
    }
    return PushResponse{outcome->last};
  }

  Result<PullResponse> Pull(const Session& session,
                            const PullRequest& pull) override {
    CASESYNC_ASSIGN_OR_RETURN(std::string text, PullText(session, pull));
    return DecodePullResponse(text);
  }

  Result<std::string> PullText(const Session& session,
                               const PullRequest& pull) override {
    CASESYNC_RETURN_IF_ERROR(CheckSyncAllowed(session, pull.client_id));
    std::string scope = ScopeOf(session.actor);
    // A cursor that does not parse (or of another database or scope) asks
    // for a snapshot: -1.
    int64_t after_seq = -1;
    if (pull.cursor) {
      after_seq = ParseCursor(*pull.cursor, epoch_, scope).value_or(-1);
    }

    // One snapshot reads the head, the page, the client and its
    // rejections; a reader that is up to date costs no row scan.
    CASESYNC_ASSIGN_OR_RETURN(
        ChangePage page,
        store_->ReadChanges(session.actor, std::max<int64_t>(after_seq, 0),
                            options_.pull_page_rows, pull.client_id));
    if (after_seq > page.head) {
      // From the future: another database. A snapshot instead.
      after_seq = -1;
      CASESYNC_ASSIGN_OR_RETURN(
          page, store_->ReadChanges(session.actor, 0, options_.pull_page_rows,
                                    pull.client_id));
    }
    bool snapshot = after_seq < 0;
    if (!page.client) {
      // A new client: it has no rejections and no mutations yet.
      CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
      CASESYNC_ASSIGN_OR_RETURN(ClientRecord claimed,
                                ClaimClient(*tx, session, pull.client_id));
      CASESYNC_RETURN_IF_ERROR(tx->Commit());
      page.client = claimed;
    } else if (page.client->user_id != session.user.id) {
      return ForeignClient();
    }
    int64_t covered = page.more ? page.last_seq : page.head;
    // Only a page that reaches the head confirms pushes: before it, a row
    // a push wrote may have been rewritten after the page's cutoff, and a
    // client that dropped the pending mutation would lose its effect from
    // the view until a later page (found by tests/sim; regression test in
    // tests/server/pull_paging_test.cpp). 0 is ignored by the replica.
    int64_t last_mutation_id = page.more ? 0 : page.client->last_mutation_id;

    // Everything but the rows goes through the core's encoder (a shell
    // with an empty patch, or just the clear op); the rows' text from the
    // store goes into its patch array as it is.
    PullResponse shell;
    shell.cursor = MakeCursor(epoch_, scope, covered);
    shell.last_mutation_id = last_mutation_id;
    shell.more = page.more;
    if (snapshot) shell.patch.push_back(PatchOp{PatchOpKind::kClear, "", {}});
    // A rejection whose sequence the client has applied past was stored
    // with the pull that carried it: delivered. That is the request's cursor,
    // or for a pipelined pull (asked before the previous page was stored)
    // the cursor it says it has applied; the rejections after it come again,
    // and the client records each mutation's rejection once.
    int64_t applied_seq = after_seq;
    if (pull.ahead) {
      int64_t said = -1;
      if (pull.applied) {
        said = ParseCursor(*pull.applied, epoch_, scope).value_or(-1);
      }
      applied_seq = std::min(applied_seq, said);
    }
    bool seen = false;
    for (size_t i = 0; i < page.rejections.size(); ++i) {
      if (applied_seq >= 0 && page.rejection_seqs[i] <= applied_seq) {
        seen = true;
      } else {
        shell.rejections.push_back(std::move(page.rejections[i]));
      }
    }
    if (seen) {
      CASESYNC_ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
      CASESYNC_RETURN_IF_ERROR(
          tx->MarkRejectionsDelivered(pull.client_id, applied_seq));
      CASESYNC_RETURN_IF_ERROR(tx->Commit());
    }
    std::string text = EncodePullResponse(shell);
    // The patch array ends at the first "]," after "patch":[ (the clear op
    // holds no bracket).
    size_t open = text.find("\"patch\":[");
    size_t close = open == std::string::npos ? open : text.find("],", open);
    if (close == std::string::npos) {
      return Status(ErrorCode::kInternal, "unexpected pull encoding");
    }
    std::string out;
    out.reserve(text.size() + page.patch_json.size() + 1);
    out.append(text, 0, close);
    if (snapshot && page.op_count > 0) out += ',';
    out += page.patch_json;
    out.append(text, close, std::string::npos);
    {
      std::lock_guard<std::mutex> lock(counters_mu_);
      ++counters_.pulls;
      counters_.pull_rows += static_cast<int64_t>(page.op_count);
    }
    return out;
  }

  void WaitForChange(const Session& session, std::optional<std::string> cursor,
                     std::chrono::milliseconds timeout,
                     std::function<void(PokeResponse)> done) override {
    std::string text = cursor.value_or("");
    std::optional<int64_t> after;
    if (cursor) after = ParseCursor(*cursor, epoch_, ScopeOf(session.actor));
    if (after && *after > 0) {
      auto head = store_->Head();
      if (!head.ok() || *after > *head) after.reset();
    }
    if (!after) {
      // No usable cursor: the client must pull (a snapshot) now.
      done(PokeResponse{true, std::move(text)});
      return;
    }
    auto wait = std::clamp<std::chrono::milliseconds>(
        timeout, std::chrono::milliseconds(0), kMaxPokeWait);
    uint64_t id =
        registry_.Add(session.actor, std::move(text),
                      PokeRegistry::Clock::now() + wait, std::move(done));
    if (id == 0) return;  // shut down: already answered
    // Registered first, checked second: a push that commits after the check
    // wakes the waiter; one that committed before is seen by the check.
    auto changed = store_->HasChangesAfter(session.actor, *after);
    if (!changed.ok() || *changed) registry_.Fire(id);
  }

  std::vector<CatalogItem> Catalog() override {
    auto items = store_->ListCatalog();
    return items.ok() ? std::move(*items) : std::vector<CatalogItem>();
  }

  // ---- operations ----

  Status Healthy() override { return store_->Head().status(); }
  int64_t OpenLongPolls() const override { return registry_.size(); }
  SyncCounters Counters() const override {
    SyncCounters c;
    {
      std::lock_guard<std::mutex> lock(counters_mu_);
      c = counters_;
    }
    WalCheckpoints w = store_->Checkpoints();
    c.wal_checkpoints_background = w.background;
    c.wal_checkpoints_in_commit = w.in_commit;
    return c;
  }
  std::vector<DemoLogin> DemoLogins() const override {
    return options_.demo ? DemoLoginList() : std::vector<DemoLogin>();
  }
  void Shutdown() override { registry_.Shutdown(); }
  Store& store() override { return *store_; }
  void WakeWaiters(const ChangeSet& changes) override {
    registry_.Wake(changes);
  }

 private:
  void Log(const std::string& line) {
    if (options_.log) {
      options_.log(line);
    } else {
      std::cerr << line << "\n";
    }
  }

  // The session of a token hash with its user, from the cache when the
  // entry is younger than kSessionCacheMs and no session or user changed
  // since it was read (Store::AuthGeneration); otherwise from the store.
  // The caller checks revocation, expiry and the user's status every time.
  Result<std::optional<std::pair<SessionRecord, UserRecord>>> FindSession(
      const std::string& token_hash, int64_t now) {
    using Found = std::optional<std::pair<SessionRecord, UserRecord>>;
    uint64_t generation = store_->AuthGeneration();  // before the read
    {
      std::lock_guard<std::mutex> lock(session_cache_mu_);
      auto it = session_cache_.find(token_hash);
      if (it != session_cache_.end()) {
        const CachedSession& c = it->second;
        if (c.generation == generation && now >= c.loaded_ms &&
            now - c.loaded_ms < kSessionCacheMs) {
          return Found(std::make_pair(c.session, c.user));
        }
        session_cache_.erase(it);
      }
    }
    CASESYNC_ASSIGN_OR_RETURN(Found found, store_->FindSession(token_hash));
    if (found) {
      std::lock_guard<std::mutex> lock(session_cache_mu_);
      if (session_cache_.size() >= kSessionCacheEntries) session_cache_.clear();
      session_cache_[token_hash] =
          CachedSession{found->first, found->second, generation, now};
    }
    return found;
  }

  // kRateLimited when `key` has reached the limit within the window
  // (failures only, or every attempt when `all`).
  Status CheckThrottle(const std::string& key, int64_t now, bool all) {
    int64_t since = now - kThrottleWindowMs;
    CASESYNC_ASSIGN_OR_RETURN(int64_t n,
                              all ? store_->CountAttempts(key, since)
                                  : store_->CountFailures(key, since));
    if (n >= options_.login_failures_per_15_min) return kThrottled;
    return Status::Ok();
  }

  Status CheckSyncAllowed(const Session& session, std::string_view client_id) {
    if (session.must_change_password) {
      return Status(ErrorCode::kPasswordChangeRequired,
                    "Cambie su contraseña temporal para continuar. / Change "
                    "your temporary password to continue.");
    }
    if (client_id.empty() || client_id.size() > kMaxClientIdLength ||
        !IsValidId(client_id)) {
      return Status(ErrorCode::kInvalidRequest, "clientId is not valid");
    }
    return Status::Ok();
  }

  static Status ForeignClient() {
    return Status(ErrorCode::kForbidden,
                  "Este clientId pertenece a otro usuario. / This clientId "
                  "belongs to another user.");
  }

  // The client row, created for the session's user on first use; another
  // user's client is kForbidden.
  Result<ClientRecord> ClaimClient(WriteTx& tx, const Session& session,
                                   std::string_view client_id) {
    CASESYNC_ASSIGN_OR_RETURN(auto client, tx.GetClient(client_id));
    if (client) {
      if (client->user_id != session.user.id) return ForeignClient();
      return std::move(*client);
    }
    ClientRecord fresh;
    fresh.id = std::string(client_id);
    fresh.user_id = session.user.id;
    CASESYNC_RETURN_IF_ERROR(tx.PutClient(fresh));
    return fresh;
  }

  ServiceOptions options_;
  Clock& clock_;
  std::unique_ptr<Store> store_;
  HashCost cost_;
  std::string epoch_;
  std::string dummy_hash_;
  PokeRegistry registry_;
  // Sessions by token hash (never by token), see FindSession.
  struct CachedSession {
    SessionRecord session;
    UserRecord user;
    uint64_t generation = 0;
    int64_t loaded_ms = 0;
  };
  std::mutex session_cache_mu_;
  std::unordered_map<std::string, CachedSession> session_cache_;
  mutable std::mutex counters_mu_;
  SyncCounters counters_;
};

}  // namespace

Clock& SystemClock() {
  static SystemClockImpl clock;
  return clock;
}

Result<std::unique_ptr<Service>> Service::Open(const ServiceOptions& options) {
  CASESYNC_RETURN_IF_ERROR(InitCrypto());
  if (options.data_dir.empty()) {
    return Status(ErrorCode::kInvalidRequest, "a data directory is required");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Status(ErrorCode::kStorage,
                  "cannot create " + options.data_dir + ": " + ec.message());
  }
  SqliteStoreOptions store_options;
  store_options.path =
      (std::filesystem::path(options.data_dir) / "casesync.db").string();
  store_options.synchronous = options.synchronous;
  CASESYNC_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                            OpenSqliteStore(store_options));
  auto service = std::make_unique<ServiceImpl>(options, std::move(store));
  CASESYNC_RETURN_IF_ERROR(service->Init());
  return std::unique_ptr<Service>(std::move(service));
}

int64_t ExpectedMutationId(const Status& gap) {
  if (gap.code() != ErrorCode::kMutationGap) return -1;
  constexpr std::string_view kMarker = "expected ";
  const std::string& m = gap.message();
  auto pos = m.rfind(kMarker);
  if (pos == std::string::npos) return -1;
  const char* begin = m.data() + pos + kMarker.size();
  int64_t id = -1;
  auto [end, ec] = std::from_chars(begin, m.data() + m.size(), id);
  if (ec != std::errc() || end == begin) return -1;
  return id;
}

}  // namespace casesync::server
