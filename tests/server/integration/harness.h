// Test harness of the integration tests: runs the real casesync-server
// binary on a free loopback port with a temporary data directory and talks
// to it over real HTTP (libcurl) and to its database file (SQLite).
//
// The binary comes from the environment variable CASESYNC_SERVER_BIN (set by
// ctest); the temporary directories live under the current directory (ctest
// runs each test in a fresh one).
#ifndef CASESYNC_TESTS_SERVER_INTEGRATION_HARNESS_H_
#define CASESYNC_TESTS_SERVER_INTEGRATION_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "casesync/protocol.h"

namespace casesync::itest {

struct HttpResult {
  long status = 0;  // 0: no answer (connection failed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  Json json() const;              // the body parsed; null when it is not JSON
  std::string ErrorCode() const;  // error.code, or ""
};

struct RequestOptions {
  std::string token;                 // Authorization: Bearer …
  std::vector<std::string> headers;  // "Name: value"
  bool path_as_is = false;           // send "/../" unnormalised
  bool chunked = false;              // Transfer-Encoding: chunked upload
  long timeout_ms = 30000;
};

// One HTTP request to 127.0.0.1:port.
HttpResult Http(uint16_t port, const std::string& method,
                const std::string& path, const std::string& body = "",
                const RequestOptions& options = {});

// A TCP connection to 127.0.0.1:`port`; -1 when it cannot be made.
int ConnectLoopback(uint16_t port);

// Sends `raw` bytes on a new connection and returns what comes back until
// the server closes or `timeout_ms` passes.
std::string RawHttp(uint16_t port, const std::string& raw,
                    int timeout_ms = 5000);

uint16_t FreePort();
std::string MakeTempDir(const std::string& prefix);
std::string NewUuid();
std::string NowIso();

struct DemoLogin {
  std::string role, email, password, account;
};

class ServerProcess {
 public:
  struct Options {
    std::string data_dir;  // "" → a new temporary directory
    std::string web_dir;
    bool demo = true;
    int poke_timeout_ms = 3000;
    std::string synchronous = "FULL";
    std::vector<std::string> extra_args;
  };
  explicit ServerProcess(Options options);
  ServerProcess() : ServerProcess(Options{}) {}
  ~ServerProcess();

  // Starts (again) on a new port and waits for /healthz; false on timeout.
  bool Start();
  // SIGTERM, then waits; returns the exit status (-1 when killed by a
  // signal, -2 on timeout).
  int Stop();
  // SIGKILL, then waits.
  void Kill();

  uint16_t port() const { return port_; }
  const std::string& data_dir() const { return options_.data_dir; }
  std::string db_path() const { return options_.data_dir + "/casesync.db"; }
  const std::vector<DemoLogin>& demo_logins() const { return demo_; }
  // The first demo login of `role` ("customer", "customer_admin", "agent")
  // whose account is the n-th distinct account of that role.
  DemoLogin Demo(const std::string& role, int n = 0) const;
  std::string Log() const;  // stdout + stderr so far

 private:
  Options options_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
  std::vector<DemoLogin> demo_;
};

// One server with demo data shared by the tests that do not restart it
// (started on first use, stopped at exit).
ServerProcess& Shared();

// Logs in; fails the test (REQUIRE) when that fails. Returns the token.
std::string Login(uint16_t port, const std::string& email,
                  const std::string& password, bool remember = false);

// ---- sync helpers ----
Json Mutation(int64_t id, const std::string& name, Json args);
HttpResult Push(uint16_t port, const std::string& token,
                const std::string& client_id, const Json& mutations);
HttpResult Pull(uint16_t port, const std::string& token,
                const std::string& client_id,
                const std::optional<std::string>& cursor);

// Follows `more` from `cursor` to the end. Returns every put row by table
// and id (later puts win, dels erase), the last response and the page count.
struct Snapshot {
  std::map<std::string, std::map<std::string, Json>> tables;
  std::vector<Json> rejections;
  Json last;
  int pages = 0;
  std::string cursor;
};
Snapshot PullAll(uint16_t port, const std::string& token,
                 const std::string& client_id,
                 const std::optional<std::string>& cursor = std::nullopt);

// A valid createCase args object for the server's catalog.
Json CreateCaseArgs(uint16_t port, const std::string& token,
                    const std::string& case_id,
                    const std::string& subject = "No puedo firmar facturas");

// ---- database ----
// A digest of every table's rows except sessions and login throttling
// (which legitimately change when a token is used or a login fails) and the
// delivery state of notifications (the mail sender's, in the background).
std::string DbChecksum(const std::string& db_path);
// Runs one query and returns the rows (columns as text, NULL as "").
std::vector<std::vector<std::string>> DbQuery(const std::string& db_path,
                                              const std::string& sql);

}  // namespace casesync::itest

#endif  // CASESYNC_TESTS_SERVER_INTEGRATION_HARNESS_H_
