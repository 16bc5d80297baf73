#include "casesync/validation.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "swar_internal.h"

namespace casesync {
namespace {

// --- UTF-8 (RFC 3629) ------------------------------------------------------

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Decodes the code point starting at `pos` and advances `pos` past it.
// Refuses truncated sequences, stray continuation bytes, overlong forms,
// surrogates (U+D800..U+DFFF) and anything above U+10FFFF.
std::optional<char32_t> DecodeCodePoint(std::string_view s, size_t& pos) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;  // smallest code point that needs `length` bytes
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
    min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
    min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
    min = 0x10000;
  } else {
    return std::nullopt;  // continuation byte or 0xF8..0xFF
  }
  if (s.size() - pos < length) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(s[pos + i]);
    if (!IsContinuation(byte)) return std::nullopt;
    cp = (cp << 6) | (byte & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  pos += length;
  return cp;
}

// C0 controls, DEL and C1 controls. Tab and newline are decided by callers.
bool IsControl(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

// --- Text normalisation ----------------------------------------------------

constexpr std::string_view kNoBreakSpace = "\xC2\xA0";  // U+00A0

bool IsAsciiBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Strips ASCII spaces, tabs, line ends and U+00A0 from both ends. `text` is
// valid UTF-8, so a trailing "\xC2\xA0" is always a whole U+00A0.
std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty()) {
    if (IsAsciiBlank(text.front())) {
      text.remove_prefix(1);
    } else if (text.starts_with(kNoBreakSpace)) {
      text.remove_prefix(kNoBreakSpace.size());
    } else {
      break;
    }
  }
  while (!text.empty()) {
    if (IsAsciiBlank(text.back())) {
      text.remove_suffix(1);
    } else if (text.ends_with(kNoBreakSpace)) {
      text.remove_suffix(kNoBreakSpace.size());
    } else {
      break;
    }
  }
  return text;
}

// CRLF and lone CR become LF.
std::string NormaliseLineEnds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
      continue;
    }
    out += '\n';
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  return out;
}

// The first position at or after `pos` whose byte may start a control
// character (below 0x20, DEL, or 0xC2, the lead byte of U+0080..U+00FF), or
// text.size(). Sixteen or eight bytes at a time: nearly all text has none.
size_t SkipUncontrolledBytes(std::string_view text, size_t pos) {
#if defined(__SSE2__)
  while (pos + 16 <= text.size()) {
    __m128i block = swar::Load16(text.data() + pos);
    int mask = swar::Mask16Control(block) | swar::Mask16Equal(block, 0x7F) |
               swar::Mask16Equal(block, static_cast<char>(0xC2));
    if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
    pos += 16;
  }
#endif
  while (pos + 8 <= text.size()) {
    uint64_t w = swar::Load(text.data() + pos);
    if (swar::HasByteBelow(w, 0x20) | swar::HasByte(w, 0x7F) |
        swar::HasByte(w, 0xC2)) {
      break;
    }
    pos += 8;
  }
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x20 || byte == 0x7F || byte == 0xC2) break;
    ++pos;
  }
  return pos;
}

// Whether `text` is valid UTF-8 with no control character, no line end and
// no 0xC2 lead byte (so no C1 control and no U+00A0, but also no other
// character of U+0080..U+00BF, such as '¿', which only takes the longer
// way). ASCII eight bytes at a time.
bool IsPlainText(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (pos + 8 <= text.size()) {
      const uint64_t w = swar::Load(text.data() + pos);
      if (!(swar::HasHighByte(w) | swar::HasByteBelow(w, 0x20) |
            swar::HasByte(w, 0x7F))) {
        pos += 8;
        continue;
      }
    }
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      if (IsControl(byte)) return false;
      ++pos;
    } else if (byte == 0xC2 || !DecodeCodePoint(text, pos)) {
      return false;
    }
  }
  return true;
}

