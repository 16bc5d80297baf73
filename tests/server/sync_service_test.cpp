// The sync authority (DESIGN §4) through Service: push, pull, numbering,
// paging, cursors, visibility and authorization, restart.
#include <chrono>
#include <set>
#include <thread>

#include "server_fixtures.h"

namespace casesync::server::testing {
namespace {

struct World {
  FakeClock clock;
  std::string dir;
  std::unique_ptr<Service> service;
  explicit World(size_t page_rows = kMaxPullResponseRows,
                 std::vector<std::string> must_change = {}) {
    dir = FreshDir("sync");
    SeedPeople(dir, must_change);
    auto o = Options(dir, &clock);
    o.pull_page_rows = page_rows;
    service = OpenService(o);
  }
  Session As(const std::string& email) { return LoginAs(*service, email); }
};

// Client c1 of `who` pushes a mutation the server rejects (no such case),
// then pulls from scratch.
PullResponse PushRejectedAndPull(World& w, const Session& who) {
  REQUIRE(
      PushAs(*w.service, who, "c1",
             {Mut(1, "cancelCase", Json{{"caseId", "nope"}, {"reason", "x"}})})
          .ok());
  auto first = w.service->Pull(who, PullRequest{"c1", std::nullopt});
  REQUIRE(first.ok());
  return std::move(first).value();
}

TEST_SUITE("sync service") {
  TEST_CASE("a pushed case comes back in a pull, numbered by the server") {
    World w;
    Session ana = w.As("ana@a.example.co");
    auto push = PushAs(*w.service, ana, "c-ana",
                       {Mut(1, "createCase", CaseArgs("case-1"))});
    REQUIRE(push.ok());
    CHECK(push->last_mutation_id == 1);
    Pulled p = PullFresh(*w.service, ana, "c-ana");
    CHECK(p.cleared);
    CHECK(p.last_mutation_id == 1);
    REQUIRE(p.Has("cases", "case-1"));
    const Json& row = p.tables["cases"]["case-1"];
    CHECK(row["number"] == "CS0000001");
    CHECK(row["accountId"] == "acc-a");
    CHECK(row["contactId"] == "u-ana");
    CHECK(row["state"] == "new");
    CHECK(row["parentId"].is_null());
    CHECK(p.Count("catalog") > 10);
    CHECK(p.Has("users", "u-ana"));
    CHECK(p.Has("accounts", "acc-a"));
    // The row decodes with the core's codec.
    CHECK(CaseFromJson(row).ok());
    // An incremental pull with the returned cursor brings nothing new.
    auto again = w.service->Pull(ana, PullRequest{"c-ana", p.cursor});
    REQUIRE(again.ok());
    CHECK(again->patch.empty());
    CHECK(!again->more);
    CHECK(again->last_mutation_id == 1);
  }

  TEST_CASE("a replayed batch is applied once") {
    World w;
    Session ana = w.As("ana@a.example.co");
    std::vector<MutationRecord> batch = {
        Mut(1, "createCase", CaseArgs("case-1")),
        Mut(2, "addComment",
            Json{{"id", "cm-1"}, {"caseId", "case-1"}, {"body", "Hola"}})};
    REQUIRE(PushAs(*w.service, ana, "c1", batch).ok());
    auto replay = PushAs(*w.service, ana, "c1", batch);
    REQUIRE(replay.ok());
    CHECK(replay->last_mutation_id == 2);
    SyncCounters counters = w.service->Counters();
    CHECK(counters.mutations_applied == 2);
    CHECK(counters.mutations_skipped == 2);
    CHECK(QueryText(w.dir, "SELECT count(*) FROM cases") == "1");
    CHECK(QueryText(w.dir, "SELECT count(*) FROM comments") == "1");
    // Overlapping batch: 2 skipped, 3 applied.
    auto overlap = PushAs(*w.service, ana, "c1",
                          {batch[1], Mut(3, "addComment",
                                         Json{{"id", "cm-2"},
                                              {"caseId", "case-1"},
                                              {"body", "Otra vez"}})});
    REQUIRE(overlap.ok());
    CHECK(overlap->last_mutation_id == 3);
    CHECK(QueryText(w.dir, "SELECT count(*) FROM comments") == "2");
  }

  TEST_CASE("a gap is refused with the expected id and changes nothing") {
    World w;
    Session ana = w.As("ana@a.example.co");
    REQUIRE(PushAs(*w.service, ana, "c1",
                   {Mut(1, "createCase", CaseArgs("case-1"))})
                .ok());
    auto gap = PushAs(*w.service, ana, "c1",
                      {Mut(3, "createCase", CaseArgs("case-3"))});
    REQUIRE(!gap.ok());
    CHECK(gap.status().code() == ErrorCode::kMutationGap);
    CHECK(ExpectedMutationId(gap.status()) == 2);
    CHECK(ExpectedMutationId(Status(ErrorCode::kNotFound, "expected 4")) == -1);
    CHECK(QueryText(w.dir, "SELECT count(*) FROM cases") == "1");
    CHECK(QueryText(w.dir, "SELECT last_mutation_id FROM clients") == "1");
  }

  TEST_CASE("a rejected mutation reaches the next pull with its args") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Json bad = CaseArgs("case-bad");
    bad["contactPhone"] = "llámame";
    auto push = PushAs(
        *w.service, ana, "c1",
        {Mut(1, "createCase", bad), Mut(2, "createCase", CaseArgs("case-ok"))});
    REQUIRE(push.ok());
    CHECK(push->last_mutation_id == 2);
    CHECK(w.service->Counters().mutations_rejected == 1);
    Pulled p = PullFresh(*w.service, ana, "c1");
    REQUIRE(p.rejections.size() == 1);
    const Rejection& r = p.rejections[0];
    CHECK(r.mutation_id == 1);
    CHECK(r.code == ErrorCode::kValidationFailed);
    CHECK(r.mutation.name == "createCase");
    CHECK(r.mutation.args == bad);
    CHECK(!p.Has("cases", "case-bad"));
    CHECK(p.tables["cases"]["case-ok"]["number"] == "CS0000001");
    // Once the client pulls with the cursor that followed, it is delivered.
    auto next = w.service->Pull(ana, PullRequest{"c1", p.cursor});
    REQUIRE(next.ok());
    CHECK(next->rejections.empty());
    CHECK(QueryText(w.dir, "SELECT delivered FROM rejections") == "1");
    // Never lost: a snapshot (unknown cursor) before delivery re-sends it;
    // after delivery it does not come back.
    auto snap = w.service->Pull(ana, PullRequest{"c1", std::nullopt});
    REQUIRE(snap.ok());
    CHECK(snap->rejections.empty());
  }

