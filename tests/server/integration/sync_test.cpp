// The sync protocol over HTTP: push, pull, poke, restarts and crashes.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <regex>
#include <set>
#include <thread>

#include "harness.h"

namespace casesync::itest {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string ClientId() { return "c-" + NewUuid(); }

TEST_SUITE("sync over http") {
  TEST_CASE("push then pull: the case arrives with a server-assigned number") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer");
    std::string token = Login(s.port(), d.email, d.password);
    std::string client = ClientId();
    std::string case_id = NewUuid();
    HttpResult push =
        Push(s.port(), token, client,
             Json::array({Mutation(1, "createCase",
                                   CreateCaseArgs(s.port(), token, case_id))}));
    REQUIRE_MESSAGE(push.status == 200, push.body);
    CHECK(push.json()["lastMutationId"] == 1);

    Snapshot snap = PullAll(s.port(), token, client);
    CHECK(snap.last["lastMutationId"] == 1);
    REQUIRE(snap.tables["cases"].count(case_id) == 1);
    Json row = snap.tables["cases"][case_id];
    CHECK(std::regex_match(row["number"].get<std::string>(),
                           std::regex("CS[0-9]{7}")));
    CHECK(row["state"] == "new");
    CHECK(row["subject"] == "No puedo firmar facturas");
    CHECK(snap.rejections.empty());

    // Another device of the same user starts from scratch and sees it too;
    // its own lastMutationId is 0.
    Snapshot other = PullAll(s.port(), token, ClientId());
    CHECK(other.tables["cases"].count(case_id) == 1);
    CHECK(other.last["lastMutationId"] == 0);

    // An incremental pull from the last cursor brings nothing new.
    HttpResult again = Pull(s.port(), token, client, snap.cursor);
    REQUIRE(again.status == 200);
    // Held: a range-for over json()["patch"] would iterate a destroyed
    // temporary (AddressSanitizer found it).
    Json again_body = again.json();
    for (const auto& op : again_body["patch"]) {
      CHECK(op["row"].value("id", "") != case_id);
    }
  }