// Whether valid UTF-8 `text` holds a control character that the field does
// not allow (multi-line fields allow tab and newline). Without decoding: in
// valid UTF-8 the C0 controls and DEL are single bytes, and the C1 controls
// (U+0080..U+009F) are exactly 0xC2 followed by 0x80..0x9F (0xC2 is never a
// continuation byte).
bool HasForbiddenControl(std::string_view text, bool multiline) {
  for (size_t i = SkipUncontrolledBytes(text, 0); i < text.size();
       i = SkipUncontrolledBytes(text, i + 1)) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7F) {
      if (multiline && (byte == '\t' || byte == '\n')) continue;
      return true;
    }
    // 0xC2: a C1 control when the next byte is 0x80..0x9F.
    if (i + 1 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      return true;
    }
  }
  return false;
}

// --- Field errors ----------------------------------------------------------

FieldError MakeError(std::string_view field, std::string_view code,
                     std::string message_es, std::string message_en) {
  return FieldError{std::string(field), std::string(code),
                    std::move(message_es), std::move(message_en)};
}

// "El campo <label_es> <rest_es>" / "<label_en> <rest_en>".
FieldError LabelledError(std::string_view field, std::string_view code,
                         std::string_view label_es, std::string_view rest_es,
                         std::string_view label_en, std::string_view rest_en) {
  std::string es = "El campo ";
  es += label_es;
  es += ' ';
  es += rest_es;
  std::string en(label_en);
  en += ' ';
  en += rest_en;
  return MakeError(field, code, std::move(es), std::move(en));
}

// --- Phone numbers ---------------------------------------------------------

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether `text` starts with `prefix`, ASCII letters compared without case.
bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (AsciiLower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// A character the number part of a phone may hold (digits, spaces,
// "+-.()"); the extension starts at the first other one.
bool IsPhoneNumberChar(char c) {
  return IsDigit(c) || c == ' ' || c == '+' || c == '-' || c == '.' ||
         c == '(' || c == ')';
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// The number part of a phone: digits grouped by spaces, one '-' or '.'
// between groups, balanced non-nested parentheses around digits ("(601)"),
// and '+' only before the first digit ("+57", "(+57)"). Collects the digits.
struct PhoneDigits {
  std::string digits;
  bool international = false;  // written with '+'
};

std::optional<PhoneDigits> ParsePhoneNumberPart(std::string_view text) {
  PhoneDigits result;
  bool in_parens = false;
  size_t digits_in_parens = 0;
  int marks_in_gap = 0;  // '-' or '.' since the last digit
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsDigit(c)) {
      result.digits += c;
      marks_in_gap = 0;
      if (in_parens) ++digits_in_parens;
    } else if (c == '+') {
      if (result.international || !result.digits.empty() ||
          i + 1 == text.size() || !IsDigit(text[i + 1])) {
        return std::nullopt;
      }
      result.international = true;
    } else if (c == '(') {
      if (in_parens) return std::nullopt;
      in_parens = true;
      digits_in_parens = 0;
    } else if (c == ')') {
      if (!in_parens || digits_in_parens == 0) return std::nullopt;
      in_parens = false;
    } else if (c == ' ' || c == '-' || c == '.') {
      if (in_parens || result.digits.empty()) return std::nullopt;
      if (c != ' ' && ++marks_in_gap > 1) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (in_parens || text.empty()) return std::nullopt;
  if (!IsDigit(text.back()) && text.back() != ')') return std::nullopt;
  return result;
}

constexpr bool InRange(char c, char lo, char hi) { return c >= lo && c <= hi; }

// A Colombian number without country code:
//   3XX XXX XXXX        mobile, 10 digits
//   60X XXX XXXX        landline since 2021, 10 digits
//   A XXX XXXX          old landline with its one-digit area code, 8 digits
//   XXX XXXX            old local landline, 7 digits (only when `local_ok`)
bool IsColombianNationalNumber(std::string_view d, bool local_ok) {
  switch (d.size()) {
    case 10:
      return d[0] == '3' || (d[0] == '6' && d[1] == '0' && d[2] != '0');
    case 8:
      return InRange(d[0], '1', '8') && d[0] != '3' && InRange(d[1], '2', '8');
    case 7:
      return local_ok && InRange(d[0], '2', '8');
    default:
      return false;
  }
}

constexpr std::string_view kColombiaCode = "57";
constexpr size_t kMinInternationalDigits = 8;
constexpr size_t kMaxInternationalDigits = 15;  // E.164
constexpr size_t kMaxExtensionDigits = 6;

bool IsPlausiblePhoneNumber(const PhoneDigits& number) {
  std::string_view d = number.digits;
  if (number.international) {
    if (d.starts_with(kColombiaCode)) {
      return IsColombianNationalNumber(d.substr(kColombiaCode.size()), false);
    }
    return d[0] != '0' && d.size() >= kMinInternationalDigits &&
           d.size() <= kMaxInternationalDigits;
  }
  if (IsColombianNationalNumber(d, true)) return true;
  if (d.starts_with("00")) d.remove_prefix(2);
  return d.starts_with(kColombiaCode) &&
         IsColombianNationalNumber(d.substr(kColombiaCode.size()), false);
}

// Extension markers, longest first. Input is lower-cased as ASCII only, so
// "EXTENSIÓN" reads as "extensiÓn".
constexpr std::string_view kExtensionMarkers[] = {
    "extensión", "extensiÓn", "extension", "ext.", "ext", "x", "#"};

// `text` is what follows the number: a marker, optional spaces, 1 to 6
// digits.
bool IsValidExtension(std::string_view text) {
  for (std::string_view marker : kExtensionMarkers) {
    if (!StartsWithNoCase(text, marker)) continue;
    std::string_view digits = TrimSpaces(text.substr(marker.size()));
    if (digits.empty() || digits.size() > kMaxExtensionDigits) return false;
    for (char c : digits) {
      if (!IsDigit(c)) return false;
    }
    return true;
  }
  return false;
}

// --- E-mail ----------------------------------------------------------------

constexpr size_t kMaxEmailLocalPart = 64;
constexpr size_t kMaxDomainLabel = 63;

constexpr bool IsAsciiAlnum(char c) {
  return IsDigit(c) || InRange(AsciiLower(c), 'a', 'z');
}

// The bytes of an id: ASCII letters, digits, '_' and '-'. A table: every
// createCase checks a case id of ~40 of them, every push a client id.
constexpr std::array<bool, 256> kIdChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = IsAsciiAlnum(static_cast<char>(c)) || c == '_' || c == '-';
  }
  return table;
}();

