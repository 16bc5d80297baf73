// The SQLite implementation of Store (store.h): one write connection behind
// a mutex, a pool of read connections (WAL readers run in parallel), prepared
// statements cached per connection. Schema: kMigrations below and
// docs/server.md.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "casesync/case_rows.h"
#include "casesync/catalog.h"
#include "casesync/sqlite.h"
#include "json_writer.h"
#include "sqlite3.h"
#include "store.h"

namespace casesync::server {
namespace {

// Numbered migrations (PRAGMA user_version). Never edit one that shipped:
// append a new one.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL)
  WITHOUT ROWID;
INSERT INTO counters(name, value) VALUES('change_seq', 0), ('case_number', 0);

CREATE TABLE accounts(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  tax_id TEXT NOT NULL DEFAULT '',
  pending INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL);
CREATE UNIQUE INDEX accounts_by_name ON accounts(name COLLATE NOCASE);
CREATE INDEX accounts_by_seq ON accounts(seq);
CREATE TABLE account_domains(
  domain TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id)) WITHOUT ROWID;
CREATE INDEX account_domains_by_account ON account_domains(account_id);

CREATE TABLE users(
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  status TEXT NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  must_change_password INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL);
CREATE INDEX users_by_seq ON users(seq);
CREATE INDEX users_by_account ON users(account_id, seq);

CREATE TABLE sessions(
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  remember INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE login_attempts(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  ok INTEGER NOT NULL);
CREATE INDEX login_attempts_by_key ON login_attempts(key, at_ms);
CREATE INDEX login_attempts_by_time ON login_attempts(at_ms);

CREATE TABLE reset_tokens(
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER) WITHOUT ROWID;

CREATE TABLE notifications(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  case_id TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  sent_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX notifications_unsent ON notifications(sent_at, id);

CREATE TABLE catalog(
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  parent_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  sort INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  seq INTEGER NOT NULL);
CREATE INDEX catalog_by_seq ON catalog(seq);

CREATE TABLE cases(
  id TEXT PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  issue_type_id TEXT NOT NULL,
  contact_hours TEXT NOT NULL,
  contact_phone TEXT NOT NULL,
  subject TEXT NOT NULL,
  description TEXT NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL,
  channel TEXT NOT NULL,
  parent_id TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolution_code TEXT NOT NULL DEFAULT '',
  resolution_notes TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL);
CREATE INDEX cases_by_seq ON cases(seq);
CREATE INDEX cases_by_account ON cases(account_id, seq);
CREATE INDEX cases_by_contact ON cases(contact_id, seq);

-- case_account_id / case_contact_id copy the case's scope so that a pull
-- filters comments without a join; PutCase keeps them in step.
CREATE TABLE comments(
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id),
  author_id TEXT NOT NULL,
  body TEXT NOT NULL,
  visibility TEXT NOT NULL,
  created_at TEXT NOT NULL,
  case_account_id TEXT NOT NULL,
  case_contact_id TEXT NOT NULL,
  seq INTEGER NOT NULL);
CREATE INDEX comments_by_seq ON comments(seq);
CREATE INDEX comments_by_case ON comments(case_id);
CREATE INDEX comments_by_account ON comments(case_account_id, seq);
CREATE INDEX comments_by_contact ON comments(case_contact_id, seq);

-- A row left the scope (account, contact, public) it had: readers of that
-- scope get a del op.
CREATE TABLE tombstones(
  seq INTEGER PRIMARY KEY,
  tbl TEXT NOT NULL,
  row_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  contact_id TEXT NOT NULL);

CREATE TABLE clients(
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  last_mutation_id INTEGER NOT NULL DEFAULT 0,
  last_push_seq INTEGER NOT NULL DEFAULT 0,
  prev_mutation_id INTEGER NOT NULL DEFAULT 0,
  prev_push_seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;

CREATE TABLE rejections(
  client_id TEXT NOT NULL,
  mutation_id INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  mutation TEXT NOT NULL,
  seq INTEGER NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(client_id, mutation_id)) WITHOUT ROWID;
)sql"},
    // The mail part (server/src/mail/, docs/mail.md): outbound Message-IDs
    // (threading), retry with backoff, bounces; received messages by
    // Message-ID (idempotent intake); resolved cases by age (auto-close).
    {2, R"sql(
ALTER TABLE notifications ADD COLUMN message_id TEXT;
ALTER TABLE notifications ADD COLUMN in_reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN next_attempt_ms INTEGER NOT NULL
  DEFAULT 0;
ALTER TABLE notifications ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX notifications_by_message_id ON notifications(message_id)
  WHERE message_id IS NOT NULL;
CREATE INDEX notifications_by_case ON notifications(case_id, kind);
CREATE TABLE mail_inbound(
  message_id TEXT PRIMARY KEY,
  from_addr TEXT NOT NULL,
  outcome TEXT NOT NULL,
  case_id TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX cases_by_state ON cases(state, updated_at);
)sql"},
    // cases_by_state served one query, the auto-close pass's list of
    // resolved cases by age (ListCasesInState), yet every case insert and
    // every state change wrote it. A partial index holds the resolved cases
    // only: creating a case (state new) no longer touches it.
    {3, R"sql(
DROP INDEX cases_by_state;
CREATE INDEX cases_resolved_by_updated ON cases(updated_at)
  WHERE state='resolved';
)sql"},
    // The case number's digits become the table's key (n, the rowid), so
    // `number` needs no unique index of its own: every case insert wrote
    // one b-tree less (~3,400 instructions and ~3 WAL pages of a push of
    // 100). `id` stays unique (the clients' key; comments reference it).
    // Migrate() runs this with foreign keys off and checks them after. (A
    // row without a number, which only tests write, is keyed by -seq.)
    {4, R"sql(
CREATE TABLE cases_v4(
  n INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  number TEXT NOT NULL,
  account_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  issue_type_id TEXT NOT NULL,
  contact_hours TEXT NOT NULL,
  contact_phone TEXT NOT NULL,
  subject TEXT NOT NULL,
  description TEXT NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL,
  channel TEXT NOT NULL,
  parent_id TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolution_code TEXT NOT NULL DEFAULT '',
  resolution_notes TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL);
INSERT INTO cases_v4(n, id, number, account_id, contact_id, service_id,
  product_id, issue_type_id, contact_hours, contact_phone, subject,
  description, priority, state, channel, parent_id, created_at, updated_at,
  resolution_code, resolution_notes, seq)
  SELECT CASE WHEN number GLOB 'CS[0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
    THEN CAST(substr(number, 3) AS INTEGER) ELSE -seq END, id, number,
    account_id,
    contact_id, service_id, product_id, issue_type_id, contact_hours,
    contact_phone, subject, description, priority, state, channel, parent_id,
    created_at, updated_at, resolution_code, resolution_notes, seq
  FROM cases ORDER BY seq;
DROP TABLE cases;
ALTER TABLE cases_v4 RENAME TO cases;
CREATE INDEX cases_by_seq ON cases(seq);
CREATE INDEX cases_by_account ON cases(account_id, seq);
CREATE INDEX cases_by_contact ON cases(contact_id, seq);
CREATE INDEX cases_resolved_by_updated ON cases(updated_at)
  WHERE state='resolved';
)sql"},
};

// A case row, ?1..?21 as SqliteWriteTx::BindCaseRow binds them; PutCase
// and InsertCase add their conflict clauses.
constexpr const char* kInsertCaseSql =
    "INSERT INTO cases(id, number, account_id, contact_id, service_id, "
    "product_id, issue_type_id, contact_hours, contact_phone, subject, "
    "description, priority, state, channel, parent_id, created_at, "
    "updated_at, resolution_code, resolution_notes, seq, n) VALUES(?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21) ";

constexpr const char* kUserColumns =
    "id, account_id, email, name, phone, role, status, password_hash, "
    "must_change_password";
constexpr const char* kSessionColumns =
    "s.id, s.token_hash, s.user_id, s.created_ms, s.expires_ms, s.remember, "
    "s.revoked";

// Columns of a case row straight into its wire JSON text (the pull's hot
// loop: no Case, no nlohmann object). Keys in sorted order, as DumpJson
// writes CaseToJson.
void AppendCaseRow(std::string& out, const Statement& s) {
  JsonObjectWriter(out)
      .String("accountId", s.ColumnTextView(2))
      .String("channel", s.ColumnTextView(13))
      .String("contactHours", s.ColumnTextView(7))
      .String("contactId", s.ColumnTextView(3))
      .String("contactPhone", s.ColumnTextView(8))
      .String("createdAt", s.ColumnTextView(15))
      .String("description", s.ColumnTextView(10))
      .String("id", s.ColumnTextView(0))
      .String("issueTypeId", s.ColumnTextView(6))
      .String("number", s.ColumnTextView(1))
      .StringOrNull("parentId", s.ColumnTextView(14))
      .Int("priority", s.ColumnInt(11))
      .String("productId", s.ColumnTextView(5))
      .String("resolutionCode", s.ColumnTextView(17))
      .String("resolutionNotes", s.ColumnTextView(18))
      .String("serviceId", s.ColumnTextView(4))
      .String("state", s.ColumnTextView(12))
      .String("subject", s.ColumnTextView(9))
      .String("updatedAt", s.ColumnTextView(16))
      .End();
}

void AppendCommentRow(std::string& out, const Statement& s) {
  JsonObjectWriter(out)
      .String("authorId", s.ColumnTextView(2))
      .String("body", s.ColumnTextView(3))
      .String("caseId", s.ColumnTextView(1))
      .String("createdAt", s.ColumnTextView(5))
      .String("id", s.ColumnTextView(0))
      .String("visibility", s.ColumnTextView(4))
      .End();
}

UserRecord ReadUser(const Statement& s, int first = 0) {
  UserRecord r;
  r.user.id = s.ColumnText(first + 0);
  r.user.account_id = s.ColumnText(first + 1);
  r.user.email = s.ColumnText(first + 2);
  r.user.name = s.ColumnText(first + 3);
  r.user.phone = s.ColumnText(first + 4);
  r.user.role =
      RoleFromName(s.ColumnTextView(first + 5)).value_or(Role::kCustomer);
  r.user.status = UserStatusFromName(s.ColumnTextView(first + 6))
                      .value_or(UserStatus::kDisabled);
  r.password_hash = s.ColumnText(first + 7);
  r.must_change_password = s.ColumnInt(first + 8) != 0;
  return r;
}

ClientRecord ReadClient(const Statement& s) {
  ClientRecord c;
  c.id = s.ColumnText(0);
  c.user_id = s.ColumnText(1);
  c.last_mutation_id = s.ColumnInt(2);
  c.last_push_seq = s.ColumnInt(3);
  c.prev_mutation_id = s.ColumnInt(4);
  c.prev_push_seq = s.ColumnInt(5);
  return c;
}

constexpr const char* kClientSql =
    "SELECT id, user_id, last_mutation_id, last_push_seq, prev_mutation_id, "
    "prev_push_seq FROM clients WHERE id=?";

bool IsUniqueViolation(const Status& st) {
  return st.message().find("UNIQUE constraint failed") != std::string::npos;
}

// Shared reads, usable on the writer (inside a transaction) and on readers.
Result<std::optional<UserRecord>> QueryUser(Database& db, const char* where,
                                            std::string_view value) {
  CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                            db.Prepare(std::string("SELECT ") + kUserColumns +
                                       " FROM users WHERE " + where + "=?"));
  StatementScope scope(*s);
  s->Bind(1, value);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<UserRecord>();
  return std::optional<UserRecord>(ReadUser(*s));
}

Result<std::optional<ClientRecord>> QueryClient(Database& db,
                                                std::string_view id) {
  CASESYNC_ASSIGN_OR_RETURN(Statement * s, db.Prepare(kClientSql));
  StatementScope scope(*s);
  s->Bind(1, id);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<ClientRecord>();
  return std::optional<ClientRecord>(ReadClient(*s));
}

Result<std::optional<std::string>> QueryMeta(Database& db,
                                             std::string_view key) {
  CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                            db.Prepare("SELECT value FROM meta WHERE key=?"));
  StatementScope scope(*s);
  s->Bind(1, key);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s->ColumnText(0));
}

