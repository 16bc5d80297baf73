// The embind surface of the core: one long-lived handle, ReplicaHandle, that
// owns a Replica and the SyncEngine over it. The worker (web/src/worker.ts)
// creates exactly one and deletes it when it gives up the database.
//
// Every method takes and returns JSON text: the binding stays tiny, and the
// TypeScript side (web/src/core.ts) has the types. Nothing throws across the
// boundary: each answer is {"ok":true,…} or
// {"ok":false,"error":{"code":"<ErrorCodeName>","message":"…"}}.
#include <emscripten/bind.h>
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "casesync/domain.h"
#include "casesync/mutation.h"
#include "casesync/protocol.h"
#include "casesync/replica.h"
#include "casesync/status.h"
#include "casesync/sync_engine.h"
#include "casesync/validation.h"
#include "idb_vfs.h"
#include "opfs_vfs.h"

namespace casesync::web {
namespace {

std::string Fail(const Status& s) {
  return DumpJson(
      Json{{"ok", false},
           {"error",
            {{"code", ErrorCodeName(s.code())}, {"message", s.message()}}}});
}

std::string Ok(Json j = Json::object()) {
  j["ok"] = true;
  return DumpJson(j);
}

std::string Done(const Status& s) { return s.ok() ? Ok() : Fail(s); }

// Parses a JSON argument; the error names the argument.
Result<Json> Arg(const std::string& text, const char* what) {
  auto j = ParseJson(text);
  if (!j.ok()) {
    return Status(j.status().code(),
                  std::string(what) + ": " + j.status().message());
  }
  return j;
}

std::string StringOr(const Json& j, const char* key, std::string fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool BoolOr(const Json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

int64_t IntOr(const Json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>()
                                                  : fallback;
}

Json SyncStatusToJson(const SyncStatus& s) {
  return Json{
      {"phase", SyncPhaseName(s.phase)},
      {"connectivity", ConnectivityName(s.connectivity)},
      {"pending", s.pending},
      {"openRejections", s.open_rejections},
      {"lastSyncAt", s.last_sync_at},
      {"attempts", s.attempts},
      {"lastError", s.last_error.ok()
                        ? Json()
                        : Json{{"code", ErrorCodeName(s.last_error.code())},
                               {"message", s.last_error.message()}}},
      {"progress",
       {{"pushes", s.progress.pushes},
        {"pushed", s.progress.pushed},
        {"pages", s.progress.pages},
        {"rows", s.progress.rows},
        {"rejections", s.progress.rejections},
        {"failures", s.progress.failures}}}};
}

}  // namespace

class ReplicaHandle {
 public:
  ReplicaHandle() = default;

  // opts: {path, clientId, storage: "opfs"|"idb"|"memory", journalMode?
  // ("WAL"), synchronous? ("FULL"), backoffBaseMs?, backoffMaxMs?,
  // pipelinePulls? (false; SyncOptions::pipeline_pulls)}. With
  // "opfs" the worker must have opened the handles of `path`, `path-journal`
  // and `path-wal` first; with "idb" it must have loaded the blocks of `path`
  // (idb_vfs.h) and it makes each commit durable with idbTakeDirty().
  std::string open(const std::string& opts_json) {
    auto opts = Arg(opts_json, "options");
    if (!opts.ok()) return Fail(opts.status());
    OpenOptions o;
    std::string path = StringOr(*opts, "path", "casesync.db");
    std::string storage = StringOr(*opts, "storage", "opfs");
    if (storage == "opfs") {
      if (RegisterOpfsVfs() != 0) {
        return Fail(Status(ErrorCode::kStorage, "cannot register the VFS"));
      }
      o.vfs = kOpfsVfsName;
      o.journal_mode = "";  // the migrations run with the default journal
    } else if (storage == "idb") {
      if (RegisterIdbVfs() != 0) {
        return Fail(Status(ErrorCode::kStorage, "cannot register the VFS"));
      }
      o.vfs = kIdbVfsName;
      // The durable copy is replaced atomically per flush: a journal only
      // has to undo a transaction in this process (idb_vfs.cpp).
      o.journal_mode = "MEMORY";
    } else {
      path = ":memory:";
      o.journal_mode = "MEMORY";
    }
    o.synchronous = StringOr(*opts, "synchronous", "FULL");
    o.busy_timeout_ms = 0;
    engine_.reset();
    replica_.reset();
    auto r = Replica::Open(path, StringOr(*opts, "clientId", ""), o);
    if (!r.ok()) return Fail(r.status());
    replica_ = std::move(r).value();
    if (storage == "opfs" || storage == "idb") {
      // One owner (Web Lock): exclusive locking keeps the page cache across
      // transactions and allows WAL without shared memory. On OPFS a commit
      // is then one WAL append + one flush (docs/web.md).
      std::string mode =
          StringOr(*opts, "journalMode", storage == "opfs" ? "WAL" : "MEMORY");
      Status s = replica_->db().Exec("PRAGMA locking_mode=EXCLUSIVE");
      if (s.ok()) s = replica_->db().Exec("PRAGMA journal_mode=" + mode);
      if (!s.ok()) {
        replica_.reset();
        return Fail(s);
      }
      // WAL checkpoints off the commit path: instead of SQLite's inline
      // checkpoint at 1,000 frames, the worker checkpoints when its sync
      // loop goes idle (idleCheckpoint); a commit checkpoints only past
      // kWalInlineFrames, which bounds the WAL (mirrored in memory by the
      // OPFS VFS). A first sync of 10,000 cases then writes no checkpoint
      // while the user waits for the list (docs/web.md).
      wal_frames_ = 0;
      sqlite3_wal_hook(replica_->db().raw(), &ReplicaHandle::WalHook, this);
    }
    SyncOptions so;
    so.watch = true;
    so.backoff_base_ms = IntOr(*opts, "backoffBaseMs", 1000);
    so.backoff_max_ms = IntOr(*opts, "backoffMaxMs", 30000);
    so.pipeline_pulls = BoolOr(*opts, "pipelinePulls", false);
    engine_ = std::make_unique<SyncEngine>(*replica_, so);
    return Ok();
  }

  // Closes the database (the worker then closes its OPFS handles).
  void close() {
    engine_.reset();
    replica_.reset();
  }

  // user: the "user" object of POST /auth/login.
  std::string setActor(const std::string& user_json,
                       const std::string& fresh_client_id) {
    if (!replica_) return NotOpen();
    auto u = Arg(user_json, "user");
    if (!u.ok()) return Fail(u.status());
    auto role = RoleFromName(StringOr(*u, "role", ""));
    if (!role) return Fail(Status(ErrorCode::kInvalidRequest, "user.role"));
    Actor a{StringOr(*u, "id", ""), StringOr(*u, "accountId", ""), *role};
    return Done(replica_->SetActor(a, fresh_client_id));
  }

  std::string getActor() {
    if (!replica_) return NotOpen();
    auto a = replica_->GetActor();
    if (!a.ok()) return Fail(a.status());
    if (!a->has_value()) return Ok({{"actor", nullptr}});
    const Actor& x = **a;
    return Ok({{"actor",
                {{"userId", x.user_id},
                 {"accountId", x.account_id},
                 {"role", RoleName(x.role)}}}});
  }

  std::string setMeta(const std::string& key, const std::string& value) {
    if (!replica_) return NotOpen();
    return Done(replica_->SetMeta(key, value));
  }

  std::string getMeta(const std::string& key) {
    if (!replica_) return NotOpen();
    auto v = replica_->GetMeta(key);
    if (!v.ok()) return Fail(v.status());
    return Ok({{"value", v->has_value() ? Json(**v) : Json()}});
  }

  // → {ok, mutationId} or the rule it broke (nothing queued).
  std::string mutate(const std::string& name, const std::string& args_json,
                     const std::string& now) {
    if (!replica_) return NotOpen();
    auto args = Arg(args_json, "args");
    if (!args.ok()) return Fail(args.status());
    auto id = replica_->Mutate(name, *args, now);
    if (!id.ok()) return Fail(id.status());
    return Ok({{"mutationId", *id}});
  }

  // → {ok, body} with body "" when nothing is pending.
  std::string nextPush(int max) {
    if (!replica_) return NotOpen();
    auto p = replica_->NextPush(max > 0 ? max : kMaxMutationsPerPush);
    if (!p.ok()) return Fail(p.status());
    return Ok({{"body", p->mutations.empty() ? "" : EncodePushRequest(*p)},
               {"count", p->mutations.size()}});
  }

  std::string acknowledgePush(double last_mutation_id) {
    if (!replica_) return NotOpen();
    return Done(replica_->AcknowledgePush(int64_t(last_mutation_id)));
  }

  std::string nextPull() {
    if (!replica_) return NotOpen();
    auto p = replica_->NextPull();
    if (!p.ok()) return Fail(p.status());
    return Ok({{"body", EncodePullRequest(*p)}});
  }

  std::string applyPull(const std::string& text, const std::string& now) {
    if (!replica_) return NotOpen();
    auto p = DecodePullResponse(text, PullRows::kTyped);
    if (!p.ok()) return Fail(p.status());
    auto s = replica_->ApplyPull(*p, now);
    if (!s.ok()) return Fail(s);
    return Ok({{"more", p->more}, {"rows", p->patch.size()}});
  }

  // q: {state?, search?, productId?, order?: "updatedDesc"|"updatedAsc"|
  // "numberDesc"|"createdDesc", limit?, offset?, after?: {id, number,
  // createdAt, updatedAt}}. `after` is the last row of the page shown before
  // (keyset paging, CaseQuery::after): the page starts after it. Each item is
  // the case row (wire names) plus pending, contactName and accountName.
  std::string listCases(const std::string& query_json) {
    if (!replica_) return NotOpen();
    auto qj = Arg(query_json, "query");
    if (!qj.ok()) return Fail(qj.status());
    CaseQuery q;
    std::string state = StringOr(*qj, "state", "");
    if (!state.empty()) {
      q.state = CaseStateFromName(state);
      if (!q.state) return Fail(Status(ErrorCode::kInvalidRequest, "state"));
    }
    q.search = StringOr(*qj, "search", "");
    q.product_id = StringOr(*qj, "productId", "");
    std::string order = StringOr(*qj, "order", "updatedDesc");
    if (order == "updatedAsc") q.order = CaseQuery::Order::kUpdatedAsc;
    if (order == "numberDesc") q.order = CaseQuery::Order::kNumberDesc;
    if (order == "createdDesc") q.order = CaseQuery::Order::kCreatedDesc;
    q.limit = static_cast<int>(IntOr(*qj, "limit", -1));
    q.offset = static_cast<int>(IntOr(*qj, "offset", 0));
    auto after = qj->find("after");
    if (after != qj->end() && after->is_object()) {
      Case last;
      last.id = StringOr(*after, "id", "");
      last.number = StringOr(*after, "number", "");
      last.created_at = StringOr(*after, "createdAt", "");
      last.updated_at = StringOr(*after, "updatedAt", "");
      q.after = CaseKeyOf(last, q.order);
    }
    auto items = replica_->ListCases(q);
    if (!items.ok()) return Fail(items.status());
    Json out = Json::array();
    std::map<std::string, std::string> users, accounts;
    for (const CaseListItem& item : *items) {
      Json j = CaseToJson(item.c);
      j["pending"] = item.pending;
      j["contactName"] = UserName(users, item.c.contact_id);
      j["accountName"] = AccountName(accounts, item.c.account_id);
      out.push_back(std::move(j));
    }
    return Ok({{"items", std::move(out)}});
  }

  std::string countByState() {
    if (!replica_) return NotOpen();
    auto counts = replica_->CountByState();
    if (!counts.ok()) return Fail(counts.status());
    Json out = Json::object();
    for (const StateCount& c : *counts) out[CaseStateName(c.state)] = c.count;
    return Ok({{"counts", out}});
  }

  std::string getCase(const std::string& id) {
    if (!replica_) return NotOpen();
    auto item = replica_->GetCase(id);
    if (!item.ok()) return Fail(item.status());
    if (!item->has_value()) return Ok({{"case", nullptr}});
    std::map<std::string, std::string> users, accounts;
    Json j = CaseToJson((*item)->c);
    j["pending"] = (*item)->pending;
    j["contactName"] = UserName(users, (*item)->c.contact_id);
    j["accountName"] = AccountName(accounts, (*item)->c.account_id);
    return Ok({{"case", std::move(j)}});
  }

  std::string listComments(const std::string& case_id) {
    if (!replica_) return NotOpen();
    auto comments = replica_->ListComments(case_id);
    if (!comments.ok()) return Fail(comments.status());
    std::map<std::string, std::string> users;
    Json out = Json::array();
    for (const Comment& c : *comments) {
      Json j = CommentToJson(c);
      j["authorName"] = UserName(users, c.author_id);
      out.push_back(std::move(j));
    }
    return Ok({{"comments", std::move(out)}});
  }

  std::string catalog() {
    if (!replica_) return NotOpen();
    auto items = replica_->ListCatalog();
    if (!items.ok()) return Fail(items.status());
    Json out = Json::array();
    for (const CatalogItem& c : *items) out.push_back(CatalogItemToJson(c));
    return Ok({{"items", std::move(out)}});
  }

  std::string saveDraft(const std::string& key, const std::string& kind,
                        const std::string& value_json, const std::string& now) {
    if (!replica_) return NotOpen();
    auto v = Arg(value_json, "value");
    if (!v.ok()) return Fail(v.status());
    return Done(replica_->SaveDraft(Draft{key, kind, *v, now}));
  }

  std::string drafts() {
    if (!replica_) return NotOpen();
    auto ds = replica_->ListDrafts();
    if (!ds.ok()) return Fail(ds.status());
    Json out = Json::array();
    for (const Draft& d : *ds) {
      out.push_back({{"key", d.key},
                     {"kind", d.kind},
                     {"value", d.value},
                     {"updatedAt", d.updated_at}});
    }
    return Ok({{"drafts", std::move(out)}});
  }

  std::string deleteDraft(const std::string& key) {
    if (!replica_) return NotOpen();
    return Done(replica_->DeleteDraft(key));
  }

  std::string rejections() {
    if (!replica_) return NotOpen();
    auto rs = replica_->ListRejections();
    if (!rs.ok()) return Fail(rs.status());
    Json out = Json::array();
    for (const RejectionRecord& r : *rs) {
      out.push_back({{"mutationId", r.mutation_id},
                     {"code", ErrorCodeName(r.code)},
                     {"message", r.message},
                     {"mutation", MutationToJson(r.mutation)},
                     {"draftKey", r.draft_key},
                     {"receivedAt", r.received_at}});
    }
    return Ok({{"rejections", std::move(out)}});
  }

  std::string dismissRejection(double mutation_id) {
    if (!replica_) return NotOpen();
    return Done(replica_->DismissRejection(int64_t(mutation_id)));
  }

  std::string syncState() {
    if (!replica_) return NotOpen();
    auto s = replica_->GetSyncState();
    if (!s.ok()) return Fail(s.status());
    return Ok({{"clientId", s->client_id},
               {"cursor", s->cursor ? Json(*s->cursor) : Json()},
               {"lastMutationId", s->last_mutation_id},
               {"nextMutationId", s->next_mutation_id},
               {"pending", s->pending},
               {"lastSyncAt", s->last_sync_at},
               {"openRejections", s->open_rejections}});
  }

  // createCase args as typed → {ok, errors:[{field, code, messageEs,
  // messageEn}]} (empty when valid).
  std::string validateCaseForm(const std::string& args_json) {
    if (!replica_) return NotOpen();
    auto args = Arg(args_json, "args");
    if (!args.ok()) return Fail(args.status());
    Json out = Json::array();
    for (const FieldError& e :
         ValidateCreateCaseArgs(*args, replica_->catalog())) {
      out.push_back({{"field", e.field},
                     {"code", e.code},
                     {"messageEs", e.message_es},
                     {"messageEn", e.message_en}});
    }
    return Ok({{"errors", std::move(out)}});
  }

  // The sync engine (sync_engine.h): the worker makes the HTTP requests.
  void syncStart() {
    if (engine_) engine_->Start();
  }

  // → {ok, kind: "request"|"wait"|"done", method, path, body, waitMs}
  std::string syncNext(double random) {
    if (!engine_) return NotOpen();
    auto step = engine_->Next(static_cast<uint64_t>(random));
    if (!step.ok()) return Fail(step.status());
    Json j;
    switch (step->kind) {
      case SyncStep::Kind::kRequest:
        j["kind"] = "request";
        j["method"] =
            step->request.method == SyncRequest::Method::kGet ? "GET" : "POST";
        j["path"] = step->request.path;
        j["body"] = step->request.body;
        break;
      case SyncStep::Kind::kWait:
        j["kind"] = "wait";
        j["waitMs"] = step->wait_ms;
        break;
      case SyncStep::Kind::kDone:
        j["kind"] = "done";
        break;
    }
    return Ok(std::move(j));
  }

  std::string syncOnResponse(int http_status, const std::string& body,
                             const std::string& now) {
    if (!engine_) return NotOpen();
    return Done(engine_->OnResponse(http_status, body, now));
  }

  // Pipelined pulls: after syncOnResponse → {ok, request: {path, body} |
  // null}; the worker sends it, returns to its event loop so that it
  // leaves, then calls syncApplyStaged.
  std::string syncTakePrefetch() {
    if (!engine_) return NotOpen();
    std::optional<SyncRequest> r = engine_->TakePrefetch();
    return Ok(
        {{"request", r ? Json{{"path", r->path}, {"body", r->body}} : Json()}});
  }

  std::string syncApplyStaged(const std::string& now) {
    if (!engine_) return NotOpen();
    return Done(engine_->ApplyStaged(now));
  }

  // → {ok, frames}: the WAL frames copied into the database (0 when the
  // WAL held fewer than kWalIdleFrames, or on IndexedDB, which has none).
  std::string idleCheckpoint() {
    if (!replica_) return NotOpen();
    int copied = 0;
    if (wal_frames_ >= kWalIdleFrames) {
      int log = 0;
      int rc =
          sqlite3_wal_checkpoint_v2(replica_->db().raw(), "main",
                                    SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      if (rc != SQLITE_OK) {
        return Fail(Status(ErrorCode::kStorage,
                           std::string("checkpoint: ") + sqlite3_errstr(rc)));
      }
      wal_frames_ = 0;
    }
    return Ok({{"frames", copied}});
  }

  void syncOnTransportError(const std::string& message) {
    if (engine_) engine_->OnTransportError(message);
  }

  std::string syncStatus() {
    if (!engine_) return NotOpen();
    auto s = engine_->GetStatus();
    if (!s.ok()) return Fail(s.status());
    return Ok({{"status", SyncStatusToJson(*s)}});
  }

 private:
  static std::string NotOpen() {
    return Fail(Status(ErrorCode::kUnavailable, "the database is not open"));
  }

  std::string UserName(std::map<std::string, std::string>& cache,
                       const std::string& id) {
    auto it = cache.find(id);
    if (it != cache.end()) return it->second;
    std::string name;
    auto u = replica_->FindUser(id);
    if (u.ok() && u->has_value()) name = (*u)->name;
    cache.emplace(id, name);
    return name;
  }

  std::string AccountName(std::map<std::string, std::string>& cache,
                          const std::string& id) {
    auto it = cache.find(id);
    if (it != cache.end()) return it->second;
    std::string name;
    auto a = replica_->FindAccount(id);
    if (a.ok() && a->has_value()) name = (*a)->name;
    cache.emplace(id, name);
    return name;
  }

  static constexpr int kWalInlineFrames = 4000;  // 16 MiB of 4 KiB pages
  static constexpr int kWalIdleFrames = 1000;    // SQLite's own default

  static int WalHook(void* self, sqlite3* db, const char* name, int frames) {
    auto* h = static_cast<ReplicaHandle*>(self);
    h->wal_frames_ = frames;
    if (frames >= kWalInlineFrames) {
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
      h->wal_frames_ = 0;
    }
    return SQLITE_OK;
  }

  int wal_frames_ = 0;  // frames in the WAL after the last commit
  // Declared in this order so the engine (which borrows the replica) is
  // destroyed first.
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<SyncEngine> engine_;
};

// Labels the UI shows, from the core (one source of truth).
std::string Labels() {
  Json states = Json::object();
  for (CaseState s :
       {CaseState::kNew, CaseState::kOpen, CaseState::kAwaitingInfo,
        CaseState::kResolved, CaseState::kClosed, CaseState::kCanceled}) {
    states[CaseStateName(s)] = {{"es", CaseStateLabelEs(s)},
                                {"en", CaseStateLabelEn(s)}};
  }
  Json priorities = Json::object();
  for (int p = 1; p <= 4; ++p) {
    priorities[std::to_string(p)] = {{"es", PriorityLabelEs(p)},
                                     {"en", PriorityLabelEn(p)}};
  }
  return DumpJson(Json{{"states", states},
                       {"priorities", priorities},
                       {"limits",
                        {{"subject", kMaxSubject},
                         {"description", kMaxDescription},
                         {"contactHours", kMaxContactHours},
                         {"contactPhone", kMaxPhone},
                         {"comment", kMaxCommentBody},
                         {"notes", kMaxNotes},
                         {"resolutionCode", kMaxResolutionCode}}}});
}

}  // namespace casesync::web

EMSCRIPTEN_BINDINGS(casesync) {
  using casesync::web::ReplicaHandle;
  emscripten::class_<ReplicaHandle>("ReplicaHandle")
      .constructor<>()
      .function("open", &ReplicaHandle::open)
      .function("close", &ReplicaHandle::close)
      .function("idleCheckpoint", &ReplicaHandle::idleCheckpoint)
      .function("setActor", &ReplicaHandle::setActor)
      .function("getActor", &ReplicaHandle::getActor)
      .function("setMeta", &ReplicaHandle::setMeta)
      .function("getMeta", &ReplicaHandle::getMeta)
      .function("mutate", &ReplicaHandle::mutate)
      .function("nextPush", &ReplicaHandle::nextPush)
      .function("acknowledgePush", &ReplicaHandle::acknowledgePush)
      .function("nextPull", &ReplicaHandle::nextPull)
      .function("applyPull", &ReplicaHandle::applyPull)
      .function("listCases", &ReplicaHandle::listCases)
      .function("countByState", &ReplicaHandle::countByState)
      .function("getCase", &ReplicaHandle::getCase)
      .function("listComments", &ReplicaHandle::listComments)
      .function("catalog", &ReplicaHandle::catalog)
      .function("saveDraft", &ReplicaHandle::saveDraft)
      .function("drafts", &ReplicaHandle::drafts)
      .function("deleteDraft", &ReplicaHandle::deleteDraft)
      .function("rejections", &ReplicaHandle::rejections)
      .function("dismissRejection", &ReplicaHandle::dismissRejection)
      .function("syncState", &ReplicaHandle::syncState)
      .function("validateCaseForm", &ReplicaHandle::validateCaseForm)
      .function("syncStart", &ReplicaHandle::syncStart)
      .function("syncNext", &ReplicaHandle::syncNext)
      .function("syncOnResponse", &ReplicaHandle::syncOnResponse)
      .function("syncTakePrefetch", &ReplicaHandle::syncTakePrefetch)
      .function("syncApplyStaged", &ReplicaHandle::syncApplyStaged)
      .function("syncOnTransportError", &ReplicaHandle::syncOnTransportError)
      .function("syncStatus", &ReplicaHandle::syncStatus);
  emscripten::function("labels", &casesync::web::Labels);
  // The IndexedDB backend's flush protocol (idb_vfs.h).
  emscripten::function("idbTakeDirty", &casesync::web::IdbTakeDirty);
  emscripten::function("idbFlushDone", &casesync::web::IdbFlushDone);
}
