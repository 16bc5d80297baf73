// Schema of the client replica (replica.h), as numbered migrations. Append
// only: a shipped migration is never edited. docs/replica.md describes the
// tables.
#ifndef CASESYNC_REPLICA_SCHEMA_INTERNAL_H_
#define CASESYNC_REPLICA_SCHEMA_INTERNAL_H_

#include <span>

#include "casesync/sqlite.h"

namespace casesync::replica_schema {

inline constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE cases(
  id TEXT PRIMARY KEY, number TEXT NOT NULL, account_id TEXT NOT NULL,
  contact_id TEXT NOT NULL, service_id TEXT NOT NULL,
  product_id TEXT NOT NULL, issue_type_id TEXT NOT NULL,
  contact_hours TEXT NOT NULL, contact_phone TEXT NOT NULL,
  subject TEXT NOT NULL, description TEXT NOT NULL,
  priority INTEGER NOT NULL, state TEXT NOT NULL, channel TEXT NOT NULL,
  parent_id TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL, resolution_code TEXT NOT NULL,
  resolution_notes TEXT NOT NULL);
CREATE INDEX cases_state_updated ON cases(state, updated_at);
CREATE INDEX cases_updated ON cases(updated_at);

CREATE TABLE opt_cases(
  id TEXT PRIMARY KEY, number TEXT NOT NULL, account_id TEXT NOT NULL,
  contact_id TEXT NOT NULL, service_id TEXT NOT NULL,
  product_id TEXT NOT NULL, issue_type_id TEXT NOT NULL,
  contact_hours TEXT NOT NULL, contact_phone TEXT NOT NULL,
  subject TEXT NOT NULL, description TEXT NOT NULL,
  priority INTEGER NOT NULL, state TEXT NOT NULL, channel TEXT NOT NULL,
  parent_id TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL, resolution_code TEXT NOT NULL,
  resolution_notes TEXT NOT NULL);

CREATE TABLE comments(
  id TEXT PRIMARY KEY, case_id TEXT NOT NULL, author_id TEXT NOT NULL,
  body TEXT NOT NULL, visibility TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX comments_case ON comments(case_id, created_at);
CREATE TABLE opt_comments(
  id TEXT PRIMARY KEY, case_id TEXT NOT NULL, author_id TEXT NOT NULL,
  body TEXT NOT NULL, visibility TEXT NOT NULL, created_at TEXT NOT NULL);

CREATE TABLE catalog(
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, parent_id TEXT NOT NULL,
  name TEXT NOT NULL, sort INTEGER NOT NULL, active INTEGER NOT NULL);
CREATE TABLE users(
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, email TEXT NOT NULL,
  name TEXT NOT NULL, phone TEXT NOT NULL, role TEXT NOT NULL,
  status TEXT NOT NULL);
CREATE TABLE accounts(
  id TEXT PRIMARY KEY, name TEXT NOT NULL, tax_id TEXT NOT NULL,
  domains TEXT NOT NULL);

CREATE TABLE outbox(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL,
  client_time TEXT NOT NULL);
CREATE TABLE drafts(
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE rejections(
  mutation_id INTEGER PRIMARY KEY, code TEXT NOT NULL, message TEXT NOT NULL,
  name TEXT NOT NULL, args TEXT NOT NULL, client_time TEXT NOT NULL,
  draft_key TEXT NOT NULL, received_at TEXT NOT NULL);
)sql"},
    // v2: the optimistic view as one relation, lookups by number, and
    // dismissing a rejection without deleting the user's text.
    {2, R"sql(
CREATE VIEW view_cases AS
  SELECT id, number, account_id, contact_id, service_id, product_id,
         issue_type_id, contact_hours, contact_phone, subject, description,
         priority, state, channel, parent_id, created_at, updated_at,
         resolution_code, resolution_notes, 1 AS pending
    FROM opt_cases
  UNION ALL
  SELECT id, number, account_id, contact_id, service_id, product_id,
         issue_type_id, contact_hours, contact_phone, subject, description,
         priority, state, channel, parent_id, created_at, updated_at,
         resolution_code, resolution_notes, 0 AS pending
    FROM cases WHERE id NOT IN (SELECT id FROM opt_cases);
CREATE VIEW view_comments AS
  SELECT id, case_id, author_id, body, visibility, created_at FROM opt_comments
  UNION ALL
  SELECT id, case_id, author_id, body, visibility, created_at FROM comments
    WHERE id NOT IN (SELECT id FROM opt_comments);
CREATE INDEX cases_number ON cases(number);
ALTER TABLE rejections ADD COLUMN dismissed INTEGER NOT NULL DEFAULT 0;
)sql"},
};

inline std::span<const Migration> Migrations() { return kMigrations; }

}  // namespace casesync::replica_schema

#endif  // CASESYNC_REPLICA_SCHEMA_INTERNAL_H_
