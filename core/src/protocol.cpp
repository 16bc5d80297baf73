// The sync protocol codec. docs/protocol.md is the grammar; the decoders below
// follow it message by message.
//
// Exception-free by construction (the wasm build has no exceptions and
// defines JSON_NOEXCEPTION): text is parsed with allow_exceptions=false, every
// value's type is checked before get<>(), and lookups use find() on const
// values, never at() or operator[] on a missing key.
#include "casesync/protocol.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casesync/validation.h"
#include "json_members_internal.h"
#include "json_scanner_internal.h"

namespace casesync {
namespace {

// ---------------------------------------------------------------------------
// Messages

// Longest piece of client input echoed back in an error message.
constexpr size_t kMaxEchoBytes = 48;
// Longest error message built from the JSON parser's description.
constexpr size_t kMaxParseMessageBytes = 240;

// The first `max_bytes` of `s`, cut at a code point boundary.
std::string Utf8Prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "…";
}

// `"value"`, shortened: client input may be up to kMaxStringBytes long.
std::string Quote(std::string_view value) {
  return "\"" + Utf8Prefix(value, kMaxEchoBytes) + "\"";
}

std::string JoinPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

// Built in place: every pushed mutation gets one ("mutations[12]", short
// enough not to allocate), although it is read only in an error.
std::string IndexPath(std::string_view path, size_t index) {
  char digits[24];
  char* end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  std::string out;
  out.reserve(path.size() + static_cast<size_t>(end - digits) + 2);
  out.append(path).append(1, '[').append(digits, end).append(1, ']');
  return out;
}

// "clientId: expected a string"; just the problem at the top level.
Status Invalid(std::string_view path, std::string_view problem) {
  if (path.empty())
    return Status(ErrorCode::kInvalidRequest, std::string(problem));
  return Status(ErrorCode::kInvalidRequest,
                std::string(path) + ": " + std::string(problem));
}

// ---------------------------------------------------------------------------
// Field readers: decoders read like the grammar in docs/protocol.md.

// Reads the fields of one JSON object, naming them by their path
// ("mutations[2].clientTime") in errors. Precondition: obj is an object.
// Object is Json (a document) or SpanObject (the fast pull decoder's rows):
// the same grammar code reads both, so both read the same way.
template <typename Object>
class BasicFieldReader {
 public:
  BasicFieldReader(const Object& obj, std::string path)
      : obj_(obj), path_(std::move(path)) {}

  std::string PathOf(std::string_view key) const {
    return JoinPath(path_, key);
  }

  // nullptr when the field is absent.
  auto Find(const char* key) const { return FindMember(obj_, key); }

  // Refuses any field not in `known` (a typo must not silently drop data).
  // Json objects only.
  Status OnlyFields(std::initializer_list<std::string_view> known) const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      const std::string& key = it.key();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return Invalid(path_, "unknown field " + Quote(key));
      }
    }
    return Status::Ok();
  }

  template <typename Value>
  Status Require(const char* key, const Value** out) const {
    *out = Find(key);
    if (*out == nullptr) return Invalid(PathOf(key), "required");
    return Status::Ok();
  }

  Status RequireString(const char* key, std::string* out) const {
    auto v = Find(key);
    if (v == nullptr) return Invalid(PathOf(key), "required");
    return ReadString(key, *v, out);
  }

  // Absent leaves `out` unchanged (the type's default).
  Status OptionalString(const char* key, std::string* out) const {
    auto v = Find(key);
    return v == nullptr ? Status::Ok() : ReadString(key, *v, out);
  }

  // Absent or null read as "".
  Status OptionalNullableString(const char* key, std::string* out) const {
    auto v = Find(key);
    if (v == nullptr || IsNull(*v)) {
      out->clear();
      return Status::Ok();
    }
    return ReadString(key, *v, out);
  }

  Status RequireNonEmptyString(const char* key, std::string* out) const {
    CASESYNC_RETURN_IF_ERROR(RequireString(key, out));
    if (out->empty()) return Invalid(PathOf(key), "must not be empty");
    return Status::Ok();
  }

  // An integer in [min, max]; integers beyond int64 are refused, floats too.
  Status RequireInt64(const char* key, int64_t min, int64_t max,
                      int64_t* out) const {
    auto v = Find(key);
    if (v == nullptr) return Invalid(PathOf(key), "required");
    return ReadInt64(key, *v, min, max, out);
  }

  Status OptionalInt(const char* key, int min, int max, int* out) const {
    auto v = Find(key);
    if (v == nullptr) return Status::Ok();
    int64_t value = 0;
    CASESYNC_RETURN_IF_ERROR(ReadInt64(key, *v, min, max, &value));
    *out = static_cast<int>(value);
    return Status::Ok();
  }

  Status RequireBool(const char* key, bool* out) const {
    auto v = Find(key);
    if (v == nullptr) return Invalid(PathOf(key), "required");
    return ReadBool(key, *v, out);
  }

  Status OptionalBool(const char* key, bool* out) const {
    auto v = Find(key);
    return v == nullptr ? Status::Ok() : ReadBool(key, *v, out);
  }

  Status RequireObject(const char* key, const Json** out) const {
    CASESYNC_RETURN_IF_ERROR(Require(key, out));
    if (!(*out)->is_object()) return Invalid(PathOf(key), "expected an object");
    return Status::Ok();
  }

  Status RequireArray(const char* key, const Json** out) const {
    CASESYNC_RETURN_IF_ERROR(Require(key, out));
    if (!(*out)->is_array()) return Invalid(PathOf(key), "expected an array");
    return Status::Ok();
  }

  // A wire name of an enum, mapped by kFromName (e.g. CaseStateFromName).
  // Absent leaves `out` unchanged; an unknown name is refused. kFromName is a
  // template argument so that it is called directly: passed as a function
  // pointer, clang 14 for wasm (emsdk 3.1.6) links it with a wrong signature
  // and the call traps.
  template <auto kFromName, typename Enum>
  Status OptionalEnum(const char* key, Enum* out) const {
    auto v = Find(key);
    if (v == nullptr) return Status::Ok();
    std::string name;
    CASESYNC_RETURN_IF_ERROR(ReadString(key, *v, &name));
    std::optional<Enum> value = kFromName(name);
    if (!value) return Invalid(PathOf(key), "unknown value " + Quote(name));
    *out = *value;
    return Status::Ok();
  }

 private:
  template <typename Value>
  Status ReadString(const char* key, const Value& v, std::string* out) const {
    if (!IsString(v)) return Invalid(PathOf(key), "expected a string");
    GetString(v, out);
    return Status::Ok();
  }

  template <typename Value>
  Status ReadInt64(const char* key, const Value& v, int64_t min, int64_t max,
                   int64_t* out) const {
    JsonInteger n = GetInteger(v);
    if (!n.is_integer) return Invalid(PathOf(key), "expected an integer");
    // Unsigned JSON integers above INT64_MAX do not fit.
    if (n.is_unsigned &&
        n.unsigned_value >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Invalid(PathOf(key), "out of range");
    }
    int64_t value = n.value;
    if (value < min || value > max) {
      return Invalid(PathOf(key), "must be between " + std::to_string(min) +
                                      " and " + std::to_string(max));
    }
    *out = value;
    return Status::Ok();
  }

  template <typename Value>
  Status ReadBool(const char* key, const Value& v, bool* out) const {
    std::optional<bool> b = GetBool(v);
    if (!b) return Invalid(PathOf(key), "expected a boolean");
    *out = *b;
    return Status::Ok();
  }

  const Object& obj_;
  std::string path_;
};

using FieldReader = BasicFieldReader<Json>;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// ---------------------------------------------------------------------------
// Parsing

// Whether `text` nests arrays and objects deeper than `limit`. A linear scan
// that skips strings; it runs before the parser so that no deep input ever
// reaches it.
bool NestsDeeperThan(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    char c = text[pos];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      } else {
        // Skip to the string's next quote or backslash.
        pos = SkipPlainStringBytes(text, pos + 1) - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > limit) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

Status TooDeep() {
  return Status(ErrorCode::kTooDeep, "arrays and objects nest deeper than " +
                                         std::to_string(kMaxJsonDepth) +
                                         " levels");
}

