// A strict, allocation-lean JSON scanner over one text: the reader behind
// the fast pull-response decoder (protocol.cpp). It walks the text once,
// checking RFC 8259 syntax as nlohmann::json's parser does, and the limits of
// docs/protocol.md §1 (strings ≤ kMaxStringBytes, no key twice in an object)
// at the same points as ParseJson's callback did, so that the first problem
// in text order decides the error exactly as before. Values are handed out
// as spans of the text (strings still escaped); nothing is copied unless the
// caller asks.
//
// Preconditions (checked by the caller before scanning, as ParseJson does):
// the text is valid UTF-8, and it nests at most kMaxJsonDepth levels or the
// caller sets that limit with LimitDepth(), so the scanner's recursion is
// bounded.
//
// Not thread-safe; one scanner per text. Never throws.
#ifndef CASESYNC_JSON_SCANNER_INTERNAL_H_
#define CASESYNC_JSON_SCANNER_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "casesync/status.h"

namespace casesync {

enum class JsonKind : uint8_t {
  kNull,
  kFalse,
  kTrue,
  kNumber,
  kString,
  kArray,
  kObject
};

// One scanned value. Strings: `raw` is the text between the quotes, still
// escaped when `escaped`. Numbers: the number's text. Arrays and objects:
// the whole value, brackets included (already checked).
struct JsonSpan {
  JsonKind kind = JsonKind::kNull;
  std::string_view raw;
  bool escaped = false;
};

// A JSON number as nlohmann::json types it: an integer that fits int64
// (negative) or uint64 (non-negative) is an integer, anything else a float.
struct JsonInteger {
  bool is_integer = false;
  bool is_unsigned = false;  // non-negative: nlohmann's number_unsigned
  int64_t value = 0;         // when !is_unsigned
  uint64_t unsigned_value = 0;
};
// Precondition: `raw` is a number the scanner accepted.
JsonInteger ClassifyNumber(std::string_view raw);
// A JSON integer of at most this many characters (a sign included) always
// fits an int64, so needs no overflow check.
constexpr size_t kAlwaysInt64Chars = 18;

// JSON's whitespace (RFC 8259): space, tab, line feed, carriage return.
inline bool IsJsonWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The first position at or after `pos` holding '"', '\\' or a control
// character (< 0x20), or text.size(): the end of a run of plain string bytes.
// Sixteen bytes at a time with SSE2 (native x86-64), else eight.
size_t SkipPlainStringBytes(std::string_view text, size_t pos);

// Appends the unescaped content of a scanned string span.
void AppendUnescaped(const JsonSpan& s, std::string* out);
// The string's value; a view of the text when it has no escapes, otherwise
// unescaped into *scratch.
std::string_view StringValue(const JsonSpan& s, std::string* scratch);

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : text_(text) {}

  // Each call returns false at the first problem; problem() then says which:
  // kMalformedJson (with an empty message: the caller describes it),
  // kPayloadTooLarge (a long string), kInvalidRequest (a duplicate key) or
  // kTooDeep (past LimitDepth; empty message).
  const Status& problem() const { return problem_; }

  // Refuse (kTooDeep) an array or object that would open more than
  // `max_depth` levels, instead of relying on a depth pre-scan of the text.
  // Call before scanning.
  void LimitDepth(size_t max_depth) { max_depth_ = max_depth; }
  // The repeated key, when problem() is a duplicate key.
  std::string_view duplicate_key() const { return duplicate_key_; }

  // A leading byte order mark and whitespace.
  bool Begin();
  // Only whitespace left.
  bool End();

  // The kind of the next value, after whitespace; false (malformed) when no
  // value can start here.
  bool PeekKind(JsonKind* kind);
  // Any value, checked; `out` (may be null) gets its span.
  bool SkipValue(JsonSpan* out);
  // A string, number or literal. Precondition: PeekKind said so.
  bool ReadScalar(JsonSpan* out);

  // Object members: EnterObject() consumes '{'; each NextKey() reads the
  // separator and the next key (checked against the object's other keys)
  // and its ':', or sets *done at '}'. The key is a view of the text or of
  // storage owned by the scanner; it lives as long as the scanner.
  // EnterObject() and EnterArray() fail only past LimitDepth.
  bool EnterObject();
  bool NextKey(std::string_view* key, bool* done);
  // Array elements: EnterArray() consumes '['; NextElement() reads the
  // separator before the next element, or sets *done at ']'.
  bool EnterArray();
  bool NextElement(bool* done);

  size_t position() const { return pos_; }
  std::string_view text() const { return text_; }

 private:
  // Keys of one open object, for the duplicate check.
  struct OpenObject {
    size_t first_key = 0;  // index into keys_
    bool any_member = false;
    std::unordered_set<std::string_view> index;  // built past kLinearKeys
  };
  static constexpr size_t kLinearKeys = 24;

  bool Malformed();
  bool SkipWhitespace();  // false at the end of the text
  // A string, number or literal of `kind` (the next byte's, PeekKind).
  bool ScanScalar(JsonKind kind, JsonSpan* out);
  bool ScanString(JsonSpan* out);
  bool ScanNumber(JsonSpan* out);
  bool ScanLiteral(std::string_view word, JsonKind kind, JsonSpan* out);
  bool RememberKey(std::string_view key);
  bool TooDeep();  // opening one more level passes max_depth_

  std::string_view text_;
  size_t pos_ = 0;
  size_t max_depth_ = 0;  // 0: no limit
  Status problem_;
  std::vector<OpenObject> objects_;
  std::vector<std::string_view> keys_;  // keys of the open objects
  std::deque<std::string> unescaped_keys_;
  std::vector<bool> array_has_element_;
  std::string number_buffer_;
  std::string_view duplicate_key_;
};

}  // namespace casesync

#endif  // CASESYNC_JSON_SCANNER_INTERNAL_H_
