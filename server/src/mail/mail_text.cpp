#include "mail/mail_text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace casesync::server::mail {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

// Whether `s` starts with `prefix`, ASCII case-insensitively.
bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  }
  return true;
}

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         StartsWithNoCase(s.substr(s.size() - suffix.size()), suffix);
}

bool ContainsNoCase(std::string_view s, std::string_view needle) {
  if (needle.size() > s.size()) return false;
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (StartsWithNoCase(s.substr(i), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes one code point at s[i]; returns its length, or 0 when invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
  if (len == 0 || b > 0xF4 || i + len > s.size()) return 0;
  uint32_t v = b & (0x3F >> (len - 1));
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    v = (v << 6) | (c & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// ---- subjects ----

struct PrefixToken {
  const char* text;  // lower case
  bool forward;
};

// Longer tokens first where one is a prefix of another.
constexpr PrefixToken kPrefixes[] = {
    {"forwarded", true}, {"forward", true},  {"reenvío", true},
    {"reenvio", true},   {"fwd", true},      {"fw", true},
    {"rv", true},        {"enc", true},      {"tr", true},
    {"wg", true},        {"vb", true},       {"no reply", false},
    {"no-reply", false}, {"noreply", false}, {"antw", false},
    {"res", false},      {"re", false},      {"aw", false},
    {"sv", false},       {"vs", false},      {"odp", false},
    {"r", false},
};

// Length of a case token "[CS" 7 digits "]" at the start of `s`, or 0.
size_t CaseTokenAt(std::string_view s) {
  if (s.size() < 11 || s[0] != '[' || Lower(s[1]) != 'c' ||
      Lower(s[2]) != 's' || s[10] != ']') {
    return 0;
  }
  for (size_t i = 3; i < 10; ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
  }
  return 11;
}

// Length of one prefix ("Re[2] :" etc.) at the start of `s`, or 0.
size_t PrefixAt(std::string_view s, bool* forward) {
  for (const PrefixToken& t : kPrefixes) {
    std::string_view token = t.text;
    if (!StartsWithNoCase(s, token)) continue;
    size_t i = token.size();
    // A counter: "Re[2]:", "RE(3):", "Re^2:".
    if (i < s.size() && (s[i] == '[' || s[i] == '(' || s[i] == '^')) {
      char close = s[i] == '[' ? ']' : s[i] == '(' ? ')' : '\0';
      size_t j = i + 1;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      if (j == i + 1) continue;
      if (close != '\0') {
        if (j >= s.size() || s[j] != close) continue;
        ++j;
      }
      i = j;
    }
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i < s.size() && s[i] == ':') {
      *forward = t.forward;
      return i + 1;
    }
    if (s.substr(i, 3) == "\xEF\xBC\x9A") {  // U+FF1A FULLWIDTH COLON
      *forward = t.forward;
      return i + 3;
    }
  }
  return 0;
}

// ---- HTML ----

struct Entity {
  const char* name;
  uint32_t cp;
};

constexpr Entity kEntities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", ' '},     {"aacute", 0xE1},  {"eacute", 0xE9},
    {"iacute", 0xED},  {"oacute", 0xF3},  {"uacute", 0xFA},  {"ntilde", 0xF1},
    {"Aacute", 0xC1},  {"Eacute", 0xC9},  {"Iacute", 0xCD},  {"Oacute", 0xD3},
    {"Uacute", 0xDA},  {"Ntilde", 0xD1},  {"uuml", 0xFC},    {"Uuml", 0xDC},
    {"iquest", 0xBF},  {"iexcl", 0xA1},   {"copy", 0xA9},    {"reg", 0xAE},
    {"euro", 0x20AC},  {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026},
    {"laquo", 0xAB},   {"raquo", 0xBB},   {"ldquo", 0x201C}, {"rdquo", 0x201D},
    {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"bull", 0x2022},  {"middot", 0xB7},
    {"deg", 0xB0},     {"ordf", 0xAA},    {"ordm", 0xBA},    {"agrave", 0xE0},
    {"egrave", 0xE8},  {"ccedil", 0xE7},  {"atilde", 0xE3},  {"otilde", 0xF5},
    {"acirc", 0xE2},   {"ecirc", 0xEA},   {"ocirc", 0xF4},   {"zwnj", 0x200C},
};

// Decodes the entity at html[i] ('&'); appends it and returns its length, or
// 0 when it is not one (the '&' is then literal).
size_t DecodeEntity(std::string_view html, size_t i, std::string& out) {
  size_t semi = html.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  std::string_view name = html.substr(i + 1, semi - i - 1);
  if (name.empty()) return 0;
  uint32_t cp = 0;
  if (name[0] == '#') {
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int v = (c >= '0' && c <= '9')          ? c - '0'
              : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (hex && c >= 'A' && c <= 'F') ? c - 'A' + 10
                                              : -1;
      if (v < 0) return 0;
      if (cp <= 0x10FFFF) cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      cp = 0xFFFD;
    }
    if (cp == 0xA0) cp = ' ';
  } else {
    bool found = false;
    for (const Entity& e : kEntities) {
      if (name == e.name) {
        cp = e.cp;
        found = true;
        break;
      }
    }
    if (!found) return 0;
  }
  AppendUtf8(out, cp);
  return semi - i + 1;
}

bool IsBlockTag(std::string_view tag) {
  static constexpr std::string_view kBlocks[] = {
      "p",          "div", "br",      "tr",      "table",   "ul",     "ol",
      "h1",         "h2",  "h3",      "h4",      "h5",      "h6",     "hr",
      "li",         "pre", "address", "section", "article", "header", "footer",
      "blockquote", "dl",  "dt",      "dd"};
  for (std::string_view b : kBlocks) {
    if (tag == b) return true;
  }
  return false;
}

// The value of attribute `name` inside a tag's text, or "".
std::string AttributeOf(std::string_view tag_text, std::string_view name) {
  size_t i = 0;
  while (i < tag_text.size()) {
    size_t at = tag_text.size();
    for (size_t k = i; k + name.size() < tag_text.size(); ++k) {
      if ((k == 0 || IsSpace(tag_text[k - 1])) &&
          StartsWithNoCase(tag_text.substr(k), name)) {
        size_t e = k + name.size();
        while (e < tag_text.size() && IsSpace(tag_text[e])) ++e;
        if (e < tag_text.size() && tag_text[e] == '=') {
          at = e + 1;
          break;
        }
      }
    }
    if (at >= tag_text.size()) return "";
    while (at < tag_text.size() && IsSpace(tag_text[at])) ++at;
    if (at >= tag_text.size()) return "";
    char q = tag_text[at];
    if (q == '"' || q == '\'') {
      size_t end = tag_text.find(q, at + 1);
      if (end == std::string_view::npos) return "";
      return std::string(tag_text.substr(at + 1, end - at - 1));
    }
    size_t end = at;
    while (end < tag_text.size() && !IsSpace(tag_text[end]) &&
           tag_text[end] != '>') {
      ++end;
    }
    return std::string(tag_text.substr(at, end - at));
  }
  return "";
}

class TextBuilder {
 public:
  void Text(std::string_view s) {
    for (char c : s) Char(c);
  }
  void Char(char c) {
    if (!pre_ && IsSpace(c)) {
      pending_space_ = true;
      return;
    }
    if (pre_ && c == '\n') {
      Newline();
      return;
    }
    if (at_line_start_) {
      for (int i = 0; i < quote_depth_; ++i) out_ += "> ";
      at_line_start_ = false;
      pending_space_ = false;
    } else if (pending_space_) {
      out_ += ' ';
      pending_space_ = false;
    }
    out_ += c;
  }
  void Newline() {
    out_ += '\n';
    at_line_start_ = true;
    pending_space_ = false;
  }
  // A block boundary: a line break unless one was just written.
  void Break() {
    if (!at_line_start_) Newline();
  }
  void Paragraph() {
    Break();
    if (out_.size() < 2 || out_.substr(out_.size() - 2) != "\n\n") Newline();
  }
  void set_pre(bool pre) { pre_ = pre; }
  void Quote(int delta) {
    Break();
    quote_depth_ = std::max(0, quote_depth_ + delta);
  }
  std::string& out() { return out_; }
  bool at_line_start() const { return at_line_start_; }

 private:
  std::string out_;
  bool at_line_start_ = true;
  bool pending_space_ = false;
  bool pre_ = false;
  int quote_depth_ = 0;
};

}  // namespace

