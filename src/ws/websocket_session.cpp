#include "ws/websocket_session.hpp"

#include "ws/sockjs_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

namespace parley::ws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using realtime::outbound;

namespace {

// One write carries at most this many queued frames / bytes, so a huge backlog still goes out in
// bounded messages that a browser can hand to the STOMP parser incrementally.
constexpr std::size_t max_batch_frames = 64;
constexpr std::size_t max_batch_bytes = 64 * 1024;
// A read buffer that grew past this for a large message is given back once the message is
// handled: idle connections keep only small buffers.
constexpr std::size_t kept_buffer_bytes = 4 * 1024;
// Slots of the in-flight vector kept between writes (beyond: released, see outbound_queue).
constexpr std::size_t kept_inflight_slots = 16;

// Buffer sequence over queued frames: each frame's prefix (maybe empty) then its shared body, in
// place, so a gathered write copies nothing.
class frame_buffers {
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
    const_iterator(const outbound* f, bool body) : f_(f), body_(body) {}

    value_type operator*() const {
      if (body_) return asio::buffer(*f_->body);
      return f_->prefix ? asio::buffer(*f_->prefix) : asio::const_buffer();
    }
    const_iterator& operator++() {
      if (body_) ++f_;
      body_ = !body_;
      return *this;
    }
    const_iterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    const_iterator& operator--() {
      if (!body_) --f_;
      body_ = !body_;
      return *this;
    }
    const_iterator operator--(int) {
      auto copy = *this;
      --*this;
      return copy;
    }
    bool operator==(const const_iterator&) const = default;

   private:
    const outbound* f_ = nullptr;
    bool body_ = false;
  };

  explicit frame_buffers(const std::vector<outbound>& frames)
      : first_(frames.data()), last_(frames.data() + frames.size()) {}
  const_iterator begin() const { return {first_, false}; }
  const_iterator end() const { return {last_, false}; }

 private:
  const outbound* first_;
  const outbound* last_;
};

