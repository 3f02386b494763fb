#include "redis/connection.hpp"

#include "obs/metrics.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <utility>

namespace parley::redis {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

void append_command(std::string& out, const command& c) {
  out += '*';
  out += std::to_string(c.size());
  out += "\r\n";
  for (auto& arg : c) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
}

namespace {

reply convert(const redisReply* r) {
  reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.kind = reply::type::string; break;
    case REDIS_REPLY_STATUS: out.kind = reply::type::status; break;
    case REDIS_REPLY_ERROR: out.kind = reply::type::error; break;
    case REDIS_REPLY_INTEGER: out.kind = reply::type::integer; break;
    case REDIS_REPLY_ARRAY: out.kind = reply::type::array; break;
    default: out.kind = reply::type::nil; break;
  }
  if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
  if (r->str) out.str.assign(r->str, r->len);
  if (r->type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
  }
  return out;
}

// Pushes of a subscriber connection: arrays whose first element names a pub/sub event.
bool is_push(const reply& r) {
  if (r.kind != reply::type::array || r.elements.empty()) return false;
  const auto& k = r.elements[0].str;
  return k == "message" || k == "pmessage" || k == "subscribe" || k == "unsubscribe" ||
         k == "psubscribe" || k == "punsubscribe";
}

struct reader_deleter {
  void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};

}  // namespace

struct connection::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, options o, mode m)
      : strand(asio::make_strand(ex)),
        opts(std::move(o)),
        kind(m),
        socket(strand),
        resolver(strand),
        timer(strand),
        retry(opts.retry_min) {}

  asio::strand<asio::any_io_executor> strand;
  options opts;
  mode kind;
  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer timer;
  std::unique_ptr<redisReader, reader_deleter> reader;
  std::array<char, 16 * 1024> in{};
  std::string out, writing;
  struct pending {
    reply_handler handler;
    std::chrono::steady_clock::time_point queued;  // for parley_redis_round_trip_seconds
  };
  std::deque<pending> waiting;  // one per command written or queued, in order
  std::function<void()> on_ready;
  std::function<void(reply)> on_push;
  std::function<void()> on_down;
  std::function<void()> on_read_done;
  std::chrono::milliseconds retry;
  std::atomic<bool> up{false};
  bool stopped = false;
  bool started = false;
  unsigned failures = 0;  // since the last successful connect
  bool was_ever_up = false;
  std::uint64_t generation = 0;  // bumped at each disconnect: stale completions are ignored

  void connect() {
    if (stopped) return;
    auto self = shared_from_this();
    auto gen = generation;
    timer.expires_after(opts.connect_timeout);
    timer.async_wait([self, gen](error_code ec) {
      if (!ec && gen == self->generation && !self->up) self->lost("connect timed out");
    });
    resolver.async_resolve(
        opts.host, std::to_string(opts.port),
        [self, gen](error_code ec, const tcp::resolver::results_type& results) {
          if (gen != self->generation || self->stopped) return;
          if (ec) return self->lost("resolve: " + ec.message());
          asio::async_connect(self->socket, results,
                              [self, gen](error_code ec, const tcp::endpoint&) {
                                if (gen != self->generation || self->stopped) return;
                                if (ec) return self->lost("connect: " + ec.message());
                                self->on_connected();
                              });
        });
  }

  void on_connected() {
    timer.cancel();
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    reader.reset(redisReaderCreate());
    up = true;
    if (std::exchange(was_ever_up, true))
      obs::global().redis_reconnects.fetch_add(1, std::memory_order_relaxed);
    retry = opts.retry_min;
    if (failures > 0) spdlog::info("redis {}:{}: connected", opts.host, opts.port);
    failures = 0;
    if (!opts.password.empty()) queue({"AUTH", opts.password}, [](std::optional<reply> r) {
        if (r && r->is_error()) spdlog::error("redis: AUTH refused: {}", r->str);
      });
    if (!opts.name.empty()) queue({"CLIENT", "SETNAME", opts.name}, {});
    if (on_ready) on_ready();
    read();
  }

  // Fails everything pending and schedules a reconnect.
  void lost(const std::string& why) {
    // Loud when a working connection breaks; quiet while retries keep failing.
    if (!stopped) {
      if (up || failures == 0)
        spdlog::warn("redis {}:{}: {}; reconnecting", opts.host, opts.port, why);
      else
        spdlog::debug("redis {}:{}: {}", opts.host, opts.port, why);
      ++failures;
    }
    ++generation;
    const bool was_up = up.exchange(false);
    error_code ignored;
    socket.close(ignored);
    resolver.cancel();
    timer.cancel();
    out.clear();
    writing.clear();
    auto failed = std::move(waiting);
    waiting.clear();
    for (auto& p : failed)
      if (p.handler) p.handler(std::nullopt);
    if (stopped) return;
    if (was_up && on_down) on_down();
    auto self = shared_from_this();
    timer.expires_after(retry);
    retry = std::min(retry * 2, opts.retry_max);
    timer.async_wait([self](error_code ec) {
      if (!ec && !self->stopped && !self->up) self->connect();
    });
  }

  void queue(const command& c, reply_handler h, bool expects_reply = true) {
    if (!up || out.size() + writing.size() > opts.max_queued_bytes) {
      if (h) h(std::nullopt);
      return;
    }
    append_command(out, c);
    if (expects_reply) waiting.push_back({std::move(h), std::chrono::steady_clock::now()});
    if (writing.empty()) write();
  }

  void write() {
    writing.swap(out);
    auto self = shared_from_this();
    auto gen = generation;
    asio::async_write(socket, asio::buffer(writing), [self, gen](error_code ec, std::size_t) {
      if (gen != self->generation) return;
      if (ec) return self->lost("write: " + ec.message());
      self->writing.clear();
      if (!self->out.empty()) self->write();
    });
  }

  void read() {
    auto self = shared_from_this();
    auto gen = generation;
    socket.async_read_some(asio::buffer(in), [self, gen](error_code ec, std::size_t n) {
      if (gen != self->generation) return;
      if (ec) return self->lost("read: " + (ec == asio::error::eof ? "closed by server" : ec.message()));
      if (!self->handle(n)) return;
      self->read();
    });
  }

  bool handle(std::size_t n) {
    if (redisReaderFeed(reader.get(), in.data(), n) != REDIS_OK) {
      lost("unreadable reply");
      return false;
    }
    const auto gen = generation;
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
        lost(std::string("unreadable reply: ") + reader->errstr);
        return false;
      }
      if (!raw) break;
      auto* r = static_cast<redisReply*>(raw);
      reply value = convert(r);
      freeReplyObject(r);
      if (kind == mode::subscriber && is_push(value)) {
        if (on_push) on_push(std::move(value));
      } else if (!waiting.empty()) {
        auto p = std::move(waiting.front());
        waiting.pop_front();
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - p.queued;
        obs::timings().redis_round_trip.observe(took.count());
        if (p.handler) p.handler(std::move(value));
      } else {
        spdlog::warn("redis: a reply no command waits for: {}", value.str);
      }
      if (gen != generation) return false;  // a handler stopped the connection
    }
    if (on_read_done) on_read_done();
    return gen == generation;
  }
};

