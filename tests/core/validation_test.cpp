#include "casesync/validation.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace casesync {
namespace {

// A real catalog, as the company's help desk offers it.
class TestCatalog : public CatalogLookup {
 public:
  TestCatalog() {
    Service("svc-cert", "Certificado Digital");
    Service("svc-fe", "Factura Electrónica");
    Service("svc-firma", "Firma Electrónica");
    Service("svc-sellado", "Estampado cronológico", /*active=*/false);

    Product("prod-token", "svc-cert", "Token criptográfico");
    Product("prod-nube", "svc-cert", "Certificado en la nube");
    Product("prod-p12", "svc-cert", "Certificado en archivo (.p12)");
    Product("prod-token-v1", "svc-cert", "Token USB primera generación",
            /*active=*/false);
    Product("prod-fe-web", "svc-fe", "Facturador gratuito web");
    Product("prod-fe-api", "svc-fe", "Integración por API");
    Product("prod-firma-docs", "svc-firma", "Firma de documentos PDF");

    IssueType("it-pin", "prod-token", "Bloqueo de PIN");
    IssueType("it-driver", "prod-token", "Instalación de controladores");
    IssueType("it-nube-firma", "prod-nube", "Error al firmar");
    IssueType("it-nube-renov", "prod-nube", "Renovación del certificado");
    IssueType("it-p12-descarga", "prod-p12", "No puedo descargar el archivo");
    IssueType("it-token-viejo", "prod-token", "Cambio de token antiguo",
              /*active=*/false);
    IssueType("it-dian-rechazo", "prod-fe-web", "Rechazo de la DIAN");
    IssueType("it-numeracion", "prod-fe-web", "Resolución de numeración");
    IssueType("it-api-401", "prod-fe-api", "Error de autenticación en la API");
    IssueType("it-firma-pdf", "prod-firma-docs", "El PDF firmado no valida");
  }

  const CatalogItem* FindCatalogItem(std::string_view id) const override {
    auto it = items_.find(std::string(id));
    return it == items_.end() ? nullptr : &it->second;
  }

 private:
  void Add(CatalogKind kind, std::string id, std::string parent,
           std::string name, bool active) {
    CatalogItem item;
    item.kind = kind;
    item.id = id;
    item.parent_id = std::move(parent);
    item.name = std::move(name);
    item.active = active;
    item.sort = static_cast<int>(items_.size());
    items_.emplace(std::move(id), std::move(item));
  }
  void Service(std::string id, std::string name, bool active = true) {
    Add(CatalogKind::kService, std::move(id), "", std::move(name), active);
  }
  void Product(std::string id, std::string service, std::string name,
               bool active = true) {
    Add(CatalogKind::kProduct, std::move(id), std::move(service),
        std::move(name), active);
  }
  void IssueType(std::string id, std::string product, std::string name,
                 bool active = true) {
    Add(CatalogKind::kIssueType, std::move(id), std::move(product),
        std::move(name), active);
  }

  std::map<std::string, CatalogItem> items_;
};

CaseForm ValidForm() {
  CaseForm form;
  form.service_id = "svc-cert";
  form.product_id = "prod-token";
  form.issue_type_id = "it-pin";
  form.contact_hours = "Lunes a viernes de 8:00 a. m. a 5:00 p. m.";
  form.contact_phone = "300 123 4567";
  form.subject = "Token bloqueado después de tres intentos";
  form.description =
      "Ingresé mal el PIN tres veces y ahora el token no responde.\n"
      "Necesito firmar facturas hoy.";
  return form;
}

// Runs single-line or multi-line text rules on `text` for a field limited to
// `max_len` code points; returns the one error code, or "" when it passes.
std::string TextCode(std::string& text, size_t max_len = 10,
                     bool multiline = false, bool required = true) {
  std::vector<FieldError> errors = ValidateText(
      text, "subject", "Asunto", "Subject", max_len, required, multiline);
  REQUIRE(errors.size() <= 1);
  return errors.empty() ? "" : errors.front().code;
}

std::string TextCode(const char* literal, size_t max_len = 10,
                     bool multiline = false) {
  std::string text = literal;
  return TextCode(text, max_len, multiline);
}

std::vector<std::string> FieldsOf(const std::vector<FieldError>& errors) {
  std::vector<std::string> fields;
  for (const FieldError& e : errors) fields.push_back(e.field);
  return fields;
}

std::vector<std::string> CodesOf(const std::vector<FieldError>& errors) {
  std::vector<std::string> codes;
  for (const FieldError& e : errors) codes.push_back(e.code);
  return codes;
}

// One catalog error on `field` with `code` and nothing else.
void CheckOnlyError(const CaseForm& form, const std::string& field,
                    const std::string& code) {
  CaseForm copy = form;
  const std::vector<FieldError> errors = ValidateCaseForm(copy, TestCatalog());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == field);
  CHECK(errors[0].code == code);
  CHECK_FALSE(errors[0].message_es.empty());
  CHECK_FALSE(errors[0].message_en.empty());
}

}  // namespace

