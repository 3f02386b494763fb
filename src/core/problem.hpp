#pragma once
// The one error shape every use case returns: a typed code, a human message and optional
// per-field messages. Modules decide the code; only the edges turn it into an HTTP status (REST:
// {timestamp,status,message,errors}) or a STOMP `code` (/user/queue/errors, ERROR frames), both
// from the table in problem.cpp, which docs/error-handling.md lists. Codes are compared as
// values, never as strings.
#include <boost/system/result.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace parley::core {

enum class errc : std::uint8_t {
  invalid_body,         // malformed JSON or a field failing validation
  unauthorized,         // no, bad or expired credentials
  forbidden,            // authenticated but not allowed
  forbidden_status,     // a status change by the message's own sender
  not_found,            // no such room, message, user or route
  not_member,           // the caller is not a member of the room (looks like "not found")
  unknown_destination,  // a STOMP SEND to a destination that does not exist
  method_not_allowed,   // a known route with another method
  conflict,             // taken username/email, already a member, too many rooms
  too_large,            // a body or upload over its limit
  rate_limited,         // a named limit was reached; retry later
  internal,             // a bug or an unexpected failure; logged
  not_implemented,      // a feature that this configuration does not enable (media uploads)
  unavailable,          // a dependency (the database server) cannot be reached right now
};

// The edges' table: the HTTP status and the STOMP/JSON code name of each errc.
int http_status(errc c);
std::string_view code_name(errc c);

struct problem {
  errc code = errc::invalid_body;
  std::string message;  // human text, safe to show to the caller
  std::map<std::string, std::string> errors;  // field -> message, for validation failures

  // Declared constructors (not an aggregate), so that `outcome<bool>`/`outcome<int64_t>` are not
  // ambiguous: a number must never silently become a problem.
  problem() = default;
  problem(errc code, std::string message, std::map<std::string, std::string> errors = {})
      : code(code), message(std::move(message)), errors(std::move(errors)) {}

  int status() const { return http_status(code); }

  static problem bad_request(std::string msg) { return {errc::invalid_body, std::move(msg)}; }
  static problem unauthorized(std::string msg = "Authentication required") {
    return {errc::unauthorized, std::move(msg)};
  }
  static problem forbidden(std::string msg, errc code = errc::forbidden) {
    return {code, std::move(msg)};
  }
  static problem not_found(std::string msg, errc code = errc::not_found) {
    return {code, std::move(msg)};
  }
  static problem conflict(std::string msg) { return {errc::conflict, std::move(msg)}; }
  static problem too_large(std::string msg) { return {errc::too_large, std::move(msg)}; }
  static problem rate_limited(std::string msg = "Too many requests") {
    return {errc::rate_limited, std::move(msg)};
  }
  static problem internal(std::string msg = "Unexpected server error") {
    return {errc::internal, std::move(msg)};
  }
  static problem unavailable(std::string msg = "Storage unavailable, try again") {
    return {errc::unavailable, std::move(msg)};
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
