// Text rules of the e-mail intake that need no MIME: subject normalisation
// (reply/forward prefixes in every common language, the [CS0000000] case
// token), trimming of quoted replies, HTML-to-text for HTML-only mail, and
// making any text acceptable to the case form's text rules.
//
// Pure functions of their input: no I/O, thread-safe, never throw. Input is
// UTF-8 (the parser converts every charset first); invalid bytes are
// replaced, never trusted. Rules and examples: docs/mail.md.
#ifndef CASESYNC_SERVER_MAIL_MAIL_TEXT_H_
#define CASESYNC_SERVER_MAIL_MAIL_TEXT_H_

#include <string>
#include <string_view>

namespace casesync::server::mail {

// The reply marker at the top of every notification. A customer's reply is
// cut where a line containing it (or its English half) begins.
inline constexpr const char kReplyMarker[] =
    "--- Responda por encima de esta línea / Reply above this line ---";

struct NormalizedSubject {
  std::string text;       // prefixes and case tokens removed, spaces collapsed
  bool is_reply = false;  // the outermost prefix is a reply (RE, AW, ...)
  bool is_forward = false;  // the outermost prefix is a forward (RV, FW, ...)
  std::string case_number;  // "CS0000123" from the first [CS0000123] token
};

// Strips stacked prefixes case-insensitively, with ':' or the full-width
// '：', optional counters ("Re[2]:", "RE(3):") and spaces: RE, RES, R, AW,
// SV, VS, ANTW, ODP, "No reply"/"Noreply"; forwards FW, FWD, RV, ENC, TR,
// WG, VB, "Forward", "Forwarded", "Reenvío". "RE: RV: Fwd: x" → "x" (a
// reply). Also removes "[CS0000123]" tokens anywhere.
NormalizedSubject NormalizeSubject(std::string_view subject);

// The new text of a reply: cut at our reply marker, at the common clients'
// quote headers (Outlook "De: … Enviado: …" / "From: … Sent: …" blocks and
// its "____" rule, "-----Original Message-----" / "-----Mensaje
// original-----", Gmail and Apple Mail "El … escribió:" / "On … wrote:",
// also wrapped over two lines), at the "-- " signature line and mobile
// "Enviado desde mi …" lines; a trailing block of ">" lines is dropped.
// Returns the whole text (trimmed) when the cut would leave nothing.
std::string TrimQuotedReply(std::string_view text);

// Readable text of an HTML body: no tags, scripts or styles; block elements
// and <br> become line breaks, list items "- ", <blockquote> lines "> ",
// links "text (url)" when they differ; entities decoded.
std::string HtmlToText(std::string_view html);

// Valid UTF-8 (invalid bytes → U+FFFD), control characters other than
// newline and tab removed, CRLF → LF, trailing spaces of lines and runs of
// more than two blank lines dropped, trimmed; at most `max_code_points`
// code points (cut at a code point boundary, "…" appended when cut).
std::string CleanText(std::string_view text, size_t max_code_points,
                      bool multiline);

// Lower-cased ASCII, trimmed e-mail address.
std::string NormalizeAddress(std::string_view address);

}  // namespace casesync::server::mail

#endif  // CASESYNC_SERVER_MAIL_MAIL_TEXT_H_
