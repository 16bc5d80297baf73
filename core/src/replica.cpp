#include "casesync/replica.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "casesync/case_rows.h"
#include "replica_schema_internal.h"

namespace casesync {
namespace {

// The WHERE part of a keyset page: rows strictly after `key` in `order`
// (CaseQuery). Parameters ?6 value, ?7 created_at, ?8 id.
std::string KeysetCondition(CaseQuery::Order order, const CaseKey& key) {
  constexpr const char* kAfterCreatedThenId =
      "(created_at < ?7 OR (created_at = ?7 AND id > ?8))";
  switch (order) {
    case CaseQuery::Order::kUpdatedDesc:
      return " AND (updated_at < ?6 OR (updated_at = ?6 AND id > ?8))";
    case CaseQuery::Order::kUpdatedAsc:
      return " AND (updated_at > ?6 OR (updated_at = ?6 AND id > ?8))";
    case CaseQuery::Order::kCreatedDesc:
      return " AND (created_at < ?6 OR (created_at = ?6 AND id > ?8))";
    case CaseQuery::Order::kNumberDesc:
      break;
  }
  // Unnumbered cases come first; after one of them come the rest of them,
  // then every numbered case.
  if (key.value.empty()) {
    return std::string(" AND (number <> '' OR ") + kAfterCreatedThenId + ")";
  }
  return std::string(
             " AND number <> '' AND (number < ?6 OR (number = ?6 AND ") +
         kAfterCreatedThenId + "))";
}

// Runs `apply` on a put's row: the one the fast decoder already decoded
// (PullRows::kTyped), or else the row decoded from its Json by `from_json`
// (a lambda: em++ 3.1.6 miscompiles our functions passed as pointers).
template <typename T, typename FromJson, typename Apply>
Status WithRow(const PatchOp& op, FromJson from_json, Apply apply) {
  if (const T* decoded = std::get_if<T>(&op.decoded)) return apply(*decoded);
  CASESYNC_ASSIGN_OR_RETURN(T row, from_json(op.row));
  return apply(row);
}

// Meta keys. Keys set through SetMeta are prefixed so the embedding can never
// overwrite the replica's own.
constexpr const char* kMetaClientId = "client_id";
constexpr const char* kMetaCursor = "cursor";
constexpr const char* kMetaNextMutationId = "next_mutation_id";
constexpr const char* kMetaLastMutationId = "last_mutation_id";
constexpr const char* kMetaPushAcked = "push_acked";
constexpr const char* kMetaLastSyncAt = "last_sync_at";
constexpr const char* kMetaActor = "actor";
constexpr const char* kMetaExtPrefix = "ext.";

std::string InsertSql(const char* table, const char* columns, int n) {
  std::string sql = std::string("INSERT OR REPLACE INTO ") + table + "(" +
                    columns + ") VALUES(";
  for (int i = 1; i <= n; ++i) sql += (i == 1 ? "?" : ",?");
  return sql + ")";
}

const std::string& InsertCaseSql(bool overlay) {
  static const std::string confirmed =
      InsertSql("cases", kCaseColumns, kCaseColumnCount);
  static const std::string opt =
      InsertSql("opt_cases", kCaseColumns, kCaseColumnCount);
  return overlay ? opt : confirmed;
}

const std::string& InsertCommentSql(bool overlay) {
  static const std::string confirmed =
      InsertSql("comments", kCommentColumns, kCommentColumnCount);
  static const std::string opt =
      InsertSql("opt_comments", kCommentColumns, kCommentColumnCount);
  return overlay ? opt : confirmed;
}

Json ActorToJson(const Actor& a) {
  return Json{{"userId", a.user_id},
              {"accountId", a.account_id},
              {"role", RoleName(a.role)}};
}

std::optional<Actor> ActorFromJson(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  auto user = j.find("userId");
  auto account = j.find("accountId");
  auto role = j.find("role");
  if (user == j.end() || !user->is_string() || account == j.end() ||
      !account->is_string() || role == j.end() || !role->is_string()) {
    return std::nullopt;
  }
  auto r = RoleFromName(role->get_ref<const std::string&>());
  if (!r) return std::nullopt;
  return Actor{user->get<std::string>(), account->get<std::string>(), *r};
}

// Escapes LIKE wildcards; used with ESCAPE '\'.
std::string LikePattern(std::string_view term) {
  std::string p = "%";
  for (char ch : term) {
    if (ch == '%' || ch == '_' || ch == '\\') p += '\\';
    p += ch;
  }
  return p + "%";
}

}  // namespace

// The optimistic view as a MutationStore: reads the overlay first, then the
// confirmed tables; writes go to the overlay only.
class Replica::ViewStore : public MutationStore {
 public:
  explicit ViewStore(Database& db) : db_(db) {}

