#pragma once
// WebSocket transport for STOMP: raw at `/ws/websocket`, SockJS-framed at
// `/ws/{server}/{session}/websocket`.
//
// The session lives on the shard whose io_context owns its socket, and only that thread touches
// it, so nothing is locked. It is built for many idle connections: an idle session parks one
// readiness wait on its socket (no coroutine frame, no read buffer). When the socket becomes
// readable it is drained into the shard's one receive buffer and the bytes go through the
// sans-I/O frame reader (rfc6455.hpp), which keeps only what spans reads. Writes are a chain of
// completion handlers that send() starts when the socket is idle, so an idle connection parks no
// writer or timer either. Every frame queued while a write is in flight goes out in the next write
// as ONE WebSocket message (STOMP clients parse several NUL-terminated frames per message): a
// fan-out burst to one socket costs one syscall. Raw mode gathers each frame's prefix and shared
// body in place (no copy); SockJS mode has to JSON-escape and so builds one `a[...]` string per
// write.
//
// Rejected: Beast's websocket::stream (its per-connection state and pending read were ~5 KB of an
// idle session; see rfc6455.hpp); permessage-deflate (zlib state of tens of KiB per connection and
// direction, and CPU per delivery: the same frame fanned out to N sockets would be compressed N
// times); fragmenting outgoing messages (one frame per message keeps the write a single gathered
// syscall); WebSocket pings (STOMP heart-beats, run by the session handler, already detect dead
// peers; a client's pings are answered).
#include "realtime/connection.hpp"
#include "ws/context.hpp"
#include "ws/live_set.hpp"
#include "ws/outbound_queue.hpp"
#include "ws/rfc6455.hpp"

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
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

// Why an upgrade request (one that passed beast::websocket::is_upgrade) cannot be accepted, in
// Beast's words, or nullopt when it can. upgrade_required asks for `Sec-WebSocket-Version: 13`.
struct upgrade_refusal {
  boost::beast::http::status status;
  std::string message;
};
std::optional<upgrade_refusal> check_upgrade(const upgrade_request& req);

class websocket_session final : public realtime::connection,
                                public closable,
                                public std::enable_shared_from_this<websocket_session> {
 public:
  // The socket and timer are bound to the shard's io_context executor itself rather than the
  // type-erased any_io_executor: the objects are half the size, and so is every operation they
  // park (an idle session always has one).
  using executor_type = boost::asio::io_context::executor_type;
  using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;
  using timer_type =
      boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                        boost::asio::wait_traits<std::chrono::steady_clock>,
                                        executor_type>;

  // Answers the upgrade `req` (which check_upgrade() accepted) on `socket`, which must belong to
  // an io_context (a shard), and runs the session there until it closes. `req` is not kept.
  static void start(boost::asio::ip::tcp::socket socket, const upgrade_request& req, framing mode,
                    std::shared_ptr<context> ctx);

  websocket_session(socket_type socket, framing mode, std::shared_ptr<context> ctx);
  ~websocket_session() override;

  bool send(realtime::outbound frame) override;
  void close(std::optional<realtime::outbound> last, bool drop_queued) override;
  boost::asio::any_io_executor executor() override { return socket_.get_executor(); }
  std::string remote_address() const override;
  std::string_view transport() const override;
  void go_away(std::string_view reason) override;

 private:
  enum class state : std::uint8_t { handshake, open, closing, closed };

  void on_handshake(boost::system::error_code ec);
  void wait_readable();
  void on_readable();
  void on_bytes(char* data, std::size_t size);
  void deliver(std::string_view message);
  void on_peer_close(std::uint16_t code, std::string_view reason);
  void fail(std::uint16_t code);
  void begin_close(std::uint16_t code);
  void schedule_flush();
  void flush();
  void write_out();
  void on_write(boost::system::error_code ec);
  void release_write_buffers();
  bool next_raw_batch();
  bool next_sockjs_message();
  void teardown();
  void arm_timer(std::chrono::steady_clock::duration after);
  void on_timer();
  void finish();

  socket_type socket_;
  std::shared_ptr<context> ctx_;
  std::shared_ptr<realtime::session_handler> handler_;
  rfc6455::reader reader_;
  outbound_queue queue_;
  std::vector<realtime::outbound> inflight_;          // frames of the write in flight (raw mode)
  std::string out_;      // in flight: the 101 response, a SockJS message or a control frame
  std::string control_;  // a control frame to write before any data: a pong or the close frame
  std::unique_ptr<timer_type> timer_;  // handshake and close deadlines; SockJS `h`
  std::size_t inflight_bytes_ = 0;
  unsigned char header_[rfc6455::max_header_bytes];   // of the data message in flight
  std::uint8_t header_size_ = 0;
  std::uint16_t close_code_ = rfc6455::close_code::normal;
  framing mode_;
  state state_ = state::handshake;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool close_queued_ = false;    // control_ holds the close frame
  bool close_sent_ = false;      // our close frame is written (or being written)
  bool close_received_ = false;  // the peer's close frame arrived, or its input is refused
  bool sockjs_open_pending_ = false;   // `o` still to send
  bool sockjs_close_pending_ = false;  // `c[...]` still to send
  bool sockjs_heartbeat_due_ = false;  // `h` still to send
  bool sockjs_quiet_ = true;           // nothing written since the last heartbeat tick
};

}  // namespace parley::ws
