#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "casesync/domain.h"

namespace casesync::itest {
namespace {

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' ||
                              value.back() == ' ')) {
      value.pop_back();
    }
    (*headers)[name] = value;
  }
  return size * n;
}

struct ReadState {
  const std::string* body;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t n, void* user) {
  auto* s = static_cast<ReadState*>(user);
  size_t want = std::min(size * n, s->body->size() - s->offset);
  want = std::min<size_t>(want, 16 * 1024);
  std::memcpy(buffer, s->body->data() + s->offset, want);
  s->offset += want;
  return want;
}

std::mt19937_64& Rng() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^
                                          reinterpret_cast<uintptr_t>(&rng));
  return rng;
}

}  // namespace

Json HttpResult::json() const {
  auto j = ParseJson(body, 64 << 20);
  return j.ok() ? *j : Json();
}

std::string HttpResult::ErrorCode() const {
  Json j = json();
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("code") && j["error"]["code"].is_string()) {
    return j["error"]["code"].get<std::string>();
  }
  return "";
}

HttpResult Http(uint16_t port, const std::string& method,
                const std::string& path, const std::string& body,
                const RequestOptions& options) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return result;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  if (options.path_as_is) curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Expect:");
  if (!body.empty() || method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
  }
  std::string auth;
  if (!options.token.empty()) {
    auth = "Authorization: Bearer " + options.token;
    headers = curl_slist_append(headers, auth.c_str());
  }
  for (const auto& h : options.headers) {
    headers = curl_slist_append(headers, h.c_str());
  }
  ReadState read{&body};
  if (options.chunked) {
    headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &read);
    if (method != "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
  } else if (method == "POST" || !body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
    if (method != "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

int ConnectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

std::string RawHttp(uint16_t port, const std::string& raw, int timeout_ms) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "connect failed: " + std::string(std::strerror(errno));
  // Send from another thread while reading here: a server that answers
  // early and closes would otherwise reset the connection under a blocked
  // send and the answer would be lost.
  std::thread sender([fd, &raw] {
    size_t sent = 0;
    while (sent < raw.size()) {
      ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += n;
    }
  });
  std::string out;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, n);
  }
  shutdown(fd, SHUT_RDWR);
  sender.join();
  close(fd);
  return out;
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string MakeTempDir(const std::string& prefix) {
  char cwd[4096];
  std::string base = getcwd(cwd, sizeof cwd) ? cwd : "/tmp";
  std::string templ = base + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  char* dir = mkdtemp(buf.data());
  REQUIRE(dir != nullptr);
  return dir;
}

