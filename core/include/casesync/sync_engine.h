// The client's sync loop as a transport-free state machine over a Replica
// (DESIGN.md §4, docs/sync_engine.md). The same logic serves the native CLI
// (tools/casesync, cpprestsdk) and, later, the browser worker (fetch).
//
// The engine never does I/O besides the replica's SQLite: it says which HTTP
// request to make next, the caller makes it and hands back the status code and
// body (or a transport failure). No clocks (the caller passes `now`), no
// randomness (the caller passes a random value for the backoff jitter), no
// threads, no sleeping (the caller waits when told to).
//
//   engine.Start();                               // a sync round
//   for (;;) {
//     SyncStep step = engine.Next(rng());         // Result<SyncStep>
//     if (step.kind == SyncStep::Kind::kDone) break;
//     if (step.kind == SyncStep::Kind::kWait) { sleep(step.wait_ms); continue;
//     }
//     // send step.request with "Authorization: Bearer <token>"
//     ok ? engine.OnResponse(code, body, now) : engine.OnTransportError(what);
//   }
//   engine.GetStatus()                            // phase, pending, last sync
//
// A round pushes while the outbox has unsent mutations (batches of at most
// `max_push_batch`), then pulls until `more` is false, then pushes again if
// mutations were queued meanwhile. In watch mode a finished round is followed
// by a poke long-poll; a poke that reports a change starts the next round.
//
// Answers and what the engine does (docs/sync_engine.md has the reasons):
//   200                       applies it (AcknowledgePush / ApplyPull); a
//                             pull page asked from a cursor the replica has
//                             since left (another process pulled) is
//                             dropped and the pull asked again
//   409 mutation_gap          the server lost acknowledged mutations: rewinds
//                             the push to `expectedId` and pushes again when
//                             the outbox still holds them; otherwise pushing
//                             is blocked (pulls go on) — kBlocked
//   413                       halves the push batch and retries
//   401, 403 password change  kNeedsSignIn: the round stops; local data stays
//                             readable and Mutate() keeps queueing
//   408, 429, 5xx, transport  backoff with jitter, then the same request again;
//   failure, unreadable 200   after `max_attempts` consecutive failures the
//                             round ends kOffline (0: retry for ever)
//   any other 4xx             kBlocked (a bug or a foreign clientId: retrying
//                             would only repeat it)
//
// Not thread-safe; borrows the Replica, which must outlive the engine.
#ifndef CASESYNC_SYNC_ENGINE_H_
#define CASESYNC_SYNC_ENGINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "casesync/protocol.h"
#include "casesync/replica.h"
#include "casesync/status.h"

namespace casesync {

inline constexpr const char* kPushPath = "/api/v1/sync/push";
inline constexpr const char* kPullPath = "/api/v1/sync/pull";
inline constexpr const char* kPokePath = "/api/v1/sync/poke";

struct SyncOptions {
  // After a round, long-poll the server (poke) and sync again on a change.
  bool watch = false;
  // Consecutive failed attempts before the round ends kOffline; 0: never.
  int max_attempts = 0;
  // Backoff: attempt n waits in [d/2, d] with d = min(max, base * 2^(n-1)).
  int64_t backoff_base_ms = 500;
  int64_t backoff_max_ms = 30000;
  size_t max_push_batch = kMaxMutationsPerPush;
  // Pipelined pulls: OnResponse decodes and checks a pull page that says
  // more follow but does not store it yet. The next page's request (which
  // says which cursor is applied, docs/protocol.md §4) is then already in
  // flight: the caller takes it with TakePrefetch(), sends it, lets it leave
  // (a browser worker must return to its event loop), then calls
  // ApplyStaged(); the network and the server work while the page is
  // stored. The answer goes to OnResponse / OnTransportError as usual.
  bool pipeline_pulls = false;
};

// One HTTP request for the caller to make. Every request carries the
// session's bearer token; the engine does not know it.
struct SyncRequest {
  enum class Method { kGet, kPost };
  Method method = Method::kPost;
  std::string path;  // "/api/v1/sync/push", "/api/v1/sync/poke?cursor=…"
  std::string body;  // JSON text ("" for GET)
};

struct SyncStep {
  enum class Kind {
    kRequest,  // make `request`, then OnResponse() or OnTransportError()
    kWait,     // wait `wait_ms`, then Next() again
    kDone,     // the round is over; GetStatus() says how it ended
  };
  Kind kind = Kind::kDone;
  SyncRequest request;
  int64_t wait_ms = 0;
};

enum class SyncPhase {
  kIdle,         // no round yet, or the last one finished: all in sync
  kPushing,      // a push is due or in flight
  kPulling,      // a pull page is due or in flight
  kWatching,     // a poke long-poll is due or in flight
  kBackingOff,   // the last attempt failed; waiting before retrying
  kOffline,      // gave up after max_attempts failures; changes stay queued
  kNeedsSignIn,  // the session expired or was revoked; changes stay queued
  kBlocked,      // the server refused in a way retrying cannot fix
};
// "idle", "pushing", … (for logs and --json output).
const char* SyncPhaseName(SyncPhase p);

enum class Connectivity { kUnknown, kOnline, kOffline };
const char* ConnectivityName(Connectivity c);

// What the current round has done so far.
struct SyncProgress {
  int64_t pushes = 0;      // push requests answered 200
  int64_t pushed = 0;      // mutations sent in those pushes
  int64_t pages = 0;       // pull pages applied
  int64_t rows = 0;        // patch operations applied
  int64_t rejections = 0;  // rejections received
  int64_t failures = 0;    // failed attempts (all, not only consecutive)
  int64_t dropped = 0;     // pull pages dropped: the cursor moved meanwhile
};

struct SyncStatus {
  SyncPhase phase = SyncPhase::kIdle;
  // The last request got an HTTP answer (kOnline) or none (kOffline).
  Connectivity connectivity = Connectivity::kUnknown;
  int64_t pending = 0;          // mutations in the outbox
  int64_t open_rejections = 0;  // rejections the user has not dismissed
  std::string last_sync_at;     // "" never
  int attempts = 0;             // consecutive failed attempts
  Status last_error;  // why the last attempt failed (OK if it did not)
  SyncProgress progress;
};

// Wait before attempt `attempt` + 1 after `attempt` (≥ 1) consecutive
// failures, with `random` choosing the point in [d/2, d].
int64_t BackoffDelayMs(const SyncOptions& options, int attempt,
                       uint64_t random);

// "a b/c" → "a%20b%2Fc": RFC 3986 unreserved characters are kept.
std::string PercentEncode(std::string_view s);

class SyncEngine {
 public:
  explicit SyncEngine(Replica& replica, SyncOptions options = {});

