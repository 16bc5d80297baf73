#include "casesync/domain.h"

#include <iterator>

namespace casesync {
namespace {

// Wire names, indexed by enumerator (every enum here counts up from 0).
constexpr const char* kRoleNames[] = {"customer", "customer_admin", "agent",
                                      "admin"};
constexpr const char* kUserStatusNames[] = {"active", "pending", "disabled"};
constexpr const char* kCaseStateNames[] = {
    "new", "open", "awaiting_info", "resolved", "closed", "canceled"};
constexpr const char* kChannelNames[] = {"web", "email", "agent"};
constexpr const char* kVisibilityNames[] = {"public", "internal"};
constexpr const char* kCatalogKindNames[] = {"service", "product",
                                             "issue_type"};

constexpr const char* kCaseStateLabelsEs[] = {
    "Nuevo",    "Abierto", "En espera de información",
    "Resuelto", "Cerrado", "Cancelado"};
constexpr const char* kCaseStateLabelsEn[] = {
    "New", "Open", "Awaiting information", "Resolved", "Closed", "Canceled"};

constexpr const char* kPriorityLabelsEs[] = {"1 - Crítica", "2 - Alta",
                                             "3 - Moderada", "4 - Baja"};
constexpr const char* kPriorityLabelsEn[] = {"1 - Critical", "2 - High",
                                             "3 - Moderate", "4 - Low"};

static_assert(std::size(kRoleNames) == static_cast<size_t>(Role::kAdmin) + 1);
static_assert(std::size(kUserStatusNames) ==
              static_cast<size_t>(UserStatus::kDisabled) + 1);
static_assert(std::size(kCaseStateNames) ==
              static_cast<size_t>(CaseState::kCanceled) + 1);
static_assert(std::size(kCaseStateLabelsEs) == std::size(kCaseStateNames));
static_assert(std::size(kCaseStateLabelsEn) == std::size(kCaseStateNames));
static_assert(std::size(kChannelNames) ==
              static_cast<size_t>(Channel::kAgent) + 1);
static_assert(std::size(kVisibilityNames) ==
              static_cast<size_t>(Visibility::kInternal) + 1);
static_assert(std::size(kCatalogKindNames) ==
              static_cast<size_t>(CatalogKind::kIssueType) + 1);

// The entry of `table` for `value`, or "" for a value outside the enum (a cast
// from a bad integer).
template <typename Enum, size_t N>
const char* NameOf(const char* const (&table)[N], Enum value) {
  auto index = static_cast<size_t>(value);
  return index < N ? table[index] : "";
}

template <typename Enum, size_t N>
std::optional<Enum> ValueOf(const char* const (&table)[N],
                            std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (name == table[i]) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

// --- Calendar arithmetic (proleptic Gregorian, UTC, no libc time) ---------
//
// days_from_civil / civil_from_days are Howard Hinnant's public-domain
// algorithms: day 0 is 1970-01-01, and they are exact for every year.

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerDay = 86'400'000;

struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;  // [0, 399]
  const int64_t doy =
      (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;        // 0..365
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
  return era * 146097 + doe - 719468;
}

constexpr CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;  // [0, 146096]
  const int64_t yoe =
      (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;    // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                       // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

constexpr bool IsLeapYear(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr int DaysInMonth(int64_t y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Four-digit years only: the text format sorts and parses as fixed width.
constexpr int64_t kMinIsoMs = DaysFromCivil(0, 1, 1) * kMsPerDay;
constexpr int64_t kMaxIsoMs = DaysFromCivil(10000, 1, 1) * kMsPerDay - 1;

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(CivilFromDays(0).year == 1970);

// Appends `value` as exactly `width` decimal digits (value >= 0, fits).
void AppendDigits(std::string& out, int64_t value, int width) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<size_t>(width));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads `width` digits of `text` at `pos` into `value`; false if any is not a
// digit or the text is too short.
bool ReadDigits(std::string_view text, size_t pos, size_t width,
                int64_t& value) {
  if (pos + width > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (!IsDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

constexpr int64_t kMaxCaseNumber = 9'999'999;
constexpr size_t kCaseNumberDigits = 7;

}  // namespace

const char* RoleName(Role r) { return NameOf(kRoleNames, r); }
const char* UserStatusName(UserStatus s) { return NameOf(kUserStatusNames, s); }
const char* CaseStateName(CaseState s) { return NameOf(kCaseStateNames, s); }
const char* ChannelName(Channel c) { return NameOf(kChannelNames, c); }
const char* VisibilityName(Visibility v) { return NameOf(kVisibilityNames, v); }
const char* CatalogKindName(CatalogKind k) {
  return NameOf(kCatalogKindNames, k);
}

std::optional<Role> RoleFromName(std::string_view name) {
  return ValueOf<Role>(kRoleNames, name);
}
std::optional<UserStatus> UserStatusFromName(std::string_view name) {
  return ValueOf<UserStatus>(kUserStatusNames, name);
}
std::optional<CaseState> CaseStateFromName(std::string_view name) {
  return ValueOf<CaseState>(kCaseStateNames, name);
}
std::optional<Channel> ChannelFromName(std::string_view name) {
  return ValueOf<Channel>(kChannelNames, name);
}
std::optional<Visibility> VisibilityFromName(std::string_view name) {
  return ValueOf<Visibility>(kVisibilityNames, name);
}
std::optional<CatalogKind> CatalogKindFromName(std::string_view name) {
  return ValueOf<CatalogKind>(kCatalogKindNames, name);
}

const char* CaseStateLabelEs(CaseState s) {
  return NameOf(kCaseStateLabelsEs, s);
}
const char* CaseStateLabelEn(CaseState s) {
  return NameOf(kCaseStateLabelsEn, s);
}

std::string PriorityLabelEs(int p) {
  return IsValidPriority(p) ? kPriorityLabelsEs[p - 1] : "";
}
std::string PriorityLabelEn(int p) {
  return IsValidPriority(p) ? kPriorityLabelsEn[p - 1] : "";
}

std::string FormatUuidV7(int64_t unix_ms, const unsigned char random[10]) {
  unsigned char b[16];
  const uint64_t ms = static_cast<uint64_t>(unix_ms) & 0xffffffffffffULL;
  for (int i = 0; i < 6; ++i)
    b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  for (int i = 0; i < 10; ++i) b[6 + i] = random[i];
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0f));  // version 7
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0f];
  }
  return out;
}

std::string FormatCaseNumber(int64_t n) {
  if (n < 1 || n > kMaxCaseNumber) return "";
  std::string number = "CS";
  AppendDigits(number, n, kCaseNumberDigits);
  return number;
}

std::optional<int64_t> ParseCaseNumber(std::string_view number) {
  constexpr std::string_view kPrefix = "CS";
  if (number.size() != kPrefix.size() + kCaseNumberDigits ||
      number.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  int64_t n = 0;
  if (!ReadDigits(number, kPrefix.size(), kCaseNumberDigits, n) || n < 1) {
    return std::nullopt;
  }
  return n;
}

// Times outside years 0000..9999 are clamped to that range: the format has
// exactly four year digits.
std::string FormatIsoTime(int64_t unix_ms) {
  if (unix_ms < kMinIsoMs) unix_ms = kMinIsoMs;
  if (unix_ms > kMaxIsoMs) unix_ms = kMaxIsoMs;
  // Floor division, so times before 1970 land on the right day.
  int64_t days = unix_ms / kMsPerDay;
  int64_t ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const int64_t seconds_of_day = ms_of_day / kMsPerSecond;

  std::string text;
  text.reserve(24);  // "YYYY-MM-DDTHH:MM:SS.mmmZ"
  AppendDigits(text, date.year, 4);
  text += '-';
  AppendDigits(text, date.month, 2);
  text += '-';
  AppendDigits(text, date.day, 2);
  text += 'T';
  AppendDigits(text, seconds_of_day / 3600, 2);
  text += ':';
  AppendDigits(text, seconds_of_day / 60 % 60, 2);
  text += ':';
  AppendDigits(text, seconds_of_day % 60, 2);
  text += '.';
  AppendDigits(text, ms_of_day % kMsPerSecond, 3);
  text += 'Z';
  return text;
}

// Grammar (RFC 3339 subset, UTC only):
//   YYYY "-" MM "-" DD "T" hh ":" mm ":" ss [ "." 3DIGIT ] ( "Z" / "+00:00" )
std::optional<int64_t> ParseIsoTime(std::string_view text) {
  int64_t year, month, day, hour, minute, second;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' ||
      !ReadDigits(text, 8, 2, day) || text[10] != 'T' ||
      !ReadDigits(text, 11, 2, hour) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, minute) || text[16] != ':' ||
      !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, static_cast<int>(month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }

  std::string_view rest = text.substr(19);
  int64_t millis = 0;
  if (!rest.empty() && rest.front() == '.') {
    if (!ReadDigits(rest, 1, 3, millis)) return std::nullopt;
    rest.remove_prefix(4);
  }
  if (rest != "Z" && rest != "+00:00") return std::nullopt;

  const int64_t days =
      DaysFromCivil(year, static_cast<int>(month), static_cast<int>(day));
  return days * kMsPerDay +
         ((hour * 60 + minute) * 60 + second) * kMsPerSecond + millis;
}

bool CanSeeCase(const Actor& actor, const Case& c) {
  switch (actor.role) {
    case Role::kCustomer:
      return !actor.user_id.empty() && c.contact_id == actor.user_id;
    case Role::kCustomerAdmin:
      return !actor.account_id.empty() && c.account_id == actor.account_id;
    case Role::kAgent:
    case Role::kAdmin:
      return true;
  }
  return false;
}

bool CanSeeComment(const Actor& actor, const Comment& comment) {
  return comment.visibility == Visibility::kPublic || IsStaff(actor.role);
}

}  // namespace casesync
