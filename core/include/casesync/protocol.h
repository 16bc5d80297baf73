// The sync protocol codec (DESIGN.md §4, docs/protocol.md): push, pull, poke
// and error bodies, to and from JSON text, with strict validation.
//
// Decoders never throw and never crash on any input: they return
// kMalformedJson, kInvalidUtf8, kTooDeep, kPayloadTooLarge, kInvalidRequest or
// kUnknownMutation with a message that names the offending field. Unknown
// top-level fields are refused (a typo must not silently drop data); mutation
// args are checked per mutation by the mutators (mutation.h).
#ifndef CASESYNC_PROTOCOL_H_
#define CASESYNC_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "casesync/domain.h"
#include "casesync/status.h"

namespace casesync {

using Json = nlohmann::json;

// Limits of one request. The server answers 413 past them.
constexpr size_t kMaxBodyBytes = 1 << 20;      // 1 MiB push body
constexpr size_t kMaxPullResponseRows = 5000;  // rows per pull page
constexpr size_t kMaxMutationsPerPush = 1000;
constexpr size_t kMaxJsonDepth = 16;
constexpr size_t kMaxStringBytes = 64 * 1024;  // any single string
constexpr size_t kMaxClientIdLength = 64;
constexpr size_t kMaxCursorLength = 256;

// The mutation names of DESIGN §4, in the order of its table.
enum class MutationName {
  kCreateCase,
  kUpdateCaseContact,
  kAddComment,
  kCancelCase,
  kAcceptSolution,
  kRejectSolution,
  kAcceptCase,
  kRequestInfo,
  kResolveCase,
  kCloseCase,
  kSetPriority,
};
const char* MutationNameString(MutationName n);  // "createCase"
std::optional<MutationName> MutationNameFromString(std::string_view s);

// Where one member of a MutationRecord's args_text lies in that text: the
// decoder's findings, so that the mutator need not scan the text again.
struct ArgsMemberIndex {
  uint32_t key_offset = 0;  // the key, between its quotes, without escapes
  uint32_t key_size = 0;
  uint32_t value_offset = 0;  // a string's bytes between its quotes, or the
  uint32_t value_size = 0;    // whole text of any other value
  uint8_t kind = 0;           // the JSON scanner's JsonKind (core/src)
  bool escaped = false;       // a string value with escapes

  bool operator==(const ArgsMemberIndex&) const = default;
};

// One mutation as queued by a client and pushed: ids start at 1 per client and
// grow by exactly 1.
struct MutationRecord {
  int64_t id = 0;
  std::string name;         // a MutationName string (checked when decoded)
  Json args;                // an object; checked by the mutator
  std::string client_time;  // ISO 8601 UTC as the client saw it
  // Set only by DecodePushRequest(text, kDeferArgs), which the server uses:
  // the args object's JSON text, checked (syntax, limits, repeated keys) but
  // not built into `args`, which stays null. ApplyMutation reads the text
  // directly; ArgsTree() builds the tree for the rarer callers that need it.
  // Building ~10 members of nlohmann objects per mutation was ~10,000 of the
  // server's ~70,000 instructions per createCase (docs/server.md "Push").
  std::string args_text;
  // Set with args_text by the same decoder pass: each member of the args
  // object, in text order. ApplyMutation then reads the members without a
  // second scan (~6,000 instructions of a createCase). Empty when a key has
  // escapes, or when args_text comes from elsewhere: the text is scanned.
  // Whoever changes args_text clears this.
  std::vector<ArgsMemberIndex> args_index;

