#include "poke_registry.h"

#include <vector>

namespace casesync::server {

bool MayConcern(const ChangeSet& changes, const Actor& reader) {
  if (changes.everyone) return true;
  if (changes.users.count(reader.user_id) > 0) return true;
  switch (reader.role) {
    case Role::kAgent:
    case Role::kAdmin:
      return changes.any;
    case Role::kCustomerAdmin:
      return changes.accounts.count(reader.account_id) > 0;
    case Role::kCustomer:
      return changes.contacts.count(reader.user_id) > 0;
  }
  return false;
}

PokeRegistry::PokeRegistry() : timer_([this] { TimerLoop(); }) {}

PokeRegistry::~PokeRegistry() { Shutdown(); }

uint64_t PokeRegistry::Add(const Actor& reader, std::string cursor,
                           Clock::time_point deadline, Callback done) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    lock.unlock();
    done(PokeResponse{false, std::move(cursor)});
    return 0;
  }
  uint64_t id = next_id_++;
  bool earliest = deadlines_.empty() || deadline < deadlines_.begin()->first;
  deadlines_.emplace(deadline, id);
  waiters_.emplace(
      id, Waiter{reader, std::move(cursor), deadline, std::move(done)});
  lock.unlock();
  if (earliest) cv_.notify_one();
  return id;
}

bool PokeRegistry::TakeLocked(uint64_t id, Waiter* out) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return false;
  deadlines_.erase({it->second.deadline, id});
  *out = std::move(it->second);
  waiters_.erase(it);
  return true;
}

bool PokeRegistry::Fire(uint64_t id) {
  Waiter w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!TakeLocked(id, &w)) return false;
  }
  w.done(PokeResponse{true, std::move(w.cursor)});
  return true;
}

void PokeRegistry::Wake(const ChangeSet& changes) {
  std::vector<Waiter> woken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (MayConcern(changes, it->second.reader)) {
        deadlines_.erase({it->second.deadline, it->first});
        woken.push_back(std::move(it->second));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Waiter& w : woken) w.done(PokeResponse{true, std::move(w.cursor)});
}

void PokeRegistry::Shutdown() {
  std::vector<Waiter> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !timer_.joinable()) return;
    stopping_ = true;
    for (auto& [id, w] : waiters_) all.push_back(std::move(w));
    waiters_.clear();
    deadlines_.clear();
  }
  cv_.notify_all();
  if (timer_.joinable() && timer_.get_id() != std::this_thread::get_id()) {
    timer_.join();
  }
  for (Waiter& w : all) w.done(PokeResponse{false, std::move(w.cursor)});
}

int64_t PokeRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(waiters_.size());
}

void PokeRegistry::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto [deadline, id] = *deadlines_.begin();
    if (Clock::now() < deadline) {
      cv_.wait_until(lock, deadline);
      continue;
    }
    Waiter w;
    TakeLocked(id, &w);
    lock.unlock();
    w.done(PokeResponse{false, std::move(w.cursor)});
    lock.lock();
  }
}

}  // namespace casesync::server
