#include "mail/mail_message.h"

#include <gmime/gmime.h>

#include <charconv>
#include <ctime>
#include <mutex>

#include "mail/mail_text.h"
#include "passwords.h"

namespace casesync::server::mail {
namespace {

// Nested multiparts deeper than this are not walked (fuzzed input).
constexpr int kMaxDepth = 24;
constexpr size_t kMaxParts = 200;
constexpr char kSizeHeader[] = "X-Casesync-Attachment-Size";

void InitGMime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns a GObject reference.
template <typename T>
class Ref {
 public:
  explicit Ref(T* p = nullptr) : p_(p) {}
  ~Ref() {
    if (p_ != nullptr) g_object_unref(p_);
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  T* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_;
};

std::string Str(const char* s) { return s == nullptr ? std::string() : s; }

std::string LowerTrim(const char* s) { return NormalizeAddress(Str(s)); }

std::string StripAngles(std::string_view id) {
  while (!id.empty() && (id.front() == '<' || id.front() == ' ')) {
    id.remove_prefix(1);
  }
  while (!id.empty() && (id.back() == '>' || id.back() == ' ')) {
    id.remove_suffix(1);
  }
  return std::string(id);
}

// The Message-IDs of a References/In-Reply-To value, in header order.
std::vector<std::string> ParseIds(const char* value) {
  std::vector<std::string> out;
  if (value == nullptr) return out;
  GMimeReferences* refs = g_mime_references_parse(nullptr, value);
  if (refs == nullptr) return out;
  int n = g_mime_references_length(refs);
  for (int i = 0; i < n && i < 100; ++i) {
    out.push_back(Str(g_mime_references_get_message_id(refs, i)));
  }
  g_mime_references_free(refs);
  return out;
}

// The decoded (transfer encoding undone) bytes of a leaf part.
std::string DecodedBytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  Ref<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.get());
  GByteArray* bytes =
      g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  if (bytes == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

bool IsUtf8(std::string_view s) {
  return g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr);
}

// `bytes` in `charset` as UTF-8. ISO-8859-1, US-ASCII and unlabelled
// non-UTF-8 text are read as Windows-1252 (its superset, as browsers do:
// "smart quotes" and € sent labelled Latin-1 come out right).
std::string ToUtf8(const std::string& bytes, std::string charset) {
  for (char& c : charset) c = static_cast<char>(g_ascii_tolower(c));
  if (charset.empty() || charset == "utf-8" || charset == "utf8" ||
      charset == "us-ascii" || charset == "ascii") {
    if (IsUtf8(bytes)) return bytes;
    charset = "windows-1252";
  }
  if (charset == "iso-8859-1" || charset == "latin1" ||
      charset == "iso_8859-1" || charset == "l1") {
    charset = "windows-1252";
  }
  const char* iconv_name = g_mime_charset_iconv_name(charset.c_str());
  gsize written = 0;
  GError* error = nullptr;
  gchar* out = g_convert_with_fallback(
      bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", iconv_name, "?",
      nullptr, &written, &error);
  if (out == nullptr) {
    if (error != nullptr) g_error_free(error);
    // Unknown charset or bytes it cannot hold: Windows-1252 never fails
    // but for 5 unassigned bytes, which the fallback replaces.
    out = g_convert_with_fallback(
        bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8",
        "WINDOWS-1252", "?", nullptr, &written, nullptr);
    if (out == nullptr) return CleanText(bytes, std::string::npos, true);
  }
  std::string result(out, written);
  g_free(out);
  return result;
}

std::string PartText(GMimePart* part) {
  GMimeContentType* ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
  std::string charset =
      ct ? Str(g_mime_content_type_get_parameter(ct, "charset")) : "";
  return ToUtf8(DecodedBytes(part), charset);
}

bool IsType(GMimeObject* obj, const char* type, const char* subtype) {
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  return ct != nullptr && g_mime_content_type_is_type(ct, type, subtype);
}

struct Walk {
  ParsedMessage& out;
  std::vector<std::string> plain;
  std::vector<std::string> html;
  size_t parts = 0;

