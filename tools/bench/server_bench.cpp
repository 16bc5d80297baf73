// casesync_server_bench: end-to-end figures of casesync-server over real
// HTTP on loopback (issue 3). Prints one table per measurement.
//
//   casesync_server_bench --server build/native/server/casesync-server
//                         [--quick] [--skip-wrk]
//                         [--only=push,pull,poke,wrk,polls]
//                         [--batches=1,10,100] [--sync=FULL,NORMAL]
//                         [--ids=v7|v4] [--repeat=3]
//
// --batches and --sync narrow the push table (e.g. --batches=100
// --sync=NORMAL to count one server's instructions under callgrind, with a
// wrapper script as --server; --batches= alone measures the fixed cost).
// --repeat=N runs the push table N times, each on a fresh server and fresh
// SQLite files, and prints the medians (default 3).
// --ids=v4 makes the case ids random (version 4) instead of time-ordered
// (version 7, as the clients make them): the push figures before session 4.
//
// 1. push throughput (mutations/s), batches of 1, 10, 100, synchronous FULL
//    and NORMAL, next to two plain SQLite loops inserting the same rows in
//    transactions of the same size: into a bare table of the same columns
//    (no secondary index), and into the server's own cases table (its
//    schema, indexes included: the ceiling for the same rows). The three
//    take turns, ten slices each (ComparePush);
// 2. initial pull of 100,000 cases (rows/s);
// 3. poke latency p50/p99 from a push to a waiting client;
// 4. wrk on /healthz, a small authenticated pull and the trivial
//    /api/v1/bench/noop handler at 32 and 256 connections;
// 5. 500 idle long polls while pushes run (no hang, no errors).
//
// Runs in the current directory (data dirs are created and removed there).
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "casesync/domain.h"
#include "casesync/protocol.h"

namespace {

using casesync::DumpJson;
using casesync::Json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string Uuid() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  char s[40];
  std::snprintf(s, sizeof s, "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return s;
}

bool g_random_case_ids = false;  // --ids=v4

// A case id as the clients make them: a version 7 UUID
// (casesync::FormatUuidV7); a version 4 one with --ids=v4.
std::string CaseId() {
  if (g_random_case_ids) return Uuid();
  static thread_local std::mt19937_64 rng(std::random_device{}());
  unsigned char random[10];
  for (unsigned char& b : random) b = static_cast<unsigned char>(rng());
  return casesync::FormatUuidV7(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count(),
      random);
}

std::string NowIso() {
  return casesync::FormatIsoTime(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
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

// A keep-alive HTTP client on one connection (libcurl easy handle).
class Client {
 public:
  explicit Client(uint16_t port) : port_(port), curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Write);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
  }
  ~Client() { curl_easy_cleanup(curl_); }
  Client(const Client&) = delete;

  long Request(const std::string& method, const std::string& path,
               const std::string& body, const std::string& token,
               long timeout_ms = 60000) {
    body_.clear();
    std::string url = "http://127.0.0.1:" + std::to_string(port_) + path;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_slist* h = curl_slist_append(nullptr, "Expect:");
    h = curl_slist_append(h, "Content-Type: application/json");
    std::string auth = "Authorization: Bearer " + token;
    if (!token.empty()) h = curl_slist_append(h, auth.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, h);
    if (method == "POST") {
      curl_easy_setopt(curl_, CURLOPT_POST, 1L);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(body.size()));
    } else {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    }
    long status = 0;
    if (curl_easy_perform(curl_) == CURLE_OK) {
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(h);
    return status;
  }
  const std::string& body() const { return body_; }
  Json json() const {
    auto j = casesync::ParseJson(body_, size_t{1} << 31);
    return j.ok() ? *j : Json();
  }

 private:
  static size_t Write(char* d, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(d, s * n);
    return s * n;
  }
  uint16_t port_;
  CURL* curl_;
  std::string body_;
};

// The push loop's client: one keep-alive socket, each request written as
// bytes prepared before the clock starts, each response read up to its
// Content-Length. libcurl's per-request work (options, header lists, its
// poll loop) ran on the measured path while the server waited for the next
// request; this leaves the server's work and the loopback round trip.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      std::exit(1);
    }
  }
  ~RawClient() { close(fd_); }
  RawClient(const RawClient&) = delete;

  // Sends `request` (a whole HTTP/1.1 request); the response's status.
  // body() is its body.
  int Send(const std::string& request) {
    for (size_t sent = 0; sent < request.size();) {
      ssize_t n = write(fd_, request.data() + sent, request.size() - sent);
      if (n <= 0) Fail("write");
      sent += static_cast<size_t>(n);
    }
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) ReadSome();
    std::string head = in_.substr(0, end + 2);
    for (char& c : head) c = static_cast<char>(std::tolower(c));
    size_t length_at = head.find("\r\ncontent-length:");
    if (head.compare(0, 9, "http/1.1 ") != 0 ||
        length_at == std::string::npos) {
      Fail("a response without Content-Length");
    }
    int status = std::atoi(head.c_str() + 9);
    size_t length = std::strtoull(head.c_str() + length_at + 17, nullptr, 10);
    while (in_.size() < end + 4 + length) ReadSome();
    body_.assign(in_, end + 4, length);
    in_.erase(0, end + 4 + length);
    return status;
  }
  const std::string& body() const { return body_; }

 private:
  void ReadSome() {
    char buf[65536];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) Fail("read");
    in_.append(buf, static_cast<size_t>(n));
  }
  [[noreturn]] static void Fail(const char* what) {
    std::fprintf(stderr, "push client: %s failed\n", what);
    std::exit(1);
  }

  int fd_;
  std::string in_, body_;
};