Result<int64_t> QueryCounter(Database& db, const char* name) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s, db.Prepare("SELECT value FROM counters WHERE name=?"));
  StatementScope scope(*s);
  s->Bind(1, name);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status(ErrorCode::kStorage, "missing counter");
  return s->ColumnInt(0);
}

Result<std::optional<AccountRecord>> QueryAccount(Database& db,
                                                  const char* where,
                                                  std::string_view value) {
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * s,
      db.Prepare(std::string("SELECT id, name, tax_id, pending FROM accounts "
                             "WHERE ") +
                 where));
  AccountRecord a;
  {
    StatementScope scope(*s);
    s->Bind(1, value);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<AccountRecord>();
    a.account.id = s->ColumnText(0);
    a.account.name = s->ColumnText(1);
    a.account.tax_id = s->ColumnText(2);
    a.pending = s->ColumnInt(3) != 0;
  }
  CASESYNC_ASSIGN_OR_RETURN(
      Statement * d,
      db.Prepare("SELECT domain FROM account_domains WHERE account_id=? "
                 "ORDER BY domain"));
  StatementScope scope(*d);
  d->Bind(1, a.account.id);
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, d->Step());
    if (!row) break;
    a.account.domains.push_back(d->ColumnText(0));
  }
  return std::optional<AccountRecord>(std::move(a));
}

// ---- visibility filters of the pull (DESIGN §3, docs/server.md) ----
// Parameters: ?1 after_seq, ?2 limit or cutoff, ?3 the reader's user id,
// ?4 the reader's account id.

enum class Source { kAccounts, kUsers, kCatalog, kCases, kComments, kTombs };
constexpr Source kSources[] = {Source::kTombs, Source::kAccounts,
                               Source::kUsers, Source::kCatalog,
                               Source::kCases, Source::kComments};

const char* SourceTable(Source src) {
  switch (src) {
    case Source::kAccounts:
      return "accounts";
    case Source::kUsers:
      return "users";
    case Source::kCatalog:
      return "catalog";
    case Source::kCases:
      return "cases";
    case Source::kComments:
      return "comments";
    case Source::kTombs:
      return "tombstones";
  }
  return "";
}

// The WHERE clause limiting `src` to what `role` may see.
const char* SourceFilter(Source src, Role role) {
  bool staff = IsStaff(role);
  bool admin = role == Role::kCustomerAdmin;
  switch (src) {
    case Source::kAccounts:
      return staff ? "1" : "id=?4";
    case Source::kUsers:
      if (staff) return "1";
      return admin ? "(account_id=?4 OR role IN ('agent','admin'))"
                   : "(id=?3 OR role IN ('agent','admin') OR "
                     "(account_id=?4 AND role='customer_admin'))";
    case Source::kCatalog:
      return "1";
    case Source::kCases:
      if (staff) return "1";
      return admin ? "account_id=?4" : "contact_id=?3";
    case Source::kComments:
      if (staff) return "1";
      return admin ? "case_account_id=?4 AND visibility='public'"
                   : "case_contact_id=?3 AND visibility='public'";
    case Source::kTombs:
      // Staff see every row, so nothing ever leaves their scope.
      if (staff) return "0";
      return admin ? "account_id=?4" : "contact_id=?3";
  }
  return "0";
}

const char* SourceColumns(Source src) {
  switch (src) {
    case Source::kAccounts:
      return "id, name, tax_id, (SELECT json_group_array(domain) FROM "
             "(SELECT domain FROM account_domains d WHERE d.account_id="
             "accounts.id ORDER BY domain))";
    case Source::kUsers:
      return "id, account_id, email, name, phone, role, status";
    case Source::kCatalog:
      return "id, kind, parent_id, name, sort, active";
    case Source::kCases:
      return kCaseColumns;
    case Source::kComments:
      return kCommentColumns;
    case Source::kTombs:
      return "tbl, row_id";
  }
  return "";
}

void BindReader(Statement& s, const std::string& sql, const Actor& reader) {
  if (sql.find("?3") != std::string::npos) s.Bind(3, reader.user_id);
  if (sql.find("?4") != std::string::npos) s.Bind(4, reader.account_id);
}

class SqliteStore;

// ---- the write transaction ----

