#include "casesync/status.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace casesync {
namespace {

constexpr int kLastCode = static_cast<int>(ErrorCode::kInternal);

bool IsSnakeCase(std::string_view name) {
  if (name.empty() || name.front() == '_' || name.back() == '_') return false;
  char previous = '\0';
  for (char c : name) {
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (!lower && !digit && c != '_') return false;
    if (c == '_' && previous == '_') return false;
    previous = c;
  }
  return name.front() >= 'a' && name.front() <= 'z';
}

Status FailWhenNegative(int n) {
  if (n < 0) return Status(ErrorCode::kInvalidRequest, "negative");
  return Status::Ok();
}

Result<int> Half(int n) {
  if (n % 2 != 0) return Status(ErrorCode::kInvalidRequest, "odd");
  return n / 2;
}

Status QuarterIntoOut(int n, int& out) {
  CASESYNC_RETURN_IF_ERROR(FailWhenNegative(n));
  CASESYNC_ASSIGN_OR_RETURN(int half, Half(n));
  CASESYNC_ASSIGN_OR_RETURN(out, Half(half));
  return Status::Ok();
}

}  // namespace

TEST_SUITE("status") {
  TEST_CASE("every error code round-trips through its wire name") {
    for (int i = 0; i <= kLastCode; ++i) {
      const auto code = static_cast<ErrorCode>(i);
      CAPTURE(i);
      const std::optional<ErrorCode> back =
          ErrorCodeFromName(ErrorCodeName(code));
      REQUIRE(back.has_value());
      CHECK(*back == code);
    }
  }

  TEST_CASE("error code names are unique snake_case") {
    std::set<std::string> names;
    for (int i = 0; i <= kLastCode; ++i) {
      const std::string name = ErrorCodeName(static_cast<ErrorCode>(i));
      CAPTURE(name);
      CHECK(IsSnakeCase(name));
      CHECK(names.insert(name).second);
    }
    CHECK(names.size() == static_cast<size_t>(kLastCode) + 1);
  }

  TEST_CASE("wire names are the ones the protocol documents") {
    CHECK(std::string(ErrorCodeName(ErrorCode::kOk)) == "ok");
    CHECK(std::string(ErrorCodeName(ErrorCode::kCaseTerminal)) ==
          "case_terminal");
    CHECK(std::string(ErrorCodeName(ErrorCode::kInvalidUtf8)) ==
          "invalid_utf8");
    CHECK(std::string(ErrorCodeName(ErrorCode::kPasswordChangeRequired)) ==
          "password_change_required");
    CHECK(std::string(ErrorCodeName(ErrorCode::kValidationFailed)) ==
          "validation_failed");
  }

  TEST_CASE("unknown names have no error code") {
    CHECK_FALSE(ErrorCodeFromName("").has_value());
    CHECK_FALSE(ErrorCodeFromName("CASE_TERMINAL").has_value());
    CHECK_FALSE(ErrorCodeFromName("case-terminal").has_value());
    CHECK_FALSE(ErrorCodeFromName("case_terminal ").has_value());
    CHECK_FALSE(ErrorCodeFromName("teapot").has_value());
  }

  TEST_CASE("each code maps to the HTTP status of its registry comment") {
    struct Expected {
      ErrorCode code;
      int status;
    };
    const Expected kExpected[] = {
        {ErrorCode::kOk, 200},
        {ErrorCode::kMalformedJson, 400},
        {ErrorCode::kInvalidUtf8, 400},
        {ErrorCode::kTooDeep, 400},
        {ErrorCode::kInvalidRequest, 400},
        {ErrorCode::kPayloadTooLarge, 413},
        {ErrorCode::kUnknownMutation, 400},
        {ErrorCode::kMutationGap, 409},
        {ErrorCode::kValidationFailed, 422},
        {ErrorCode::kNotFound, 404},
        {ErrorCode::kForbidden, 403},
        {ErrorCode::kInvalidTransition, 409},
        {ErrorCode::kCaseTerminal, 409},
        {ErrorCode::kAlreadyExists, 409},
        {ErrorCode::kUnauthenticated, 401},
        {ErrorCode::kPasswordChangeRequired, 403},
        {ErrorCode::kWeakPassword, 422},
        {ErrorCode::kRateLimited, 429},
        {ErrorCode::kAccountPending, 403},
        {ErrorCode::kMethodNotAllowed, 405},
        {ErrorCode::kRouteNotFound, 404},
        {ErrorCode::kUnavailable, 503},
        {ErrorCode::kStorage, 500},
        {ErrorCode::kInternal, 500},
    };
    CHECK(std::size(kExpected) == static_cast<size_t>(kLastCode) + 1);
    for (const Expected& e : kExpected) {
      CAPTURE(ErrorCodeName(e.code));
      CHECK(HttpStatusFor(e.code) == e.status);
    }
  }

  TEST_CASE("an out-of-range code reads as internal") {
    const auto bogus = static_cast<ErrorCode>(kLastCode + 7);
    CHECK(std::string(ErrorCodeName(bogus)) == "internal");
    CHECK(HttpStatusFor(bogus) == 500);
  }

  TEST_CASE("ToString shows the code name and the message") {
    CHECK(Status().ToString() == "ok");
    CHECK(Status(ErrorCode::kCaseTerminal, "the case is closed").ToString() ==
          "case_terminal: the case is closed");
    CHECK(Status(ErrorCode::kNotFound, "").ToString() == "not_found");
  }

  TEST_CASE("a default status is ok and carries no message") {
    const Status status;
    CHECK(status.ok());
    CHECK(status.code() == ErrorCode::kOk);
    CHECK(status.message().empty());
    CHECK(Status::Ok().ok());
  }

  TEST_CASE("a result holds either a value or an error status") {
    const Result<int> value = Half(8);
    REQUIRE(value.ok());
    CHECK(*value == 4);
    CHECK(value.status().ok());

    const Result<int> error = Half(3);
    CHECK_FALSE(error.ok());
    CHECK(error.status().code() == ErrorCode::kInvalidRequest);
    CHECK(error.status().message() == "odd");
  }

  TEST_CASE("the early-return macros pass errors up and values on") {
    int out = 0;
    CHECK(QuarterIntoOut(12, out).ok());
    CHECK(out == 3);
    CHECK(QuarterIntoOut(-4, out).message() == "negative");
    CHECK(QuarterIntoOut(6, out).message() == "odd");
    CHECK(QuarterIntoOut(5, out).message() == "odd");
  }
}

}  // namespace casesync
