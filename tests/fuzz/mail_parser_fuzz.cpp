// libFuzzer target for the mail parser (server/src/mail/): any bytes as an
// RFC 5322 message through GMime parsing, classification, subject
// normalisation, quote trimming, HTML-to-text and attachment stripping.
// Invariants: nothing crashes, and every text that reaches a case is valid
// UTF-8 without control characters other than newline and tab.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "casesync/validation.h"
#include "mail/mail_message.h"
#include "mail/mail_text.h"

namespace {

void CheckText(const std::string& s, bool multiline) {
  if (!casesync::IsValidUtf8(s)) __builtin_trap();
  for (unsigned char c : s) {
    if (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace casesync::server::mail;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  ParsedMessage m = ParseMessage(raw);
  if (m.parsed) {
    Classify(m, "mesa.example.co");
    CheckText(m.subject, false);
    CheckText(m.text, true);
    NormalizedSubject s = NormalizeSubject(m.subject);
    CheckText(s.text, false);
    CheckText(CleanText(TrimQuotedReply(m.text), 8000, true), true);
  }
  // The pure text functions on the raw bytes too.
  CheckText(CleanText(HtmlToText(raw), 8000, true), true);
  CheckText(NormalizeSubject(raw).text, false);
  if (size < 65536) StripAttachments(raw);
  return 0;
}