class SqliteWriteTx : public WriteTx, private MutationStore {
 public:
  SqliteWriteTx(std::unique_lock<std::mutex> lock, Database& db,
                SqliteStore& store, std::shared_ptr<const CatalogIndex> catalog)
      : lock_(std::move(lock)),
        db_(db),
        store_(store),
        catalog_(std::move(catalog)),
        tx_(db) {}

  Status Begin() {
    CASESYNC_RETURN_IF_ERROR(tx_.begin_status());
    CASESYNC_ASSIGN_OR_RETURN(seq_, QueryCounter(db_, "change_seq"));
    CASESYNC_ASSIGN_OR_RETURN(case_number_, QueryCounter(db_, "case_number"));
    start_seq_ = seq_;
    start_case_number_ = case_number_;
    changes_.head = seq_;
    return Status::Ok();
  }

  MutationStore& mutations() override { return *this; }

  // One savepoint name for every level: SQLite's RELEASE and ROLLBACK TO
  // act on the innermost savepoint of that name, so nesting stays correct,
  // and the three statements are prepared once per connection (a push runs
  // one savepoint per mutation; sqlite3_exec with unique names parsed the
  // SQL every time).
  Status InSavepoint(const std::function<Status()>& body) override {
    int64_t seq = seq_;
    int64_t number = case_number_;
    CASESYNC_RETURN_IF_ERROR(RunCached("SAVEPOINT mutation"));
    Status st = body();
    if (st.ok()) st = RunCached("RELEASE mutation");
    if (!st.ok()) {
      (void)RunCached("ROLLBACK TO mutation");
      (void)RunCached("RELEASE mutation");
      seq_ = seq;
      case_number_ = number;
      changes_.head = seq;
      known_case_.reset();  // may describe a row that was rolled back
    }
    return st;
  }

  Status WithoutSavepoint(const std::function<Status()>& body,
                          bool* partial) override {
    int64_t seq = seq_;
    int64_t number = case_number_;
    sqlite3_int64 changes = sqlite3_total_changes64(db_.raw());
    Status st = body();
    *partial = false;
    if (st.ok()) return st;
    if (sqlite3_total_changes64(db_.raw()) != changes) {
      // A row was written before the failure: only a rollback of the whole
      // transaction undoes it.
      *partial = true;
      poisoned_ = true;
      return st;
    }
    seq_ = seq;
    case_number_ = number;
    changes_.head = seq;
    return st;
  }

  // ---- MutationStore ----
  const CatalogItem* FindCatalogItem(std::string_view id) const override {
    return catalog_->FindCatalogItem(id);
  }

