#include "ws/sockjs_session.hpp"

#include "ws/sockjs_codec.hpp"

#include <boost/asio/post.hpp>

#include <limits>

namespace parley::ws {

namespace asio = boost::asio;
using realtime::outbound;

sockjs_session::sockjs_session(asio::any_io_executor home, std::shared_ptr<context> ctx,
                               std::string id, receive_kind kind, std::string remote,
                               std::string binding_key, bool key_presented)
    : ctx_(std::move(ctx)),
      id_(std::move(id)),
      binding_(std::move(binding_key), std::move(remote), key_presented),
      timer_(std::move(home)),
      kind_(kind) {}

sockjs_session::~sockjs_session() { ctx_->live.remove(this); }

std::string_view sockjs_session::transport() const {
  return kind_ == receive_kind::streaming ? "xhr-streaming" : "xhr-polling";
}

void sockjs_session::attach(std::shared_ptr<receiver> r, receive_kind kind) {
  if (state_ == state::closed || receiver_) {
    auto frame = state_ == state::closed ? close_frame_
                                         : sockjs::close_frame(sockjs::another_connection_code,
                                                               "Another connection still open") +
                                               '\n';
    asio::post(r->executor,
               [r, frame = std::move(frame)]() mutable { r->hand(std::move(frame), true); });
    return;
  }
  receiver_ = std::move(r);
  receiver_waiting_ = true;
  receiver_bytes_ = 0;
  kind_ = kind;
  if (state_ == state::fresh) {
    state_ = state::open;
    hand(std::string(sockjs::open_frame) + '\n', false);  // first, before the handler can send
    handler_ = ctx_->factory(shared_from_this());
  } else {
    pump();
    if (receiver_ && receiver_waiting_) arm_timer(ctx_->opts.sockjs_heartbeat);
  }
}

void sockjs_session::ready(const std::shared_ptr<receiver>& r) {
  if (receiver_ != r) return;
  receiver_waiting_ = true;
  pump();
}

void sockjs_session::aborted(const std::shared_ptr<receiver>& r) {
  if (receiver_ != r) return;
  // Frames handed to that request may be lost; the protocol says to end the session.
  receiver_.reset();
  close_now(sockjs::interrupted_code, "Connection interrupted");
}

void sockjs_session::receive(std::vector<std::string> messages) {
  for (auto& m : messages) {
    if (state_ != state::open) return;
    handler_->on_data(m);
  }
}

bool sockjs_session::send(outbound frame) {
  if (state_ != state::open || !queue_.push(std::move(frame), ctx_->opts.max_outbound_bytes))
    return false;
  // Deferred to the end of the current handler run, so a burst becomes one `a[...]` chunk.
  if (!pump_scheduled_) {
    pump_scheduled_ = true;
    asio::post(executor(), [self = shared_from_this()] {
      self->pump_scheduled_ = false;
      self->pump();
    });
  }
  return true;
}

void sockjs_session::close(std::optional<outbound> last, bool drop_queued) {
  if (state_ != state::open) return;
  if (drop_queued) queue_.clear();
  if (last) queue_.push_unbounded(std::move(*last));
  state_ = state::closing;
  pump();
}

void sockjs_session::go_away(std::string_view) {
  server_stopping_ = true;
  if (state_ == state::fresh)
    close_now(sockjs::go_away_code, "Go away!");
  else if (state_ == state::open)
    close(handler_ ? handler_->farewell() : std::nullopt, false);
}

void sockjs_session::pump() {
  if (!receiver_ || !receiver_waiting_) return;
  if (state_ == state::closed) {
    hand(close_frame_, true);
  } else if (!queue_.empty()) {
    std::vector<outbound> batch;
    queue_.take(batch, std::numeric_limits<std::size_t>::max(),
                std::numeric_limits<std::size_t>::max());
    std::string chunk;
    sockjs::array_frame frame(chunk);
    for (auto& f : batch) frame.add(f.prefix ? *f.prefix : std::string_view{}, *f.body);
    frame.finish();
    chunk += '\n';
    hand(std::move(chunk), false);
  } else if (state_ == state::closing) {
    close_now(sockjs::go_away_code, "Go away!");
  }
}

void sockjs_session::hand(std::string chunk, bool last) {
  receiver_waiting_ = false;
  receiver_bytes_ += chunk.size();
  // A polling response carries one chunk; a streaming one is ended after enough bytes so the
  // browser can free the response text (the client then opens the next receiving request).
  last = last || kind_ == receive_kind::polling ||
         receiver_bytes_ >= ctx_->opts.sockjs_streaming_bytes;
  auto r = last ? std::move(receiver_) : receiver_;
  asio::post(r->executor,
             [r, chunk = std::move(chunk), last]() mutable { r->hand(std::move(chunk), last); });
  if (state_ == state::closed) return;  // the lingering timer is already set
  arm_timer(last ? ctx_->opts.sockjs_disconnect_delay : ctx_->opts.sockjs_heartbeat);
}

void sockjs_session::close_now(int code, std::string_view reason) {
  state_ = state::closed;
  queue_.clear();
  close_frame_ = sockjs::close_frame(code, reason) + '\n';
  // Keep answering with the close frame for a while, then forget the session; at shutdown the
  // server accepts no more requests, so the session goes once its last chunk is handed.
  arm_timer(server_stopping_ ? std::chrono::steady_clock::duration::zero()
                             : ctx_->opts.sockjs_disconnect_delay);
  pump();
  if (auto handler = std::move(handler_)) handler->on_close();
}

void sockjs_session::arm_timer(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void sockjs_session::on_timer() {
  // A completion queued before the timer was re-armed is stale (see websocket_session).
  if (timer_.expiry() > std::chrono::steady_clock::now()) return;
  if (state_ == state::closed) {
    if (receiver_) {
      // A request attached before the close is still writing; tell it when it asks again.
      arm_timer(ctx_->opts.sockjs_disconnect_delay);
      return;
    }
    ctx_->sockjs.erase(id_, this);
  } else if (receiver_) {
    if (receiver_waiting_)
      hand(std::string(sockjs::heartbeat_frame) + '\n', false);
    else
      arm_timer(ctx_->opts.sockjs_heartbeat);
  } else {
    // No receiving request for the disconnect delay: the client is gone, nobody to tell.
    state_ = state::closed;
    queue_.clear();
    ctx_->sockjs.erase(id_, this);
    if (auto handler = std::move(handler_)) handler->on_close();
  }
}

}  // namespace parley::ws
