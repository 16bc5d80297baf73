// The storage seam of the server: everything the service reads and writes,
// as one narrow interface, so that a PostgreSQL backend can be added next to
// the SQLite one (sqlite_store.cpp) without touching the service or the
// handlers. Schema and change sequence: docs/server.md.
//
// Change sequence: every write of a row clients can see (cases, comments,
// users, accounts, catalog), every tombstone and every rejection takes the
// next value of one server-wide sequence, assigned inside the write
// transaction. Writers are serialised (BeginWrite), so sequence order is
// commit order and a pull that has read up to sequence S never misses a row
// that commits later with a lower number. (A multi-writer backend must keep
// that promise another way, e.g. by reading only below the oldest sequence
// still in flight.)
//
// Thread-safety: reads may run concurrently from any thread. BeginWrite
// blocks until no other write transaction of this process is open; the
// WriteTx is used by one thread at a time.
//
// Errors: kStorage for database failures (message from SQLite, never a
// secret), kAlreadyExists for a unique e-mail/name clash, kNotFound where
// noted.
#ifndef CASESYNC_SERVER_STORE_H_
#define CASESYNC_SERVER_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casesync/domain.h"
#include "casesync/mutation.h"
#include "casesync/protocol.h"
#include "casesync/status.h"

namespace casesync::server {

// A user with what only the server knows.
struct UserRecord {
  User user;  // e-mail stored lower-case
  std::string password_hash;
  bool must_change_password = false;
};

struct AccountRecord {
  Account account;
  bool pending = false;  // created by a registration from an unknown domain
};

struct SessionRecord {
  std::string id;          // safe to log
  std::string token_hash;  // TokenHash(token), hex
  std::string user_id;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  bool remember = false;
  bool revoked = false;
};

// A sync client (one browser profile or device install).
struct ClientRecord {
  std::string id;
  std::string user_id;  // who first used it; nobody else may
  int64_t last_mutation_id = 0;
  // The sequence head after the last push that moved last_mutation_id, and
  // the id and head before it: a pull page that stops below last_push_seq
  // reports prev_mutation_id (or 0), so that a client never drops a pending
  // mutation whose effect is still in a later page.
  int64_t last_push_seq = 0;
  int64_t prev_mutation_id = 0;
  int64_t prev_push_seq = 0;
};

// A queued outbound e-mail (sent later by the mail part). The body may hold
// a secret (reset token, temporary password): it never goes to a log.
struct Notification {
  std::string kind;  // "password_reset", "account_exists", ...
  std::string to;
  std::string subject;
  std::string body;
  std::string case_id;  // "" when not about a case
  // Added by the mail part (server/src/mail/, docs/mail.md):
  std::string message_id;   // ours, without <>; "" → given by the sender
  std::string in_reply_to;  // the customer's message this answers, or ""
};

// A notification waiting in the queue, with its delivery state.
struct QueuedNotification {
  int64_t id = 0;
  Notification n;
  int attempts = 0;
};

// What the sender learned about one queued notification.
struct NotificationDelivery {
  int64_t id = 0;
  std::string message_id;  // persisted before the first attempt
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error;  // never a secret
  std::string sent_at;     // "" while unsent; set → body blanked
  bool failed = false;     // gave up (or bounced): never sent again
  // Keep the body after sending (outbox mode: the .eml file in DATA/outbox
  // holds it anyway, and tests read the queue).
  bool keep_body = false;
};

// One received e-mail, by Message-ID (the MTA may deliver twice).
struct InboundMail {
  std::string message_id;
  std::string from;
  std::string outcome;  // "case_created", "comment_added", "ignored_bounce"...
  std::string case_id;  // "" when none
  std::string received_at;
};

// Who may see what a write transaction changed: the poke registry wakes the
// waiters this may concern.
struct ChangeSet {
  bool everyone = false;           // catalog, users or accounts changed
  bool any = false;                // something visible to staff changed
  std::set<std::string> accounts;  // public changes of these accounts' cases
  std::set<std::string> contacts;  // ... of cases with these contacts
  std::set<std::string> users;     // rejections for clients of these users
  int64_t head = 0;                // sequence head after the commit
};

// One page of changes visible to a reader, read in one snapshot.
struct ChangePage {
  // The patch ops as JSON text, comma-separated, without the brackets:
  // {"op":"del"|"put","row":{…},"table":"…"} each, del ops first, then puts
  // (rows written straight from the columns; see json_writer.h).
  std::string patch_json;
  size_t op_count = 0;
  int64_t last_seq = 0;  // every visible change <= this is in the page
  bool more = false;     // changes after last_seq remain
  int64_t head = 0;      // the sequence head of the snapshot
  std::optional<ClientRecord> client;   // read in the same snapshot
  std::vector<Rejection> rejections;    // undelivered, of that client
  std::vector<int64_t> rejection_seqs;  // the sequence of each rejection
};

// One write transaction; rolls back when destroyed without Commit(). Holds
// the process's writer lock for its whole life.
class WriteTx {
 public:
  virtual ~WriteTx() = default;