TEST_SUITE("validation") {
  // --- UTF-8 -----------------------------------------------------------------

  TEST_CASE("well-formed UTF-8 of every length is valid") {
    CHECK(IsValidUtf8(""));
    CHECK(IsValidUtf8("Asunto simple"));
    CHECK(IsValidUtf8("Descripción con tildes y eñe: Ñandú"));
    CHECK(IsValidUtf8("€ ₱ 中文"));
    CHECK(IsValidUtf8("Firma lista 🔐✅"));
    CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CHECK(IsValidUtf8("\xEF\xBF\xBD"));      // U+FFFD
    CHECK(IsValidUtf8(std::string_view("a\0b", 3)));
  }

  TEST_CASE("overlong forms are invalid UTF-8") {
    CHECK_FALSE(IsValidUtf8("\xC0\xAF"));  // '/' in two bytes
    CHECK_FALSE(IsValidUtf8("\xC1\xBF"));
    CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // '/' in three bytes
    CHECK_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
    CHECK_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
    CHECK_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
  }

  TEST_CASE("surrogates are invalid UTF-8") {
    CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));              // U+D800
    CHECK_FALSE(IsValidUtf8("\xED\xBF\xBF"));              // U+DFFF
    CHECK_FALSE(IsValidUtf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 pair
    CHECK(IsValidUtf8("\xED\x9F\xBF"));                    // U+D7FF, just below
  }

  TEST_CASE("code points above U+10FFFF are invalid UTF-8") {
    CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
    CHECK_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
    CHECK_FALSE(IsValidUtf8("\xFF"));
    CHECK_FALSE(IsValidUtf8("\xFE"));
  }

  TEST_CASE("truncated sequences and stray continuation bytes are invalid") {
    CHECK_FALSE(IsValidUtf8("\xC3"));  // 'ó' cut short
    CHECK_FALSE(IsValidUtf8("Descripci\xC3"));
    CHECK_FALSE(IsValidUtf8("\xE2\x82"));      // '€' cut short
    CHECK_FALSE(IsValidUtf8("\xF0\x9F\x94"));  // emoji cut short
    CHECK_FALSE(IsValidUtf8("\xC3 n"));        // lead then ASCII
    CHECK_FALSE(IsValidUtf8("\x80"));
    CHECK_FALSE(IsValidUtf8("ab\xBF"));
    CHECK_FALSE(IsValidUtf8("\xE2\x82\xAC\xAC"));  // one too many
    CHECK_FALSE(IsValidUtf8("caf\xE9"));           // Latin-1 'é'
  }

  TEST_CASE("code points are counted, not bytes") {
    CHECK(CodePointCount("") == 0);
    CHECK(CodePointCount("abc") == 3);
    CHECK(CodePointCount("ñandú") == 5);
    CHECK(CodePointCount("€") == 1);
    CHECK(CodePointCount("🔐") == 1);
    CHECK(CodePointCount("a🔐b€ñ") == 5);
  }

  // --- Text rules ------------------------------------------------------------

  TEST_CASE("accents, eñe and emoji are ordinary text") {
    std::string text = "Señal débil 📶";
    CHECK(TextCode(text, 20) == "");
    CHECK(text == "Señal débil 📶");
  }

  TEST_CASE("exactly the maximum length passes and one more fails") {
    CHECK(TextCode("ñññññññññá", 10) == "");
    CHECK(TextCode("ñññññññññáé", 10) == "too_long");
    CHECK(TextCode("🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐", 10) == "");  // 40 bytes
    CHECK(TextCode("🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐", 10) == "too_long");
    CHECK(TextCode("abcdefghij", 10) == "");
    CHECK(TextCode("abcdefghijk", 10) == "too_long");
  }

  TEST_CASE("length is measured after trimming") {
    std::string text = "   abcdefghij \xC2\xA0\n";
    CHECK(TextCode(text, 10) == "");
    CHECK(text == "abcdefghij");
  }

  TEST_CASE("empty, blank and no-break-space-only fields are required") {
    for (const char* blank : {"", " ", "   ", "\t", " \n ", "\xC2\xA0",
                              "\xC2\xA0 \xC2\xA0", "\r\n"}) {
      CAPTURE(blank);
      CHECK(TextCode(blank, 10, false) == "required");
      CHECK(TextCode(blank, 10, true) == "required");
    }
  }

  TEST_CASE("an optional field may be blank and becomes empty") {
    std::string text = " \xC2\xA0 ";
    CHECK(TextCode(text, 10, false, /*required=*/false) == "");
    CHECK(text.empty());
  }

  TEST_CASE("leading and trailing blanks are trimmed, inner ones kept") {
    std::string text = "\xC2\xA0\t  Token  bloqueado\xC2\xA0 \n";
    CHECK(TextCode(text, 40) == "");
    CHECK(text == "Token  bloqueado");

    std::string inner =
        "a\xC2\xA0"
        "b";
    CHECK(TextCode(inner, 40) == "");
    CHECK(inner ==
          "a\xC2\xA0"
          "b");
  }

  TEST_CASE("CRLF and lone CR become LF in multi-line fields") {
    std::string text = "Línea 1\r\nLínea 2\rLínea 3\n\r\nLínea 5\r\n";
    CHECK(TextCode(text, 100, /*multiline=*/true) == "");
    CHECK(text == "Línea 1\nLínea 2\nLínea 3\n\nLínea 5");
  }

  TEST_CASE("a lone CR becomes LF even when nothing else changes") {
    // Same length before and after: the value must still be rewritten.
    std::string text = "uno\rdos";
    CHECK(TextCode(text, 20, /*multiline=*/true) == "");
    CHECK(text == "uno\ndos");
    std::string plain = "sin cambios";
    CHECK(TextCode(plain, 20, true) == "");
    CHECK(plain == "sin cambios");
  }

  TEST_CASE("tabs and newlines are allowed only in multi-line fields") {
    CHECK(TextCode("uno\tdos", 20, true) == "");
    CHECK(TextCode("uno\ndos", 20, true) == "");
    CHECK(TextCode("uno\r\ndos", 20, true) == "");
    CHECK(TextCode("uno\tdos", 20, false) == "control_character");
    CHECK(TextCode("uno\ndos", 20, false) == "control_character");
    CHECK(TextCode("uno\r\ndos", 20, false) == "control_character");
    CHECK(TextCode("uno\rdos", 20, false) == "control_character");
  }

  TEST_CASE("a single-line field drops a pasted trailing line end") {
    std::string text = "Token bloqueado\r\n";
    CHECK(TextCode(text, 40) == "");
    CHECK(text == "Token bloqueado");
  }

  TEST_CASE("C0, DEL and C1 control characters are refused") {
    for (bool multiline : {false, true}) {
      CAPTURE(multiline);
      std::string nul("a\0b", 3);
      CHECK(TextCode(nul, 20, multiline) == "control_character");
      CHECK(TextCode("a\x01"
                     "b",
                     20, multiline) == "control_character");
      CHECK(TextCode("a\x1B[31mb", 20, multiline) == "control_character");
      CHECK(TextCode("a\x0B"
                     "b",
                     20, multiline) == "control_character");
      CHECK(TextCode("a\x0C"
                     "b",
                     20, multiline) == "control_character");
      CHECK(TextCode("a\x7F"
                     "b",
                     20, multiline) == "control_character");
      CHECK(TextCode("a\xC2\x80"
                     "b",
                     20, multiline) == "control_character");
      CHECK(TextCode("a\xC2\x85"
                     "b",
                     20, multiline) == "control_character");
      CHECK(TextCode("a\xC2\x9F"
                     "b",
                     20, multiline) == "control_character");
      CHECK(TextCode("\x07", 20, multiline) == "control_character");
    }
    // Just outside the C1 range.
    CHECK(TextCode("a\xC2\xA1"
                   "b",
                   20) == "");  // '¡'
  }

  TEST_CASE("a control character is found at every offset of a long text") {
    // The scan reads eight bytes at a time: every kind of byte that may
    // start a control, at every offset of texts around that size, with
    // plain text ('x', 'ñ', U+00A0, '¡') on both sides.
    struct Kind {
      std::string bytes;
      const char* single;  // code in a single-line field
      const char* multi;   // in a multi-line one
    };
    const std::vector<Kind> kinds = {
        {std::string(1, '\0'), "control_character", "control_character"},
        {"\x01", "control_character", "control_character"},
        {"\x1F", "control_character", "control_character"},
        {"\t", "control_character", ""},
        {"\n", "control_character", ""},
        {"\x7F", "control_character", "control_character"},
        {"\xC2\x80", "control_character", "control_character"},
        {"\xC2\x9F", "control_character", "control_character"},
        {"\xC2\xA0", "", ""},
        {"\xC2\xA1", "", ""},
        {"\xC3\xB1", "", ""},
        {"\x20", "", ""},
    };
    for (size_t before = 1; before <= 20; ++before) {
      for (size_t after = 1; after <= 20; ++after) {
        for (const Kind& kind : kinds) {
          for (bool multiline : {false, true}) {
            std::string text = std::string(before, 'x') + kind.bytes +
                               "\xC2\xA0\xC2\xA1" + std::string(after, 'y');
            CAPTURE(before);
            CAPTURE(after);
            CAPTURE(kind.bytes);
            CHECK(TextCode(text, 100, multiline) ==
                  (multiline ? kind.multi : kind.single));
          }
        }
      }
    }
  }

  TEST_CASE("UTF-8 is checked at every offset of a long text") {
    // ASCII runs are skipped 16 or 8 bytes at a time: a bad byte, a cut
    // sequence and a good one at every offset of texts around those sizes.
    for (size_t size = 1; size <= 40; ++size) {
      for (size_t at = 0; at < size; ++at) {
        std::string text(size, 'a');
        text[at] = '\xFF';
        CHECK(!IsValidUtf8(text));
        text[at] = '\xC3';  // a lead byte followed by ASCII: cut short
        CHECK(!IsValidUtf8(text));
        text.replace(at, 1, "\xC3\xB1");  // 'ñ'
        CHECK(IsValidUtf8(text));
      }
    }
  }

  TEST_CASE("every byte at every offset of a plain ASCII text") {
    // Plain printable ASCII is passed without the separate UTF-8, line end,
    // trim and control passes: one odd byte anywhere must still get exactly
    // the answer and the text those rules give, at every length around the
    // eight-byte steps and at the length limit.
    struct Expected {
      std::string code;
      std::string text;  // what the field holds afterwards
    };
    auto expected = [](std::string text, size_t at, unsigned char byte,
                       size_t max_len, bool multiline) {
      const bool at_end = at == 0 || at + 1 == text.size();
      text[at] = static_cast<char>(byte);
      const bool blank =
          byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r';
      if (byte >= 0x80) return Expected{"invalid_utf8", text};
      if (blank && at_end) {
        if (text.size() == 1) return Expected{"required", text};
        text.erase(at, 1);  // trimmed
      } else if (byte == '\r' && multiline) {
        text[at] = '\n';  // a lone CR becomes LF
      } else if (byte < 0x20 || byte == 0x7F) {
        if (!multiline || (byte != '\t' && byte != '\n')) {
          return Expected{"control_character", text};
        }
      }
      if (text.size() > max_len) return Expected{"too_long", text};
      return Expected{"", text};
    };
    std::vector<unsigned char> bytes = {0x00, 0x01, '\t', '\n', '\r',
                                        0x1F, ' ',  '!',  '~',  0x7F,
                                        0x80, 0xC2, 0xC3, 0xFF};
    for (size_t size = 1; size <= 26; ++size) {
      for (size_t at = 0; at < size; ++at) {
        for (unsigned char byte : bytes) {
          for (size_t max_len : {size, size - 1}) {
            if (max_len == 0) continue;
            for (bool multiline : {false, true}) {
              const std::string plain(size, 'a');
              const Expected want =
                  expected(plain, at, byte, max_len, multiline);
              std::string text = plain;
              text[at] = static_cast<char>(byte);
              CAPTURE(size);
              CAPTURE(at);
              CAPTURE(static_cast<int>(byte));
              CAPTURE(max_len);
              CAPTURE(multiline);
              CHECK(TextCode(text, max_len, multiline) == want.code);
              if (want.code.empty()) {
                CHECK(text == want.text);
              } else {
                CHECK(text[at] == static_cast<char>(byte));  // untouched
                CHECK(text.size() == size);
              }
            }
          }
        }
      }
    }
  }

  TEST_CASE("every kind of character at every offset of a plain text") {
    // The one-pass check also takes UTF-8, but not a 0xC2 lead byte (C1
    // controls and U+00A0 start with it): each kind of character at every
    // offset, in ASCII text and between accented letters, at the limit.
    struct Kind {
      std::string bytes;
      const char* single;  // code in a single-line field
      const char* multi;   // in a multi-line one
      bool blank;          // trimmed at either end
    };
    const std::vector<Kind> kinds = {
        {"\xC3\xB1", "", "", false},          // ñ
        {"\xC2\xBF", "", "", false},          // ¿
        {"\xE2\x82\xAC", "", "", false},      // €
        {"\xF0\x9F\x94\x90", "", "", false},  // 🔐
        {"\xC2\xA0", "", "", true},           // U+00A0
        {"\xC2\x85", "control_character", "control_character", false},
        {"\xC3", "invalid_utf8", "invalid_utf8", false},          // cut short
        {"\xE2\x82", "invalid_utf8", "invalid_utf8", false},      // cut short
        {"\xC0\xAF", "invalid_utf8", "invalid_utf8", false},      // overlong
        {"\xED\xA0\x80", "invalid_utf8", "invalid_utf8", false},  // surrogate
        {"\x7F", "control_character", "control_character", false},
        {"\t", "control_character", "", true},
    };
    for (const char* filler : {"a", "\xC3\xA1"}) {  // 'a', 'á'
      for (size_t before = 0; before <= 12; ++before) {
        for (size_t after = 0; after <= 12; ++after) {
          for (const Kind& kind : kinds) {
            std::string text;
            for (size_t i = 0; i < before; ++i) text += filler;
            text += kind.bytes;
            for (size_t i = 0; i < after; ++i) text += filler;
            const bool at_end = before == 0 || after == 0;
            const size_t code_points = before + after + 1;
            for (size_t max_len : {code_points, code_points - 1}) {
              if (max_len == 0) continue;
              for (bool multiline : {false, true}) {
                std::string want_code = multiline ? kind.multi : kind.single;
                size_t want_points = code_points;
                if (kind.blank && at_end) {
                  want_code = before + after == 0 ? "required" : "";
                  --want_points;
                }
                if (want_code.empty() && want_points > max_len) {
                  want_code = "too_long";
                }
                std::string value = text;
                CAPTURE(filler);
                CAPTURE(before);
                CAPTURE(after);
                CAPTURE(kind.bytes);
                CAPTURE(max_len);
                CAPTURE(multiline);
                CHECK(TextCode(value, max_len, multiline) == want_code);
                if (!want_code.empty() || !(kind.blank && at_end)) {
                  CHECK(value == text);  // untouched
                } else {
                  CHECK(value.size() == text.size() - kind.bytes.size());
                }
              }
            }
          }
        }
      }
    }
  }

  TEST_CASE("invalid UTF-8 is reported before anything else") {
    for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "Descripci\xC3",
                            "\xF4\x90\x80\x80", "   \xFF   ", "\x01\xC0\xAF"}) {
      CAPTURE(bad);
      std::string text = bad;
      CHECK(TextCode(text, 3) == "invalid_utf8");
      CHECK(text == bad);  // left as it was
    }
  }

  TEST_CASE("a refused value is left untouched") {
    std::string text = "  demasiado largo  ";
    CHECK(TextCode(text, 5) == "too_long");
    CHECK(text == "  demasiado largo  ");
  }

  TEST_CASE("field errors name the field in Spanish and English") {
    std::string empty;
    std::vector<FieldError> errors = ValidateText(
        empty, "subject", "Asunto", "Subject", kMaxSubject, true, false);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].field == "subject");
    CHECK(errors[0].code == "required");
    CHECK(errors[0].message_es == "El campo Asunto es obligatorio.");
    CHECK(errors[0].message_en == "Subject is required.");

    std::string long_text(kMaxSubject + 1, 'a');
    errors = ValidateText(long_text, "subject", "Asunto", "Subject",
                          kMaxSubject, true, false);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message_es ==
          "El campo Asunto admite como máximo 160 caracteres.");
    CHECK(errors[0].message_en ==
          "Subject must be at most 160 characters long.");
  }

  // --- Phone numbers ---------------------------------------------------------

  TEST_CASE("phone numbers as people in Colombia write them are valid") {
    for (const char* phone : {
             "300 123 4567",
             "3001234567",
             "300-123-4567",
             "300.123.4567",
             "(300) 123 4567",
             "+57 300 123 4567",
             "+573001234567",
             "57 300 123 4567",
             "0057 300 123 4567",
             "(+57) 300 123 4567",
             "+57 (300) 123-4567",
             "601 234 5678",
             "(601) 2345678",
             "6012345678",
             "604 444 5555",
             "+57 601 234 5678",
             "601 2345678 ext. 123",
             "601 2345678 ext 123",
             "601 2345678 Ext.123",
             "601 2345678 extensión 45",
             "601 2345678 EXTENSIÓN 45",
             "601 2345678 extension 45",
             "3001234567 x12",
             "3001234567x12",
             "3001234567 #12",
             "601 234 5678 ext 123456",
             "234 5678",
             "2345678",
             "234-5678",
             "(4) 444-5555",
             "(1) 234 5678",
             "+57 (4) 444-5555 Ext 12",
             "57 4 4445555",
             "+1 (555) 123-4567",
             "+34 912 345 678",
             "+44 20 7946 0958",
             "+52 55 1234 5678",
             "  300 123 4567  ",
         }) {
      CAPTURE(phone);
      CHECK(IsValidPhone(phone));
    }
  }

  TEST_CASE("phone numbers that cannot be dialled are invalid") {
    for (const char* phone : {
             "",
             "   ",
             "abc",
             "tel 3001234567",
             "3OO 123 4567",  // letter O
             "300 123 456",   // 9 digits
             "30012345678",   // 11 digits
             "200 123 4567",  // 10 digits, neither mobile nor 60X
             "600 123 4567",  // 600 is not an area
             "123 4567",      // a local number never starts with 1
             "034 5678",
             "+57 234 5678",  // local number after a country code
             "+57 200 123 4567",
             "+0 123 456 789",        // no country code starts with 0
             "+1 234",                // too few digits
             "+1234 5678 9012 3456",  // 16 digits
             "+57 +300 123 4567",
             "300+123 4567",
             "300 123 4567 ext",  // extension without digits
             "300 123 4567 ext 1234567",
             "300 123 4567 ext 12 34",
             "300 123 4567 ext12a",
             "300 123 4567 ext -12",
             "(601 2345678",  // unbalanced
             "601) 2345678",
             "((601)) 2345678",
             "( 601) 2345678",
             "() 300 123 4567",
             "300--123-4567",
             "300 -. 123 4567",
             "-300 123 4567",
             "300 123 4567-",
             "300 123 4567 / 310 555 1234",
             "300_123_4567",
             "300 123 4567 ext. 12 (oficina)",
             "0300 123 4567",
             "00 1 555 123 4567",
         }) {
      CAPTURE(phone);
      CHECK_FALSE(IsValidPhone(phone));
    }
  }

  // --- E-mail and ids --------------------------------------------------------

  TEST_CASE("plausible e-mail addresses are valid") {
    for (const char* email :
         {"ana@example.com", "ana.perez@transportes.com.co",
          "soporte+casos@empresa.co", "o'neil@example.org",
          "user_1@sub-domain.example.co", "ñandú@empresa.co",
          "ana@dominio-ñ.co", "A@B.CO"}) {
      CAPTURE(email);
      CHECK(IsValidEmail(email));
    }
  }

  TEST_CASE("malformed e-mail addresses are invalid") {
    const std::string long_local = std::string(65, 'a') + "@example.com";
    const std::string too_long =
        std::string(64, 'a') + "@" + std::string(61, 'b') + "." +
        std::string(60, 'b') + "." + std::string(63, 'b') + ".com";
    for (const std::string& email :
         std::vector<std::string>{"",
                                  "ana",
                                  "@example.com",
                                  "ana@",
                                  "ana@example",
                                  "ana@@example.com",
                                  "ana@ex@ample.com",
                                  "ana perez@example.com",
                                  "ana@example .com",
                                  "ana@.example.com",
                                  "ana@example..com",
                                  "ana@example.com.",
                                  "ana@-example.com",
                                  "ana@example-.com",
                                  ".ana@example.com",
                                  "ana.@example.com",
                                  "an..a@example.com",
                                  "ana@example.c",
                                  "ana@127.0.0.1",
                                  "ana@exa_mple.com",
                                  "\"ana\"@example.com",
                                  "ana\n@example.com",
                                  "ana@example.com\r",
                                  "<ana@example.com>",
                                  "ana@ex\xC3",
                                  "ana\xC2\x85@example.com",
                                  "ana\xC2\xA0p@example.com",
                                  long_local,
                                  too_long}) {
      CAPTURE(email);
      CHECK_FALSE(IsValidEmail(email));
    }
    CHECK(too_long.size() == kMaxEmail + 1);
    CHECK(IsValidEmail(too_long.substr(1)));
  }

  TEST_CASE("ids are 1 to 64 characters of letters, digits, _ and -") {
    CHECK(IsValidId("3f2b8c1e-7a4d-4e2f-9b1c-0d5e6f7a8b9c"));
    CHECK(IsValidId("svc-cert"));
    CHECK(IsValidId("a"));
    CHECK(IsValidId("A_b-9"));
    CHECK(IsValidId(std::string(kMaxId, 'x')));
    CHECK_FALSE(IsValidId(std::string(kMaxId + 1, 'x')));
    CHECK_FALSE(IsValidId(""));
    CHECK_FALSE(IsValidId("svc cert"));
    CHECK_FALSE(IsValidId("svc.cert"));
    CHECK_FALSE(IsValidId("svc/cert"));
    CHECK_FALSE(IsValidId("señal"));
    CHECK_FALSE(IsValidId(std::string_view("a\0b", 3)));
  }

  TEST_CASE("every byte is tried as a character of an id") {
    for (int byte = 0; byte < 256; ++byte) {
      const char c = static_cast<char>(byte);
      const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '-';
      CAPTURE(byte);
      CHECK(IsValidId(std::string(1, c)) == allowed);
      CHECK(IsValidId("id-" + std::string(1, c) + "-1") == allowed);
    }
  }

  // --- The case form ---------------------------------------------------------

  TEST_CASE("a complete form of a real catalog path is valid") {
    CaseForm form = ValidForm();
    const CaseForm before = form;
    CHECK(ValidateCaseForm(form, TestCatalog()).empty());
    CHECK(form.subject == before.subject);
    CHECK(form.description == before.description);
  }

  TEST_CASE("every catalog path of the seed is valid") {
    const TestCatalog catalog;
    const struct {
      const char* service;
      const char* product;
      const char* issue_type;
    } kPaths[] = {
        {"svc-cert", "prod-token", "it-driver"},
        {"svc-cert", "prod-nube", "it-nube-firma"},
        {"svc-cert", "prod-nube", "it-nube-renov"},
        {"svc-cert", "prod-p12", "it-p12-descarga"},
        {"svc-fe", "prod-fe-web", "it-dian-rechazo"},
        {"svc-fe", "prod-fe-web", "it-numeracion"},
        {"svc-fe", "prod-fe-api", "it-api-401"},
        {"svc-firma", "prod-firma-docs", "it-firma-pdf"},
    };
    for (const auto& path : kPaths) {
      CAPTURE(path.issue_type);
      CaseForm form = ValidForm();
      form.service_id = path.service;
      form.product_id = path.product;
      form.issue_type_id = path.issue_type;
      CHECK(ValidateCaseForm(form, catalog).empty());
    }
  }

  TEST_CASE("a valid form comes back normalised") {
    CaseForm form = ValidForm();
    form.subject = "\xC2\xA0 Token bloqueado  ";
    form.description = "  Línea 1\r\nLínea 2\r\n\r\n";
    form.contact_phone = " +57 300 123 4567 ";
    form.service_id = " svc-cert\t";
    CHECK(ValidateCaseForm(form, TestCatalog()).empty());
    CHECK(form.subject == "Token bloqueado");
    CHECK(form.description == "Línea 1\nLínea 2");
    CHECK(form.contact_phone == "+57 300 123 4567");
    CHECK(form.service_id == "svc-cert");
  }

  TEST_CASE("an empty form reports every field as required, in form order") {
    CaseForm form;
    const std::vector<FieldError> errors =
        ValidateCaseForm(form, TestCatalog());
    CHECK(FieldsOf(errors) ==
          std::vector<std::string>{"serviceId", "productId", "issueTypeId",
                                   "contactHours", "contactPhone", "subject",
                                   "description"});
    for (const FieldError& e : errors) CHECK(e.code == "required");
    CHECK(errors[0].message_es == "El campo Servicio es obligatorio.");
    CHECK(errors[0].message_en == "Service is required.");
    CHECK(errors[2].message_es ==
          "El campo Novedad a reportar es obligatorio.");
    CHECK(errors[3].message_en == "Contact hours is required.");
    CHECK(errors[4].message_es ==
          "El campo Teléfono de contacto es obligatorio.");
    CHECK(errors[6].message_es == "El campo Descripción es obligatorio.");
  }

  TEST_CASE("each field reports at most one error and all fields are checked") {
    CaseForm form = ValidForm();
    form.service_id = "svc-nope";
    form.contact_phone = "llamar en la tarde";
    form.subject = std::string(kMaxSubject + 1, 'x');
    form.description = "Texto con \x1B escape";
    form.contact_hours = "\xC0\xAF";
    const std::vector<FieldError> errors =
        ValidateCaseForm(form, TestCatalog());
    CHECK(FieldsOf(errors) ==
          std::vector<std::string>{"serviceId", "contactHours", "contactPhone",
                                   "subject", "description"});
    CHECK(CodesOf(errors) ==
          std::vector<std::string>{"unknown_service", "invalid_utf8",
                                   "invalid_phone", "too_long",
                                   "control_character"});
  }

  TEST_CASE("a service that does not exist or is inactive is unknown") {
    CaseForm form = ValidForm();
    form.service_id = "svc-nope";
    CheckOnlyError(form, "serviceId", "unknown_service");
    form.service_id = "svc-sellado";  // retired line
    CheckOnlyError(form, "serviceId", "unknown_service");
    form.service_id = "prod-token";  // a product is not a service
    CheckOnlyError(form, "serviceId", "unknown_service");
  }

  TEST_CASE("a product of another service is refused") {
    CaseForm form = ValidForm();
    form.service_id = "svc-fe";      // Factura Electrónica
    form.product_id = "prod-token";  // belongs to Certificado Digital
    form.issue_type_id = "it-pin";
    CheckOnlyError(form, "productId", "product_not_in_service");
  }

  TEST_CASE("an unknown or inactive product is refused") {
    CaseForm form = ValidForm();
    form.product_id = "prod-nope";
    CheckOnlyError(form, "productId", "unknown_product");
    form.product_id = "prod-token-v1";
    form.issue_type_id = "it-pin";
    CheckOnlyError(form, "productId", "unknown_product");
    form.product_id = "svc-cert";  // a service is not a product
    CheckOnlyError(form, "productId", "unknown_product");
  }

  TEST_CASE("an issue type of another product is refused") {
    CaseForm form = ValidForm();
    form.product_id = "prod-nube";  // Certificado en la nube
    form.issue_type_id = "it-pin";  // Bloqueo de PIN is a token issue
    CheckOnlyError(form, "issueTypeId", "issue_type_not_in_product");

    form = ValidForm();
    form.service_id = "svc-fe";
    form.product_id = "prod-fe-web";
    form.issue_type_id = "it-api-401";  // same service, other product
    CheckOnlyError(form, "issueTypeId", "issue_type_not_in_product");
  }

  TEST_CASE("an unknown or inactive issue type is refused") {
    CaseForm form = ValidForm();
    form.issue_type_id = "it-nope";
    CheckOnlyError(form, "issueTypeId", "unknown_issue_type");
    form.issue_type_id = "it-token-viejo";
    CheckOnlyError(form, "issueTypeId", "unknown_issue_type");
    form.issue_type_id = "prod-token";
    CheckOnlyError(form, "issueTypeId", "unknown_issue_type");
  }

  TEST_CASE("one wrong service does not cascade to its children") {
    CaseForm form = ValidForm();
    form.service_id = "svc-nope";
    CheckOnlyError(form, "serviceId", "unknown_service");

    form = ValidForm();
    form.product_id = "prod-nope";
    CheckOnlyError(form, "productId", "unknown_product");
  }

  TEST_CASE("a whole path from another service is a product mismatch only") {
    CaseForm form = ValidForm();
    form.service_id = "svc-firma";
    form.product_id = "prod-nube";
    form.issue_type_id = "it-nube-firma";
    CheckOnlyError(form, "productId", "product_not_in_service");
  }

  TEST_CASE("an invalid phone is reported with the form's wording") {
    CaseForm form = ValidForm();
    form.contact_phone = "300 123";
    std::vector<FieldError> errors = ValidateCaseForm(form, TestCatalog());
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].field == "contactPhone");
    CHECK(errors[0].code == "invalid_phone");
    CHECK(errors[0].message_es == "El teléfono de contacto no es válido.");
    CHECK(errors[0].message_en == "The contact phone is not valid.");
  }

  TEST_CASE("form limits count code points") {
    CaseForm form = ValidForm();
    std::string subject;
    for (size_t i = 0; i < kMaxSubject; ++i) subject += "ñ";
    form.subject = subject;
    CHECK(ValidateCaseForm(form, TestCatalog()).empty());
    form.subject = subject + "🔐";
    CheckOnlyError(form, "subject", "too_long");

    form = ValidForm();
    form.description = std::string(kMaxDescription, 'd');
    CHECK(ValidateCaseForm(form, TestCatalog()).empty());
    form.description += "d";
    CheckOnlyError(form, "description", "too_long");

    form = ValidForm();
    form.contact_hours = std::string(kMaxContactHours + 1, 'h');
    CheckOnlyError(form, "contactHours", "too_long");
  }

  TEST_CASE("the subject is a single line") {
    CaseForm form = ValidForm();
    form.subject = "Token\nbloqueado";
    CheckOnlyError(form, "subject", "control_character");
  }

  // --- Status ----------------------------------------------------------------

  TEST_CASE("no field errors make an OK status") {
    CHECK(ValidationStatus({}).ok());
  }

  TEST_CASE("field errors make a validation_failed status in both languages") {
    CaseForm form;
    const Status status =
        ValidationStatus(ValidateCaseForm(form, TestCatalog()));
    CHECK(status.code() == ErrorCode::kValidationFailed);
    CHECK(status.message() ==
          "El campo Servicio es obligatorio. / Service is required.");
  }
}

}  // namespace casesync
