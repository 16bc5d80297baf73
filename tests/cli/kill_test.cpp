// Real processes under SIGKILL (issue 5, docs/guarantees.md): K casesync
// clients — customers of both demo accounts and an agent, each in its own
// data dir — run random changes and syncs against the real casesync-server
// while a driver kills the server with SIGKILL at random moments and starts
// it again on the same --data. Then every client syncs to quiescence and:
//   - each client's replica equals a fresh login's replica for the same user
//     (cases and comments, nothing pending);
//   - the server's clients table has, for each client, lastMutationId equal
//     to the last id the client made (every mutation arrived, none twice);
//   - every mutation a client queued is applied (its case or comment row is
//     there) or rejected, and each rejection reached the client;
//   - case numbers are unique and dense (no commit lost or repeated);
//   - PRAGMA integrity_check is ok on the server and every replica.
//
// Seeded: CASESYNC_KILL_SEED (default fixed), CASESYNC_KILL_COUNT (default
// 6). The seed drives the
// driver's timing and each client's choices; process scheduling still varies
// between runs, so a failure prints the seed and the figures, not a replay.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "casesync/mutation.h"
#include "casesync/replica.h"
#include "cli_process.h"
#include "harness.h"

namespace casesync::clitest {
namespace {

using itest::DbQuery;
using itest::DemoLogin;
using itest::ServerProcess;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : fallback;
}

struct Sent {
  int64_t mutation_id = 0;
  std::string name;        // mutation name
  std::string case_id;     // createCase: the new case
  std::string comment_id;  // addComment: the new comment
};

struct SimClient {
  std::string label;
  DemoLogin who;
  bool agent = false;
  std::string dir;
  std::mt19937_64 rng;
  std::vector<Sent> sent;
  std::map<int, int> exits;  // exit code → count
  std::vector<std::string> errors;
  std::set<int64_t> delivered;  // rejections its replica holds at the end
  int runs = 0;
};

double Uniform(std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

template <typename T>
const T& Pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

// One random step of a client: a change chosen from what its replica shows,
// or a sync. Records the mutation the CLI reports as queued.
void Step(SimClient& c, uint16_t port, int n) {
  CliRun listed = RunCli(port, c.dir, {"--json", "list"});
  ++c.runs;
  Json cases = listed.json();
  if (listed.code != 0 || !cases.is_array()) {
    c.errors.push_back("list: " + std::to_string(listed.code) + " " +
                       listed.err);
    return;
  }
  std::map<std::string, std::vector<std::string>> by_state;
  for (const auto& k : cases) {
    by_state[k["state"].get<std::string>()].push_back(k["id"]);
  }
  auto any = [&](std::initializer_list<const char*> states) {
    std::vector<std::string> ids;
    for (const char* s : states) {
      for (const auto& id : by_state[s]) ids.push_back(id);
    }
    return ids;
  };
  std::vector<std::string> args;
  double r = Uniform(c.rng);
  std::string text = c.label + " #" + std::to_string(n);
  auto open_ids = any({"new", "open", "awaiting_info"});
  if (!c.agent) {
    auto resolved = any({"resolved"});
    if (r < 0.3 || cases.empty()) {
      args = {"new",
              "--service",
              "svc-cert",
              "--product",
              "prd-cert-token",
              "--issue-type",
              "iss-cert-token-pin",
              "--hours",
              "Mañanas",
              "--phone",
              "3001234567",
              "--subject",
              "Caso " + text,
              "--description",
              "Descripción " + text};
    } else if (r < 0.6) {
      auto commentable = any({"new", "open", "awaiting_info", "resolved"});
      std::string id = commentable.empty() ? cases[0]["id"].get<std::string>()
                                           : Pick(c.rng, commentable);
      args = {"comment", id, "Comentario " + text};
    } else if (r < 0.72 && !resolved.empty()) {
      std::string id = Pick(c.rng, resolved);
      args = Uniform(c.rng) < 0.5 ? std::vector<std::string>{"accept", id}
                                  : std::vector<std::string>{
                                        "reject", id, "No funciona " + text};
    } else if (r < 0.78 && !open_ids.empty()) {
      args = {"cancel", Pick(c.rng, open_ids), "Ya no aplica " + text};
    } else {
      args = {"sync"};
    }
  } else {
    auto fresh = any({"new"});
    auto open = any({"open"});
    if (r < 0.25 && !fresh.empty()) {
      args = {"take", Pick(c.rng, fresh)};
    } else if (r < 0.45 && !open_ids.empty()) {
      args = {"resolve", Pick(c.rng, open_ids), "solucionado", "Notas " + text};
    } else if (r < 0.55 && !open.empty()) {
      args = {"request-info", Pick(c.rng, open), "¿Más datos? " + text};
    } else if (r < 0.62 && !open_ids.empty()) {
      args = {"priority", Pick(c.rng, open_ids),
              std::to_string(1 + c.rng() % 4)};
    } else if (r < 0.67 && !open_ids.empty()) {
      args = {"close", Pick(c.rng, open_ids), "Cerrado " + text};
    } else if (r < 0.8 && !cases.empty()) {
      args = {"comment", cases[c.rng() % cases.size()]["id"], "Nota " + text,
              "--internal"};
    } else {
      args = {"sync"};
    }
  }
  if (args.empty()) args = {"sync"};
  std::vector<std::string> full = {"--json", "--attempts", "2"};
  full.insert(full.end(), args.begin(), args.end());
  CliRun run = RunCli(port, c.dir, full, "", 120000);
  ++c.runs;
  ++c.exits[run.code];
  // 0 done (maybe pending), 4 refused (locally, or rejected by the server),
  // 5 sync found no server. Anything else is a failure of the client.
  if (run.code != 0 && run.code != 4 && run.code != 5) {
    c.errors.push_back(args[0] + " → " + std::to_string(run.code) + ": " +
                       run.err + run.out);
    return;
  }
  Json j = run.json();
  if (j.is_object() && j.contains("mutationId")) {
    Sent s;
    s.mutation_id = j["mutationId"];
    s.name = args[0] == "new"            ? "createCase"
             : args[0] == "comment"      ? "addComment"
             : args[0] == "reject"       ? "rejectSolution"
             : args[0] == "request-info" ? "requestInfo"
                                         : args[0];
    if (args[0] == "new") s.case_id = j["caseId"];
    if (args[0] == "comment") s.comment_id = j.value("id", "");
    c.sent.push_back(s);
  }
}

std::unique_ptr<Replica> OpenReplica(const std::string& dir) {
  auto r = Replica::Open(dir + "/replica.db", "unused");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

std::vector<Case> SortedCases(Replica& r) {
  auto items = r.ListCases({});
  REQUIRE(items.ok());
  std::vector<Case> out;
  for (const auto& i : *items) {
    CHECK_MESSAGE(!i.pending, "pending case " << i.c.id);
    out.push_back(i.c);
  }
  std::sort(out.begin(), out.end(),
            [](const Case& a, const Case& b) { return a.id < b.id; });
  return out;
}

TEST_SUITE("cli_kill") {
  TEST_CASE("clients converge and lose nothing while the server is killed") {
    const uint64_t seed = EnvInt("CASESYNC_KILL_SEED", 20261129);
    const int kills = static_cast<int>(EnvInt("CASESYNC_KILL_COUNT", 6));
    MESSAGE("kill test seed " << seed << ", " << kills << " kills");
    std::mt19937_64 driver_rng(seed);
    auto t0 = std::chrono::steady_clock::now();

    ServerProcess::Options options;
    options.poke_timeout_ms = 1000;
    ServerProcess server(options);
    REQUIRE_MESSAGE(server.Start(), server.Log());
    std::atomic<uint16_t> port{server.port()};

    std::vector<SimClient> clients(4);
    const DemoLogin logins[] = {
        server.Demo("customer", 0), server.Demo("customer", 1),
        server.Demo("customer_admin", 1), server.Demo("agent", 0)};
    for (size_t i = 0; i < clients.size(); ++i) {
      SimClient& c = clients[i];
      c.who = logins[i];
      c.agent = c.who.role == "agent";
      c.label = "c" + std::to_string(i);
      c.dir = itest::MakeTempDir(c.label);
      c.rng.seed(seed * 1000 + i);
      CliRun login =
          RunCli(port, c.dir, {"login", c.who.email, "--password-stdin"},
                 c.who.password + "\n");
      REQUIRE_MESSAGE(login.code == 0, login.err << login.out);
    }

    // Chaos: clients loop while the driver kills and restarts the server.
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (SimClient& c : clients) {
      threads.emplace_back([&c, &port, &stop] {
        for (int n = 0; !stop.load(); ++n) Step(c, port.load(), n);
      });
    }
    int restarts = 0;
    for (int k = 0; k < kills; ++k) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(2000 + driver_rng() % 5000));
      server.Kill();
      std::this_thread::sleep_for(
          std::chrono::milliseconds(100 + driver_rng() % 1400));
      REQUIRE_MESSAGE(server.Start(), server.Log());
      port = server.port();
      ++restarts;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stop = true;
    for (auto& t : threads) t.join();
    auto chaos_end = std::chrono::steady_clock::now();

    int runs = 0;
    std::map<int, int> exits;
    for (SimClient& c : clients) {
      for (const auto& e : c.errors) FAIL_CHECK(c.label << ": " << e);
      runs += c.runs;
      for (auto [code, n] : c.exits) exits[code] += n;
    }

    // Quiescence: everyone pushes what is left, then everyone pulls once
    // more so that each sees the others' last changes.
    for (int round = 0; round < 2; ++round) {
      for (SimClient& c : clients) {
        bool done = false;
        for (int attempt = 0; attempt < 5 && !done; ++attempt) {
          CliRun s = RunCli(port, c.dir, {"sync"});
          Json st = RunCli(port, c.dir, {"--json", "status"}).json();
          done = s.code == 0 && st["pending"] == 0;
        }
        CHECK_MESSAGE(done, c.label << " did not reach quiescence");
      }
    }

    // Each replica equals a fresh login's for the same user.
    int64_t mutations = 0, cases_created = 0, comments_added = 0;
    std::map<std::string, int64_t> client_last;  // clientId → last id made
    for (SimClient& c : clients) {
      std::string fresh = itest::MakeTempDir(c.label + "-fresh");
      CliRun login =
          RunCli(port, fresh, {"login", c.who.email, "--password-stdin"},
                 c.who.password + "\n");
      REQUIRE_MESSAGE(login.code == 0, login.err << login.out);
      auto mine = OpenReplica(c.dir);
      auto theirs = OpenReplica(fresh);
      std::vector<Case> a = SortedCases(*mine), b = SortedCases(*theirs);
      CHECK_MESSAGE(a == b, c.label << ": " << a.size() << " vs " << b.size()
                                    << " cases");
      for (const Case& k : a) {
        auto ca = mine->ListComments(k.id);
        auto cb = theirs->ListComments(k.id);
        REQUIRE((ca.ok() && cb.ok()));
        CHECK_MESSAGE(*ca == *cb, c.label << ": comments of " << k.number);
      }
      auto st = mine->GetSyncState();
      REQUIRE(st.ok());
      CHECK(st->pending == 0);
      client_last[st->client_id] = st->next_mutation_id - 1;
      mutations += st->next_mutation_id - 1;
      CHECK(static_cast<int64_t>(c.sent.size()) == st->next_mutation_id - 1);

      // Checked against the server's rejections below, once it stopped.
      auto delivered = mine->ListRejections();
      REQUIRE(delivered.ok());
      for (const auto& x : *delivered) c.delivered.insert(x.mutation_id);
    }
    REQUIRE(server.Stop() == 0);
    const std::string db = server.db_path();

    auto integrity = DbQuery(db, "PRAGMA integrity_check");
    REQUIRE(integrity.size() == 1);
    CHECK(integrity[0][0] == "ok");

    std::set<std::pair<std::string, int64_t>> rejected;
    for (const auto& row :
         DbQuery(db, "SELECT client_id, mutation_id FROM rejections")) {
      rejected.insert({row[0], std::stoll(row[1])});
    }
    std::set<std::string> case_ids, comment_ids;
    for (const auto& row : DbQuery(db, "SELECT id FROM cases")) {
      case_ids.insert(row[0]);
    }
    for (const auto& row : DbQuery(db, "SELECT id FROM comments")) {
      comment_ids.insert(row[0]);
    }
    int64_t rejections = 0;
    for (SimClient& c : clients) {
      auto mine = OpenReplica(c.dir);
      std::string client_id = mine->GetSyncState()->client_id;
      auto row = DbQuery(db, "SELECT last_mutation_id FROM clients WHERE id='" +
                                 client_id + "'");
      REQUIRE_MESSAGE(row.size() == 1, c.label << " unknown to the server");
      CHECK_MESSAGE(std::stoll(row[0][0]) == client_last[client_id],
                    c.label << ": server has " << row[0][0] << ", client made "
                            << client_last[client_id]);
      for (const Sent& s : c.sent) {
        if (rejected.count({client_id, s.mutation_id})) {
          ++rejections;
          CHECK_MESSAGE(c.delivered.count(s.mutation_id),
                        c.label << ": rejection of " << s.mutation_id
                                << " not delivered");
          continue;
        }
        if (s.name == "createCase") {
          ++cases_created;
          CHECK_MESSAGE(case_ids.count(s.case_id),
                        c.label << ": case " << s.case_id << " lost");
        } else if (s.name == "addComment") {
          ++comments_added;
          CHECK_MESSAGE(comment_ids.count(s.comment_id),
                        c.label << ": comment " << s.comment_id << " lost");
        } else if (s.name == "requestInfo" || s.name == "rejectSolution") {
          CHECK_MESSAGE(
              comment_ids.count(DerivedCommentId(client_id, s.mutation_id)),
              c.label << ": comment of mutation " << s.mutation_id << " lost");
        }
      }
      auto check = DbQuery(c.dir + "/replica.db", "PRAGMA integrity_check");
      CHECK(check[0][0] == "ok");
    }

    // Case numbers: unique and dense 1..N, in the order they were given.
    auto numbers =
        DbQuery(db,
                "SELECT count(*), count(DISTINCT number), min(number), "
                "max(number) FROM cases");
    REQUIRE(numbers.size() == 1);
    int64_t count = std::stoll(numbers[0][0]);
    CHECK(numbers[0][1] == numbers[0][0]);
    CHECK(numbers[0][2] == FormatCaseNumber(1));
    CHECK(numbers[0][3] == FormatCaseNumber(count));

    auto secs = [](auto d) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(d).count() /
             1000.0;
    };
    std::string exit_text;
    for (auto [code, n] : exits) {
      exit_text += " exit" + std::to_string(code) + "=" + std::to_string(n);
    }
    MESSAGE("kill test: seed "
            << seed << ", " << restarts << " SIGKILLs survived, "
            << clients.size() << " clients, " << runs << " CLI runs ("
            << exit_text << "), " << mutations << " mutations acknowledged ("
            << cases_created << " cases, " << comments_added << " comments, "
            << rejections << " rejected), " << count
            << " cases on the server; chaos " << secs(chaos_end - t0)
            << " s, total " << secs(std::chrono::steady_clock::now() - t0)
            << " s");
  }
}

}  // namespace
}  // namespace casesync::clitest
