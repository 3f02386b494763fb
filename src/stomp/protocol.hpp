#pragma once
// Vocabulary shared by the STOMP parser, serializer and negotiation: protocol versions and the
// error codes a peer sees in an ERROR frame's `code` header.
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace parley::stomp {

// Ordered so that a newer version compares greater.
enum class version { v1_0, v1_1, v1_2 };

// "1.0", "1.1" or "1.2": the value of the `version` header.
std::string_view to_string(version v) noexcept;

// Why a session ends with an ERROR frame. The first four come from the parser and negotiation;
// the rest from the session (realtime::stomp_session). Application refusals that end a session
// (UNAUTHORIZED, FORBIDDEN) are core::errc. docs/error-handling.md lists them all.
enum class errc {
  frame_too_large,         // the frame (or one header line) exceeds its limit
  too_many_headers,        // more headers than limits::max_headers
  malformed_frame,         // bad command, header line, escape, content-length or frame end
  unsupported_version,     // accept-version names no version this server speaks
  not_connected,           // a frame other than CONNECT before CONNECT
  already_connected,       // a second CONNECT
  connect_timeout,         // no CONNECT in time
  heartbeat_timeout,       // the client fell silent for longer than its heart-beat allows
  unsupported_command,     // BEGIN/COMMIT/ABORT, or a command we do not know
  duplicate_subscription,  // a subscription id already in use
  too_many_subscriptions,  // over the per-session limit
  slow_consumer,           // the outbound queue overflowed: frames were dropped
  server_shutdown,         // the node is draining (SIGTERM): reconnect now, to another node
};

// The string for the ERROR frame's `code` header: FRAME_TOO_LARGE, TOO_MANY_HEADERS, ...
std::string_view code(errc e) noexcept;

struct protocol_error {
  errc code;
  std::string message;  // human text for the ERROR frame's `message` header

  bool operator==(const protocol_error&) const = default;
};

template <class T>
using result = boost::system::result<T, protocol_error>;

// boost::system::result calls this when value() is taken from an error: a programming error.
[[noreturn]] void throw_exception_from_error(protocol_error const& e,
                                             boost::source_location const& loc);

}  // namespace parley::stomp
