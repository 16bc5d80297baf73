// Inbound e-mail as the intake needs it: one RFC 5322 message parsed with
// GMime 3 (headers, multipart, RFC 2047 encoded words, transfer encodings,
// charsets → UTF-8, HTML-only bodies → text), classified (auto-reply,
// bounce, list, our own), and outbound messages built with GMime.
//
// Thread-safe: GMime is initialised once (g_mime_init under std::call_once)
// and each call uses its own objects. Never throws and never crashes on
// broken input: GMime is lenient, and what it cannot read gives
// ParsedMessage::parsed = false.
#ifndef CASESYNC_SERVER_MAIL_MAIL_MESSAGE_H_
#define CASESYNC_SERVER_MAIL_MAIL_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace casesync::server::mail {

struct Attachment {
  std::string name;          // "" when the part has none
  std::string content_type;  // "image/png"
  int64_t size = 0;          // decoded bytes (or the mailgate's record)
};

struct ParsedMessage {
  bool parsed = false;     // false: not a message at all (see docs/mail.md)
  std::string message_id;  // without <>; synthesized when absent
  bool message_id_synthesized = false;
  std::vector<std::string> references;  // In-Reply-To first, then References
                                        // newest first, without <>
  std::string from;                     // lower-case address; "" when none
  std::string from_name;                // display name, UTF-8
  std::string subject;                  // decoded, UTF-8
  std::string text;  // the body as UTF-8 text (HTML converted)
  bool html_only = false;
  std::vector<Attachment> attachments;

  // What classification looks at.
  std::string auto_submitted;     // header value, lower case
  std::string precedence;         // lower case
  bool x_autoreply = false;       // X-Autoreply or X-Autorespond present
  bool list = false;              // List-Id or List-Unsubscribe present
  bool null_return_path = false;  // Return-Path: <>
  bool delivery_report = false;   // multipart/report; delivery-status
  bool x_casesync = false;        // X-Casesync header (ours)
  // Message-IDs found in a delivery report's returned headers.
  std::vector<std::string> bounced_message_ids;
};

// Parses `raw` (RFC 5322, LF or CRLF). A missing Message-ID is replaced by
// "sha-<hash of raw>@casesync.invalid" so that a duplicate delivery is
// still recognised.
ParsedMessage ParseMessage(std::string_view raw);

enum class MessageClass {
  kNormal,     // a person wrote it: process
  kOwn,        // one of our notifications came back
  kBounce,     // delivery status notification
  kAutoReply,  // out of office, RFC 3834 auto-submitted, null sender
  kList,       // mailing list / bulk
};
const char* MessageClassName(MessageClass c);

// `own_domain`: the domain of our Message-IDs (lower case). Order: own,
// bounce, auto-reply, list (docs/mail.md).
MessageClass Classify(const ParsedMessage& m, std::string_view own_domain);

// An outbound message (a notification).
struct OutboundMessage {
  std::string from_name;
  std::string from;  // address
  std::string to;
  std::string subject;
  std::string text;  // plain text; the HTML part is made from it (escaped)
  std::string message_id;   // without <>
  std::string in_reply_to;  // without <>, or ""
  std::string kind;         // X-Casesync header value
  int64_t date_ms = 0;
  std::string lang = "es";
};

// RFC 5322 bytes (CRLF) of a multipart/alternative text + HTML message with
// Auto-Submitted: auto-replied, X-Casesync, Message-ID, In-Reply-To and
// References; subject RFC 2047-encoded when needed.
std::string BuildMessage(const OutboundMessage& m);

// `text` as HTML paragraphs, every character escaped.
std::string TextToHtml(std::string_view text, std::string_view lang);

// Replaces the content of every attachment of `raw` by nothing, recording
// the decoded size in an X-Casesync-Attachment-Size header on the part (the
// server lists attachments; it does not store them). Returns `raw` itself
// when it does not parse.
std::string StripAttachments(std::string_view raw);

}  // namespace casesync::server::mail

#endif  // CASESYNC_SERVER_MAIL_MAIL_MESSAGE_H_
