// casesync_sim: the soak driver of the deterministic simulation
// (simulation.h). Runs seeds start..start+N-1 (or one --seed), prints a
// summary line per failing seed with the command that replays it, and the
// totals at the end. Exit status 1 when any invariant broke.
//
//   casesync_sim --seeds 1000 --start 1 --mutations 1000
//   casesync_sim --soak-seconds 3600 --mutations 1000   (seeds until time)
//   casesync_sim --seed 42 --mutations 300 --trace --keep   (replay one)
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "simulation.h"

namespace {

int Usage() {
  std::cerr << "usage: casesync_sim [--seeds N] [--start S] [--seed X] "
               "[--mutations M] [--clients C] [--soak-seconds T] "
               "[--no-faults] [--trace] [--keep] [--dir DIR] [--quiet]\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  using casesync::sim::SimConfig;
  using casesync::sim::SimStats;
  int64_t seeds = 10;
  uint64_t start = 1;
  double soak_seconds = 0;
  bool quiet = false;
  SimConfig config;
  config.work_dir = "/dev/shm/casesync-sim-" + std::to_string(::getpid());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) return nullptr;
      return argv[++i];
    };
    const char* v = nullptr;
    if (a == "--seeds" && (v = value())) {
      seeds = std::atoll(v);
    } else if (a == "--start" && (v = value())) {
      start = std::strtoull(v, nullptr, 10);
    } else if (a == "--seed" && (v = value())) {
      start = std::strtoull(v, nullptr, 10);
      seeds = 1;
    } else if (a == "--mutations" && (v = value())) {
      config.mutations = std::atoll(v);
    } else if (a == "--clients" && (v = value())) {
      config.clients = std::atoi(v);
    } else if (a == "--soak-seconds" && (v = value())) {
      soak_seconds = std::atof(v);
      seeds = INT64_MAX;
    } else if (a == "--dir" && (v = value())) {
      config.work_dir = v;
    } else if (a == "--dump-messages" && (v = value())) {
      // Writes the first messages of each kind to DIR/<kind>-<n>.json.
      std::string dir = v;
      config.on_message = [dir](const std::string& kind,
                                const std::string& body) {
        static std::map<std::string, int> count;
        int n = ++count[kind];
        if (n > 40) return;
        std::ofstream(dir + "/" + kind + "-" + std::to_string(n) + ".json")
            << body;
      };
    } else if (a == "--apply-stale-pulls") {
      config.apply_stale_pulls = true;
    } else if (a == "--no-faults") {
      config.faults = false;
    } else if (a == "--keep") {
      config.keep_files = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--trace") {
      config.trace = [](const std::string& line) { std::cout << line << "\n"; };
    } else {
      return Usage();
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
        .count();
  };
  SimStats total;
  int64_t failed = 0, ran = 0;
  for (int64_t n = 0; n < seeds; ++n) {
    if (soak_seconds > 0 && elapsed() >= soak_seconds) break;
    config.seed = start + static_cast<uint64_t>(n);
    SimStats s = casesync::sim::RunSimulation(config);
    ++ran;
    total.Add(s);
    if (!s.ok()) {
      ++failed;
      std::cout << "FAIL seed " << config.seed << ": " << s.violations[0]
                << "\n  replay: " << casesync::sim::ReplayCommand(config)
                << "\n";
      for (size_t i = 1; i < s.violations.size(); ++i) {
        std::cout << "  also: " << s.violations[i] << "\n";
      }
    } else if (!quiet && seeds <= 20) {
      std::cout << "seed " << config.seed << ": " << casesync::sim::Summary(s)
                << "\n";
    }
    if (ran % 10 == 0) {
      // Running totals, so that a soak stopped early still has its figures.
      std::cout << "... seeds=" << ran << " failed=" << failed
                << " seconds=" << elapsed() << " "
                << casesync::sim::Summary(total) << std::endl;
    }
  }
  std::cout << "seeds=" << ran << " (from " << start << ") failed=" << failed
            << " seconds=" << elapsed() << "\n"
            << "total: " << casesync::sim::Summary(total) << "\n";
  return failed == 0 ? 0 : 1;
}
