// Shared fixtures of the server unit tests: a clock tests move by hand, a
// fresh data directory per test (the binary runs in an empty temporary
// working directory, see cmake/RunInTempDir.cmake), the people of two
// customer accounts and the help desk seeded straight into the store, and
// small helpers to log in, push and pull.
#ifndef CASESYNC_TESTS_SERVER_SERVER_FIXTURES_H_
#define CASESYNC_TESTS_SERVER_SERVER_FIXTURES_H_

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "casesync/protocol.h"
#include "casesync/sqlite.h"
#include "passwords.h"
#include "service.h"
#include "store.h"

namespace casesync::server::testing {

class FakeClock : public Clock {
 public:
  int64_t NowMs() override { return now.load(); }
  void Advance(int64_t ms) { now += ms; }
  std::atomic<int64_t> now{1'764'400'000'000};  // 2025-11-29
};

// A new, empty directory under the working directory.
inline std::string FreshDir(const std::string& stem) {
  static int n = 0;
  std::string dir = "data-" + stem + "-" + std::to_string(++n);
  std::filesystem::remove_all(dir);
  return dir;
}

// Everyone's password in the seeded data.
inline constexpr const char* kPassword = "Cambio-Seguro-2026";

struct Person {
  const char* id;
  const char* account;
  const char* email;
  Role role;
};

// Account A (customers Ana and Andrés, admin Alba), account B (customer
// Beto, admin Brenda), the desk (agent Agustín).
inline const std::vector<Person>& People() {
  static const std::vector<Person> people = {
      {"u-ana", "acc-a", "ana@a.example.co", Role::kCustomer},
      {"u-andres", "acc-a", "andres@a.example.co", Role::kCustomer},
      {"u-alba", "acc-a", "alba@a.example.co", Role::kCustomerAdmin},
      {"u-beto", "acc-b", "beto@b.example.co", Role::kCustomer},
      {"u-brenda", "acc-b", "brenda@b.example.co", Role::kCustomerAdmin},
      {"u-agent", "acc-desk", "agente@desk.example.co", Role::kAgent},
  };
  return people;
}

// Seeds accounts and People() into the database of `dir` (before the
// service opens it). `must_change` lists e-mails with a temporary password.
inline void SeedPeople(const std::string& dir,
                       std::vector<std::string> must_change = {},
                       HashCost cost = HashCost::kMinimum) {
  std::filesystem::create_directories(dir);
  auto store = OpenSqliteStore({dir + "/casesync.db", "FULL"});
  REQUIRE(store.ok());
  auto hash = HashPassword(kPassword, cost);
  REQUIRE(hash.ok());
  auto tx = (*store)->BeginWrite();
  REQUIRE(tx.ok());
  for (auto [id, name, domain] :
       {std::tuple{"acc-a", "Cuenta A S.A.S.", "a.example.co"},
        std::tuple{"acc-b", "Cuenta B LTDA", "b.example.co"},
        std::tuple{"acc-desk", "Mesa de ayuda", ""}}) {
    AccountRecord a;
    a.account = {id, name, "", {}};
    if (*domain) a.account.domains.push_back(domain);
    REQUIRE((*tx)->PutAccount(a).ok());
  }
  for (const Person& p : People()) {
    UserRecord u;
    u.user = {p.id,   p.account,          p.email, p.email, "",
              p.role, UserStatus::kActive};
    u.password_hash = *hash;
    for (const auto& e : must_change) {
      if (e == p.email) u.must_change_password = true;
    }
    REQUIRE((*tx)->PutUser(u).ok());
  }
  REQUIRE((*tx)->Commit().ok());
}

inline ServiceOptions Options(const std::string& dir, Clock* clock) {
  ServiceOptions o;
  o.data_dir = dir;
  o.clock = clock;
  o.fast_password_hashing = true;
  o.log = [](const std::string&) {};
  return o;
}

inline std::unique_ptr<Service> OpenService(const ServiceOptions& o) {
  auto s = Service::Open(o);
  if (!s.ok()) FAIL(s.status().ToString());
  return std::move(*s);
}

inline Session LoginAs(Service& service, const std::string& email) {
  auto r = service.Login(email, kPassword, false, "10.0.0.1");
  if (!r.ok()) FAIL(email << ": " << r.status().ToString());
  return r->session;
}

inline Json CaseArgs(const std::string& id) {
  return Json{{"id", id},
              {"serviceId", "svc-cert"},
              {"productId", "prd-cert-token"},
              {"issueTypeId", "iss-cert-token-pin"},
              {"contactHours", "Lunes a viernes, 8:00 a 17:00"},
              {"contactPhone", "+57 300 123 4567"},
              {"subject", "El token quedó bloqueado"},
              {"description", "Ingresé mal el PIN tres veces."}};
}

inline MutationRecord Mut(int64_t id, std::string name, Json args) {
  return MutationRecord{id, std::move(name), std::move(args),
                        "2026-11-29T10:00:00.000Z"};
}

// Pushes `mutations` as `client`; the status of the push.
inline Result<PushResponse> PushAs(Service& s, const Session& session,
                                   const std::string& client,
                                   std::vector<MutationRecord> mutations) {
  return s.Push(session, PushRequest{client, std::move(mutations)});
}

// What a client knows after pulling to the end: rows by table and id.
struct Pulled {
  std::map<std::string, std::map<std::string, Json>> tables;
  std::vector<Rejection> rejections;
  std::string cursor;
  int64_t last_mutation_id = 0;
  int pages = 0;
  bool cleared = false;