  TEST_CASE("rejections stay until the client's cursor passes them") {
    World w;
    Session ana = w.As("ana@a.example.co");
    auto first = PushRejectedAndPull(w, ana);
    CHECK(first.rejections.size() == 1);
    // The reply was lost: pulling again with the old (null) cursor repeats
    // the rejection.
    auto again = w.service->Pull(ana, PullRequest{"c1", std::nullopt});
    REQUIRE(again.ok());
    CHECK(again->rejections.size() == 1);
    CHECK(again->rejections[0].code == ErrorCode::kNotFound);
  }

  TEST_CASE("a pipelined pull delivers rejections only up to what is applied") {
    World w;
    Session ana = w.As("ana@a.example.co");
    auto first = PushRejectedAndPull(w, ana);
    REQUIRE(first.rejections.size() == 1);
    auto delivered = [&w] {
      return QueryText(w.dir, "SELECT delivered FROM rejections");
    };
    // Asked from the first page's cursor before that page is stored
    // (applied: none), or with an applied cursor the server cannot read:
    // the rejection comes again and is not delivered.
    for (const std::optional<std::string>& applied :
         {std::optional<std::string>(), std::optional<std::string>("x:1")}) {
      auto ahead =
          w.service->Pull(ana, PullRequest{"c1", first.cursor, true, applied});
      REQUIRE(ahead.ok());
      REQUIRE(ahead->rejections.size() == 1);
      CHECK(ahead->rejections[0].mutation_id == 1);
      CHECK(delivered() == "0");
    }
    // Once a request says the first page is stored, it is delivered.
    auto stored = w.service->Pull(
        ana, PullRequest{"c1", first.cursor, true, first.cursor});
    REQUIRE(stored.ok());
    CHECK(stored->rejections.empty());
    CHECK(delivered() == "1");
  }