  Result<std::optional<Case>> GetCase(std::string_view id) override {
    if (known_case_ && known_case_->id == id) return known_case_->row;
    // Built once: every createCase asks (is the id free?), and the cache
    // lookup needs only the text.
    static const std::string kSql =
        std::string("SELECT ") + kCaseColumns + " FROM cases WHERE id=?";
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, Prepared(get_case_, kSql));
    StatementScope scope(*s);
    s->Bind(1, id);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    known_case_ = KnownCase{std::string(id), std::nullopt};
    if (row) known_case_->row = ReadCase(*s);
    return known_case_->row;
  }

  Result<bool> CommentExists(std::string_view id) override {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                              db_.Prepare("SELECT 1 FROM comments WHERE id=?"));
    StatementScope scope(*s);
    s->Bind(1, id);
    return s->Step();
  }

  Result<std::optional<User>> GetUser(std::string_view id) override {
    CASESYNC_ASSIGN_OR_RETURN(auto r, QueryUser(db_, "id", id));
    if (!r) return std::optional<User>();
    return std::optional<User>(std::move(r->user));
  }

  Status PutCase(const Case& c) override {
    // Scope before the write: a case that leaves a scope leaves tombstones.
    CASESYNC_ASSIGN_OR_RETURN(auto old_scope, CaseScope(c.id));
    bool rescoped = old_scope && (old_scope->first != c.account_id ||
                                  old_scope->second != c.contact_id);
    if (rescoped) {
      CASESYNC_RETURN_IF_ERROR(
          AddTombstone("cases", c.id, old_scope->first, old_scope->second));
    }
    static const std::string kSql =
        std::string(kInsertCaseSql) +
        "ON CONFLICT(id) DO UPDATE SET number=?2, account_id=?3, "
        "contact_id=?4, service_id=?5, product_id=?6, issue_type_id=?7, "
        "contact_hours=?8, contact_phone=?9, subject=?10, "
        "description=?11, priority=?12, state=?13, channel=?14, "
        "parent_id=?15, created_at=?16, updated_at=?17, "
        "resolution_code=?18, resolution_notes=?19, seq=?20";
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, Prepared(put_case_, kSql));
    BindCaseRow(*s, c);
    CASESYNC_RETURN_IF_ERROR(s->Run());
    RememberCase(c);
    TouchCase(c.account_id, c.contact_id, /*internal=*/false);
    if (rescoped) {
      CASESYNC_RETURN_IF_ERROR(RescopeComments(c, *old_scope));
    }
    return Status::Ok();
  }

  // createCase's insert: the id's unique index is the check that it is
  // free (no lookup before, no old scope to leave). A taken id writes
  // nothing; the caller's savepoint logic then hands back the seq and the
  // number this call took.
  Status InsertCase(Case&& c) override {
    static const std::string kSql =
        std::string(kInsertCaseSql) + "ON CONFLICT(id) DO NOTHING";
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, Prepared(insert_case_, kSql));
    BindCaseRow(*s, c);
    CASESYNC_RETURN_IF_ERROR(s->Run());
    if (sqlite3_changes64(db_.raw()) == 0) return CaseIdTaken(c.id);
    TouchCase(c.account_id, c.contact_id, /*internal=*/false);
    RememberCase(std::move(c));
    return Status::Ok();
  }

  Status PutComment(const Comment& c) override {
    CASESYNC_ASSIGN_OR_RETURN(auto case_scope, CaseScope(c.case_id));
    if (!case_scope) return Status(ErrorCode::kNotFound, "no such case");
    const std::string& account_id = case_scope->first;
    const std::string& contact_id = case_scope->second;
    bool was_public = false;
    {
      CASESYNC_ASSIGN_OR_RETURN(
          Statement * s,
          db_.Prepare("SELECT visibility FROM comments WHERE id=?"));
      StatementScope scope(*s);
      s->Bind(1, c.id);
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      was_public = row && s->ColumnTextView(0) == "public";
    }
    if (was_public && c.visibility == Visibility::kInternal) {
      CASESYNC_RETURN_IF_ERROR(
          AddTombstone("comments", c.id, account_id, contact_id));
    }
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO comments(id, case_id, author_id, body, "
                    "visibility, created_at, case_account_id, "
                    "case_contact_id, seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                    "?8, ?9) ON CONFLICT(id) DO UPDATE SET case_id=?2, "
                    "author_id=?3, body=?4, visibility=?5, created_at=?6, "
                    "case_account_id=?7, case_contact_id=?8, seq=?9"));
    s->Bind(1, c.id)
        .Bind(2, c.case_id)
        .Bind(3, c.author_id)
        .Bind(4, c.body)
        .Bind(5, VisibilityName(c.visibility))
        .Bind(6, c.created_at)
        .Bind(7, account_id)
        .Bind(8, contact_id)
        .Bind(9, NextSeq());
    CASESYNC_RETURN_IF_ERROR(s->Run());
    TouchCase(account_id, contact_id, c.visibility == Visibility::kInternal);
    return Status::Ok();
  }

  Result<std::string> NextCaseNumber() override {
    std::string number = FormatCaseNumber(case_number_ + 1);
    if (number.empty()) {
      return Status(ErrorCode::kStorage, "case numbers exhausted");
    }
    ++case_number_;
    return number;
  }

  // ---- WriteTx ----
  Result<std::optional<ClientRecord>> GetClient(std::string_view id) override {
    return QueryClient(db_, id);
  }

  Status PutClient(const ClientRecord& c) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT OR REPLACE INTO clients(id, user_id, "
                    "last_mutation_id, last_push_seq, prev_mutation_id, "
                    "prev_push_seq) VALUES(?, ?, ?, ?, ?, ?)"));
    s->Bind(1, c.id)
        .Bind(2, c.user_id)
        .Bind(3, c.last_mutation_id)
        .Bind(4, c.last_push_seq)
        .Bind(5, c.prev_mutation_id)
        .Bind(6, c.prev_push_seq);
    return s->Run();
  }

  Status AddRejection(std::string_view client_id, std::string_view user_id,
                      const Rejection& r) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT OR REPLACE INTO rejections(client_id, "
                    "mutation_id, user_id, code, message, mutation, seq) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, client_id)
        .Bind(2, r.mutation_id)
        .Bind(3, user_id)
        .Bind(4, ErrorCodeName(r.code))
        .Bind(5, r.message)
        .Bind(6, DumpJson(MutationToJson(r.mutation)))
        .Bind(7, NextSeq());
    CASESYNC_RETURN_IF_ERROR(s->Run());
    changes_.users.insert(std::string(user_id));
    return Status::Ok();
  }

  Status MarkRejectionsDelivered(std::string_view client_id,
                                 int64_t seq) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("UPDATE rejections SET delivered=1 WHERE client_id=? AND "
                    "seq<=? AND delivered=0"));
    s->Bind(1, client_id).Bind(2, seq);
    return s->Run();
  }

  Status PutAccount(const AccountRecord& a) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO accounts(id, name, tax_id, pending, seq) "
                    "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET "
                    "name=?2, tax_id=?3, pending=?4, seq=?5"));
    s->Bind(1, a.account.id)
        .Bind(2, a.account.name)
        .Bind(3, a.account.tax_id)
        .Bind(4, a.pending ? 1 : 0)
        .Bind(5, NextSeq());
    Status st = s->Run();
    if (!st.ok()) return Unique(st, "account name already used");
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * del,
        db_.Prepare("DELETE FROM account_domains WHERE account_id=?"));
    del->Bind(1, a.account.id);
    CASESYNC_RETURN_IF_ERROR(del->Run());
    for (const std::string& domain : a.account.domains) {
      CASESYNC_ASSIGN_OR_RETURN(
          Statement * ins,
          db_.Prepare("INSERT INTO account_domains(domain, account_id) "
                      "VALUES(?, ?)"));
      ins->Bind(1, domain).Bind(2, a.account.id);
      st = ins->Run();
      if (!st.ok()) return Unique(st, "domain already trusted: " + domain);
    }
    changes_.everyone = true;
    return Status::Ok();
  }

  Status PutUser(const UserRecord& u) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO users(id, account_id, email, name, phone, "
                    "role, status, password_hash, must_change_password, seq) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                    "ON CONFLICT(id) DO UPDATE SET account_id=?2, email=?3, "
                    "name=?4, phone=?5, role=?6, status=?7, password_hash=?8, "
                    "must_change_password=?9, seq=?10"));
    s->Bind(1, u.user.id)
        .Bind(2, u.user.account_id)
        .Bind(3, u.user.email)
        .Bind(4, u.user.name)
        .Bind(5, u.user.phone)
        .Bind(6, RoleName(u.user.role))
        .Bind(7, UserStatusName(u.user.status))
        .Bind(8, u.password_hash)
        .Bind(9, u.must_change_password ? 1 : 0)
        .Bind(10, NextSeq());
    Status st = s->Run();
    if (!st.ok()) return Unique(st, "e-mail already registered");
    changes_.everyone = true;
    auth_changed_ = true;  // role, status or account may have changed
    return Status::Ok();
  }

  Result<std::optional<UserRecord>> FindUserByEmail(
      std::string_view email) override {
    return QueryUser(db_, "email", email);
  }

  Status SetPassword(std::string_view user_id, std::string_view hash,
                     bool must_change) override {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                              db_.Prepare("UPDATE users SET password_hash=?, "
                                          "must_change_password=? WHERE id=?"));
    s->Bind(1, hash).Bind(2, must_change ? 1 : 0).Bind(3, user_id);
    auth_changed_ = true;
    return s->Run();
  }

  Status PutCatalogItem(const CatalogItem& item) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT OR REPLACE INTO catalog(id, kind, parent_id, "
                    "name, sort, active, seq) VALUES(?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, item.id)
        .Bind(2, CatalogKindName(item.kind))
        .Bind(3, item.parent_id)
        .Bind(4, item.name)
        .Bind(5, item.sort)
        .Bind(6, item.active ? 1 : 0)
        .Bind(7, NextSeq());
    CASESYNC_RETURN_IF_ERROR(s->Run());
    changes_.everyone = true;
    catalog_changed_ = true;
    return Status::Ok();
  }

  Status InsertSession(const SessionRecord& r) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO sessions(id, token_hash, user_id, "
                    "created_ms, expires_ms, remember, revoked) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, r.id)
        .Bind(2, r.token_hash)
        .Bind(3, r.user_id)
        .Bind(4, r.created_ms)
        .Bind(5, r.expires_ms)
        .Bind(6, r.remember ? 1 : 0)
        .Bind(7, r.revoked ? 1 : 0);
    return s->Run();
  }

  Status ExtendSession(std::string_view id, int64_t expires_ms) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s, db_.Prepare("UPDATE sessions SET expires_ms=? WHERE "
                                   "id=? AND revoked=0 AND expires_ms<?"));
    s->Bind(1, expires_ms).Bind(2, id).Bind(3, expires_ms);
    return s->Run();
  }

  Status RevokeSession(std::string_view id) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s, db_.Prepare("UPDATE sessions SET revoked=1 WHERE id=?"));
    s->Bind(1, id);
    auth_changed_ = true;
    return s->Run();
  }

  Status RevokeUserSessions(std::string_view user_id,
                            std::string_view keep_id) override {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                              db_.Prepare("UPDATE sessions SET revoked=1 WHERE "
                                          "user_id=? AND id<>?"));
    s->Bind(1, user_id).Bind(2, keep_id);
    auth_changed_ = true;
    return s->Run();
  }

  Status RecordAttempt(std::string_view key, int64_t at_ms, bool ok) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s, db_.Prepare("INSERT INTO login_attempts(key, at_ms, ok) "
                                   "VALUES(?, ?, ?)"));
    s->Bind(1, key).Bind(2, at_ms).Bind(3, ok ? 1 : 0);
    return s->Run();
  }

  Status ClearFailures(std::string_view key) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("DELETE FROM login_attempts WHERE key=? AND ok=0"));
    s->Bind(1, key);
    return s->Run();
  }

  Status PruneAttempts(int64_t before_ms) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s, db_.Prepare("DELETE FROM login_attempts WHERE at_ms<?"));
    s->Bind(1, before_ms);
    return s->Run();
  }

  Status InsertResetToken(std::string_view token_hash, std::string_view user_id,
                          int64_t created_ms, int64_t expires_ms) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO reset_tokens(token_hash, user_id, "
                    "created_ms, expires_ms) VALUES(?, ?, ?, ?)"));
    s->Bind(1, token_hash)
        .Bind(2, user_id)
        .Bind(3, created_ms)
        .Bind(4, expires_ms);
    return s->Run();
  }

  Result<std::optional<std::string>> ConsumeResetToken(
      std::string_view token_hash, int64_t now_ms) override {
    std::string user_id;
    {
      CASESYNC_ASSIGN_OR_RETURN(
          Statement * s,
          db_.Prepare("SELECT user_id FROM reset_tokens WHERE token_hash=? "
                      "AND used_ms IS NULL AND expires_ms>?"));
      StatementScope scope(*s);
      s->Bind(1, token_hash).Bind(2, now_ms);
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return std::optional<std::string>();
      user_id = s->ColumnText(0);
    }
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("UPDATE reset_tokens SET used_ms=? WHERE token_hash=?"));
    s->Bind(1, now_ms).Bind(2, token_hash);
    CASESYNC_RETURN_IF_ERROR(s->Run());
    return std::optional<std::string>(std::move(user_id));
  }

  Status EnqueueNotification(const Notification& n,
                             std::string_view created_at) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO notifications(kind, to_addr, subject, body, "
                    "case_id, created_at, message_id, in_reply_to) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, n.kind)
        .Bind(2, n.to)
        .Bind(3, n.subject)
        .Bind(4, n.body)
        .Bind(5, n.case_id)
        .Bind(6, created_at)
        .Bind(8, n.in_reply_to);
    if (n.message_id.empty()) {
      s->BindNull(7);
    } else {
      s->Bind(7, n.message_id);
    }
    return s->Run();
  }

  // ---- mail ----
  Status UpdateNotificationDelivery(const NotificationDelivery& d) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("UPDATE notifications SET message_id=?2, attempts=?3, "
                    "next_attempt_ms=?4, last_error=?5, sent_at=?6, "
                    "failed=?7, body=CASE WHEN ?6 IS NULL OR ?8 THEN body "
                    "ELSE '' END WHERE id=?1"));
    s->Bind(1, d.id)
        .Bind(3, static_cast<int64_t>(d.attempts))
        .Bind(4, d.next_attempt_ms)
        .Bind(5, d.last_error)
        .Bind(7, static_cast<int64_t>(d.failed ? 1 : 0))
        .Bind(8, static_cast<int64_t>(d.keep_body ? 1 : 0));
    if (d.message_id.empty()) {
      s->BindNull(2);
    } else {
      s->Bind(2, d.message_id);
    }
    if (d.sent_at.empty()) {
      s->BindNull(6);
    } else {
      s->Bind(6, d.sent_at);
    }
    return s->Run();
  }

  Status MarkNotificationBounced(std::string_view message_id,
                                 std::string_view error) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("UPDATE notifications SET failed=1, last_error=? WHERE "
                    "message_id=?"));
    s->Bind(1, error).Bind(2, message_id);
    return s->Run();
  }

  Result<std::optional<InboundMail>> GetInboundMail(
      std::string_view message_id) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT message_id, from_addr, outcome, case_id, "
                    "received_at FROM mail_inbound WHERE message_id=?"));
    StatementScope scope(*s);
    s->Bind(1, message_id);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<InboundMail>();
    return std::optional<InboundMail>(
        InboundMail{s->ColumnText(0), s->ColumnText(1), s->ColumnText(2),
                    s->ColumnText(3), s->ColumnText(4)});
  }

  Status PutInboundMail(const InboundMail& m) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT OR REPLACE INTO mail_inbound(message_id, "
                    "from_addr, outcome, case_id, received_at) VALUES(?, ?, "
                    "?, ?, ?)"));
    s->Bind(1, m.message_id)
        .Bind(2, m.from)
        .Bind(3, m.outcome)
        .Bind(4, m.case_id)
        .Bind(5, m.received_at);
    return s->Run();
  }

  Result<std::optional<std::string>> FindCaseIdByMessageId(
      std::string_view message_id) override {
    for (const char* sql :
         {"SELECT case_id FROM notifications WHERE message_id=? AND "
          "case_id<>''",
          "SELECT case_id FROM mail_inbound WHERE message_id=? AND "
          "case_id<>''"}) {
      CASESYNC_ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
      StatementScope scope(*s);
      s->Bind(1, message_id);
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) return std::optional<std::string>(s->ColumnText(0));
    }
    return std::optional<std::string>();
  }

  Result<std::optional<Case>> FindCaseByNumber(
      std::string_view number) override {
    // The number's digits are the row's key (migration 4).
    std::optional<int64_t> n = ParseCaseNumber(number);
    if (!n) return std::optional<Case>();
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s, db_.Prepare(std::string("SELECT ") + kCaseColumns +
                                   " FROM cases WHERE n=? AND number=?"));
    StatementScope scope(*s);
    s->Bind(1, *n).Bind(2, number);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Case>();
    return std::optional<Case>(ReadCase(*s));
  }

  Status SetMeta(std::string_view key, std::string_view value) override {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
    s->Bind(1, key).Bind(2, value);
    return s->Run();
  }

  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    return QueryMeta(db_, key);
  }

  const ChangeSet& changes() const override { return changes_; }

  Status Commit() override;

 private:
  // The last case row this transaction read or wrote (row nullopt: there
  // is no such case). A mutation reads its case, writes it, and the e-mail
  // notification reads it again: all but the first come from here instead
  // of a SELECT. Only PutCase and InsertCase write cases, and they update
  // this; a rolled-back savepoint forgets it.
  struct KnownCase {
    std::string id;
    std::optional<Case> row;
  };

  // Makes `row` (a Case, copied or moved) the known case, in place: the
  // strings of the one before are reused or swapped, not made anew for
  // every case a push writes.
  template <typename CaseRow>
  void RememberCase(CaseRow&& row) {
    if (!known_case_) known_case_.emplace();
    known_case_->id.assign(row.id);
    known_case_->row = std::forward<CaseRow>(row);
  }

  // The account and contact of a case (nullopt: no such case) as this
  // transaction sees it.
  using Scope = std::pair<std::string, std::string>;
  Result<std::optional<Scope>> CaseScope(std::string_view case_id) {
    if (known_case_ && known_case_->id == case_id) {
      if (!known_case_->row) return std::optional<Scope>();
      return std::optional<Scope>(
          Scope(known_case_->row->account_id, known_case_->row->contact_id));
    }
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT account_id, contact_id FROM cases WHERE id=?"));
    StatementScope scope(*s);
    s->Bind(1, case_id);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Scope>();
    return std::optional<Scope>(Scope(s->ColumnText(0), s->ColumnText(1)));
  }

  // The statement in `slot`, from the connection's cache on first use. For
  // the statements a push runs once per mutation: Prepare() hashes and
  // compares the whole SQL text at every call.
  Result<Statement*> Prepared(Statement*& slot, std::string_view sql) {
    if (slot == nullptr) {
      CASESYNC_ASSIGN_OR_RETURN(slot, db_.Prepare(sql));
    }
    return slot;
  }

  Status RunCached(const char* sql) {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
    return s->Run();
  }

  int64_t NextSeq() {
    changes_.head = ++seq_;
    return seq_;
  }

  // Every parameter of kInsertCaseSql: the row (BindCase), the next seq,
  // and n, the digits of its number (migration 4). A row without a server
  // number (only tests write one) is keyed by minus its seq, which no
  // number can take.
  void BindCaseRow(Statement& s, const Case& c) {
    BindCase(s, c);  // ?1..?19
    int64_t seq = NextSeq();
    s.Bind(20, seq);
    std::optional<int64_t> n = ParseCaseNumber(c.number);
    s.Bind(21, n ? *n : -seq);
  }

  Status Unique(const Status& st, std::string message) {
    if (IsUniqueViolation(st)) {
      return Status(ErrorCode::kAlreadyExists, std::move(message));
    }
    return st;
  }

  void TouchCase(const std::string& account_id, const std::string& contact_id,
                 bool internal) {
    changes_.any = true;
    if (internal) return;
    changes_.accounts.insert(account_id);
    changes_.contacts.insert(contact_id);
  }

  Status AddTombstone(const char* table, std::string_view row_id,
                      std::string_view account_id,
                      std::string_view contact_id) {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO tombstones(seq, tbl, row_id, account_id, "
                    "contact_id) VALUES(?, ?, ?, ?, ?)"));
    s->Bind(1, NextSeq())
        .Bind(2, table)
        .Bind(3, row_id)
        .Bind(4, account_id)
        .Bind(5, contact_id);
    CASESYNC_RETURN_IF_ERROR(s->Run());
    changes_.accounts.insert(std::string(account_id));
    changes_.contacts.insert(std::string(contact_id));
    return Status::Ok();
  }

  // The case moved to another account or contact: its comments follow, and
  // readers of the old scope get del ops for the public ones.
  Status RescopeComments(const Case& c,
                         const std::pair<std::string, std::string>& old) {
    std::vector<std::pair<std::string, bool>> ids;  // id, public
    {
      CASESYNC_ASSIGN_OR_RETURN(
          Statement * s,
          db_.Prepare("SELECT id, visibility FROM comments WHERE case_id=?"));
      StatementScope scope(*s);
      s->Bind(1, c.id);
      while (true) {
        CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        ids.emplace_back(s->ColumnText(0), s->ColumnTextView(1) == "public");
      }
    }
    for (const auto& [id, is_public] : ids) {
      if (is_public) {
        CASESYNC_RETURN_IF_ERROR(
            AddTombstone("comments", id, old.first, old.second));
      }
      CASESYNC_ASSIGN_OR_RETURN(
          Statement * s, db_.Prepare("UPDATE comments SET case_account_id=?, "
                                     "case_contact_id=?, seq=? WHERE id=?"));
      s->Bind(1, c.account_id)
          .Bind(2, c.contact_id)
          .Bind(3, NextSeq())
          .Bind(4, id);
      CASESYNC_RETURN_IF_ERROR(s->Run());
    }
    return Status::Ok();
  }

  std::unique_lock<std::mutex> lock_;
  Database& db_;
  SqliteStore& store_;
  std::shared_ptr<const CatalogIndex> catalog_;
  Transaction tx_;
  int64_t seq_ = 0;
  int64_t case_number_ = 0;
  int64_t start_seq_ = 0;
  int64_t start_case_number_ = 0;
  bool catalog_changed_ = false;
  bool auth_changed_ = false;      // a user or a session's validity changed
  bool poisoned_ = false;          // WithoutSavepoint left a partial change
  Statement* get_case_ = nullptr;  // see Prepared()
  Statement* put_case_ = nullptr;
  Statement* insert_case_ = nullptr;
  ChangeSet changes_;
  std::optional<KnownCase> known_case_;
};

