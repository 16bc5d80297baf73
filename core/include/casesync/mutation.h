// Mutators: the only code that changes a case. The same function runs
// optimistically on a client (against its replica's overlay) and
// authoritatively on the server (against the server's store), so the two can
// only disagree on what the server knows and the client does not yet.
//
// A mutator reads and writes through MutationStore, takes its actor, clock and
// derived ids from MutationEnv, checks the args strictly (types, unknown
// fields, text rules), the caller's right to see the case, the role and the
// lifecycle of DESIGN §3, and either writes every change or none: every rule
// is checked before the first write, so a rule broken leaves the store as it
// was; after a write only a storage error can follow, and then the caller
// must roll back what the store did (the replica uses a transaction; the
// server runs a push without a savepoint per mutation on the strength of
// this order, checks it, and falls back to savepoints when a mutation fails
// after writing: docs/server.md "Push").
#ifndef CASESYNC_MUTATION_H_
#define CASESYNC_MUTATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "casesync/domain.h"
#include "casesync/protocol.h"
#include "casesync/status.h"
#include "casesync/validation.h"

namespace casesync {

// What a mutator may read and write. Implemented by the client replica and by
// the server's store. Reads see the mutator's own earlier writes.
class MutationStore : public CatalogLookup {
 public:
  // nullopt when there is no such case. Visibility is checked by the mutator.
  virtual Result<std::optional<Case>> GetCase(std::string_view id) = 0;
  virtual Result<bool> CommentExists(std::string_view id) = 0;
  // nullopt when the user is unknown to this store.
  virtual Result<std::optional<User>> GetUser(std::string_view id) = 0;
  // Inserts or replaces the case row.
  virtual Status PutCase(const Case& c) = 0;
  // Inserts a new case row; kAlreadyExists, writing nothing, when its id is
  // taken. This default asks GetCase first; a store whose insert checks the
  // id anyway (the server's) overrides it to skip that extra lookup. An
  // rvalue: the mutator hands over a case it no longer needs, and the
  // server moves it into what it keeps for the transaction's later reads
  // (passed by value, it would be moved once more on the way).
  virtual Status InsertCase(Case&& c);
  virtual Status PutComment(const Comment& c) = 0;
  // The server returns the next "CS" + 7 digits in commit order; a client
  // returns "" (the number is the server's to give).
  virtual Result<std::string> NextCaseNumber() = 0;
};

struct MutationEnv {
  Actor actor;
  std::string now;        // ISO 8601 UTC: server clock, or client clock
  std::string client_id;  // for ids derived from the mutation
  int64_t mutation_id = 0;
  bool authoritative = false;  // true on the server
  // Channel of cases created by this mutation; nullopt: "agent" for staff,
  // "web" otherwise. The server's e-mail intake sets "email".
  std::optional<Channel> channel;
};

// Runs `m` against `store`. Returns OK, or the rule it broke:
// kInvalidRequest (args shape), kUnknownMutation, kValidationFailed (with the
// first field error in the message), kNotFound (no such case, or not visible
// to the actor: another account's ids look exactly like unknown ones),
// kForbidden (role), kInvalidTransition, kCaseTerminal, kAlreadyExists
// (reused create/comment id), kStorage.
Status ApplyMutation(const MutationRecord& m, const MutationEnv& env,
                     MutationStore& store);

// Field errors of a createCase's args, for a form to show per field before it
// is queued. Empty when the args would pass validation.
std::vector<FieldError> ValidateCreateCaseArgs(const Json& args,
                                               const CatalogLookup& catalog);

// Id of a comment a state-changing mutation writes (requestInfo,
// rejectSolution): derived from the mutation so that the client's optimistic
// comment and the server's have the same id. "<clientId>.<mutationId>".
std::string DerivedCommentId(std::string_view client_id, int64_t mutation_id);

// The error of MutationStore::InsertCase for a taken case id.
Status CaseIdTaken(std::string_view id);

}  // namespace casesync

#endif  // CASESYNC_MUTATION_H_
