#include "ws/websocket_session.hpp"

#include "ws/sockjs_codec.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/websocket/error.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <iterator>

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace parley::ws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using realtime::outbound;

namespace {

// One write carries at most this many queued frames / bytes, so a huge backlog still goes out in
// bounded messages that a browser can hand to the STOMP parser incrementally.
constexpr std::size_t max_batch_frames = 64;
constexpr std::size_t max_batch_bytes = 64 * 1024;
// Reads of one readiness event before yielding to the shard's other connections.
constexpr int max_reads_per_turn = 16;
// The shard's receive buffer: large enough that a 64 KiB STOMP frame takes a couple of reads.
constexpr std::size_t receive_buffer_bytes = 64 * 1024;
// Beast's limit on Sec-WebSocket-Key (the key is 16 random bytes, 24 in base64).
constexpr std::size_t max_key_bytes = 24;

// One receive buffer per shard thread. A session parses what it read before it returns to the
// event loop, and nothing reads a socket from inside a session handler, so all the shard's
// connections share it; each keeps only the bytes that span reads (rfc6455::reader).
char* receive_buffer() {
  static thread_local std::unique_ptr<char[]> buffer(new char[receive_buffer_bytes]);
  return buffer.get();
}

// Buffer sequence over a message header and the queued frames after it: each frame's prefix
// (maybe empty) then its shared body, in place, so a gathered write copies nothing. Iterators
// hold no pointer to the sequence itself, which asio copies into its write operation.
class message_buffers {
 public:
  using value_type = asio::const_buffer;

  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = asio::const_buffer;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = value_type;

    const_iterator() = default;
    const_iterator(const message_buffers& m, std::size_t at)
        : header_(m.header_), header_size_(m.header_size_), frames_(m.frames_), at_(at) {}

    // Position 0 is the header; then 2k+1 and 2k+2 are frame k's prefix and body.
    value_type operator*() const {
      if (at_ == 0) return {header_, header_size_};
      const auto& f = frames_[(at_ - 1) / 2];
      if (at_ % 2 == 0) return asio::buffer(*f.body);
      return f.prefix ? asio::buffer(*f.prefix) : asio::const_buffer();
    }
    const_iterator& operator++() {
      ++at_;
      return *this;
    }
    const_iterator operator++(int) {
      auto copy = *this;
      ++at_;
      return copy;
    }
    const_iterator& operator--() {
      --at_;
      return *this;
    }
    const_iterator operator--(int) {
      auto copy = *this;
      --at_;
      return copy;
    }
    bool operator==(const const_iterator& other) const { return at_ == other.at_; }

   private:
    const unsigned char* header_ = nullptr;
    std::size_t header_size_ = 0;
    const outbound* frames_ = nullptr;
    std::size_t at_ = 0;
  };

  message_buffers(const unsigned char* header, std::size_t header_size,
                  const std::vector<outbound>& frames)
      : header_(header), header_size_(header_size), frames_(frames.data()), count_(frames.size()) {}
  const_iterator begin() const { return {*this, 0}; }
  const_iterator end() const { return {*this, 1 + 2 * count_}; }

 private:
  const unsigned char* header_;
  std::size_t header_size_;
  const outbound* frames_;
  std::size_t count_;
};

std::string switching_protocols(const upgrade_request& req) {
  auto subprotocol = negotiate_subprotocol(req[http::field::sec_websocket_protocol]);
  std::string res =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  res += rfc6455::accept_key(req[http::field::sec_websocket_key]);
  res += "\r\nServer: parley\r\n";
  if (!subprotocol.empty()) {
    res += "Sec-WebSocket-Protocol: ";
    res += subprotocol;
    res += "\r\n";
  }
  res += "\r\n";
  return res;
}

}  // namespace

std::string_view negotiate_subprotocol(std::string_view offered) {
  // Server preference: the newest STOMP version the client offers.
  static constexpr std::string_view supported[] = {"v12.stomp", "v11.stomp", "v10.stomp"};
  for (auto candidate : supported) {
    std::string_view rest = offered;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto token = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (token == candidate) return candidate;
    }
  }
  return {};
}