struct Login {
  std::string role, email, password, account;
};

class Server {
 public:
  Server(const std::string& bin, const std::string& synchronous,
         int poke_timeout_ms = 5000)
      : dir_(fs::absolute("bench-data-" + Uuid().substr(0, 8))) {
    fs::create_directories(dir_);
    port_ = FreePort();
    std::string log = dir_.string() + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::string listen = "127.0.0.1:" + std::to_string(port_);
      std::string poke = std::to_string(poke_timeout_ms);
      execl(bin.c_str(), bin.c_str(), "--listen", listen.c_str(), "--data",
            dir_.c_str(), "--demo", "--synchronous", synchronous.c_str(),
            "--poke-timeout-ms", poke.c_str(), "--log-level", "warn",
            "--bench-noop-route", static_cast<char*>(nullptr));
      _exit(127);
    }
    Client c(port_);
    for (int i = 0; i < 600; ++i) {
      if (c.Request("GET", "/healthz", "", "", 1000) == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream in(log);
    std::string line;
    bool demo = false;
    while (std::getline(in, line)) {
      if (line.rfind("demo logins", 0) == 0) {
        demo = true;
        continue;
      }
      if (demo && line.rfind("  ", 0) == 0) {
        std::istringstream f(line);
        Login l;
        f >> l.role >> l.email >> l.password;
        std::getline(f, l.account);
        logins_.push_back(l);
      }
    }
  }
  ~Server() {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::remove(dir_.string() + ".log", ec);
  }
  uint16_t port() const { return port_; }
  Login Find(const std::string& role, int nth = 0) const {
    for (const auto& l : logins_) {
      if (l.role == role && nth-- == 0) return l;
    }
    std::fprintf(stderr, "no demo login %s\n", role.c_str());
    std::exit(1);
  }
  std::string Token(const std::string& role, int nth = 0) const {
    Login l = Find(role, nth);
    Client c(port_);
    long s = c.Request(
        "POST", "/api/v1/auth/login",
        DumpJson(Json{
            {"email", l.email}, {"password", l.password}, {"remember", true}}),
        "");
    if (s != 200) {
      std::fprintf(stderr, "login failed: %ld %s\n", s, c.body().c_str());
      std::exit(1);
    }
    return c.json()["token"].get<std::string>();
  }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::vector<Login> logins_;
};

Json CatalogIds(uint16_t port, const std::string& token) {
  Client c(port);
  c.Request("GET", "/api/v1/catalog", "", token);
  Json items = c.json()["items"];
  for (const auto& s : items) {
    if (s["kind"] != "service") continue;
    for (const auto& p : items) {
      if (p["kind"] != "product" || p["parentId"] != s["id"]) continue;
      for (const auto& t : items) {
        if (t["kind"] != "issue_type" || t["parentId"] != p["id"]) continue;
        return Json{{"serviceId", s["id"]},
                    {"productId", p["id"]},
                    {"issueTypeId", t["id"]}};
      }
    }
  }
  std::fprintf(stderr, "empty catalog\n");
  std::exit(1);
}

Json CreateCase(const Json& ids, int64_t id) {
  Json args = ids;
  args["id"] = CaseId();
  args["contactHours"] = "Lunes a viernes 8:00 a 17:00";
  args["contactPhone"] = "3001234567";
  args["subject"] = "No puedo firmar facturas electrónicas";
  args["description"] =
      "Al firmar la factura aparece un error de certificado vencido.";
  return Json{{"id", id},
              {"name", "createCase"},
              {"args", args},
              {"clientTime", NowIso()}};
}

// `total` createCase mutations, numbered from 1 (ids made now).
std::vector<Json> CreateCases(const Json& ids, int total) {
  std::vector<Json> mutations;
  mutations.reserve(static_cast<size_t>(total));
  for (int i = 0; i < total; ++i) mutations.push_back(CreateCase(ids, i + 1));
  return mutations;
}

// One client pushing given mutations in batches, every request encoded
// before any is timed: the figure is the server's.
class Pusher {
 public:
  Pusher(uint16_t port, const std::string& token,
         const std::vector<Json>& mutations, int batch)
      : client_(port) {
    std::string client_id = "bench-" + Uuid();
    for (size_t i = 0; i < mutations.size();) {
      Json m = Json::array();
      for (int k = 0; k < batch && i < mutations.size(); ++k, ++i) {
        m.push_back(mutations[i]);
      }
      std::string body =
          DumpJson(Json{{"clientId", client_id}, {"mutations", m}});
      requests_.push_back(
          "POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1:" +
          std::to_string(port) + "\r\nAuthorization: Bearer " + token +
          "\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  }
  size_t requests() const { return requests_.size(); }

  // Sends requests [from, to); the seconds it took.
  double Push(size_t from, size_t to) {
    auto t0 = Clock::now();
    for (size_t i = from; i < to; ++i) {
      int s = client_.Send(requests_[i]);
      if (s != 200) {
        std::fprintf(stderr, "push failed: %d %s\n", s, client_.body().c_str());
        std::exit(1);
      }
    }
    return Seconds(t0, Clock::now());
  }

 private:
  RawClient client_;
  std::vector<std::string> requests_;
};

// Pushes `total` createCase mutations in batches; returns mutations/s.
double PushRate(uint16_t port, const std::string& token, const Json& ids,
                int batch, int total) {
  Pusher pusher(port, token, CreateCases(ids, total), batch);
  return total / pusher.Push(0, pusher.requests());
}

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

// A database with the server's own schema (every migration: the cases
// table with its unique columns and secondary indexes), empty, made by the
// server binary itself (`admin … list-users` creates and migrates it). Run it
// before the measured server starts: under a callgrind wrapper as --server,
// the server's own profile is then the one written last.
std::string ServerSchemaDb(const std::string& bin) {
  fs::path dir = fs::absolute("bench-schema-" + Uuid().substr(0, 8));
  fs::create_directories(dir);
  Run("'" + bin + "' admin --data '" + dir.string() +
      "' list-users >/dev/null 2>&1");
  std::string path = (dir / "casesync.db").string();
  // Everything into the main file, which alone is copied.
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr,
               nullptr);
  sqlite3_close(db);
  return path;
}

// The same rows as the pushes, inserted by a plain loop in transactions of
// `batch` rows: into a bare table of the same columns without secondary
// indexes when `schema_db` is "", or else into the cases table of a copy of
// `schema_db` (the server's schema, see ServerSchemaDb). Every value is
// taken out of the mutations before anything is timed; the clock is read
// once a transaction, as the server reads it once a push.
class SqliteLoop {
 public:
  SqliteLoop(const std::string& synchronous, const std::vector<Json>& mutations,
             int batch, const std::string& schema_db = "")
      : batch_(batch), path_("bench-plain-" + Uuid().substr(0, 8) + ".db") {
    if (!schema_db.empty()) fs::copy_file(schema_db, path_);
    sqlite3_open(path_.c_str(), &db_);
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=" + synchronous);
    if (schema_db.empty()) {
      Exec(
          "CREATE TABLE cases(id TEXT PRIMARY KEY, number TEXT, "
          "account_id TEXT, contact_id TEXT, service_id TEXT, "
          "product_id TEXT, issue_type_id TEXT, contact_hours TEXT, "
          "contact_phone TEXT, subject TEXT, description TEXT, "
          "priority INT, state TEXT, channel TEXT, created_at TEXT, "
          "updated_at TEXT, seq INT)");
    }
    sqlite3_prepare_v2(db_,
                       "INSERT INTO cases(id, number, account_id, contact_id, "
                       "service_id, product_id, issue_type_id, contact_hours, "
                       "contact_phone, subject, description, priority, state, "
                       "channel, created_at, updated_at, seq) "
                       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       -1, &insert_, nullptr);
    rows_.reserve(mutations.size());
    for (size_t i = 0; i < mutations.size(); ++i) {
      const Json& a = mutations[i]["args"];
      rows_.push_back({a["id"],
                       casesync::FormatCaseNumber(static_cast<int64_t>(i) + 1),
                       "acc", "usr", a["serviceId"], a["productId"],
                       a["issueTypeId"], a["contactHours"], a["contactPhone"],
                       a["subject"], a["description"]});
    }
    // Warm up as the server's database is: a WAL that has grown and been
    // checkpointed is overwritten in place, so commits do not grow the file
    // (growing it makes every fsync also write metadata).
    Exec("CREATE TABLE warm(x BLOB)");
    for (int i = 0; i < 200; ++i)
      Exec("INSERT INTO warm VALUES(zeroblob(16000))");
    Exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
  ~SqliteLoop() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      fs::remove(path_ + suffix, ec);
    }
  }
  SqliteLoop(const SqliteLoop&) = delete;

  // Inserts the rows of requests [from, to) (a request is `batch` rows);
  // the seconds it took.
  double Insert(size_t from, size_t to) {
    size_t first = from * static_cast<size_t>(batch_);
    size_t last = std::min(rows_.size(), to * static_cast<size_t>(batch_));
    auto t0 = Clock::now();
    for (size_t i = first; i < last;) {
      Exec("BEGIN IMMEDIATE");
      std::string now = NowIso();
      for (int k = 0; k < batch_ && i < last; ++k, ++i) {
        const Row& row = rows_[i];
        for (int c = 0; c < 11; ++c) {
          sqlite3_bind_text(insert_, c + 1, row[c].c_str(), -1,
                            SQLITE_TRANSIENT);
        }
        sqlite3_bind_int(insert_, 12, 3);
        sqlite3_bind_text(insert_, 13, "new", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert_, 14, "web", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert_, 15, now.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert_, 16, now.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert_, 17, static_cast<sqlite3_int64>(i) + 1);
        sqlite3_step(insert_);
        sqlite3_reset(insert_);
      }
      Exec("COMMIT");
    }
    return Seconds(t0, Clock::now());
  }

 private:
  using Row = std::array<std::string, 11>;
  void Exec(const std::string& sql) {
    sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }

  int batch_;
  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::vector<Row> rows_;
};

// One cell of the push table: the server and both loops on the same rows,
// in kSlices turns each, taken in alternating order (server first, then
// the loops first), so that a minute in which the VM is slower or faster
// falls on all three alike. Rates in rows (mutations) per second.
struct PushComparison {
  double server = 0, plain = 0, schema = 0;
};
constexpr size_t kSlices = 10;

PushComparison ComparePush(uint16_t port, const std::string& token,
                           const Json& ids, const std::string& synchronous,
                           int batch, int total, const std::string& schema_db) {
  std::vector<Json> mutations = CreateCases(ids, total);
  Pusher pusher(port, token, mutations, batch);
  SqliteLoop plain(synchronous, mutations, batch);
  SqliteLoop schema(synchronous, mutations, batch, schema_db);
  double server_s = 0, plain_s = 0, schema_s = 0;
  size_t requests = pusher.requests();
  for (size_t slice = 0; slice < kSlices; ++slice) {
    size_t from = requests * slice / kSlices;
    size_t to = requests * (slice + 1) / kSlices;
    if (slice % 2 == 0) {
      server_s += pusher.Push(from, to);
      plain_s += plain.Insert(from, to);
      schema_s += schema.Insert(from, to);
    } else {
      schema_s += schema.Insert(from, to);
      plain_s += plain.Insert(from, to);
      server_s += pusher.Push(from, to);
    }
  }
  return {total / server_s, total / plain_s, total / schema_s};
}

// Mutations per push-table cell.
int PushTotal(int batch, bool quick) {
  if (batch == 1) return quick ? 200 : 1000;
  if (batch == 10) return quick ? 2000 : 10000;
  return quick ? 10000 : 50000;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  return v[i];
}

struct WrkResult {
  double rps = 0;
  std::string p99 = "?";
  long errors = 0;
  long non2xx = 0;
};

WrkResult Wrk(uint16_t port, const std::string& path, int connections,
              int seconds, const std::string& script) {
  std::string cmd = "wrk --latency -t2 -c" + std::to_string(connections) +
                    " -d" + std::to_string(seconds) + "s --timeout 10s ";
  if (!script.empty()) cmd += "-s " + script + " ";
  cmd += "http://127.0.0.1:" + std::to_string(port) + path + " 2>&1";
  std::string out = Run(cmd);
  WrkResult r;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string first;
    f >> first;
    if (first == "Requests/sec:") f >> r.rps;
    if (first == "99%") f >> r.p99;
    if (first == "Socket") {
      // Socket errors: connect 0, read 0, write 0, timeout 0
      std::string word;
      long v;
      char comma;
      while (f >> word) {
        if (f >> v) {
          r.errors += v;
          f >> comma;
          if (comma != ',') f.unget();
        } else {
          f.clear();
        }
      }
    }
    if (first == "Non-2xx") {
      std::string word;
      f >> word >> word >> r.non2xx;  // "or 3xx responses: N"
    }
  }
  if (r.rps == 0) std::fprintf(stderr, "wrk output:\n%s\n", out.c_str());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin = "build/native/server/casesync-server";
  bool quick = false, skip_wrk = false;
  int repeat = 3;    // push table: runs per cell (median printed)
  std::string only;  // comma-separated parts; "" runs all
  std::vector<int> batches = {1, 10, 100};
  std::vector<std::string> syncs = {"FULL", "NORMAL"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--server" && i + 1 < argc) bin = argv[++i];
    if (a == "--quick") quick = true;
    if (a == "--skip-wrk") skip_wrk = true;
    if (a.rfind("--only=", 0) == 0) only = "," + a.substr(7) + ",";
    if (a == "--ids=v4") g_random_case_ids = true;
    if (a.rfind("--repeat=", 0) == 0)
      repeat = std::max(1, std::stoi(a.substr(9)));
    if (a.rfind("--batches=", 0) == 0) {
      batches.clear();
      std::istringstream list(a.substr(10));
      for (std::string item; std::getline(list, item, ',');) {
        if (!item.empty()) batches.push_back(std::stoi(item));
      }
    }
    if (a.rfind("--sync=", 0) == 0) {
      syncs.clear();
      std::istringstream list(a.substr(7));
      for (std::string item; std::getline(list, item, ',');) {
        if (!item.empty()) syncs.push_back(item);
      }
    }
  }
  auto part = [&only](const char* name) {
    return only.empty() ||
           only.find("," + std::string(name) + ",") != std::string::npos;
  };
  bin = fs::absolute(bin).string();
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::printf("casesync server benchmark (%u hardware threads)\n",
              std::thread::hardware_concurrency());