  void InvalidateCatalog() { catalog_loaded_ = false; }

  const CatalogItem* FindCatalogItem(std::string_view id) const override {
    if (!catalog_loaded_) {
      if (!const_cast<ViewStore*>(this)->LoadCatalog().ok()) return nullptr;
    }
    auto it = catalog_.find(std::string(id));
    return it == catalog_.end() ? nullptr : &it->second;
  }

  Result<std::optional<Case>> GetCase(std::string_view id) override {
    for (const char* table : {"opt_cases", "cases"}) {
      std::string sql = std::string("SELECT ") + kCaseColumns + " FROM " +
                        table + " WHERE id=?";
      CASESYNC_ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
      StatementScope scope(*s);
      s->Bind(1, id);
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) return std::optional<Case>(ReadCase(*s));
    }
    return std::optional<Case>();
  }

  Result<bool> CommentExists(std::string_view id) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT 1 FROM opt_comments WHERE id=?1 UNION ALL "
                    "SELECT 1 FROM comments WHERE id=?1"));
    StatementScope scope(*s);
    s->Bind(1, id);
    return s->Step();
  }

  Result<std::optional<User>> GetUser(std::string_view id) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT id, account_id, email, name, phone, role, status "
                    "FROM users WHERE id=?"));
    StatementScope scope(*s);
    s->Bind(1, id);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<User>();
    User u;
    u.id = s->ColumnText(0);
    u.account_id = s->ColumnText(1);
    u.email = s->ColumnText(2);
    u.name = s->ColumnText(3);
    u.phone = s->ColumnText(4);
    u.role = RoleFromName(s->ColumnTextView(5)).value_or(Role::kCustomer);
    u.status =
        UserStatusFromName(s->ColumnTextView(6)).value_or(UserStatus::kActive);
    return std::optional<User>(std::move(u));
  }

  Status PutCase(const Case& c) override {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, db_.Prepare(InsertCaseSql(true)));
    BindCase(*s, c);
    return s->Run();
  }

  Status PutComment(const Comment& c) override {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                              db_.Prepare(InsertCommentSql(true)));
    BindComment(*s, c);
    return s->Run();
  }

  Result<std::string> NextCaseNumber() override { return std::string(); }

 private:
  Status LoadCatalog() {
    catalog_.clear();
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT id, kind, parent_id, name, sort, active "
                    "FROM catalog"));
    StatementScope scope(*s);
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      CatalogItem item;
      item.id = s->ColumnText(0);
      auto kind = CatalogKindFromName(s->ColumnTextView(1));
      if (!kind) continue;
      item.kind = *kind;
      item.parent_id = s->ColumnText(2);
      item.name = s->ColumnText(3);
      item.sort = static_cast<int>(s->ColumnInt(4));
      item.active = s->ColumnInt(5) != 0;
      catalog_.emplace(item.id, std::move(item));
    }
    catalog_loaded_ = true;
    return Status::Ok();
  }

  Database& db_;
  bool catalog_loaded_ = false;
  std::unordered_map<std::string, CatalogItem> catalog_;
};

Replica::Replica(std::unique_ptr<Database> db)
    : db_(std::move(db)), view_(std::make_unique<ViewStore>(*db_)) {}

Replica::~Replica() = default;

int Replica::SchemaVersion() {
  return replica_schema::Migrations().back().version;
}

Result<std::unique_ptr<Replica>> Replica::Open(const std::string& path,
                                               std::string_view new_client_id,
                                               const OpenOptions& options) {
  CASESYNC_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                            Database::Open(path, options));
  CASESYNC_RETURN_IF_ERROR(Migrate(*db, replica_schema::Migrations()));
  // Page cache of up to 16 MiB instead of SQLite's 2 MiB default. A replica
  // of 10,000 cases is ~13 MB: with 2 MiB every full case list and every
  // large pull page re-reads most pages from the file (a file-system call
  // each; under wasm a JS call to node's fs or the browser's OPFS handle).
  // Memory is only taken as pages are read. Issue 2 benchmark
  // (tools/bench/core_bench.cpp, docs/benchmarks.md).
  CASESYNC_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-16384"));
  std::unique_ptr<Replica> replica(new Replica(std::move(db)));
  CASESYNC_ASSIGN_OR_RETURN(auto id, replica->ReadMeta(kMetaClientId));
  if (!id) {
    if (new_client_id.empty() || new_client_id.size() > kMaxClientIdLength) {
      return Status(ErrorCode::kInvalidRequest,
                    "a new replica needs a clientId");
    }
    CASESYNC_RETURN_IF_ERROR(replica->WriteMeta(kMetaClientId, new_client_id));
  }
  return replica;
}