// ---- WAL checkpoints off the commit path ----

// Copies the WAL back into the database file mostly on a thread of its own
// (docs/server.md "Checkpoints"). SQLite's automatic checkpoint runs inside
// the commit that crosses 1,000 WAL frames: with pushes of 100 cases (~35
// frames each) every ~29th push paid ~3.4 ms for it, ~120 us per push on
// average, 14% of a plain SQLite loop's time.
//
// The writer's wal hook runs after each commit (write lock released):
//  1. at kBackgroundFrames it wakes the thread, which runs a PASSIVE
//     checkpoint on its own connection (never blocking the writer or
//     readers) and copies the bulk;
//  2. pushes go on meanwhile, so the WAL is never wholly copied when that
//     pass ends, and SQLite starts the WAL over only when it is. The first
//     commit after the pass therefore copies the few frames written during
//     it, inline (PASSIVE again), and the writer's next transaction starts
//     the WAL from its beginning;
//  3. should that not happen (a reader holding an old snapshot), the cycle
//     repeats; at kInlineFrames every commit checkpoints inline, as SQLite
//     would, which bounds the WAL while the thread cannot keep up.
class Checkpointer {
 public:
  static constexpr int kBackgroundFrames = 1000;  // SQLite's own default
  static constexpr int kInlineFrames = 10000;     // ~40 MB of WAL

