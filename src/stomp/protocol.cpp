#include "stomp/protocol.hpp"

#include <stdexcept>

namespace parley::stomp {

std::string_view to_string(version v) noexcept {
  switch (v) {
    case version::v1_0: return "1.0";
    case version::v1_1: return "1.1";
    case version::v1_2: return "1.2";
  }
  return "1.2";
}

std::string_view code(errc e) noexcept {
  switch (e) {
    case errc::frame_too_large: return "FRAME_TOO_LARGE";
    case errc::too_many_headers: return "TOO_MANY_HEADERS";
    case errc::malformed_frame: return "MALFORMED_FRAME";
    case errc::unsupported_version: return "UNSUPPORTED_VERSION";
    case errc::not_connected: return "NOT_CONNECTED";
    case errc::already_connected: return "ALREADY_CONNECTED";
    case errc::connect_timeout: return "CONNECT_TIMEOUT";
    case errc::heartbeat_timeout: return "HEARTBEAT_TIMEOUT";
    case errc::unsupported_command: return "UNSUPPORTED_COMMAND";
    case errc::duplicate_subscription: return "DUPLICATE_SUBSCRIPTION";
    case errc::too_many_subscriptions: return "TOO_MANY_SUBSCRIPTIONS";
    case errc::slow_consumer: return "SLOW_CONSUMER";
    case errc::server_shutdown: return "SERVER_SHUTDOWN";
  }
  return "MALFORMED_FRAME";
}

void throw_exception_from_error(protocol_error const& e, boost::source_location const&) {
  throw std::logic_error("result holds a protocol error: " + e.message);
}

}  // namespace parley::stomp
