// Members of a JSON object as a Json document or as spans of scanned text
// (SpanObject), with one set of accessors for both. Internal to core/src.
#ifndef CASESYNC_CORE_SRC_JSON_MEMBERS_INTERNAL_H_
#define CASESYNC_CORE_SRC_JSON_MEMBERS_INTERNAL_H_

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casesync/protocol.h"
#include "json_scanner_internal.h"

namespace casesync {

// The members of one scanned JSON object (the fast pull decoder's rows, a
// push's deferred mutation args), in text order; keys are unique (the
// scanner refuses duplicates).
struct SpanObject {
  std::vector<std::pair<std::string_view, JsonSpan>> members;
};

// Reads the members of an object the scanner has just entered
// (EnterObject), up to and including its '}': each value skipped and kept as
// a span. False on a problem (scanner.problem()).
inline bool ReadMembers(JsonScanner* scanner, SpanObject* obj) {
  std::string_view key;
  bool done = false;
  while (true) {
    if (!scanner->NextKey(&key, &done)) return false;
    if (done) return true;
    JsonSpan span;
    if (!scanner->SkipValue(&span)) return false;
    obj->members.emplace_back(key, span);
  }
}

// The members of `obj`, whose keys and values are views of `text`, as
// offsets into it (MutationRecord::args_index). Empty when a key is not a
// view of `text` (it had escapes and the scanner unescaped a copy).
inline std::vector<ArgsMemberIndex> IndexMembers(std::string_view text,
                                                 const SpanObject& obj) {
  std::vector<ArgsMemberIndex> index;
  index.reserve(obj.members.size());
  auto inside = [&](std::string_view part) {
    return part.data() >= text.data() &&
           part.data() + part.size() <= text.data() + text.size();
  };
  for (const auto& [key, value] : obj.members) {
    if (!inside(key) || !inside(value.raw)) return {};
    index.push_back(
        ArgsMemberIndex{static_cast<uint32_t>(key.data() - text.data()),
                        static_cast<uint32_t>(key.size()),
                        static_cast<uint32_t>(value.raw.data() - text.data()),
                        static_cast<uint32_t>(value.raw.size()),
                        static_cast<uint8_t>(value.kind), value.escaped});
  }
  return index;
}

// IndexMembers undone: the members as views of `text`. False, leaving
// `obj` empty, when an entry does not fit in `text` (the caller scans).
inline bool MembersFromIndex(std::string_view text,
                             const std::vector<ArgsMemberIndex>& index,
                             SpanObject* obj) {
  obj->members.clear();
  obj->members.reserve(index.size());
  for (const ArgsMemberIndex& m : index) {
    if (m.key_offset > text.size() || m.key_size > text.size() - m.key_offset ||
        m.value_offset > text.size() ||
        m.value_size > text.size() - m.value_offset ||
        m.kind > static_cast<uint8_t>(JsonKind::kObject)) {
      obj->members.clear();
      return false;
    }
    obj->members.emplace_back(
        text.substr(m.key_offset, m.key_size),
        JsonSpan{static_cast<JsonKind>(m.kind),
                 text.substr(m.value_offset, m.value_size), m.escaped});
  }
  return true;
}

// Whether `key` is `word`. With a literal, the length is a constant and the
// compare is a few instructions (string_view's == calls compare(), and
// memcmp is a call in wasm).
inline bool KeyIs(std::string_view key, std::string_view word) {
  return key.size() == word.size() &&
         std::memcmp(key.data(), word.data(), word.size()) == 0;
}

// Value access, one overload per object representation: a Json document,
// or spans of the text (SpanObject). Code written once against these reads
// both the same way (protocol.cpp's BasicFieldReader, mutation.cpp's Args).
inline const Json* FindMember(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}
inline const JsonSpan* FindMember(const SpanObject& obj, std::string_view k) {
  // The first byte before the rest: a row has ~19 members, looked up ~19
  // times.
  for (const auto& member : obj.members) {
    std::string_view m = member.first;
    if (!m.empty() && !k.empty() && m[0] == k[0] && KeyIs(m, k)) {
      return &member.second;
    }
  }
  return nullptr;
}
inline bool IsString(const Json& v) { return v.is_string(); }
inline bool IsString(const JsonSpan& v) { return v.kind == JsonKind::kString; }
inline void GetString(const Json& v, std::string* out) {
  *out = v.get_ref<const std::string&>();
}
inline void GetString(const JsonSpan& v, std::string* out) {
  out->clear();
  AppendUnescaped(v, out);
}
inline bool IsNull(const Json& v) { return v.is_null(); }
inline bool IsNull(const JsonSpan& v) { return v.kind == JsonKind::kNull; }
// nullopt when not a boolean.
inline std::optional<bool> GetBool(const Json& v) {
  if (!v.is_boolean()) return std::nullopt;
  return v.get<bool>();
}
inline std::optional<bool> GetBool(const JsonSpan& v) {
  if (v.kind == JsonKind::kTrue) return true;
  if (v.kind == JsonKind::kFalse) return false;
  return std::nullopt;
}
inline JsonInteger GetInteger(const Json& v) {
  JsonInteger n;
  if (!v.is_number_integer()) return n;
  n.is_integer = true;
  n.is_unsigned = v.is_number_unsigned();
  if (n.is_unsigned) n.unsigned_value = v.get<uint64_t>();
  n.value = v.get<int64_t>();
  return n;
}
inline JsonInteger GetInteger(const JsonSpan& v) {
  if (v.kind != JsonKind::kNumber) return JsonInteger{};
  return ClassifyNumber(v.raw);
}

}  // namespace casesync

#endif  // CASESYNC_CORE_SRC_JSON_MEMBERS_INTERNAL_H_