std::optional<upgrade_refusal> check_upgrade(const upgrade_request& req) {
  // The checks of Beast's websocket accept, in its order and words.
  using beast::websocket::error;
  auto refuse = [](error e) {
    return upgrade_refusal{http::status::bad_request, make_error_code(e).message()};
  };
  if (req.version() != 11) return refuse(error::bad_http_version);
  if (req.method() != http::verb::get) return refuse(error::bad_method);
  if (req.find(http::field::host) == req.end()) return refuse(error::no_host);
  auto connection = req.find(http::field::connection);
  if (connection == req.end()) return refuse(error::no_connection);
  if (!http::token_list{connection->value()}.exists("upgrade"))
    return refuse(error::no_connection_upgrade);
  auto upgrade = req.find(http::field::upgrade);
  if (upgrade == req.end()) return refuse(error::no_upgrade);
  if (!http::token_list{upgrade->value()}.exists("websocket"))
    return refuse(error::no_upgrade_websocket);
  auto key = req.find(http::field::sec_websocket_key);
  if (key == req.end()) return refuse(error::no_sec_key);
  if (key->value().size() > max_key_bytes) return refuse(error::bad_sec_key);
  auto version = req.find(http::field::sec_websocket_version);
  if (version == req.end()) return refuse(error::no_sec_version);
  if (version->value() != "13")
    return upgrade_refusal{http::status::upgrade_required,
                           make_error_code(error::bad_sec_version).message()};
  return std::nullopt;
}

void websocket_session::start(boost::asio::ip::tcp::socket socket, const upgrade_request& req,
                              framing mode, std::shared_ptr<context> ctx) {
  // Rebind the descriptor to the shard's own executor type (see socket_type).
  const auto* shard = socket.get_executor().target<executor_type>();
  boost::system::error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (!shard) {
    spdlog::error("websocket upgrade refused: the socket does not belong to a shard");
    return;  // dropping `socket` closes it
  }
  if (ec) return;  // the peer is already gone
  auto fd = socket.release(ec);
  if (ec) return;
  socket_type rebound(*shard);
  rebound.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  auto self = std::make_shared<websocket_session>(std::move(rebound), mode, ctx);
  ctx->live.add(self);
  self->out_ = switching_protocols(req);
  // The handshake timeout bounds writing the answer; afterwards idle detection is STOMP's job.
  self->arm_timer(ctx->opts.handshake_timeout);
  asio::async_write(self->socket_, asio::buffer(self->out_),
                    [self](boost::system::error_code ec, std::size_t) { self->on_handshake(ec); });
}

websocket_session::websocket_session(socket_type socket, framing mode, std::shared_ptr<context> ctx)
    : socket_(std::move(socket)),
      ctx_(std::move(ctx)),
      reader_(ctx_->opts.max_message_bytes),
      mode_(mode) {}

websocket_session::~websocket_session() { ctx_->live.remove(this); }

std::string websocket_session::remote_address() const {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  return ec ? std::string() : remote.address().to_string();
}

std::string_view websocket_session::transport() const {
  return mode_ == framing::raw ? "websocket" : "sockjs-websocket";
}

void websocket_session::on_handshake(boost::system::error_code ec) {
  std::string().swap(out_);
  if (ec || state_ != state::handshake) return finish();
  socket_.non_blocking(true, ec);  // reads drain the socket until it would block
  if (ec) return finish();
  state_ = state::open;
  if (mode_ == framing::raw) timer_.reset();  // cancels the handshake deadline
  try {
    handler_ = ctx_->factory(shared_from_this());
  } catch (const std::exception& e) {
    spdlog::warn("websocket session {}: {}", remote_address(), e.what());
    return finish();
  }
  if (mode_ == framing::sockjs) {
    sockjs_open_pending_ = true;
    arm_timer(ctx_->opts.sockjs_heartbeat);
    flush();
  }
  on_readable();  // bytes may already be waiting
}

void websocket_session::wait_readable() {
  socket_.async_wait(socket_type::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       if (ec) return self->finish();
                       self->on_readable();
                     });
}

void websocket_session::on_readable() {
  if (state_ == state::closed) return;
  // The reactor reports readiness once per arrival (edge-triggered): read until the socket would
  // block before waiting again.
  char* buffer = receive_buffer();
  for (int i = 0; i < max_reads_per_turn; ++i) {
    boost::system::error_code ec;
    auto n = socket_.read_some(asio::buffer(buffer, receive_buffer_bytes), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return wait_readable();
    if (ec) return finish();  // the peer left (EOF, reset) or the socket was closed
    try {
      on_bytes(buffer, n);
    } catch (const std::exception& e) {
      spdlog::warn("websocket session {}: {}", remote_address(), e.what());
      return finish();
    }
    if (state_ == state::closed) return;
  }
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable(); });
}

