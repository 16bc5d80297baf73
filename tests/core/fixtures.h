// Shared test fixtures: the people of the demo accounts, a valid case form,
// and an in-memory MutationStore that plays the server's authoritative store
// in unit tests of the mutators (the real server store has its own tests).
#ifndef CASESYNC_TESTS_CORE_FIXTURES_H_
#define CASESYNC_TESTS_CORE_FIXTURES_H_

#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <string>

#include "casesync/catalog.h"
#include "casesync/domain.h"
#include "casesync/mutation.h"
#include "casesync/protocol.h"

namespace casesync::testing {

inline const Actor kAna{"u-ana", "acc-a", Role::kCustomer};             // A
inline const Actor kAndres{"u-andres", "acc-a", Role::kCustomer};       // A
inline const Actor kAlba{"u-alba", "acc-a", Role::kCustomerAdmin};      // A
inline const Actor kBeto{"u-beto", "acc-b", Role::kCustomer};           // B
inline const Actor kBrenda{"u-brenda", "acc-b", Role::kCustomerAdmin};  // B
inline const Actor kAgent{"u-agent", "acc-desk", Role::kAgent};
inline const Actor kAdmin{"u-admin", "acc-desk", Role::kAdmin};

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

inline MutationRecord Mut(int64_t id, std::string name, Json args,
                          std::string time = "2026-11-29T10:00:00.000Z") {
  return MutationRecord{id, std::move(name), std::move(args), std::move(time)};
}

// An authoritative in-memory store: numbers cases like the server.
class MemoryStore : public MutationStore {
 public:
  MemoryStore() : catalog_(DefaultCatalog()) {
    for (const Actor* a :
         {&kAna, &kAndres, &kAlba, &kBeto, &kBrenda, &kAgent, &kAdmin}) {
      User u;
      u.id = a->user_id;
      u.account_id = a->account_id;
      u.email = a->user_id + "@example.co";
      u.role = a->role;
      users[u.id] = u;
    }
  }
  const CatalogItem* FindCatalogItem(std::string_view id) const override {
    return catalog_.FindCatalogItem(id);
  }
  Result<std::optional<Case>> GetCase(std::string_view id) override {
    auto it = cases.find(std::string(id));
    if (it == cases.end()) return std::optional<Case>();
    return std::optional<Case>(it->second);
  }
  Result<bool> CommentExists(std::string_view id) override {
    return comments.count(std::string(id)) > 0;
  }
  Result<std::optional<User>> GetUser(std::string_view id) override {
    auto it = users.find(std::string(id));
    if (it == users.end()) return std::optional<User>();
    return std::optional<User>(it->second);
  }
  Status PutCase(const Case& c) override {
    ++writes;
    cases[c.id] = c;
    return Status::Ok();
  }
  Status PutComment(const Comment& c) override {
    ++writes;
    comments[c.id] = c;
    return Status::Ok();
  }
  Result<std::string> NextCaseNumber() override {
    return FormatCaseNumber(++last_number);
  }

  // Runs a mutation as `actor` with all-or-nothing semantics, and checks
  // that a rejected mutation failed before its first write: the server
  // runs a push without a savepoint per mutation on that promise
  // (mutation.h, docs/server.md "Push").
  Status Apply(const Actor& actor, const MutationRecord& m,
               const std::string& now = "2026-11-29T12:00:00.000Z") {
    MutationEnv env;
    env.actor = actor;
    env.now = now;
    env.client_id = "c1";
    env.mutation_id = m.id;
    env.authoritative = true;
    MemoryStore before = *this;
    Status st = ApplyMutation(m, env, *this);
    if (!st.ok()) {
      CHECK_MESSAGE(
          writes == before.writes,
          "rejected after writing: " << m.name << " " << st.message());
      *this = before;
    }
    return st;
  }

  std::map<std::string, Case> cases;
  std::map<std::string, Comment> comments;
  std::map<std::string, User> users;
  int64_t last_number = 53362;
  int writes = 0;  // PutCase and PutComment calls

 private:
  CatalogIndex catalog_;
};

// A temporary file path removed (with its -wal/-shm/-journal) at scope end.
class TempDbPath {
 public:
  TempDbPath() {
    static int counter = 0;
    path_ = "casesync_test_" + std::to_string(++counter) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)) + ".db";
    Remove();
  }
  ~TempDbPath() { Remove(); }
  const std::string& path() const { return path_; }

 private:
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::remove((path_ + suffix).c_str());
    }
  }
  std::string path_;
};

}  // namespace casesync::testing

#endif  // CASESYNC_TESTS_CORE_FIXTURES_H_
