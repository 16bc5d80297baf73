#include "casesync/sync_engine.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "casesync/catalog.h"
#include "fixtures.h"

// The engine is fed canned answers made with the core's encoders: no server,
// no sockets, so these tests run natively and under node as wasm.
namespace casesync {
namespace {

using testing::CaseArgs;
using testing::kAna;
using testing::kBeto;
using testing::TempDbPath;

constexpr const char* kT0 = "2026-11-29T10:00:00.000Z";
constexpr const char* kT1 = "2026-11-29T10:05:00.000Z";

std::unique_ptr<Replica> OpenReplica(const TempDbPath& path) {
  OpenOptions options;
  options.journal_mode = "DELETE";
  auto r = Replica::Open(path.path(), "client-1", options);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE((*r)->SetActor(kAna).ok());
  return std::move(r).value();
}

PullResponse CatalogPage(std::string cursor, bool more = false) {
  PullResponse pull;
  pull.cursor = std::move(cursor);
  pull.more = more;
  pull.patch.push_back({PatchOpKind::kClear, "", Json()});
  for (const CatalogItem& item : DefaultCatalog()) {
    pull.patch.push_back(
        {PatchOpKind::kPut, kTableCatalog, CatalogItemToJson(item)});
  }
  return pull;
}

// A replica that has synced the catalog once (cursor "c0").
std::unique_ptr<Replica> SyncedReplica(const TempDbPath& path) {
  auto r = OpenReplica(path);
  REQUIRE(r->ApplyPull(CatalogPage("c0"), kT0).ok());
  return r;
}

void QueueCase(Replica& r, const std::string& id) {
  auto m = r.Mutate("createCase", CaseArgs(id), kT0);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
}

// The server's row for a case Ana filed.
Json ServerCaseRow(const std::string& id, const std::string& number) {
  Case c;
  c.id = id;
  c.number = number;
  c.account_id = kAna.account_id;
  c.contact_id = kAna.user_id;
  Json args = CaseArgs(id);
  c.service_id = args["serviceId"];
  c.product_id = args["productId"];
  c.issue_type_id = args["issueTypeId"];
  c.contact_hours = args["contactHours"];
  c.contact_phone = args["contactPhone"];
  c.subject = args["subject"];
  c.description = args["description"];
  c.created_at = kT0;
  c.updated_at = kT0;
  return CaseToJson(c);
}

std::string PullBody(std::string cursor, int64_t last_mutation_id,
                     std::vector<PatchOp> patch = {}, bool more = false) {
  PullResponse p;
  p.cursor = std::move(cursor);
  p.last_mutation_id = last_mutation_id;
  p.patch = std::move(patch);
  p.more = more;
  return EncodePullResponse(p);
}

std::string PushBody(int64_t last) {
  return EncodePushResponse(PushResponse{last});
}

std::string ErrorBody(ErrorCode code, const std::string& message,
                      const Json& extra = Json()) {
  return EncodeError(Status(code, message), extra);
}

SyncStep Step(SyncEngine& e, uint64_t random = 0) {
  auto s = e.Next(random);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return *s;
}

// Expects a request to `path` and returns it.
SyncRequest ExpectRequest(SyncEngine& e, const char* path) {
  SyncStep s = Step(e);
  REQUIRE(s.kind == SyncStep::Kind::kRequest);
  CHECK(s.request.path.rfind(path, 0) == 0);
  return s.request;
}

void Answer(SyncEngine& e, int status, const std::string& body) {
  Status st = e.OnResponse(status, body, kT1);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
}

int64_t Pending(Replica& r) { return r.GetSyncState()->pending; }

SyncOptions Pipelined() {
  SyncOptions o;
  o.pipeline_pulls = true;
  return o;
}

// A pipelined round whose first page (cursor `cursor`) says more follow:
// the page is staged and the next page's request taken (in flight).
void StagePageAndPrefetch(SyncEngine& e, const char* cursor) {
  e.Start();
  ExpectRequest(e, kPullPath);
  Answer(e, 200, PullBody(cursor, 0, {}, /*more=*/true));
  REQUIRE(e.TakePrefetch().has_value());
}

TEST_SUITE("sync_engine") {
  TEST_CASE("an initial sync pulls from a null cursor and ends idle") {
    TempDbPath path;
    auto r = OpenReplica(path);
    SyncEngine e(*r);
    CHECK(Step(e).kind == SyncStep::Kind::kDone);  // before Start
    e.Start();
    SyncRequest pull = ExpectRequest(e, kPullPath);
    CHECK(pull.method == SyncRequest::Method::kPost);
    auto decoded = DecodePullRequest(pull.body);
    REQUIRE(decoded.ok());
    CHECK(decoded->client_id == "client-1");
    CHECK_FALSE(decoded->cursor.has_value());
    Answer(e, 200, EncodePullResponse(CatalogPage("c1")));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    auto st = e.GetStatus();
    REQUIRE(st.ok());
    CHECK(st->phase == SyncPhase::kIdle);
    CHECK(st->connectivity == Connectivity::kOnline);
    CHECK(st->progress.pages == 1);
    CHECK(st->progress.rows ==
          static_cast<int64_t>(DefaultCatalog().size() + 1));
    CHECK(st->last_sync_at == kT1);
    CHECK(r->NextPull()->cursor == "c1");
  }

  TEST_CASE("pending mutations are pushed, then a pull confirms them") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    QueueCase(*r, "case-2");
    SyncEngine e(*r);
    e.Start();
    SyncRequest push = ExpectRequest(e, kPushPath);
    auto decoded = DecodePushRequest(push.body);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->mutations.size() == 2);
    CHECK(decoded->mutations[0].id == 1);
    Answer(e, 200, PushBody(2));
    SyncRequest pull = ExpectRequest(e, kPullPath);
    CHECK(DecodePullRequest(pull.body)->cursor == "c0");
    Answer(e, 200,
           PullBody("c2", 2,
                    {{PatchOpKind::kPut, kTableCases,
                      ServerCaseRow("case-1", "CS0000001")},
                     {PatchOpKind::kPut, kTableCases,
                      ServerCaseRow("case-2", "CS0000002")}}));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(Pending(*r) == 0);
    auto c = r->GetCase("case-1");
    REQUIRE((c.ok() && c->has_value()));
    CHECK((*c)->c.number == "CS0000001");
    CHECK_FALSE((*c)->pending);
    CHECK(e.progress().pushed == 2);
    CHECK(e.progress().pushes == 1);
  }

