// Prometheus metrics of casesync-server (text exposition format 0.0.4),
// served at GET /metrics.
//
//   casesync_http_requests_total{route,status}          counter
//   casesync_http_request_duration_seconds{route}       histogram
//   casesync_sync_pushes_total, ..._mutations_applied_total,
//   ..._mutations_rejected_total, ..._mutations_skipped_total,
//   ..._pulls_total, ..._pull_rows_total                 counters (Service)
//   casesync_sync_open_long_polls                        gauge (Service)
//   casesync_http_in_flight_requests                     gauge (transport)
//   casesync_http_worker_queue                           gauge (WorkerPool)
//
// `route` is one of a fixed set (the route table of api.cpp, "static" and
// "unmatched"), so label cardinality is bounded. Thread-safe: recording is
// lock-free (atomics); Render() may run concurrently with recording.
#ifndef CASESYNC_SERVER_METRICS_H_
#define CASESYNC_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "service.h"

namespace casesync::server {

class Metrics {
 public:
  // `routes` are the label values RecordRequest() may receive, by index.
  explicit Metrics(std::vector<std::string> routes);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request. `route` indexes the constructor's list; an
  // out-of-range index is ignored. `status` outside 100..599 counts as 500.
  void RecordRequest(size_t route, int status, double seconds);

  // The exposition text. `counters` and `open_long_polls` come from the
  // Service, `in_flight` from the transport, `worker_queue` from the Api's
  // WorkerPool (requests handed to it and not yet started).
  std::string Render(const SyncCounters& counters, int64_t open_long_polls,
                     int64_t in_flight, int64_t worker_queue) const;

  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,  0.5,    1,     2.5,  5,     30};

 private:
  struct Route {
    std::array<std::atomic<uint64_t>, 500> by_status{};  // index status - 100
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // +Inf
    std::atomic<uint64_t> sum_micros{0};
    std::atomic<uint64_t> count{0};
  };
  std::vector<std::string> names_;
  std::unique_ptr<Route[]> routes_;
};

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_METRICS_H_