  ~Checkpointer() { Stop(); }

  // `writer` is the store's write connection; `options` open this thread's
  // own connection (same file, same synchronous).
  Status Start(const std::string& path, OpenOptions options, Database& writer) {
    options.journal_mode = "";  // the writer set WAL; it is persistent
    CASESYNC_ASSIGN_OR_RETURN(db_, Database::Open(path, std::move(options)));
    CASESYNC_RETURN_IF_ERROR(writer.Exec("PRAGMA wal_autocheckpoint=0"));
    writer_ = writer.raw();
    sqlite3_wal_hook(writer_, &Checkpointer::OnCommit, this);
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  WalCheckpoints counts() const {
    return WalCheckpoints{background_.load(), in_commit_.load()};
  }

  // Unhooks the writer and joins the thread; idempotent.
  void Stop() {
    if (writer_ != nullptr) {
      sqlite3_wal_hook(writer_, nullptr, nullptr);
      writer_ = nullptr;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    db_.reset();
  }

 private:
  enum Phase : int { kIdle, kRunning, kDone };

  static int OnCommit(void* self, sqlite3* db, const char* name, int frames) {
    auto* c = static_cast<Checkpointer*>(self);
    int phase = c->phase_.load();
    if (frames < kBackgroundFrames) {
      // A pass that copied everything: the WAL has started over.
      if (phase == kDone) c->phase_ = kIdle;
      return SQLITE_OK;
    }
    if (frames >= kInlineFrames || phase == kDone) {
      // The tail of a background pass, or the fallback. SQLITE_BUSY while
      // the thread is checkpointing: fine, the next commit tries again.
      if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
                                    nullptr, nullptr) == SQLITE_OK) {
        ++c->in_commit_;
      }
      if (phase == kDone) c->phase_ = kIdle;
    } else if (phase == kIdle) {
      {
        std::lock_guard<std::mutex> lock(c->mu_);
        c->phase_ = kRunning;
      }
      c->cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || phase_.load() == kRunning; });
      if (stop_) return;
      lock.unlock();
      if (sqlite3_wal_checkpoint_v2(db_->raw(), "main",
                                    SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr) == SQLITE_OK) {
        ++background_;
      }
      phase_ = kDone;
      lock.lock();
    }
  }

  std::unique_ptr<Database> db_;
  sqlite3* writer_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<int> phase_{kIdle};
  std::atomic<int64_t> background_{0}, in_commit_{0};
  std::thread thread_;
};

// ---- the store ----

class SqliteStore : public Store {
 public:
  explicit SqliteStore(SqliteStoreOptions options)
      : options_(std::move(options)) {}

  ~SqliteStore() override { checkpointer_.Stop(); }

  WalCheckpoints Checkpoints() const override { return checkpointer_.counts(); }

  Status Init() {
    CASESYNC_ASSIGN_OR_RETURN(writer_,
                              Database::Open(options_.path, WriterOptions()));
    CASESYNC_RETURN_IF_ERROR(Migrate(*writer_, kMigrations));
    CASESYNC_RETURN_IF_ERROR(ReloadCatalog(*writer_));
    return checkpointer_.Start(options_.path, WriterOptions(), *writer_);
  }

  Result<std::unique_ptr<WriteTx>> BeginWrite() override {
    std::unique_lock<std::mutex> lock(write_mu_);
    auto tx = std::make_unique<SqliteWriteTx>(std::move(lock), *writer_, *this,
                                              catalog());
    CASESYNC_RETURN_IF_ERROR(tx->Begin());
    return std::unique_ptr<WriteTx>(std::move(tx));
  }

