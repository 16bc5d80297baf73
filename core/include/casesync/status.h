// Errors as values: the one registry of error codes shared by the core, the
// server (HTTP error JSON) and the web app (through the bindings).
//
// Every fallible core API returns a Status or a Result<T>. Nothing in the core
// throws across its API; exceptions from dependencies are caught where they
// are called and turned into a Status.
#ifndef CASESYNC_STATUS_H_
#define CASESYNC_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace casesync {

// The registry. The wire name (ErrorCodeName) and the HTTP status
// (HttpStatusFor) of each code are part of the protocol: never renumber or
// rename, only append. docs/errors.md lists them.
enum class ErrorCode {
  kOk = 0,
  // Request shape (refused whole, nothing changes).
  kMalformedJson,    // 400 not JSON, trailing garbage
  kInvalidUtf8,      // 400 a string is not valid UTF-8
  kTooDeep,          // 400 nesting deeper than the protocol allows
  kInvalidRequest,   // 400 wrong types, missing or unknown fields
  kPayloadTooLarge,  // 413 body, batch or string over a limit
  kUnknownMutation,  // 400 mutation name not in the protocol
  kMutationGap,      // 409 mutation id skips ahead of lastMutationId + 1
  // Rule breaks of a single mutation (become rejections).
  kValidationFailed,   // 422 a field of the case form is invalid
  kNotFound,           // 404 no such row, or not visible to the caller
  kForbidden,          // 403 the caller's role may not do this
  kInvalidTransition,  // 409 the case state does not allow this change
  kCaseTerminal,       // 409 the case is closed or canceled
  kAlreadyExists,      // 409 an id is already taken
  // Sessions and accounts.
  kUnauthenticated,         // 401 missing, expired or forged token
  kPasswordChangeRequired,  // 403 temporary password must be changed first
  kWeakPassword,            // 422 too short or too common
  kRateLimited,             // 429 throttled
  kAccountPending,          // 403 the user waits for an agent's review
  // Transport and infrastructure.
  kMethodNotAllowed,  // 405
  kRouteNotFound,     // 404 unknown route
  kUnavailable,       // 503 temporarily unavailable, retry
  kStorage,           // 500 the database failed
  kInternal,          // 500 a bug
};

// Stable snake_case wire name, e.g. "case_terminal".
const char* ErrorCodeName(ErrorCode code);
// Inverse of ErrorCodeName; nullopt for an unknown name.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);
// HTTP status the server answers with for this code.
int HttpStatusFor(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "case_terminal: the case is closed" (for logs and tests).
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT
  Result(Status status) : value_(std::move(status)) {}  // NOLINT: must be !ok
  Result(ErrorCode code, std::string message)
      : value_(Status(code, std::move(message))) {}

  bool ok() const { return std::holds_alternative<T>(value_); }
  // The error; Status::Ok() when a value is held.
  Status status() const {
    return ok() ? Status::Ok() : std::get<Status>(value_);
  }
  // Precondition: ok().
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace casesync

// Early return of a non-OK Status from a Status or Result expression.
#define CASESYNC_RETURN_IF_ERROR(expr)       \
  do {                                       \
    ::casesync::Status cs_status_ = (expr);  \
    if (!cs_status_.ok()) return cs_status_; \
  } while (0)

#define CASESYNC_CONCAT_INNER_(a, b) a##b
#define CASESYNC_CONCAT_(a, b) CASESYNC_CONCAT_INNER_(a, b)
// `CASESYNC_ASSIGN_OR_RETURN(auto x, Foo());` — x is the value, or returns.
#define CASESYNC_ASSIGN_OR_RETURN(lhs, expr)                                   \
  CASESYNC_ASSIGN_OR_RETURN_IMPL_(CASESYNC_CONCAT_(cs_result_, __LINE__), lhs, \
                                  expr)
#define CASESYNC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

#endif  // CASESYNC_STATUS_H_
