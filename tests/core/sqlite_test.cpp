#include "casesync/sqlite.h"

#include <doctest/doctest.h>

#include "fixtures.h"

namespace casesync {
namespace {

using testing::TempDbPath;

std::unique_ptr<Database> OpenDb(const TempDbPath& path) {
  auto db = Database::Open(path.path(), OpenOptions{});
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  REQUIRE(
      (*db)->Exec("CREATE TABLE IF NOT EXISTS t(k TEXT PRIMARY KEY, v)").ok());
  return std::move(db).value();
}

int64_t Count(Database& db) {
  auto s = db.Prepare("SELECT count(*) FROM t");
  REQUIRE(s.ok());
  StatementScope scope(**s);
  REQUIRE(*(*s)->Step());
  return (*s)->ColumnInt(0);
}

TEST_SUITE("sqlite") {
  TEST_CASE("statements are cached and reusable after reset") {
    TempDbPath path;
    auto db = OpenDb(path);
    auto a = db->Prepare("INSERT INTO t(k, v) VALUES(?, ?)");
    auto b = db->Prepare("INSERT INTO t(k, v) VALUES(?, ?)");
    REQUIRE(a.ok());
    CHECK(*a == *b);
    for (int i = 0; i < 3; ++i) {
      REQUIRE((*a)->Bind(1, "k" + std::to_string(i)).Bind(2, i).Run().ok());
    }
    CHECK(Count(*db) == 3);
  }

  TEST_CASE("text round-trips byte for byte, including NUL and emoji") {
    TempDbPath path;
    auto db = OpenDb(path);
    std::string value("a\0b ñ 😀", 10);
    auto ins = db->Prepare("INSERT INTO t(k, v) VALUES('x', ?)");
    REQUIRE((*ins)->Bind(1, std::string_view(value)).Run().ok());
    auto sel = db->Prepare("SELECT v FROM t WHERE k='x'");
    StatementScope scope(**sel);
    REQUIRE(*(*sel)->Step());
    CHECK((*sel)->ColumnText(0) == value);
  }

  TEST_CASE("a transaction rolls back unless committed") {
    TempDbPath path;
    auto db = OpenDb(path);
    {
      Transaction tx(*db);
      REQUIRE(tx.begin_status().ok());
      REQUIRE(db->Exec("INSERT INTO t VALUES('a', 1)").ok());
    }
    CHECK(Count(*db) == 0);
    {
      Transaction tx(*db);
      REQUIRE(db->Exec("INSERT INTO t VALUES('a', 1)").ok());
      REQUIRE(tx.Commit().ok());
    }
    CHECK(Count(*db) == 1);
  }

  TEST_CASE("a nested transaction is a savepoint") {
    TempDbPath path;
    auto db = OpenDb(path);
    Transaction outer(*db);
    REQUIRE(db->Exec("INSERT INTO t VALUES('a', 1)").ok());
    {
      Transaction inner(*db);
      REQUIRE(inner.begin_status().ok());
      REQUIRE(db->Exec("INSERT INTO t VALUES('b', 2)").ok());
    }  // inner rolled back
    {
      Transaction inner(*db);
      REQUIRE(db->Exec("INSERT INTO t VALUES('c', 3)").ok());
      REQUIRE(inner.Commit().ok());
    }
    REQUIRE(outer.Commit().ok());
    CHECK(Count(*db) == 2);
  }

  TEST_CASE("errors are kStorage statuses with SQLite's message") {
    TempDbPath path;
    auto db = OpenDb(path);
    auto bad = db->Prepare("SELEC nonsense");
    CHECK(bad.status().code() == ErrorCode::kStorage);
    CHECK(bad.status().message().find("syntax error") != std::string::npos);
    REQUIRE(db->Exec("INSERT INTO t VALUES('a', 1)").ok());
    auto dup = db->Prepare("INSERT INTO t(k, v) VALUES(?, 2)");
    (*dup)->Bind(1, "a");
    Status st = (*dup)->Run();
    CHECK(st.code() == ErrorCode::kStorage);
    CHECK(st.message().find("UNIQUE") != std::string::npos);
    // The statement is reusable after the failure.
    REQUIRE((*dup)->Bind(1, "b").Run().ok());
    CHECK(Count(*db) == 2);
  }

  TEST_CASE("migrations run once, in order, and record user_version") {
    TempDbPath path;
    auto db = OpenDb(path);
    const Migration steps[] = {{1, "CREATE TABLE m1(x)"},
                               {2, "INSERT INTO m1 VALUES(42)"}};
    REQUIRE(Migrate(*db, steps).ok());
    REQUIRE(Migrate(*db, steps).ok());  // idempotent
    CHECK(*UserVersion(*db) == 2);
    auto s = db->Prepare("SELECT count(*) FROM m1");
    StatementScope scope(**s);
    REQUIRE(*(*s)->Step());
    CHECK((*s)->ColumnInt(0) == 1);
  }

  TEST_CASE("a failing migration leaves the previous version intact") {
    TempDbPath path;
    auto db = OpenDb(path);
    const Migration steps[] = {{1, "CREATE TABLE m1(x)"},
                               {2, "CREATE TABLE m2(y); NOT SQL"}};
    CHECK(!Migrate(*db, steps).ok());
    CHECK(*UserVersion(*db) == 1);
    CHECK(!db->Prepare("SELECT * FROM m2").ok());
  }

  TEST_CASE(
      "migrations may rebuild a referenced table; one that breaks a "
      "foreign key is refused") {
    TempDbPath path;
    auto db = OpenDb(path);
    auto foreign_keys = [&] {
      auto s = db->Prepare("PRAGMA foreign_keys");
      StatementScope scope(**s);
      REQUIRE(*(*s)->Step());
      return (*s)->ColumnInt(0);
    };
    REQUIRE(foreign_keys() == 1);
    const Migration steps[] = {
        {1,
         "CREATE TABLE p(id TEXT PRIMARY KEY); CREATE TABLE c(p_id TEXT "
         "REFERENCES p(id)); INSERT INTO p VALUES('a'); INSERT INTO c "
         "VALUES('a')"},
        // SQLite's table rebuild: with foreign keys on, dropping p would
        // delete its rows first and fail.
        {2,
         "CREATE TABLE p2(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE); "
         "INSERT INTO p2(id) SELECT id FROM p; DROP TABLE p; ALTER TABLE p2 "
         "RENAME TO p"},
        {3, "DELETE FROM p"}};
    Status st = Migrate(*db, steps);
    CHECK(st.code() == ErrorCode::kStorage);
    CHECK(st.message() == "migration 3 leaves a broken foreign key in table c");
    CHECK(*UserVersion(*db) == 2);
    CHECK(foreign_keys() == 1);  // back on, after a failure too
    auto s = db->Prepare("SELECT count(*) FROM p JOIN c ON c.p_id = p.id");
    StatementScope scope(**s);
    REQUIRE(*(*s)->Step());
    CHECK((*s)->ColumnInt(0) == 1);
  }

  TEST_CASE("opening a missing file without create fails cleanly") {
    OpenOptions options;
    options.create = false;
    auto db = Database::Open("does/not/exist.db", options);
    CHECK(db.status().code() == ErrorCode::kStorage);
  }
}

}  // namespace
}  // namespace casesync