// ---- meta ----

Result<std::optional<std::string>> Replica::ReadMeta(std::string_view key) {
  CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                            db_->Prepare("SELECT value FROM meta WHERE key=?"));
  StatementScope scope(*s);
  s->Bind(1, key);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s->ColumnText(0));
}

Status Replica::WriteMeta(std::string_view key, std::string_view value) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
  s->Bind(1, key).Bind(2, value);
  return s->Run();
}

Result<int64_t> Replica::ReadMetaInt(std::string_view key, int64_t fallback) {
  CASESYNC_ASSIGN_OR_RETURN(auto v, ReadMeta(key));
  if (!v) return fallback;
  int64_t n = 0;
  for (char ch : *v) {
    if (ch < '0' || ch > '9') return Status(ErrorCode::kStorage, "bad meta");
    n = n * 10 + (ch - '0');
  }
  return n;
}

Status Replica::SetMeta(std::string_view key, std::string_view value) {
  return WriteMeta(std::string(kMetaExtPrefix) + std::string(key), value);
}

Result<std::optional<std::string>> Replica::GetMeta(std::string_view key) {
  return ReadMeta(std::string(kMetaExtPrefix) + std::string(key));
}

Result<std::optional<Actor>> Replica::GetActor() {
  CASESYNC_ASSIGN_OR_RETURN(auto text, ReadMeta(kMetaActor));
  if (!text) return std::optional<Actor>();
  auto parsed = ParseJson(*text);
  if (!parsed.ok()) return parsed.status();
  return ActorFromJson(*parsed);
}

Status Replica::SetActor(const Actor& actor, std::string_view fresh_client_id) {
  CASESYNC_ASSIGN_OR_RETURN(std::optional<Actor> current, GetActor());
  Transaction tx(*db_);
  CASESYNC_RETURN_IF_ERROR(tx.begin_status());
  if (current && current->user_id != actor.user_id) {
    // Another person on this device: nothing of the previous user's may
    // leak to, or be pushed as, the new one.
    if (fresh_client_id.empty() ||
        fresh_client_id.size() > kMaxClientIdLength) {
      return Status(ErrorCode::kInvalidRequest,
                    "switching users needs a fresh clientId");
    }
    CASESYNC_RETURN_IF_ERROR(db_->Exec(
        "DELETE FROM cases; DELETE FROM opt_cases; DELETE FROM comments;"
        "DELETE FROM opt_comments; DELETE FROM users; DELETE FROM accounts;"
        "DELETE FROM outbox; DELETE FROM drafts; DELETE FROM rejections;"
        "DELETE FROM meta WHERE key NOT LIKE 'ext.%';"));
    CASESYNC_RETURN_IF_ERROR(WriteMeta(kMetaClientId, fresh_client_id));
  }
  CASESYNC_RETURN_IF_ERROR(WriteMeta(kMetaActor, DumpJson(ActorToJson(actor))));
  return tx.Commit();
}

// ---- mutations ----

Result<int64_t> Replica::Mutate(std::string_view name, const Json& args,
                                std::string_view now) {
  CASESYNC_ASSIGN_OR_RETURN(std::optional<Actor> actor, GetActor());
  if (!actor) {
    return Status(ErrorCode::kUnauthenticated,
                  "Inicie sesión primero. / Sign in first.");
  }
  if (!MutationNameFromString(name)) {
    return Status(ErrorCode::kUnknownMutation,
                  "unknown mutation " + std::string(name));
  }
  Transaction tx(*db_);
  CASESYNC_RETURN_IF_ERROR(tx.begin_status());
  CASESYNC_ASSIGN_OR_RETURN(int64_t id, ReadMetaInt(kMetaNextMutationId, 1));
  CASESYNC_ASSIGN_OR_RETURN(auto client_id, ReadMeta(kMetaClientId));

  MutationRecord m{id, std::string(name), args, std::string(now)};
  MutationEnv env;
  env.actor = *actor;
  env.now = std::string(now);
  env.client_id = client_id.value_or("");
  env.mutation_id = id;
  CASESYNC_RETURN_IF_ERROR(ApplyMutation(m, env, *view_));

  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("INSERT INTO outbox(id, name, args, client_time) "
                   "VALUES(?, ?, ?, ?)"));
  s->Bind(1, id).Bind(2, m.name).Bind(3, DumpJson(args)).Bind(4, now);
  CASESYNC_RETURN_IF_ERROR(s->Run());
  CASESYNC_RETURN_IF_ERROR(
      WriteMeta(kMetaNextMutationId, std::to_string(id + 1)));
  CASESYNC_RETURN_IF_ERROR(tx.Commit());
  return id;
}

