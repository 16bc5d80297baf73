// Long polls (WaitForChange) and the registry behind them.
#include "poke_registry.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "server_fixtures.h"

namespace casesync::server::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// One long poll's answer, waited for by the test.
class Answer {
 public:
  std::function<void(PokeResponse)> Callback() {
    return [this](PokeResponse r) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      response_ = r;
      at_ = SteadyClock::now();
      cv_.notify_all();
    };
  }
  // The answer, or nullopt if none came within `wait`.
  std::optional<PokeResponse> Get(milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return response_.has_value(); });
    return response_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  SteadyClock::time_point at() {
    std::lock_guard<std::mutex> lock(mu_);
    return at_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<PokeResponse> response_;
  SteadyClock::time_point at_;
  int calls_ = 0;
};

struct World {
  FakeClock clock;
  std::string dir;
  std::unique_ptr<Service> service;
  World() {
    dir = FreshDir("poke");
    SeedPeople(dir);
    service = OpenService(Options(dir, &clock));
  }
  Session As(const std::string& email) { return LoginAs(*service, email); }
  std::string CursorOf(const Session& s, const std::string& client) {
    return PullFresh(*service, s, client).cursor;
  }
};

TEST_SUITE("long poll") {
  TEST_CASE("a visible push wakes the waiter within milliseconds") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session agent = w.As("agente@desk.example.co");
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(1, "createCase", CaseArgs("ana-1"))})
            .ok());
    std::string cursor = w.CursorOf(ana, "ca");
    Answer answer;
    w.service->WaitForChange(ana, cursor, milliseconds(5000),
                             answer.Callback());
    CHECK(w.service->OpenLongPolls() == 1);
    CHECK(!answer.Get(milliseconds(50)));
    auto pushed_at = SteadyClock::now();
    REQUIRE(PushAs(*w.service, agent, "cg",
                   {Mut(1, "acceptCase", Json{{"caseId", "ana-1"}})})
                .ok());
    auto r = answer.Get(milliseconds(2000));
    REQUIRE(r);
    CHECK(r->changed);
    CHECK(r->cursor == cursor);
    MESSAGE("wake latency " << std::chrono::duration<double, std::milli>(
                                   answer.at() - pushed_at)
                                   .count()
                            << " ms (push commit included)");
    CHECK(w.service->OpenLongPolls() == 0);
    CHECK(answer.calls() == 1);
  }

  TEST_CASE("an invisible push does not wake; the deadline answers") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session beto = w.As("beto@b.example.co");
    Session agent = w.As("agente@desk.example.co");
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(1, "createCase", CaseArgs("ana-1"))})
            .ok());
    std::string cursor = w.CursorOf(beto, "cb");
    Answer answer;
    auto start = SteadyClock::now();
    w.service->WaitForChange(beto, cursor, milliseconds(400),
                             answer.Callback());
    // Another account's case, and an internal note on it.
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(2, "createCase", CaseArgs("ana-2"))})
            .ok());
    REQUIRE(PushAs(*w.service, agent, "cg",
                   {Mut(1, "addComment",
                        Json{{"id", "n1"},
                             {"caseId", "ana-1"},
                             {"body", "interna"},
                             {"visibility", "internal"}})})
                .ok());
    auto r = answer.Get(milliseconds(3000));
    REQUIRE(r);
    CHECK(!r->changed);
    auto waited = answer.at() - start;
    CHECK(waited >= milliseconds(390));
    CHECK(answer.calls() == 1);
  }

  TEST_CASE("a colleague's case wakes the account admin, not the customer") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session alba = w.As("alba@a.example.co");
    Session andres = w.As("andres@a.example.co");
    std::string ana_cursor = w.CursorOf(ana, "ca");
    std::string alba_cursor = w.CursorOf(alba, "cl");
    Answer for_ana, for_alba;
    w.service->WaitForChange(ana, ana_cursor, milliseconds(300),
                             for_ana.Callback());
    w.service->WaitForChange(alba, alba_cursor, milliseconds(3000),
                             for_alba.Callback());
    REQUIRE(PushAs(*w.service, andres, "cn",
                   {Mut(1, "createCase", CaseArgs("andres-1"))})
                .ok());
    auto alba_r = for_alba.Get(milliseconds(2000));
    REQUIRE(alba_r);
    CHECK(alba_r->changed);
    auto ana_r = for_ana.Get(milliseconds(2000));
    REQUIRE(ana_r);
    CHECK(!ana_r->changed);
  }

  TEST_CASE("a stale or missing cursor answers at once") {
    World w;
    Session ana = w.As("ana@a.example.co");
    std::string cursor = w.CursorOf(ana, "ca");
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(1, "createCase", CaseArgs("ana-1"))})
            .ok());
    Answer stale, missing, garbage;
    w.service->WaitForChange(ana, cursor, milliseconds(5000), stale.Callback());
    w.service->WaitForChange(ana, std::nullopt, milliseconds(5000),
                             missing.Callback());
    w.service->WaitForChange(ana, "v1.nope", milliseconds(5000),
                             garbage.Callback());
    for (Answer* a : {&stale, &missing, &garbage}) {
      auto r = a->Get(milliseconds(100));
      REQUIRE(r);
      CHECK(r->changed);
    }
    CHECK(w.service->OpenLongPolls() == 0);
  }

  TEST_CASE("shutdown answers every waiter") {
    World w;
    Session ana = w.As("ana@a.example.co");
    std::string cursor = w.CursorOf(ana, "ca");
    std::vector<std::unique_ptr<Answer>> answers;
    for (int i = 0; i < 300; ++i) {
      answers.push_back(std::make_unique<Answer>());
      w.service->WaitForChange(ana, cursor, milliseconds(60000),
                               answers.back()->Callback());
    }
    CHECK(w.service->OpenLongPolls() == 300);
    w.service->Shutdown();
    CHECK(w.service->OpenLongPolls() == 0);
    for (auto& a : answers) {
      auto r = a->Get(milliseconds(100));
      REQUIRE(r);
      CHECK(!r->changed);
      CHECK(a->calls() == 1);
    }
    Answer late;
    w.service->WaitForChange(ana, cursor, milliseconds(60000), late.Callback());
    REQUIRE(late.Get(milliseconds(100)));
  }

  TEST_CASE("the registry matches change sets to readers") {
    ChangeSet cs;
    cs.any = true;
    cs.accounts = {"acc-a"};
    cs.contacts = {"u-ana"};
    CHECK(MayConcern(cs, Actor{"u-agent", "acc-desk", Role::kAgent}));
    CHECK(MayConcern(cs, Actor{"u-ana", "acc-a", Role::kCustomer}));
    CHECK(!MayConcern(cs, Actor{"u-andres", "acc-a", Role::kCustomer}));
    CHECK(MayConcern(cs, Actor{"u-alba", "acc-a", Role::kCustomerAdmin}));
    CHECK(!MayConcern(cs, Actor{"u-brenda", "acc-b", Role::kCustomerAdmin}));
    ChangeSet internal;
    internal.any = true;
    CHECK(!MayConcern(internal, Actor{"u-ana", "acc-a", Role::kCustomer}));
    ChangeSet everyone;
    everyone.everyone = true;
    CHECK(MayConcern(everyone, Actor{"u-beto", "acc-b", Role::kCustomer}));
  }
}

}  // namespace
}  // namespace casesync::server::testing
