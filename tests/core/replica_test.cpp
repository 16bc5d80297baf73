#include "casesync/replica.h"

#include <doctest/doctest.h>

#include "casesync/catalog.h"
#include "fixtures.h"

namespace casesync {
namespace {

using testing::CaseArgs;
using testing::kAgent;
using testing::kAna;
using testing::kBeto;
using testing::TempDbPath;

constexpr const char* kT0 = "2026-11-29T10:00:00.000Z";
constexpr const char* kT1 = "2026-11-29T10:05:00.000Z";

std::unique_ptr<Replica> OpenReplica(const TempDbPath& path,
                                     const char* client_id = "client-1") {
  OpenOptions options;
  options.journal_mode = "DELETE";  // as a browser client runs
  auto r = Replica::Open(path.path(), client_id, options);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

// A pull page holding the catalog, as an initial sync brings it.
PullResponse CatalogPull(std::string cursor = "c1") {
  PullResponse pull;
  pull.cursor = std::move(cursor);
  pull.patch.push_back({PatchOpKind::kClear, "", Json()});
  for (const CatalogItem& item : DefaultCatalog()) {
    pull.patch.push_back(
        {PatchOpKind::kPut, kTableCatalog, CatalogItemToJson(item)});
  }
  return pull;
}

// The server's row for a case filed by Ana.
Case ServerCase(const std::string& id, const std::string& number,
                CaseState state = CaseState::kNew) {
  Case c;
  c.id = id;
  c.number = number;
  c.account_id = kAna.account_id;
  c.contact_id = kAna.user_id;
  c.service_id = "svc-cert";
  c.product_id = "prd-cert-token";
  c.issue_type_id = "iss-cert-token-pin";
  c.contact_hours = "Mañanas";
  c.contact_phone = "3001234567";
  c.subject = "Token bloqueado";
  c.description = "PIN";
  c.state = state;
  c.created_at = kT0;
  c.updated_at = kT0;
  return c;
}

PatchOp PutCase(const Case& c) {
  return {PatchOpKind::kPut, kTableCases, CaseToJson(c)};
}

// A replica signed in as Ana with the catalog synced.
std::unique_ptr<Replica> SignedIn(const TempDbPath& path) {
  auto r = OpenReplica(path);
  REQUIRE(r->SetActor(kAna).ok());
  REQUIRE(r->ApplyPull(CatalogPull(), kT0).ok());
  return r;
}

// Queues createCase `args` as mutation 1 and returns a pull page (cursor
// "c2") that rejects it.
PullResponse CreateThenRejection(Replica& r, const Json& args) {
  REQUIRE(r.Mutate("createCase", args, kT0).ok());
  PullResponse pull;
  pull.cursor = "c2";
  pull.rejections.push_back({1, ErrorCode::kValidationFailed,
                             "El servicio ya no existe",
                             testing::Mut(1, "createCase", args, kT0)});
  return pull;
}

TEST_SUITE("replica") {
  TEST_CASE("a new replica keeps its clientId across reopen") {
    TempDbPath path;
    {
      auto r = OpenReplica(path, "first");
      CHECK(r->GetSyncState()->client_id == "first");
    }
    auto r = OpenReplica(path, "second");
    auto st = r->GetSyncState();
    REQUIRE(st.ok());
    CHECK(st->client_id == "first");
    CHECK(st->next_mutation_id == 1);
    CHECK(!st->cursor.has_value());
  }

  TEST_CASE("mutating before sign-in is refused") {
    TempDbPath path;
    auto r = OpenReplica(path);
    auto id = r->Mutate("createCase", CaseArgs("case-1"), kT0);
    CHECK(id.status().code() == ErrorCode::kUnauthenticated);
  }

  TEST_CASE("a case filed offline is in the view, pending, and queued") {
    TempDbPath path;
    auto r = SignedIn(path);
    auto id = r->Mutate("createCase", CaseArgs("case-1"), kT0);
    REQUIRE_MESSAGE(id.ok(), id.status().ToString());
    CHECK(*id == 1);
    auto item = r->GetCase("case-1");
    REQUIRE(item.ok());
    REQUIRE(item->has_value());
    CHECK((*item)->pending);
    CHECK((*item)->c.number.empty());
    CHECK((*item)->c.contact_id == kAna.user_id);
    auto push = r->NextPush();
    REQUIRE(push.ok());
    REQUIRE(push->mutations.size() == 1);
    CHECK(push->client_id == "client-1");
    CHECK(push->mutations[0].id == 1);
    CHECK(push->mutations[0].name == "createCase");
    CHECK(push->mutations[0].args == CaseArgs("case-1"));
    CHECK(r->GetSyncState()->pending == 1);
  }

  TEST_CASE("mutation ids grow by one and survive a reopen") {
    TempDbPath path;
    {
      auto r = SignedIn(path);
      CHECK(*r->Mutate("createCase", CaseArgs("case-1"), kT0) == 1);
      CHECK(*r->Mutate("createCase", CaseArgs("case-2"), kT0) == 2);
    }
    auto r = OpenReplica(path);
    CHECK(*r->Mutate("createCase", CaseArgs("case-3"), kT0) == 3);
    CHECK(r->NextPush()->mutations.size() == 3);
  }

  TEST_CASE("an invalid mutation changes nothing and is not queued") {
    TempDbPath path;
    auto r = SignedIn(path);
    Json bad = CaseArgs("case-1");
    bad["subject"] = "";
    CHECK(r->Mutate("createCase", bad, kT0).status().code() ==
          ErrorCode::kValidationFailed);
    CHECK(r->GetSyncState()->pending == 0);
    CHECK(r->GetSyncState()->next_mutation_id == 1);
    CHECK(r->ListCases({})->empty());
    CHECK(r->Mutate("nonsense", Json::object(), kT0).status().code() ==
          ErrorCode::kUnknownMutation);
  }

  TEST_CASE("a pull confirming the create gives the case its number") {
    TempDbPath path;
    auto r = SignedIn(path);
    REQUIRE(r->Mutate("createCase", CaseArgs("case-1"), kT0).ok());
    REQUIRE(r->AcknowledgePush(1).ok());
    CHECK(r->NextPush()->mutations.empty());   // acknowledged, not re-sent
    CHECK(r->GetCase("case-1")->has_value());  // still visible meanwhile

    PullResponse pull;
    pull.cursor = "c2";
    pull.last_mutation_id = 1;
    pull.patch.push_back(PutCase(ServerCase("case-1", "CS0053363")));
    REQUIRE(r->ApplyPull(pull, kT1).ok());
    auto item = r->GetCase("case-1");
    REQUIRE(item->has_value());
    CHECK((*item)->c.number == "CS0053363");
    CHECK(!(*item)->pending);
    auto st = r->GetSyncState();
    CHECK(st->pending == 0);
    CHECK(st->last_mutation_id == 1);
    CHECK(st->cursor == "c2");
    CHECK(st->last_sync_at == kT1);
    CHECK(r->NextPull()->cursor == "c2");
  }

  TEST_CASE("a rejected pending create disappears and its form is a draft") {
    TempDbPath path;
    auto r = SignedIn(path);
    Json args = CaseArgs("case-1");
    PullResponse pull = CreateThenRejection(*r, args);
    pull.last_mutation_id = 1;
    REQUIRE(r->ApplyPull(pull, kT1).ok());
    CHECK(!r->GetCase("case-1")->has_value());
    CHECK(r->GetSyncState()->pending == 0);
    auto rejections = r->ListRejections();
    REQUIRE(rejections->size() == 1);
    CHECK((*rejections)[0].code == ErrorCode::kValidationFailed);
    CHECK((*rejections)[0].mutation.args == args);
    auto draft = r->LoadDraft((*rejections)[0].draft_key);
    REQUIRE(draft->has_value());
    CHECK((*draft)->kind == "case");
    CHECK((*draft)->value["description"] == args["description"]);
    CHECK(r->GetSyncState()->open_rejections == 1);
    REQUIRE(r->DismissRejection(1).ok());
    CHECK(r->ListRejections()->empty());
  }

  TEST_CASE("a rejection that comes again is recorded once") {
    // A pipelined pull (docs/protocol.md §4) gets a rejection again until
    // the server knows the page that brought it is stored.
    TempDbPath path;
    auto r = SignedIn(path);
    Json args = CaseArgs("case-1");
    PullResponse pull = CreateThenRejection(*r, args);
    pull.more = true;
    REQUIRE(r->ApplyPull(pull, kT0).ok());
    auto first = r->ListRejections();
    REQUIRE(first->size() == 1);
    std::string key = (*first)[0].draft_key;

    // The user fixes the form; then sends it, and the draft goes.
    auto draft = r->LoadDraft(key);
    REQUIRE(draft->has_value());
    Draft edited = **draft;
    edited.value["subject"] = "Texto corregido";
    REQUIRE(r->SaveDraft(edited).ok());
    PullResponse again = pull;
    again.cursor = "c3";
    REQUIRE(r->ApplyPull(again, kT1).ok());
    CHECK(r->ListRejections()->size() == 1);
    CHECK((*r->LoadDraft(key))->value["subject"] == "Texto corregido");
    CHECK((*r->ListRejections())[0].received_at == kT0);

    REQUIRE(r->DeleteDraft(key).ok());
    REQUIRE(r->DismissRejection(1).ok());
    again.cursor = "c4";
    again.more = false;
    again.last_mutation_id = 1;
    REQUIRE(r->ApplyPull(again, kT1).ok());
    CHECK(!r->LoadDraft(key)->has_value());
    CHECK(r->ListRejections()->empty());
    CHECK(r->GetSyncState()->open_rejections == 0);
  }

  TEST_CASE("a comment on a case the server closed becomes a follow-up draft") {
    TempDbPath path;
    auto r = SignedIn(path);
    PullResponse first;
    first.cursor = "c2";
    first.patch.push_back(
        PutCase(ServerCase("case-1", "CS0053363", CaseState::kOpen)));
    REQUIRE(r->ApplyPull(first, kT0).ok());

    // Offline, Ana comments; the agent closes the case meanwhile.
    Json comment{{"id", "cm-1"},
                 {"caseId", "case-1"},
                 {"body", "Todavía no funciona el token."}};
    REQUIRE(r->Mutate("addComment", comment, kT0).ok());
    CHECK(r->ListComments("case-1")->size() == 1);

    PullResponse second;
    second.cursor = "c3";
    second.last_mutation_id = 1;
    second.patch.push_back(
        PutCase(ServerCase("case-1", "CS0053363", CaseState::kClosed)));
    second.rejections.push_back({1, ErrorCode::kCaseTerminal, "closed",
                                 testing::Mut(1, "addComment", comment, kT0)});
    REQUIRE(r->ApplyPull(second, kT1).ok());

    CHECK(r->ListComments("case-1")->empty());
    CHECK((*r->GetCase("case-1"))->c.state == CaseState::kClosed);
    auto rejections = r->ListRejections();
    REQUIRE(rejections->size() == 1);
    auto draft = r->LoadDraft((*rejections)[0].draft_key);
    REQUIRE(draft->has_value());
    CHECK((*draft)->kind == "case");
    CHECK((*draft)->value["parentId"] == "case-1");
    CHECK((*draft)->value["description"] == "Todavía no funciona el token.");
    CHECK((*draft)->value["subject"] == "Seguimiento de CS0053363");

    // The draft is a valid follow-up case: it can be sent as it is.
    Json followup = (*draft)->value;
    followup["id"] = "case-2";
    auto id = r->Mutate("createCase", followup, kT1);
    REQUIRE_MESSAGE(id.ok(), id.status().ToString());
    CHECK((*r->GetCase("case-2"))->c.parent_id == "case-1");
  }

  TEST_CASE("pending edits replay over confirmed edits to the same field") {
    TempDbPath path;
    auto r = SignedIn(path);
    PullResponse first;
    first.cursor = "c2";
    first.patch.push_back(
        PutCase(ServerCase("case-1", "CS0053363", CaseState::kOpen)));
    REQUIRE(r->ApplyPull(first, kT0).ok());
    REQUIRE(
        r->Mutate("updateCaseContact",
                  Json{{"caseId", "case-1"}, {"contactPhone", "310 555 1234"}},
                  kT0)
            .ok());

    // The agent changed both fields on the server before our push arrived.
    Case server = ServerCase("case-1", "CS0053363", CaseState::kOpen);
    server.contact_phone = "601 111 2222";
    server.contact_hours = "Tardes";
    PullResponse second;
    second.cursor = "c3";
    second.last_mutation_id = 0;
    second.patch.push_back(PutCase(server));
    REQUIRE(r->ApplyPull(second, kT1).ok());
    auto view = (*r->GetCase("case-1"))->c;
    CHECK(view.contact_phone == "310 555 1234");  // ours, still pending
    CHECK(view.contact_hours == "Tardes");        // theirs, confirmed
    CHECK((*r->GetCase("case-1"))->pending);

    // Our edit arrives last on the server: it wins that field.
    server.contact_phone = "310 555 1234";
    PullResponse third;
    third.cursor = "c4";
    third.last_mutation_id = 1;
    third.patch.push_back(PutCase(server));
    REQUIRE(r->ApplyPull(third, kT1).ok());
    view = (*r->GetCase("case-1"))->c;
    CHECK(view.contact_phone == "310 555 1234");
    CHECK(view.contact_hours == "Tardes");
    CHECK(!(*r->GetCase("case-1"))->pending);
    CHECK(r->GetSyncState()->pending == 0);
  }

  TEST_CASE("a pending cancel the server state no longer allows stays queued") {
    TempDbPath path;
    auto r = SignedIn(path);
    PullResponse first;
    first.cursor = "c2";
    first.patch.push_back(
        PutCase(ServerCase("case-1", "CS0053363", CaseState::kOpen)));
    REQUIRE(r->ApplyPull(first, kT0).ok());
    REQUIRE(r->Mutate("cancelCase",
                      Json{{"caseId", "case-1"}, {"reason", "Ya funcionó"}},
                      kT0)
                .ok());
    CHECK((*r->GetCase("case-1"))->c.state == CaseState::kCanceled);

    PullResponse second;
    second.cursor = "c3";
    second.patch.push_back(
        PutCase(ServerCase("case-1", "CS0053363", CaseState::kResolved)));
    REQUIRE(r->ApplyPull(second, kT1).ok());
    // The view follows the server; the cancel waits for its verdict.
    CHECK((*r->GetCase("case-1"))->c.state == CaseState::kResolved);
    CHECK(r->GetSyncState()->pending == 1);
  }

  TEST_CASE("a clear followed by a snapshot replaces the confirmed state") {
    TempDbPath path;
    auto r = SignedIn(path);
    PullResponse first;
    first.cursor = "c2";
    first.patch.push_back(PutCase(ServerCase("case-1", "CS0000001")));
    first.patch.push_back(PutCase(ServerCase("case-2", "CS0000002")));
    REQUIRE(r->ApplyPull(first, kT0).ok());
    REQUIRE(r->ListCases({})->size() == 2);

    PullResponse snapshot = CatalogPull("c9");
    snapshot.patch.push_back(PutCase(ServerCase("case-2", "CS0000002")));
    REQUIRE(r->ApplyPull(snapshot, kT1).ok());
    auto cases = r->ListCases({});
    REQUIRE(cases->size() == 1);
    CHECK((*cases)[0].c.id == "case-2");

    PullResponse del;
    del.cursor = "c10";
    del.patch.push_back(
        {PatchOpKind::kDel, kTableCases, Json{{"id", "case-2"}}});
    REQUIRE(r->ApplyPull(del, kT1).ok());
    CHECK(r->ListCases({})->empty());
  }

  TEST_CASE("a bad patch row changes nothing") {
    TempDbPath path;
    auto r = SignedIn(path);
    PullResponse pull;
    pull.cursor = "c2";
    pull.last_mutation_id = 0;
    pull.patch.push_back(PutCase(ServerCase("case-1", "CS0000001")));
    Json broken = CaseToJson(ServerCase("case-2", "CS0000002"));
    broken["state"] = "exploded";
    pull.patch.push_back({PatchOpKind::kPut, kTableCases, broken});
    CHECK(!r->ApplyPull(pull, kT1).ok());
    CHECK(r->ListCases({})->empty());
    CHECK(r->GetSyncState()->cursor == "c1");
  }

  TEST_CASE("the list filters by state, searches and sorts by update") {
    TempDbPath path;
    auto r = SignedIn(path);
    PullResponse pull;
    pull.cursor = "c2";
    for (int i = 1; i <= 30; ++i) {
      Case c = ServerCase("case-" + std::to_string(i), FormatCaseNumber(i),
                          i % 3 == 0 ? CaseState::kClosed : CaseState::kOpen);
      c.updated_at = FormatIsoTime(1'700'000'000'000 + i * 1000);
      c.subject = i == 7 ? "Factura 100% rechazada" : "Token";
      pull.patch.push_back(PutCase(c));
    }
    REQUIRE(r->ApplyPull(pull, kT0).ok());

    CaseQuery closed;
    closed.state = CaseState::kClosed;
    auto list = r->ListCases(closed);
    REQUIRE(list->size() == 10);
    CHECK((*list)[0].c.id == "case-30");  // most recently updated first
    CHECK((*list)[9].c.id == "case-3");

    CaseQuery search;
    search.search = "100%";
    list = r->ListCases(search);
    REQUIRE(list->size() == 1);
    CHECK((*list)[0].c.id == "case-7");
    search.search = "CS0000012";
    CHECK(r->ListCases(search)->size() == 1);

    CaseQuery page;
    page.limit = 5;
    page.offset = 5;
    list = r->ListCases(page);
    REQUIRE(list->size() == 5);
    CHECK((*list)[0].c.id == "case-25");

    auto counts = r->CountByState();
    int64_t open = 0, closed_count = 0;
    for (const StateCount& sc : *counts) {
      if (sc.state == CaseState::kOpen) open = sc.count;
      if (sc.state == CaseState::kClosed) closed_count = sc.count;
    }
    CHECK(open == 20);
    CHECK(closed_count == 10);
  }

  TEST_CASE("keyset pages give exactly the OFFSET pages, in every order") {
    TempDbPath path;
    auto r = SignedIn(path);
    PullResponse pull;
    pull.cursor = "c2";
    // Few distinct times, so that sort values tie; unnumbered rows (number
    // "", the only empty sort value: the columns are NOT NULL) both
    // confirmed and pending.
    for (int i = 1; i <= 40; ++i) {
      Case c = ServerCase("case-" + std::to_string(100 - i),
                          i % 5 == 0 ? "" : FormatCaseNumber(i % 17),
                          i % 2 == 0 ? CaseState::kClosed : CaseState::kOpen);
      c.updated_at = FormatIsoTime(1'700'000'000'000 + (i % 4) * 1000);
      c.created_at = FormatIsoTime(1'600'000'000'000 + (i % 3) * 1000);
      c.subject = i % 3 == 0 ? "Token bloqueado" : "Factura";
      pull.patch.push_back(PutCase(c));
    }
    REQUIRE(r->ApplyPull(pull, kT0).ok());
    for (int i = 0; i < 4; ++i) {
      REQUIRE(r->Mutate("createCase", CaseArgs("pending-" + std::to_string(i)),
                        i < 2 ? kT0 : kT1)
                  .ok());
    }

    for (CaseQuery::Order order :
         {CaseQuery::Order::kUpdatedDesc, CaseQuery::Order::kUpdatedAsc,
          CaseQuery::Order::kNumberDesc, CaseQuery::Order::kCreatedDesc}) {
      for (int filter = 0; filter < 3; ++filter) {
        CaseQuery q;
        q.order = order;
        if (filter == 1) q.state = CaseState::kOpen;
        if (filter == 2) q.search = "token";
        auto all = r->ListCases(q);
        REQUIRE(all.ok());
        REQUIRE(all->size() > 7);
        CAPTURE(static_cast<int>(order));
        CAPTURE(filter);
        q.limit = 7;
        std::vector<std::string> by_offset, by_keyset;
        for (q.offset = 0;; q.offset += q.limit) {
          auto page = r->ListCases(q);
          REQUIRE(page.ok());
          for (const CaseListItem& item : *page) by_offset.push_back(item.c.id);
          if (page->size() < static_cast<size_t>(q.limit)) break;
        }
        q.offset = 0;
        while (true) {
          auto page = r->ListCases(q);
          REQUIRE(page.ok());
          for (const CaseListItem& item : *page) by_keyset.push_back(item.c.id);
          if (page->size() < static_cast<size_t>(q.limit)) break;
          q.after = CaseKeyOf(page->back().c, order);
        }
        std::vector<std::string> whole;
        for (const CaseListItem& item : *all) whole.push_back(item.c.id);
        CHECK(by_offset == whole);
        CHECK(by_keyset == whole);
      }
    }
  }

  TEST_CASE("drafts autosave, survive reopen and are deleted") {
    TempDbPath path;
    {
      auto r = SignedIn(path);
      Draft d{"new-case", "case", Json{{"subject", "Mitad de un asunto ñ"}},
              kT0};
      REQUIRE(r->SaveDraft(d).ok());
    }
    auto r = OpenReplica(path);
    auto d = r->LoadDraft("new-case");
    REQUIRE(d->has_value());
    CHECK((*d)->value["subject"] == "Mitad de un asunto ñ");
    CHECK(r->ListDrafts()->size() == 1);
    REQUIRE(r->DeleteDraft("new-case").ok());
    CHECK(!r->LoadDraft("new-case")->has_value());
  }

  TEST_CASE("another user signing in wipes the previous user's data") {
    TempDbPath path;
    auto r = SignedIn(path);
    REQUIRE(r->Mutate("createCase", CaseArgs("case-1"), kT0).ok());
    REQUIRE(r->SetMeta("token", "opaque").ok());
    CHECK(r->SetActor(kBeto).code() == ErrorCode::kInvalidRequest);
    CHECK(r->ListCases({})->size() == 1);  // refused: nothing changed
    REQUIRE(r->SetActor(kBeto, "client-2").ok());
    CHECK(r->ListCases({})->empty());
    auto st = r->GetSyncState();
    CHECK(st->pending == 0);
    CHECK(st->client_id == "client-2");
    CHECK(st->next_mutation_id == 1);
    CHECK(!st->cursor.has_value());
    CHECK(*r->GetMeta("token") == "opaque");
    CHECK(r->GetActor()->value().user_id == kBeto.user_id);
  }

  TEST_CASE("the same user signing in again keeps everything") {
    TempDbPath path;
    auto r = SignedIn(path);
    REQUIRE(r->Mutate("createCase", CaseArgs("case-1"), kT0).ok());
    REQUIRE(r->SetActor(kAna).ok());
    CHECK(r->GetSyncState()->pending == 1);
  }

  TEST_CASE("agents see internal notes they add while offline") {
    TempDbPath path;
    auto r = OpenReplica(path);
    REQUIRE(r->SetActor(kAgent).ok());
    PullResponse pull = CatalogPull();
    pull.patch.push_back(PutCase(ServerCase("case-1", "CS0000001")));
    REQUIRE(r->ApplyPull(pull, kT0).ok());
    REQUIRE(r->Mutate("addComment",
                      Json{{"id", "n1"},
                           {"caseId", "case-1"},
                           {"body", "Revisar"},
                           {"visibility", "internal"}},
                      kT0)
                .ok());
    auto comments = r->ListComments("case-1");
    REQUIRE(comments->size() == 1);
    CHECK((*comments)[0].visibility == Visibility::kInternal);
  }
}

TEST_SUITE("replica_migrations") {
  TEST_CASE("an empty database is migrated to the current schema") {
    TempDbPath path;
    auto r = OpenReplica(path);
    CHECK(*UserVersion(r->db()) == Replica::SchemaVersion());
  }

  TEST_CASE("a version 1 database keeps its data when migrated") {
    TempDbPath path;
    {
      auto r = Replica::Open(path.path(), "old-client");
      REQUIRE(r.ok());
    }
    // Roll the file back to version 1 by hand: drop what v2 added.
    {
      auto db = Database::Open(path.path(), OpenOptions{});
      REQUIRE(db.ok());
      REQUIRE((*db)
                  ->Exec("DROP VIEW view_cases; DROP VIEW view_comments;"
                         "DROP INDEX cases_number;"
                         "ALTER TABLE rejections DROP COLUMN dismissed;"
                         "PRAGMA user_version=1;")
                  .ok());
      REQUIRE((*db)
                  ->Exec("INSERT INTO rejections VALUES(7, 'case_terminal',"
                         "'m', 'addComment', '{}', 't', '', 't');")
                  .ok());
      CHECK(*UserVersion(**db) == 1);
    }
    auto r = OpenReplica(path, "ignored");
    CHECK(*UserVersion(r->db()) == Replica::SchemaVersion());
    CHECK(r->GetSyncState()->client_id == "old-client");
    auto rejections = r->ListRejections();
    REQUIRE(rejections.ok());
    REQUIRE(rejections->size() == 1);
    CHECK((*rejections)[0].mutation_id == 7);
  }

  TEST_CASE("a database from a newer program is refused") {
    TempDbPath path;
    {
      auto r = OpenReplica(path);
      REQUIRE(r->db().Exec("PRAGMA user_version=99").ok());
    }
    auto r = Replica::Open(path.path(), "x");
    CHECK(r.status().code() == ErrorCode::kStorage);
  }
}

}  // namespace
}  // namespace casesync