connection::connection(asio::any_io_executor ex, options o, mode m)
    : p_(std::make_shared<impl>(std::move(ex), std::move(o), m)) {}

std::shared_ptr<connection> connection::create(asio::any_io_executor ex, options o, mode m) {
  return std::shared_ptr<connection>(new connection(std::move(ex), std::move(o), m));
}

connection::~connection() { stop(); }

void connection::on_ready(std::function<void()> f) { p_->on_ready = std::move(f); }
void connection::on_push(std::function<void(reply)> f) { p_->on_push = std::move(f); }
void connection::on_down(std::function<void()> f) { p_->on_down = std::move(f); }
void connection::on_read_done(std::function<void()> f) { p_->on_read_done = std::move(f); }

void connection::start() {
  asio::dispatch(p_->strand, [p = p_] {
    if (p->started || p->stopped) return;
    p->started = true;
    p->connect();
  });
}

void connection::stop() {
  asio::dispatch(p_->strand, [p = p_] {
    if (p->stopped) return;
    p->stopped = true;
    p->on_ready = nullptr;
    p->on_push = nullptr;
    p->on_read_done = nullptr;
    p->on_down = nullptr;
    p->lost("stopped");
  });
}

void connection::send(command c, reply_handler h) {
  asio::dispatch(p_->strand, [p = p_, c = std::move(c), h = std::move(h)]() mutable {
    p->queue(c, std::move(h));
  });
}

void connection::send(std::vector<command> cs) {
  if (cs.empty()) return;
  asio::dispatch(p_->strand, [p = p_, cs = std::move(cs)] {
    for (auto& c : cs) p->queue(c, {});
  });
}

void connection::send(std::vector<std::pair<command, reply_handler>> cs) {
  if (cs.empty()) return;
  asio::dispatch(p_->strand, [p = p_, cs = std::move(cs)]() mutable {
    for (auto& [c, h] : cs) p->queue(c, std::move(h));
  });
}

void connection::send_subscription(command c) {
  asio::dispatch(p_->strand, [p = p_, c = std::move(c)] { p->queue(c, {}, false); });
}

bool connection::connected() const noexcept { return p_->up; }

asio::any_io_executor connection::executor() const { return p_->strand; }

std::optional<reply> call(connection& conn, command c, std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<std::optional<reply>>>();
  auto result = done->get_future();
  conn.send(std::move(c), [done](std::optional<reply> r) { done->set_value(std::move(r)); });
  if (result.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return result.get();
}

std::vector<std::optional<reply>> call(connection& conn, std::vector<command> cs,
                                       std::chrono::milliseconds timeout) {
  struct state {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::optional<reply>> replies;
    std::size_t left;
  };
  auto st = std::make_shared<state>();
  st->replies.resize(cs.size());
  st->left = cs.size();
  std::vector<std::pair<command, reply_handler>> items;
  items.reserve(cs.size());
  for (std::size_t i = 0; i < cs.size(); ++i)
    items.emplace_back(std::move(cs[i]), [st, i](std::optional<reply> r) {
      std::lock_guard lock(st->mutex);
      st->replies[i] = std::move(r);
      if (--st->left == 0) st->cv.notify_all();
    });
  conn.send(std::move(items));
  std::unique_lock lock(st->mutex);
  st->cv.wait_for(lock, timeout, [&] { return st->left == 0; });
  return st->replies;  // a copy: late handlers may still write into the shared state
}

}  // namespace parley::redis
