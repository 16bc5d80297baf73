// Regression (found by the simulation, tests/sim/): a pull page that stops
// before the head must not confirm a mutation whose row is rewritten later,
// or the client drops the pending mutation while the row's only version it
// could get is still in a later page — a case the user just created
// vanished from their list between two pages of one pull.
#include "server_fixtures.h"

namespace casesync::server::testing {
namespace {

TEST_SUITE("pull paging") {
  TEST_CASE("a page before the head does not confirm a push it lacks") {
    FakeClock clock;
    std::string dir = FreshDir("paging");
    SeedPeople(dir);
    auto o = Options(dir, &clock);
    o.pull_page_rows = 1;
    auto service = OpenService(o);
    Session ana = LoginAs(*service, "ana@a.example.co");
    Session agent = LoginAs(*service, "agente@desk.example.co");

    // Device 1 is in sync, then files case X offline.
    Pulled device1 = PullFresh(*service, ana, "c-ana-1");
    REQUIRE(PushAs(*service, ana, "c-ana-1",
                   {Mut(1, "createCase", CaseArgs("case-x"))})
                .ok());
    // Meanwhile: device 2 files case Y, then the agent accepts X, so X's
    // row now sorts after Y's.
    REQUIRE(PushAs(*service, ana, "c-ana-2",
                   {Mut(1, "createCase", CaseArgs("case-y"))})
                .ok());
    REQUIRE(PushAs(*service, agent, "c-agent",
                   {Mut(1, "acceptCase", Json{{"caseId", "case-x"}})})
                .ok());

    // Device 1 pulls one row per page: Y first, X (open) in the next page.
    auto page = service->Pull(ana, PullRequest{"c-ana-1", device1.cursor});
    REQUIRE(page.ok());
    REQUIRE(page->more);
    bool has_x = false;
    for (const PatchOp& op : page->patch) {
      has_x = has_x || (op.table == "cases" && op.row["id"] == "case-x");
    }
    REQUIRE(!has_x);
    // Confirming mutation 1 here would drop case X from device 1's view
    // until the next page.
    CHECK(page->last_mutation_id == 0);

    auto last = service->Pull(ana, PullRequest{"c-ana-1", page->cursor});
    REQUIRE(last.ok());
    CHECK(!last->more);
    CHECK(last->last_mutation_id == 1);
  }
}

}  // namespace
}  // namespace casesync::server::testing
