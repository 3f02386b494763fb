#include "realtime/stomp_session.hpp"

#include "obs/metrics.hpp"
#include "stomp/serializer.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <vector>

namespace parley::realtime {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
namespace json = boost::json;

namespace {
constexpr std::string_view server_name = "parley/0.1";
constexpr std::string_view errors_destination = "/user/queue/errors";

std::optional<std::string> header(const stomp::frame& f, std::string_view name) {
  auto v = f.header(name);
  if (!v) return std::nullopt;
  return std::string(*v);
}

// Sessions run on shards: each shard's io_context holds its deadline queue.
asio::io_context& shard_of(const asio::any_io_executor& ex) {
  if (const auto* io = ex.target<asio::io_context::executor_type>()) return io->context();
  throw std::logic_error("stomp_session: the connection's executor is not an io_context's");
}

// Slots of the per-shard cache of MESSAGE prefixes: at most this many strings stay pinned.
constexpr std::size_t prefix_cache_slots = 256;

// The `MESSAGE\nsubscription:<id>\n` prefix for a subscription, shared with the shard's other
// subscriptions of the same id and version when it is cached: clients number their subscriptions
// alike (stompjs: sub-0, sub-1, ...), so most sessions need no prefix of their own. Direct-mapped:
// a collision only costs sharing, never correctness.
std::shared_ptr<const std::string> shared_prefix(std::string_view id, stomp::version v) {
  static thread_local std::array<std::shared_ptr<const std::string>, prefix_cache_slots> cache;
  auto prefix = stomp::message_prefix(id, v);
  auto& slot = cache[std::hash<std::string>{}(prefix) % prefix_cache_slots];
  if (!slot || *slot != prefix) slot = std::make_shared<const std::string>(std::move(prefix));
  return slot;
}
}  // namespace

// The CONNECT and heart-beat deadlines of every session on one shard, driven by ONE timer: a
// binary heap of (deadline, session) in which each session knows its slot, so rescheduling and
// cancelling are O(log n) and allocate nothing. An io_context service, so each shard has its own
// and only the shard's thread touches it. Sessions remove themselves before they die; a due
// session is kept alive while its on_timer() runs.
class session_deadlines final : public asio::execution_context::service {
 public:
  using key_type = session_deadlines;
  static inline asio::execution_context::id id;
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  explicit session_deadlines(asio::io_context& io)
      : asio::execution_context::service(io), timer_(io) {}

  void schedule(stomp_session& s, clock::time_point at) {
    if (s.deadline_slot_ == none) {
      s.deadline_slot_ = heap_.size();
      heap_.push_back({at, &s});
    } else {
      heap_[s.deadline_slot_].at = at;
    }
    restore(s.deadline_slot_);
    arm();
  }

  void cancel(stomp_session& s) noexcept {
    auto i = s.deadline_slot_;
    if (i == none) return;
    s.deadline_slot_ = none;
    if (i + 1 != heap_.size()) {
      heap_[i] = heap_.back();
      heap_[i].s->deadline_slot_ = i;
      heap_.pop_back();
      restore(i);
    } else {
      heap_.pop_back();
    }
    if (heap_.empty() && heap_.capacity() > kept_slots) std::vector<slot>().swap(heap_);
    // The timer may still fire for a deadline no longer in the heap: on_fire() finds nothing due.
  }

 private:
  struct slot {
    clock::time_point at;
    stomp_session* s;
  };
  // Heap storage kept when the shard has no session left (beyond it is given back).
  static constexpr std::size_t kept_slots = 1024;

  void shutdown() override {
    for (auto& e : heap_) e.s->deadline_slot_ = none;
    heap_.clear();
  }