Result<std::vector<MutationRecord>> Replica::Outbox(int64_t after_id,
                                                    size_t max) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT id, name, args, client_time FROM outbox "
                   "WHERE id > ? ORDER BY id LIMIT ?"));
  StatementScope scope(*s);
  s->Bind(1, after_id).Bind(2, static_cast<int64_t>(max));
  std::vector<MutationRecord> out;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    MutationRecord m;
    m.id = s->ColumnInt(0);
    m.name = s->ColumnText(1);
    CASESYNC_ASSIGN_OR_RETURN(m.args, ParseJson(s->ColumnTextView(2)));
    m.client_time = s->ColumnText(3);
    out.push_back(std::move(m));
  }
  return out;
}

Result<PushRequest> Replica::NextPush(size_t max) {
  CASESYNC_ASSIGN_OR_RETURN(int64_t acked, ReadMetaInt(kMetaPushAcked, 0));
  CASESYNC_ASSIGN_OR_RETURN(int64_t confirmed,
                            ReadMetaInt(kMetaLastMutationId, 0));
  CASESYNC_ASSIGN_OR_RETURN(auto client_id, ReadMeta(kMetaClientId));
  PushRequest push;
  push.client_id = client_id.value_or("");
  CASESYNC_ASSIGN_OR_RETURN(push.mutations,
                            Outbox(std::max(acked, confirmed), max));
  return push;
}

Status Replica::AcknowledgePush(int64_t last_mutation_id) {
  CASESYNC_ASSIGN_OR_RETURN(int64_t acked, ReadMetaInt(kMetaPushAcked, 0));
  if (last_mutation_id <= acked) return Status::Ok();
  return WriteMeta(kMetaPushAcked, std::to_string(last_mutation_id));
}

Status Replica::RewindPush(int64_t expected_id) {
  CASESYNC_ASSIGN_OR_RETURN(int64_t confirmed,
                            ReadMetaInt(kMetaLastMutationId, 0));
  CASESYNC_ASSIGN_OR_RETURN(std::vector<MutationRecord> first,
                            Outbox(expected_id - 1, 1));
  if (expected_id < 1 || expected_id <= confirmed || first.empty() ||
      first.front().id != expected_id) {
    return Status(ErrorCode::kNotFound,
                  "mutation " + std::to_string(expected_id) +
                      " is no longer in the outbox (confirmed up to " +
                      std::to_string(confirmed) + ")");
  }
  return WriteMeta(kMetaPushAcked, std::to_string(expected_id - 1));
}

Result<PullRequest> Replica::NextPull() {
  PullRequest pull;
  CASESYNC_ASSIGN_OR_RETURN(auto client_id, ReadMeta(kMetaClientId));
  pull.client_id = client_id.value_or("");
  CASESYNC_ASSIGN_OR_RETURN(pull.cursor, ReadMeta(kMetaCursor));
  return pull;
}

// ---- pull ----

