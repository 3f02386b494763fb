#pragma once
// Parley's network edge: one listening socket, HTTP/1.1 keep-alive sessions on the shards, routing
// to the REST handler, to the /ws endpoint (raw WebSocket and SockJS STOMP, parley_ws) and to the
// web client's static files.
//
// Threads: the acceptor runs on shard 0 and constructs each accepted socket on shards.next(); the
// connection then lives on that shard for good (keep-alive requests and the WebSocket it may turn
// into). REST handlers are called on the connection's shard and may answer from any thread: the
// response is posted back. Every method of `server` may be called from any thread.
//
// Shutdown order: stop_accepting(), then close_all(reason), then wait (poll connection_count()
// with a deadline), then release or stop the shards.
#include "http/message.hpp"
#include "realtime/connection.hpp"
#include "realtime/shards.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace parley::http {

struct server_options {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0 picks an ephemeral port (tests); port() tells which
  // JSON request bodies are small; a bigger body is a mistake or an attack (413).
  std::size_t max_body_bytes = 1024 * 1024;
  // Per path prefix, a larger body limit: media uploads PUT the object itself.
  std::vector<std::pair<std::string, std::size_t>> body_limit_overrides = {
      {"/media/", 25 * 1024 * 1024}};
  // Bearer tokens and a few headers fit easily; more is abuse (431).
  std::size_t max_header_bytes = 16 * 1024;
  // A keep-alive connection with no request for this long is closed (and so is one whose request
  // or response stalls this long): idle sockets cost memory and descriptors.
  std::chrono::seconds idle_timeout{60};
  // Outbound bytes queued per WebSocket/SockJS connection; past it send() refuses and the
  // application drops the slow consumer (uWS's maxBackpressure).
  std::size_t max_outbound_bytes = 1024 * 1024;
  // Largest inbound WebSocket message (and SockJS message batch): a 64 KiB STOMP frame plus
  // headers and framing slack.
  std::size_t max_ws_message_bytes = 64 * 1024 + 4 * 1024;
  // WebSocket opening/closing handshakes that take longer are abandoned.
  std::chrono::seconds ws_handshake_timeout{10};
  // close() drains the queue and sends the close frame within this time, else the socket goes.
  std::chrono::seconds ws_close_timeout{5};
  // SockJS heartbeat `h`: keeps proxies from cutting idle streams (the protocol's 25 s).
  std::chrono::seconds sockjs_heartbeat{25};
  // A SockJS xhr session with no receiving request for this long is gone (the protocol's 5 s).
  std::chrono::seconds sockjs_disconnect_delay{5};
  // An xhr_streaming response is ended after this many bytes so the browser frees them.
  std::size_t sockjs_streaming_bytes = 128 * 1024;
  // Session ids are chosen by the client (8 chars in sockjs-client); longer ones are refused.
  std::size_t sockjs_max_session_id = 64;
  // Pending connections the kernel queues for accept(): absorbs reconnect storms after a restart.
  int listen_backlog = 4096;
  // The built web client; empty = no static files (404 outside the API).
  std::filesystem::path static_dir;
  // Load balancers whose X-Forwarded-For gives the client's address (core/forwarded.hpp).
  std::vector<std::string> trusted_proxies;
};

namespace detail {
struct server_state;
}

struct server_handlers {
  rest_handler rest;
  realtime::session_factory stomp;
};

class server {
 public:
  server(realtime::shards& shards, server_options options, server_handlers handlers);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens; throws std::runtime_error naming the address when that fails.
  void start();
  // The bound port (the ephemeral one when options.port was 0). Valid after start().
  unsigned short port() const;
  void stop_accepting();
  // Graceful close of every connection: HTTP connections finish their current request;
  // WebSockets drain and send close 1001 with `reason`; SockJS sessions send `c[3000,"Go away!"]`.
  void close_all(std::string reason = "Go away!");
  // Open HTTP connections plus live WebSocket/SockJS sessions.
  std::size_t connection_count() const;

 private:
  std::shared_ptr<detail::server_state> state_;
};

}  // namespace parley::http