NormalizedSubject NormalizeSubject(std::string_view subject_in) {
  NormalizedSubject out;
  std::string subject = CleanText(subject_in, 4000, false);
  std::string_view s = subject;
  bool first = true;
  while (true) {
    s = Trim(s);
    if (size_t n = CaseTokenAt(s); n > 0) {
      if (out.case_number.empty()) {
        out.case_number = "CS" + std::string(s.substr(3, 7));
      }
      s.remove_prefix(n);
      continue;
    }
    bool forward = false;
    size_t n = PrefixAt(s, &forward);
    if (n == 0) break;
    if (first) {
      out.is_forward = forward;
      out.is_reply = !forward;
      first = false;
    }
    s.remove_prefix(n);
  }
  // Tokens elsewhere in the text ("Factura [CS0000123] rechazada").
  std::string rest;
  for (size_t i = 0; i < s.size();) {
    if (size_t n = CaseTokenAt(s.substr(i)); n > 0) {
      if (out.case_number.empty()) {
        out.case_number = "CS" + std::string(s.substr(i + 3, 7));
      }
      i += n;
      continue;
    }
    rest += s[i++];
  }
  // Collapse spaces.
  bool space = false;
  for (char c : rest) {
    if (IsSpace(c)) {
      space = !out.text.empty();
      continue;
    }
    if (space) out.text += ' ';
    space = false;
    out.text += c;
  }
  return out;
}