  // 1. push throughput. Each repetition starts a fresh server and fresh
  // SQLite files; the table shows the median of the repetitions, and the
  // range of the server's figure (the machine's noise is ±15% run to run).
  if (part("push")) {
    std::printf(
        "\n== push throughput (createCase, one client, keep-alive, %s case "
        "ids), medians of %d runs\n",
        g_random_case_ids ? "random v4" : "time-ordered v7", repeat);
    std::printf(
        "  (schema loop, the ceiling: the same rows into the server's own "
        "cases table and indexes;\n   plain loop: into a bare table of the "
        "same columns, to show what the indexes cost;\n   the three take "
        "turns in 10 slices of each run; ratio: the median of each run's "
        "server/loop ratio)\n");
    struct Cell {
      std::vector<double> server, plain, schema;
    };
    std::vector<std::vector<Cell>> cells(syncs.size(),
                                         std::vector<Cell>(batches.size()));
    for (int rep = 0; rep < repeat; ++rep) {
      for (size_t si = 0; si < syncs.size(); ++si) {
        const std::string& sync = syncs[si];
        std::string schema = batches.empty() ? "" : ServerSchemaDb(bin);
        Server server(bin, sync);
        std::string token = server.Token("customer");
        Json ids = CatalogIds(server.port(), token);
        for (size_t bi = 0; bi < batches.size(); ++bi) {
          int batch = batches[bi];
          int total = PushTotal(batch, quick);
          Cell& cell = cells[si][bi];
          PushComparison rates = ComparePush(server.port(), token, ids, sync,
                                             batch, total, schema);
          cell.server.push_back(rates.server);
          cell.plain.push_back(rates.plain);
          cell.schema.push_back(rates.schema);
        }
        std::error_code ec;
        if (!schema.empty()) {
          fs::remove_all(fs::path(schema).parent_path(), ec);
        }
      }
    }
    std::printf("  %-7s %6s %8s %14s %16s %14s %7s %14s %7s %12s\n", "sync",
                "batch", "muts", "server mut/s", "(range)", "plain rows/s",
                "ratio", "schema rows/s", "ratio", "(range)");
    for (size_t si = 0; si < syncs.size(); ++si) {
      for (size_t bi = 0; bi < batches.size(); ++bi) {
        const Cell& cell = cells[si][bi];
        double rate = Percentile(cell.server, 0.5);
        double plain = Percentile(cell.plain, 0.5);
        double same = Percentile(cell.schema, 0.5);
        // The ratios are the medians of each run's own ratio (server and
        // loops of the same run, seconds apart), which the VM's drift
        // between runs moves less than a ratio of medians.
        std::vector<double> to_plain, to_schema;
        for (size_t r = 0; r < cell.server.size(); ++r) {
          to_plain.push_back(cell.server[r] / cell.plain[r]);
          to_schema.push_back(cell.server[r] / cell.schema[r]);
        }
        char range[40];
        std::snprintf(range, sizeof range, "%.0f-%.0f",
                      Percentile(cell.server, 0), Percentile(cell.server, 1));
        char ratios[40];
        std::snprintf(ratios, sizeof ratios, "%.2f-%.2f",
                      Percentile(to_schema, 0), Percentile(to_schema, 1));
        std::printf(
            "  %-7s %6d %8d %14.0f %16s %14.0f %6.2fx %14.0f %6.2fx %12s\n",
            syncs[si].c_str(), batches[bi], PushTotal(batches[bi], quick), rate,
            range, plain, Percentile(to_plain, 0.5), same,
            Percentile(to_schema, 0.5), ratios);
      }
    }
    std::fflush(stdout);
  }

