// Test helpers: free loopback ports, a real SMTP server (Debian's
// python3-aiosmtpd, TOOLCHAIN.md) as a child process, and running a command
// with a file on stdin.
#ifndef CASESYNC_TESTS_MAIL_PROCESS_UTIL_H_
#define CASESYNC_TESTS_MAIL_PROCESS_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace casesync::server::testing {

// A port nothing listens on right now.
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

inline bool PortOpen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// aiosmtpd with the Mailbox handler: each message lands in DIR/new/.
class SmtpServer {
 public:
  SmtpServer(int port, std::string dir) : port_(port), dir_(std::move(dir)) {}
  ~SmtpServer() { Stop(); }

  bool Start() {
    // A Maildir: aiosmtpd creates it with new/, cur/ and tmp/ (an existing
    // plain folder would make every delivery fail with 500).
    for (const char* sub : {"new", "cur", "tmp"}) {
      std::filesystem::create_directories(std::filesystem::path(dir_) / sub);
    }
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l",
            listen.c_str(), "-c", "aiosmtpd.handlers.Mailbox", dir_.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (PortOpen(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Files in DIR/new, oldest first by name.
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    std::filesystem::path box = std::filesystem::path(dir_) / "new";
    if (!std::filesystem::exists(box)) return out;
    for (const auto& e : std::filesystem::directory_iterator(box)) {
      out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string url() const {
    return "smtp://127.0.0.1:" + std::to_string(port_);
  }

 private:
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// Runs `command` through /bin/sh; its exit code (-1 if it did not exit).
inline int Run(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace casesync::server::testing

#endif  // CASESYNC_TESTS_MAIL_PROCESS_UTIL_H_