void release_if_large(std::string& s) {
  if (s.capacity() > kept_buffer_bytes)
    std::string().swap(s);
  else
    s.clear();
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

void websocket_session::start(socket_type socket, upgrade_request req, framing mode,
                              std::shared_ptr<context> ctx) {
  auto self = std::make_shared<websocket_session>(std::move(socket), mode, ctx);
  ctx->live.add(self);
  auto ex = self->executor();
  asio::co_spawn(
      ex, [self, req = std::move(req)]() mutable { return self->run(std::move(req)); },
      log_failure("websocket session"));
}

websocket_session::websocket_session(socket_type socket, framing mode, std::shared_ptr<context> ctx)
    : ws_(std::move(socket)), ctx_(std::move(ctx)), mode_(mode) {
  boost::system::error_code ec;
  remote_ = ws_.next_layer().remote_endpoint(ec);
}

websocket_session::~websocket_session() { ctx_->live.remove(this); }

std::string websocket_session::remote_address() const { return remote_.address().to_string(); }

std::string_view websocket_session::transport() const {
  return mode_ == framing::raw ? "websocket" : "sockjs-websocket";
}

asio::awaitable<void> websocket_session::run(upgrade_request req) {
  try {
    auto subprotocol = negotiate_subprotocol(req[beast::http::field::sec_websocket_protocol]);
    // The handshake timeout also bounds the closing handshake; idle detection is STOMP's job.
    ws_.set_option(websocket::stream_base::timeout{ctx_->opts.handshake_timeout,
                                                   websocket::stream_base::none(), false});
    ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
      res.set(beast::http::field::server, "parley");
      if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    ws_.auto_fragment(false);
    ws_.read_message_max(ctx_->opts.max_message_bytes);
    ws_.text(true);

    auto [accept_ec] = co_await ws_.async_accept(req, asio::as_tuple(asio::use_awaitable));
    req = {};  // the upgrade request's memory is not needed for the connection's life
    if (!accept_ec && state_ == state::handshake) {
      state_ = state::open;
      handler_ = ctx_->factory(shared_from_this());
      if (mode_ == framing::sockjs) {
        sockjs_open_pending_ = true;
        timer_ = std::make_unique<asio::steady_timer>(executor());
        arm_timer(ctx_->opts.sockjs_heartbeat);
        flush();
      }
      for (;;) {
        auto [ec, n] = co_await ws_.async_read(read_buf_, asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        if (state_ == state::open)
          deliver({static_cast<const char*>(read_buf_.data().data()), read_buf_.size()});
        read_buf_.consume(read_buf_.size());
        if (read_buf_.capacity() > kept_buffer_bytes) read_buf_.shrink_to_fit();
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("websocket session {}: {}", remote_address(), e.what());
  }
  finish();
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
  asio::post(executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void websocket_session::close(std::optional<outbound> last, bool drop_queued) {
  if (state_ != state::open) return;
  if (drop_queued) queue_.clear();
  if (last) queue_.push_unbounded(std::move(*last));
  begin_close(websocket::close_code::normal);
}

void websocket_session::go_away(std::string_view) {
  if (state_ == state::handshake) {
    state_ = state::closed;  // the pending accept fails and run() finishes
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).close(ec);
  } else if (state_ == state::open) {
    begin_close(websocket::close_code::going_away);
  }
}

void websocket_session::begin_close(std::uint16_t code) {
  state_ = state::closing;
  close_code_ = code;
  sockjs_close_pending_ = mode_ == framing::sockjs;
  if (!timer_) timer_ = std::make_unique<asio::steady_timer>(executor());
  arm_timer(ctx_->opts.close_timeout);
  flush();
}

bool websocket_session::next_raw_batch() {
  if (queue_.empty()) return false;
  inflight_bytes_ = queue_.take(inflight_, max_batch_frames, max_batch_bytes);
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
  return true;
}

void websocket_session::flush() {
  if (writing_ || state_ == state::handshake || state_ == state::closed) return;
  if (mode_ == framing::raw ? next_raw_batch() : next_sockjs_message()) {
    writing_ = true;
    sockjs_quiet_ = false;
    auto done = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->on_write(ec);
    };
    if (mode_ == framing::raw)
      ws_.async_write(frame_buffers(inflight_), std::move(done));
    else
      ws_.async_write(asio::buffer(out_), std::move(done));
    return;
  }
  if (state_ == state::closing && !close_sent_) {
    close_sent_ = true;
    writing_ = true;
    websocket::close_reason reason(close_code_);
    if (close_code_ == websocket::close_code::going_away)
      reason.reason.assign(ctx_->going_away, 0,
                           std::min(ctx_->going_away.size(), reason.reason.max_size()));
    // Completes once the peer answers (the pending read then ends with `closed`) or the
    // handshake timeout tears the connection down.
    ws_.async_close(reason, [self = shared_from_this()](boost::system::error_code ec) {
      self->writing_ = false;
      if (ec) beast::get_lowest_layer(self->ws_).close(ec);
    });
  }
}

void websocket_session::on_write(boost::system::error_code ec) {
  writing_ = false;
  inflight_bytes_ = 0;
  if (inflight_.capacity() > kept_inflight_slots)
    std::vector<outbound>().swap(inflight_);
  else
    inflight_.clear();
  release_if_large(out_);
  if (ec) {
    // The read loop sees the socket close and finishes the session.
    beast::get_lowest_layer(ws_).close(ec);
    return;
  }
  flush();
}

void websocket_session::arm_timer(std::chrono::steady_clock::duration after) {
  timer_->expires_after(after);
  timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void websocket_session::on_timer() {
  // A wait that had already expired when the timer was re-armed completes without error; the
  // timer's current expiry tells whether this completion is the live one.
  if (timer_->expiry() > std::chrono::steady_clock::now()) return;
  if (state_ == state::open) {
    if (sockjs_quiet_) {
      sockjs_heartbeat_due_ = true;
      flush();
    }
    sockjs_quiet_ = true;
    arm_timer(ctx_->opts.sockjs_heartbeat);
  } else if (state_ == state::closing) {
    // The peer did not take the last frames and the close frame in time: drop it.
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).close(ec);
  }
}

void websocket_session::finish() {
  state_ = state::closed;
  if (timer_) timer_->cancel();
  queue_.clear();
  boost::system::error_code ec;
  beast::get_lowest_layer(ws_).close(ec);
  if (auto handler = std::move(handler_)) handler->on_close();
}

}  // namespace parley::ws
