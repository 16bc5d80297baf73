#include "worker_pool.h"

#include <algorithm>
#include <utility>

namespace casesync::server {

WorkerPool::WorkerPool(size_t threads) {
  threads = std::max<size_t>(1, threads);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
}

size_t WorkerPool::Queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void WorkerPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (...) {
    }
  }
}

size_t DefaultWorkerThreads() {
  size_t hw = std::max(1u, std::thread::hardware_concurrency());
  return std::max<size_t>(4, 2 * hw);
}

}  // namespace casesync::server
