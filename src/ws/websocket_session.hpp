#pragma once
// WebSocket transport for STOMP: raw at `/ws/websocket`, SockJS-framed at
// `/ws/{server}/{session}/websocket`.
//
// The session lives on the shard whose io_context owns its socket, and only that thread touches
// it, so nothing is locked. One coroutine reads; writes are a chain of completion handlers that
// send() starts when the socket is idle, so an idle connection parks no writer coroutine or timer.
// Every frame queued while a write is in flight goes out in the next write as ONE WebSocket
// message (STOMP clients parse several NUL-terminated frames per message): a fan-out burst to one
// socket costs one syscall. Raw mode gathers each frame's prefix and shared body in place (no
// copy); SockJS mode has to JSON-escape and so builds one `a[...]` string per write.
//
// Rejected: permessage-deflate (zlib state of tens of KiB per connection and direction, and CPU
// per delivery: the same frame fanned out to N sockets would be compressed N times);
// auto-fragmentation (one frame per message keeps the write a single gathered syscall); WebSocket
// pings (STOMP heart-beats, run by the session handler, already detect dead peers).
#include "realtime/connection.hpp"
#include "ws/context.hpp"
#include "ws/live_set.hpp"
#include "ws/outbound_queue.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::ws {

enum class framing : std::uint8_t { raw, sockjs };

using upgrade_request = boost::beast::http::request<boost::beast::http::string_body>;

// The subprotocol to answer for a `Sec-WebSocket-Protocol` offer: the first of the client's list
// that is a STOMP version we speak, or empty (accept without one; stompjs copes).
std::string_view negotiate_subprotocol(std::string_view offered);

class websocket_session final : public realtime::connection,
                                public closable,
                                public std::enable_shared_from_this<websocket_session> {
 public:
  using socket_type = boost::asio::ip::tcp::socket;

  // Answers the upgrade `req` on `socket` and runs the session on the socket's executor until it
  // closes.
  static void start(socket_type socket, upgrade_request req, framing mode,
                    std::shared_ptr<context> ctx);

  websocket_session(socket_type socket, framing mode, std::shared_ptr<context> ctx);
  ~websocket_session() override;

  bool send(realtime::outbound frame) override;
  void close(std::optional<realtime::outbound> last, bool drop_queued) override;
  boost::asio::any_io_executor executor() override { return ws_.get_executor(); }
  std::string remote_address() const override;
  std::string_view transport() const override;
  void go_away(std::string_view reason) override;

 private:
  enum class state : std::uint8_t { handshake, open, closing, closed };

  boost::asio::awaitable<void> run(upgrade_request req);
  void deliver(std::string_view message);
  void begin_close(std::uint16_t code);
  void schedule_flush();
  void flush();
  void on_write(boost::system::error_code ec);
  bool next_raw_batch();
  bool next_sockjs_message();
  void arm_timer(std::chrono::steady_clock::duration after);
  void on_timer();
  void finish();

  boost::beast::websocket::stream<socket_type> ws_;
  boost::beast::flat_buffer read_buf_;
  std::shared_ptr<context> ctx_;
  std::shared_ptr<realtime::session_handler> handler_;
  outbound_queue queue_;
  std::vector<realtime::outbound> inflight_;          // frames of the write in flight (raw mode)
  std::string out_;                                   // the SockJS message being written
  std::unique_ptr<boost::asio::steady_timer> timer_;  // SockJS heartbeat; close deadline
  std::size_t inflight_bytes_ = 0;
  boost::asio::ip::tcp::endpoint remote_;
  std::uint16_t close_code_ = 1000;
  framing mode_;
  state state_ = state::handshake;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool close_sent_ = false;
  bool sockjs_open_pending_ = false;   // `o` still to send
  bool sockjs_close_pending_ = false;  // `c[...]` still to send
  bool sockjs_heartbeat_due_ = false;  // `h` still to send
  bool sockjs_quiet_ = true;           // nothing written since the last heartbeat tick
};

}  // namespace parley::ws