Status Replica::ApplyPatchOp(const PatchOp& op) {
  switch (op.op) {
    case PatchOpKind::kClear: {
      if (op.table.empty()) {
        view_->InvalidateCatalog();
        return db_->Exec(
            "DELETE FROM cases; DELETE FROM comments; DELETE FROM catalog;"
            "DELETE FROM users; DELETE FROM accounts;");
      }
      if (!IsPatchTable(op.table)) break;
      if (op.table == kTableCatalog) view_->InvalidateCatalog();
      return db_->Exec("DELETE FROM " + op.table);
    }
    case PatchOpKind::kDel: {
      if (!IsPatchTable(op.table)) break;
      auto id = op.row.find("id");
      if (id == op.row.end() || !id->is_string()) {
        return Status(ErrorCode::kInvalidRequest, "del without id");
      }
      if (op.table == kTableCatalog) view_->InvalidateCatalog();
      CASESYNC_ASSIGN_OR_RETURN(
          Statement * s,
          db_->Prepare("DELETE FROM " + op.table + " WHERE id=?"));
      s->Bind(1, id->get_ref<const std::string&>());
      return s->Run();
    }
    case PatchOpKind::kPut: {
      if (const Status* refused = std::get_if<Status>(&op.decoded)) {
        return *refused;
      }
      if (op.table == kTableCases) {
        return WithRow<Case>(
            op, [](const Json& j) { return CaseFromJson(j); },
            [&](const Case& c) -> Status {
              CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                                        db_->Prepare(InsertCaseSql(false)));
              BindCase(*s, c);
              return s->Run();
            });
      }
      if (op.table == kTableComments) {
        return WithRow<Comment>(
            op, [](const Json& j) { return CommentFromJson(j); },
            [&](const Comment& c) -> Status {
              CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                                        db_->Prepare(InsertCommentSql(false)));
              BindComment(*s, c);
              return s->Run();
            });
      }
      if (op.table == kTableCatalog) {
        view_->InvalidateCatalog();
        return WithRow<CatalogItem>(
            op, [](const Json& j) { return CatalogItemFromJson(j); },
            [&](const CatalogItem& item) -> Status {
              CASESYNC_ASSIGN_OR_RETURN(
                  Statement * s,
                  db_->Prepare("INSERT OR REPLACE INTO catalog(id, kind, "
                               "parent_id, name, sort, active) "
                               "VALUES(?, ?, ?, ?, ?, ?)"));
              s->Bind(1, item.id)
                  .Bind(2, CatalogKindName(item.kind))
                  .Bind(3, item.parent_id)
                  .Bind(4, item.name)
                  .Bind(5, item.sort)
                  .Bind(6, item.active ? 1 : 0);
              return s->Run();
            });
      }
      if (op.table == kTableUsers) {
        return WithRow<User>(
            op, [](const Json& j) { return UserFromJson(j); },
            [&](const User& u) -> Status {
              CASESYNC_ASSIGN_OR_RETURN(
                  Statement * s,
                  db_->Prepare("INSERT OR REPLACE INTO users(id, account_id, "
                               "email, name, phone, role, status) "
                               "VALUES(?, ?, ?, ?, ?, ?, ?)"));
              s->Bind(1, u.id)
                  .Bind(2, u.account_id)
                  .Bind(3, u.email)
                  .Bind(4, u.name)
                  .Bind(5, u.phone)
                  .Bind(6, RoleName(u.role))
                  .Bind(7, UserStatusName(u.status));
              return s->Run();
            });
      }
      if (op.table == kTableAccounts) {
        return WithRow<Account>(
            op, [](const Json& j) { return AccountFromJson(j); },
            [&](const Account& a) -> Status {
              CASESYNC_ASSIGN_OR_RETURN(
                  Statement * s,
                  db_->Prepare("INSERT OR REPLACE INTO accounts(id, name, "
                               "tax_id, domains) VALUES(?, ?, ?, ?)"));
              s->Bind(1, a.id)
                  .Bind(2, a.name)
                  .Bind(3, a.tax_id)
                  .Bind(4, DumpJson(Json(a.domains)));
              return s->Run();
            });
      }
      break;
    }
  }
  return Status(ErrorCode::kInvalidRequest, "unknown patch table " + op.table);
}

// Keeps the user's text of a refused mutation where the UI can offer it again
// (DESIGN §3: nothing the user typed is ever lost).
Status Replica::RecordRejection(const Rejection& r, std::string_view now) {
  // A pipelined pull gets a rejection again until a later request says the
  // page that brought it is stored: the first copy counts, and its draft may
  // have been edited, sent or deleted since.
  {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * known,
        db_->Prepare("SELECT 1 FROM rejections WHERE mutation_id=?"));
    StatementScope scope(*known);
    known->Bind(1, r.mutation_id);
    CASESYNC_ASSIGN_OR_RETURN(bool seen, known->Step());
    if (seen) return Status::Ok();
  }
  const MutationRecord& m = r.mutation;
  auto name = MutationNameFromString(m.name);
  auto arg = [&m](const char* key) -> std::string {
    auto it = m.args.is_object() ? m.args.find(key) : m.args.end();
    return it != m.args.end() && it->is_string() ? it->get<std::string>() : "";
  };
  std::string id = std::to_string(r.mutation_id);
  Draft draft;
  if (name == MutationName::kCreateCase) {
    // The whole form comes back, to fix and send again.
    draft = {"rejected:" + id, "case", m.args, std::string(now)};
    draft.value.erase("id");
  } else if (name == MutationName::kAddComment ||
             name == MutationName::kRejectSolution ||
             name == MutationName::kRequestInfo) {
    std::string body =
        name == MutationName::kAddComment ? arg("body") : arg("comment");
    std::string case_id = arg("caseId");
    CASESYNC_ASSIGN_OR_RETURN(std::optional<Case> parent,
                              view_->GetCase(case_id));
    if (r.code == ErrorCode::kCaseTerminal && parent) {
      // The case closed meanwhile: offer a follow-up case with the same text.
      std::string ref =
          parent->number.empty() ? parent->subject : parent->number;
      Json form{{"parentId", case_id},
                {"serviceId", parent->service_id},
                {"productId", parent->product_id},
                {"issueTypeId", parent->issue_type_id},
                {"contactHours", parent->contact_hours},
                {"contactPhone", parent->contact_phone},
                {"subject", "Seguimiento de " + ref},
                {"description", body}};
      draft = {"followup:" + id, "case", std::move(form), std::string(now)};
    } else {
      draft = {"comment:" + id, "comment",
               Json{{"caseId", case_id}, {"body", body}}, std::string(now)};
    }
  }
  if (!draft.key.empty()) CASESYNC_RETURN_IF_ERROR(SaveDraft(draft));

  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("INSERT OR IGNORE INTO rejections(mutation_id, code, "
                   "message, name, args, client_time, draft_key, received_at) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  s->Bind(1, r.mutation_id)
      .Bind(2, ErrorCodeName(r.code))
      .Bind(3, r.message)
      .Bind(4, m.name)
      .Bind(5, DumpJson(m.args))
      .Bind(6, m.client_time)
      .Bind(7, draft.key)
      .Bind(8, now);
  return s->Run();
}

