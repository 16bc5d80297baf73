// The client replica: the local SQLite database of one client (a browser
// profile, a native client install) and the client half of the sync protocol.
//
//   confirmed tables  cases, comments, catalog, users, accounts — exactly what
//                     the server sent (pull patches)
//   overlay tables    opt_cases, opt_comments — rows as changed by pending
//                     mutations; the optimistic view is overlay ∪ confirmed
//   outbox            pending mutations, ids 1, 2, 3… per client
//   drafts            form autosave and texts rescued from rejections
//   rejections        refused mutations with their original args
//   meta              clientId, cursor, session, last sync
//
// Reads (ListCases, GetCase…) return the optimistic view. Mutate() runs the
// mutator against the view and queues the mutation in one transaction, so a
// crash leaves either both or neither. ApplyPull() applies a patch, records
// rejections, drops acknowledged mutations and rebases the rest, in one
// transaction. Rebase cost is proportional to the pending mutations, not to
// the database size.
//
// Owns its Database. Not thread-safe. No I/O besides SQLite; time comes in as
// arguments and randomness (the clientId) from the caller.
#ifndef CASESYNC_REPLICA_H_
#define CASESYNC_REPLICA_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "casesync/domain.h"
#include "casesync/mutation.h"
#include "casesync/protocol.h"
#include "casesync/sqlite.h"
#include "casesync/status.h"

namespace casesync {

// Filter and order of the case list ("Mis casos", the agent queue).
// Where a keyset page starts: the sort key of the last row already shown
// (CaseKeyOf). Each order is total, with id as the last tie-breaker:
//   kUpdatedDesc  updated_at DESC, id        value = updated_at
//   kUpdatedAsc   updated_at ASC, id         value = updated_at
//   kCreatedDesc  created_at DESC, id        value = created_at
//   kNumberDesc   number = '' first (cases the server has not numbered yet),
//                 then number DESC, created_at DESC, id
//                                            value = number, created_at too
struct CaseKey {
  std::string value;
  std::string created_at;  // kNumberDesc only
  std::string id;
};

struct CaseQuery {
  std::optional<CaseState> state;  // nullopt: every state
  std::string search;      // substring of number, subject or description
  std::string product_id;  // "" any
  enum class Order { kUpdatedDesc, kUpdatedAsc, kNumberDesc, kCreatedDesc };
  Order order = Order::kUpdatedDesc;
  int limit = -1;  // -1: all
  int offset = 0;  // OFFSET paging: every page costs the rows it skips
  // Keyset paging: the rows after this key in `order` (then `offset`, which
  // is normally 0). A deep page costs what the first one does.
  std::optional<CaseKey> after;
};

// The key of `c` in `order`, to pass as CaseQuery::after for the next page.
CaseKey CaseKeyOf(const Case& c, CaseQuery::Order order);

// A case in the list, with whether it still waits for the server.
struct CaseListItem {
  Case c;
  bool pending = false;  // changed by a mutation not yet acknowledged
};

struct StateCount {
  CaseState state;
  int64_t count;
};

// A refused mutation as kept for the user.
struct RejectionRecord {
  int64_t mutation_id = 0;
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  MutationRecord mutation;  // the original: the user's text is in its args
  std::string draft_key;    // draft created from it ("" if none)
  std::string received_at;
};

struct Draft {
  std::string key;   // "new-case", "comment:<caseId>", "followup:<mutationId>"
  std::string kind;  // "case" | "comment"
  Json value;        // the form's fields, wire names
  std::string updated_at;
};

struct SyncState {
  std::string client_id;
  std::optional<std::string> cursor;  // nullopt before the first pull
  int64_t last_mutation_id = 0;       // acknowledged by the server
  int64_t next_mutation_id = 1;
  int64_t pending = 0;          // mutations in the outbox
  std::string last_sync_at;     // "" never
  int64_t open_rejections = 0;  // not yet dismissed
};

class Replica {
 public:
  // Opens (creating and migrating if needed) the database at `path`. A new
  // database takes `new_client_id` as its clientId; an existing one keeps its
  // own. `options` lets the browser pick its VFS and journal mode.
  static Result<std::unique_ptr<Replica>> Open(const std::string& path,
                                               std::string_view new_client_id,
                                               const OpenOptions& options = {});
  ~Replica();