  void Leaf(GMimePart* part, bool in_report) {
    GMimeObject* obj = GMIME_OBJECT(part);
    bool text_plain = IsType(obj, "text", "plain");
    bool text_html = IsType(obj, "text", "html");
    if (in_report && IsType(obj, "text", "rfc822-headers")) {
      std::string headers = DecodedBytes(part) + "\n\n";
      Ref<GMimeStream> s(
          g_mime_stream_mem_new_with_buffer(headers.data(), headers.size()));
      Ref<GMimeParser> p(g_mime_parser_new_with_stream(s.get()));
      Ref<GMimeMessage> m(g_mime_parser_construct_message(p.get(), nullptr));
      if (m && g_mime_message_get_message_id(m.get()) != nullptr) {
        out.bounced_message_ids.push_back(
            Str(g_mime_message_get_message_id(m.get())));
      }
      return;
    }
    if (!g_mime_part_is_attachment(part) && (text_plain || text_html)) {
      (text_plain ? plain : html).push_back(PartText(part));
      return;
    }
    if (in_report && !text_plain && !text_html) return;  // delivery-status
    Attachment a;
    a.name = Str(g_mime_part_get_filename(part));
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    a.content_type = "application/octet-stream";
    if (ct != nullptr) {
      char* mime_type = g_mime_content_type_get_mime_type(ct);
      if (mime_type != nullptr) a.content_type = LowerTrim(mime_type);
      g_free(mime_type);
    }
    const char* recorded = g_mime_object_get_header(obj, kSizeHeader);
    if (recorded != nullptr) {
      std::string_view v = recorded;
      std::from_chars(v.data(), v.data() + v.size(), a.size);
    } else {
      a.size = static_cast<int64_t>(DecodedBytes(part).size());
    }
    out.attachments.push_back(std::move(a));
  }

  void Object(GMimeObject* obj, int depth, bool in_report) {
    if (obj == nullptr || depth > kMaxDepth || ++parts > kMaxParts) return;
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      int n = g_mime_multipart_get_count(mp);
      if (IsType(obj, "multipart", "alternative") && n > 0) {
        // One rendering: plain text when there is one, else the richest.
        GMimeObject* chosen = g_mime_multipart_get_part(mp, n - 1);
        for (int i = 0; i < n; ++i) {
          GMimeObject* child = g_mime_multipart_get_part(mp, i);
          if (IsType(child, "text", "plain")) {
            chosen = child;
            break;
          }
        }
        Object(chosen, depth + 1, in_report);
        return;
      }
      bool report = in_report || IsType(obj, "multipart", "report");
      for (int i = 0; i < n; ++i) {
        Object(g_mime_multipart_get_part(mp, i), depth + 1, report);
      }
      return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner =
          g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (in_report) {
        if (inner != nullptr && g_mime_message_get_message_id(inner)) {
          out.bounced_message_ids.push_back(
              Str(g_mime_message_get_message_id(inner)));
        }
        return;
      }
      Attachment a;
      a.name = inner ? Str(g_mime_message_get_subject(inner)) : "";
      a.content_type = "message/rfc822";
      out.attachments.push_back(std::move(a));
      return;
    }
    if (GMIME_IS_PART(obj)) Leaf(GMIME_PART(obj), in_report);
  }
};

std::string JoinTexts(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) {
    if (!out.empty()) out += "\n\n";
    out += t;
  }
  return out;
}

}  // namespace