Status Replica::Rebase() {
  CASESYNC_RETURN_IF_ERROR(
      db_->Exec("DELETE FROM opt_cases; DELETE FROM opt_comments;"));
  CASESYNC_ASSIGN_OR_RETURN(std::optional<Actor> actor, GetActor());
  if (!actor) return Status::Ok();
  CASESYNC_ASSIGN_OR_RETURN(auto client_id, ReadMeta(kMetaClientId));
  CASESYNC_ASSIGN_OR_RETURN(std::vector<MutationRecord> pending,
                            Outbox(0, static_cast<size_t>(-1) >> 1));
  MutationEnv env;
  env.actor = *actor;
  env.client_id = client_id.value_or("");
  for (const MutationRecord& m : pending) {
    env.now = m.client_time;
    env.mutation_id = m.id;
    // A pending mutation the confirmed state no longer allows keeps its place
    // in the outbox (the server will reject it and tell us why) but does not
    // show in the view.
    Transaction sp(*db_);
    CASESYNC_RETURN_IF_ERROR(sp.begin_status());
    Status st = ApplyMutation(m, env, *view_);
    if (st.ok()) {
      CASESYNC_RETURN_IF_ERROR(sp.Commit());
    } else if (st.code() == ErrorCode::kStorage) {
      return st;
    }
  }
  return Status::Ok();
}

Status Replica::ApplyPull(const PullResponse& pull, std::string_view now) {
  Transaction tx(*db_);
  CASESYNC_RETURN_IF_ERROR(tx.begin_status());
  for (const PatchOp& op : pull.patch) {
    CASESYNC_RETURN_IF_ERROR(ApplyPatchOp(op));
  }
  for (const Rejection& r : pull.rejections) {
    CASESYNC_RETURN_IF_ERROR(RecordRejection(r, now));
  }
  CASESYNC_ASSIGN_OR_RETURN(int64_t confirmed,
                            ReadMetaInt(kMetaLastMutationId, 0));
  if (pull.last_mutation_id > confirmed) {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                              db_->Prepare("DELETE FROM outbox WHERE id <= ?"));
    s->Bind(1, pull.last_mutation_id);
    CASESYNC_RETURN_IF_ERROR(s->Run());
    CASESYNC_RETURN_IF_ERROR(
        WriteMeta(kMetaLastMutationId, std::to_string(pull.last_mutation_id)));
  }
  CASESYNC_RETURN_IF_ERROR(WriteMeta(kMetaCursor, pull.cursor));
  CASESYNC_RETURN_IF_ERROR(WriteMeta(kMetaLastSyncAt, now));
  CASESYNC_RETURN_IF_ERROR(Rebase());
  return tx.Commit();
}

// ---- reads ----

CaseKey CaseKeyOf(const Case& c, CaseQuery::Order order) {
  switch (order) {
    case CaseQuery::Order::kUpdatedDesc:
    case CaseQuery::Order::kUpdatedAsc:
      return {c.updated_at, "", c.id};
    case CaseQuery::Order::kCreatedDesc:
      return {c.created_at, "", c.id};
    case CaseQuery::Order::kNumberDesc:
      break;
  }
  return {c.number, c.created_at, c.id};
}