std::string TrimQuotedReply(std::string_view text) {
  std::vector<std::string_view> lines = SplitLines(text);
  size_t cut = lines.size();
  auto next_nonblank = [&](size_t i) {
    for (size_t k = i + 1; k < lines.size(); ++k) {
      if (!Trim(lines[k]).empty()) return k;
    }
    return lines.size();
  };
  auto header_line = [](std::string_view l,
                        std::initializer_list<const char*> names) {
    l = Trim(l);
    while (!l.empty() && (l.front() == '*' || l.front() == '>')) {
      l.remove_prefix(1);
      l = Trim(l);
    }
    for (const char* n : names) {
      if (StartsWithNoCase(l, n)) return true;
    }
    return false;
  };
  static constexpr std::string_view kWrote[] = {
      "wrote:",   "escribió:", "escribio:", "a écrit :",
      "a écrit:", "schrieb:",  "escreveu:", "ha scritto:"};
  auto ends_wrote = [](std::string_view l) {
    l = Trim(l);
    for (std::string_view w : kWrote) {
      if (EndsWithNoCase(l, w)) return true;
    }
    return false;
  };
  for (size_t i = 0; i < lines.size() && cut == lines.size(); ++i) {
    std::string_view l = Trim(lines[i]);
    if (ContainsNoCase(l, "Responda por encima de esta l") ||
        ContainsNoCase(l, "Reply above this line")) {
      cut = i;
    } else if (l.size() > 4 && l.substr(0, 2) == "--" && l.back() == '-' &&
               (ContainsNoCase(l, "original message") ||
                ContainsNoCase(l, "mensaje original") ||
                ContainsNoCase(l, "message d'origine") ||
                ContainsNoCase(l, "nachricht") ||
                ContainsNoCase(l, "messaggio originale") ||
                ContainsNoCase(l, "mensagem original") ||
                ContainsNoCase(l, "forwarded message") ||
                ContainsNoCase(l, "mensaje reenviado"))) {
      cut = i;
    } else if (l.size() >= 10 &&
               l.find_first_not_of('_') == std::string_view::npos &&
               header_line(
                   lines[next_nonblank(i) < lines.size() ? next_nonblank(i)
                                                         : i],
                   {"De:", "From:"})) {
      cut = i;
    } else if (header_line(l, {"De:", "From:"})) {
      // An Outlook header block: From/De then Sent/Enviado/Date/Fecha.
      for (size_t k = i + 1; k < lines.size() && k <= i + 4; ++k) {
        if (header_line(lines[k],
                        {"Enviado:", "Enviado el:", "Sent:", "Date:", "Fecha:",
                         "Gesendet:", "Envoyé :", "Envoyé:"})) {
          cut = i;
          break;
        }
      }
    } else if ((StartsWithNoCase(l, "On ") || StartsWithNoCase(l, "El ") ||
                StartsWithNoCase(l, "Le ") || StartsWithNoCase(l, "Am ") ||
                StartsWithNoCase(l, "Em ") || StartsWithNoCase(l, "Il ")) &&
               (ends_wrote(l) ||
                (i + 1 < lines.size() && ends_wrote(lines[i + 1]) &&
                 !l.empty() && l.back() != '.'))) {
      cut = i;
    } else if (lines[i] == "-- " || lines[i] == "--") {
      cut = i;
    } else if (StartsWithNoCase(l, "Enviado desde mi ") ||
               StartsWithNoCase(l, "Sent from my ") ||
               StartsWithNoCase(l, "Obtener Outlook para") ||
               StartsWithNoCase(l, "Get Outlook for")) {
      cut = i;
    }
  }
  // A trailing block of quoted lines (and blank ones).
  while (cut > 0) {
    std::string_view l = Trim(lines[cut - 1]);
    if (!l.empty() && l.front() != '>') break;
    --cut;
  }
  std::string out;
  for (size_t i = 0; i < cut; ++i) {
    out.append(lines[i]);
    out += '\n';
  }
  std::string_view trimmed = Trim(out);
  if (trimmed.empty()) return std::string(Trim(text));
  return std::string(trimmed);
}