void websocket_session::on_bytes(char* data, std::size_t size) {
  if (close_received_) return;  // after the peer's close or a protocol error: discarded
  reader_.feed(data, size);
  for (;;) {
    auto ev = reader_.next();
    switch (ev.what) {
      case rfc6455::event::kind::none:
        return;
      case rfc6455::event::kind::message:
        if (state_ == state::open) deliver(ev.payload);
        break;
      case rfc6455::event::kind::ping:
        if (!close_queued_ && !close_sent_) {
          control_ = rfc6455::control_frame(rfc6455::opcode::pong, ev.payload);
          flush();
        }
        break;
      case rfc6455::event::kind::pong:
        break;
      case rfc6455::event::kind::close:
        return on_peer_close(ev.code, ev.payload);
      case rfc6455::event::kind::error:
        return fail(ev.code);
    }
    if (state_ == state::closed) return;
  }
}

void websocket_session::deliver(std::string_view message) {
  if (mode_ == framing::raw) {
    handler_->on_data(message);
    return;
  }
  if (message.empty()) return;  // the protocol tells servers to ignore empty messages
  auto decoded = sockjs::decode_messages(message);
  if (!decoded) {
    close(std::nullopt, true);
    return;
  }
  for (auto& m : *decoded) {
    if (state_ != state::open) break;
    handler_->on_data(m);
  }
}

void websocket_session::on_peer_close(std::uint16_t code, std::string_view reason) {
  close_received_ = true;
  if (state_ == state::open) {
    // The peer closes: answer with its code and reason (RFC 6455 §5.5.1); queued frames are moot.
    state_ = state::closing;
    queue_.clear();
    control_ = rfc6455::close_frame(code, reason);
    close_queued_ = true;
    arm_timer(ctx_->opts.close_timeout);
    flush();
  } else if (state_ == state::closing) {
    if (!close_sent_) {
      queue_.clear();  // our own close frame goes out next
      flush();
    } else if (!writing_) {
      teardown();  // it answered ours: the closing handshake is complete
    }
  }
}

void websocket_session::fail(std::uint16_t code) {
  // The peer broke the protocol: close with `code` and stop reading its frames.
  close_received_ = true;
  if (state_ != state::open && state_ != state::closing) return;
  state_ = state::closing;
  queue_.clear();
  if (!close_sent_) {
    control_ = rfc6455::close_frame(code, {});
    close_queued_ = true;
  } else if (!writing_) {
    teardown();
  }
  arm_timer(ctx_->opts.close_timeout);
  flush();
}

bool websocket_session::send(outbound frame) {
  if (state_ != state::open) return false;
  auto budget = ctx_->opts.max_outbound_bytes;
  if (inflight_bytes_ > budget || !queue_.push(std::move(frame), budget - inflight_bytes_))
    return false;
  schedule_flush();
  return true;
}

