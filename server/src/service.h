// The server's application layer: everything casesync-server does, below
// HTTP. The HTTP handlers (api.cpp) decode a request, call one method here,
// and encode its result; nothing here knows about HTTP, and nothing in the
// handlers touches storage.
//
// Thread-safety: every method may be called concurrently from the
// transport's network thread and its workers (api.h "Threads"). Writes are
// serialised (one writer, so change sequence order is commit order); reads run
// in parallel (SQLite WAL, one connection per thread).
//
// Errors are Status codes of the core registry (casesync/status.h); the
// transport maps them to HTTP with HttpStatusFor(). Messages never contain
// secrets (passwords, tokens, hashes).
#ifndef CASESYNC_SERVER_SERVICE_H_
#define CASESYNC_SERVER_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "casesync/domain.h"
#include "casesync/protocol.h"
#include "casesync/status.h"

namespace casesync::server {

class Store;
struct ChangeSet;

// Injectable time source (tests move it; production reads the system clock).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() = 0;  // Unix milliseconds
};
// The system clock.
Clock& SystemClock();

// Rows per pull page unless configured (--pull-page-rows). Each page costs a
// browser a fixed ~8 ms to store beyond its rows (a transaction, a WAL
// append, a round of the sync loop): the web bench's first sync of 10,000
// cases ran at a median of ~44,000 rows/s with pages of 5,000, ~35,000 with
// 2,000 and ~29,000–34,000 with 1,000, whose only gain is a usable list
// after ~57 ms instead of ~129 ms (docs/benchmarks.md, Web).
inline constexpr size_t kDefaultPullPageRows = kMaxPullResponseRows;

struct ServiceOptions {
  std::string data_dir;              // holds casesync.db (created if absent)
  std::string synchronous = "FULL";  // or "NORMAL" (see docs/server.md)
  bool demo = false;                 // seed demo accounts and users
  int session_hours = 12;            // without "Recordarme"
  int remember_days = 30;            // sliding, with "Recordarme"
  int reset_token_minutes = 60;
  int login_failures_per_15_min = 10;  // per account and per address
  Clock* clock = nullptr;              // nullptr: SystemClock()
  // When true, reset tokens and temporary passwords are also written to the
  // log (demo only; never in production).
  bool log_demo_secrets = false;
  // Added by the service layer:
  // Tests only: argon2id with libsodium's MIN limits instead of INTERACTIVE
  // (hashes made with either verify; a login rehashes to the current cost).
  bool fast_password_hashing = false;
  // Rows per pull page, 1..kMaxPullResponseRows (tests use small pages).
  size_t pull_page_rows = kDefaultPullPageRows;
  // Where log lines go (one line per call, no trailing newline); nullptr:
  // stderr. Never receives a secret unless log_demo_secrets is set.
  std::function<void(const std::string&)> log;
};

// An authenticated session (from a bearer token).
struct Session {
  std::string session_id;  // not the token; safe to log
  User user;
  Actor actor;  // user id, account id and role: the only authority
  bool must_change_password = false;
  std::string expires_at;
};

struct LoginResult {
  std::string token;  // 128-bit random, hex; stored hashed
  Session session;
};

struct RegisterRequest {
  std::string email;
  std::string name;
  std::string phone;
  std::string password;
};

struct RegisterResult {
  User user;  // status active (trusted domain) or pending (agent review)
};

// One demo login printed by tools/run.
struct DemoLogin {
  std::string email;
  std::string password;
  std::string role;
  std::string account;
};

// Totals since start, for /metrics.
struct SyncCounters {
  int64_t pushes = 0;
  int64_t mutations_applied = 0;
  int64_t mutations_rejected = 0;
  int64_t mutations_skipped = 0;  // replays of already-applied ids
  int64_t pulls = 0;
  int64_t pull_rows = 0;
  int64_t wal_checkpoints_background = 0;  // Store::Checkpoints()
  int64_t wal_checkpoints_in_commit = 0;
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> Open(const ServiceOptions& options);
  virtual ~Service() = default;

  // ---- auth (DESIGN §5) ----
  // kUnauthenticated with one generic message for any wrong e-mail/password;
  // kRateLimited past the throttle; kAccountPending for pending users.
  virtual Result<LoginResult> Login(std::string_view email,
                                    std::string_view password, bool remember,
                                    std::string_view remote_addr) = 0;
  virtual Status Logout(std::string_view token) = 0;
  // The session of a bearer token; slides "remember" sessions. Expired,
  // revoked or unknown → kUnauthenticated.
  virtual Result<Session> Authenticate(std::string_view token) = 0;
  virtual Status ChangePassword(const Session& session,
                                std::string_view old_password,
                                std::string_view new_password) = 0;
  virtual Result<RegisterResult> Register(const RegisterRequest& r,
                                          std::string_view remote_addr) = 0;
  // Always OK for any syntactically valid e-mail (no enumeration); queues the
  // reset notification when the user exists.
  virtual Status RequestPasswordReset(std::string_view email,
                                      std::string_view remote_addr) = 0;
  virtual Status ConfirmPasswordReset(std::string_view token,
                                      std::string_view new_password) = 0;

  // ---- sync (DESIGN §4) ----
  // kMutationGap carries the expected id in its message as
  // "expected <n>"; see ExpectedMutationId().
  virtual Result<PushResponse> Push(const Session& session,
                                    const PushRequest& push) = 0;
  virtual Result<PullResponse> Pull(const Session& session,
                                    const PullRequest& pull) = 0;
  // The same pull, answered as its JSON text (EncodePullResponse's format,
  // what the HTTP handler sends): rows go from the store to the text
  // without a PullResponse in between. Pull() decodes this text.
  virtual Result<std::string> PullText(const Session& session,
                                       const PullRequest& pull) = 0;
  // Long poll: calls `done` exactly once, from any thread: as soon as a row
  // visible to `session` changed after `cursor`, or after `timeout` with
  // changed=false. Returns at once (never blocks the caller).
  virtual void WaitForChange(const Session& session,
                             std::optional<std::string> cursor,
                             std::chrono::milliseconds timeout,
                             std::function<void(PokeResponse)> done) = 0;
  virtual std::vector<CatalogItem> Catalog() = 0;

  // ---- operations ----
  virtual Status Healthy() = 0;  // the database answers
  virtual int64_t OpenLongPolls() const = 0;
  virtual SyncCounters Counters() const = 0;
  virtual std::vector<DemoLogin> DemoLogins() const = 0;
  // Stops long polls (answering them) before shutdown.
  virtual void Shutdown() = 0;

  // ---- for the mail part (server/src/mail/), which runs its own write
  // transactions on the same storage ----
  virtual Store& store() = 0;
  // Wakes the long polls a committed write may concern.
  virtual void WakeWaiters(const ChangeSet& changes) = 0;
};

// The expected id of a kMutationGap status, or -1.
int64_t ExpectedMutationId(const Status& gap);

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_SERVICE_H_
