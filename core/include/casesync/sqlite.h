// SQLite wrapped once: an owning Database, prepared Statements cached by SQL
// text, a Transaction guard, and numbered migrations keyed on
// PRAGMA user_version.
//
// Not thread-safe: one Database per thread (the server opens one per worker
// connection; the browser has one worker). Nothing here throws; every error is
// a kStorage Status carrying sqlite3_errmsg.
#ifndef CASESYNC_SQLITE_H_
#define CASESYNC_SQLITE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "casesync/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace casesync {

class Database;

// A prepared statement owned by its Database's cache. Bind, Step, read
// columns; Reset happens automatically at the next Bind after a completed
// Step and on StatementScope exit.
class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // 1-based parameter index, as in SQLite.
  Statement& Bind(int index, int64_t v);
  Statement& Bind(int index, int v) { return Bind(index, int64_t{v}); }
  Statement& Bind(int index, double v);
  Statement& Bind(int index, std::string_view v);  // copied (SQLITE_TRANSIENT)
  Statement& Bind(int index, const char* v) {
    return Bind(index, std::string_view(v));
  }
  Statement& Bind(int index, const std::string& v) {
    return Bind(index, std::string_view(v));
  }
  Statement& BindNull(int index);
  // Not copied (SQLITE_STATIC): `v` must stay valid until Run() or Reset(),
  // which clear the bindings. For rows bound from a struct that outlives the
  // statement's execution, e.g. a page being applied.
  Statement& BindView(int index, std::string_view v);

  // Advances: true with a row, false when done, error otherwise. Bind errors
  // recorded earlier are reported here.
  Result<bool> Step();
  // Step until done (for INSERT/UPDATE/DELETE).
  Status Run();

  int64_t ColumnInt(int col) const;  // 0-based, as in SQLite
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;           // "" for NULL
  std::string_view ColumnTextView(int col) const;  // valid until next Step
  bool ColumnIsNull(int col) const;

  // Resets and clears bindings (returns it to the cache state).
  void Reset();

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();

  Database* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
};

// Resets a cached statement when the scope ends, so a half-read SELECT never
// holds a read transaction open.
class StatementScope {
 public:
  explicit StatementScope(Statement& s) : s_(s) {}
  ~StatementScope() { s_.Reset(); }
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

struct OpenOptions {
  bool create = true;
  bool read_only = false;
  // journal_mode: "WAL" (server), "DELETE" or "TRUNCATE" (clients), "" to
  // leave as is.
  std::string journal_mode = "WAL";
  // synchronous: "FULL" (default: every commit durable), "NORMAL", "OFF".
  std::string synchronous = "FULL";
  int busy_timeout_ms = 5000;
  // VFS name for sqlite3_open_v2 (the browser registers its own); "" default.
  std::string vfs;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const OpenOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Executes one or more statements without results (schema, pragmas).
  Status Exec(std::string_view sql);
  // The cached prepared statement for `sql` (prepared on first use). The
  // reference stays valid as long as the Database lives. Error when the SQL
  // does not compile.
  Result<Statement*> Prepare(std::string_view sql);

  int64_t LastInsertRowId() const;
  int Changes() const;
  bool InTransaction() const;
  sqlite3* raw() { return db_; }

  Status StatusFromCode(int rc, std::string_view what) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  struct StatementDeleter {
    void operator()(Statement* s) const;
  };
  // Looked up by string_view (transparent hash): Prepare() of a cached
  // statement allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>()(sql);
    }
  };
  std::unordered_map<std::string, std::unique_ptr<Statement, StatementDeleter>,
                     SqlHash, std::equal_to<>>
      cache_;
};

// BEGIN IMMEDIATE on construction (or a SAVEPOINT when nested), ROLLBACK in
// the destructor unless Commit() succeeded. Never throws.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Status of BEGIN; check before using the transaction.
  const Status& begin_status() const { return begin_; }
  Status Commit();
  void Rollback();

 private:
  Database& db_;
  Status begin_;
  std::string savepoint_;  // non-empty when nested
  bool done_ = false;
};

// A migration turns schema version `version - 1` into `version`.
struct Migration {
  int version;
  const char* sql;
};

// Applies, in one transaction each, every migration whose version is above
// PRAGMA user_version, in order, and sets user_version. Refuses (kStorage) a
// database whose user_version is newer than the last migration: an older
// program must not write a newer schema.
Status Migrate(Database& db, std::span<const Migration> migrations);
Result<int> UserVersion(Database& db);

}  // namespace casesync

#endif  // CASESYNC_SQLITE_H_