  // 2. initial pull.
  if (part("pull")) {
    int cases = quick ? 20000 : 100000;
    std::printf("\n== initial pull of %d cases (agent, the server's pages)\n",
                cases);
    Server server(bin, "NORMAL");
    std::string token = server.Token("customer");
    Json ids = CatalogIds(server.port(), token);
    auto t0 = Clock::now();
    PushRate(server.port(), token, ids, 1000, cases);
    std::printf("  seeded by pushes of 1000 in %.1f s\n",
                Seconds(t0, Clock::now()));
    std::string agent = server.Token("agent");
    Client c(server.port());
    std::optional<std::string> cursor;
    size_t rows = 0, case_rows = 0, bytes = 0;
    int pages = 0;
    double http_s = 0;
    t0 = Clock::now();
    for (;;) {
      Json body = {{"clientId", "bench-pull"},
                   {"cursor", cursor ? Json(*cursor) : Json(nullptr)}};
      auto r0 = Clock::now();
      if (c.Request("POST", "/api/v1/sync/pull", DumpJson(body), agent) !=
          200) {
        std::fprintf(stderr, "pull failed: %s\n", c.body().c_str());
        return 1;
      }
      http_s += Seconds(r0, Clock::now());
      bytes += c.body().size();
      Json j = c.json();
      ++pages;
      for (const auto& op : j["patch"]) {
        ++rows;
        if (op["table"] == "cases") ++case_rows;
      }
      cursor = j["cursor"].get<std::string>();
      if (!j["more"].get<bool>()) break;
    }
    double s = Seconds(t0, Clock::now());
    std::printf(
        "  %zu rows (%zu cases) in %d pages, %.1f MB: %.2f s with client "
        "JSON parsing = %.0f rows/s;\n  HTTP request to last byte only: "
        "%.2f s = %.0f rows/s\n",
        rows, case_rows, pages, bytes / 1e6, s, rows / s, http_s,
        rows / http_s);
  }