  // Begins a round from any state (also after kNeedsSignIn, kOffline and
  // kBlocked, e.g. once the user signed in again). Resets the progress.
  void Start();

  // The next step. `random` is any fresh random value: it is used only when
  // the step is a backoff wait. Fails only when the replica fails (storage)
  // or when a request is still waiting for its answer.
  Result<SyncStep> Next(uint64_t random);

  // The answer to the request Next() returned. `now` (ISO 8601 UTC) stamps
  // the last sync. Returns non-OK only when the replica failed to store a
  // valid answer; the engine is then kBlocked with that error.
  Status OnResponse(int http_status, std::string_view body,
                    std::string_view now);
  // The request got no HTTP answer (connection refused, reset, timeout…).
  // A staged page is dropped: it is asked for again.
  void OnTransportError(std::string_view message);

  // Pipelined pulls (SyncOptions::pipeline_pulls), after OnResponse: the
  // next page's request, once; nullopt when nothing was staged.
  std::optional<SyncRequest> TakePrefetch();
  // Stores the page OnResponse staged (nothing without one). On failure the
  // engine is kBlocked and the prefetched request's answer is ignored. An
  // OnResponse that finds a page still staged stores it first.
  Status ApplyStaged(std::string_view now);

  // The state of the round with the replica's counters.
  Result<SyncStatus> GetStatus();
  SyncPhase phase() const { return phase_; }
  const SyncProgress& progress() const { return progress_; }
  const Status& last_error() const { return last_error_; }

 private:
  enum class Due { kNone, kPush, kPull, kPoke };

  Result<SyncStep> NextPush();
  Result<SyncStep> NextPull();
  Result<SyncStep> NextPoke();
  // `st`: the replica's state when the answer came.
  Status OnPushResponse(int http_status, std::string_view body,
                        const SyncState& st);
  Status OnPullResponse(int http_status, std::string_view body,
                        std::string_view now, const SyncState& st);
  void OnPokeResponse(int http_status, std::string_view body);
  // Applies a decoded, checked page and moves the round on.
  Status StorePage(const PullResponse& page, std::string_view now);
  // Decides after a round's last pull page.
  Status EndOfPulls();
  // A failed attempt: back off, or end the round kOffline.
  void Fail(const Status& why);
  void Block(const Status& why);
  void NeedsSignIn(const Status& why);
  // Classifies a non-200 answer: transient, sign-in or blocking.
  void OnErrorAnswer(int http_status, std::string_view body);

  Replica& replica_;
  SyncOptions options_;
  SyncPhase phase_ = SyncPhase::kIdle;
  Due due_ = Due::kNone;        // what Next() produces
  Due in_flight_ = Due::kNone;  // awaiting OnResponse / OnTransportError
  Due retry_ = Due::kNone;      // what to redo after a backoff wait
  Connectivity connectivity_ = Connectivity::kUnknown;
  int attempts_ = 0;
  int gap_rewinds_ = 0;  // in a row, to stop a server that keeps asking
  bool push_blocked_ = false;
  size_t push_batch_;
  int64_t push_first_ = 0;  // ids of the push in flight
  int64_t push_last_ = 0;
  std::optional<std::string> pull_cursor_;  // cursor of the pull in flight
  std::string request_client_;              // clientId of the request
  // The request in flight is a prefetch whose page could not be stored: its
  // answer is ignored.
  bool orphan_ = false;
  std::optional<PullResponse> staged_;   // decoded, checked, not stored
  std::optional<SyncRequest> prefetch_;  // not yet taken by the caller
  Status last_error_;
  SyncProgress progress_;
};

}  // namespace casesync

#endif  // CASESYNC_SYNC_ENGINE_H_