  // Schema version this build writes (the last migration).
  static int SchemaVersion();

  // The signed-in user (kept in meta so an offline reload still knows who it
  // is). Mutations run as this actor. Switching to another user clears the
  // confirmed and overlay tables (not the outbox of the previous user, which
  // is dropped: a device shared between users must not push one user's work
  // as another) and adopts `fresh_client_id`, so the server sees a new client
  // whose mutation ids start again at 1.
  Status SetActor(const Actor& actor, std::string_view fresh_client_id = {});
  Result<std::optional<Actor>> GetActor();
  // Opaque key/value for the embedding (e.g. the session token in a browser).
  Status SetMeta(std::string_view key, std::string_view value);
  Result<std::optional<std::string>> GetMeta(std::string_view key);

  // Runs the mutator optimistically and queues it. Returns the mutation id, or
  // the rule it broke (nothing queued, nothing changed).
  Result<int64_t> Mutate(std::string_view name, const Json& args,
                         std::string_view now);

  // Up to `max` pending mutations in id order, ready to push.
  Result<PushRequest> NextPush(size_t max = kMaxMutationsPerPush);
  // The server acknowledged everything up to `last_mutation_id` (push reply).
  // Acknowledged mutations stay in the outbox until a pull brings their
  // effect, so the optimistic view never flickers back.
  Status AcknowledgePush(int64_t last_mutation_id);
  // The server refused a push with 409 mutation_gap and expects `expected_id`
  // next: it no longer knows mutations this replica saw acknowledged (its
  // database was restored, or lost commits). Lowers the push
  // acknowledgement so NextPush() resends from `expected_id`. kNotFound when
  // the outbox no longer holds `expected_id` (a pull confirmed and dropped
  // it): those mutations cannot be resent. Nothing changes on error.
  Status RewindPush(int64_t expected_id);
  // The request for the next pull.
  Result<PullRequest> NextPull();
  // Applies one pull page (see the class comment). `now` stamps the last sync.
  Status ApplyPull(const PullResponse& pull, std::string_view now);

  // Reads of the optimistic view.
  Result<std::vector<CaseListItem>> ListCases(const CaseQuery& q);
  Result<std::vector<StateCount>> CountByState();
  Result<std::optional<CaseListItem>> GetCase(std::string_view id);
  Result<std::vector<Comment>> ListComments(std::string_view case_id);
  Result<std::vector<CatalogItem>> ListCatalog();
  Result<std::optional<User>> FindUser(std::string_view id);
  Result<std::optional<Account>> FindAccount(std::string_view id);
  Result<SyncState> GetSyncState();

  // Drafts: form autosave (never synced).
  Status SaveDraft(const Draft& d);
  Result<std::optional<Draft>> LoadDraft(std::string_view key);
  Result<std::vector<Draft>> ListDrafts();
  Status DeleteDraft(std::string_view key);

  // Rejections kept for the user, newest first, not dismissed.
  Result<std::vector<RejectionRecord>> ListRejections();
  Status DismissRejection(int64_t mutation_id);

  // The catalog as the form validators need it.
  const CatalogLookup& catalog() const;

  Database& db() { return *db_; }

 private:
  explicit Replica(std::unique_ptr<Database> db);
  Result<std::optional<std::string>> ReadMeta(std::string_view key);
  Status WriteMeta(std::string_view key, std::string_view value);
  Result<int64_t> ReadMetaInt(std::string_view key, int64_t fallback);
  // Outbox entries with id > after_id, at most max, in id order.
  Result<std::vector<MutationRecord>> Outbox(int64_t after_id, size_t max);
  Status Rebase();
  Status RecordRejection(const Rejection& r, std::string_view now);
  Status ApplyPatchOp(const PatchOp& op);

  std::unique_ptr<Database> db_;
  class ViewStore;
  std::unique_ptr<ViewStore> view_;
};

}  // namespace casesync

#endif  // CASESYNC_REPLICA_H_