// Checks 1 and 2 of docs/protocol.md §1: length, UTF-8.
Status CheckSizeAndUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "the body is " + std::to_string(text.size()) +
                      " bytes, over the limit of " + std::to_string(max_bytes));
  }
  if (!IsValidUtf8(text)) {
    return Status(ErrorCode::kInvalidUtf8, "the body is not valid UTF-8");
  }
  // No raw NUL in JSON text (inside a string it is written \u0000).
  // nlohmann's lexer reads one where a token may start as the end of the
  // input, which accepted "{…}\0anything" with the rest unread.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status(ErrorCode::kMalformedJson,
                  "a NUL byte at offset " + std::to_string(nul) +
                      " (JSON text has none; in a string it is \\u0000)");
  }
  return Status::Ok();
}

// Checks 1 to 3 of docs/protocol.md §1, before any parser sees the text:
// length, UTF-8, depth.
Status CheckText(std::string_view text, size_t max_bytes) {
  CASESYNC_RETURN_IF_ERROR(CheckSizeAndUtf8(text, max_bytes));
  if (NestsDeeperThan(text, kMaxJsonDepth)) return TooDeep();
  return Status::Ok();
}

// Checks what the grammar does not: no string (key or value) longer than
// kMaxStringBytes, no key twice in one object. Fed by the parser's callback;
// keeps the first problem.
class ParseLimits {
 public:
  void OnEvent(Json::parse_event_t event, const Json& parsed) {
    if (!problem_.ok()) return;
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects_.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects_.empty()) open_objects_.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!parsed.is_string()) break;
        CheckString(parsed);
        if (!open_objects_.empty() &&
            !open_objects_.back().insert(parsed.get<std::string>()).second) {
          problem_ =
              Invalid("", "duplicate key " + Quote(parsed.get<std::string>()));
        }
        break;
      case Json::parse_event_t::value:
        if (parsed.is_string()) CheckString(parsed);
        break;
      default:
        break;
    }
  }

  const Status& problem() const { return problem_; }

 private:
  void CheckString(const Json& s) {
    size_t size = s.get_ref<const std::string&>().size();
    if (size > kMaxStringBytes) {
      problem_ = Status(ErrorCode::kPayloadTooLarge,
                        "a string of " + std::to_string(size) +
                            " bytes is over the limit of " +
                            std::to_string(kMaxStringBytes));
    }
  }

  std::vector<std::set<std::string>> open_objects_;  // keys seen, per level
  Status problem_;
};

// Records where and why nlohmann's parser gave up; used on a second pass
// over text the first pass refused, so the success path pays nothing.
class ParseErrorRecorder : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    message_ = Describe(position, last_token, ex.what());
    return false;
  }

  const std::string& message() const { return message_; }

 private:
  // nlohmann's description without its "[json.exception.…] " id and with
  // the offending token shortened (it may be a whole 1 MiB string).
  static std::string Describe(size_t position, const std::string& last_token,
                              std::string_view what) {
    if (!what.empty() && what.front() == '[') {
      size_t close = what.find("] ");
      if (close != std::string_view::npos) what.remove_prefix(close + 2);
    }
    std::string reason(what);
    if (last_token.size() > kMaxEchoBytes) {
      std::string needle = "'" + last_token + "'";
      size_t at = reason.find(needle);
      if (at != std::string::npos) {
        reason.replace(at, needle.size(),
                       "'" + Utf8Prefix(last_token, kMaxEchoBytes) + "'");
      }
    }
    // "parse error at line 1, column 9: …" already says where.
    constexpr std::string_view kParseError = "parse error ";
    std::string where = "at byte " + std::to_string(position) + ": ";
    if (std::string_view(reason).substr(0, kParseError.size()) == kParseError) {
      reason.erase(0, kParseError.size());
      where.clear();
    }
    return Utf8Prefix("malformed JSON " + where + reason,
                      kMaxParseMessageBytes);
  }

  std::string message_ = "malformed JSON";
};

Status MalformedJson(std::string_view text) {
  ParseErrorRecorder recorder;
  Json::sax_parse(text.begin(), text.end(), &recorder);
  return Status(ErrorCode::kMalformedJson, recorder.message());
}

// Parses a whole message body that must be a JSON object.
Result<Json> ParseObject(std::string_view text, size_t max_bytes) {
  CASESYNC_ASSIGN_OR_RETURN(Json doc, ParseJson(text, max_bytes));
  if (!doc.is_object()) {
    return Status(ErrorCode::kInvalidRequest, "the body must be a JSON object");
  }
  return doc;
}

// ---------------------------------------------------------------------------
// Protocol values

// 1..kMaxClientIdLength characters of [A-Za-z0-9_-].
bool IsValidClientId(std::string_view id) {
  if (id.empty() || id.size() > kMaxClientIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

template <typename Object>
Status ReadClientId(const BasicFieldReader<Object>& f, std::string* out) {
  CASESYNC_RETURN_IF_ERROR(f.RequireString("clientId", out));
  if (!IsValidClientId(*out)) {
    return Invalid("clientId", "must be 1 to " +
                                   std::to_string(kMaxClientIdLength) +
                                   " characters of A-Z a-z 0-9 _ -");
  }
  return Status::Ok();
}

Status CheckCursorLength(std::string_view path, const std::string& cursor) {
  if (cursor.size() > kMaxCursorLength) {
    return Invalid(
        path, "longer than " + std::to_string(kMaxCursorLength) + " bytes");
  }
  return Status::Ok();
}

struct MutationNameEntry {
  MutationName name;
  const char* wire;
};
constexpr std::array<MutationNameEntry, 11> kMutationNames = {{
    {MutationName::kCreateCase, "createCase"},
    {MutationName::kUpdateCaseContact, "updateCaseContact"},
    {MutationName::kAddComment, "addComment"},
    {MutationName::kCancelCase, "cancelCase"},
    {MutationName::kAcceptSolution, "acceptSolution"},
    {MutationName::kRejectSolution, "rejectSolution"},
    {MutationName::kAcceptCase, "acceptCase"},
    {MutationName::kRequestInfo, "requestInfo"},
    {MutationName::kResolveCase, "resolveCase"},
    {MutationName::kCloseCase, "closeCase"},
    {MutationName::kSetPriority, "setPriority"},
}};

constexpr std::array<const char*, 5> kPatchTables = {
    kTableCases, kTableComments, kTableCatalog, kTableUsers, kTableAccounts};

// mutation := {id: int64 >= 1, name: MutationName, args: object,
//              clientTime: ISO 8601 UTC}
Status DecodeMutation(const Json& j, const std::string& path,
                      MutationRecord* m) {
  if (!j.is_object()) return Invalid(path, "expected an object");
  FieldReader f(j, path);
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields({"id", "name", "args", "clientTime"}));
  CASESYNC_RETURN_IF_ERROR(f.RequireInt64("id", 1, kInt64Max, &m->id));
  CASESYNC_RETURN_IF_ERROR(f.RequireString("name", &m->name));
  if (!MutationNameFromString(m->name)) {
    return Status(ErrorCode::kUnknownMutation,
                  f.PathOf("name") + ": unknown mutation " + Quote(m->name));
  }
  const Json* args = nullptr;
  CASESYNC_RETURN_IF_ERROR(f.RequireObject("args", &args));
  m->args = *args;
  CASESYNC_RETURN_IF_ERROR(f.RequireString("clientTime", &m->client_time));
  if (!ParseIsoTime(m->client_time)) {
    return Invalid(f.PathOf("clientTime"), "expected an ISO 8601 UTC time");
  }
  return Status::Ok();
}

// The ids of one push grow by exactly 1.
Status CheckMutationIds(const std::vector<MutationRecord>& mutations) {
  for (size_t i = 1; i < mutations.size(); ++i) {
    if (mutations[i].id != mutations[i - 1].id + 1) {
      return Invalid(IndexPath("mutations", i) + ".id",
                     "expected " + std::to_string(mutations[i - 1].id + 1) +
                         ": ids grow by exactly 1");
    }
  }
  return Status::Ok();
}

// row of put/del := {id: non-empty string, ...}
Status DecodePatchRow(const Json& j, const std::string& path, Json* row) {
  if (!j.is_object()) return Invalid(path, "expected an object");
  std::string id;
  CASESYNC_RETURN_IF_ERROR(
      FieldReader(j, path).RequireNonEmptyString("id", &id));
  *row = j;
  return Status::Ok();
}

// patchOp := {op: "put", table: Table, row: object}
//          | {op: "del", table: Table, row: {id}}
//          | {op: "clear", table?: Table | ""}
Status DecodePatchOp(const Json& j, const std::string& path, PatchOp* op) {
  if (!j.is_object()) return Invalid(path, "expected an object");
  FieldReader f(j, path);
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields({"op", "table", "row"}));
  std::string kind;
  CASESYNC_RETURN_IF_ERROR(f.RequireString("op", &kind));
  if (kind == "clear") {
    op->op = PatchOpKind::kClear;
    op->table.clear();
    CASESYNC_RETURN_IF_ERROR(f.OptionalString("table", &op->table));
    if (!op->table.empty() && !IsPatchTable(op->table)) {
      return Invalid(f.PathOf("table"), "unknown table " + Quote(op->table));
    }
    const Json* row = f.Find("row");
    if (row != nullptr && !row->is_null()) {
      return Invalid(f.PathOf("row"), "a clear has no row");
    }
    op->row = Json();
    return Status::Ok();
  }
  if (kind == "put") {
    op->op = PatchOpKind::kPut;
  } else if (kind == "del") {
    op->op = PatchOpKind::kDel;
  } else {
    return Invalid(f.PathOf("op"), "expected put, del or clear");
  }
  CASESYNC_RETURN_IF_ERROR(f.RequireString("table", &op->table));
  if (!IsPatchTable(op->table)) {
    return Invalid(f.PathOf("table"), "unknown table " + Quote(op->table));
  }
  const Json* row = nullptr;
  CASESYNC_RETURN_IF_ERROR(f.Require("row", &row));
  return DecodePatchRow(*row, f.PathOf("row"), &op->row);
}