  TEST_CASE("a replayed batch is applied once") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer");
    std::string token = Login(s.port(), d.email, d.password);
    std::string client = ClientId();
    std::string case_id = NewUuid();
    Json batch = Json::array(
        {Mutation(1, "createCase", CreateCaseArgs(s.port(), token, case_id)),
         Mutation(2, "addComment",
                  {{"id", NewUuid()}, {"caseId", case_id}, {"body", "Hola"}})});
    REQUIRE(Push(s.port(), token, client, batch).status == 200);
    std::string sum = DbChecksum(s.db_path());
    HttpResult replay = Push(s.port(), token, client, batch);
    REQUIRE(replay.status == 200);
    CHECK(replay.json()["lastMutationId"] == 2);
    CHECK(DbChecksum(s.db_path()) == sum);
    auto rows = DbQuery(s.db_path(),
                        "SELECT count(*) FROM comments WHERE "
                        "case_id = '" +
                            case_id + "'");
    CHECK(rows[0][0] == "1");
  }

  TEST_CASE("a gap is refused with 409 and the expected id") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer");
    std::string token = Login(s.port(), d.email, d.password);
    std::string client = ClientId();
    std::string sum = DbChecksum(s.db_path());
    HttpResult r = Push(
        s.port(), token, client,
        Json::array({Mutation(3, "createCase",
                              CreateCaseArgs(s.port(), token, NewUuid()))}));
    CHECK(r.status == 409);
    CHECK(r.ErrorCode() == "mutation_gap");
    CHECK(r.json()["error"]["expectedId"] == 1);
    CHECK(DbChecksum(s.db_path()) == sum);
  }

  TEST_CASE("a rejected mutation comes back in the next pull with its args") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer");
    std::string token = Login(s.port(), d.email, d.password);
    std::string client = ClientId();
    std::string case_id = NewUuid();
    Json create = CreateCaseArgs(s.port(), token, case_id);
    Json cancel = {{"caseId", case_id}, {"reason", ""}};  // reason required
    HttpResult r = Push(s.port(), token, client,
                        Json::array({Mutation(1, "createCase", create),
                                     Mutation(2, "cancelCase", cancel)}));
    REQUIRE(r.status == 200);
    CHECK(r.json()["lastMutationId"] == 2);
    Snapshot snap = PullAll(s.port(), token, client);
    REQUIRE(snap.rejections.size() == 1);
    Json rej = snap.rejections[0];
    CHECK(rej["mutationId"] == 2);
    CHECK(rej["mutation"]["name"] == "cancelCase");
    CHECK(rej["mutation"]["args"] == cancel);
    CHECK(rej["code"].get<std::string>().size() > 0);
    CHECK(snap.tables["cases"][case_id]["state"] == "new");
  }

  TEST_CASE("initial sync of many cases comes in pages") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer_admin");
    std::string token = Login(s.port(), d.email, d.password);
    std::string client = ClientId();
    std::set<std::string> ids;
    const int kCases = 5200;
    int64_t next = 1;
    while (next <= kCases) {
      Json batch = Json::array();
      for (int i = 0; i < 1000 && next <= kCases; ++i, ++next) {
        std::string id = NewUuid();
        ids.insert(id);
        batch.push_back(
            Mutation(next, "createCase", CreateCaseArgs(s.port(), token, id)));
      }
      HttpResult r = Push(s.port(), token, client, batch);
      REQUIRE_MESSAGE(r.status == 200, r.body.substr(0, 300));
    }
    Snapshot snap = PullAll(s.port(), token, ClientId());
    CHECK(snap.pages >= 2);
    size_t found = 0;
    for (const auto& id : ids) found += snap.tables["cases"].count(id);
    CHECK(found == ids.size());
  }

  TEST_CASE("poke answers promptly after a visible push, and not before") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer");
    DemoLogin agent = s.Demo("agent");
    std::string token = Login(s.port(), d.email, d.password);
    std::string agent_token = Login(s.port(), agent.email, agent.password);
    Snapshot snap = PullAll(s.port(), token, ClientId());

    std::atomic<bool> pushed{false};
    auto start = steady_clock::now();
    auto poke = std::async(std::launch::async, [&] {
      HttpResult r =
          Http(s.port(), "GET", "/api/v1/sync/poke?cursor=" + snap.cursor, "",
               {.token = token});
      return std::make_pair(r, pushed.load());
    });
    std::this_thread::sleep_for(milliseconds(500));
    CHECK(poke.wait_for(milliseconds(0)) == std::future_status::timeout);
    std::string case_id = NewUuid();
    pushed = true;
    HttpResult push =
        Push(s.port(), token, ClientId(),
             Json::array({Mutation(1, "createCase",
                                   CreateCaseArgs(s.port(), token, case_id))}));
    REQUIRE(push.status == 200);
    auto [r, after] = poke.get();
    auto waited = steady_clock::now() - start;
    CHECK(after);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(r.json()["changed"] == true);
    CHECK(waited < milliseconds(2900));  // well before the 3 s poke timeout
    (void)agent_token;
  }

  TEST_CASE("poke times out with changed=false when nothing visible changed") {
    auto& s = Shared();
    DemoLogin a = s.Demo("customer", 0);
    DemoLogin b = s.Demo("customer", 1);
    std::string ta = Login(s.port(), a.email, a.password);
    std::string tb = Login(s.port(), b.email, b.password);
    Snapshot snap = PullAll(s.port(), ta, ClientId());
    auto poke = std::async(std::launch::async, [&] {
      return Http(s.port(), "GET", "/api/v1/sync/poke?cursor=" + snap.cursor,
                  "", {.token = ta});
    });
    std::this_thread::sleep_for(milliseconds(200));
    // Account B's new case is invisible to customer A.
    REQUIRE(
        Push(s.port(), tb, ClientId(),
             Json::array({Mutation(1, "createCase",
                                   CreateCaseArgs(s.port(), tb, NewUuid()))}))
            .status == 200);
    HttpResult r = poke.get();
    REQUIRE(r.status == 200);
    CHECK(r.json()["changed"] == false);
  }

  TEST_CASE("a restart keeps cases, sessions and lastMutationId") {
    ServerProcess server;
    REQUIRE(server.Start());
    DemoLogin d = server.Demo("customer");
    std::string token = Login(server.port(), d.email, d.password);
    std::string client = ClientId();
    std::string case_id = NewUuid();
    REQUIRE(Push(server.port(), token, client,
                 Json::array(
                     {Mutation(1, "createCase",
                               CreateCaseArgs(server.port(), token, case_id))}))
                .status == 200);
    Snapshot before = PullAll(server.port(), token, client);
    CHECK(server.Stop() == 0);
    REQUIRE(server.Start());
    CHECK(Http(server.port(), "GET", "/api/v1/auth/me", "", {.token = token})
              .status == 200);
    Snapshot after = PullAll(server.port(), token, client);
    CHECK(after.last["lastMutationId"] == 1);
    CHECK(after.tables["cases"][case_id] == before.tables["cases"][case_id]);
  }

  TEST_CASE("SIGTERM answers waiting long polls and exits 0") {
    ServerProcess::Options o;
    o.poke_timeout_ms = 25000;
    ServerProcess server(o);
    REQUIRE(server.Start());
    DemoLogin d = server.Demo("customer");
    std::string token = Login(server.port(), d.email, d.password);
    Snapshot snap = PullAll(server.port(), token, ClientId());
    auto poke = std::async(std::launch::async, [&] {
      return Http(server.port(), "GET",
                  "/api/v1/sync/poke?cursor=" + snap.cursor, "",
                  {.token = token});
    });
    // Stop only once the poke is waiting in the server (a fixed sleep races
    // with a loaded machine): /metrics shows it as an open long poll.
    auto waiting = [&] {
      return Http(server.port(), "GET", "/metrics")
                 .body.find("casesync_sync_open_long_polls 1") !=
             std::string::npos;
    };
    for (int i = 0; i < 200 && !waiting(); ++i) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    REQUIRE(waiting());
    auto start = steady_clock::now();
    CHECK(server.Stop() == 0);
    HttpResult r = poke.get();
    CHECK(r.status == 200);
    CHECK(steady_clock::now() - start < std::chrono::seconds(10));
  }

  TEST_CASE("SIGTERM with idle keep-alive connections open exits 0") {
    // The listener serves every connection on one network thread, and
    // cpprestsdk's close() waits for the connections it closes to wind down,
    // which is that thread's work: run on it, close() waited for itself and
    // the server hung (it did with one pool thread before session 8). Also
    // at the smallest worker pool.
    for (std::vector<std::string> args :
         {std::vector<std::string>{},
          std::vector<std::string>{"--threads", "1"}}) {
      CAPTURE(args.size());
      ServerProcess::Options o;
      o.extra_args = args;
      ServerProcess server(o);
      REQUIRE(server.Start());
      std::vector<int> fds;
      for (int i = 0; i < 3; ++i) {
        int fd = ConnectLoopback(server.port());
        REQUIRE(fd >= 0);
        fds.push_back(fd);
        const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        REQUIRE(send(fd, request.data(), request.size(), 0) ==
                static_cast<ssize_t>(request.size()));
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        REQUIRE(n > 0);
        CHECK(std::string(buf, static_cast<size_t>(n))
                  .starts_with("HTTP/1.1 200"));
      }
      CHECK(server.Stop() == 0);  // the connections are still open
      for (int fd : fds) {
        // What is left of the answer, then the end: closed by the server.
        char buf[4096];
        ssize_t n = 0;
        size_t left = 0;
        while ((n = recv(fd, buf, sizeof buf, 0)) > 0 && left < 65536) {
          left += static_cast<size_t>(n);
        }
        CHECK(n <= 0);
        close(fd);
      }
    }
  }

  TEST_CASE("kill -9 during pushes loses no acknowledged mutation") {
    ServerProcess server;
    REQUIRE(server.Start());
    DemoLogin d = server.Demo("customer");
    std::string token = Login(server.port(), d.email, d.password);
    std::string client = ClientId();
    CreateCaseArgs(server.port(), token, NewUuid());  // warm the catalog cache
    std::mutex mu;
    std::vector<std::string> acked;  // case ids of acknowledged mutations
    std::atomic<bool> stop{false};
    std::thread pusher([&] {
      int64_t next = 1;
      while (!stop) {
        Json batch = Json::array();
        std::vector<std::string> ids;
        for (int i = 0; i < 10; ++i) {
          ids.push_back(NewUuid());
          batch.push_back(
              Mutation(next + i, "createCase",
                       CreateCaseArgs(server.port(), token, ids.back())));
        }
        HttpResult r = Push(server.port(), token, client, batch);
        if (r.status != 200) break;
        next += 10;
        std::lock_guard lock(mu);
        acked.insert(acked.end(), ids.begin(), ids.end());
      }
    });
    std::this_thread::sleep_for(milliseconds(1500));
    server.Kill();
    stop = true;
    pusher.join();
    REQUIRE(acked.size() > 0);
    auto check = DbQuery(server.db_path(), "PRAGMA integrity_check");
    REQUIRE(check.size() == 1);
    CHECK(check[0][0] == "ok");
    REQUIRE(server.Start());
    token = Login(server.port(), d.email, d.password);
    Snapshot snap = PullAll(server.port(), token, ClientId());
    size_t found = 0;
    for (const auto& id : acked) found += snap.tables["cases"].count(id);
    CHECK(found == acked.size());
    for (const auto& id : acked) {
      auto rows = DbQuery(server.db_path(),
                          "SELECT count(*) FROM cases WHERE id = '" + id + "'");
      if (rows[0][0] != "1") FAIL_CHECK("case " << id << " x" << rows[0][0]);
    }
    MESSAGE("acknowledged mutations before kill -9: " << acked.size());
  }
}

}  // namespace
}  // namespace casesync::itest