ParsedMessage ParseMessage(std::string_view raw) {
  InitGMime();
  ParsedMessage out;
  Ref<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  Ref<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return out;
  GMimeObject* top = GMIME_OBJECT(msg.get());

  out.message_id = StripAngles(Str(g_mime_message_get_message_id(msg.get())));
  if (out.message_id.empty() || out.message_id.size() > 250) {
    out.message_id = "blake2b-" + TokenHash(raw) + "@casesync.invalid";
    out.message_id_synthesized = true;
  }
  for (const std::string& id :
       ParseIds(g_mime_object_get_header(top, "In-Reply-To"))) {
    out.references.push_back(id);
  }
  std::vector<std::string> refs =
      ParseIds(g_mime_object_get_header(top, "References"));
  for (auto it = refs.rbegin(); it != refs.rend(); ++it) {
    out.references.push_back(*it);
  }

  InternetAddressList* from = g_mime_message_get_from(msg.get());
  if (from != nullptr && internet_address_list_length(from) > 0) {
    InternetAddress* ia = internet_address_list_get_address(from, 0);
    if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      out.from = LowerTrim(
          internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
      out.from_name = CleanText(Str(internet_address_get_name(ia)), 120, false);
    }
  }
  out.subject =
      CleanText(Str(g_mime_message_get_subject(msg.get())), 1000, false);

  out.auto_submitted =
      LowerTrim(g_mime_object_get_header(top, "Auto-Submitted"));
  out.precedence = LowerTrim(g_mime_object_get_header(top, "Precedence"));
  out.x_autoreply = g_mime_object_get_header(top, "X-Autoreply") != nullptr ||
                    g_mime_object_get_header(top, "X-Autorespond") != nullptr;
  out.list = g_mime_object_get_header(top, "List-Id") != nullptr ||
             g_mime_object_get_header(top, "List-Unsubscribe") != nullptr;
  const char* return_path = g_mime_object_get_header(top, "Return-Path");
  out.null_return_path =
      return_path != nullptr && StripAngles(LowerTrim(return_path)).empty();
  out.x_casesync = g_mime_object_get_header(top, "X-Casesync") != nullptr;

  GMimeObject* body = g_mime_message_get_mime_part(msg.get());
  if (body != nullptr && IsType(body, "multipart", "report")) {
    GMimeContentType* ct = g_mime_object_get_content_type(body);
    out.delivery_report = LowerTrim(g_mime_content_type_get_parameter(
                              ct, "report-type")) == "delivery-status";
  }
  Walk walk{out, {}, {}, 0};
  walk.Object(body, 0, false);
  if (!walk.plain.empty()) {
    out.text = CleanText(JoinTexts(walk.plain), std::string::npos, true);
  } else if (!walk.html.empty()) {
    std::vector<std::string> texts;
    for (const std::string& h : walk.html) texts.push_back(HtmlToText(h));
    out.text = JoinTexts(texts);
    out.html_only = true;
  }
  out.parsed = true;
  return out;
}

const char* MessageClassName(MessageClass c) {
  switch (c) {
    case MessageClass::kNormal:
      return "normal";
    case MessageClass::kOwn:
      return "own";
    case MessageClass::kBounce:
      return "bounce";
    case MessageClass::kAutoReply:
      return "auto_reply";
    case MessageClass::kList:
      return "list";
  }
  return "normal";
}

MessageClass Classify(const ParsedMessage& m, std::string_view own_domain) {
  std::string_view id = m.message_id;
  size_t at = id.rfind('@');
  if (m.x_casesync || (!own_domain.empty() && at != std::string_view::npos &&
                       NormalizeAddress(id.substr(at + 1)) == own_domain)) {
    return MessageClass::kOwn;
  }
  std::string_view local = std::string_view(m.from).substr(
      0, std::min(m.from.size(), m.from.find('@')));
  bool daemon = local == "mailer-daemon" || local == "postmaster";
  if (m.delivery_report || daemon) return MessageClass::kBounce;
  const std::string& p = m.precedence;
  if ((!m.auto_submitted.empty() && m.auto_submitted != "no") ||
      m.x_autoreply || p == "auto_reply" || p == "bulk" || p == "junk" ||
      m.null_return_path) {
    return MessageClass::kAutoReply;
  }
  if (m.list || p == "list") return MessageClass::kList;
  return MessageClass::kNormal;
}

// No <meta charset>: GMime picks the part's charset (the smallest that
// holds the text) and the MIME header is what readers use.
std::string TextToHtml(std::string_view text, std::string_view lang) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"" + std::string(lang) +
                    "\"><body style=\"font-family:sans-serif\">\n<p>";
  int newlines = 0;
  for (char c : text) {
    if (c == '\n') {
      ++newlines;
      continue;
    }
    if (newlines == 1) out += "<br>\n";
    if (newlines >= 2) out += "</p>\n<p>";
    newlines = 0;
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  out += "</p>\n</body></html>\n";
  return out;
}

