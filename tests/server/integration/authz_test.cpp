// Authorization matrix: who may read and change what, over HTTP.
#include <doctest/doctest.h>

#include "harness.h"

namespace casesync::itest {
namespace {

struct Party {
  DemoLogin login;
  std::string token;
  std::string client = "c-" + NewUuid();
  int64_t next = 1;
  Json account_id;
  Json user_id;
};

Party SignIn(const DemoLogin& d) {
  Party p;
  p.login = d;
  p.token = Login(Shared().port(), d.email, d.password);
  Json me =
      Http(Shared().port(), "GET", "/api/v1/auth/me", "", {.token = p.token})
          .json();
  p.account_id = me["user"]["accountId"];
  p.user_id = me["user"]["id"];
  return p;
}

// Pushes one mutation; returns the rejection code ("" when applied).
std::string Apply(Party& p, const std::string& name, const Json& args) {
  auto& s = Shared();
  int64_t id = p.next++;
  HttpResult r = Push(s.port(), p.token, p.client,
                      Json::array({Mutation(id, name, args)}));
  REQUIRE_MESSAGE(r.status == 200, name << ": " << r.body);
  Snapshot snap = PullAll(s.port(), p.token, p.client);
  for (const auto& rej : snap.rejections) {
    if (rej["mutationId"] == id) return rej["code"].get<std::string>();
  }
  return "";
}

std::string CaseRow(const std::string& id) {
  auto rows = DbQuery(Shared().db_path(),
                      "SELECT * FROM cases WHERE id = '" + id + "'");
  std::string out;
  for (const auto& r : rows) {
    for (const auto& c : r) out += c + "|";
  }
  return out;
}

std::string CommentCount(const std::string& case_id) {
  return DbQuery(
      Shared().db_path(),
      "SELECT count(*) FROM comments WHERE case_id = '" + case_id + "'")[0][0];
}

TEST_SUITE("authorization matrix") {
  TEST_CASE("accounts, roles and cases: who sees and changes what") {
    auto& s = Shared();
    Party ca = SignIn(s.Demo("customer", 0));
    Party aa = SignIn(s.Demo("customer_admin", 0));
    Party cb = SignIn(s.Demo("customer", 1));
    Party ag = SignIn(s.Demo("agent"));
    REQUIRE(ca.account_id == aa.account_id);
    REQUIRE(ca.account_id != cb.account_id);

    std::string case_a1 = NewUuid(), case_a2 = NewUuid(), case_b = NewUuid();
    REQUIRE(Apply(ca, "createCase",
                  CreateCaseArgs(s.port(), ca.token, case_a1)) == "");
    REQUIRE(Apply(aa, "createCase",
                  CreateCaseArgs(s.port(), aa.token, case_a2)) == "");
    REQUIRE(Apply(cb, "createCase",
                  CreateCaseArgs(s.port(), cb.token, case_b)) == "");
    REQUIRE(Apply(cb, "addComment",
                  {{"id", NewUuid()},
                   {"caseId", case_b},
                   {"body", "Comentario de B"}}) == "");
    std::string internal_id = NewUuid();
    REQUIRE(Apply(ag, "addComment",
                  {{"id", internal_id},
                   {"caseId", case_a1},
                   {"body", "Nota interna"},
                   {"visibility", "internal"}}) == "");

    SUBCASE("a customer sees own cases only") {
      Snapshot snap = PullAll(s.port(), ca.token, "c-" + NewUuid());
      CHECK(snap.tables["cases"].count(case_a1) == 1);
      CHECK(snap.tables["cases"].count(case_a2) == 0);
      CHECK(snap.tables["cases"].count(case_b) == 0);
      for (const auto& [id, row] : snap.tables["cases"]) {
        CHECK(row["contactId"] == ca.user_id);
      }
      CHECK(snap.tables["comments"].count(internal_id) == 0);
      for (const auto& [id, row] : snap.tables["users"]) {
        bool own_account = row["accountId"] == ca.account_id;
        bool staff = row.value("role", "") == "agent" ||
                     row.value("role", "") == "admin";
        CHECK((own_account || staff));
      }
      for (const auto& [id, row] : snap.tables["accounts"]) {
        CHECK(row["id"] == ca.account_id);
      }
    }
    SUBCASE("a customer admin sees the account's cases") {
      Snapshot snap = PullAll(s.port(), aa.token, "c-" + NewUuid());
      CHECK(snap.tables["cases"].count(case_a1) == 1);
      CHECK(snap.tables["cases"].count(case_a2) == 1);
      CHECK(snap.tables["cases"].count(case_b) == 0);
      CHECK(snap.tables["comments"].count(internal_id) == 0);
      for (const auto& [id, row] : snap.tables["cases"]) {
        CHECK(row["accountId"] == aa.account_id);
      }
    }
    SUBCASE("an agent sees every account's cases and internal notes") {
      Snapshot snap = PullAll(s.port(), ag.token, "c-" + NewUuid());
      CHECK(snap.tables["cases"].count(case_a1) == 1);
      CHECK(snap.tables["cases"].count(case_b) == 1);
      CHECK(snap.tables["comments"].count(internal_id) == 1);
    }
    SUBCASE("no mutation of account A reaches account B's case") {
      std::string before = CaseRow(case_b);
      std::string comments = CommentCount(case_b);
      const std::vector<std::pair<std::string, Json>> attacks = {
          {"updateCaseContact",
           {{"caseId", case_b}, {"contactPhone", "3110000000"}}},
          {"addComment",
           {{"id", NewUuid()}, {"caseId", case_b}, {"body", "x"}}},
          {"cancelCase", {{"caseId", case_b}, {"reason", "No lo necesito"}}},
          {"acceptSolution", {{"caseId", case_b}}},
          {"rejectSolution", {{"caseId", case_b}, {"comment", "No sirve"}}},
          {"acceptCase", {{"caseId", case_b}}},
          {"requestInfo", {{"caseId", case_b}, {"comment", "Más datos"}}},
          {"resolveCase",
           {{"caseId", case_b}, {"resolutionCode", "solved"}, {"notes", "x"}}},
          {"closeCase", {{"caseId", case_b}, {"notes", "x"}}},
          {"setPriority", {{"caseId", case_b}, {"priority", 1}}},
      };
      for (Party* p : {&ca, &aa}) {
        for (const auto& [name, args] : attacks) {
          CAPTURE(p->login.role);
          CAPTURE(name);
          std::string code = Apply(*p, name, args);
          CHECK(code != "");
        }
        Json follow = CreateCaseArgs(s.port(), p->token, NewUuid());
        follow["parentId"] = case_b;
        CHECK(Apply(*p, "createCase", follow) != "");
        // Reusing B's case id must not overwrite or reveal B's case.
        CHECK(Apply(*p, "createCase",
                    CreateCaseArgs(s.port(), p->token, case_b, "Robado")) !=
              "");
      }
      CHECK(CaseRow(case_b) == before);
      CHECK(CommentCount(case_b) == comments);
      Snapshot snap = PullAll(s.port(), ca.token, "c-" + NewUuid());
      CHECK(snap.tables["cases"].count(case_b) == 0);
    }
    SUBCASE("a customer cannot do agent transitions on an own case") {
      std::string before = CaseRow(case_a1);
      for (const auto& [name, args] : std::vector<std::pair<std::string, Json>>{
               {"acceptCase", {{"caseId", case_a1}}},
               {"requestInfo", {{"caseId", case_a1}, {"comment", "x"}}},
               {"resolveCase",
                {{"caseId", case_a1},
                 {"resolutionCode", "solved"},
                 {"notes", "x"}}},
               {"closeCase", {{"caseId", case_a1}, {"notes", "x"}}},
               {"setPriority", {{"caseId", case_a1}, {"priority", 1}}},
               {"addComment",
                {{"id", NewUuid()},
                 {"caseId", case_a1},
                 {"body", "x"},
                 {"visibility", "internal"}}}}) {
        CAPTURE(name);
        CHECK(Apply(ca, name, args) != "");
      }
      CHECK(CaseRow(case_a1) == before);
    }
    SUBCASE("an agent can work the case") {
      CHECK(Apply(ag, "acceptCase", {{"caseId", case_b}}) == "");
      CHECK(Apply(ag, "setPriority", {{"caseId", case_b}, {"priority", 2}}) ==
            "");
      Snapshot snap = PullAll(s.port(), cb.token, "c-" + NewUuid());
      CHECK(snap.tables["cases"][case_b]["state"] == "open");
      CHECK(snap.tables["cases"][case_b]["priority"] == 2);
    }
  }

  TEST_CASE("authority comes from the session, not from mutation args") {
    auto& s = Shared();
    Party ca = SignIn(s.Demo("customer", 0));
    Party cb = SignIn(s.Demo("customer", 1));
    std::string case_id = NewUuid();
    Json args = CreateCaseArgs(s.port(), ca.token, case_id);
    args["accountId"] = cb.account_id;
    args["contactId"] = cb.user_id;
    Apply(ca, "createCase", args);
    Snapshot b = PullAll(s.port(), cb.token, "c-" + NewUuid());
    CHECK(b.tables["cases"].count(case_id) == 0);
  }
}

}  // namespace
}  // namespace casesync::itest