  // 3. poke latency.
  if (part("poke")) {
    std::printf(
        "\n== poke latency: push by one client -> poke answer of "
        "another (same user)\n");
    Server server(bin, "FULL");
    std::string token = server.Token("customer");
    Json ids = CatalogIds(server.port(), token);
    Client pull(server.port());
    pull.Request("POST", "/api/v1/sync/pull",
                 DumpJson(Json{{"clientId", "poker"}, {"cursor", nullptr}}),
                 token);
    std::string cursor = pull.json()["cursor"];
    Client pusher(server.port());
    std::string client = "pusher-" + Uuid();
    std::vector<double> from_send, from_ack;
    int rounds = quick ? 50 : 200;
    for (int i = 0; i < rounds; ++i) {
      std::atomic<bool> got{false};
      Clock::time_point answered;
      std::string new_cursor;
      std::thread waiter([&] {
        Client poke(server.port());
        poke.Request("GET", "/api/v1/sync/poke?cursor=" + cursor, "", token);
        answered = Clock::now();
        new_cursor = poke.body();
        got = true;
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      std::string body =
          DumpJson(Json{{"clientId", client},
                        {"mutations", Json::array({CreateCase(ids, i + 1)})}});
      auto sent = Clock::now();
      pusher.Request("POST", "/api/v1/sync/push", body, token);
      auto acked = Clock::now();
      waiter.join();
      from_send.push_back(Seconds(sent, answered) * 1000);
      from_ack.push_back(Seconds(acked, answered) * 1000);
      pull.Request("POST", "/api/v1/sync/pull",
                   DumpJson(Json{{"clientId", "poker"}, {"cursor", cursor}}),
                   token);
      cursor = pull.json()["cursor"];
    }
    std::printf(
        "  %d rounds: push sent -> poke answered p50 %.2f ms, p99 "
        "%.2f ms\n",
        rounds, Percentile(from_send, 0.5), Percentile(from_send, 0.99));
    std::printf(
        "            push acked -> poke answered p50 %.2f ms, p99 "
        "%.2f ms (negative: the poke came first)\n",
        Percentile(from_ack, 0.5), Percentile(from_ack, 0.99));
  }

  // 4. wrk.
  if (!skip_wrk && part("wrk")) {
    Server server(bin, "FULL");
    std::string token = server.Token("customer");
    std::string body = DumpJson(Json{{"clientId", "wrk"}, {"cursor", nullptr}});
    // A small authenticated pull: from the cursor of a pull that is up to
    // date, so every request authenticates, reads and answers a tiny patch.
    Client c(server.port());
    c.Request("POST", "/api/v1/sync/pull", body, token);
    std::string cursor = c.json()["cursor"];
    body = DumpJson(Json{{"clientId", "wrk"}, {"cursor", cursor}});
    std::string script = fs::absolute("bench-post.lua").string();
    std::ofstream(script) << "wrk.method = \"POST\"\n"
                          << "wrk.body = '" << body << "'\n"
                          << "wrk.headers[\"Content-Type\"] = "
                             "\"application/json\"\n"
                          << "wrk.headers[\"Authorization\"] = \"Bearer "
                          << token << "\"\n";
    int secs = quick ? 3 : 10;
    std::printf("\n== wrk (2 threads, %d s each, --latency)\n", secs);
    std::printf("  %-32s %5s %10s %10s %8s %8s\n", "target", "conns", "req/s",
                "p99", "errors", "non-2xx");
    for (int conns : {32, 256}) {
      struct T {
        const char* name;
        const char* path;
        bool post;
      };
      for (const T& t :
           {T{"GET /healthz", "/healthz", false},
            T{"POST /api/v1/bench/noop (trivial)", "/api/v1/bench/noop", true},
            T{"POST /api/v1/sync/pull (auth)", "/api/v1/sync/pull", true}}) {
        WrkResult r =
            Wrk(server.port(), t.path, conns, secs, t.post ? script : "");
        std::printf("  %-32s %5d %10.0f %10s %8ld %8ld\n", t.name, conns, r.rps,
                    r.p99.c_str(), r.errors, r.non2xx);
        std::fflush(stdout);
      }
    }
    fs::remove(script);
  }

  // 5. 500 idle long polls + pushes.
  if (part("polls")) {
    int polls = 500;
    std::printf(
        "\n== %d idle long polls (5 s timeout) while another account "
        "pushes\n",
        polls);
    Server server(bin, "FULL", 5000);
    std::string idle = server.Token("customer", 1);  // account B: sees nothing
    std::string token = server.Token("customer", 0);
    Json ids = CatalogIds(server.port(), token);
    CURLM* multi = curl_multi_init();
    std::vector<CURL*> handles;
    std::vector<std::string> bodies(polls);
    std::string auth = "Authorization: Bearer " + idle;
    curl_slist* h = curl_slist_append(nullptr, auth.c_str());
    Client first(server.port());
    first.Request("POST", "/api/v1/sync/pull",
                  DumpJson(Json{{"clientId", "idle"}, {"cursor", nullptr}}),
                  idle);
    std::string idle_cursor = first.json()["cursor"];
    std::string url = "http://127.0.0.1:" + std::to_string(server.port()) +
                      "/api/v1/sync/poke?cursor=" + idle_cursor;
    for (int i = 0; i < polls; ++i) {
      CURL* e = curl_easy_init();
      curl_easy_setopt(e, CURLOPT_URL, url.c_str());
      curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
      curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(
          e, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
            static_cast<std::string*>(u)->append(d, s * n);
            return s * n;
          });
      curl_easy_setopt(e, CURLOPT_WRITEDATA, &bodies[i]);
      curl_multi_add_handle(multi, e);
      handles.push_back(e);
    }
    std::atomic<bool> done{false};
    double push_rate = 0;
    // Account B's customer waits from an up-to-date cursor; account A's
    // pushes are invisible to it, so every poll waits for its timeout.
    auto t0 = Clock::now();
    std::thread pushes([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      push_rate = PushRate(server.port(), token, ids, 10, quick ? 500 : 2000);
      done = true;
    });
    int running = polls;
    while (running > 0) {
      curl_multi_perform(multi, &running);
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    double waited = Seconds(t0, Clock::now());
    pushes.join();
    int ok = 0, failed = 0;
    CURLMsg* msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left))) {
      long status = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      (msg->data.result == CURLE_OK && status == 200) ? ++ok : ++failed;
    }
    for (CURL* e : handles) {
      curl_multi_remove_handle(multi, e);
      curl_easy_cleanup(e);
    }
    curl_multi_cleanup(multi);
    curl_slist_free_all(h);
    Client health(server.port());
    long hs = health.Request("GET", "/healthz", "", "");
    std::printf(
        "  polls answered 200: %d, failed: %d, all done after %.1f s; "
        "pushes meanwhile %.0f mut/s (batches of 10); healthz %ld\n",
        ok, failed, waited, push_rate, hs);
  }
  curl_global_cleanup();
  return 0;
}