std::string HtmlToText(std::string_view html) {
  TextBuilder b;
  std::string skip_until;  // closing tag that ends a skipped element
  std::string link_href;
  size_t link_start = 0;
  for (size_t i = 0; i < html.size();) {
    char c = html[i];
    if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      // The tag's extent, respecting quoted attribute values.
      size_t j = i + 1;
      char quote = 0;
      while (j < html.size()) {
        if (quote) {
          if (html[j] == quote) quote = 0;
        } else if (html[j] == '"' || html[j] == '\'') {
          quote = html[j];
        } else if (html[j] == '>') {
          break;
        }
        ++j;
      }
      std::string_view tag_text = html.substr(i + 1, j - i - 1);
      i = j < html.size() ? j + 1 : html.size();
      bool closing = !tag_text.empty() && tag_text[0] == '/';
      if (closing) tag_text.remove_prefix(1);
      std::string name;
      for (char t : tag_text) {
        if (IsSpace(t) || t == '/' || t == '>') break;
        name += Lower(t);
      }
      if (!skip_until.empty()) {
        if (closing && name == skip_until) skip_until.clear();
        continue;
      }
      if (!closing && (name == "script" || name == "style" || name == "head" ||
                       name == "title")) {
        skip_until = name;
        continue;
      }
      if (name == "br") {
        b.Newline();
      } else if (name == "p" || name == "h1" || name == "h2" || name == "h3" ||
                 name == "table") {
        b.Paragraph();
      } else if (name == "blockquote") {
        b.Quote(closing ? -1 : 1);
      } else if (name == "li" && !closing) {
        b.Break();
        b.Text("- ");
      } else if (name == "pre") {
        b.Break();
        b.set_pre(!closing);
      } else if (name == "td" || name == "th") {
        if (closing) b.Char(' ');
      } else if (name == "a") {
        if (!closing) {
          link_href = AttributeOf(tag_text, "href");
          link_start = b.out().size();
        } else if (!link_href.empty()) {
          std::string_view shown = std::string_view(b.out()).substr(
              std::min(link_start, b.out().size()));
          if ((StartsWithNoCase(link_href, "http://") ||
               StartsWithNoCase(link_href, "https://")) &&
              shown.find(link_href) == std::string_view::npos) {
            b.Text(" (" + link_href + ")");
          }
          link_href.clear();
        }
      } else if (IsBlockTag(name)) {
        b.Break();
      }
      continue;
    }
    if (!skip_until.empty()) {
      ++i;
      continue;
    }
    if (c == '&') {
      std::string decoded;
      size_t n = DecodeEntity(html, i, decoded);
      if (n > 0) {
        for (char d : decoded) b.Char(d);
        i += n;
        continue;
      }
    }
    b.Char(c);
    ++i;
  }
  return CleanText(b.out(), std::string::npos, true);
}

std::string CleanText(std::string_view text, size_t max_code_points,
                      bool multiline) {
  // 1. Valid UTF-8 without control characters.
  std::string clean;
  clean.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) {
      AppendUtf8(clean, 0xFFFD);
      ++i;
      continue;
    }
    i += n;
    if (cp == '\r') {
      if (i < text.size() && text[i] == '\n') continue;  // CRLF → LF
      cp = '\n';
    }
    if (cp == '\n' || cp == '\t') {
      clean += multiline ? static_cast<char>(cp) : ' ';
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) continue;
    if (cp == 0xA0) cp = ' ';
    AppendUtf8(clean, cp);
  }
  // 2. Lines: no trailing spaces, at most one blank line in a row.
  std::string out;
  out.reserve(clean.size());
  int blank_run = 0;
  for (std::string_view line : SplitLines(clean)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      if (++blank_run > 1) continue;
    } else {
      blank_run = 0;
    }
    out.append(line);
    out += '\n';
  }
  std::string_view trimmed = Trim(out);
  // 3. Length in code points.
  size_t count = 0;
  for (size_t i = 0; i < trimmed.size(); ++i) {
    if ((static_cast<unsigned char>(trimmed[i]) & 0xC0) == 0x80) continue;
    if (count == max_code_points) {
      std::string cut(trimmed.substr(0, i));
      // Room for the ellipsis.
      size_t k = cut.size();
      while (k > 0 && (static_cast<unsigned char>(cut[k - 1]) & 0xC0) == 0x80) {
        --k;
      }
      if (k > 0) cut.resize(k - 1);
      return cut + "\xE2\x80\xA6";
    }
    ++count;
  }
  return std::string(trimmed);
}

std::string NormalizeAddress(std::string_view address) {
  std::string out(Trim(address));
  for (char& c : out) c = Lower(c);
  return out;
}

}  // namespace casesync::server::mail