// RFC 5322 atext, plus UTF-8 (RFC 6531); dots checked separately.
bool IsLocalPartChar(char c) {
  if (static_cast<unsigned char>(c) >= 0x80 || IsAsciiAlnum(c)) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-.").find(c) !=
         std::string_view::npos;
}

bool IsDotAtom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.' ||
      text.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : text) {
    if (!IsLocalPartChar(c)) return false;
  }
  return true;
}

// Host name labels of letters, digits (or UTF-8) and inner hyphens; at least
// two labels, the last one two or more characters and not all digits.
bool IsDomain(std::string_view domain) {
  size_t labels = 0;
  while (true) {
    const size_t dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > kMaxDomainLabel ||
        label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ascii = static_cast<unsigned char>(c) < 0x80;
      if (ascii && !IsAsciiAlnum(c) && c != '-') return false;
    }
    ++labels;
    if (dot == std::string_view::npos) {
      return labels >= 2 && label.size() >= 2 &&
             label.find_first_not_of("0123456789") != std::string_view::npos;
    }
    domain.remove_prefix(dot + 1);
  }
}

// --- The case form ---------------------------------------------------------

// string_view: the lengths are known at compile time, not counted for every
// form checked.
struct FormField {
  std::string_view name;  // wire name
  std::string_view label_es;
  std::string_view label_en;
  size_t max_len;
  bool multiline;
};

constexpr FormField kServiceField = {"serviceId", "Servicio", "Service", kMaxId,
                                     false};
constexpr FormField kProductField = {"productId", "Producto", "Product", kMaxId,
                                     false};
constexpr FormField kIssueTypeField = {"issueTypeId", "Novedad a reportar",
                                       "Issue type", kMaxId, false};
constexpr FormField kContactHoursField = {"contactHours", "Horario de contacto",
                                          "Contact hours", kMaxContactHours,
                                          false};
constexpr FormField kContactPhoneField = {
    "contactPhone", "Teléfono de contacto", "Contact phone", kMaxPhone, false};
constexpr FormField kSubjectField = {"subject", "Asunto", "Subject",
                                     kMaxSubject, false};
constexpr FormField kDescriptionField = {"description", "Descripción",
                                         "Description", kMaxDescription, true};