  bool Has(const std::string& table, const std::string& id) const {
    auto t = tables.find(table);
    return t != tables.end() && t->second.count(id) > 0;
  }
  size_t Count(const std::string& table) const {
    auto t = tables.find(table);
    return t == tables.end() ? 0 : t->second.size();
  }
};

// Pulls until more=false, applying the pages to `state`.
inline void PullAll(Service& s, const Session& session,
                    const std::string& client, Pulled& state,
                    std::optional<std::string> cursor_override = {}) {
  std::optional<std::string> cursor =
      cursor_override
          ? cursor_override
          : (state.cursor.empty() ? std::nullopt
                                  : std::optional<std::string>(state.cursor));
  while (true) {
    auto r = s.Pull(session, PullRequest{client, cursor});
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    ++state.pages;
    for (const PatchOp& op : r->patch) {
      if (op.op == PatchOpKind::kClear) {
        state.tables.clear();
        state.cleared = true;
      } else if (op.op == PatchOpKind::kDel) {
        state.tables[op.table].erase(op.row["id"].get<std::string>());
      } else {
        state.tables[op.table][op.row["id"].get<std::string>()] = op.row;
      }
    }
    for (const Rejection& rej : r->rejections) state.rejections.push_back(rej);
    if (r->last_mutation_id > state.last_mutation_id) {
      state.last_mutation_id = r->last_mutation_id;
    }
    state.cursor = r->cursor;
    cursor = r->cursor;
    if (!r->more) break;
  }
}

inline Pulled PullFresh(Service& s, const Session& session,
                        const std::string& client) {
  Pulled p;
  PullAll(s, session, client, p);
  return p;
}

// Reads one value from the database of `dir` with SQL `sql`.
inline std::string QueryText(const std::string& dir, const std::string& sql) {
  OpenOptions o;
  o.create = false;
  o.journal_mode = "";
  auto db = Database::Open(dir + "/casesync.db", o);
  REQUIRE(db.ok());
  auto s = (*db)->Prepare(sql);
  REQUIRE(s.ok());
  StatementScope scope(**s);
  auto row = (*s)->Step();
  REQUIRE(row.ok());
  return *row ? (*s)->ColumnText(0) : std::string();
}

}  // namespace casesync::server::testing

#endif  // CASESYNC_TESTS_SERVER_SERVER_FIXTURES_H_
