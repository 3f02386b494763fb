#pragma once
// A problem is the one error shape every use case returns: an HTTP-like status, a human message
// and optional per-field messages. REST maps it to {timestamp,status,message,errors}; STOMP maps it
// to an ERROR frame or a /user/queue/errors event with `code`.
#include <boost/system/result.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace parley::core {

struct problem {
  int status = 400;
  std::string code;     // machine code for STOMP (`NOT_MEMBER`, `INVALID_BODY`, ...); may be empty
  std::string message;  // human text, safe to show to the caller
  std::map<std::string, std::string> errors;  // field -> message, for validation failures

  // Declared constructors (not an aggregate), so that `outcome<bool>`/`outcome<int64_t>` are not
  // ambiguous: a number must never silently become a problem.
  problem() = default;
  problem(int status, std::string code, std::string message,
          std::map<std::string, std::string> errors = {})
      : status(status),
        code(std::move(code)),
        message(std::move(message)),
        errors(std::move(errors)) {}

  static problem bad_request(std::string msg, std::string code = "INVALID_BODY") {
    return {400, std::move(code), std::move(msg), {}};
  }
  static problem unauthorized(std::string msg = "Authentication required") {
    return {401, "UNAUTHORIZED", std::move(msg), {}};
  }
  static problem forbidden(std::string msg, std::string code = "FORBIDDEN") {
    return {403, std::move(code), std::move(msg), {}};
  }
  static problem not_found(std::string msg, std::string code = "NOT_FOUND") {
    return {404, std::move(code), std::move(msg), {}};
  }
  static problem conflict(std::string msg, std::string code = "CONFLICT") {
    return {409, std::move(code), std::move(msg), {}};
  }
  static problem too_large(std::string msg) { return {413, "TOO_LARGE", std::move(msg), {}}; }
  static problem rate_limited(std::string msg = "Too many requests") {
    return {429, "RATE_LIMITED", std::move(msg), {}};
  }
  static problem internal(std::string msg = "Unexpected server error") {
    return {500, "INTERNAL", std::move(msg), {}};
  }
  // A dependency (the database server) cannot be reached right now; retrying later may work.
  static problem unavailable(std::string msg = "Storage unavailable, try again") {
    return {503, "UNAVAILABLE", std::move(msg), {}};
  }
};

// Thrown by a synchronous port method (e.g. a repository read) when its engine cannot be reached.
// The edges turn it into problem::unavailable() (HTTP 503, STOMP code UNAVAILABLE); any other
// exception stays INTERNAL.
class unavailable_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// boost::system::result calls this when value() is taken from an error: a programming error.
[[noreturn]] void throw_exception_from_error(problem const& p, boost::source_location const& loc);

template <class T>
using outcome = boost::system::result<T, problem>;

}  // namespace parley::core