// Applies the text rules of a required form field, appending its error if
// any. Returns whether the field passed.
bool CheckFormText(std::string& value, const FormField& field,
                   std::vector<FieldError>& errors) {
  std::vector<FieldError> field_errors =
      ValidateText(value, field.name, field.label_es, field.label_en,
                   field.max_len, /*required=*/true, field.multiline);
  if (field_errors.empty()) return true;
  errors.push_back(std::move(field_errors.front()));
  return false;
}

// The active catalog item of `kind` with this id, or nullptr.
const CatalogItem* FindActiveItem(const CatalogLookup& catalog,
                                  std::string_view id, CatalogKind kind) {
  const CatalogItem* item = catalog.FindCatalogItem(id);
  if (item == nullptr || item->kind != kind || !item->active) return nullptr;
  return item;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    // ASCII runs sixteen or eight bytes at a time: a pull page is megabytes
    // of mostly ASCII text, checked whole before it is parsed.
#if defined(__SSE2__)
    while (pos + 16 <= s.size() &&
           _mm_movemask_epi8(swar::Load16(s.data() + pos)) == 0) {
      pos += 16;
    }
#endif
    while (pos + 8 <= s.size() &&
           !swar::HasHighByte(swar::Load(s.data() + pos))) {
      pos += 8;
    }
    if (pos >= s.size()) break;
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    if (!DecodeCodePoint(s, pos)) return false;
  }
  return true;
}

size_t CodePointCount(std::string_view s) {
  size_t count = 0;
  for (char c : s) {
    if (!IsContinuation(static_cast<unsigned char>(c))) ++count;
  }
  return count;
}

std::vector<FieldError> ValidateText(std::string& value, std::string_view field,
                                     std::string_view label_es,
                                     std::string_view label_en, size_t max_len,
                                     bool required, bool multiline) {
  // Plain text with no space at either end, no more bytes than the limit
  // has code points, passes every rule below unchanged: nothing to
  // normalise or trim (the other blanks are controls or U+00A0), no
  // control, not too long. Nearly every field, checked in one pass.
  if (!value.empty() && value.size() <= max_len && value.front() != ' ' &&
      value.back() != ' ' && IsPlainText(value)) {
    return {};
  }
  std::vector<FieldError> errors;
  if (!IsValidUtf8(value)) {
    errors.push_back(LabelledError(field, "invalid_utf8", label_es,
                                   "contiene texto que no es UTF-8 válido.",
                                   label_en,
                                   "contains text that is not valid UTF-8."));
    return errors;
  }
  // Line ends are normalised in every field: in a single-line field any
  // newline left inside after trimming is refused below as a control. Text
  // without a CR (nearly all) is read in place, without a copy.
  std::string normalised;
  std::string_view source = value;
  if (value.find('\r') != std::string::npos) {
    normalised = NormaliseLineEnds(value);
    source = normalised;
  }
  const std::string_view text = TrimBlanks(source);
  if (HasForbiddenControl(text, multiline)) {
    errors.push_back(
        LabelledError(field, "control_character", label_es,
                      "contiene caracteres de control no permitidos.", label_en,
                      "contains control characters that are not allowed."));
  } else if (text.empty()) {
    if (required) {
      errors.push_back(LabelledError(field, "required", label_es,
                                     "es obligatorio.", label_en,
                                     "is required."));
    }
  } else if (text.size() > max_len && CodePointCount(text) > max_len) {
    // (A code point is at least one byte: no count when the bytes fit.)
    const std::string limit = std::to_string(max_len);
    errors.push_back(
        LabelledError(field, "too_long", label_es,
                      "admite como máximo " + limit + " caracteres.", label_en,
                      "must be at most " + limit + " characters long."));
  }
  // Unchanged text (read in place, nothing trimmed) is not copied again.
  if (errors.empty() &&
      (source.data() != value.data() || text.size() != value.size())) {
    value = std::string(text);
  }
  return errors;
}

