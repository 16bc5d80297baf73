// A small JSON text writer for the pull's hot path: rows go from SQLite
// columns straight into one std::string, without a nlohmann object per row.
//
// Output is compact JSON that nlohmann (and so the core's decoders) reads
// back to the same values, and byte for byte what DumpJson writes for the
// same object when the keys are given in sorted order (nlohmann's objects are
// sorted): strings escape `"` and `\`, \b \f \n \r \t, the other control
// characters below U+0020 as \u00xx; everything else, non-ASCII UTF-8
// included, is copied as is. Invalid UTF-8 (never stored: every input is
// validated) is replaced by U+FFFD, as DumpJson does.
//
// Not thread-safe; writes only to the string it was given.
#ifndef CASESYNC_SERVER_JSON_WRITER_H_
#define CASESYNC_SERVER_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace casesync::server {

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view s);

// Writes one object: `{`, then members in call order, `}` at End().
// Keys are written as given (quoted, not escaped): pass literal ASCII names.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  JsonObjectWriter& String(std::string_view key, std::string_view value);
  // null when `value` is empty (optional ids such as parentId).
  JsonObjectWriter& StringOrNull(std::string_view key, std::string_view value);
  JsonObjectWriter& Int(std::string_view key, int64_t value);
  JsonObjectWriter& Bool(std::string_view key, bool value);
  // `json` must already be valid JSON text.
  JsonObjectWriter& Raw(std::string_view key, std::string_view json);
  void End() { out_ += '}'; }

 private:
  void Key(std::string_view key);

  std::string& out_;
  bool first_ = true;
};

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_JSON_WRITER_H_
