// How cases and comments map to SQLite rows, shared by the client replica
// (replica.cpp) and the server's store (server/src/sqlite_store.cpp) so that
// both read and write the same columns in the same order.
//
// A statement that selects kCaseColumns (or kCommentColumns) starting at
// column 0 can be read with ReadCase (ReadComment); BindCase (BindComment)
// binds the same columns as parameters 1..19 (1..6) and leaves the statement
// ready for further Binds and Run(). They bind without copying
// (Statement::BindView): the row must outlive the statement's Run().
#ifndef CASESYNC_CASE_ROWS_H_
#define CASESYNC_CASE_ROWS_H_

#include "casesync/domain.h"
#include "casesync/sqlite.h"

namespace casesync {

inline constexpr const char* kCaseColumns =
    "id, number, account_id, contact_id, service_id, product_id, "
    "issue_type_id, contact_hours, contact_phone, subject, description, "
    "priority, state, channel, parent_id, created_at, updated_at, "
    "resolution_code, resolution_notes";
inline constexpr int kCaseColumnCount = 19;

inline constexpr const char* kCommentColumns =
    "id, case_id, author_id, body, visibility, created_at";
inline constexpr int kCommentColumnCount = 6;

void BindCase(Statement& s, const Case& c);
// Unknown state/channel text (never written by this code) reads as new/web.
Case ReadCase(const Statement& s);

void BindComment(Statement& s, const Comment& c);
// Unknown visibility text reads as internal (the safe side).
Comment ReadComment(const Statement& s);

}  // namespace casesync

#endif  // CASESYNC_CASE_ROWS_H_