  // The server tables as the mutators' store (reads see this transaction's
  // writes; NextCaseNumber counts in commit order).
  virtual MutationStore& mutations() = 0;
  // Runs `body` in a savepoint; a non-OK result rolls back what it wrote
  // (sequence and case counters included) and is returned.
  virtual Status InSavepoint(const std::function<Status()>& body) = 0;
  // Runs `body` without a savepoint, for a push's mutations: the mutators
  // check every rule before their first write, so a rejected mutation has
  // written nothing and there is nothing to roll back. A non-OK result is
  // returned with the sequence and case counters restored, as InSavepoint
  // does, when no row was changed. When `body` fails after changing a row,
  // that change cannot be undone here: `*partial` is set, the transaction
  // refuses to commit (kInternal), and the caller must drop it and run the
  // work again with InSavepoint.
  virtual Status WithoutSavepoint(const std::function<Status()>& body,
                                  bool* partial) = 0;

  virtual Result<std::optional<ClientRecord>> GetClient(
      std::string_view id) = 0;
  virtual Status PutClient(const ClientRecord& c) = 0;
  virtual Status AddRejection(std::string_view client_id,
                              std::string_view user_id, const Rejection& r) = 0;
  // Marks the client's rejections with sequence <= seq delivered.
  virtual Status MarkRejectionsDelivered(std::string_view client_id,
                                         int64_t seq) = 0;

  // Accounts and users (each write bumps the sequence).
  virtual Status PutAccount(const AccountRecord& a) = 0;
  virtual Status PutUser(const UserRecord& u) = 0;
  virtual Result<std::optional<UserRecord>> FindUserByEmail(
      std::string_view email) = 0;
  // Not a visible change: no sequence bump.
  virtual Status SetPassword(std::string_view user_id, std::string_view hash,
                             bool must_change) = 0;
  virtual Status PutCatalogItem(const CatalogItem& item) = 0;

  virtual Status InsertSession(const SessionRecord& s) = 0;
  virtual Status ExtendSession(std::string_view id, int64_t expires_ms) = 0;
  virtual Status RevokeSession(std::string_view id) = 0;
  // Revokes every session of the user except `keep_id` ("" keeps none).
  virtual Status RevokeUserSessions(std::string_view user_id,
                                    std::string_view keep_id) = 0;

  // Throttle keys: "email:<address>", "addr:<ip>", "register:<ip>"...
  virtual Status RecordAttempt(std::string_view key, int64_t at_ms,
                               bool ok) = 0;
  virtual Status ClearFailures(std::string_view key) = 0;
  // Drops attempts older than `before_ms`.
  virtual Status PruneAttempts(int64_t before_ms) = 0;

  virtual Status InsertResetToken(std::string_view token_hash,
                                  std::string_view user_id, int64_t created_ms,
                                  int64_t expires_ms) = 0;
  // The user of an unused, unexpired token, which is marked used; nullopt
  // otherwise.
  virtual Result<std::optional<std::string>> ConsumeResetToken(
      std::string_view token_hash, int64_t now_ms) = 0;

  virtual Status EnqueueNotification(const Notification& n,
                                     std::string_view created_at) = 0;

  // ---- mail (server/src/mail/, docs/mail.md) ----
  virtual Status UpdateNotificationDelivery(const NotificationDelivery& d) = 0;
  // Marks the notification with this Message-ID failed (a bounce); no-op
  // when it is not ours.
  virtual Status MarkNotificationBounced(std::string_view message_id,
                                         std::string_view error) = 0;
  virtual Result<std::optional<InboundMail>> GetInboundMail(
      std::string_view message_id) = 0;
  virtual Status PutInboundMail(const InboundMail& m) = 0;
  // The case of one of our notifications or of a message we received, by
  // Message-ID (threading); nullopt when unknown.
  virtual Result<std::optional<std::string>> FindCaseIdByMessageId(
      std::string_view message_id) = 0;
  virtual Result<std::optional<Case>> FindCaseByNumber(
      std::string_view number) = 0;
  virtual Status SetMeta(std::string_view key, std::string_view value) = 0;
  virtual Result<std::optional<std::string>> GetMeta(std::string_view key) = 0;

