#pragma once
// Limits of the WebSocket and SockJS transports. The defaults and the reason for each value live
// in http::server_options (the one place an operator configures them); the server copies them
// here, so this struct deliberately has no defaults of its own.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace parley::ws {

struct options {
  std::size_t max_outbound_bytes;          // per-connection queue budget (slow consumer)
  std::size_t max_message_bytes;           // largest inbound WebSocket message
  std::chrono::seconds handshake_timeout;  // WebSocket opening and closing handshakes
  std::chrono::seconds close_timeout;      // close(): drain + close frame, then the socket goes
  std::chrono::seconds write_timeout;      // one HTTP response write on the SockJS xhr legs
  std::chrono::seconds sockjs_heartbeat;   // `h` frame interval while nothing else was sent
  std::chrono::seconds sockjs_disconnect_delay;  // a session with no receiving request dies
  std::size_t sockjs_streaming_bytes;            // xhr_streaming response is ended after this many
  std::size_t sockjs_max_session_id;             // longest accepted session id (client-chosen)
  std::vector<std::string> trusted_proxies;      // see core/forwarded.hpp
};

}  // namespace parley::ws