// Grammar (case-insensitive markers, surrounding spaces ignored):
//   phone     = number [ *" " extension ]
//   number    = see ParsePhoneNumberPart; digits see IsPlausiblePhoneNumber
//   extension = ( "extensión" / "extension" / "ext." / "ext" / "x" / "#" )
//               *" " 1*6DIGIT
bool IsValidPhone(std::string_view phone) {
  phone = TrimSpaces(phone);
  // The number runs up to the first character that cannot be part of it.
  size_t end = 0;
  while (end < phone.size() && IsPhoneNumberChar(phone[end])) ++end;
  const std::string_view extension = phone.substr(end);
  const std::optional<PhoneDigits> number =
      ParsePhoneNumberPart(TrimSpaces(phone.substr(0, end)));
  if (!number || !IsPlausiblePhoneNumber(*number)) return false;
  return extension.empty() || IsValidExtension(extension);
}

bool IsValidEmail(std::string_view email) {
  if (email.size() > kMaxEmail) return false;
  // UTF-8 only; no control characters and no U+00A0 (ASCII blanks and
  // controls are refused by the character sets below).
  for (size_t pos = 0; pos < email.size();) {
    const std::optional<char32_t> cp = DecodeCodePoint(email, pos);
    if (!cp || IsControl(*cp) || *cp == 0xA0) return false;
  }
  const size_t at = email.find('@');
  if (at == std::string_view::npos ||
      email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  return local.size() <= kMaxEmailLocalPart && IsDotAtom(local) &&
         IsDomain(domain);
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxId) return false;
  for (char c : id) {
    if (!kIdChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

std::vector<FieldError> ValidateCaseForm(CaseForm& form,
                                         const CatalogLookup& catalog) {
  std::vector<FieldError> errors;

  // Service → product → issue type: each is checked against its parent only
  // when the parent itself is a known active item, so one wrong choice gives
  // one error.
  const CatalogItem* service = nullptr;
  if (CheckFormText(form.service_id, kServiceField, errors)) {
    service = FindActiveItem(catalog, form.service_id, CatalogKind::kService);
    if (service == nullptr) {
      errors.push_back(MakeError(
          kServiceField.name, "unknown_service",
          "El servicio seleccionado no existe o ya no está disponible.",
          "The selected service does not exist or is no longer available."));
    }
  }

  const CatalogItem* product = nullptr;
  if (CheckFormText(form.product_id, kProductField, errors)) {
    product = FindActiveItem(catalog, form.product_id, CatalogKind::kProduct);
    if (product == nullptr) {
      errors.push_back(MakeError(
          kProductField.name, "unknown_product",
          "El producto seleccionado no existe o ya no está disponible.",
          "The selected product does not exist or is no longer available."));
    } else if (service != nullptr && product->parent_id != service->id) {
      errors.push_back(MakeError(
          kProductField.name, "product_not_in_service",
          "El producto seleccionado no pertenece al servicio.",
          "The selected product does not belong to the selected service."));
    }
  }

  if (CheckFormText(form.issue_type_id, kIssueTypeField, errors)) {
    const CatalogItem* issue_type =
        FindActiveItem(catalog, form.issue_type_id, CatalogKind::kIssueType);
    if (issue_type == nullptr) {
      errors.push_back(MakeError(
          kIssueTypeField.name, "unknown_issue_type",
          "La novedad seleccionada no existe o ya no está disponible.",
          "The selected issue type does not exist or is no longer "
          "available."));
    } else if (product != nullptr && issue_type->parent_id != product->id) {
      errors.push_back(MakeError(
          kIssueTypeField.name, "issue_type_not_in_product",
          "La novedad seleccionada no corresponde al producto.",
          "The selected issue type does not belong to the selected product."));
    }
  }

  CheckFormText(form.contact_hours, kContactHoursField, errors);

  if (CheckFormText(form.contact_phone, kContactPhoneField, errors) &&
      !IsValidPhone(form.contact_phone)) {
    errors.push_back(MakeError(kContactPhoneField.name, "invalid_phone",
                               "El teléfono de contacto no es válido.",
                               "The contact phone is not valid."));
  }

  CheckFormText(form.subject, kSubjectField, errors);
  CheckFormText(form.description, kDescriptionField, errors);
  return errors;
}

Status ValidationStatus(const std::vector<FieldError>& errors) {
  if (errors.empty()) return Status::Ok();
  const FieldError& first = errors.front();
  return Status(ErrorCode::kValidationFailed,
                first.message_es + " / " + first.message_en);
}

}  // namespace casesync