  bool operator==(const MutationRecord&) const = default;
};

struct PushRequest {
  std::string client_id;
  std::vector<MutationRecord> mutations;  // ascending ids (checked)
};

struct PushResponse {
  int64_t last_mutation_id = 0;
};

struct PullRequest {
  std::string client_id;
  std::optional<std::string> cursor;  // nullopt: initial sync
  // A pipelined pull (docs/protocol.md §4): the client asks for the page
  // after `cursor` before it has stored the page that brought `cursor`.
  // `applied` is then the cursor it has durably applied (nullopt: none),
  // and the server treats rejections as delivered only up to `applied`.
  // Not ahead (the JSON has no "applied"): everything up to `cursor` is
  // applied.
  bool ahead = false;
  std::optional<std::string> applied{};
};

enum class PatchOpKind { kPut, kDel, kClear };

// Tables a patch may name.
inline constexpr const char* kTableCases = "cases";
inline constexpr const char* kTableComments = "comments";
inline constexpr const char* kTableCatalog = "catalog";
inline constexpr const char* kTableUsers = "users";
inline constexpr const char* kTableAccounts = "accounts";
bool IsPatchTable(std::string_view table);

// A put's row already decoded for its table, or the error its row decoder
// (CaseFromJson, …) gave: the row is refused when the patch is applied, not
// when the page is decoded (docs/protocol.md §5).
using DecodedRow = std::variant<std::monostate, Status, Case, Comment,
                                CatalogItem, User, Account>;

// put: row is the whole row (an object with at least "id").
// del: row is {"id": …}.
// clear: table "" clears every table (unknown/expired cursor), otherwise one.
// A put decoded with PullRows::kTyped carries `decoded` instead of `row`
// (row stays null); Replica::ApplyPull takes either.
struct PatchOp {
  PatchOpKind op = PatchOpKind::kPut;
  std::string table;
  Json row;
  DecodedRow decoded = {};
};

// How DecodePullResponse hands out put rows: as Json (PatchOp::row, what
// servers and tools inspect) or decoded into the table's struct
// (PatchOp::decoded, what a client applies: no Json tree is built).
enum class PullRows { kJson, kTyped };

// A mutation the server refused. It still advanced lastMutationId; the client
// keeps the original mutation so that nothing the user typed is lost.
struct Rejection {
  int64_t mutation_id = 0;
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  MutationRecord mutation;
};

struct PullResponse {
  std::string cursor;
  int64_t last_mutation_id = 0;
  std::vector<PatchOp> patch;
  std::vector<Rejection> rejections;
  bool more = false;
};

// Long-poll answer: changed tells the client to pull now.
struct PokeResponse {
  bool changed = false;
  std::string cursor;
};

// Parses `text` as JSON with the protocol's limits (size, depth, UTF-8).
// `max_bytes` bounds the input length.
Result<Json> ParseJson(std::string_view text, size_t max_bytes = kMaxBodyBytes);
// Compact JSON text. Never throws (invalid UTF-8 is replaced, though the
// decoders never let any in).
std::string DumpJson(const Json& j);

// Reads the text in one pass straight into the structs (each mutation's args
// built as Json from the same pass, or with kDeferArgs kept as checked text
// in MutationRecord::args_text); accepts and refuses exactly what
// DecodePushRequestDom does, with the same errors, and the same results once
// ArgsTree() is applied to deferred args.
enum class ArgsDecoding { kBuildTree, kDeferArgs };
Result<PushRequest> DecodePushRequest(
    std::string_view text, ArgsDecoding args = ArgsDecoding::kBuildTree);
// The args of `m` as a tree: `m.args`, or `m.args_text` parsed into
// `*storage` (and returned) when the decoder deferred them.
const Json& ArgsTree(const MutationRecord& m, Json* storage);
// The previous decoder (ParseJson into a Json document, then the grammar over
// it): the reference of the differential tests and fuzzer only.
Result<PushRequest> DecodePushRequestDom(std::string_view text);
// The two paths of DecodePushRequest with kDeferArgs, for the tests, which
// check that they agree: the fast one for the plain requests clients send
// (nullopt for anything else, refused or not), and the general one.
std::optional<PushRequest> DecodePlainPushRequest(std::string_view text);
Result<PushRequest> DecodePushRequestGeneral(std::string_view text,
                                             ArgsDecoding args);
std::string EncodePushRequest(const PushRequest& r);
Result<PushResponse> DecodePushResponse(std::string_view text);
std::string EncodePushResponse(const PushResponse& r);
Result<PullRequest> DecodePullRequest(std::string_view text);
std::string EncodePullRequest(const PullRequest& r);
// Pull responses may be large (initial sync pages): no 1 MiB limit. Reads the
// text in one pass straight into the structs (no Json document); accepts and
// refuses exactly what DecodePullResponseDom does, with the same results and
// errors.
Result<PullResponse> DecodePullResponse(std::string_view text,
                                        PullRows rows = PullRows::kJson);
// The previous decoder (ParseJson into a Json document, then the grammar over
// it): the reference of the differential tests and fuzzer only.
Result<PullResponse> DecodePullResponseDom(std::string_view text);
std::string EncodePullResponse(const PullResponse& r);
Result<PokeResponse> DecodePokeResponse(std::string_view text);
std::string EncodePokeResponse(const PokeResponse& r);

// {"error":{"code":"case_terminal","message":"…"}}; extra fields (e.g.
// expectedId for kMutationGap) go under "error".
std::string EncodeError(const Status& status, const Json& extra = Json());
// The Status carried by an error body; kInvalidRequest if not one.
Status DecodeError(std::string_view text);

// Row codecs for the patch tables (camelCase fields of DESIGN §4).
Json CaseToJson(const Case& c);
Result<Case> CaseFromJson(const Json& j);
Json CommentToJson(const Comment& c);
Result<Comment> CommentFromJson(const Json& j);
Json CatalogItemToJson(const CatalogItem& item);
Result<CatalogItem> CatalogItemFromJson(const Json& j);
Json UserToJson(const User& u);
Result<User> UserFromJson(const Json& j);
Json AccountToJson(const Account& a);
Result<Account> AccountFromJson(const Json& j);
Json MutationToJson(const MutationRecord& m);
Result<MutationRecord> MutationFromJson(const Json& j);

}  // namespace casesync

#endif  // CASESYNC_PROTOCOL_H_