std::string BuildMessage(const OutboundMessage& m) {
  InitGMime();
  Ref<GMimeMessage> msg(g_mime_message_new(TRUE));
  GMimeObject* top = GMIME_OBJECT(msg.get());
  g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_FROM,
                             m.from_name.c_str(), m.from.c_str());
  g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_TO, nullptr,
                             m.to.c_str());
  g_mime_message_set_subject(msg.get(), m.subject.c_str(), "utf-8");
  g_mime_message_set_message_id(msg.get(), m.message_id.c_str());
  GDateTime* date = g_date_time_new_from_unix_utc(m.date_ms / 1000);
  if (date != nullptr) {
    g_mime_message_set_date(msg.get(), date);
    g_date_time_unref(date);
  }
  g_mime_object_set_header(top, "Auto-Submitted", "auto-replied", nullptr);
  // Asks Exchange/Outlook not to answer with out-of-office replies.
  g_mime_object_set_header(top, "X-Auto-Response-Suppress", "All", nullptr);
  g_mime_object_set_header(top, "X-Casesync", m.kind.c_str(), nullptr);
  if (!m.in_reply_to.empty()) {
    std::string ref = "<" + m.in_reply_to + ">";
    g_mime_object_set_header(top, "In-Reply-To", ref.c_str(), nullptr);
    g_mime_object_set_header(top, "References", ref.c_str(), nullptr);
  }

  Ref<GMimeMultipart> alt(g_mime_multipart_new_with_subtype("alternative"));
  Ref<GMimeTextPart> plain(g_mime_text_part_new_with_subtype("plain"));
  g_mime_text_part_set_text(plain.get(), m.text.c_str());
  g_mime_part_set_content_encoding(GMIME_PART(plain.get()),
                                   GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  std::string html_text = TextToHtml(m.text, m.lang);
  Ref<GMimeTextPart> html(g_mime_text_part_new_with_subtype("html"));
  g_mime_text_part_set_text(html.get(), html_text.c_str());
  g_mime_part_set_content_encoding(GMIME_PART(html.get()),
                                   GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  g_mime_multipart_add(alt.get(), GMIME_OBJECT(plain.get()));
  g_mime_multipart_add(alt.get(), GMIME_OBJECT(html.get()));
  g_mime_message_set_mime_part(msg.get(), GMIME_OBJECT(alt.get()));

  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  char* text = g_mime_object_to_string(top, format);
  g_mime_format_options_free(format);
  std::string out = Str(text);
  g_free(text);
  return out;
}

std::string StripAttachments(std::string_view raw) {
  InitGMime();
  Ref<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  Ref<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return std::string(raw);
  GMimePartIter* iter = g_mime_part_iter_new(GMIME_OBJECT(msg.get()));
  bool changed = false;
  size_t parts = 0;
  if (g_mime_part_iter_is_valid(iter)) {
    do {
      GMimeObject* obj = g_mime_part_iter_get_current(iter);
      if (++parts > kMaxParts) break;
      if (!GMIME_IS_PART(obj)) continue;
      GMimePart* part = GMIME_PART(obj);
      bool text = IsType(obj, "text", "plain") || IsType(obj, "text", "html");
      if (text && !g_mime_part_is_attachment(part)) continue;
      std::string size = std::to_string(DecodedBytes(part).size());
      Ref<GMimeStream> empty(g_mime_stream_mem_new());
      Ref<GMimeDataWrapper> wrapper(g_mime_data_wrapper_new_with_stream(
          empty.get(), GMIME_CONTENT_ENCODING_DEFAULT));
      g_mime_part_set_content(part, wrapper.get());
      g_mime_object_set_header(obj, kSizeHeader, size.c_str(), nullptr);
      changed = true;
    } while (g_mime_part_iter_next(iter));
  }
  g_mime_part_iter_free(iter);
  if (!changed) return std::string(raw);
  char* text = g_mime_object_to_string(GMIME_OBJECT(msg.get()), nullptr);
  std::string out = Str(text);
  g_free(text);
  return out;
}

}  // namespace casesync::server::mail
