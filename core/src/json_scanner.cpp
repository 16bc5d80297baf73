// JsonScanner: see json_scanner_internal.h. The syntax is RFC 8259 exactly as
// nlohmann::json 3.11 reads it (whitespace " \t\n\r", a leading BOM skipped,
// numbers -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? with floats that must be finite,
// strings without raw controls and with paired surrogate escapes).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "casesync/protocol.h"
#include "json_scanner_internal.h"
#include "swar_internal.h"

namespace casesync {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at `p` (end bounds the text); -1 if not four.
int ReadHex4(const char* p, const char* end) {
  if (end - p < 4) return -1;
  int v = 0;
  for (int i = 0; i < 4; ++i) {
    int h = HexValue(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t CodePointBytes(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

}  // namespace

size_t SkipPlainStringBytes(std::string_view text, size_t pos) {
#if defined(__SSE2__)
  // Sixteen bytes at a time where the target has SSE2 (the native server):
  // a push's keys and values are mostly one or two such blocks.
  while (pos + 16 <= text.size()) {
    __m128i block = swar::Load16(text.data() + pos);
    int mask = swar::Mask16Equal(block, '"') | swar::Mask16Equal(block, '\\') |
               swar::Mask16Control(block);
    if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
    pos += 16;
  }
#endif
  while (pos + 8 <= text.size()) {
    uint64_t w = swar::Load(text.data() + pos);
    if (swar::HasByte(w, '"') | swar::HasByte(w, '\\') |
        swar::HasByteBelow(w, 0x20)) {
      break;
    }
    pos += 8;
  }
  while (pos < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c == '"' || c == '\\' || c < 0x20) break;
    ++pos;
  }
  return pos;
}

JsonInteger ClassifyNumber(std::string_view raw) {
  JsonInteger n;
  for (char c : raw) {
    if (c == '.' || c == 'e' || c == 'E') return n;  // a float
  }
  bool negative = raw.front() == '-';
  std::string_view digits = negative ? raw.substr(1) : raw;
  uint64_t magnitude = 0;
  if (digits.size() <= kAlwaysInt64Chars) {
    for (char c : digits) magnitude = magnitude * 10 + (c - '0');
  } else {
    for (char c : digits) {
      uint64_t d = static_cast<uint64_t>(c - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - d) / 10) {
        return n;
      }
      magnitude = magnitude * 10 + d;
    }
  }
  if (negative) {
    constexpr uint64_t kMinMagnitude =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
    if (magnitude > kMinMagnitude) return n;
    n.is_integer = true;
    n.value = magnitude == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                         : -static_cast<int64_t>(magnitude);
    return n;
  }
  n.is_integer = true;
  n.is_unsigned = true;
  n.unsigned_value = magnitude;
  n.value = static_cast<int64_t>(magnitude);
  return n;
}

void AppendUnescaped(const JsonSpan& s, std::string* out) {
  if (!s.escaped) {
    out->append(s.raw);
    return;
  }
  const char* p = s.raw.data();
  const char* end = p + s.raw.size();
  while (p < end) {
    char c = *p++;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    char e = *p++;
    switch (e) {
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        uint32_t cp = static_cast<uint32_t>(ReadHex4(p, end));
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // paired (checked by the scan)
          uint32_t low = static_cast<uint32_t>(ReadHex4(p + 2, end));
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendCodePoint(cp, out);
        break;
      }
      default:  // " \ /
        out->push_back(e);
        break;
    }
  }
}

std::string_view StringValue(const JsonSpan& s, std::string* scratch) {
  if (!s.escaped) return s.raw;
  scratch->clear();
  AppendUnescaped(s, scratch);
  return *scratch;
}

bool JsonScanner::Malformed() {
  if (problem_.ok()) problem_ = Status(ErrorCode::kMalformedJson, "");
  return false;
}

bool JsonScanner::SkipWhitespace() {
  while (pos_ < text_.size()) {
    if (!IsJsonWhitespace(text_[pos_])) return true;
    ++pos_;
  }
  return false;
}

bool JsonScanner::Begin() {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  return true;
}

bool JsonScanner::End() {
  // Only whitespace after the document (a NUL byte anywhere was refused
  // before the scan, in CheckSizeAndUtf8).
  if (SkipWhitespace()) return Malformed();
  return true;
}

bool JsonScanner::PeekKind(JsonKind* kind) {
  if (!SkipWhitespace()) return Malformed();
  switch (text_[pos_]) {
    case '{':
      *kind = JsonKind::kObject;
      return true;
    case '[':
      *kind = JsonKind::kArray;
      return true;
    case '"':
      *kind = JsonKind::kString;
      return true;
    case 't':
      *kind = JsonKind::kTrue;
      return true;
    case 'f':
      *kind = JsonKind::kFalse;
      return true;
    case 'n':
      *kind = JsonKind::kNull;
      return true;
    default:
      if (text_[pos_] == '-' || IsDigit(text_[pos_])) {
        *kind = JsonKind::kNumber;
        return true;
      }
      return Malformed();
  }
}

bool JsonScanner::ReadScalar(JsonSpan* out) {
  JsonKind kind = JsonKind::kNull;
  if (!PeekKind(&kind)) return false;
  return ScanScalar(kind, out);
}

bool JsonScanner::ScanScalar(JsonKind kind, JsonSpan* out) {
  switch (kind) {
    case JsonKind::kString:
      return ScanString(out);
    case JsonKind::kNumber:
      return ScanNumber(out);
    case JsonKind::kTrue:
      return ScanLiteral("true", kind, out);
    case JsonKind::kFalse:
      return ScanLiteral("false", kind, out);
    case JsonKind::kNull:
      return ScanLiteral("null", kind, out);
    default:
      return Malformed();
  }
}

bool JsonScanner::SkipValue(JsonSpan* out) {
  JsonKind kind = JsonKind::kNull;
  if (!PeekKind(&kind)) return false;
  JsonSpan local;
  if (out == nullptr) out = &local;
  if (kind != JsonKind::kObject && kind != JsonKind::kArray) {
    return ScanScalar(kind, out);  // the kind is known: no second PeekKind
  }
  size_t start = pos_;
  bool done = false;
  if (kind == JsonKind::kObject) {
    if (!EnterObject()) return false;
    std::string_view key;
    while (true) {
      if (!NextKey(&key, &done)) return false;
      if (done) break;
      if (!SkipValue(nullptr)) return false;
    }
  } else {
    if (!EnterArray()) return false;
    while (true) {
      if (!NextElement(&done)) return false;
      if (done) break;
      if (!SkipValue(nullptr)) return false;
    }
  }
  out->kind = kind;
  out->raw = text_.substr(start, pos_ - start);
  out->escaped = false;
  return true;
}

bool JsonScanner::ScanLiteral(std::string_view word, JsonKind kind,
                              JsonSpan* out) {
  if (text_.substr(pos_, word.size()) != word) return Malformed();
  out->kind = kind;
  out->raw = text_.substr(pos_, word.size());
  out->escaped = false;
  pos_ += word.size();
  return true;
}

bool JsonScanner::ScanNumber(JsonSpan* out) {
  const size_t start = pos_;
  const size_t n = text_.size();
  bool is_float = false;
  if (text_[pos_] == '-') ++pos_;
  if (pos_ >= n || !IsDigit(text_[pos_])) return Malformed();
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < n && text_[pos_] == '.') {
    is_float = true;
    ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Malformed();
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < n && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    is_float = true;
    ++pos_;
    if (pos_ < n && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Malformed();
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  out->kind = JsonKind::kNumber;
  out->raw = text_.substr(start, pos_ - start);
  out->escaped = false;
  // An integer beyond 64 bits is read as a float, which must be finite
  // (nlohmann: "number overflow").
  if (!is_float && (pos_ - start <= kAlwaysInt64Chars ||
                    ClassifyNumber(out->raw).is_integer)) {
    return true;
  }
  number_buffer_.assign(out->raw);
  double value = std::strtod(number_buffer_.c_str(), nullptr);
  if (!std::isfinite(value)) return Malformed();
  return true;
}

bool JsonScanner::ScanString(JsonSpan* out) {
  const char* begin = text_.data() + pos_ + 1;  // after the quote
  const char* end = text_.data() + text_.size();
  const char* p = begin;
  size_t decoded = 0;
  bool escaped = false;
  while (true) {
    // The plain run: the common case.
    const char* run = p;
    p = text_.data() +
        SkipPlainStringBytes(text_, static_cast<size_t>(p - text_.data()));
    decoded += static_cast<size_t>(p - run);
    if (p >= end) return Malformed();
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') break;
    if (c < 0x20) return Malformed();
    // An escape.
    escaped = true;
    if (end - p < 2) return Malformed();
    char e = p[1];
    switch (e) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        p += 2;
        ++decoded;
        break;
      case 'u': {
        int cp = ReadHex4(p + 2, end);
        if (cp < 0) return Malformed();
        p += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return Malformed();
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return Malformed();
          int low = ReadHex4(p + 2, end);
          if (low < 0xDC00 || low > 0xDFFF) return Malformed();
          p += 6;
          decoded += 4;
        } else {
          decoded += CodePointBytes(static_cast<uint32_t>(cp));
        }
        break;
      }
      default:
        return Malformed();
    }
  }
  out->kind = JsonKind::kString;
  out->raw = std::string_view(begin, static_cast<size_t>(p - begin));
  out->escaped = escaped;
  pos_ = static_cast<size_t>(p - text_.data()) + 1;
  if (decoded > kMaxStringBytes) {
    problem_ = Status(ErrorCode::kPayloadTooLarge,
                      "a string of " + std::to_string(decoded) +
                          " bytes is over the limit of " +
                          std::to_string(kMaxStringBytes));
    return false;
  }
  return true;
}