Result<std::vector<CaseListItem>> Replica::ListCases(const CaseQuery& q) {
  std::string sql = std::string("SELECT ") + kCaseColumns +
                    ", pending FROM view_cases WHERE 1";
  if (q.state) sql += " AND state=?1";
  if (!q.product_id.empty()) sql += " AND product_id=?2";
  if (!q.search.empty()) {
    sql +=
        " AND (number LIKE ?3 ESCAPE '\\' OR subject LIKE ?3 ESCAPE '\\' OR "
        "description LIKE ?3 ESCAPE '\\')";
  }
  if (q.after) sql += KeysetCondition(q.order, *q.after);
  switch (q.order) {
    case CaseQuery::Order::kUpdatedDesc:
      sql += " ORDER BY updated_at DESC, id";
      break;
    case CaseQuery::Order::kUpdatedAsc:
      sql += " ORDER BY updated_at ASC, id";
      break;
    case CaseQuery::Order::kNumberDesc:
      // id last: the order must be total for keyset pages to be exact.
      sql += " ORDER BY number = '' DESC, number DESC, created_at DESC, id";
      break;
    case CaseQuery::Order::kCreatedDesc:
      sql += " ORDER BY created_at DESC, id";
      break;
  }
  sql += " LIMIT ?4 OFFSET ?5";
  CASESYNC_ASSIGN_OR_RETURN(Statement * s, db_->Prepare(sql));
  StatementScope scope(*s);
  if (q.state) s->Bind(1, CaseStateName(*q.state));
  if (!q.product_id.empty()) s->Bind(2, q.product_id);
  if (!q.search.empty()) s->Bind(3, LikePattern(q.search));
  s->Bind(4, static_cast<int64_t>(q.limit)).Bind(5, q.offset);
  if (q.after) {
    s->Bind(6, q.after->value)
        .Bind(7, q.after->created_at)
        .Bind(8, q.after->id);
  }
  std::vector<CaseListItem> out;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    CaseListItem item{ReadCase(*s), s->ColumnInt(19) != 0};
    item.pending = item.pending || item.c.number.empty();
    out.push_back(std::move(item));
  }
  return out;
}

Result<std::vector<StateCount>> Replica::CountByState() {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT state, count(*) FROM view_cases GROUP BY state"));
  StatementScope scope(*s);
  std::vector<StateCount> out;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    auto state = CaseStateFromName(s->ColumnTextView(0));
    if (state) out.push_back({*state, s->ColumnInt(1)});
  }
  return out;
}

Result<std::optional<CaseListItem>> Replica::GetCase(std::string_view id) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s, db_->Prepare(std::string("SELECT ") + kCaseColumns +
                                  ", pending FROM view_cases WHERE id=?"));
  StatementScope scope(*s);
  s->Bind(1, id);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<CaseListItem>();
  CaseListItem item{ReadCase(*s), s->ColumnInt(19) != 0};
  item.pending = item.pending || item.c.number.empty();
  return std::optional<CaseListItem>(std::move(item));
}

Result<std::vector<Comment>> Replica::ListComments(std::string_view case_id) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s, db_->Prepare(std::string("SELECT ") + kCommentColumns +
                                  " FROM view_comments WHERE case_id=? "
                                  "ORDER BY created_at, id"));
  StatementScope scope(*s);
  s->Bind(1, case_id);
  std::vector<Comment> out;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadComment(*s));
  }
  return out;
}

Result<std::vector<CatalogItem>> Replica::ListCatalog() {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT id, kind, parent_id, name, sort, active FROM "
                   "catalog ORDER BY kind, parent_id, sort, name"));
  StatementScope scope(*s);
  std::vector<CatalogItem> out;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    auto kind = CatalogKindFromName(s->ColumnTextView(1));
    if (!kind) continue;
    out.push_back(
        CatalogItem{*kind, s->ColumnText(0), s->ColumnText(2), s->ColumnText(3),
                    static_cast<int>(s->ColumnInt(4)), s->ColumnInt(5) != 0});
  }
  return out;
}

const CatalogLookup& Replica::catalog() const { return *view_; }

Result<std::optional<User>> Replica::FindUser(std::string_view id) {
  return view_->GetUser(id);
}

