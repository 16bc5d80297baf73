#include "cli_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace casesync::clitest {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Json CliRun::json() const {
  auto j = ParseJson(out, 64 << 20);
  return j.ok() ? *j : Json();
}

CliRun RunCli(uint16_t port, const std::string& data_dir,
              const std::vector<std::string>& args, const std::string& input,
              int timeout_ms) {
  static std::atomic<int> counter{0};
  const char* bin = std::getenv("CASESYNC_CLI_BIN");
  CliRun run;
  if (bin == nullptr) {
    run.err = "CASESYNC_CLI_BIN is not set";
    return run;
  }
  std::string base = "cli-run-" + std::to_string(getpid()) + "-" +
                     std::to_string(counter.fetch_add(1));
  std::string in_path = base + ".in", out_path = base + ".out",
              err_path = base + ".err";
  {
    std::ofstream in(in_path);
    in << input;
  }
  std::vector<std::string> argv_s = {bin, "--server",
                                     "http://127.0.0.1:" + std::to_string(port),
                                     "--data", data_dir};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  bool done = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      done = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!done) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    run.code = -2;
  } else {
    run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return run;
}

}  // namespace casesync::clitest
