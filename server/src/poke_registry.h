// Long-poll waiters (GET /api/v1/sync/poke) without a thread each: a
// registry of callbacks with deadlines, woken by committed pushes, and one
// timer thread that answers the ones whose deadline passed.
//
// Each waiter's callback is called exactly once: by Wake (changed=true), by
// the timer (changed=false), by Cancel's caller, or by Shutdown
// (changed=false). Callbacks run on the waking thread (the pushing request's
// thread, or the timer thread) outside the registry's lock; they must be
// quick (hand the answer to the transport) and must not call back into the
// registry synchronously... except Add, which is safe.
//
// Thread-safe.
#ifndef CASESYNC_SERVER_POKE_REGISTRY_H_
#define CASESYNC_SERVER_POKE_REGISTRY_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "casesync/domain.h"
#include "casesync/protocol.h"
#include "store.h"

namespace casesync::server {

// Whether a change set may hold something `reader` can see (DESIGN §3):
// staff see everything; a customer admin the public changes of the
// account's cases; a customer those of cases where they are the contact;
// everyone sees catalog, user and account changes and their own rejections.
bool MayConcern(const ChangeSet& changes, const Actor& reader);

class PokeRegistry {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void(PokeResponse)>;

  PokeRegistry();
  ~PokeRegistry();  // Shutdown()
  PokeRegistry(const PokeRegistry&) = delete;
  PokeRegistry& operator=(const PokeRegistry&) = delete;

  // Registers a waiter; returns its id, or 0 after Shutdown (then the
  // callback has already been called with changed=false).
  uint64_t Add(const Actor& reader, std::string cursor,
               Clock::time_point deadline, Callback done);
  // Answers waiter `id` with changed=true if it is still waiting; false if it
  // was already answered.
  bool Fire(uint64_t id);
  // Answers every waiter `changes` may concern with changed=true.
  void Wake(const ChangeSet& changes);
  // Answers everyone with changed=false and stops the timer thread.
  // Idempotent.
  void Shutdown();
  int64_t size() const;

 private:
  struct Waiter {
    Actor reader;
    std::string cursor;
    Clock::time_point deadline;
    Callback done;
  };
  void TimerLoop();
  // Removes waiter `id` (lock held); false if absent.
  bool TakeLocked(uint64_t id, Waiter* out);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Waiter> waiters_;
  std::set<std::pair<Clock::time_point, uint64_t>> deadlines_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_POKE_REGISTRY_H_
