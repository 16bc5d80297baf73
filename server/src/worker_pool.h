// A fixed pool of threads for the handlers that must not run on the
// transport's network thread: the ones that may take long or wait (password
// hashing, e-mail, files on disk, large pushes). docs/http.md "Threads".
#ifndef CASESYNC_SERVER_WORKER_POOL_H_
#define CASESYNC_SERVER_WORKER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace casesync::server {

class WorkerPool {
 public:
  // Starts `threads` threads (at least 1).
  explicit WorkerPool(size_t threads);
  // Runs what is queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; one of the threads runs it. Tasks should not throw (an
  // exception is caught and dropped, so that the thread survives).
  void Post(std::function<void()> task);

  size_t threads() const { return threads_.size(); }
  // Tasks queued and not yet started.
  size_t Queued() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// The default size: max(4, 2 × hardware threads). Password hashing is the
// longest task (argon2id, ~64 MiB and tens of ms each), so a few may run at
// once on every core.
size_t DefaultWorkerThreads();

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_WORKER_POOL_H_