  Result<std::optional<UserRecord>> FindUserByEmail(
      std::string_view email) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryUser(**r, "email", email);
  }

  Result<std::optional<UserRecord>> GetUser(std::string_view id) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryUser(**r, "id", id);
  }

  Result<std::vector<UserRecord>> ListUsers() override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s, (*r)->Prepare(std::string("SELECT ") + kUserColumns +
                                     " FROM users ORDER BY email"));
    StatementScope scope(*s);
    std::vector<UserRecord> out;
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadUser(*s));
    }
    return out;
  }

  Result<std::optional<std::pair<SessionRecord, UserRecord>>> FindSession(
      std::string_view token_hash) override {
    using Found = std::optional<std::pair<SessionRecord, UserRecord>>;
    auto r = Reader();
    if (!r.ok()) return r.status();
    std::string sql = std::string("SELECT ") + kSessionColumns;
    sql +=
        ", u.id, u.account_id, u.email, u.name, u.phone, u.role, u.status, "
        "u.password_hash, u.must_change_password FROM sessions s JOIN "
        "users u ON u.id=s.user_id WHERE s.token_hash=?";
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, (*r)->Prepare(sql));
    StatementScope scope(*s);
    s->Bind(1, token_hash);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Found();
    SessionRecord session;
    session.id = s->ColumnText(0);
    session.token_hash = s->ColumnText(1);
    session.user_id = s->ColumnText(2);
    session.created_ms = s->ColumnInt(3);
    session.expires_ms = s->ColumnInt(4);
    session.remember = s->ColumnInt(5) != 0;
    session.revoked = s->ColumnInt(6) != 0;
    return Found(std::make_pair(std::move(session), ReadUser(*s, 7)));
  }

  Result<int64_t> CountFailures(std::string_view key,
                                int64_t since_ms) override {
    return Count(
        "SELECT count(*) FROM login_attempts WHERE key=? AND "
        "at_ms>=? AND ok=0",
        key, since_ms);
  }

  Result<int64_t> CountAttempts(std::string_view key,
                                int64_t since_ms) override {
    return Count("SELECT count(*) FROM login_attempts WHERE key=? AND at_ms>=?",
                 key, since_ms);
  }

  Result<std::optional<AccountRecord>> FindAccountByName(
      std::string_view name) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryAccount(**r, "name=? COLLATE NOCASE", name);
  }

  Result<std::optional<AccountRecord>> GetAccount(
      std::string_view id) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryAccount(**r, "id=?", id);
  }

  Result<std::optional<AccountRecord>> FindAccountForDomain(
      std::string_view domain) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryAccount(**r,
                        "pending=0 AND id=(SELECT account_id FROM "
                        "account_domains WHERE domain=?)",
                        domain);
  }

  Result<std::vector<CatalogItem>> ListCatalog() override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return ReadCatalog(**r);
  }

  Result<std::optional<ClientRecord>> GetClient(std::string_view id) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryClient(**r, id);
  }

  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryMeta(**r, key);
  }

  Result<std::vector<Notification>> ListNotifications() override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        (*r)->Prepare("SELECT kind, to_addr, subject, body, case_id, "
                      "ifnull(message_id, ''), in_reply_to FROM "
                      "notifications ORDER BY id"));
    StatementScope scope(*s);
    std::vector<Notification> out;
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({s->ColumnText(0), s->ColumnText(1), s->ColumnText(2),
                     s->ColumnText(3), s->ColumnText(4), s->ColumnText(5),
                     s->ColumnText(6)});
    }
    return out;
  }

  Result<ChangePage> ReadChanges(const Actor& reader, int64_t after_seq,
                                 size_t max_rows,
                                 std::string_view client_id) override;

  // ---- mail ----
  Result<std::vector<QueuedNotification>> DueNotifications(
      int64_t now_ms, size_t limit) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        (*r)->Prepare("SELECT id, kind, to_addr, subject, body, case_id, "
                      "ifnull(message_id, ''), in_reply_to, attempts FROM "
                      "notifications WHERE sent_at IS NULL AND failed=0 AND "
                      "next_attempt_ms<=? ORDER BY id LIMIT ?"));
    StatementScope scope(*s);
    s->Bind(1, now_ms).Bind(2, static_cast<int64_t>(limit));
    std::vector<QueuedNotification> out;
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      QueuedNotification q;
      q.id = s->ColumnInt(0);
      q.n = {s->ColumnText(1), s->ColumnText(2), s->ColumnText(3),
             s->ColumnText(4), s->ColumnText(5), s->ColumnText(6),
             s->ColumnText(7)};
      q.attempts = static_cast<int>(s->ColumnInt(8));
      out.push_back(std::move(q));
    }
    return out;
  }

  Result<bool> HasNotification(std::string_view kind, std::string_view case_id,
                               std::string_view since) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        (*r)->Prepare("SELECT 1 FROM notifications WHERE case_id=? AND "
                      "kind=? AND created_at>=? LIMIT 1"));
    StatementScope scope(*s);
    s->Bind(1, case_id).Bind(2, kind).Bind(3, since);
    return s->Step();
  }

  Result<std::vector<Case>> ListCasesInState(CaseState state,
                                             std::string_view updated_before,
                                             size_t limit) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    // The state as a literal: only then can SQLite use the partial index
    // cases_resolved_by_updated (migration 3) for state='resolved'. Other
    // states (no caller today) are a scan.
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        (*r)->Prepare(std::string("SELECT ") + kCaseColumns +
                      " FROM cases WHERE state='" + CaseStateName(state) +
                      "' AND updated_at<? ORDER BY updated_at LIMIT ?"));
    StatementScope scope(*s);
    s->Bind(1, updated_before).Bind(2, static_cast<int64_t>(limit));
    std::vector<Case> out;
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadCase(*s));
    }
    return out;
  }

  Result<bool> HasChangesAfter(const Actor& reader,
                               int64_t after_seq) override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    Database& db = **r;
    for (Source src : kSources) {
      std::string sql = std::string("SELECT 1 FROM ") + SourceTable(src) +
                        " WHERE seq>?1 AND " + SourceFilter(src, reader.role) +
                        " LIMIT 1";
      CASESYNC_ASSIGN_OR_RETURN(Statement * s, db.Prepare(sql));
      StatementScope scope(*s);
      s->Bind(1, after_seq);
      BindReader(*s, sql, reader);
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) return true;
    }
    return false;
  }

  uint64_t AuthGeneration() const override {
    return auth_generation_.load(std::memory_order_acquire);
  }
  void BumpAuthGeneration() {
    auth_generation_.fetch_add(1, std::memory_order_acq_rel);
  }

  Result<int64_t> Head() override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    return QueryCounter(**r, "change_seq");
  }

  Result<std::string> IntegrityCheck() override {
    auto r = Reader();
    if (!r.ok()) return r.status();
    CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                              (*r)->Prepare("PRAGMA integrity_check"));
    StatementScope scope(*s);
    std::string out;
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      if (!out.empty()) out += "\n";
      out += s->ColumnText(0);
    }
    return out;
  }

  std::shared_ptr<const CatalogIndex> catalog() {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    return catalog_;
  }

  Status ReloadCatalog(Database& db) {
    CASESYNC_ASSIGN_OR_RETURN(std::vector<CatalogItem> items, ReadCatalog(db));
    auto index = std::make_shared<const CatalogIndex>(items);
    std::lock_guard<std::mutex> lock(catalog_mu_);
    catalog_ = std::move(index);
    return Status::Ok();
  }

 private:
  // A read connection leased from the pool; returned on destruction.
  class Lease {
   public:
    Lease(SqliteStore* store, std::unique_ptr<Database> db)
        : store_(store), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (db_) store_->Return(std::move(db_));
    }
    Database& operator*() { return *db_; }
    Database* operator->() { return db_.get(); }

   private:
    SqliteStore* store_;
    std::unique_ptr<Database> db_;
  };

  OpenOptions WriterOptions() const {
    OpenOptions o;
    o.journal_mode = "WAL";
    o.synchronous = options_.synchronous;
    o.busy_timeout_ms = 10000;
    return o;
  }

  Result<Lease> Reader() {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!pool_.empty()) {
        std::unique_ptr<Database> db = std::move(pool_.back());
        pool_.pop_back();
        return Lease(this, std::move(db));
      }
    }
    OpenOptions o;
    o.create = false;
    o.journal_mode = "";  // the writer set WAL; it is persistent
    o.synchronous = "";
    o.busy_timeout_ms = 10000;
    CASESYNC_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                              Database::Open(options_.path, o));
    return Lease(this, std::move(db));
  }

  void Return(std::unique_ptr<Database> db) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (pool_.size() < 32) pool_.push_back(std::move(db));
  }

  Result<int64_t> Count(const char* sql, std::string_view key, int64_t since) {
    auto r = Reader();
    if (!r.ok()) return r.status();
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, (*r)->Prepare(sql));
    StatementScope scope(*s);
    s->Bind(1, key).Bind(2, since);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->ColumnInt(0) : 0;
  }

  static Result<std::vector<CatalogItem>> ReadCatalog(Database& db) {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db.Prepare("SELECT id, kind, parent_id, name, sort, active FROM "
                   "catalog ORDER BY sort, id"));
    StatementScope scope(*s);
    std::vector<CatalogItem> out;
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      CatalogItem item;
      item.id = s->ColumnText(0);
      item.kind = CatalogKindFromName(s->ColumnTextView(1))
                      .value_or(CatalogKind::kService);
      item.parent_id = s->ColumnText(2);
      item.name = s->ColumnText(3);
      item.sort = static_cast<int>(s->ColumnInt(4));
      item.active = s->ColumnInt(5) != 0;
      out.push_back(std::move(item));
    }
    return out;
  }

  Status ReadSource(Database& db, Source src, const Actor& reader,
                    int64_t after_seq, int64_t cutoff, ChangePage& page);

  SqliteStoreOptions options_;
  std::unique_ptr<Database> writer_;
  Checkpointer checkpointer_;  // after writer_: stopped before it closes
  std::mutex write_mu_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Database>> pool_;
  std::mutex catalog_mu_;
  std::shared_ptr<const CatalogIndex> catalog_;
  std::atomic<uint64_t> auth_generation_{0};
};

