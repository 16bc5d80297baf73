#include "metrics.h"

#include <cstdio>

namespace casesync::server {
namespace {

void Append(std::string* out, const char* fmt, auto... args) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, fmt, args...);
  if (n > 0) out->append(buf, std::min<size_t>(n, sizeof buf - 1));
}

void Counter(std::string* out, const char* name, const char* help,
             int64_t value) {
  Append(out, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", name, help, name,
         name, static_cast<long long>(value));
}

void Gauge(std::string* out, const char* name, const char* help,
           int64_t value) {
  Append(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name,
         name, static_cast<long long>(value));
}

}  // namespace

Metrics::Metrics(std::vector<std::string> routes)
    : names_(std::move(routes)), routes_(new Route[names_.size()]) {}

void Metrics::RecordRequest(size_t route, int status, double seconds) {
  if (route >= names_.size()) return;
  Route& r = routes_[route];
  if (status < 100 || status > 599) status = 500;
  r.by_status[status - 100].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  r.buckets[b].fetch_add(1, std::memory_order_relaxed);
  r.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6),
                         std::memory_order_relaxed);
  r.count.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render(const SyncCounters& c, int64_t open_long_polls,
                            int64_t in_flight, int64_t worker_queue) const {
  std::string out;
  out.reserve(8192);
  out +=
      "# HELP casesync_http_requests_total HTTP requests answered, by route "
      "and status.\n# TYPE casesync_http_requests_total counter\n";
  for (size_t i = 0; i < names_.size(); ++i) {
    for (int s = 0; s < 500; ++s) {
      uint64_t v = routes_[i].by_status[s].load(std::memory_order_relaxed);
      if (v == 0) continue;
      Append(&out,
             "casesync_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
             names_[i].c_str(), s + 100, static_cast<unsigned long long>(v));
    }
  }
  out +=
      "# HELP casesync_http_request_duration_seconds Time from a complete "
      "request to its answer, by route.\n# TYPE "
      "casesync_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i < names_.size(); ++i) {
    const Route& r = routes_[i];
    uint64_t count = r.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += r.buckets[b].load(std::memory_order_relaxed);
      if (b < kBuckets.size()) {
        Append(&out,
               "casesync_http_request_duration_seconds_bucket{route=\"%s\","
               "le=\"%g\"} %llu\n",
               names_[i].c_str(), kBuckets[b],
               static_cast<unsigned long long>(cumulative));
      } else {
        Append(&out,
               "casesync_http_request_duration_seconds_bucket{route=\"%s\","
               "le=\"+Inf\"} %llu\n",
               names_[i].c_str(), static_cast<unsigned long long>(cumulative));
      }
    }
    Append(
        &out, "casesync_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
        names_[i].c_str(), r.sum_micros.load(std::memory_order_relaxed) / 1e6);
    Append(&out,
           "casesync_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
           names_[i].c_str(), static_cast<unsigned long long>(count));
  }
  Counter(&out, "casesync_sync_pushes_total", "Push requests applied.",
          c.pushes);
  Counter(&out, "casesync_sync_mutations_applied_total",
          "Pushed mutations applied.", c.mutations_applied);
  Counter(&out, "casesync_sync_mutations_rejected_total",
          "Pushed mutations rejected (kept for the next pull).",
          c.mutations_rejected);
  Counter(&out, "casesync_sync_mutations_skipped_total",
          "Pushed mutations skipped as replays.", c.mutations_skipped);
  Counter(&out, "casesync_sync_pulls_total", "Pull requests answered.",
          c.pulls);
  Counter(&out, "casesync_sync_pull_rows_total", "Patch rows sent in pulls.",
          c.pull_rows);
  Counter(&out, "casesync_wal_checkpoints_background_total",
          "WAL checkpoints run by the store's own thread.",
          c.wal_checkpoints_background);
  Counter(&out, "casesync_wal_checkpoints_in_commit_total",
          "WAL checkpoints run inside a commit (a background pass's tail, or "
          "the fallback).",
          c.wal_checkpoints_in_commit);
  Gauge(&out, "casesync_sync_open_long_polls", "Poke long polls waiting.",
        open_long_polls);
  Gauge(&out, "casesync_http_in_flight_requests",
        "Requests received and not yet answered.", in_flight);
  Gauge(&out, "casesync_http_worker_queue",
        "Requests handed to the worker threads and not yet started.",
        worker_queue);
  return out;
}

}  // namespace casesync::server