  TEST_CASE("an up-to-date pull still carries the client's state") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session alba = w.As("alba@a.example.co");
    // Another device of another user has pulled to the head: every later
    // pull of this scope from the head reads no rows (the fast path).
    REQUIRE(PushAs(*w.service, ana, "c1",
                   {Mut(1, "createCase", CaseArgs("case-1")),
                    Mut(2, "cancelCase",
                        Json{{"caseId", "nope"}, {"reason", "x"}})})
                .ok());
    Pulled p = PullFresh(*w.service, ana, "c2");
    CHECK(p.rejections.empty());  // c2 made no mutation
    // c1 pulls from that head cursor: nothing new to read, yet its
    // lastMutationId, and its rejection (whose sequence the cursor has
    // passed, so it is marked delivered) are handled as by a full read.
    auto up = w.service->Pull(ana, PullRequest{"c1", p.cursor});
    REQUIRE(up.ok());
    CHECK(up->patch.empty());
    CHECK(up->cursor == p.cursor);
    CHECK(up->last_mutation_id == 2);
    CHECK(up->rejections.empty());
    CHECK(QueryText(w.dir, "SELECT delivered FROM rejections") == "1");
    // The same for a device whose rejection comes after the cursor.
    REQUIRE(PushAs(*w.service, ana, "c2",
                   {Mut(1, "cancelCase",
                        Json{{"caseId", "nada"}, {"reason", "y"}})})
                .ok());
    auto next = w.service->Pull(ana, PullRequest{"c2", p.cursor});
    REQUIRE(next.ok());
    CHECK(next->patch.empty());
    REQUIRE(next->rejections.size() == 1);
    CHECK(next->rejections[0].mutation_id == 1);
    CHECK(next->last_mutation_id == 1);
    // ... and from the head after it, the fast path delivers it.
    auto last = w.service->Pull(ana, PullRequest{"c2", next->cursor});
    REQUIRE(last.ok());
    CHECK(last->rejections.empty());
    CHECK(last->cursor == next->cursor);
    // Alba's scope differs: the same cursor is unknown to her.
    auto other = w.service->Pull(alba, PullRequest{"c3", p.cursor});
    REQUIRE(other.ok());
    REQUIRE(!other->patch.empty());
    CHECK(other->patch[0].op == PatchOpKind::kClear);
  }

