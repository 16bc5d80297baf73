// Domain types of DESIGN.md §2 and their wire names.
//
// Plain values: copyable, no invariants enforced by construction. Validation
// lives in validation.h, state rules in lifecycle.h. Times are ISO 8601 UTC
// strings ("2026-11-29T11:09:01.123Z") so they sort as text and go on the wire
// unchanged.
#ifndef CASESYNC_DOMAIN_H_
#define CASESYNC_DOMAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace casesync {

enum class Role { kCustomer, kCustomerAdmin, kAgent, kAdmin };
enum class UserStatus { kActive, kPending, kDisabled };
enum class CaseState {
  kNew,
  kOpen,
  kAwaitingInfo,
  kResolved,
  kClosed,
  kCanceled
};
enum class Channel { kWeb, kEmail, kAgent };
enum class Visibility { kPublic, kInternal };

// Wire names: "customer_admin", "awaiting_info", "internal", ...
const char* RoleName(Role r);
const char* UserStatusName(UserStatus s);
const char* CaseStateName(CaseState s);
const char* ChannelName(Channel c);
const char* VisibilityName(Visibility v);
std::optional<Role> RoleFromName(std::string_view name);
std::optional<UserStatus> UserStatusFromName(std::string_view name);
std::optional<CaseState> CaseStateFromName(std::string_view name);
std::optional<Channel> ChannelFromName(std::string_view name);
std::optional<Visibility> VisibilityFromName(std::string_view name);

// UI labels, Spanish (Colombia) first: "En espera de información".
const char* CaseStateLabelEs(CaseState s);
const char* CaseStateLabelEn(CaseState s);

// ISO 8601 UTC with milliseconds, "2026-11-29T11:09:01.123Z", from Unix ms.
std::string FormatIsoTime(int64_t unix_ms);
// Inverse of FormatIsoTime; also accepts no fraction and "+00:00". nullopt
// for anything else.
std::optional<int64_t> ParseIsoTime(std::string_view text);

// Agents and admins work every account's cases.
inline bool IsStaff(Role r) { return r == Role::kAgent || r == Role::kAdmin; }

// ServiceNow CSM priority scale. 3 is the default for new cases.
constexpr int kPriorityCritical = 1;
constexpr int kPriorityHigh = 2;
constexpr int kPriorityModerate = 3;
constexpr int kPriorityLow = 4;
inline bool IsValidPriority(int p) { return p >= 1 && p <= 4; }
// "3 - Moderada" / "3 - Moderate"; "" for an invalid priority.
std::string PriorityLabelEs(int p);
std::string PriorityLabelEn(int p);

// A time-ordered UUID (version 7, RFC 9562) for the id of a new case or
// comment: 48 bits of Unix milliseconds, then the version and variant bits,
// then bits of `random` (10 bytes from a CSPRNG). Lowercase, 36 characters.
// Ids made close in time sort close together, so the server's id indexes
// grow at their right edge instead of rewriting a random leaf per row
// (docs/protocol.md "Ids"); any IsValidId id is still accepted.
std::string FormatUuidV7(int64_t unix_ms, const unsigned char random[10]);

// "CS0053363" from 53363; "" when n is out of range [1, 9999999].
std::string FormatCaseNumber(int64_t n);
// 53363 from "CS0053363"; nullopt unless exactly "CS" + 7 digits.
std::optional<int64_t> ParseCaseNumber(std::string_view number);

struct Account {
  std::string id;
  std::string name;                  // "TRANSPORTES CALICONFORT S.A.S."
  std::string tax_id;                // NIT, e.g. "900123456-7"
  std::vector<std::string> domains;  // trusted for automatic user creation
};

// What a replica knows of a user (no secrets ever leave the server).
struct User {
  std::string id;
  std::string account_id;
  std::string email;
  std::string name;
  std::string phone;
  Role role = Role::kCustomer;
  UserStatus status = UserStatus::kActive;
};

// Catalog: Service → Product → Issue type ("Novedad a reportar").
enum class CatalogKind { kService, kProduct, kIssueType };
const char* CatalogKindName(CatalogKind k);
std::optional<CatalogKind> CatalogKindFromName(std::string_view name);

struct CatalogItem {
  CatalogKind kind = CatalogKind::kService;
  std::string id;
  std::string parent_id;  // "" for services
  std::string name;
  int sort = 0;
  bool active = true;
};

struct Case {
  std::string id;      // UUID chosen by the creating client
  std::string number;  // "CS0053363"; "" until the server accepts the case
  std::string account_id;
  std::string contact_id;
  std::string service_id;
  std::string product_id;
  std::string issue_type_id;
  std::string contact_hours;
  std::string contact_phone;
  std::string subject;
  std::string description;
  int priority = kPriorityModerate;
  CaseState state = CaseState::kNew;
  Channel channel = Channel::kWeb;
  std::string parent_id;  // "" when not a follow-up
  std::string created_at;
  std::string updated_at;
  std::string resolution_code;   // set by resolveCase
  std::string resolution_notes;  // resolve/close notes, cancel reason

  bool operator==(const Case&) const = default;
};

struct Comment {
  std::string id;  // UUID
  std::string case_id;
  std::string author_id;
  std::string body;
  Visibility visibility = Visibility::kPublic;
  std::string created_at;

  bool operator==(const Comment&) const = default;
};

// Who is acting. On the server it always comes from the session, never from
// mutation args; on a client it is the signed-in user.
struct Actor {
  std::string user_id;
  std::string account_id;
  Role role = Role::kCustomer;
};

// Whether `actor` may see `c` (DESIGN §3): customers their own cases,
// customer admins their account's, staff all.
bool CanSeeCase(const Actor& actor, const Case& c);
// Internal comments are for staff only.
bool CanSeeComment(const Actor& actor, const Comment& comment);

}  // namespace casesync

#endif  // CASESYNC_DOMAIN_H_