Result<std::optional<Account>> Replica::FindAccount(std::string_view id) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(
          "SELECT id, name, tax_id, domains FROM accounts WHERE id=?"));
  StatementScope scope(*s);
  s->Bind(1, id);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<Account>();
  Account a{s->ColumnText(0), s->ColumnText(1), s->ColumnText(2), {}};
  auto domains = ParseJson(s->ColumnTextView(3));
  if (domains.ok() && domains->is_array()) {
    for (const Json& d : *domains) {
      if (d.is_string()) a.domains.push_back(d.get<std::string>());
    }
  }
  return std::optional<Account>(std::move(a));
}

Result<SyncState> Replica::GetSyncState() {
  SyncState st;
  CASESYNC_ASSIGN_OR_RETURN(auto client_id, ReadMeta(kMetaClientId));
  st.client_id = client_id.value_or("");
  CASESYNC_ASSIGN_OR_RETURN(st.cursor, ReadMeta(kMetaCursor));
  CASESYNC_ASSIGN_OR_RETURN(st.last_mutation_id,
                            ReadMetaInt(kMetaLastMutationId, 0));
  CASESYNC_ASSIGN_OR_RETURN(st.next_mutation_id,
                            ReadMetaInt(kMetaNextMutationId, 1));
  CASESYNC_ASSIGN_OR_RETURN(auto last_sync, ReadMeta(kMetaLastSyncAt));
  st.last_sync_at = last_sync.value_or("");
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT (SELECT count(*) FROM outbox), (SELECT count(*) "
                   "FROM rejections WHERE dismissed=0)"));
  StatementScope scope(*s);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (row) {
    st.pending = s->ColumnInt(0);
    st.open_rejections = s->ColumnInt(1);
  }
  return st;
}

// ---- drafts and rejections ----

Status Replica::SaveDraft(const Draft& d) {
  if (d.key.empty()) {
    return Status(ErrorCode::kInvalidRequest, "a draft needs a key");
  }
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("INSERT OR REPLACE INTO drafts(key, kind, value, "
                   "updated_at) VALUES(?, ?, ?, ?)"));
  s->Bind(1, d.key)
      .Bind(2, d.kind)
      .Bind(3, DumpJson(d.value))
      .Bind(4, d.updated_at);
  return s->Run();
}

namespace {
Result<Draft> ReadDraft(const Statement& s) {
  Draft d;
  d.key = s.ColumnText(0);
  d.kind = s.ColumnText(1);
  CASESYNC_ASSIGN_OR_RETURN(d.value, ParseJson(s.ColumnTextView(2)));
  d.updated_at = s.ColumnText(3);
  return d;
}
}  // namespace

Result<std::optional<Draft>> Replica::LoadDraft(std::string_view key) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT key, kind, value, updated_at FROM drafts "
                   "WHERE key=?"));
  StatementScope scope(*s);
  s->Bind(1, key);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<Draft>();
  CASESYNC_ASSIGN_OR_RETURN(Draft d, ReadDraft(*s));
  return std::optional<Draft>(std::move(d));
}

Result<std::vector<Draft>> Replica::ListDrafts() {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT key, kind, value, updated_at FROM drafts "
                   "ORDER BY updated_at DESC, key"));
  StatementScope scope(*s);
  std::vector<Draft> out;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    CASESYNC_ASSIGN_OR_RETURN(Draft d, ReadDraft(*s));
    out.push_back(std::move(d));
  }
  return out;
}

Status Replica::DeleteDraft(std::string_view key) {
  CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                            db_->Prepare("DELETE FROM drafts WHERE key=?"));
  s->Bind(1, key);
  return s->Run();
}

Result<std::vector<RejectionRecord>> Replica::ListRejections() {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT mutation_id, code, message, name, args, "
                   "client_time, draft_key, received_at FROM rejections "
                   "WHERE dismissed=0 ORDER BY mutation_id DESC"));
  StatementScope scope(*s);
  std::vector<RejectionRecord> out;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    RejectionRecord r;
    r.mutation_id = s->ColumnInt(0);
    r.code =
        ErrorCodeFromName(s->ColumnTextView(1)).value_or(ErrorCode::kInternal);
    r.message = s->ColumnText(2);
    r.mutation.id = r.mutation_id;
    r.mutation.name = s->ColumnText(3);
    CASESYNC_ASSIGN_OR_RETURN(r.mutation.args, ParseJson(s->ColumnTextView(4)));
    r.mutation.client_time = s->ColumnText(5);
    r.draft_key = s->ColumnText(6);
    r.received_at = s->ColumnText(7);
    out.push_back(std::move(r));
  }
  return out;
}

Status Replica::DismissRejection(int64_t mutation_id) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("UPDATE rejections SET dismissed=1 WHERE mutation_id=?"));
  s->Bind(1, mutation_id);
  return s->Run();
}

}  // namespace casesync