  TEST_CASE("pull text is the protocol's encoding, odd characters included") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Json args = CaseArgs("case-odd");
    args["subject"] = "Comillas \"dobles\", barra \\ y ñ — 😀";
    args["description"] = "Línea 1\nLínea 2\twith tab </script>";
    REQUIRE(PushAs(*w.service, ana, "c1", {Mut(1, "createCase", args)}).ok());
    REQUIRE(PushAs(*w.service, ana, "c1",
                   {Mut(2, "addComment",
                        Json{{"id", "com-1"},
                             {"caseId", "case-odd"},
                             {"body", "Respuesta \"citada\"\n\\fin"}}),
                    Mut(3, "cancelCase",
                        Json{{"caseId", "nope"}, {"reason", "x"}})})
                .ok());
    auto text = w.service->PullText(ana, PullRequest{"c1", std::nullopt});
    REQUIRE(text.ok());
    auto decoded = DecodePullResponse(*text);
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
    // Byte for byte what the core's encoder writes for the same response.
    CHECK(EncodePullResponse(*decoded) == *text);
    Pulled p = PullFresh(*w.service, ana, "c9");
    const Json& row = p.tables["cases"]["case-odd"];
    CHECK(row["subject"] == args["subject"]);
    CHECK(row["description"] == args["description"]);
    CHECK(row["parentId"].is_null());
    CHECK(p.tables["comments"]["com-1"]["body"] ==
          "Respuesta \"citada\"\n\\fin");
    CHECK(p.Count("users") > 0);
    CHECK(p.Count("accounts") == 1);
    CHECK(p.tables["accounts"]["acc-a"]["domains"] == Json{"a.example.co"});
    CHECK(p.Count("catalog") > 0);
    REQUIRE(decoded->rejections.size() == 1);
    CHECK(decoded->rejections[0].mutation.args["caseId"] == "nope");
  }

  TEST_CASE("case numbers follow commit order and are unique") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session beto = w.As("beto@b.example.co");
    Session agent = w.As("agente@desk.example.co");
    REQUIRE(PushAs(*w.service, ana, "ca",
                   {Mut(1, "createCase", CaseArgs("a1")),
                    Mut(2, "createCase", CaseArgs("a2"))})
                .ok());
    REQUIRE(
        PushAs(*w.service, beto, "cb", {Mut(1, "createCase", CaseArgs("b1"))})
            .ok());
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(3, "createCase", CaseArgs("a3"))})
            .ok());
    Pulled p = PullFresh(*w.service, agent, "cg");
    CHECK(p.tables["cases"]["a1"]["number"] == "CS0000001");
    CHECK(p.tables["cases"]["a2"]["number"] == "CS0000002");
    CHECK(p.tables["cases"]["b1"]["number"] == "CS0000003");
    CHECK(p.tables["cases"]["a3"]["number"] == "CS0000004");
    // A create with a taken id (another account's too) is refused, takes no
    // number and leaves the case it collided with as it was.
    Json taken = CaseArgs("a1");
    taken["subject"] = "Otro asunto";
    REQUIRE(PushAs(*w.service, ana, "ca",
                   {Mut(4, "createCase", taken),
                    Mut(5, "createCase", CaseArgs("a5"))})
                .ok());
    REQUIRE(
        PushAs(*w.service, beto, "cb", {Mut(2, "createCase", CaseArgs("a2"))})
            .ok());
    PullAll(*w.service, agent, "cg", p);
    CHECK(p.tables["cases"]["a5"]["number"] == "CS0000005");
    CHECK(p.tables["cases"]["a1"]["number"] == "CS0000001");
    CHECK(p.tables["cases"]["a1"]["subject"] == "El token quedó bloqueado");
    CHECK(p.tables["cases"]["a2"]["accountId"] ==
          p.tables["cases"]["a1"]["accountId"]);
    CHECK(QueryText(w.dir,
                    "SELECT group_concat(client_id || ':' || mutation_id || "
                    "':' || code, ' ') FROM (SELECT * FROM rejections ORDER "
                    "BY seq)") == "ca:4:already_exists cb:2:already_exists");
    CHECK(QueryText(w.dir,
                    "SELECT value FROM counters WHERE name='case_number'") ==
          "5");
  }

  TEST_CASE(
      "a rejection between two applied mutations leaves no trace but "
      "its record") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Json bad = CaseArgs("m2");
    bad["subject"] = "   ";  // found by validation, before any write
    auto push =
        PushAs(*w.service, ana, "c1",
               {Mut(1, "createCase", CaseArgs("m1")), Mut(2, "createCase", bad),
                Mut(3, "createCase", CaseArgs("m3"))});
    REQUIRE(push.ok());
    CHECK(push->last_mutation_id == 3);
    CHECK(QueryText(w.dir,
                    "SELECT group_concat(id || '=' || number, ' ') FROM "
                    "(SELECT id, number FROM cases ORDER BY seq)") ==
          "m1=CS0000001 m3=CS0000002");
    CHECK(
        QueryText(w.dir, "SELECT mutation_id || ':' || code FROM rejections") ==
        "2:validation_failed");
    // Sequence numbers: no hole where the rejected mutation ran, and the
    // counters hold what was used.
    CHECK(QueryText(w.dir,
                    "SELECT group_concat(seq, ',') FROM (SELECT seq FROM "
                    "cases WHERE id IN ('m1','m3') UNION ALL SELECT seq "
                    "FROM rejections ORDER BY seq)") ==
          QueryText(w.dir,
                    "WITH h(v) AS (SELECT value FROM counters WHERE "
                    "name='change_seq') SELECT ((SELECT v FROM h) - 2) || ',' "
                    "|| ((SELECT v FROM h) - 1) || ',' || (SELECT v FROM h)"));
    CHECK(QueryText(w.dir,
                    "SELECT value FROM counters WHERE name='case_number'") ==
          "2");
  }

  TEST_CASE("concurrent pushes get distinct numbers") {
    World w;
    std::vector<Session> sessions = {w.As("ana@a.example.co"),
                                     w.As("beto@b.example.co"),
                                     w.As("andres@a.example.co")};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 1; i <= 20; ++i) {
          std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
          auto r = PushAs(*w.service, sessions[t], "c" + std::to_string(t),
                          {Mut(i, "createCase", CaseArgs(id))});
          CHECK(r.ok());
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(QueryText(w.dir, "SELECT count(DISTINCT number) FROM cases") == "60");
    CHECK(QueryText(w.dir, "SELECT max(number) FROM cases") == "CS0000060");
  }

  TEST_CASE("an initial sync of many cases comes in pages") {
    World w(1000);
    Session agent = w.As("agente@desk.example.co");
    const int kCases = 12000;
    int64_t id = 0;
    for (int batch = 0; batch < kCases / 1000; ++batch) {
      std::vector<MutationRecord> ms;
      for (int i = 0; i < 1000; ++i) {
        ++id;
        ms.push_back(Mut(id, "createCase", CaseArgs("k" + std::to_string(id))));
      }
      auto r = PushAs(*w.service, agent, "bulk", std::move(ms));
      REQUIRE(r.ok());
    }
    Session ana = w.As("ana@a.example.co");
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(1, "createCase", CaseArgs("ana-1"))})
            .ok());

    Pulled p;
    std::optional<std::string> cursor;
    std::set<std::string> seen;
    size_t rows = 0;
    while (true) {
      auto r = w.service->Pull(agent, PullRequest{"reader", cursor});
      REQUIRE(r.ok());
      ++p.pages;
      CHECK(r->patch.size() <= 1001);
      for (const PatchOp& op : r->patch) {
        if (op.op == PatchOpKind::kPut) {
          ++rows;
          if (op.table == "cases") seen.insert(op.row["id"].get<std::string>());
        }
      }
      cursor = r->cursor;
      if (!r->more) break;
    }
    CHECK(seen.size() == kCases + 1);
    CHECK(p.pages >= 12);
    CHECK(rows == seen.size() + w.service->Catalog().size() + 6 + 3);
    // Nothing new after the end.
    auto tail = w.service->Pull(agent, PullRequest{"reader", cursor});
    REQUIRE(tail.ok());
    CHECK(tail->patch.empty());

    // A customer's snapshot pages hold only her own case.
    Pulled mine = PullFresh(*w.service, ana, "ca");
    CHECK(mine.Count("cases") == 1);
  }

  TEST_CASE("an unknown, malformed or future cursor gives clear + snapshot") {
    World w;
    Session ana = w.As("ana@a.example.co");
    REQUIRE(PushAs(*w.service, ana, "c1",
                   {Mut(1, "createCase", CaseArgs("case-1"))})
                .ok());
    Pulled good = PullFresh(*w.service, ana, "c1");
    std::string prefix = good.cursor.substr(0, good.cursor.rfind('.') + 1);
    for (std::string cursor :
         {std::string("garbage"), std::string("v1...5"), prefix + "99999",
          prefix + "-1", prefix + "01", prefix + "1x",
          "v2" + good.cursor.substr(2), std::string("")}) {
      CAPTURE(cursor);
      auto r = w.service->Pull(ana, PullRequest{"c1", cursor});
      REQUIRE(r.ok());
      REQUIRE(!r->patch.empty());
      CHECK(r->patch[0].op == PatchOpKind::kClear);
      CHECK(r->patch[0].table.empty());
      bool has_case = false;
      for (const auto& op : r->patch) {
        has_case =
            has_case || (op.table == "cases" && op.row["id"] == "case-1");
      }
      CHECK(has_case);
    }
    // Another user's cursor is expired for this one.
    Session alba = w.As("alba@a.example.co");
    auto r = w.service->Pull(alba, PullRequest{"c-alba", good.cursor});
    REQUIRE(r.ok());
    CHECK(r->patch[0].op == PatchOpKind::kClear);
  }

  TEST_CASE("each session sees only what it may") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session andres = w.As("andres@a.example.co");
    Session alba = w.As("alba@a.example.co");
    Session beto = w.As("beto@b.example.co");
    Session agent = w.As("agente@desk.example.co");
    REQUIRE(PushAs(*w.service, ana, "ca",
                   {Mut(1, "createCase", CaseArgs("ana-1")),
                    Mut(2, "addComment",
                        Json{{"id", "cm-ana"},
                             {"caseId", "ana-1"},
                             {"body", "Mi comentario"}})})
                .ok());
    REQUIRE(PushAs(*w.service, andres, "cn",
                   {Mut(1, "createCase", CaseArgs("andres-1"))})
                .ok());
    REQUIRE(PushAs(*w.service, beto, "cb",
                   {Mut(1, "createCase", CaseArgs("beto-1"))})
                .ok());
    auto internal = PushAs(*w.service, agent, "cg",
                           {Mut(1, "addComment",
                                Json{{"id", "cm-int"},
                                     {"caseId", "ana-1"},
                                     {"body", "Nota interna"},
                                     {"visibility", "internal"}}),
                            Mut(2, "addComment",
                                Json{{"id", "cm-pub"},
                                     {"caseId", "ana-1"},
                                     {"body", "Respuesta pública"}})});
    REQUIRE(internal.ok());

    Pulled pa = PullFresh(*w.service, ana, "ca");
    CHECK(pa.Has("cases", "ana-1"));
    CHECK(!pa.Has("cases", "andres-1"));
    CHECK(!pa.Has("cases", "beto-1"));
    CHECK(pa.Has("comments", "cm-ana"));
    CHECK(pa.Has("comments", "cm-pub"));
    CHECK(!pa.Has("comments", "cm-int"));
    CHECK(pa.Has("accounts", "acc-a"));
    CHECK(!pa.Has("accounts", "acc-b"));
    CHECK(!pa.Has("users", "u-beto"));
    CHECK(!pa.Has("users", "u-andres"));  // a colleague, not an admin
    CHECK(pa.Has("users", "u-alba"));
    CHECK(pa.Has("users", "u-agent"));
    CHECK(pa.tables["users"]["u-agent"]["phone"] == "");

    Pulled pl = PullFresh(*w.service, alba, "cl");
    CHECK(pl.Has("cases", "ana-1"));
    CHECK(pl.Has("cases", "andres-1"));
    CHECK(!pl.Has("cases", "beto-1"));
    CHECK(!pl.Has("comments", "cm-int"));
    CHECK(pl.Has("users", "u-andres"));
    CHECK(!pl.Has("users", "u-brenda"));

    Pulled pb = PullFresh(*w.service, beto, "cb");
    CHECK(pb.Count("cases") == 1);
    CHECK(pb.Has("cases", "beto-1"));
    CHECK(pb.Count("comments") == 0);
    for (const auto& [id, row] : pb.tables["users"]) {
      CHECK(row["accountId"] != "acc-a");
    }

    Pulled pg = PullFresh(*w.service, agent, "cg");
    CHECK(pg.Count("cases") == 3);
    CHECK(pg.Has("comments", "cm-int"));
    CHECK(pg.Count("accounts") == 3);
    CHECK(pg.Count("users") == People().size());
  }

  TEST_CASE("another account's case ids are rejected as not found") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session beto = w.As("beto@b.example.co");
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(1, "createCase", CaseArgs("ana-1"))})
            .ok());
    std::string before =
        QueryText(w.dir, "SELECT group_concat(state || updated_at) FROM cases");
    std::vector<MutationRecord> attacks = {
        Mut(1, "addComment",
            Json{{"id", "x1"}, {"caseId", "ana-1"}, {"body", "hola"}}),
        Mut(2, "cancelCase", Json{{"caseId", "ana-1"}, {"reason", "porque"}}),
        Mut(3, "updateCaseContact",
            Json{{"caseId", "ana-1"}, {"contactPhone", "3001234567"}}),
        Mut(4, "createCase",
            [] {
              Json a = CaseArgs("beto-child");
              a["parentId"] = "ana-1";
              return a;
            }()),
        Mut(5, "createCase",
            [] {
              Json a = CaseArgs("beto-as-ana");
              a["contactId"] = "u-ana";
              return a;
            }()),
    };
    auto r = PushAs(*w.service, beto, "cb", attacks);
    REQUIRE(r.ok());
    CHECK(r->last_mutation_id == 5);
    Pulled pb = PullFresh(*w.service, beto, "cb");
    REQUIRE(pb.rejections.size() == 5);
    CHECK(pb.rejections[0].code == ErrorCode::kNotFound);
    CHECK(pb.rejections[1].code == ErrorCode::kNotFound);
    CHECK(pb.rejections[2].code == ErrorCode::kNotFound);
    CHECK(pb.rejections[3].code == ErrorCode::kNotFound);
    CHECK(pb.rejections[4].code == ErrorCode::kForbidden);
    CHECK(QueryText(w.dir, "SELECT count(*) FROM cases") == "1");
    CHECK(QueryText(w.dir, "SELECT count(*) FROM comments") == "0");
    CHECK(QueryText(w.dir,
                    "SELECT group_concat(state || updated_at) FROM cases") ==
          before);
    CHECK(pb.Count("cases") == 0);
  }

  TEST_CASE("a customer cannot take agent transitions") {
    World w;
    Session ana = w.As("ana@a.example.co");
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(1, "createCase", CaseArgs("ana-1"))})
            .ok());
    REQUIRE(PushAs(*w.service, ana, "ca",
                   {Mut(2, "acceptCase", Json{{"caseId", "ana-1"}}),
                    Mut(3, "resolveCase",
                        Json{{"caseId", "ana-1"},
                             {"resolutionCode", "x"},
                             {"notes", "listo"}}),
                    Mut(4, "setPriority",
                        Json{{"caseId", "ana-1"}, {"priority", 1}}),
                    Mut(5, "addComment",
                        Json{{"id", "i1"},
                             {"caseId", "ana-1"},
                             {"body", "secreto"},
                             {"visibility", "internal"}})})
                .ok());
    Pulled p = PullFresh(*w.service, ana, "ca");
    REQUIRE(p.rejections.size() == 4);
    for (const Rejection& r : p.rejections) {
      CHECK(r.code == ErrorCode::kForbidden);
    }
    CHECK(p.tables["cases"]["ana-1"]["state"] == "new");
    CHECK(p.tables["cases"]["ana-1"]["priority"] == 3);
  }

  TEST_CASE("another user's clientId is forbidden and changes nothing") {
    World w;
    Session ana = w.As("ana@a.example.co");
    Session andres = w.As("andres@a.example.co");
    REQUIRE(PushAs(*w.service, ana, "shared",
                   {Mut(1, "createCase", CaseArgs("ana-1"))})
                .ok());
    auto push = PushAs(*w.service, andres, "shared",
                       {Mut(2, "createCase", CaseArgs("andres-1"))});
    REQUIRE(!push.ok());
    CHECK(push.status().code() == ErrorCode::kForbidden);
    auto pull = w.service->Pull(andres, PullRequest{"shared", std::nullopt});
    REQUIRE(!pull.ok());
    CHECK(pull.status().code() == ErrorCode::kForbidden);
    CHECK(QueryText(w.dir, "SELECT count(*) FROM cases") == "1");
    CHECK(QueryText(w.dir, "SELECT last_mutation_id FROM clients") == "1");
    // A pull claims a fresh clientId too.
    REQUIRE(
        w.service->Pull(andres, PullRequest{"andres-c", std::nullopt}).ok());
    CHECK(PushAs(*w.service, ana, "andres-c", {}).status().code() ==
          ErrorCode::kForbidden);
  }

  TEST_CASE("a session with a temporary password may not sync") {
    World w(kMaxPullResponseRows, {"ana@a.example.co"});
    Session ana = w.As("ana@a.example.co");
    CHECK(ana.must_change_password);
    CHECK(PushAs(*w.service, ana, "ca", {}).status().code() ==
          ErrorCode::kPasswordChangeRequired);
    CHECK(
        w.service->Pull(ana, PullRequest{"ca", std::nullopt}).status().code() ==
        ErrorCode::kPasswordChangeRequired);
  }

  TEST_CASE("a pull page that stops early does not confirm later mutations") {
    World w(2);
    Session ana = w.As("ana@a.example.co");
    Session agent = w.As("agente@desk.example.co");
    Pulled p = PullFresh(*w.service, ana, "ca");
    REQUIRE(PushAs(*w.service, agent, "cg",
                   {Mut(1, "createCase",
                        [] {
                          Json a = CaseArgs("for-ana-1");
                          a["contactId"] = "u-ana";
                          return a;
                        }()),
                    Mut(2, "createCase",
                        [] {
                          Json a = CaseArgs("for-ana-2");
                          a["contactId"] = "u-ana";
                          return a;
                        }())})
                .ok());
    REQUIRE(
        PushAs(*w.service, ana, "ca", {Mut(1, "createCase", CaseArgs("ana-1"))})
            .ok());
    auto page = w.service->Pull(ana, PullRequest{"ca", p.cursor});
    REQUIRE(page.ok());
    CHECK(page->more);
    CHECK(page->last_mutation_id == 0);  // ana-1 is not in this page yet
    PullAll(*w.service, ana, "ca", p);
    CHECK(p.last_mutation_id == 1);
    CHECK(p.Has("cases", "ana-1"));
    CHECK(p.Has("cases", "for-ana-2"));
  }

  TEST_CASE("a restart keeps everything and the database is sound") {
    FakeClock clock;
    std::string dir = FreshDir("restart");
    SeedPeople(dir);
    std::string token, cursor;
    {
      auto s = OpenService(Options(dir, &clock));
      auto login = s->Login("ana@a.example.co", kPassword, true, "1.2.3.4");
      REQUIRE(login.ok());
      token = login->token;
      REQUIRE(PushAs(*s, login->session, "ca",
                     {Mut(1, "createCase", CaseArgs("ana-1")),
                      Mut(2, "cancelCase",
                          Json{{"caseId", "nope"}, {"reason", "x"}})})
                  .ok());
      Pulled p = PullFresh(*s, login->session, "ca");
      cursor = p.cursor;
    }
    auto s = OpenService(Options(dir, &clock));
    auto session = s->Authenticate(token);
    REQUIRE(session.ok());
    // The old cursor is still valid (same database epoch): nothing new.
    auto r = s->Pull(*session, PullRequest{"ca", cursor});
    REQUIRE(r.ok());
    CHECK(r->patch.empty());
    CHECK(r->last_mutation_id == 2);
    auto next =
        PushAs(*s, *session, "ca", {Mut(3, "createCase", CaseArgs("ana-2"))});
    REQUIRE(next.ok());
    Pulled all = PullFresh(*s, *session, "ca");
    CHECK(all.tables["cases"]["ana-2"]["number"] == "CS0000002");
    s.reset();
    CHECK(QueryText(dir, "PRAGMA integrity_check") == "ok");
    CHECK(QueryText(dir, "PRAGMA journal_mode") == "wal");
    CHECK(QueryText(dir, "PRAGMA user_version") == "4");  // 3: resolved index
  }

  TEST_CASE("demo data is seeded once and its people can work") {
    FakeClock clock;
    std::string dir = FreshDir("demo");
    auto o = Options(dir, &clock);
    o.demo = true;
    {
      auto s = OpenService(o);
      CHECK(s->DemoLogins().size() == 5);
    }
    auto s = OpenService(o);  // seeding again does nothing
    CHECK(QueryText(dir, "SELECT count(*) FROM accounts") == "3");
    CHECK(QueryText(dir, "SELECT count(*) FROM users") == "5");
    std::string cases = QueryText(dir, "SELECT count(*) FROM cases");
    CHECK(std::stoi(cases) >= 5);
    CHECK(QueryText(dir, "SELECT count(DISTINCT state) FROM cases") >= "4");
    int n = 0;
    for (const DemoLogin& d : s->DemoLogins()) {
      CAPTURE(d.email);
      ++n;
      CHECK(d.password.size() >= 10);
      auto login = s->Login(d.email, d.password, false, "127.0.0.1");
      REQUIRE(login.ok());
      CHECK(!login->session.must_change_password);
      Pulled p = PullFresh(*s, login->session, "demo-" + std::to_string(n));
      CHECK(p.Count("cases") >= 1);
    }
    // Without --demo: catalog only.
    std::string plain = FreshDir("plain");
    auto s2 = OpenService(Options(plain, &clock));
    CHECK(s2->DemoLogins().empty());
    CHECK(QueryText(plain, "SELECT count(*) FROM users") == "0");
    CHECK(QueryText(plain, "SELECT count(*) FROM catalog") != "0");
  }

  TEST_CASE("benchmark: initial pull of 100,000 cases" * doctest::skip()) {
    World w;
    Session agent = w.As("agente@desk.example.co");
    auto t0 = std::chrono::steady_clock::now();
    int64_t id = 0;
    for (int batch = 0; batch < 100; ++batch) {
      std::vector<MutationRecord> ms;
      for (int i = 0; i < 1000; ++i) {
        ++id;
        ms.push_back(Mut(id, "createCase", CaseArgs("k" + std::to_string(id))));
      }
      REQUIRE(PushAs(*w.service, agent, "bulk", std::move(ms)).ok());
    }
    auto t1 = std::chrono::steady_clock::now();
    size_t rows = 0, bytes = 0;
    std::optional<std::string> cursor;
    double encode_s = 0;
    while (true) {
      auto r = w.service->Pull(agent, PullRequest{"reader", cursor});
      REQUIRE(r.ok());
      rows += r->patch.size();
      auto e0 = std::chrono::steady_clock::now();
      bytes += EncodePullResponse(*r).size();
      encode_s +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - e0)
              .count();
      cursor = r->cursor;
      if (!r->more) break;
    }
    auto t2 = std::chrono::steady_clock::now();
    double push_s = std::chrono::duration<double>(t1 - t0).count();
    double pull_s = std::chrono::duration<double>(t2 - t1).count() - encode_s;
    MESSAGE("push 100,000 createCase in batches of 1000: "
            << push_s << " s (" << 100000 / push_s << " mutations/s)");
    MESSAGE("pull " << rows << " rows: " << pull_s << " s (" << rows / pull_s
                    << " rows/s) without encoding; encoding " << encode_s
                    << " s, " << bytes / 1e6 << " MB");
  }
}

}  // namespace
}  // namespace casesync::server::testing