bool JsonScanner::TooDeep() {
  if (max_depth_ == 0 ||
      objects_.size() + array_has_element_.size() < max_depth_) {
    return false;
  }
  problem_ = Status(ErrorCode::kTooDeep, "");
  return true;
}

bool JsonScanner::EnterObject() {
  if (TooDeep()) return false;
  ++pos_;  // '{'
  objects_.emplace_back();
  objects_.back().first_key = keys_.size();
  return true;
}

bool JsonScanner::RememberKey(std::string_view key) {
  OpenObject& object = objects_.back();
  size_t count = keys_.size() - object.first_key;
  bool duplicate = false;
  if (count < kLinearKeys) {
    for (size_t i = object.first_key; i < keys_.size(); ++i) {
      if (keys_[i] == key) {
        duplicate = true;
        break;
      }
    }
  } else {
    if (object.index.empty()) {
      object.index.insert(keys_.begin() + object.first_key, keys_.end());
    }
    duplicate = !object.index.insert(key).second;
  }
  if (duplicate) {
    duplicate_key_ = key;
    problem_ = Status(ErrorCode::kInvalidRequest, "duplicate key");
    return false;
  }
  keys_.push_back(key);
  return true;
}

bool JsonScanner::NextKey(std::string_view* key, bool* done) {
  OpenObject& object = objects_.back();
  if (!SkipWhitespace()) return Malformed();
  if (text_[pos_] == '}') {
    ++pos_;
    keys_.resize(object.first_key);
    objects_.pop_back();
    *done = true;
    return true;
  }
  if (object.any_member) {
    if (text_[pos_] != ',') return Malformed();
    ++pos_;
    if (!SkipWhitespace()) return Malformed();
  }
  if (text_[pos_] != '"') return Malformed();
  JsonSpan span;
  if (!ScanString(&span)) return false;
  std::string_view k = span.raw;
  if (span.escaped) {
    unescaped_keys_.emplace_back();
    AppendUnescaped(span, &unescaped_keys_.back());
    k = unescaped_keys_.back();
  }
  if (!RememberKey(k)) return false;
  object.any_member = true;
  if (!SkipWhitespace() || text_[pos_] != ':') return Malformed();
  ++pos_;
  *key = k;
  *done = false;
  return true;
}

bool JsonScanner::EnterArray() {
  if (TooDeep()) return false;
  ++pos_;  // '['
  array_has_element_.push_back(false);
  return true;
}

bool JsonScanner::NextElement(bool* done) {
  if (!SkipWhitespace()) return Malformed();
  if (text_[pos_] == ']') {
    ++pos_;
    array_has_element_.pop_back();
    *done = true;
    return true;
  }
  if (array_has_element_.back()) {
    if (text_[pos_] != ',') return Malformed();
    ++pos_;
  }
  array_has_element_.back() = true;
  *done = false;
  return true;
}

}  // namespace casesync