  TEST_CASE("a large outbox is pushed in batches") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    for (int i = 1; i <= 5; ++i) QueueCase(*r, "case-" + std::to_string(i));
    SyncOptions o;
    o.max_push_batch = 2;
    SyncEngine e(*r, o);
    e.Start();
    std::vector<size_t> sizes;
    for (int64_t last : {2, 4, 5}) {
      SyncRequest push = ExpectRequest(e, kPushPath);
      sizes.push_back(DecodePushRequest(push.body)->mutations.size());
      Answer(e, 200, PushBody(last));
    }
    CHECK(sizes == std::vector<size_t>{2, 2, 1});
    ExpectRequest(e, kPullPath);
  }

  TEST_CASE("pulls follow more until it is false") {
    TempDbPath path;
    auto r = OpenReplica(path);
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPullPath);
    Answer(e, 200, EncodePullResponse(CatalogPage("p1", /*more=*/true)));
    SyncRequest second = ExpectRequest(e, kPullPath);
    CHECK(DecodePullRequest(second.body)->cursor == "p1");
    Answer(e, 200, PullBody("p2", 0, {}, /*more=*/true));
    ExpectRequest(e, kPullPath);
    Answer(e, 200, PullBody("p3", 0));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(e.progress().pages == 3);
  }

  TEST_CASE("a 5xx backs off with a growing jittered delay and retries") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    SyncOptions o;
    o.backoff_base_ms = 100;
    o.backoff_max_ms = 1000;
    SyncEngine e(*r, o);
    e.Start();
    std::vector<int64_t> waits;
    for (int i = 0; i < 6; ++i) {
      ExpectRequest(e, kPushPath);
      Answer(e, 503, ErrorBody(ErrorCode::kUnavailable, "busy"));
      CHECK(e.phase() == SyncPhase::kBackingOff);
      SyncStep wait = Step(e, /*random=*/~0ull);
      REQUIRE(wait.kind == SyncStep::Kind::kWait);
      waits.push_back(wait.wait_ms);
    }
    for (size_t i = 0; i < waits.size(); ++i) {
      int64_t d = std::min<int64_t>(1000, 100 << i);
      CHECK(waits[i] >= d / 2);
      CHECK(waits[i] <= d);
    }
    CHECK(waits.back() <= 1000);
    // The same mutation goes again and the round completes.
    SyncRequest push = ExpectRequest(e, kPushPath);
    CHECK(DecodePushRequest(push.body)->mutations.front().id == 1);
    Answer(e, 200, PushBody(1));
    CHECK(e.GetStatus()->attempts == 0);
    ExpectRequest(e, kPullPath);
  }

  TEST_CASE("the backoff delay stays within half and all of its ceiling") {
    SyncOptions o;
    o.backoff_base_ms = 500;
    o.backoff_max_ms = 30000;
    CHECK(BackoffDelayMs(o, 1, 0) == 250);
    CHECK(BackoffDelayMs(o, 1, 250) == 500);
    CHECK(BackoffDelayMs(o, 3, 0) == 1000);
    CHECK(BackoffDelayMs(o, 40, 0) == 15000);
    CHECK(BackoffDelayMs(o, 40, 15000) == 30000);
    for (uint64_t rnd = 0; rnd < 5000; rnd += 7) {
      int64_t d = BackoffDelayMs(o, 4, rnd * 2654435761u);
      CHECK((d >= 2000 && d <= 4000));
    }
  }

  TEST_CASE("transport errors end the round offline and keep changes queued") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    SyncOptions o;
    o.max_attempts = 2;
    SyncEngine e(*r, o);
    e.Start();
    ExpectRequest(e, kPushPath);
    e.OnTransportError("connection refused");
    CHECK(Step(e).kind == SyncStep::Kind::kWait);
    ExpectRequest(e, kPushPath);
    e.OnTransportError("connection refused");
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    auto st = e.GetStatus();
    CHECK(st->phase == SyncPhase::kOffline);
    CHECK(st->connectivity == Connectivity::kOffline);
    CHECK(st->pending == 1);
    CHECK(st->last_error.code() == ErrorCode::kUnavailable);
    // Still usable offline: another mutation queues.
    QueueCase(*r, "case-2");
    CHECK(Pending(*r) == 2);
  }

  TEST_CASE("an expired session needs sign-in; mutations keep queueing") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPushPath);
    Answer(e, 401, ErrorBody(ErrorCode::kUnauthenticated, "expired"));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(e.phase() == SyncPhase::kNeedsSignIn);
    CHECK(e.last_error().code() == ErrorCode::kUnauthenticated);
    QueueCase(*r, "case-2");
    auto listed = r->ListCases({});
    REQUIRE(listed.ok());
    CHECK(listed->size() == 2);
    // Signed in again: a new round pushes both.
    e.Start();
    SyncRequest push = ExpectRequest(e, kPushPath);
    CHECK(DecodePushRequest(push.body)->mutations.size() == 2);
  }

  TEST_CASE("a required password change also stops the round for sign-in") {
    TempDbPath path;
    auto r = OpenReplica(path);
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPullPath);
    Answer(e, 403,
           ErrorBody(ErrorCode::kPasswordChangeRequired, "change it first"));
    CHECK(e.phase() == SyncPhase::kNeedsSignIn);
  }

  TEST_CASE("a gap with the mutations still queued resends from expectedId") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    for (int i = 1; i <= 3; ++i) QueueCase(*r, "case-" + std::to_string(i));
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPushPath);
    Answer(e, 200, PushBody(3));  // acknowledged, not yet pulled
    ExpectRequest(e, kPullPath);
    Answer(e, 200, PullBody("c1", 1));  // the pull confirms only 1
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    // Queued later; the server meanwhile lost 2 and 3 (restored backup).
    QueueCase(*r, "case-4");
    e.Start();
    SyncRequest push = ExpectRequest(e, kPushPath);
    CHECK(DecodePushRequest(push.body)->mutations.front().id == 4);
    Answer(
        e, 409,
        ErrorBody(ErrorCode::kMutationGap, "expected 2", {{"expectedId", 2}}));
    SyncRequest again = ExpectRequest(e, kPushPath);
    auto decoded = DecodePushRequest(again.body);
    REQUIRE(decoded->mutations.size() == 3);
    CHECK(decoded->mutations.front().id == 2);
    CHECK(decoded->mutations.back().id == 4);
    Answer(e, 200, PushBody(4));
    ExpectRequest(e, kPullPath);
    Answer(e, 200, PullBody("c2", 4));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(e.phase() == SyncPhase::kIdle);
    CHECK(Pending(*r) == 0);
  }

  TEST_CASE("a gap behind what a pull confirmed blocks pushing, not pulling") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    QueueCase(*r, "case-2");
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPushPath);
    Answer(e, 200, PushBody(2));
    ExpectRequest(e, kPullPath);
    Answer(e, 200, PullBody("c1", 2));  // confirmed and dropped
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    QueueCase(*r, "case-3");
    e.Start();
    ExpectRequest(e, kPushPath);
    Answer(
        e, 409,
        ErrorBody(ErrorCode::kMutationGap, "expected 1", {{"expectedId", 1}}));
    ExpectRequest(e, kPullPath);  // the user still gets the server's state
    Answer(e, 200, PullBody("c2", 0));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(e.phase() == SyncPhase::kBlocked);
    CHECK(e.last_error().code() == ErrorCode::kMutationGap);
    CHECK(Pending(*r) == 1);  // kept, not lost
  }

  TEST_CASE("a server that keeps answering gaps ends blocked") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    QueueCase(*r, "case-2");
    SyncEngine e(*r);
    e.Start();
    for (int i = 0; i < 3; ++i) {
      ExpectRequest(e, kPushPath);
      Answer(e, 409,
             ErrorBody(ErrorCode::kMutationGap, "expected 1",
                       {{"expectedId", 1}}));
    }
    ExpectRequest(e, kPushPath);
    Answer(
        e, 409,
        ErrorBody(ErrorCode::kMutationGap, "expected 1", {{"expectedId", 1}}));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(e.phase() == SyncPhase::kBlocked);
  }

  TEST_CASE("413 halves the push batch") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    for (int i = 1; i <= 4; ++i) QueueCase(*r, "case-" + std::to_string(i));
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPushPath);
    Answer(e, 413, ErrorBody(ErrorCode::kPayloadTooLarge, "too big"));
    SyncRequest push = ExpectRequest(e, kPushPath);
    CHECK(DecodePushRequest(push.body)->mutations.size() == 2);
  }

  TEST_CASE("a bad request is not retried") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPushPath);
    Answer(e, 400, ErrorBody(ErrorCode::kInvalidRequest, "bad"));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(e.phase() == SyncPhase::kBlocked);
    CHECK(Pending(*r) == 1);
  }

  TEST_CASE("a 200 that is not a protocol answer is retried like a 5xx") {
    TempDbPath path;
    auto r = OpenReplica(path);
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPullPath);
    Answer(e, 200, "<html>captive portal</html>");
    CHECK(e.phase() == SyncPhase::kBackingOff);
    CHECK(Step(e).kind == SyncStep::Kind::kWait);
    ExpectRequest(e, kPullPath);
  }

  TEST_CASE("a server that knows ids this replica never made blocks it") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    QueueCase(*r, "case-1");
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPushPath);
    Answer(e, 200, PushBody(7));
    CHECK(e.phase() == SyncPhase::kBlocked);
  }

  TEST_CASE("watch mode pokes after a round and syncs again on a change") {
    TempDbPath path;
    auto r = OpenReplica(path);
    SyncOptions o;
    o.watch = true;
    SyncEngine e(*r, o);
    e.Start();
    ExpectRequest(e, kPullPath);
    Answer(e, 200, EncodePullResponse(CatalogPage("a/b c")));
    SyncRequest poke = ExpectRequest(e, kPokePath);
    CHECK(poke.method == SyncRequest::Method::kGet);
    CHECK(poke.path == std::string(kPokePath) + "?cursor=a%2Fb%20c");
    CHECK(e.phase() == SyncPhase::kWatching);
    Answer(e, 200, EncodePokeResponse(PokeResponse{false, "a/b c"}));
    ExpectRequest(e, kPokePath);  // nothing changed: poke again
    Answer(e, 200, EncodePokeResponse(PokeResponse{true, "d"}));
    ExpectRequest(e, kPullPath);
    Answer(e, 200, PullBody("d", 0));
    ExpectRequest(e, kPokePath);
    // A local change while watching is pushed after the poke answers.
    QueueCase(*r, "case-1");
    Answer(e, 200, EncodePokeResponse(PokeResponse{false, "d"}));
    ExpectRequest(e, kPushPath);
  }

  TEST_CASE("a pull page for a cursor the replica has left is dropped") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPullPath);  // asked from "c0"
    // Another process using the same replica pulls meanwhile.
    REQUIRE(
        r->ApplyPull(DecodePullResponse(PullBody("c5", 0)).value(), kT1).ok());
    Answer(e, 200, PullBody("c1", 0));  // the late answer for "c0"
    CHECK(r->NextPull()->cursor == "c5");
    CHECK(e.progress().dropped == 1);
    SyncRequest again = ExpectRequest(e, kPullPath);
    CHECK(DecodePullRequest(again.body)->cursor == "c5");
    Answer(e, 200, PullBody("c6", 0));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(r->NextPull()->cursor == "c6");
  }

  TEST_CASE("pipelined pulls ask for the next page before storing one") {
    TempDbPath path;
    auto r = OpenReplica(path);
    SyncEngine e(*r, Pipelined());
    e.Start();
    SyncRequest first = ExpectRequest(e, kPullPath);
    CHECK_FALSE(DecodePullRequest(first.body)->ahead);
    CHECK_FALSE(e.TakePrefetch().has_value());
    Answer(e, 200, EncodePullResponse(CatalogPage("p1", /*more=*/true)));
    // Page 2 is asked for from p1 while nothing is stored yet.
    std::optional<SyncRequest> second = e.TakePrefetch();
    REQUIRE(second.has_value());
    CHECK_FALSE(e.TakePrefetch().has_value());  // once
    CHECK(second->path == kPullPath);
    CHECK(second->method == SyncRequest::Method::kPost);
    auto asked = DecodePullRequest(second->body);
    CHECK(asked->cursor == "p1");
    CHECK(asked->ahead);
    CHECK(!asked->applied.has_value());
    CHECK(!r->NextPull()->cursor.has_value());
    CHECK_FALSE(e.Next(0).ok());  // the prefetch is in flight
    REQUIRE(e.ApplyStaged(kT1).ok());
    CHECK(r->NextPull()->cursor == "p1");
    CHECK(e.progress().pages == 1);

    Answer(e, 200, PullBody("p2", 0, {}, /*more=*/true));
    std::optional<SyncRequest> third = e.TakePrefetch();
    REQUIRE(third.has_value());
    asked = DecodePullRequest(third->body);
    CHECK(asked->cursor == "p2");
    CHECK(asked->applied == "p1");
    // Not stored by the caller before the answer came: stored first.
    Answer(e, 200, PullBody("p3", 0));  // the last page: nothing ahead
    CHECK_FALSE(e.TakePrefetch().has_value());
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
    CHECK(e.progress().pages == 3);
    CHECK(r->NextPull()->cursor == "p3");
  }

  TEST_CASE("a prefetch that gets no answer is asked again from the store") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    SyncEngine e(*r, Pipelined());
    StagePageAndPrefetch(e, "c1");
    REQUIRE(e.ApplyStaged(kT1).ok());
    e.OnTransportError("connection reset");
    CHECK(e.phase() == SyncPhase::kBackingOff);
    CHECK(Step(e).kind == SyncStep::Kind::kWait);
    SyncRequest again = ExpectRequest(e, kPullPath);
    auto decoded = DecodePullRequest(again.body);
    CHECK(decoded->cursor == "c1");
    CHECK_FALSE(decoded->ahead);  // a plain request: c1 is stored
    Answer(e, 200, PullBody("c2", 0));
    CHECK(Step(e).kind == SyncStep::Kind::kDone);
  }

  TEST_CASE("a staged page whose prefetch fails first is asked for again") {
    TempDbPath path;
    auto r = SyncedReplica(path);
    SyncEngine e(*r, Pipelined());
    StagePageAndPrefetch(e, "c1");
    e.OnTransportError("offline");   // before the caller stored the page
    CHECK(e.ApplyStaged(kT1).ok());  // nothing staged any more
    CHECK(r->NextPull()->cursor == "c0");
    CHECK(Step(e).kind == SyncStep::Kind::kWait);
    SyncRequest again = ExpectRequest(e, kPullPath);
    CHECK(DecodePullRequest(again.body)->cursor == "c0");
  }

  TEST_CASE("the prefetch of a page that could not be stored is ignored") {
    TempDbPath path;
    OpenOptions options;
    options.journal_mode = "DELETE";
    options.busy_timeout_ms = 1;
    auto opened = Replica::Open(path.path(), "client-1", options);
    REQUIRE(opened.ok());
    std::unique_ptr<Replica> r = std::move(opened).value();
    REQUIRE(r->SetActor(kAna).ok());
    REQUIRE(r->ApplyPull(CatalogPage("c0"), kT0).ok());
    SyncEngine e(*r, Pipelined());
    StagePageAndPrefetch(e, "c1");
    // Another connection is writing: the page cannot be stored.
    auto other = Database::Open(path.path(), options);
    REQUIRE(other.ok());
    REQUIRE((*other)->Exec("BEGIN IMMEDIATE").ok());
    CHECK_FALSE(e.ApplyStaged(kT1).ok());
    CHECK(e.phase() == SyncPhase::kBlocked);
    REQUIRE((*other)->Exec("ROLLBACK").ok());
    // The prefetched page answers c1, which the replica never stored.
    Answer(e, 200, PullBody("c2", 0));
    CHECK(e.phase() == SyncPhase::kBlocked);
    CHECK(r->NextPull()->cursor == "c0");
    CHECK(e.progress().pages == 0);
    e.Start();
    SyncRequest again = ExpectRequest(e, kPullPath);
    CHECK(DecodePullRequest(again.body)->cursor == "c0");
  }

  TEST_CASE("an answer for a replica that changed hands is not applied") {
    // Another user signs in on this device while a request travels: the
    // replica gets a fresh clientId and nothing of Ana's page may land.
    for (bool pipelined : {false, true}) {
      CAPTURE(pipelined);
      TempDbPath path;
      auto r = OpenReplica(path);  // Ana, never pulled
      SyncEngine e(*r, pipelined ? Pipelined() : SyncOptions());
      e.Start();
      ExpectRequest(e, kPullPath);
      std::string anas_page = EncodePullResponse(CatalogPage("a1", true));
      if (pipelined) {
        Answer(e, 200, anas_page);
        REQUIRE(e.TakePrefetch().has_value());
      }
      REQUIRE(r->SetActor(kBeto, "client-beto").ok());
      if (pipelined) {
        REQUIRE(e.ApplyStaged(kT1).ok());  // dropped, not stored
        anas_page = PullBody("a2", 0);     // the prefetch's answer
      }
      Answer(e, 200, anas_page);
      CHECK(e.progress().dropped >= 1);
      CHECK(r->ListCatalog()->empty());
      CHECK(!r->NextPull()->cursor.has_value());
      // Beto's own round starts from nothing.
      SyncRequest next = ExpectRequest(e, kPullPath);
      auto decoded = DecodePullRequest(next.body);
      CHECK(decoded->client_id == "client-beto");
      CHECK(!decoded->cursor.has_value());
    }
  }

  TEST_CASE("the next step waits for the answer of the last request") {
    TempDbPath path;
    auto r = OpenReplica(path);
    SyncEngine e(*r);
    e.Start();
    ExpectRequest(e, kPullPath);
    CHECK_FALSE(e.Next(0).ok());
    Answer(e, 200, "{}");  // not a pull answer: retried later
    CHECK(e.phase() == SyncPhase::kBackingOff);
    CHECK_FALSE(e.OnResponse(200, "{}", kT1).ok());  // nothing in flight
  }
}

}  // namespace
}  // namespace casesync
