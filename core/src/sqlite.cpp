#include "casesync/sqlite.h"

#include <sqlite3.h>

#include <string>

namespace casesync {

// ---- Statement ----

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Database::StatementDeleter::operator()(Statement* s) const { delete s; }

Statement& Statement::Bind(int index, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, index, v);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, double v) {
  int rc = sqlite3_bind_double(stmt_, index, v);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, index, v.data(), v.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindView(int index, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_STATIC,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_error_ != 0) {
    int rc = bind_error_;
    Reset();
    return db_->StatusFromCode(rc, "bind");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = db_->StatusFromCode(rc, sqlite3_sql(stmt_));
  sqlite3_reset(stmt_);
  return st;
}

Status Statement::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
  }
  Reset();
  return Status::Ok();
}

int64_t Statement::ColumnInt(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double Statement::ColumnDouble(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string_view Statement::ColumnTextView(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(p),
                          sqlite3_column_bytes(stmt_, col));
}

std::string Statement::ColumnText(int col) const {
  return std::string(ColumnTextView(col));
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

// ---- Database ----

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const OpenOptions& options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY
                                : SQLITE_OPEN_READWRITE |
                                      (options.create ? SQLITE_OPEN_CREATE : 0);
  flags |= SQLITE_OPEN_NOMUTEX;  // one Database per thread
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  std::unique_ptr<Database> db(new Database(raw));
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return Status(ErrorCode::kStorage, "cannot open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  CASESYNC_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  if (!options.journal_mode.empty() && !options.read_only) {
    CASESYNC_RETURN_IF_ERROR(
        db->Exec("PRAGMA journal_mode=" + options.journal_mode));
  }
  if (!options.synchronous.empty()) {
    CASESYNC_RETURN_IF_ERROR(
        db->Exec("PRAGMA synchronous=" + options.synchronous));
  }
  return db;
}

Database::~Database() {
  cache_.clear();  // finalize statements before closing
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Database::StatusFromCode(int rc, std::string_view what) const {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) {
    return Status::Ok();
  }
  std::string msg = std::string(sqlite3_errstr(rc));
  if (db_ != nullptr && sqlite3_errcode(db_) == rc) msg = sqlite3_errmsg(db_);
  return Status(ErrorCode::kStorage, std::string(what) + ": " + msg);
}

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Status(ErrorCode::kStorage, msg);
  }
  return Status::Ok();
}

Result<Statement*> Database::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second.get();
  std::string key(sql);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return StatusFromCode(rc, "prepare " + key);
  Statement* s = new Statement(this, stmt);
  cache_.emplace(std::move(key),
                 std::unique_ptr<Statement, StatementDeleter>(s));
  return s;
}

int64_t Database::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

int Database::Changes() const { return sqlite3_changes(db_); }

bool Database::InTransaction() const { return !sqlite3_get_autocommit(db_); }

// ---- Transaction ----

namespace {
thread_local int next_savepoint_id = 0;  // only for unique names
}

Transaction::Transaction(Database& db) : db_(db) {
  if (db_.InTransaction()) {
    savepoint_ = "sp" + std::to_string(++next_savepoint_id);
    begin_ = db_.Exec("SAVEPOINT " + savepoint_);
  } else {
    begin_ = db_.Exec("BEGIN IMMEDIATE");
  }
  if (!begin_.ok()) done_ = true;
}

Transaction::~Transaction() { Rollback(); }

Status Transaction::Commit() {
  if (done_) {
    return begin_.ok() ? Status(ErrorCode::kInternal, "transaction finished")
                       : begin_;
  }
  Status st = savepoint_.empty() ? db_.Exec("COMMIT")
                                 : db_.Exec("RELEASE " + savepoint_);
  if (!st.ok()) {
    Rollback();
    return st;
  }
  done_ = true;
  return st;
}

void Transaction::Rollback() {
  if (done_) return;
  done_ = true;
  if (savepoint_.empty()) {
    // A failed COMMIT may already have rolled back: ignore "no transaction".
    if (db_.InTransaction()) (void)db_.Exec("ROLLBACK");
  } else {
    (void)db_.Exec("ROLLBACK TO " + savepoint_);
    (void)db_.Exec("RELEASE " + savepoint_);
  }
}

// ---- Migrations ----

Result<int> UserVersion(Database& db) {
  CASESYNC_ASSIGN_OR_RETURN(Statement * s, db.Prepare("PRAGMA user_version"));
  StatementScope scope(*s);
  CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status(ErrorCode::kStorage, "no user_version");
  return static_cast<int>(s->ColumnInt(0));
}

namespace {

// One migration in its own transaction, refused if it leaves a row whose
// foreign key points nowhere.
Status ApplyMigration(Database& db, const Migration& m) {
  Transaction tx(db);
  CASESYNC_RETURN_IF_ERROR(tx.begin_status());
  CASESYNC_RETURN_IF_ERROR(db.Exec(m.sql));
  {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s,
                              db.Prepare("PRAGMA foreign_key_check"));
    StatementScope scope(*s);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      return Status(ErrorCode::kStorage,
                    "migration " + std::to_string(m.version) +
                        " leaves a broken foreign key in table " +
                        s->ColumnText(0));
    }
  }
  CASESYNC_RETURN_IF_ERROR(
      db.Exec("PRAGMA user_version=" + std::to_string(m.version)));
  return tx.Commit();
}

}  // namespace

Status Migrate(Database& db, std::span<const Migration> migrations) {
  CASESYNC_ASSIGN_OR_RETURN(int current, UserVersion(db));
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return Status(ErrorCode::kStorage, "database schema version " +
                                           std::to_string(current) +
                                           " is newer than this program's " +
                                           std::to_string(latest));
  }
  if (current == latest) return Status::Ok();
  // Foreign keys are off while the schema changes, as SQLite's procedure
  // for rebuilding a table asks (with them on, dropping a referenced table
  // deletes its rows first and fails); each migration is checked with
  // foreign_key_check before it commits instead. (A no-op inside an open
  // transaction: migrations run when a database is opened.)
  bool foreign_keys = false;
  {
    CASESYNC_ASSIGN_OR_RETURN(Statement * s, db.Prepare("PRAGMA foreign_keys"));
    StatementScope scope(*s);
    CASESYNC_ASSIGN_OR_RETURN(bool row, s->Step());
    foreign_keys = row && s->ColumnInt(0) != 0;
  }
  CASESYNC_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=OFF"));
  Status st = Status::Ok();
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    st = ApplyMigration(db, m);
    if (!st.ok()) break;
    current = m.version;
  }
  if (foreign_keys) {
    Status on = db.Exec("PRAGMA foreign_keys=ON");
    if (st.ok()) st = on;
  }
  return st;
}

}  // namespace casesync