  // What this transaction changed so far (valid after Commit, too).
  virtual const ChangeSet& changes() const = 0;
  virtual Status Commit() = 0;
};

// WAL checkpoints run since the store opened (SQLite store; /metrics).
struct WalCheckpoints {
  int64_t background = 0;  // passes on the store's own thread
  int64_t in_commit = 0;   // passes inside a commit (the tail or fallback)
};

class Store {
 public:
  virtual ~Store() = default;

  virtual WalCheckpoints Checkpoints() const { return {}; }

  // Blocks until this process has no other write transaction open.
  virtual Result<std::unique_ptr<WriteTx>> BeginWrite() = 0;

  // ---- reads (any thread) ----
  virtual Result<std::optional<UserRecord>> FindUserByEmail(
      std::string_view email) = 0;
  virtual Result<std::optional<UserRecord>> GetUser(std::string_view id) = 0;
  virtual Result<std::vector<UserRecord>> ListUsers() = 0;
  // The session of a token hash with its user, revoked or not.
  virtual Result<std::optional<std::pair<SessionRecord, UserRecord>>>
  FindSession(std::string_view token_hash) = 0;
  virtual Result<int64_t> CountFailures(std::string_view key,
                                        int64_t since_ms) = 0;
  // All attempts (ok or not) since `since_ms` (registration throttle).
  virtual Result<int64_t> CountAttempts(std::string_view key,
                                        int64_t since_ms) = 0;
  virtual Result<std::optional<AccountRecord>> FindAccountByName(
      std::string_view name) = 0;
  virtual Result<std::optional<AccountRecord>> GetAccount(
      std::string_view id) = 0;
  // The active account that trusts `domain` (lower case), if any.
  virtual Result<std::optional<AccountRecord>> FindAccountForDomain(
      std::string_view domain) = 0;
  virtual Result<std::vector<CatalogItem>> ListCatalog() = 0;
  virtual Result<std::optional<ClientRecord>> GetClient(
      std::string_view id) = 0;
  virtual Result<std::optional<std::string>> GetMeta(std::string_view key) = 0;
  virtual Result<std::vector<Notification>> ListNotifications() = 0;
  // ---- mail (server/src/mail/) ----
  // Unsent, not failed notifications due at `now_ms`, oldest first.
  virtual Result<std::vector<QueuedNotification>> DueNotifications(
      int64_t now_ms, size_t limit) = 0;
  // Whether a notification of `kind` about `case_id` was queued at or after
  // `since` (ISO time).
  virtual Result<bool> HasNotification(std::string_view kind,
                                       std::string_view case_id,
                                       std::string_view since) = 0;
  // Up to `limit` cases in `state` last updated before `updated_before`.
  virtual Result<std::vector<Case>> ListCasesInState(
      CaseState state, std::string_view updated_before, size_t limit) = 0;

  // Up to `max_rows` changes visible to `reader` with sequence > after_seq,
  // in one snapshot with the client row and its undelivered rejections
  // (client_id may be empty). Tombstones become del ops when after_seq > 0.
  virtual Result<ChangePage> ReadChanges(const Actor& reader, int64_t after_seq,
                                         size_t max_rows,
                                         std::string_view client_id) = 0;
  // Whether any change visible to `reader` has sequence > after_seq.
  virtual Result<bool> HasChangesAfter(const Actor& reader,
                                       int64_t after_seq) = 0;
  virtual Result<int64_t> Head() = 0;
  // Grows after every committed write transaction of this process that
  // revoked a session or changed a user (password, role, status...). A
  // session cached while it read G is stale once this differs from G; read
  // it before loading the session. Writes of other processes (admin) do not
  // move it.
  virtual uint64_t AuthGeneration() const = 0;
  // "ok" or SQLite's list of problems.
  virtual Result<std::string> IntegrityCheck() = 0;
};

struct SqliteStoreOptions {
  std::string path;                  // the database file
  std::string synchronous = "FULL";  // or "NORMAL"
};

// Opens (creating and migrating) the SQLite store at options.path, in WAL
// mode.
Result<std::unique_ptr<Store>> OpenSqliteStore(
    const SqliteStoreOptions& options);

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_STORE_H_
