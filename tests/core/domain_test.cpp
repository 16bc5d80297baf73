#include "casesync/domain.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <utility>

#include "casesync/validation.h"

namespace casesync {
namespace {

constexpr CaseState kAllStates[] = {
    CaseState::kNew,      CaseState::kOpen,   CaseState::kAwaitingInfo,
    CaseState::kResolved, CaseState::kClosed, CaseState::kCanceled};
constexpr Role kAllRoles[] = {Role::kCustomer, Role::kCustomerAdmin,
                              Role::kAgent, Role::kAdmin};

// Known instants, checked against an independent implementation (Python's
// datetime).
constexpr int64_t k2026Example = 1'795'950'541'123;  // 2026-11-29T11:09:01.123Z
constexpr int64_t kLeapDayEnd = 1'709'251'199'999;   // 2024-02-29T23:59:59.999Z
constexpr int64_t kYear0001 = -62'135'596'800'000;   // 0001-01-01T00:00:00.000Z
constexpr int64_t kYear0000 = -62'167'219'200'000;   // 0000-01-01T00:00:00.000Z
constexpr int64_t kYear9999End =
    253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

Case CaseOf(std::string account_id, std::string contact_id) {
  Case c;
  c.id = "case-1";
  c.account_id = std::move(account_id);
  c.contact_id = std::move(contact_id);
  return c;
}

}  // namespace

TEST_SUITE("domain") {
  TEST_CASE("roles round-trip through their wire names") {
    CHECK(std::string(RoleName(Role::kCustomer)) == "customer");
    CHECK(std::string(RoleName(Role::kCustomerAdmin)) == "customer_admin");
    CHECK(std::string(RoleName(Role::kAgent)) == "agent");
    CHECK(std::string(RoleName(Role::kAdmin)) == "admin");
    for (Role role : kAllRoles) CHECK(RoleFromName(RoleName(role)) == role);
  }

  TEST_CASE("user statuses round-trip through their wire names") {
    for (auto [status, name] : {std::pair{UserStatus::kActive, "active"},
                                std::pair{UserStatus::kPending, "pending"},
                                std::pair{UserStatus::kDisabled, "disabled"}}) {
      CHECK(std::string(UserStatusName(status)) == name);
      CHECK(UserStatusFromName(name) == status);
    }
  }

  TEST_CASE("case states round-trip through their wire names") {
    const char* const kNames[] = {"new",      "open",   "awaiting_info",
                                  "resolved", "closed", "canceled"};
    for (size_t i = 0; i < std::size(kAllStates); ++i) {
      CHECK(std::string(CaseStateName(kAllStates[i])) == kNames[i]);
      CHECK(CaseStateFromName(kNames[i]) == kAllStates[i]);
    }
  }

  TEST_CASE("channels, visibilities and catalog kinds round-trip") {
    for (auto [channel, name] :
         {std::pair{Channel::kWeb, "web"}, std::pair{Channel::kEmail, "email"},
          std::pair{Channel::kAgent, "agent"}}) {
      CHECK(std::string(ChannelName(channel)) == name);
      CHECK(ChannelFromName(name) == channel);
    }
    for (auto [visibility, name] :
         {std::pair{Visibility::kPublic, "public"},
          std::pair{Visibility::kInternal, "internal"}}) {
      CHECK(std::string(VisibilityName(visibility)) == name);
      CHECK(VisibilityFromName(name) == visibility);
    }
    for (auto [kind, name] :
         {std::pair{CatalogKind::kService, "service"},
          std::pair{CatalogKind::kProduct, "product"},
          std::pair{CatalogKind::kIssueType, "issue_type"}}) {
      CHECK(std::string(CatalogKindName(kind)) == name);
      CHECK(CatalogKindFromName(name) == kind);
    }
  }

  TEST_CASE("names that are not wire names are refused") {
    CHECK_FALSE(RoleFromName("").has_value());
    CHECK_FALSE(RoleFromName("Customer").has_value());
    CHECK_FALSE(RoleFromName("customer-admin").has_value());
    CHECK_FALSE(RoleFromName("system").has_value());
    CHECK_FALSE(UserStatusFromName("ACTIVE").has_value());
    CHECK_FALSE(CaseStateFromName("awaiting info").has_value());
    CHECK_FALSE(CaseStateFromName("cancelled").has_value());
    CHECK_FALSE(CaseStateFromName("open ").has_value());
    CHECK_FALSE(ChannelFromName("phone").has_value());
    CHECK_FALSE(VisibilityFromName("private").has_value());
    CHECK_FALSE(CatalogKindFromName("issueType").has_value());
  }

  TEST_CASE("case states have Spanish and English labels") {
    const char* const kEs[] = {
        "Nuevo",    "Abierto", "En espera de información",
        "Resuelto", "Cerrado", "Cancelado"};
    const char* const kEn[] = {"New",      "Open",   "Awaiting information",
                               "Resolved", "Closed", "Canceled"};
    for (size_t i = 0; i < std::size(kAllStates); ++i) {
      CHECK(std::string(CaseStateLabelEs(kAllStates[i])) == kEs[i]);
      CHECK(std::string(CaseStateLabelEn(kAllStates[i])) == kEn[i]);
    }
  }

  TEST_CASE("priorities have ServiceNow labels and 3 is the default") {
    CHECK(PriorityLabelEs(1) == "1 - Crítica");
    CHECK(PriorityLabelEs(2) == "2 - Alta");
    CHECK(PriorityLabelEs(3) == "3 - Moderada");
    CHECK(PriorityLabelEs(4) == "4 - Baja");
    CHECK(PriorityLabelEn(1) == "1 - Critical");
    CHECK(PriorityLabelEn(2) == "2 - High");
    CHECK(PriorityLabelEn(3) == "3 - Moderate");
    CHECK(PriorityLabelEn(4) == "4 - Low");
    CHECK(Case().priority == kPriorityModerate);
  }

  TEST_CASE("an invalid priority has an empty label") {
    for (int p : {0, 5, -1, 100}) {
      CHECK_FALSE(IsValidPriority(p));
      CHECK(PriorityLabelEs(p).empty());
      CHECK(PriorityLabelEn(p).empty());
    }
  }

  TEST_CASE("case numbers are CS and seven zero-padded digits") {
    CHECK(FormatCaseNumber(53363) == "CS0053363");
    CHECK(FormatCaseNumber(1) == "CS0000001");
    CHECK(FormatCaseNumber(9'999'999) == "CS9999999");
    CHECK(FormatCaseNumber(1'000'000) == "CS1000000");
  }

  TEST_CASE("a version 7 UUID matches RFC 9562's example and sorts by time") {
    // RFC 9562 appendix A.6: 2022-02-22 19:22:22 UTC.
    const unsigned char r[10] = {0x0c, 0xc3, 0x18, 0xc4, 0xdc,
                                 0x0c, 0x0c, 0x07, 0x39, 0x8f};
    std::string id = FormatUuidV7(0x017F22E279B0, r);
    CHECK(id == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
    CHECK(IsValidId(id));
    // Version and variant bits are forced whatever the random bytes say.
    const unsigned char ones[10] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff};
    const unsigned char zeros[10] = {};
    CHECK(FormatUuidV7(0, ones) == "00000000-0000-7fff-bfff-ffffffffffff");
    CHECK(FormatUuidV7(0, zeros) == "00000000-0000-7000-8000-000000000000");
    // One millisecond later sorts after, whatever the random part.
    CHECK(FormatUuidV7(1'700'000'000'000, ones) <
          FormatUuidV7(1'700'000'000'001, zeros));
  }

  TEST_CASE("case numbers out of range format as empty") {
    CHECK(FormatCaseNumber(0) == "");
    CHECK(FormatCaseNumber(-1) == "");
    CHECK(FormatCaseNumber(10'000'000) == "");
    CHECK(FormatCaseNumber(INT64_MIN) == "");
    CHECK(FormatCaseNumber(INT64_MAX) == "");
  }

  TEST_CASE("case numbers parse back to what was formatted") {
    for (int64_t n : {1, 9, 10, 53363, 999'999, 1'000'000, 9'999'999}) {
      CHECK(ParseCaseNumber(FormatCaseNumber(n)) == n);
    }
  }

  TEST_CASE("anything but CS and seven digits is not a case number") {
    for (const char* text :
         {"", "CS", "CS000000", "CS00533630", "cs0053363", "Cs0053363",
          "CS 053363", " CS0053363", "CS0053363 ", "CS-053363", "CS+053363",
          "CS00533a3", "CS0000000", "0053363", "XX0053363",
          "CS\xEF\xBC\x90\x30\x35\x33\x33\x36\x33"}) {
      CAPTURE(text);
      CHECK_FALSE(ParseCaseNumber(text).has_value());
    }
  }

  TEST_CASE("ISO time formats with milliseconds in UTC") {
    CHECK(FormatIsoTime(0) == "1970-01-01T00:00:00.000Z");
    CHECK(FormatIsoTime(k2026Example) == "2026-11-29T11:09:01.123Z");
    CHECK(FormatIsoTime(kLeapDayEnd) == "2024-02-29T23:59:59.999Z");
    CHECK(FormatIsoTime(kLeapDayEnd + 1) == "2024-03-01T00:00:00.000Z");
    CHECK(FormatIsoTime(4'107'499'200'000) == "2100-02-28T12:00:00.000Z");
    CHECK(FormatIsoTime(4'107'542'400'000) == "2100-03-01T00:00:00.000Z");
    CHECK(FormatIsoTime(951'782'400'000) == "2000-02-29T00:00:00.000Z");
    CHECK(FormatIsoTime(1) == "1970-01-01T00:00:00.001Z");
  }

  TEST_CASE("ISO time formats instants before 1970") {
    CHECK(FormatIsoTime(-1) == "1969-12-31T23:59:59.999Z");
    CHECK(FormatIsoTime(-14'182'940'000) == "1969-07-20T20:17:40.000Z");
    CHECK(FormatIsoTime(kYear0001) == "0001-01-01T00:00:00.000Z");
    CHECK(FormatIsoTime(kYear0000) == "0000-01-01T00:00:00.000Z");
  }

  TEST_CASE("ISO time clamps to the four-digit years") {
    CHECK(FormatIsoTime(kYear9999End) == "9999-12-31T23:59:59.999Z");
    CHECK(FormatIsoTime(kYear9999End + 1) == "9999-12-31T23:59:59.999Z");
    CHECK(FormatIsoTime(INT64_MAX) == "9999-12-31T23:59:59.999Z");
    CHECK(FormatIsoTime(kYear0000 - 1) == "0000-01-01T00:00:00.000Z");
    CHECK(FormatIsoTime(INT64_MIN) == "0000-01-01T00:00:00.000Z");
  }

  TEST_CASE("ISO time parses what it formats") {
    CHECK(ParseIsoTime("2026-11-29T11:09:01.123Z") == k2026Example);
    CHECK(ParseIsoTime("2024-02-29T23:59:59.999Z") == kLeapDayEnd);
    CHECK(ParseIsoTime("2100-03-01T00:00:00.000Z") == 4'107'542'400'000);
    CHECK(ParseIsoTime("0000-01-01T00:00:00.000Z") == kYear0000);
    CHECK(ParseIsoTime("9999-12-31T23:59:59.999Z") == kYear9999End);
    CHECK(ParseIsoTime("1969-12-31T23:59:59.999Z") == -1);
  }

  TEST_CASE("ISO time round-trips across the whole four-digit range") {
    // A prime step so that every millisecond, second, day and month shows up.
    constexpr int64_t kStep = 7'919'993'311;
    int rounds = 0;
    for (int64_t ms = kYear0000; ms <= kYear9999End; ms += kStep, ++rounds) {
      const std::string text = FormatIsoTime(ms);
      REQUIRE(ParseIsoTime(text) == ms);
    }
    CHECK(rounds > 30'000);
  }

  TEST_CASE("ISO time accepts no fraction and a +00:00 offset") {
    CHECK(ParseIsoTime("2026-11-29T11:09:01Z") == k2026Example - 123);
    CHECK(ParseIsoTime("2026-11-29T11:09:01.123+00:00") == k2026Example);
    CHECK(ParseIsoTime("2026-11-29T11:09:01+00:00") == k2026Example - 123);
    CHECK(ParseIsoTime("1970-01-01T00:00:00Z") == 0);
  }

  TEST_CASE("ISO time refuses impossible dates and times") {
    for (const char* text : {"2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
                             "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
                             "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z",
                             "2026-01-32T00:00:00Z", "2026-01-01T24:00:00Z",
                             "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z"}) {
      CAPTURE(text);
      CHECK_FALSE(ParseIsoTime(text).has_value());
    }
    CHECK(ParseIsoTime("2000-02-29T00:00:00Z").has_value());
  }

  TEST_CASE("ISO time refuses other shapes and offsets") {
    for (const char* text : {"",
                             "2026-11-29",
                             "2026-11-29T11:09Z",
                             "2026-11-29 11:09:01Z",
                             "2026-11-29t11:09:01Z",
                             "2026-11-29T11:09:01z",
                             "2026-11-29T11:09:01",
                             "2026-11-29T11:09:01.12Z",
                             "2026-11-29T11:09:01.1234Z",
                             "2026-11-29T11:09:01.Z",
                             "2026-11-29T11:09:01,123Z",
                             "2026-11-29T11:09:01-05:00",
                             "2026-11-29T11:09:01-00:00",
                             "2026-11-29T11:09:01+0000",
                             "2026-11-29T11:09:01ZZ",
                             "2026-11-29T11:09:01.123Z ",
                             " 2026-11-29T11:09:01.123Z",
                             "+2026-11-29T11:09:01Z",
                             "26-11-29T11:09:01Z",
                             "2026-1-29T11:09:01Z",
                             "2026/11/29T11:09:01Z",
                             "2026-11-29T1:09:01Z",
                             "２026-11-29T11:09:01Z"}) {
      CAPTURE(text);
      CHECK_FALSE(ParseIsoTime(text).has_value());
    }
  }

  TEST_CASE("formatted times sort as text in time order") {
    const std::string earlier = FormatIsoTime(kLeapDayEnd);
    const std::string later = FormatIsoTime(kLeapDayEnd + 1);
    CHECK(earlier < later);
    CHECK(FormatIsoTime(-1) < FormatIsoTime(0));
  }

  TEST_CASE("customers see only cases where they are the contact") {
    const Actor customer{"user-ana", "acct-1", Role::kCustomer};
    CHECK(CanSeeCase(customer, CaseOf("acct-1", "user-ana")));
    CHECK_FALSE(CanSeeCase(customer, CaseOf("acct-1", "user-luis")));
    CHECK_FALSE(CanSeeCase(customer, CaseOf("acct-2", "user-luis")));
  }

  TEST_CASE("customer admins see every case of their account only") {
    const Actor admin{"user-marta", "acct-1", Role::kCustomerAdmin};
    CHECK(CanSeeCase(admin, CaseOf("acct-1", "user-ana")));
    CHECK(CanSeeCase(admin, CaseOf("acct-1", "user-marta")));
    CHECK_FALSE(CanSeeCase(admin, CaseOf("acct-2", "user-luis")));
  }

  TEST_CASE("staff see every case") {
    for (Role role : {Role::kAgent, Role::kAdmin}) {
      const Actor staff{"user-agent", "acct-company", role};
      CHECK(CanSeeCase(staff, CaseOf("acct-1", "user-ana")));
      CHECK(CanSeeCase(staff, CaseOf("acct-2", "user-luis")));
    }
  }

  TEST_CASE("an actor with empty ids matches no case with empty ids") {
    CHECK_FALSE(
        CanSeeCase(Actor{"", "acct-1", Role::kCustomer}, CaseOf("", "")));
    CHECK_FALSE(CanSeeCase(Actor{"user-marta", "", Role::kCustomerAdmin},
                           CaseOf("", "")));
  }

  TEST_CASE("internal comments are visible to staff only") {
    Comment note;
    note.visibility = Visibility::kInternal;
    Comment reply;
    reply.visibility = Visibility::kPublic;
    for (Role role : kAllRoles) {
      const Actor actor{"user-1", "acct-1", role};
      CAPTURE(RoleName(role));
      CHECK(CanSeeComment(actor, reply));
      CHECK(CanSeeComment(actor, note) == IsStaff(role));
    }
  }

  TEST_CASE("only agents and admins are staff") {
    CHECK_FALSE(IsStaff(Role::kCustomer));
    CHECK_FALSE(IsStaff(Role::kCustomerAdmin));
    CHECK(IsStaff(Role::kAgent));
    CHECK(IsStaff(Role::kAdmin));
  }
}

}  // namespace casesync
