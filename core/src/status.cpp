#include "casesync/status.h"

#include <iterator>

namespace casesync {
namespace {

struct ErrorCodeInfo {
  ErrorCode code;
  const char* name;
  int http_status;
};

// The registry of status.h as data, in enum order. Names and statuses are
// part of the protocol (docs/errors.md): append only.
constexpr ErrorCodeInfo kErrorCodes[] = {
    {ErrorCode::kOk, "ok", 200},
    {ErrorCode::kMalformedJson, "malformed_json", 400},
    {ErrorCode::kInvalidUtf8, "invalid_utf8", 400},
    {ErrorCode::kTooDeep, "too_deep", 400},
    {ErrorCode::kInvalidRequest, "invalid_request", 400},
    {ErrorCode::kPayloadTooLarge, "payload_too_large", 413},
    {ErrorCode::kUnknownMutation, "unknown_mutation", 400},
    {ErrorCode::kMutationGap, "mutation_gap", 409},
    {ErrorCode::kValidationFailed, "validation_failed", 422},
    {ErrorCode::kNotFound, "not_found", 404},
    {ErrorCode::kForbidden, "forbidden", 403},
    {ErrorCode::kInvalidTransition, "invalid_transition", 409},
    {ErrorCode::kCaseTerminal, "case_terminal", 409},
    {ErrorCode::kAlreadyExists, "already_exists", 409},
    {ErrorCode::kUnauthenticated, "unauthenticated", 401},
    {ErrorCode::kPasswordChangeRequired, "password_change_required", 403},
    {ErrorCode::kWeakPassword, "weak_password", 422},
    {ErrorCode::kRateLimited, "rate_limited", 429},
    {ErrorCode::kAccountPending, "account_pending", 403},
    {ErrorCode::kMethodNotAllowed, "method_not_allowed", 405},
    {ErrorCode::kRouteNotFound, "route_not_found", 404},
    {ErrorCode::kUnavailable, "unavailable", 503},
    {ErrorCode::kStorage, "storage", 500},
    {ErrorCode::kInternal, "internal", 500},
};

constexpr bool RegistryIsInEnumOrder() {
  for (size_t i = 0; i < std::size(kErrorCodes); ++i) {
    if (static_cast<size_t>(kErrorCodes[i].code) != i) return false;
  }
  return true;
}
static_assert(RegistryIsInEnumOrder(),
              "kErrorCodes must list every ErrorCode in enum order");

const ErrorCodeInfo& InfoFor(ErrorCode code) {
  auto index = static_cast<size_t>(code);
  // An out-of-range value (a cast from a bad integer) reads as internal.
  if (index >= std::size(kErrorCodes)) {
    index = static_cast<size_t>(ErrorCode::kInternal);
  }
  return kErrorCodes[index];
}

}  // namespace

const char* ErrorCodeName(ErrorCode code) { return InfoFor(code).name; }

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const ErrorCodeInfo& info : kErrorCodes) {
    if (name == info.name) return info.code;
  }
  return std::nullopt;
}

int HttpStatusFor(ErrorCode code) { return InfoFor(code).http_status; }

std::string Status::ToString() const {
  std::string text = ErrorCodeName(code_);
  if (!message_.empty()) {
    text += ": ";
    text += message_;
  }
  return text;
}

}  // namespace casesync