void websocket_session::schedule_flush() {
  // Deferred to the end of the current handler run: everything one burst of fan-out queues on
  // this socket leaves in a single write.
  if (writing_ || flush_scheduled_) return;
  flush_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void websocket_session::close(std::optional<outbound> last, bool drop_queued) {
  if (state_ != state::open) return;
  if (drop_queued) queue_.clear();
  if (last) queue_.push_unbounded(std::move(*last));
  begin_close(rfc6455::close_code::normal);
}

void websocket_session::go_away(std::string_view) {
  if (state_ == state::handshake)
    finish();  // the pending handshake write fails
  else if (state_ == state::open) {
    if (handler_)
      if (auto last = handler_->farewell()) queue_.push_unbounded(std::move(*last));
    begin_close(rfc6455::close_code::going_away);
  }
}

void websocket_session::begin_close(std::uint16_t code) {
  state_ = state::closing;
  close_code_ = code;
  sockjs_close_pending_ = mode_ == framing::sockjs;
  arm_timer(ctx_->opts.close_timeout);
  flush();
}

bool websocket_session::next_raw_batch() {
  if (queue_.empty()) return false;
  inflight_bytes_ = queue_.take(inflight_, max_batch_frames, max_batch_bytes);
  header_size_ = static_cast<std::uint8_t>(
      rfc6455::write_header(rfc6455::opcode::text, inflight_bytes_, header_));
  return true;
}

bool websocket_session::next_sockjs_message() {
  if (sockjs_open_pending_) {
    out_ = sockjs::open_frame;
    sockjs_open_pending_ = false;
  } else if (!queue_.empty()) {
    queue_.take(inflight_, max_batch_frames, max_batch_bytes);
    sockjs::array_frame frame(out_);
    for (auto& f : inflight_) frame.add(f.prefix ? *f.prefix : std::string_view{}, *f.body);
    frame.finish();
    inflight_.clear();
  } else if (sockjs_heartbeat_due_) {
    out_ = sockjs::heartbeat_frame;
  } else if (sockjs_close_pending_) {
    out_ = sockjs::close_frame(sockjs::go_away_code, "Go away!");
    sockjs_close_pending_ = false;
  } else {
    return false;
  }
  sockjs_heartbeat_due_ = false;
  inflight_bytes_ = out_.size();
  header_size_ = static_cast<std::uint8_t>(
      rfc6455::write_header(rfc6455::opcode::text, out_.size(), header_));
  return true;
}

void websocket_session::flush() {
  if (writing_ || state_ == state::handshake || state_ == state::closed) return;
  if (!control_.empty()) {
    out_ = std::move(control_);
    control_.clear();
    header_size_ = 0;  // a control frame carries its header
    if (close_queued_) {
      close_queued_ = false;
      close_sent_ = true;
    }
    return write_out();
  }
  if (close_sent_) return;  // nothing follows the close frame
  if (!close_received_ && (mode_ == framing::raw ? next_raw_batch() : next_sockjs_message()))
    return write_out();
  if (state_ == state::closing) {
    // Everything queued is written: the close frame. Completes once the peer answers (teardown)
    // or the close timer drops the connection.
    std::string_view reason;
    if (close_code_ == rfc6455::close_code::going_away) reason = ctx_->going_away;
    out_ = rfc6455::close_frame(close_code_, reason);
    header_size_ = 0;
    close_sent_ = true;
    write_out();
  }
}

void websocket_session::write_out() {
  writing_ = true;
  sockjs_quiet_ = false;
  auto done = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    self->on_write(ec);
  };
  if (header_size_ == 0)
    asio::async_write(socket_, asio::buffer(out_), std::move(done));
  else if (mode_ == framing::raw)
    asio::async_write(socket_, message_buffers(header_, header_size_, inflight_), std::move(done));
  else
    asio::async_write(socket_,
                      std::array<asio::const_buffer, 2>{asio::buffer(header_, header_size_),
                                                        asio::buffer(out_)},
                      std::move(done));
}

void websocket_session::on_write(boost::system::error_code ec) {
  writing_ = false;
  inflight_bytes_ = 0;
  inflight_.clear();
  out_.clear();
  if (ec) {
    // The read side sees the socket close and finishes the session.
    release_write_buffers();
    socket_.close(ec);
    return;
  }
  if (close_sent_) {
    release_write_buffers();
    if (close_received_) teardown();
    return;
  }
  flush();
  // A busy socket keeps its buffers from write to write; an idle one keeps none.
  if (!writing_) release_write_buffers();
}

void websocket_session::release_write_buffers() {
  std::vector<outbound>().swap(inflight_);
  std::string().swap(out_);
  if (queue_.empty()) queue_.clear();
}

void websocket_session::teardown() {
  // As Beast's server teardown: send FIN, then read (and discard) until the peer's EOF ends the
  // session; the close timer bounds the wait.
  boost::system::error_code ec;
  socket_.shutdown(socket_type::shutdown_send, ec);
  if (ec) socket_.close(ec);
}

void websocket_session::arm_timer(std::chrono::steady_clock::duration after) {
  if (!timer_) timer_ = std::make_unique<timer_type>(socket_.get_executor());
  timer_->expires_after(after);
  timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void websocket_session::on_timer() {
  // A wait that had already expired when the timer was re-armed (or dropped) completes without
  // error; the timer's current expiry tells whether this completion is the live one.
  if (!timer_ || timer_->expiry() > std::chrono::steady_clock::now()) return;
  if (state_ == state::handshake) {
    finish();
  } else if (state_ == state::open && mode_ == framing::sockjs) {
    if (sockjs_quiet_) {
      sockjs_heartbeat_due_ = true;
      flush();
    }
    sockjs_quiet_ = true;
    arm_timer(ctx_->opts.sockjs_heartbeat);
  } else if (state_ == state::closing) {
    // The peer did not take the last frames and the close frame in time: drop it.
    boost::system::error_code ec;
    socket_.close(ec);
  }
}

void websocket_session::finish() {
  if (state_ == state::closed) return;
  state_ = state::closed;
  if (timer_) timer_->cancel();
  queue_.clear();
  boost::system::error_code ec;
  socket_.close(ec);
  if (auto handler = std::move(handler_)) handler->on_close();
}

}  // namespace parley::ws
