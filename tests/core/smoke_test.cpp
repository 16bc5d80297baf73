// Throwaway: proves the wiring (doctest, core, SQLite, json, files under
// node). To be deleted once real tests exist.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "casesync/version.h"

TEST_SUITE("smoke") {
  TEST_CASE("the version string is not empty") {
    CHECK(std::string(casesync::Version()).size() > 0);
  }

  TEST_CASE("sqlite stores and reads a row in a real file") {
    const char* path = "smoke_test.db";
    std::remove(path);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "PRAGMA journal_mode=WAL;"
                       "CREATE TABLE t(x TEXT);"
                       "INSERT INTO t VALUES('hello');",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT x FROM t", -1, &stmt, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(
              sqlite3_column_text(stmt, 0))) == "hello");
    sqlite3_finalize(stmt);
    CHECK(sqlite3_close(db) == SQLITE_OK);
    std::remove(path);
  }

  TEST_CASE("json parses without exceptions") {
    auto doc = nlohmann::json::parse("{\"a\": [1, 2]}", nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    CHECK(doc["a"].size() == 2);
    CHECK(nlohmann::json::parse("{", nullptr, false).is_discarded());
  }
}