  void arm() {
    if (heap_.empty() || heap_.front().at >= armed_) return;
    armed_ = heap_.front().at;
    timer_.expires_at(armed_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) on_fire();
    });
  }

  void on_fire() {
    armed_ = clock::time_point::max();
    auto now = clock::now();
    while (!heap_.empty() && heap_.front().at <= now) {
      auto self = heap_.front().s->shared_from_this();
      cancel(*self);
      self->on_timer();  // may schedule again, always later than now
    }
    arm();
  }

  void restore(std::size_t i) noexcept {
    auto less = [&](std::size_t a, std::size_t b) { return heap_[a].at < heap_[b].at; };
    while (i > 0 && less(i, (i - 1) / 2)) {
      swap_slots(i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
    for (;;) {
      auto smallest = i;
      for (auto child : {2 * i + 1, 2 * i + 2})
        if (child < heap_.size() && less(child, smallest)) smallest = child;
      if (smallest == i) return;
      swap_slots(i, smallest);
      i = smallest;
    }
  }

  void swap_slots(std::size_t a, std::size_t b) noexcept {
    std::swap(heap_[a], heap_[b]);
    heap_[a].s->deadline_slot_ = a;
    heap_[b].s->deadline_slot_ = b;
  }

  asio::basic_waitable_timer<clock, asio::wait_traits<clock>, asio::io_context::executor_type>
      timer_;
  clock::time_point armed_ = clock::time_point::max();  // expiry of the pending wait, if any
  std::vector<slot> heap_;
};

stomp_session::sub::sub(std::string_view id, bool errors_queue)
    : errors(errors_queue), text_(new char[id.size() + 2]) {
  std::memcpy(text_.get(), id.data(), id.size());
  text_[id.size()] = '\0';
  text_[id.size() + 1] = '\0';
}

void stomp_session::sub::set_hub_key(std::string_view key) {
  auto n = id().size();
  std::unique_ptr<char[]> text(new char[n + key.size() + 2]);
  std::memcpy(text.get(), text_.get(), n + 1);
  std::memcpy(text.get() + n + 1, key.data(), key.size());
  text[n + 1 + key.size()] = '\0';
  text_ = std::move(text);
}

stomp_session::stomp_session(std::shared_ptr<connection> conn, hub& local_hub, session_context& ctx)
    : conn_(std::move(conn)),
      hub_(local_hub),
      ctx_(ctx),
      parser_(ctx.options.frame_limits),
      deadlines_(asio::use_service<session_deadlines>(shard_of(conn_->executor()))),
      deadline_slot_(session_deadlines::none),
      last_in_(clock::now()),
      last_out_(clock::now()),
      tokens_(ctx.options.send_burst),
      tokens_at_(clock::now()) {}

stomp_session::~stomp_session() { deadlines_.cancel(*this); }

void stomp_session::start() {
  obs::global().stomp_sessions_opened.fetch_add(1, std::memory_order_relaxed);
  arm_timer();
}

template <class Then>
auto stomp_session::on_shard(Then then) {
  return [self = shared_from_this(), then = std::move(then)](auto result) mutable {
    asio::post(self->conn_->executor(),
               [self, then = std::move(then), result = std::move(result)]() mutable {
                 if (!self->closed_) then(std::move(result));
               });
  };
}

template <class Work, class Then>
void stomp_session::off_thread(Work work, Then then) {
  auto back = on_shard(std::move(then));
  asio::post(ctx_.workers, [work = std::move(work), back = std::move(back)]() mutable {
    using result = decltype(work());
    // An outage under a blocking call (the database) ends as an error the client is told, never
    // as an exception escaping into the worker pool, which would terminate the process.
    auto r = [&]() -> result {
      try {
        return work();
      } catch (const core::unavailable_error& e) {
        spdlog::warn("STOMP work on a worker failed: {}", e.what());
        return core::problem::unavailable();
      } catch (const std::exception& e) {
        spdlog::error("STOMP work on a worker failed: {}", e.what());
        return core::problem::internal();
      }
    }();
    back(std::move(r));
  });
}

void stomp_session::on_data(std::string_view bytes) {
  if (closed_) return;
  // A transport may report on_close() from inside close() and drop its reference to us there
  // (SockJS with nothing left to flush): stay alive until this input is handled.
  auto self = shared_from_this();
  last_in_ = clock::now();
  parser_.feed(bytes);
  handle_input();
}

void stomp_session::handle_input() {
  while (!closed_ && !connecting_) {
    auto ev = parser_.next();
    if (!ev) return;
    if (auto* f = std::get_if<stomp::frame>(&*ev)) {
      on_frame(*f);
    } else if (auto* e = std::get_if<stomp::protocol_error>(&*ev)) {
      fail(e->code, e->message);
    }  // heart-beat: last_in_ already refreshed
  }
  // Frames sent after CONNECT wait, in order, until CONNECTED has gone out; at most one frame's
  // worth, as a client that has not seen CONNECTED has no business sending more.
  if (connecting_ && !closed_ && parser_.hold() > ctx_.options.frame_limits.max_frame_bytes)
    fail(stomp::errc::frame_too_large, "Too much input before CONNECTED");
}

void stomp_session::on_frame(stomp::frame& f) {
  const auto& cmd = f.command;
  if (!connected_) {
    if (cmd == "CONNECT" || cmd == "STOMP") return on_connect(f);
    return fail(stomp::errc::not_connected, "The first frame must be CONNECT");
  }
  if (cmd == "SEND") return on_send(f);
  if (cmd == "SUBSCRIBE") return on_subscribe(f);
  if (cmd == "UNSUBSCRIBE") return on_unsubscribe(f);
  if (cmd == "DISCONNECT") {
    send_receipt(header(f, "receipt"));
    closed_ = true;
    conn_->close();
    return;
  }
  if (cmd == "ACK" || cmd == "NACK") return send_receipt(header(f, "receipt"));  // ack:auto only
  if (cmd == "CONNECT" || cmd == "STOMP") return fail(stomp::errc::already_connected, "Already connected");
  // BEGIN/COMMIT/ABORT: transactions are not offered (docs/protocol.md).
  fail(stomp::errc::unsupported_command, "Unsupported command: " + cmd, f.header("receipt"));
}

void stomp_session::on_connect(const stomp::frame& f) {
  auto v = stomp::negotiate_version(f.header("accept-version"));
  if (!v) return fail(v.error().code, v.error().message);
  version_ = *v;
  parser_.set_version(version_);
  stomp::heart_beat_offer client{};
  if (auto hb = f.header("heart-beat")) {
    auto parsed = stomp::parse_heart_beat(*hb);
    if (!parsed) return fail(parsed.error().code, parsed.error().message);
    client = *parsed;
  }
  std::optional<std::string_view> auth = f.header("Authorization");
  if (!auth) auth = f.header("authorization");
  if (!auth) auth = f.header("passcode");  // clients that can only set login/passcode
  if (!auth) return fail(core::errc::unauthorized, "Missing access token (Authorization: Bearer <token>)");
  auto who = ctx_.chat.authenticate(*auth);
  if (!who) return fail(core::errc::unauthorized, who.error().message);
  who_ = std::move(*who);
  stomp::heart_beat_offer server{ctx_.options.heart_beat_send, ctx_.options.heart_beat_expect};
  beats_ = stomp::negotiate(client, server);
  // CONNECTED goes out once presence counts this session: a client that has it and asks for its
  // user's status must read ONLINE, on this node or any other. Until then the session reads no
  // further frames, and the CONNECT deadline still runs.
  connecting_ = true;
  off_thread(
      [chat = &ctx_.chat, who = who_]() -> core::outcome<void> {
        chat->session_opened(who);
        return {};
      },
      [this, server](core::outcome<void> opened) {
        // Presence is not worth refusing a chat for: the session goes on, shown offline.
        if (!opened) spdlog::warn("presence: a session of {} was not counted", who_.user_id);
        connecting_ = false;
        connected_ = true;
        send_frame(stomp::connected(version_, server, server_name));
        arm_timer();
        handle_input();
      });
}

void stomp_session::post_closed() {
  asio::post(ctx_.workers, [chat = &ctx_.chat, who = who_] {
    try {
      chat->session_closed(who);
    } catch (const std::exception& e) {
      spdlog::error("presence update failed: {}", e.what());
    }
  });
}

void stomp_session::on_subscribe(const stomp::frame& f) {
  auto dest = header(f, "destination");
  auto id = header(f, "id");
  auto receipt = header(f, "receipt");
  if (!id && version_ == stomp::version::v1_0 && dest) id = dest;  // 1.0 made `id` optional
  if (!dest || !id) return fail(stomp::errc::malformed_frame, "SUBSCRIBE needs destination and id", receipt);
  if (find_sub(*id) != subs_.end())
    return fail(stomp::errc::duplicate_subscription, "Subscription id already in use", receipt);
  if (subs_.size() >= ctx_.options.max_subscriptions)
    return fail(stomp::errc::too_many_subscriptions, "Too many subscriptions for one session", receipt);
  // Grow by one while small: most sessions hold a handful of subscriptions for their whole life.
  if (subs_.size() == subs_.capacity())
    subs_.reserve(subs_.size() < 8 ? subs_.size() + 1 : 2 * subs_.size());
  if (*dest == errors_destination) {
    for (auto& s : subs_) s.errors = false;  // the newest errors subscription gets them
    subs_.emplace_back(*id, true);
    errors_prefix_ = shared_prefix(*id, version_);
    return send_receipt(receipt);
  }
  subs_.emplace_back(*id, false);  // reserves the id while authorization is in flight
  off_thread([this, dest = *dest] { return ctx_.chat.authorize_subscription(who_, dest); },
             [this, id = *id, receipt](core::outcome<std::string> key) {
               auto it = find_sub(id);
               if (it == subs_.end()) return;  // unsubscribed meanwhile
               if (!key) {
                 subs_.erase(it);
                 return fail(key.error().code,
                             key.error().message, receipt);
               }
               it->set_hub_key(*key);
               hub_.subscribe(*key, this, id, shared_prefix(id, version_));
               if (!receipt || !ctx_.bus) return send_receipt(receipt);
               ctx_.bus->when_receiving(*key, on_shard([this, receipt](bool receiving) {
                 if (!receiving)
                   return fail(core::errc::unavailable,
                               "Live delivery is unavailable on this node, reconnect", receipt);
                 send_receipt(receipt);
               }));
             });
}

std::vector<stomp_session::sub>::iterator stomp_session::find_sub(std::string_view id) {
  return std::find_if(subs_.begin(), subs_.end(), [id](const sub& s) { return s.id() == id; });
}

void stomp_session::on_unsubscribe(const stomp::frame& f) {
  auto id = header(f, "id");
  if (!id) return fail(stomp::errc::malformed_frame, "UNSUBSCRIBE needs id", f.header("receipt"));
  auto it = find_sub(*id);
  if (it != subs_.end()) {
    if (!it->hub_key().empty()) hub_.unsubscribe(std::string(it->hub_key()), this, *id);
    if (it->errors) errors_prefix_.reset();
    subs_.erase(it);
  }
  send_receipt(header(f, "receipt"));
}

void stomp_session::on_send(stomp::frame& f) {
  auto dest = header(f, "destination");
  auto receipt = header(f, "receipt");
  if (!dest) return fail(stomp::errc::malformed_frame, "SEND needs a destination", receipt);
  auto reply = [this, dest = *dest, receipt](core::outcome<std::string> r) {
    if (!r) return send_app_error(r.error(), dest, receipt);
    send_receipt(receipt, *r);
  };
  if (*dest == "/app/chat.sendMessage") {
    if (!take_send_token())
      return send_app_error(core::problem::rate_limited("Sending too fast"), *dest, receipt);
    return ctx_.chat.on_send(
        who_, f.body,
        on_shard([reply = std::move(reply), started = clock::now()](core::outcome<std::string> r) {
          // What the user waits for: parsed here, durable, its RECEIPT queued.
          const bool stored = r.has_value();
          reply(std::move(r));
          if (stored) {
            std::chrono::duration<double> took = clock::now() - started;
            obs::timings().send_receipt.observe(took.count());
          }
        }));
  }
  if (*dest == "/app/chat.read") return ctx_.chat.on_read(who_, f.body, on_shard(std::move(reply)));
  if (*dest == "/app/chat.typing") {
    if (!take_send_token())
      return send_app_error(core::problem::rate_limited("Sending too fast"), *dest, receipt);
    return off_thread([this, body = std::move(f.body)] { return ctx_.chat.on_typing(who_, body); },
                      std::move(reply));
  }
  if (*dest == "/app/heartbeat") return send_receipt(receipt);  // presence lives with the session
  send_app_error(core::problem::not_found("Unknown destination: " + *dest, core::errc::unknown_destination),
                 *dest, receipt);
}

bool stomp_session::take_send_token() {
  auto now = clock::now();
  std::chrono::duration<double> dt = now - tokens_at_;
  tokens_at_ = now;
  tokens_ =
      std::min(ctx_.options.send_burst, tokens_ + dt.count() * ctx_.options.send_rate_per_second);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void stomp_session::send_frame(std::string frame) {
  if (closed_) return;
  last_out_ = clock::now();
  if (!conn_->send(make_outbound(std::move(frame))))
    fail(stomp::errc::slow_consumer, "Outbound queue full: the client is not reading fast enough");
}

void stomp_session::send_receipt(const std::optional<std::string>& receipt,
                                 std::string_view message_id) {
  if (!receipt) return;
  if (message_id.empty()) return send_frame(stomp::receipt(*receipt));
  send_frame(stomp::receipt(*receipt, {{"message-id", message_id}}));
}

void stomp_session::send_app_error(const core::problem& p, std::string_view destination,
                                   const std::optional<std::string>& receipt) {
  if (!errors_prefix_) return;  // the client did not ask for errors: nothing to deliver them on
  json::object e{{"code", core::code_name(p.code)},
                 {"message", p.message},
                 {"destination", destination},
                 {"receiptId", receipt ? json::value(*receipt) : json::value(nullptr)}};
  if (!p.errors.empty()) {
    json::object fields;
    for (auto& [k, v] : p.errors) fields[k] = v;
    e["errors"] = std::move(fields);
  }
  auto body = std::make_shared<const std::string>(
      stomp::message_body(errors_destination, "err-" + std::to_string(++error_seq_),
                          "application/json", json::serialize(e)));
  deliver(outbound{errors_prefix_, body});
}

void stomp_session::fail(stomp::errc code, std::string_view message,
                         std::optional<std::string_view> receipt) {
  const bool slow = code == stomp::errc::slow_consumer;
  if (slow && !closed_) obs::global().slow_consumers.fetch_add(1, std::memory_order_relaxed);
  close_with_error(stomp::code(code), message, receipt, slow);
}

void stomp_session::fail(core::errc code, std::string_view message,
                         std::optional<std::string_view> receipt) {
  close_with_error(core::code_name(code), message, receipt, false);
}

std::optional<outbound> stomp_session::farewell() {
  if (closed_) return std::nullopt;
  closed_ = true;
  return make_outbound(stomp::error(stomp::code(stomp::errc::server_shutdown),
                                    "Server shutting down: reconnect", std::nullopt));
}

void stomp_session::close_with_error(std::string_view code, std::string_view message,
                                     std::optional<std::string_view> receipt, bool drop_queued) {
  if (closed_) return;
  closed_ = true;
  obs::global().stomp_errors.fetch_add(1, std::memory_order_relaxed);
  conn_->close(make_outbound(stomp::error(code, message, receipt)), drop_queued);
}

void stomp_session::deliver(const outbound& frame) {
  if (closed_) return;
  last_out_ = clock::now();
  if (conn_->send(frame)) return;
  // Slow consumer: never grow memory without bound. Close from a fresh handler, because the hub
  // is iterating its subscriber list right now.
  asio::post(conn_->executor(), [self = shared_from_this()] {
    self->fail(stomp::errc::slow_consumer, "Outbound queue full: the client is not reading fast enough");
  });
}

void stomp_session::revoked(const std::string& subscription_id) {
  if (auto it = find_sub(subscription_id); it != subs_.end()) subs_.erase(it);
}

void stomp_session::arm_timer() {
  using namespace std::chrono;
  milliseconds tick = ctx_.options.connect_timeout;
  if (connected_) {
    tick = milliseconds{0};
    if (beats_.send.count() > 0) tick = beats_.send;
    if (beats_.expect.count() > 0 && (tick.count() == 0 || beats_.expect < tick))
      tick = beats_.expect;
    if (tick.count() == 0) {
      deadlines_.cancel(*this);  // no heart-beats: nothing to watch once connected
      return;
    }
  }
  deadlines_.schedule(*this, clock::now() + tick);
}

void stomp_session::on_timer() {
  if (closed_) return;
  auto now = clock::now();
  if (!connected_) {
    closed_ = true;
    conn_->close(make_outbound(stomp::error(stomp::code(stomp::errc::connect_timeout), "No CONNECT frame in time")));
    return;
  }
  // STOMP 1.2: tolerate some lateness; we allow 2.5x the agreed interval (API.md).
  if (beats_.expect.count() > 0 && now - last_in_ > beats_.expect * 5 / 2) {
    closed_ = true;
    conn_->close(
        make_outbound(stomp::error(stomp::code(stomp::errc::heartbeat_timeout), "No data from the client in time")));
    return;
  }
  if (beats_.send.count() > 0 && now - last_out_ >= beats_.send * 9 / 10) {
    last_out_ = now;
    if (!conn_->send(make_outbound(std::string(stomp::heart_beat_bytes)))) {
      fail(stomp::errc::slow_consumer, "Outbound queue full");
      return;
    }
  }
  arm_timer();
}

void stomp_session::on_close() {
  closed_ = true;
  obs::global().stomp_sessions_closed.fetch_add(1, std::memory_order_relaxed);
  deadlines_.cancel(*this);
  for (auto& s : subs_)
    if (!s.hub_key().empty())
      hub_.unsubscribe(std::string(s.hub_key()), this, std::string(s.id()));
  std::vector<sub>().swap(subs_);
  // A session closed while CONNECTED was on its way was counted too (or will be: the presence
  // port accepts a close before its open).
  if (connected_ || connecting_) post_closed();
}

}  // namespace parley::realtime
