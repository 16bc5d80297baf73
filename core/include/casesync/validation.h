// Validation of what people type: the case form ("Solicitar"), comments,
// notes, e-mail addresses and phone numbers as people in Colombia write them.
//
// Every text is UTF-8 only; C0/C1 control characters are refused except tab
// and newline in multi-line fields. Lengths count Unicode code points, not
// bytes. Validators trim nothing: callers send what the user typed and get back
// the normalised value they should store (trimmed, CRLF → LF).
#ifndef CASESYNC_VALIDATION_H_
#define CASESYNC_VALIDATION_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "casesync/domain.h"
#include "casesync/status.h"

namespace casesync {

// Field limits (code points), shared with the web form's maxlength.
constexpr size_t kMaxSubject = 160;
constexpr size_t kMaxDescription = 8000;
constexpr size_t kMaxContactHours = 120;
constexpr size_t kMaxPhone = 40;
constexpr size_t kMaxCommentBody = 8000;
constexpr size_t kMaxNotes = 4000;
constexpr size_t kMaxResolutionCode = 60;
constexpr size_t kMaxName = 120;
constexpr size_t kMaxEmail = 254;
constexpr size_t kMaxId = 64;

// One problem with one field, ready to show next to it.
struct FieldError {
  std::string field;       // wire name of the arg: "contactPhone"
  std::string code;        // "required", "too_long", "invalid_phone", ...
  std::string message_es;  // "El teléfono de contacto no es válido."
  std::string message_en;  // "The contact phone is not valid."
};

// The case form as typed (wire names in comments).
struct CaseForm {
  std::string service_id;     // serviceId      "Servicio"
  std::string product_id;     // productId      "Producto"
  std::string issue_type_id;  // issueTypeId    "Novedad a reportar"
  std::string contact_hours;  // contactHours   "Horario de contacto"
  std::string contact_phone;  // contactPhone   "Teléfono de contacto"
  std::string subject;        // subject        "Asunto"
  std::string description;    // description    "Descripción"
};

// Looks up catalog items by id; the replica and the server store implement
// it. Returns nullptr when there is no such item.
class CatalogLookup {
 public:
  virtual ~CatalogLookup() = default;
  virtual const CatalogItem* FindCatalogItem(std::string_view id) const = 0;
};

// Validates and normalises `form` in place. Returns every problem found (empty
// when valid). Checks: required fields, lengths, text rules, phone, and that
// the product belongs to the service and the issue type to the product, all
// active, using `catalog`.
std::vector<FieldError> ValidateCaseForm(CaseForm& form,
                                         const CatalogLookup& catalog);

// Text rules for a single field; `multiline` allows \n and \t. On success
// `value` is normalised (trimmed; CRLF/CR → LF when multiline).
// `label_es` / `label_en` name the field in messages ("Asunto", "Subject").
std::vector<FieldError> ValidateText(std::string& value, std::string_view field,
                                     std::string_view label_es,
                                     std::string_view label_en, size_t max_len,
                                     bool required, bool multiline);

// A phone number as written in Colombia: mobile "300 123 4567",
// "+57 300 123 4567", "(601) 234 5678", "601 2345678 ext. 123",
// "+57 (4) 444-5555 Ext 12". Returns true when the digits form a plausible
// Colombian or international (E.164, ≤ 15 digits) number; an extension of up
// to 6 digits may follow "ext", "ext.", "extensión", "x" or "#".
bool IsValidPhone(std::string_view phone);

// A plausible e-mail address (one @, non-empty local part and a dotted domain,
// no spaces or control characters, ≤ kMaxEmail). Case-insensitive compare is
// the caller's business (lower-case it).
bool IsValidEmail(std::string_view email);

// Whether `id` is an acceptable client-chosen id: 1..kMaxId characters of
// [A-Za-z0-9_-] (UUIDs qualify).
bool IsValidId(std::string_view id);

// UTF-8 helpers used by the codec and the validators.
bool IsValidUtf8(std::string_view s);
// Number of code points; precondition: IsValidUtf8(s).
size_t CodePointCount(std::string_view s);

// Turns a list of field errors into a kValidationFailed Status whose message
// is the first error's Spanish text followed by the English one.
Status ValidationStatus(const std::vector<FieldError>& errors);

}  // namespace casesync

#endif  // CASESYNC_VALIDATION_H_
