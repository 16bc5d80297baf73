// Deterministic simulation of casesync sync (issue 5): the real server
// authority (server::Service on a real SQLite directory, with a clock the
// simulation moves) and N clients, each a real core Replica on its own SQLite
// file, talking through a simulated network that drops, duplicates, delays
// and reorders messages, while clients and the server crash and restart.
// Every message goes through the protocol codec (Encode*/Decode*).
//
// Every decision (which client acts, what it does, which message is lost or
// delivered next, when something crashes) comes from one PRNG seeded with
// SimConfig::seed, so a seed replays the same run. Session tokens and the
// server's epoch are random bytes from libsodium; they never drive a decision.
//
// After the random phase the network heals (all online, no faults), every
// client pushes until its outbox is empty and pulls until `more` is false,
// and the invariants of docs/guarantees.md are checked. Some are also checked
// during the run (visibility of every pulled row, the lifecycle of every case
// after every push, consecutive mutation ids).
//
// Not thread-safe; one simulation per call. Files live under
// SimConfig::work_dir and are removed unless the run fails or keep_files.
#ifndef CASESYNC_TESTS_SIM_SIMULATION_H_
#define CASESYNC_TESTS_SIM_SIMULATION_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace casesync::sim {

// Every fault the simulation injects, counted in SimStats::faults.
enum class Fault {
  kDropRequest,        // the network loses a request
  kDropResponse,       // the network loses a reply
  kDuplicateRequest,   // a request is delivered twice
  kReorder,            // a message is delivered before an older one
  kOffline,            // a client goes offline (in-flight replies are lost)
  kClientCrash,        // a client process dies between operations
  kCrashBeforeApply,   // a client dies with a pull reply received, unapplied
  kServerCrash,        // the server dies before handling a request
  kServerCrashReply,   // the server dies after committing, before replying
  kStaleReplyIgnored,  // not a fault: a pull reply the client discarded
  kCount,
};
inline constexpr size_t kFaultCount = static_cast<size_t>(Fault::kCount);
const char* FaultName(Fault f);

struct SimConfig {
  uint64_t seed = 1;
  // Mutations the clients queue (Mutate calls that succeed) before the
  // network heals. Locally refused attempts do not count.
  int64_t mutations = 300;
  int clients = 8;
  bool faults = true;
  // Directory for the server's data and the replicas; created, and removed
  // afterwards unless the run failed or keep_files is set.
  std::string work_dir = "sim-work";
  bool keep_files = false;
  // Apply pull replies even when the replica's cursor moved since the request
  // (a client that does not match replies to requests). Convergence still
  // holds; "a confirmed mutation's effect is in the view" does not.
  bool apply_stale_pulls = false;
  // Step-by-step log (what each client did, what the network did).
  std::function<void(const std::string&)> trace;
  // Every message put on the network: kind ("push", "pull", "push-reply",
  // "pull-reply") and body (used to seed the fuzz corpora).
  std::function<void(const std::string& kind, const std::string& body)>
      on_message;
};

struct SimStats {
  uint64_t seed = 0;
  int64_t steps = 0;
  int64_t mutations_queued = 0;    // accepted by a replica's Mutate
  int64_t mutations_refused = 0;   // refused locally (invalid for the view)
  int64_t mutations_applied = 0;   // applied by the server
  int64_t mutations_rejected = 0;  // rejected by the server (kept for users)
  int64_t pushes = 0;              // push requests handled by the server
  int64_t pulls = 0;               // pull requests handled by the server
  int64_t pull_rows_checked = 0;   // pulled rows checked for visibility
  int64_t server_restarts = 0;
  int64_t client_restarts = 0;
  int64_t cases = 0;     // cases on the server at the end
  int64_t comments = 0;  // comments on the server at the end
  std::array<int64_t, kFaultCount> faults{};
  std::vector<std::string> violations;  // empty: every invariant held

  bool ok() const { return violations.empty(); }
  int64_t TotalFaults() const;      // every injected fault (not stale replies)
  void Add(const SimStats& other);  // sums counters and violations
};

// Runs one seed. Never throws; setup failures are violations too.
SimStats RunSimulation(const SimConfig& config);

// The command that replays `config`'s seed with the soak driver.
std::string ReplayCommand(const SimConfig& config);

// One line of figures, e.g. for the soak driver and the test log.
std::string Summary(const SimStats& stats);

}  // namespace casesync::sim

#endif  // CASESYNC_TESTS_SIM_SIMULATION_H_