// Codes that are not errors of this registry (a newer server, or "ok") read
// as kInternal; the message is kept so the user still sees it.
ErrorCode ErrorCodeOrInternal(std::string_view name) {
  std::optional<ErrorCode> code = ErrorCodeFromName(name);
  if (!code || *code == ErrorCode::kOk) return ErrorCode::kInternal;
  return *code;
}

// rejection := {mutationId: int64 >= 1, code: string, message: string,
//               mutation: mutation}   with mutation.id == mutationId
Status DecodeRejection(const Json& j, const std::string& path, Rejection* r) {
  if (!j.is_object()) return Invalid(path, "expected an object");
  FieldReader f(j, path);
  CASESYNC_RETURN_IF_ERROR(
      f.OnlyFields({"mutationId", "code", "message", "mutation"}));
  CASESYNC_RETURN_IF_ERROR(
      f.RequireInt64("mutationId", 1, kInt64Max, &r->mutation_id));
  std::string code;
  CASESYNC_RETURN_IF_ERROR(f.RequireString("code", &code));
  r->code = ErrorCodeOrInternal(code);
  CASESYNC_RETURN_IF_ERROR(f.RequireString("message", &r->message));
  const Json* mutation = nullptr;
  CASESYNC_RETURN_IF_ERROR(f.Require("mutation", &mutation));
  CASESYNC_RETURN_IF_ERROR(
      DecodeMutation(*mutation, f.PathOf("mutation"), &r->mutation));
  if (r->mutation.id != r->mutation_id) {
    return Invalid(f.PathOf("mutationId"), "differs from mutation.id");
  }
  return Status::Ok();
}

// Decodes every element of the array `items` with `decode`, naming each by
// its index under `path`.
template <typename T, typename Decode>
Status DecodeEach(const Json& items, const std::string& path, Decode decode,
                  std::vector<T>* out) {
  out->clear();
  out->reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    T item;
    CASESYNC_RETURN_IF_ERROR(decode(items[i], IndexPath(path, i), &item));
    out->push_back(std::move(item));
  }
  return Status::Ok();
}

Json NullIfEmpty(const std::string& s) { return s.empty() ? Json() : Json(s); }