Status SqliteWriteTx::Commit() {
  if (poisoned_) {
    return Status(ErrorCode::kInternal,
                  "a mutation failed after writing without a savepoint");
  }
  if (seq_ != start_seq_ || case_number_ != start_case_number_) {
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s, db_.Prepare("UPDATE counters SET value=? WHERE name=?"));
    s->Bind(1, seq_).Bind(2, "change_seq");
    CASESYNC_RETURN_IF_ERROR(s->Run());
    s->Bind(1, case_number_).Bind(2, "case_number");
    CASESYNC_RETURN_IF_ERROR(s->Run());
  }
  CASESYNC_RETURN_IF_ERROR(tx_.Commit());
  // After the commit: a reader that loaded a session before it also read
  // the generation before it, so its cache entry is now stale.
  if (auth_changed_) store_.BumpAuthGeneration();
  if (catalog_changed_) CASESYNC_RETURN_IF_ERROR(store_.ReloadCatalog(db_));
  return Status::Ok();
}

// Appends the rows of `src` with after_seq < seq <= cutoff visible to
// `reader` to page.patch_json as patch ops.
Status SqliteStore::ReadSource(Database& db, Source src, const Actor& reader,
                               int64_t after_seq, int64_t cutoff,
                               ChangePage& page) {
  std::string sql = std::string("SELECT ") + SourceColumns(src) + " FROM " +
                    SourceTable(src) + " WHERE seq>?1 AND seq<=?2 AND " +
                    SourceFilter(src, reader.role) + " ORDER BY seq";
  CASESYNC_ASSIGN_OR_RETURN(Statement * s, db.Prepare(sql));
  StatementScope scope(*s);
  s->Bind(1, after_seq).Bind(2, cutoff);
  BindReader(*s, sql, reader);
  bool staff = IsStaff(reader.role);
  std::string& out = page.patch_json;
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    if (page.op_count++ > 0) out += ',';
    // {"op":…,"row":…,"table":…}, the key order of EncodePullResponse.
    std::string_view table;
    if (src == Source::kTombs) {
      out += "{\"op\":\"del\",\"row\":";
      JsonObjectWriter(out).String("id", s->ColumnTextView(1)).End();
      table = s->ColumnTextView(0);
    } else {
      out += "{\"op\":\"put\",\"row\":";
    }
    switch (src) {
      case Source::kCases:
        table = kTableCases;
        AppendCaseRow(out, *s);
        break;
      case Source::kComments:
        table = kTableComments;
        AppendCommentRow(out, *s);
        break;
      case Source::kCatalog:
        table = kTableCatalog;
        JsonObjectWriter(out)
            .Bool("active", s->ColumnInt(5) != 0)
            .String("id", s->ColumnTextView(0))
            .String("kind", s->ColumnTextView(1))
            .String("name", s->ColumnTextView(3))
            .StringOrNull("parentId", s->ColumnTextView(2))
            .Int("sort", s->ColumnInt(4))
            .End();
        break;
      case Source::kUsers: {
        table = kTableUsers;
        std::string_view id = s->ColumnTextView(0);
        bool self = id == reader.user_id;
        JsonObjectWriter(out)
            .String("accountId", s->ColumnTextView(1))
            .String("email", s->ColumnTextView(2))
            .String("id", id)
            .String("name", s->ColumnTextView(3))
            // Other people's phone numbers are for staff only.
            .String("phone",
                    staff || self ? s->ColumnTextView(4) : std::string_view())
            .String("role", s->ColumnTextView(5))
            .String("status", s->ColumnTextView(6))
            .End();
        break;
      }
      case Source::kAccounts: {
        // Few rows: the domains array goes through nlohmann.
        table = kTableAccounts;
        auto domains = ParseJson(s->ColumnTextView(3));
        JsonObjectWriter(out)
            .Raw("domains", domains.ok() && domains->is_array()
                                ? DumpJson(*domains)
                                : "[]")
            .String("id", s->ColumnTextView(0))
            .String("name", s->ColumnTextView(1))
            .String("taxId", s->ColumnTextView(2))
            .End();
        break;
      }
      case Source::kTombs:
        break;
    }
    out += ",\"table\":";
    AppendJsonString(out, table);
    out += '}';
  }
  return Status::Ok();
}

// A read transaction on a reader connection: one snapshot for everything a
// pull reads. Ends (COMMIT of a read-only transaction) on destruction.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database& db) : db_(db), begin_(Run(db, "BEGIN")) {}
  ~ReadSnapshot() {
    if (begin_.ok()) (void)Run(db_, "COMMIT");
  }
  const Status& status() const { return begin_; }

 private:
  // Prepared once per connection (sqlite3_exec would parse it every pull).
  static Status Run(Database& db, const char* sql) {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, db.Prepare(sql));
    return s->Run();
  }

  Database& db_;
  Status begin_;
};

Result<ChangePage> SqliteStore::ReadChanges(const Actor& reader,
                                            int64_t after_seq, size_t max_rows,
                                            std::string_view client_id) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  Database& db = **lease;
  ReadSnapshot snapshot(db);
  CASESYNC_RETURN_IF_ERROR(snapshot.status());
  ChangePage page;
  CASESYNC_ASSIGN_OR_RETURN(page.head, QueryCounter(db, "change_seq"));
  max_rows = std::max<size_t>(max_rows, 1);

  // A reader that is up to date (the usual pull after a poke timeout) skips
  // steps 1 and 2: nothing in this snapshot has a sequence above the head.
  // Its client row and rejections (step 3) are read all the same.
  bool up_to_date = after_seq >= page.head;
  page.last_seq = page.head;

  // 1. The cutoff: the max_rows-th smallest visible sequence after
  // after_seq, from an index-only scan of each source.
  std::vector<int64_t> seqs;
  for (Source src : kSources) {
    if (up_to_date) break;
    if (src == Source::kTombs && after_seq == 0) continue;
    std::string sql = std::string("SELECT seq FROM ") + SourceTable(src) +
                      " WHERE seq>?1 AND " + SourceFilter(src, reader.role) +
                      " ORDER BY seq LIMIT ?2";
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, db.Prepare(sql));
    StatementScope scope(*s);
    s->Bind(1, after_seq).Bind(2, static_cast<int64_t>(max_rows + 1));
    BindReader(*s, sql, reader);
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      seqs.push_back(s->ColumnInt(0));
    }
  }
  int64_t cutoff = page.head;
  if (seqs.size() > max_rows) {
    std::nth_element(seqs.begin(), seqs.begin() + (max_rows - 1), seqs.end());
    cutoff = seqs[max_rows - 1];
    page.more = true;
  }
  page.last_seq = cutoff;

  // 2. The rows up to the cutoff: dels first, then puts (accounts before
  // users before cases before comments).
  // About 600 bytes per case row with realistic text.
  page.patch_json.reserve(std::min(seqs.size(), max_rows) * 640);
  for (Source src : kSources) {
    if (up_to_date) break;
    if (src == Source::kTombs && after_seq == 0) continue;
    CASESYNC_RETURN_IF_ERROR(
        ReadSource(db, src, reader, after_seq, cutoff, page));
  }

  // 3. The client and its undelivered rejections, in the same snapshot.
  if (!client_id.empty()) {
    CASESYNC_ASSIGN_OR_RETURN(page.client, QueryClient(db, client_id));
    CASESYNC_ASSIGN_OR_RETURN(
        Statement * s,
        db.Prepare("SELECT mutation_id, code, message, mutation, seq FROM "
                   "rejections WHERE client_id=? AND delivered=0 ORDER BY "
                   "mutation_id"));
    StatementScope scope(*s);
    s->Bind(1, client_id);
    while (true) {
      CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      Rejection r;
      r.mutation_id = s->ColumnInt(0);
      r.code = ErrorCodeFromName(s->ColumnTextView(1))
                   .value_or(ErrorCode::kInternal);
      r.message = s->ColumnText(2);
      auto json = ParseJson(s->ColumnTextView(3));
      if (json.ok()) {
        auto m = MutationFromJson(*json);
        if (m.ok()) r.mutation = std::move(*m);
      }
      page.rejections.push_back(std::move(r));
      page.rejection_seqs.push_back(s->ColumnInt(4));
    }
  }
  return page;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(
    const SqliteStoreOptions& options) {
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
    return Status(ErrorCode::kInvalidRequest,
                  "synchronous must be FULL or NORMAL");
  }
  auto store = std::make_unique<SqliteStore>(options);
  CASESYNC_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace casesync::server