std::string NewUuid() {
  uint64_t a = Rng()(), b = Rng()();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char s[40];
  std::snprintf(
      s, sizeof s, "%08x-%04x-%04x-%04x-%012llx",
      static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
      static_cast<unsigned>(a & 0xffff), static_cast<unsigned>(b >> 48),
      static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return s;
}

std::string NowIso() {
  return FormatIsoTime(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
}

// ---- ServerProcess ----

ServerProcess::ServerProcess(Options options) : options_(std::move(options)) {
  if (options_.data_dir.empty()) options_.data_dir = MakeTempDir("data");
  log_path_ = options_.data_dir + "/../" +
              options_.data_dir.substr(options_.data_dir.rfind('/') + 1) +
              ".log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

bool ServerProcess::Start() {
  const char* bin = std::getenv("CASESYNC_SERVER_BIN");
  REQUIRE_MESSAGE(bin != nullptr, "set CASESYNC_SERVER_BIN");
  port_ = FreePort();
  std::vector<std::string> args = {bin,
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "--data",
                                   options_.data_dir,
                                   "--poke-timeout-ms",
                                   std::to_string(options_.poke_timeout_ms),
                                   "--synchronous",
                                   options_.synchronous,
                                   "--log-level",
                                   "warn"};
  if (options_.demo) args.push_back("--demo");
  if (!options_.web_dir.empty()) {
    args.push_back("--web");
    args.push_back(options_.web_dir);
  }
  for (const auto& a : options_.extra_args) args.push_back(a);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    HttpResult r = Http(port_, "GET", "/healthz", "", {.timeout_ms = 1000});
    // The server listens before it prints the demo banner (flushed whole
    // after the last login): wait for the banner too.
    if (r.status == 200 &&
        (!options_.demo || Log().find("demo logins") != std::string::npos)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Demo logins from the start banner: "  role email password account…".
  demo_.clear();
  std::istringstream log(Log());
  std::string line;
  bool in_demo = false;
  while (std::getline(log, line)) {
    if (line.rfind("demo logins", 0) == 0) {
      in_demo = true;
      demo_.clear();
      continue;
    }
    if (!in_demo) continue;
    if (line.rfind("  ", 0) != 0) {
      in_demo = false;
      continue;
    }
    std::istringstream fields(line);
    DemoLogin d;
    fields >> d.role >> d.email >> d.password;
    std::getline(fields, d.account);
    while (!d.account.empty() && d.account.front() == ' ')
      d.account.erase(0, 1);
    demo_.push_back(d);
  }
  return Http(port_, "GET", "/healthz").status == 200;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -3;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return -2;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

DemoLogin ServerProcess::Demo(const std::string& role, int n) const {
  std::vector<std::string> accounts;
  for (const auto& d : demo_) {
    if (d.role != role) continue;
    if (std::find(accounts.begin(), accounts.end(), d.account) ==
        accounts.end()) {
      accounts.push_back(d.account);
    }
    if (static_cast<int>(accounts.size()) == n + 1 &&
        accounts.back() == d.account) {
      return d;
    }
  }
  FAIL("no demo login for role " << role << " #" << n << "\n" << Log());
  return {};
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ServerProcess& Shared() {
  static ServerProcess* server = [] {
    auto* s = new ServerProcess();
    REQUIRE_MESSAGE(s->Start(), s->Log());
    std::atexit([] { Shared().Stop(); });
    return s;
  }();
  return *server;
}

std::string Login(uint16_t port, const std::string& email,
                  const std::string& password, bool remember) {
  Json body = {
      {"email", email}, {"password", password}, {"remember", remember}};
  HttpResult r = Http(port, "POST", "/api/v1/auth/login", DumpJson(body));
  REQUIRE_MESSAGE(r.status == 200,
                  "login " << email << ": " << r.status << " " << r.body);
  return r.json()["token"].get<std::string>();
}

Json Mutation(int64_t id, const std::string& name, Json args) {
  return Json{{"id", id},
              {"name", name},
              {"args", std::move(args)},
              {"clientTime", NowIso()}};
}

HttpResult Push(uint16_t port, const std::string& token,
                const std::string& client_id, const Json& mutations) {
  Json body = {{"clientId", client_id}, {"mutations", mutations}};
  return Http(port, "POST", "/api/v1/sync/push", DumpJson(body),
              {.token = token});
}

HttpResult Pull(uint16_t port, const std::string& token,
                const std::string& client_id,
                const std::optional<std::string>& cursor) {
  Json body = {{"clientId", client_id},
               {"cursor", cursor ? Json(*cursor) : Json(nullptr)}};
  return Http(port, "POST", "/api/v1/sync/pull", DumpJson(body),
              {.token = token});
}

Snapshot PullAll(uint16_t port, const std::string& token,
                 const std::string& client_id,
                 const std::optional<std::string>& cursor) {
  Snapshot s;
  std::optional<std::string> c = cursor;
  for (int guard = 0; guard < 1000; ++guard) {
    HttpResult r = Pull(port, token, client_id, c);
    REQUIRE_MESSAGE(r.status == 200, r.body.substr(0, 300));
    Json j = r.json();
    ++s.pages;
    for (const auto& op : j["patch"]) {
      std::string kind = op["op"].get<std::string>();
      std::string table = op.value("table", "");
      if (kind == "clear") {
        if (table.empty()) {
          s.tables.clear();
        } else {
          s.tables[table].clear();
        }
      } else if (kind == "put") {
        s.tables[table][op["row"]["id"].get<std::string>()] = op["row"];
      } else if (kind == "del") {
        s.tables[table].erase(op["row"]["id"].get<std::string>());
      }
    }
    for (const auto& rej : j["rejections"]) s.rejections.push_back(rej);
    c = j["cursor"].get<std::string>();
    s.cursor = *c;
    s.last = j;
    if (!j["more"].get<bool>()) break;
  }
  return s;
}

Json CreateCaseArgs(uint16_t port, const std::string& token,
                    const std::string& case_id, const std::string& subject) {
  static std::mutex mu;
  static std::map<uint16_t, Json> cache;
  Json ids;
  {
    std::lock_guard lock(mu);
    auto it = cache.find(port);
    if (it != cache.end()) ids = it->second;
  }
  if (ids.is_null()) {
    HttpResult r = Http(port, "GET", "/api/v1/catalog", "", {.token = token});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    Json items = r.json()["items"];
    // The first service with a product with an issue type.
    for (const auto& s : items) {
      if (s["kind"] != "service" || !s.value("active", true)) continue;
      for (const auto& p : items) {
        if (p["kind"] != "product" || p["parentId"] != s["id"]) continue;
        for (const auto& t : items) {
          if (t["kind"] != "issue_type" || t["parentId"] != p["id"]) continue;
          ids = Json{{"serviceId", s["id"]},
                     {"productId", p["id"]},
                     {"issueTypeId", t["id"]}};
          break;
        }
        if (!ids.is_null()) break;
      }
      if (!ids.is_null()) break;
    }
    REQUIRE_MESSAGE(!ids.is_null(), "catalog has no service/product/issue");
    std::lock_guard lock(mu);
    cache[port] = ids;
  }
  Json args = ids;
  args["id"] = case_id;
  args["contactHours"] = "Lunes a viernes 8:00 a 17:00";
  args["contactPhone"] = "3001234567";
  args["subject"] = subject;
  args["description"] = "Al firmar la factura aparece un error de certificado.";
  return args;
}

// ---- database ----

namespace {

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE,
                            nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
  }
  ~Db() { sqlite3_close(db); }
  void Each(const std::string& sql,
            const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* st = nullptr;
    REQUIRE_MESSAGE(
        sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK,
        sqlite3_errmsg(db) << ": " << sql);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    CHECK_MESSAGE(rc == SQLITE_DONE, sqlite3_errmsg(db));
    sqlite3_finalize(st);
  }
};

std::string Text(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         sqlite3_column_bytes(st, i))
           : std::string();
}

}  // namespace

std::string DbChecksum(const std::string& db_path) {
  Db db(db_path);
  std::vector<std::string> tables;
  db.Each(
      "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
      "'sqlite_%' ORDER BY name",
      [&](sqlite3_stmt* st) { tables.push_back(Text(st, 0)); });
  std::string all;
  for (const auto& t : tables) {
    if (t == "sessions" || t == "login_attempts") continue;
    // The mail sender marks queued notifications sent in the background
    // (sent_at, message_id, attempts…) whatever the requests do: only what a
    // request writes counts.
    std::string columns =
        t == "notifications"
            ? "id, kind, to_addr, subject, body, case_id, created_at, "
              "in_reply_to"
            : "*";
    std::vector<std::string> rows;
    db.Each("SELECT " + columns + " FROM \"" + t + "\"", [&](sqlite3_stmt* st) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        row += Text(st, i);
        row.push_back('\x1f');
      }
      rows.push_back(row);
    });
    std::sort(rows.begin(), rows.end());
    all += t + ":" + std::to_string(rows.size()) + "\n";
    for (const auto& r : rows) all += r + "\n";
  }
  return std::to_string(std::hash<std::string>{}(all)) + "/" +
         std::to_string(all.size());
}

std::vector<std::vector<std::string>> DbQuery(const std::string& db_path,
                                              const std::string& sql) {
  Db db(db_path);
  std::vector<std::vector<std::string>> out;
  db.Each(sql, [&](sqlite3_stmt* st) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      row.push_back(Text(st, i));
    }
    out.push_back(std::move(row));
  });
  return out;
}

}  // namespace casesync::itest
