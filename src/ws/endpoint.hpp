#pragma once
// The `/ws` endpoint: raw WebSocket STOMP at `/ws/websocket` and SockJS 0.3 below it (`/ws/info`,
// `/ws/{server}/{session}/{websocket|xhr|xhr_streaming|xhr_send}`), as sockjs-client 1.6 speaks it.
// The HTTP server hands it every request under `/ws`; it answers, or takes the socket over.
//
// Only the transports sockjs-client needs where CORS works (every current browser) are served:
// websocket, xhr-streaming, xhr-polling. The iframe, eventsource, htmlfile and jsonp transports
// answer 404 and the client moves on to the next transport. Errors here follow the SockJS
// protocol (plain-text bodies such as "Payload expected."), not the REST JSON shape, and CORS
// follows SockJS too (credentials allowed: sockjs-client sends withCredentials). The one cookie,
// `parley_sockjs`, binds a session to its opener (session_binding.hpp); it grants nothing by
// itself and is SameSite=Strict, so a foreign page's requests never carry it.
#include "realtime/connection.hpp"
#include "ws/context.hpp"
#include "ws/options.hpp"
#include "ws/sockjs_session.hpp"
#include "ws/websocket_session.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace parley::ws {

enum class after_request { keep_alive, close, upgraded };

class endpoint {
 public:
  endpoint(options opts, realtime::session_factory factory);

  // Serves `req`, whose decoded path is `/ws` + `rest`. Runs on the stream's shard. After
  // `upgraded` the stream no longer owns a socket.
  boost::asio::awaitable<after_request> serve(boost::beast::tcp_stream& stream,
                                              upgrade_request& req, std::string_view rest);

  // Graceful shutdown: every session drains, then closes (WebSocket 1001 with `reason`; SockJS
  // `c[3000,"Go away!"]`). Call once.
  void close_all(std::string reason);

  // Live WebSocket and SockJS sessions (for metrics and drain loops).
  std::size_t session_count() const { return ctx_->live.size(); }

 private:
  boost::asio::awaitable<after_request> receive(boost::beast::tcp_stream& stream,
                                                upgrade_request& req, const std::string& id,
                                                receive_kind kind);
  boost::asio::awaitable<after_request> xhr_send(boost::beast::tcp_stream& stream,
                                                 upgrade_request& req, const std::string& id);

  std::shared_ptr<context> ctx_;
};

}  // namespace parley::ws
