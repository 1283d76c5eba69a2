// Status and StatusOr<T>: errors as values at module boundaries.
//
// A Status is either ok or carries a code and a message. The message names
// what went wrong for a person ("timetable.yaml:12: spec.sessions[3].duration:
// '90x' is not a duration"). The code says what a caller may do about it:
// kInvalidArgument is bad input (exit status 2 on the command line, never
// retried), kUnavailable and kDeadlineExceeded may succeed if retried,
// kNotFound / kAlreadyExists / kAborted mirror the API conventions of the
// servers prebell talks to. Modelled on absl::Status, much smaller.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace prebell {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kAborted,  // conflict: re-read and retry
  kResourceExhausted,
  kFailedPrecondition,
  kUnavailable,  // transient: retry with backoff
  kDeadlineExceeded,
  kPermissionDenied,
  kUnauthenticated,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  // A copy whose message is prefixed with `context` and ": ".
  Status WithContext(std::string_view context) const;

  // True for codes where retrying the same request may succeed.
  bool IsRetryable() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status AbortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status PermissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status UnauthenticatedError(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Either a value or a non-ok Status. Accessing value() of an error is a
// programming error (asserts in debug builds).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "StatusOr constructed from an ok Status without a value");
    if (status_.ok()) status_ = InternalError("StatusOr constructed from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : status_;
  }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace prebell

// Returns from the enclosing function if `expr` (a Status) is not ok.
#define PREBELL_RETURN_IF_ERROR(expr)                    \
  do {                                                   \
    ::prebell::Status prebell_status__ = (expr);         \
    if (!prebell_status__.ok()) return prebell_status__; \
  } while (false)
