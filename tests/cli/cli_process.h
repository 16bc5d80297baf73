// Runs the real `casesync` binary (CASESYNC_CLI_BIN, set by ctest) as a
// subprocess and collects its exit code and output. Thread-safe: each run
// gets its own output files under the current directory.
#ifndef CASESYNC_TESTS_CLI_CLI_PROCESS_H_
#define CASESYNC_TESTS_CLI_CLI_PROCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "casesync/protocol.h"

namespace casesync::clitest {

struct CliRun {
  int code = -1;  // exit code; -1 killed by a signal, -2 timed out
  std::string out;
  std::string err;
  Json json() const;  // stdout parsed; null when it is not JSON
};

// casesync --server http://127.0.0.1:PORT --data DIR ARGS… with `input` on
// stdin; killed after `timeout_ms`.
CliRun RunCli(uint16_t port, const std::string& data_dir,
              const std::vector<std::string>& args,
              const std::string& input = "", int timeout_ms = 120000);

}  // namespace casesync::clitest

#endif  // CASESYNC_TESTS_CLI_CLI_PROCESS_H_