// The row grammars of docs/protocol.md §5 for the two bulk tables, over a
// Json document (CaseFromJson) or the fast decoder's spans (PullRows::kTyped).
template <typename Object>
Result<Case> CaseFromFields(const BasicFieldReader<Object>& f) {
  Case c;
  CASESYNC_RETURN_IF_ERROR(f.RequireNonEmptyString("id", &c.id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("number", &c.number));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("accountId", &c.account_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("contactId", &c.contact_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("serviceId", &c.service_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("productId", &c.product_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("issueTypeId", &c.issue_type_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("contactHours", &c.contact_hours));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("contactPhone", &c.contact_phone));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("subject", &c.subject));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("description", &c.description));
  CASESYNC_RETURN_IF_ERROR(
      f.OptionalInt("priority", kPriorityCritical, kPriorityLow, &c.priority));
  CASESYNC_RETURN_IF_ERROR(
      f.template OptionalEnum<CaseStateFromName>("state", &c.state));
  CASESYNC_RETURN_IF_ERROR(
      f.template OptionalEnum<ChannelFromName>("channel", &c.channel));
  CASESYNC_RETURN_IF_ERROR(f.OptionalNullableString("parentId", &c.parent_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("createdAt", &c.created_at));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("updatedAt", &c.updated_at));
  CASESYNC_RETURN_IF_ERROR(
      f.OptionalString("resolutionCode", &c.resolution_code));
  CASESYNC_RETURN_IF_ERROR(
      f.OptionalString("resolutionNotes", &c.resolution_notes));
  return c;
}

template <typename Object>
Result<Comment> CommentFromFields(const BasicFieldReader<Object>& f) {
  Comment c;
  CASESYNC_RETURN_IF_ERROR(f.RequireNonEmptyString("id", &c.id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("caseId", &c.case_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("authorId", &c.author_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("body", &c.body));
  CASESYNC_RETURN_IF_ERROR(
      f.template OptionalEnum<VisibilityFromName>("visibility", &c.visibility));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("createdAt", &c.created_at));
  return c;
}

// The error of a scan that stopped at a problem, as ParseJson gives it.
Status ScanProblem(const JsonScanner& scanner) {
  const Status& problem = scanner.problem();
  if (problem.code() == ErrorCode::kMalformedJson) {
    return MalformedJson(scanner.text());
  }
  if (problem.code() == ErrorCode::kInvalidRequest) {
    return Invalid("", "duplicate key " + Quote(scanner.duplicate_key()));
  }
  return problem;
}

// ---------------------------------------------------------------------------
// The fast pull-response decoder: one pass of JsonScanner over the text,
// straight into PullResponse, with no Json document (rows become Json only
// with PullRows::kJson, rejections always: they are few and carry args).
//
// It must refuse exactly what DecodePullResponseDom refuses, with the same
// error. Syntax and limit problems (malformed JSON, long strings, duplicate
// keys) end the scan at once: as with ParseJson, the first one in text order
// wins, and any of them beats a grammar error. Grammar errors are only
// recorded during the scan and decided at the end in the DOM decoder's order
// (top-level fields in sorted order for unknown ones, then cursor,
// lastMutationId, patch, rejections, more), since a document's fields may
// come in any order.
class PullResponseReader {
 public:
  PullResponseReader(std::string_view text, PullRows rows)
      : scanner_(text), rows_(rows) {}

  Result<PullResponse> Read() {
    if (!Scan()) return ScanProblem(scanner_);
    return Finish();
  }

 private:
  // Scans the whole text; false on a syntax or limit problem.
  bool Scan() {
    JsonKind kind = JsonKind::kNull;
    if (!scanner_.Begin() || !scanner_.PeekKind(&kind)) return false;
    if (kind != JsonKind::kObject) {
      is_object_ = false;
      return scanner_.SkipValue(nullptr) && scanner_.End();
    }
    scanner_.EnterObject();
    std::string_view key;
    bool done = false;
    while (scanner_.NextKey(&key, &done) && !done) {
      bool ok = true;
      if (key == "patch" || key == "rejections") {
        ok = ScanArrayField(key);
      } else if (key == "cursor" || key == "lastMutationId" || key == "more") {
        JsonSpan span;
        ok = scanner_.SkipValue(&span);
        top_.members.emplace_back(key, span);
      } else {
        if (!unknown_top_ || key < *unknown_top_) unknown_top_ = key;
        ok = scanner_.SkipValue(nullptr);
      }
      if (!ok) return false;
    }
    return done && scanner_.End();
  }

  bool ScanArrayField(std::string_view key) {
    bool is_patch = key == "patch";
    JsonKind kind = JsonKind::kNull;
    if (!scanner_.PeekKind(&kind)) return false;
    top_.members.emplace_back(key, JsonSpan{kind, {}, false});
    if (kind != JsonKind::kArray) return scanner_.SkipValue(nullptr);
    scanner_.EnterArray();
    bool done = false;
    for (size_t i = 0;; ++i) {
      if (!scanner_.NextElement(&done)) return false;
      if (done) return true;
      if (is_patch) {
        if (!ScanPatchOp(i)) return false;
      } else {
        JsonSpan span;
        if (!scanner_.SkipValue(&span)) return false;
        rejections_.push_back(span);
      }
    }
  }

  // patchOp := {op, table, row}; decoded once the element is complete
  // because its fields come in any order (servers send op, row, table).
  bool ScanPatchOp(size_t index) {
    JsonKind kind = JsonKind::kNull;
    if (!scanner_.PeekKind(&kind)) return false;
    if (!patch_error_.ok() || kind != JsonKind::kObject) {
      if (patch_error_.ok()) {
        patch_error_ = Invalid(IndexPath("patch", index), "expected an object");
      }
      return scanner_.SkipValue(nullptr);
    }
    scanner_.EnterObject();
    SpanObject& op_fields = op_fields_;
    op_fields.members.clear();
    std::optional<std::string_view> unknown;
    row_.members.clear();
    std::string_view key;
    bool done = false;
    while (true) {
      if (!scanner_.NextKey(&key, &done)) return false;
      if (done) break;
      JsonSpan span;
      if (key == "row") {
        if (!scanner_.PeekKind(&span.kind)) return false;
        if (!(span.kind == JsonKind::kObject ? ScanRow(&span)
                                             : scanner_.SkipValue(&span))) {
          return false;
        }
      } else if (!scanner_.SkipValue(&span)) {
        return false;
      }
      if (key == "op" || key == "table" || key == "row") {
        op_fields.members.emplace_back(key, span);
      } else if (!unknown || key < *unknown) {
        unknown = key;
      }
    }
    patch_error_ = DecodeOp(index, op_fields, unknown);
    return true;
  }

  // A row object: its members are kept as spans in row_.
  bool ScanRow(JsonSpan* out) {
    size_t start = scanner_.position();
    scanner_.EnterObject();
    if (!ReadMembers(&scanner_, &row_)) return false;
    out->kind = JsonKind::kObject;
    out->raw = scanner_.text().substr(start, scanner_.position() - start);
    return true;
  }

  // DecodePatchOp's checks, in its order, over the scanned element.
  Status DecodeOp(size_t index, const SpanObject& fields,
                  const std::optional<std::string_view>& unknown) {
    std::string path = IndexPath("patch", index);
    if (unknown) return Invalid(path, "unknown field " + Quote(*unknown));
    BasicFieldReader<SpanObject> f(fields, std::move(path));
    PatchOp op;
    std::string kind;
    CASESYNC_RETURN_IF_ERROR(f.RequireString("op", &kind));
    const JsonSpan* row = f.Find("row");
    if (kind == "clear") {
      op.op = PatchOpKind::kClear;
      CASESYNC_RETURN_IF_ERROR(f.OptionalString("table", &op.table));
      if (!op.table.empty() && !IsPatchTable(op.table)) {
        return Invalid(f.PathOf("table"), "unknown table " + Quote(op.table));
      }
      if (row != nullptr && row->kind != JsonKind::kNull) {
        return Invalid(f.PathOf("row"), "a clear has no row");
      }
      result_.patch.push_back(std::move(op));
      return Status::Ok();
    }
    if (kind == "put") {
      op.op = PatchOpKind::kPut;
    } else if (kind == "del") {
      op.op = PatchOpKind::kDel;
    } else {
      return Invalid(f.PathOf("op"), "expected put, del or clear");
    }
    CASESYNC_RETURN_IF_ERROR(f.RequireString("table", &op.table));
    if (!IsPatchTable(op.table)) {
      return Invalid(f.PathOf("table"), "unknown table " + Quote(op.table));
    }
    if (row == nullptr) return Invalid(f.PathOf("row"), "required");
    if (row->kind != JsonKind::kObject) {
      return Invalid(f.PathOf("row"), "expected an object");
    }
    BasicFieldReader<SpanObject> row_fields(row_, f.PathOf("row"));
    CASESYNC_RETURN_IF_ERROR(row_fields.RequireNonEmptyString("id", &id_));
    DecodeRow(*row, &op);
    result_.patch.push_back(std::move(op));
    return Status::Ok();
  }

  // Fills op->row (kJson, and deletes) or op->decoded (kTyped puts).
  void DecodeRow(const JsonSpan& row, PatchOp* op) const {
    if (rows_ == PullRows::kJson || op->op == PatchOpKind::kDel) {
      op->row = Json::parse(row.raw.begin(), row.raw.end(), nullptr,
                            /*allow_exceptions=*/false);
      return;
    }
    BasicFieldReader<SpanObject> f(row_, "");
    if (op->table == kTableCases) {
      op->decoded = ToDecodedRow(CaseFromFields(f));
      return;
    }
    if (op->table == kTableComments) {
      op->decoded = ToDecodedRow(CommentFromFields(f));
      return;
    }
    // The small tables: through Json, as before.
    Json j = Json::parse(row.raw.begin(), row.raw.end(), nullptr,
                         /*allow_exceptions=*/false);
    if (op->table == kTableCatalog) {
      op->decoded = ToDecodedRow(CatalogItemFromJson(j));
    } else if (op->table == kTableUsers) {
      op->decoded = ToDecodedRow(UserFromJson(j));
    } else {
      op->decoded = ToDecodedRow(AccountFromJson(j));
    }
  }

  template <typename T>
  static DecodedRow ToDecodedRow(Result<T> row) {
    if (!row.ok()) return row.status();
    return std::move(row).value();
  }

  // The top-level grammar, in DecodePullResponseDom's order.
  Result<PullResponse> Finish() {
    if (!is_object_) {
      return Status(ErrorCode::kInvalidRequest,
                    "the body must be a JSON object");
    }
    if (unknown_top_)
      return Invalid("", "unknown field " + Quote(*unknown_top_));
    BasicFieldReader<SpanObject> f(top_, "");
    CASESYNC_RETURN_IF_ERROR(f.RequireString("cursor", &result_.cursor));
    CASESYNC_RETURN_IF_ERROR(CheckCursorLength("cursor", result_.cursor));
    CASESYNC_RETURN_IF_ERROR(f.RequireInt64("lastMutationId", 0, kInt64Max,
                                            &result_.last_mutation_id));
    CASESYNC_RETURN_IF_ERROR(RequireArray(f, "patch"));
    CASESYNC_RETURN_IF_ERROR(patch_error_);
    CASESYNC_RETURN_IF_ERROR(RequireArray(f, "rejections"));
    result_.rejections.reserve(rejections_.size());
    for (size_t i = 0; i < rejections_.size(); ++i) {
      const JsonSpan& span = rejections_[i];
      Json j = Json::parse(span.raw.begin(), span.raw.end(), nullptr,
                           /*allow_exceptions=*/false);
      Rejection rejection;
      CASESYNC_RETURN_IF_ERROR(
          DecodeRejection(j, IndexPath("rejections", i), &rejection));
      result_.rejections.push_back(std::move(rejection));
    }
    CASESYNC_RETURN_IF_ERROR(f.RequireBool("more", &result_.more));
    return std::move(result_);
  }

  static Status RequireArray(const BasicFieldReader<SpanObject>& f,
                             const char* key) {
    const JsonSpan* v = f.Find(key);
    if (v == nullptr) return Invalid(key, "required");
    if (v->kind != JsonKind::kArray) return Invalid(key, "expected an array");
    return Status::Ok();
  }

  JsonScanner scanner_;
  PullRows rows_;
  bool is_object_ = true;
  std::optional<std::string_view> unknown_top_;
  SpanObject top_;        // cursor, lastMutationId, more; patch and
                          // rejections by kind only
  SpanObject op_fields_;  // the current patch op's op, table, row
  SpanObject row_;        // the current patch row's members
  std::vector<JsonSpan> rejections_;
  Status patch_error_;  // the first patch element's error
  std::string id_;      // scratch for the row id check
  PullResponse result_;
};

// ---------------------------------------------------------------------------
// The fast push-request decoder: one pass of JsonScanner over the text,
// straight into PushRequest. Each mutation's args object is built as a Json
// value from the scanner as it goes (no second parse of the text).
//
// It must refuse exactly what DecodePushRequestDom refuses, with the same
// error, as PullResponseReader does for pull: syntax and limit problems end
// the scan at once (the first in text order wins); grammar errors are
// recorded and decided at the end in the DOM decoder's order (unknown
// top-level field in sorted order, clientId, mutations, the count limit, the
// first bad mutation, then the id sequence).

// Reads one JSON value from the scanner into *out as nlohmann's parser would
// type it: integers that fit int64 (negative) or uint64 (non-negative) stay
// integers, any other number is a double read by strtod. Recursion is
// bounded: the text was checked against kMaxJsonDepth before scanning.
bool ReadJsonValue(JsonScanner* scanner, std::string* number_buffer,
                   Json* out) {
  JsonKind kind = JsonKind::kNull;
  if (!scanner->PeekKind(&kind)) return false;
  bool done = false;
  switch (kind) {
    case JsonKind::kObject: {
      if (!scanner->EnterObject()) return false;
      *out = Json::object();
      auto& members = out->get_ref<Json::object_t&>();
      std::string_view key;
      while (true) {
        if (!scanner->NextKey(&key, &done)) return false;
        if (done) return true;
        // Keys are unique (the scanner refuses a repeated one). Encoders
        // write them in sorted order (nlohmann's std::map), so the end is
        // the likely place: a right hint makes the insertion O(1).
        Json& value =
            members.emplace_hint(members.end(), std::string(key), Json())
                ->second;
        if (!ReadJsonValue(scanner, number_buffer, &value)) return false;
      }
    }
    case JsonKind::kArray: {
      if (!scanner->EnterArray()) return false;
      *out = Json::array();
      auto& elements = out->get_ref<Json::array_t&>();
      while (true) {
        if (!scanner->NextElement(&done)) return false;
        if (done) return true;
        elements.emplace_back();
        if (!ReadJsonValue(scanner, number_buffer, &elements.back())) {
          return false;
        }
      }
    }
    default:
      break;
  }
  JsonSpan span;
  if (!scanner->ReadScalar(&span)) return false;
  switch (span.kind) {
    case JsonKind::kString: {
      std::string value;
      AppendUnescaped(span, &value);
      *out = std::move(value);
      return true;
    }
    case JsonKind::kNumber: {
      JsonInteger n = ClassifyNumber(span.raw);
      if (n.is_integer) {
        *out = n.is_unsigned ? Json(n.unsigned_value) : Json(n.value);
      } else {
        // As nlohmann's lexer does (the scanner refused non-finite ones).
        number_buffer->assign(span.raw);
        *out = std::strtod(number_buffer->c_str(), nullptr);
      }
      return true;
    }
    case JsonKind::kTrue:
      *out = true;
      return true;
    case JsonKind::kFalse:
      *out = false;
      return true;
    default:
      *out = nullptr;
      return true;
  }
}

class PushRequestReader {
 public:
  PushRequestReader(std::string_view text, ArgsDecoding args)
      : scanner_(text), defer_args_(args == ArgsDecoding::kDeferArgs) {
    scanner_.LimitDepth(kMaxJsonDepth);
  }

  // Precondition: CheckSizeAndUtf8 passed. The depth check (3 of
  // docs/protocol.md §1) comes from the scanner's limit instead of a
  // pre-scan; the pre-scan runs only when a problem stopped the scan (a
  // scan that succeeds has read the whole text: JsonScanner::End), because
  // the DOM decoder refused deep text before any other problem, wherever
  // the nesting was.
  Result<PushRequest> Read() {
    bool scanned = Scan();
    if (!scanned && NestsDeeperThan(scanner_.text(), kMaxJsonDepth)) {
      return TooDeep();
    }
    if (!scanned) return ScanProblem(scanner_);
    return Finish();
  }

 private:
  // Scans the whole text; false on a syntax or limit problem.
  bool Scan() {
    JsonKind kind = JsonKind::kNull;
    if (!scanner_.Begin() || !scanner_.PeekKind(&kind)) return false;
    if (kind != JsonKind::kObject) {
      is_object_ = false;
      return scanner_.SkipValue(nullptr) && scanner_.End();
    }
    if (!scanner_.EnterObject()) return false;
    std::string_view key;
    bool done = false;
    while (scanner_.NextKey(&key, &done) && !done) {
      bool ok = true;
      if (key == "mutations") {
        ok = ScanMutations();
      } else if (key == "clientId") {
        JsonSpan span;
        ok = scanner_.SkipValue(&span);
        top_.members.emplace_back(key, span);
      } else {
        if (!unknown_top_ || key < *unknown_top_) unknown_top_ = key;
        ok = scanner_.SkipValue(nullptr);
      }
      if (!ok) return false;
    }
    return done && scanner_.End();
  }

  // mutations: the elements are decoded as they come until the first bad
  // one; past it, and past kMaxMutationsPerPush, they are only checked and
  // counted.
  bool ScanMutations() {
    JsonKind kind = JsonKind::kNull;
    if (!scanner_.PeekKind(&kind)) return false;
    top_.members.emplace_back("mutations", JsonSpan{kind, {}, false});
    if (kind != JsonKind::kArray) return scanner_.SkipValue(nullptr);
    if (!scanner_.EnterArray()) return false;
    bool done = false;
    for (size_t i = 0;; ++i) {
      if (!scanner_.NextElement(&done)) return false;
      if (done) return true;
      ++mutation_count_;
      if (!mutation_error_.ok() || i >= kMaxMutationsPerPush) {
        if (!scanner_.SkipValue(nullptr)) return false;
      } else if (!ScanMutation(i)) {
        return false;
      }
    }
  }

  // mutation := {id, name, args, clientTime}; checked once the element is
  // complete because its fields come in any order.
  bool ScanMutation(size_t index) {
    JsonKind kind = JsonKind::kNull;
    if (!scanner_.PeekKind(&kind)) return false;
    if (kind != JsonKind::kObject) {
      mutation_error_ =
          Invalid(IndexPath("mutations", index), "expected an object");
      return scanner_.SkipValue(nullptr);
    }
    if (!scanner_.EnterObject()) return false;
    fields_.members.clear();
    std::optional<std::string_view> unknown;
    MutationRecord m;
    std::string_view key;
    bool done = false;
    while (true) {
      if (!scanner_.NextKey(&key, &done)) return false;
      if (done) break;
      JsonSpan span;
      if (key == "args") {
        if (!scanner_.PeekKind(&span.kind)) return false;
        if (span.kind == JsonKind::kObject && defer_args_) {
          // Checked as the tree would be (every member read, as SkipValue
          // would), kept as text with the index of its members.
          size_t start = scanner_.position();  // at '{'
          args_.members.clear();
          if (!scanner_.EnterObject() || !ReadMembers(&scanner_, &args_)) {
            return false;
          }
          std::string_view whole =
              scanner_.text().substr(start, scanner_.position() - start);
          m.args_text.assign(whole);
          m.args_index = IndexMembers(whole, args_);
        } else if (!(span.kind == JsonKind::kObject
                         ? ReadJsonValue(&scanner_, &number_buffer_, &m.args)
                         : scanner_.SkipValue(&span))) {
          return false;
        }
        fields_.members.emplace_back(key, span);
      } else if (key == "id" || key == "name" || key == "clientTime") {
        if (!scanner_.SkipValue(&span)) return false;
        fields_.members.emplace_back(key, span);
      } else {
        if (!unknown || key < *unknown) unknown = key;
        if (!scanner_.SkipValue(nullptr)) return false;
      }
    }
    mutation_error_ = DecodeFields(index, unknown, &m);
    if (mutation_error_.ok()) result_.mutations.push_back(std::move(m));
    return true;
  }

  // DecodeMutation's checks, in its order, over the scanned element.
  Status DecodeFields(size_t index,
                      const std::optional<std::string_view>& unknown,
                      MutationRecord* m) const {
    std::string path = IndexPath("mutations", index);
    if (unknown) return Invalid(path, "unknown field " + Quote(*unknown));
    BasicFieldReader<SpanObject> f(fields_, std::move(path));
    CASESYNC_RETURN_IF_ERROR(f.RequireInt64("id", 1, kInt64Max, &m->id));
    CASESYNC_RETURN_IF_ERROR(f.RequireString("name", &m->name));
    if (!MutationNameFromString(m->name)) {
      return Status(ErrorCode::kUnknownMutation,
                    f.PathOf("name") + ": unknown mutation " + Quote(m->name));
    }
    const JsonSpan* args = f.Find("args");
    if (args == nullptr) return Invalid(f.PathOf("args"), "required");
    if (args->kind != JsonKind::kObject) {
      return Invalid(f.PathOf("args"), "expected an object");
    }
    CASESYNC_RETURN_IF_ERROR(f.RequireString("clientTime", &m->client_time));
    if (!ParseIsoTime(m->client_time)) {
      return Invalid(f.PathOf("clientTime"), "expected an ISO 8601 UTC time");
    }
    return Status::Ok();
  }

  // The top-level grammar, in DecodePushRequestDom's order.
  Result<PushRequest> Finish() {
    if (!is_object_) {
      return Status(ErrorCode::kInvalidRequest,
                    "the body must be a JSON object");
    }
    if (unknown_top_)
      return Invalid("", "unknown field " + Quote(*unknown_top_));
    BasicFieldReader<SpanObject> f(top_, "");
    CASESYNC_RETURN_IF_ERROR(ReadClientId(f, &result_.client_id));
    const JsonSpan* mutations = f.Find("mutations");
    if (mutations == nullptr) return Invalid("mutations", "required");
    if (mutations->kind != JsonKind::kArray) {
      return Invalid("mutations", "expected an array");
    }
    if (mutation_count_ > kMaxMutationsPerPush) {
      return Status(ErrorCode::kPayloadTooLarge,
                    "mutations: " + std::to_string(mutation_count_) +
                        " mutations, over the limit of " +
                        std::to_string(kMaxMutationsPerPush));
    }
    CASESYNC_RETURN_IF_ERROR(mutation_error_);
    CASESYNC_RETURN_IF_ERROR(CheckMutationIds(result_.mutations));
    return std::move(result_);
  }

  JsonScanner scanner_;
  bool defer_args_ = false;  // ArgsDecoding::kDeferArgs
  bool is_object_ = true;
  std::optional<std::string_view> unknown_top_;
  SpanObject top_;     // clientId; mutations by kind only
  SpanObject fields_;  // the current mutation's id, name, args, clientTime
  SpanObject args_;    // its deferred args' members
  size_t mutation_count_ = 0;
  Status mutation_error_;  // the first bad mutation's error
  std::string number_buffer_;
  PushRequest result_;
};

// The push requests clients send, read in one pass over the text without
// the general scanner: {"clientId": "…", "mutations": [mutation, …]} with
// each mutation {"id", "name", "args", "clientTime"} in any order, and args
// a flat object of strings, plain integers, true, false and null. Only for
// ArgsDecoding::kDeferArgs (the server's decoding). Anything else — an
// escape in any string, a nested args value, a float, an unknown, missing
// or repeated key, an invalid value, any syntax error — gives nullopt, and
// the general reader (PushRequestReader) reads the text from the start and
// decides. What this accepts, the general reader accepts with the same
// result, args index included: tests/core/push_decoder_test.cpp compares
// the three decoders on every text it makes.
class PlainPushReader {
 public:
  explicit PlainPushReader(std::string_view text) : text_(text) {}

  std::optional<PushRequest> Read() {
    PushRequest r;
    bool have_client = false;
    bool have_mutations = false;
    if (!Eat('{')) return std::nullopt;
    do {
      std::string_view key;
      if (!String(&key) || !Eat(':')) return std::nullopt;
      if (KeyIs(key, "clientId") && !have_client) {
        std::string_view id;
        if (!String(&id) || !IsValidClientId(id)) return std::nullopt;
        r.client_id.assign(id);
        have_client = true;
      } else if (KeyIs(key, "mutations") && !have_mutations) {
        if (!Mutations(&r.mutations)) return std::nullopt;
        have_mutations = true;
      } else {
        return std::nullopt;
      }
    } while (Eat(','));
    if (!Eat('}') || !have_client || !have_mutations) return std::nullopt;
    SkipWhitespace();
    if (pos_ != text_.size()) return std::nullopt;
    if (!CheckMutationIds(r.mutations).ok()) return std::nullopt;
    return r;
  }

 private:
  void SkipWhitespace() {
    while (pos_ < text_.size() && IsJsonWhitespace(text_[pos_])) ++pos_;
  }
  // The next byte after whitespace, or '\0' at the end (never a JSON
  // token: the text was checked to hold no NUL). Clients send compact
  // JSON, so the byte at hand is looked at first.
  char Peek() {
    if (pos_ < text_.size() && !IsJsonWhitespace(text_[pos_])) {
      return text_[pos_];
    }
    SkipWhitespace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // A string without escapes or controls, within kMaxStringBytes: its
  // bytes, a view of the text.
  bool String(std::string_view* out) {
    if (!Eat('"')) return false;
    size_t end = SkipPlainStringBytes(text_, pos_);
    if (end >= text_.size() || text_[end] != '"' ||
        end - pos_ > kMaxStringBytes) {
      return false;
    }
    *out = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  // -?(0|[1-9][0-9]*) of at most kAlwaysInt64Chars characters, not followed
  // by a fraction or an exponent: its text.
  bool Integer(std::string_view* out) {
    size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    size_t digits = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      ++pos_;
    }
    if (pos_ == digits || (text_[digits] == '0' && pos_ - digits > 1) ||
        pos_ - start > kAlwaysInt64Chars) {
      return false;
    }
    if (pos_ < text_.size() &&
        (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
      return false;
    }
    *out = text_.substr(start, pos_ - start);
    return true;
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool Mutations(std::vector<MutationRecord>* out) {
    if (!Eat('[')) return false;
    if (Eat(']')) return true;
    do {
      if (out->size() == kMaxMutationsPerPush) return false;
      MutationRecord m;
      if (!Mutation(&m)) return false;
      out->push_back(std::move(m));
    } while (Eat(','));
    return Eat(']');
  }

  bool Mutation(MutationRecord* m) {
    if (!Eat('{')) return false;
    unsigned seen = 0;
    do {
      std::string_view key;
      if (!String(&key) || !Eat(':')) return false;
      unsigned field = 0;
      if (KeyIs(key, "id")) {
        field = 1;
        std::string_view raw;
        if (Peek() < '1' || Peek() > '9' || !Integer(&raw)) return false;
        m->id = ClassifyNumber(raw).value;
      } else if (KeyIs(key, "name")) {
        field = 2;
        std::string_view name;
        if (!String(&name) || !MutationNameFromString(name)) return false;
        m->name.assign(name);
      } else if (KeyIs(key, "args")) {
        field = 4;
        if (!Args(m)) return false;
      } else if (KeyIs(key, "clientTime")) {
        field = 8;
        std::string_view time;
        if (!String(&time) || !ParseIsoTime(time)) return false;
        m->client_time.assign(time);
      }
      if (field == 0 || (seen & field) != 0) return false;
      seen |= field;
    } while (Eat(','));
    return Eat('}') && seen == 15;
  }

  // args: its text, and the index of its members (offsets into that
  // text), as the general reader records them (IndexMembers).
  bool Args(MutationRecord* m) {
    if (Peek() != '{') return false;
    const size_t open = pos_++;
    std::vector<ArgsMemberIndex>& index = m->args_index;
    index.reserve(16);  // createCase has 8 to 10
    // Where a view of the text starts, from the args' '{'.
    auto offset = [this, open](std::string_view part) {
      return static_cast<uint32_t>(
          static_cast<size_t>(part.data() - text_.data()) - open);
    };
    if (!Eat('}')) {
      do {
        std::string_view key;
        if (!String(&key) || !Eat(':')) return false;
        for (const ArgsMemberIndex& other : index) {
          if (KeyIs(text_.substr(open + other.key_offset, other.key_size),
                    key)) {
            return false;  // a repeated key: the general reader says so
          }
        }
        ArgsMemberIndex member;
        member.key_offset = offset(key);
        member.key_size = static_cast<uint32_t>(key.size());
        std::string_view value;
        JsonKind kind = JsonKind::kNull;
        char c = Peek();
        size_t start = pos_;
        if (c == '"') {
          if (!String(&value)) return false;
          kind = JsonKind::kString;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
          if (!Integer(&value)) return false;
          kind = JsonKind::kNumber;
        } else if (c == 't' || c == 'f' || c == 'n') {
          kind = c == 't'   ? JsonKind::kTrue
                 : c == 'f' ? JsonKind::kFalse
                            : JsonKind::kNull;
          if (!Literal(c == 't' ? "true" : c == 'f' ? "false" : "null")) {
            return false;
          }
          value = text_.substr(start, pos_ - start);
        } else {
          return false;  // an object or array: the general reader
        }
        member.value_offset = offset(value);
        member.value_size = static_cast<uint32_t>(value.size());
        member.kind = static_cast<uint8_t>(kind);
        index.push_back(member);
      } while (Eat(','));
      if (!Eat('}')) return false;
    }
    m->args_text.assign(text_.substr(open, pos_ - open));
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------
// Names

const char* MutationNameString(MutationName n) {
  for (const MutationNameEntry& entry : kMutationNames) {
    if (entry.name == n) return entry.wire;
  }
  return "";
}

std::optional<MutationName> MutationNameFromString(std::string_view s) {
  for (const MutationNameEntry& entry : kMutationNames) {
    if (s == entry.wire) return entry.name;
  }
  return std::nullopt;
}

bool IsPatchTable(std::string_view table) {
  return std::find(kPatchTables.begin(), kPatchTables.end(), table) !=
         kPatchTables.end();
}

// ---------------------------------------------------------------------------
// JSON text

Result<Json> ParseJson(std::string_view text, size_t max_bytes) {
  CASESYNC_RETURN_IF_ERROR(CheckText(text, max_bytes));
  ParseLimits limits;
  Json doc = Json::parse(
      text.begin(), text.end(),
      [&limits](int /*depth*/, Json::parse_event_t event, Json& parsed) {
        limits.OnEvent(event, parsed);
        return true;  // keep everything; false would discard values
      },
      /*allow_exceptions=*/false);
  if (!limits.problem().ok()) return limits.problem();
  if (doc.is_discarded()) return MalformedJson(text);
  return doc;
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------
// Push

// pushRequest := {clientId: ClientId, mutations: [mutation] (<= 1000,
//                 ids consecutive)}
Result<PushRequest> DecodePushRequestDom(std::string_view text) {
  CASESYNC_ASSIGN_OR_RETURN(Json doc, ParseObject(text, kMaxBodyBytes));
  FieldReader f(doc, "");
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields({"clientId", "mutations"}));
  PushRequest r;
  CASESYNC_RETURN_IF_ERROR(ReadClientId(f, &r.client_id));
  const Json* mutations = nullptr;
  CASESYNC_RETURN_IF_ERROR(f.RequireArray("mutations", &mutations));
  if (mutations->size() > kMaxMutationsPerPush) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "mutations: " + std::to_string(mutations->size()) +
                      " mutations, over the limit of " +
                      std::to_string(kMaxMutationsPerPush));
  }
  CASESYNC_RETURN_IF_ERROR(
      DecodeEach(*mutations, "mutations", DecodeMutation, &r.mutations));
  CASESYNC_RETURN_IF_ERROR(CheckMutationIds(r.mutations));
  return r;
}

Result<PushRequest> DecodePushRequest(std::string_view text,
                                      ArgsDecoding args) {
  CASESYNC_RETURN_IF_ERROR(CheckSizeAndUtf8(text, kMaxBodyBytes));
  if (args == ArgsDecoding::kDeferArgs) {
    if (std::optional<PushRequest> plain = PlainPushReader(text).Read()) {
      return std::move(*plain);
    }
  }
  return PushRequestReader(text, args).Read();
}

std::optional<PushRequest> DecodePlainPushRequest(std::string_view text) {
  if (!CheckSizeAndUtf8(text, kMaxBodyBytes).ok()) return std::nullopt;
  return PlainPushReader(text).Read();
}

Result<PushRequest> DecodePushRequestGeneral(std::string_view text,
                                             ArgsDecoding args) {
  CASESYNC_RETURN_IF_ERROR(CheckSizeAndUtf8(text, kMaxBodyBytes));
  return PushRequestReader(text, args).Read();
}

const Json& ArgsTree(const MutationRecord& m, Json* storage) {
  if (m.args_text.empty()) return m.args;
  // The decoder checked this text; parsing it cannot fail short of a bug,
  // and then an empty object makes every mutator refuse the mutation.
  Result<Json> tree = ParseJson(m.args_text);
  *storage = tree.ok() ? std::move(*tree) : Json::object();
  return *storage;
}

std::string EncodePushRequest(const PushRequest& r) {
  Json mutations = Json::array();
  for (const MutationRecord& m : r.mutations) {
    mutations.push_back(MutationToJson(m));
  }
  Json doc = Json::object();
  doc["clientId"] = r.client_id;
  doc["mutations"] = std::move(mutations);
  return DumpJson(doc);
}

// pushResponse := {lastMutationId: int64 >= 0}
Result<PushResponse> DecodePushResponse(std::string_view text) {
  CASESYNC_ASSIGN_OR_RETURN(Json doc, ParseObject(text, kMaxBodyBytes));
  FieldReader f(doc, "");
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields({"lastMutationId"}));
  PushResponse r;
  CASESYNC_RETURN_IF_ERROR(
      f.RequireInt64("lastMutationId", 0, kInt64Max, &r.last_mutation_id));
  return r;
}

std::string EncodePushResponse(const PushResponse& r) {
  Json doc = Json::object();
  doc["lastMutationId"] = r.last_mutation_id;
  return DumpJson(doc);
}

// ---------------------------------------------------------------------------
// Pull

// pullRequest := {clientId: ClientId, cursor: null | string (<= 256 bytes),
//                 applied?: null | string (<= 256 bytes)}
Result<PullRequest> DecodePullRequest(std::string_view text) {
  CASESYNC_ASSIGN_OR_RETURN(Json doc, ParseObject(text, kMaxBodyBytes));
  FieldReader f(doc, "");
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields({"clientId", "cursor", "applied"}));
  PullRequest r;
  CASESYNC_RETURN_IF_ERROR(ReadClientId(f, &r.client_id));
  auto read_cursor = [&f](const char* name, std::optional<std::string>* out) {
    const Json* value = nullptr;
    CASESYNC_RETURN_IF_ERROR(f.Require(name, &value));
    if (value->is_null()) return Status::Ok();
    std::string text;
    CASESYNC_RETURN_IF_ERROR(f.RequireString(name, &text));
    CASESYNC_RETURN_IF_ERROR(CheckCursorLength(name, text));
    *out = std::move(text);
    return Status::Ok();
  };
  CASESYNC_RETURN_IF_ERROR(read_cursor("cursor", &r.cursor));
  if (f.Find("applied") != nullptr) {
    r.ahead = true;
    CASESYNC_RETURN_IF_ERROR(read_cursor("applied", &r.applied));
  }
  return r;
}

std::string EncodePullRequest(const PullRequest& r) {
  Json doc = Json::object();
  doc["clientId"] = r.client_id;
  doc["cursor"] = r.cursor ? Json(*r.cursor) : Json();
  if (r.ahead) doc["applied"] = r.applied ? Json(*r.applied) : Json();
  return DumpJson(doc);
}

// pullResponse := {cursor: string, lastMutationId: int64 >= 0,
//                  patch: [patchOp], rejections: [rejection], more: bool}
Result<PullResponse> DecodePullResponseDom(std::string_view text) {
  CASESYNC_ASSIGN_OR_RETURN(
      Json doc, ParseObject(text, std::numeric_limits<size_t>::max()));
  FieldReader f(doc, "");
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields(
      {"cursor", "lastMutationId", "patch", "rejections", "more"}));
  PullResponse r;
  CASESYNC_RETURN_IF_ERROR(f.RequireString("cursor", &r.cursor));
  CASESYNC_RETURN_IF_ERROR(CheckCursorLength("cursor", r.cursor));
  CASESYNC_RETURN_IF_ERROR(
      f.RequireInt64("lastMutationId", 0, kInt64Max, &r.last_mutation_id));
  const Json* patch = nullptr;
  CASESYNC_RETURN_IF_ERROR(f.RequireArray("patch", &patch));
  CASESYNC_RETURN_IF_ERROR(
      DecodeEach(*patch, "patch", DecodePatchOp, &r.patch));
  const Json* rejections = nullptr;
  CASESYNC_RETURN_IF_ERROR(f.RequireArray("rejections", &rejections));
  CASESYNC_RETURN_IF_ERROR(
      DecodeEach(*rejections, "rejections", DecodeRejection, &r.rejections));
  CASESYNC_RETURN_IF_ERROR(f.RequireBool("more", &r.more));
  return r;
}

Result<PullResponse> DecodePullResponse(std::string_view text, PullRows rows) {
  CASESYNC_RETURN_IF_ERROR(CheckText(text, std::numeric_limits<size_t>::max()));
  return PullResponseReader(text, rows).Read();
}

// Written piece by piece rather than as one Json document: a page holds up to
// kMaxPullResponseRows rows, and copying each row into a second document
// cost more than the server's query that produced it.
std::string EncodePullResponse(const PullResponse& r) {
  std::string out;
  out.reserve(64 + r.patch.size() * 512);
  out += "{\"cursor\":";
  out += DumpJson(Json(r.cursor));
  out += ",\"lastMutationId\":";
  out += std::to_string(r.last_mutation_id);
  out += ",\"more\":";
  out += r.more ? "true" : "false";
  out += ",\"patch\":[";
  bool first = true;
  for (const PatchOp& op : r.patch) {
    if (!first) out += ',';
    first = false;
    out += "{\"op\":";
    switch (op.op) {
      case PatchOpKind::kPut:
        out += "\"put\"";
        break;
      case PatchOpKind::kDel:
        out += "\"del\"";
        break;
      case PatchOpKind::kClear:
        out += "\"clear\"";
        break;
    }
    if (op.op != PatchOpKind::kClear) {
      out += ",\"row\":";
      out += DumpJson(op.row);
    }
    out += ",\"table\":";
    out += DumpJson(Json(op.table));
    out += '}';
  }
  out += "],\"rejections\":";
  Json rejections = Json::array();
  for (const Rejection& rejection : r.rejections) {
    Json item = Json::object();
    item["mutationId"] = rejection.mutation_id;
    item["code"] = ErrorCodeName(rejection.code);
    item["message"] = rejection.message;
    item["mutation"] = MutationToJson(rejection.mutation);
    rejections.push_back(std::move(item));
  }
  out += DumpJson(rejections);
  out += '}';
  return out;
}

// ---------------------------------------------------------------------------
// Poke

// pokeResponse := {changed: bool, cursor: string (<= 256 bytes)}
Result<PokeResponse> DecodePokeResponse(std::string_view text) {
  CASESYNC_ASSIGN_OR_RETURN(Json doc, ParseObject(text, kMaxBodyBytes));
  FieldReader f(doc, "");
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields({"changed", "cursor"}));
  PokeResponse r;
  CASESYNC_RETURN_IF_ERROR(f.RequireBool("changed", &r.changed));
  CASESYNC_RETURN_IF_ERROR(f.RequireString("cursor", &r.cursor));
  CASESYNC_RETURN_IF_ERROR(CheckCursorLength("cursor", r.cursor));
  return r;
}

std::string EncodePokeResponse(const PokeResponse& r) {
  Json doc = Json::object();
  doc["changed"] = r.changed;
  doc["cursor"] = r.cursor;
  return DumpJson(doc);
}

// ---------------------------------------------------------------------------
// Errors

// errorBody := {error: {code: string, message: string, ...extra}}
std::string EncodeError(const Status& status, const Json& extra) {
  Json error = Json::object();
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      error[it.key()] = it.value();
    }
  }
  error["code"] = ErrorCodeName(status.code());
  error["message"] = status.message();
  Json doc = Json::object();
  doc["error"] = std::move(error);
  return DumpJson(doc);
}

Status DecodeError(std::string_view text) {
  Result<Json> doc = ParseObject(text, kMaxBodyBytes);
  if (!doc.ok()) {
    return Status(ErrorCode::kInvalidRequest,
                  "not an error body: " + doc.status().message());
  }
  FieldReader f(*doc, "");
  CASESYNC_RETURN_IF_ERROR(f.OnlyFields({"error"}));
  const Json* error = nullptr;
  CASESYNC_RETURN_IF_ERROR(f.RequireObject("error", &error));
  FieldReader e(*error, "error");
  std::string code;
  std::string message;
  CASESYNC_RETURN_IF_ERROR(e.RequireString("code", &code));
  CASESYNC_RETURN_IF_ERROR(e.RequireString("message", &message));
  return Status(ErrorCodeOrInternal(code), std::move(message));
}

// ---------------------------------------------------------------------------
// Rows. Strict about types, tolerant of absent fields (left at their
// defaults) and of fields they do not know (a newer server may add some).

Json CaseToJson(const Case& c) {
  Json j = Json::object();
  j["id"] = c.id;
  j["number"] = c.number;
  j["accountId"] = c.account_id;
  j["contactId"] = c.contact_id;
  j["serviceId"] = c.service_id;
  j["productId"] = c.product_id;
  j["issueTypeId"] = c.issue_type_id;
  j["contactHours"] = c.contact_hours;
  j["contactPhone"] = c.contact_phone;
  j["subject"] = c.subject;
  j["description"] = c.description;
  j["priority"] = c.priority;
  j["state"] = CaseStateName(c.state);
  j["channel"] = ChannelName(c.channel);
  j["parentId"] = NullIfEmpty(c.parent_id);
  j["createdAt"] = c.created_at;
  j["updatedAt"] = c.updated_at;
  j["resolutionCode"] = c.resolution_code;
  j["resolutionNotes"] = c.resolution_notes;
  return j;
}

Result<Case> CaseFromJson(const Json& j) {
  if (!j.is_object()) return Invalid("case", "expected an object");
  return CaseFromFields(FieldReader(j, ""));
}

Json CommentToJson(const Comment& c) {
  Json j = Json::object();
  j["id"] = c.id;
  j["caseId"] = c.case_id;
  j["authorId"] = c.author_id;
  j["body"] = c.body;
  j["visibility"] = VisibilityName(c.visibility);
  j["createdAt"] = c.created_at;
  return j;
}

Result<Comment> CommentFromJson(const Json& j) {
  if (!j.is_object()) return Invalid("comment", "expected an object");
  return CommentFromFields(FieldReader(j, ""));
}

Json CatalogItemToJson(const CatalogItem& item) {
  Json j = Json::object();
  j["kind"] = CatalogKindName(item.kind);
  j["id"] = item.id;
  j["parentId"] = NullIfEmpty(item.parent_id);
  j["name"] = item.name;
  j["sort"] = item.sort;
  j["active"] = item.active;
  return j;
}

Result<CatalogItem> CatalogItemFromJson(const Json& j) {
  if (!j.is_object()) return Invalid("catalog item", "expected an object");
  FieldReader f(j, "");
  CatalogItem item;
  CASESYNC_RETURN_IF_ERROR(
      f.OptionalEnum<CatalogKindFromName>("kind", &item.kind));
  CASESYNC_RETURN_IF_ERROR(f.RequireNonEmptyString("id", &item.id));
  CASESYNC_RETURN_IF_ERROR(
      f.OptionalNullableString("parentId", &item.parent_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("name", &item.name));
  CASESYNC_RETURN_IF_ERROR(
      f.OptionalInt("sort", std::numeric_limits<int>::min(),
                    std::numeric_limits<int>::max(), &item.sort));
  CASESYNC_RETURN_IF_ERROR(f.OptionalBool("active", &item.active));
  return item;
}

Json UserToJson(const User& u) {
  Json j = Json::object();
  j["id"] = u.id;
  j["accountId"] = u.account_id;
  j["email"] = u.email;
  j["name"] = u.name;
  j["phone"] = u.phone;
  j["role"] = RoleName(u.role);
  j["status"] = UserStatusName(u.status);
  return j;
}

Result<User> UserFromJson(const Json& j) {
  if (!j.is_object()) return Invalid("user", "expected an object");
  FieldReader f(j, "");
  User u;
  CASESYNC_RETURN_IF_ERROR(f.RequireNonEmptyString("id", &u.id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("accountId", &u.account_id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("email", &u.email));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("name", &u.name));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("phone", &u.phone));
  CASESYNC_RETURN_IF_ERROR(f.OptionalEnum<RoleFromName>("role", &u.role));
  CASESYNC_RETURN_IF_ERROR(
      f.OptionalEnum<UserStatusFromName>("status", &u.status));
  return u;
}

Json AccountToJson(const Account& a) {
  Json j = Json::object();
  j["id"] = a.id;
  j["name"] = a.name;
  j["taxId"] = a.tax_id;
  j["domains"] = a.domains;
  return j;
}

Result<Account> AccountFromJson(const Json& j) {
  if (!j.is_object()) return Invalid("account", "expected an object");
  FieldReader f(j, "");
  Account a;
  CASESYNC_RETURN_IF_ERROR(f.RequireNonEmptyString("id", &a.id));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("name", &a.name));
  CASESYNC_RETURN_IF_ERROR(f.OptionalString("taxId", &a.tax_id));
  const Json* domains = f.Find("domains");
  if (domains != nullptr) {
    if (!domains->is_array()) return Invalid("domains", "expected an array");
    for (size_t i = 0; i < domains->size(); ++i) {
      const Json& domain = (*domains)[i];
      if (!domain.is_string()) {
        return Invalid(IndexPath("domains", i), "expected a string");
      }
      a.domains.push_back(domain.get<std::string>());
    }
  }
  return a;
}

Json MutationToJson(const MutationRecord& m) {
  Json j = Json::object();
  j["id"] = m.id;
  j["name"] = m.name;
  // A record built without args still goes out as a valid mutation.
  Json deferred;
  const Json& args = ArgsTree(m, &deferred);
  j["args"] = args.is_null() ? Json::object() : args;
  j["clientTime"] = m.client_time;
  return j;
}

Result<MutationRecord> MutationFromJson(const Json& j) {
  MutationRecord m;
  CASESYNC_RETURN_IF_ERROR(DecodeMutation(j, "", &m));
  return m;
}

}  // namespace casesync
