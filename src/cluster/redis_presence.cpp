#include "cluster/redis_presence.hpp"

#include "core/problem.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <charconv>
#include <functional>

namespace parley::cluster {

namespace {

// KEYS: nodes set, online key. ARGV: node id, TTL seconds. 1 when this is the user's first node.
constexpr std::string_view join_script = R"(
local before = redis.call('SCARD', KEYS[1])
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], 'true', 'EX', ARGV[2])
if before == 0 and added == 1 then return 1 end
return 0)";

// KEYS: nodes set, online key, last-seen key. ARGV: node id, epoch ms. 1 when this was the
// user's last node.
constexpr std::string_view leave_script = R"(
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], ARGV[2])
return 1)";

std::string online_key(const std::string& user) { return "user:online:" + user; }
std::string last_seen_key(const std::string& user) { return "user:last_seen:" + user; }

// A user's transitions on this node reach Redis in the order they happened here: a join and a
// leave of one user never cross. Striped, so different users do not wait for each other.
constexpr std::size_t stripes = 64;
std::array<std::mutex, stripes> user_locks;
std::mutex& lock_for(const std::string& user) {
  return user_locks[std::hash<std::string>{}(user) % stripes];
}

}  // namespace

struct redis_presence::timer {
  explicit timer(boost::asio::io_context::executor_type ex) : t(ex) {}
  boost::asio::steady_timer t;
  bool stopping = false;  // io thread only
};

redis_presence::redis_presence(redis_presence_options o)
    : opts_(std::move(o)), io_("redis-presence") {
  auto r = opts_.redis;
  r.name = "parley-" + opts_.node_id + "-presence";
  conn_ = redis::connection::create(io_.executor(), r);
  conn_->start();
  timer_ = std::make_unique<timer>(io_.executor());
  schedule_refresh();
}

redis_presence::~redis_presence() {
  boost::asio::post(io_.executor(), [this] {
    timer_->stopping = true;  // a wait that already fired must not arm again
    timer_->t.cancel();
  });
  conn_->stop();
  io_.join();
}

redis::reply redis_presence::call(redis::command c) {
  auto r = redis::call(*conn_, std::move(c));
  if (!r) throw core::unavailable_error("presence: Redis is unreachable");
  if (r->is_error()) throw std::runtime_error("presence: Redis refused: " + r->str);
  return std::move(*r);
}

bool redis_presence::connected(const std::string& user_id) {
  std::lock_guard order(lock_for(user_id));
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.try_emplace(user_id, 0).first;
    const int open = ++it->second;
    if (open == 0) sessions_.erase(it);  // the open of a close counted earlier
    if (open != 1) return false;
  }
  auto r = call({"EVAL", std::string(join_script), "2", opts_.prefix + "presence:" + user_id,
                 online_key(user_id), opts_.node_id, std::to_string(opts_.online_ttl.count())});
  return r.integer == 1;
}

bool redis_presence::disconnected(const std::string& user_id, core::time_point now) {
  std::lock_guard order(lock_for(user_id));
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.try_emplace(user_id, 0).first;
    if (--it->second != 0) return false;  // sessions remain here, or this close came first
    sessions_.erase(it);
  }
  auto r = call({"EVAL", std::string(leave_script), "3", opts_.prefix + "presence:" + user_id,
                 online_key(user_id), last_seen_key(user_id), opts_.node_id,
                 std::to_string(core::epoch_ms(now))});
  return r.integer == 1;
}

bool redis_presence::online(const std::string& user_id) {
  return call({"EXISTS", online_key(user_id)}).integer == 1;
}

std::optional<core::time_point> redis_presence::last_seen(const std::string& user_id) {
  auto r = call({"GET", last_seen_key(user_id)});
  std::int64_t ms = 0;
  if (r.kind != redis::reply::type::string ||
      std::from_chars(r.str.data(), r.str.data() + r.str.size(), ms).ec != std::errc{})
    return std::nullopt;
  return core::from_epoch_ms(ms);
}

void redis_presence::schedule_refresh() {
  timer_->t.expires_after(opts_.refresh);
  timer_->t.async_wait([this](boost::system::error_code ec) {
    if (ec || timer_->stopping) return;
    refresh();
    schedule_refresh();
  });
}

// On the io thread: one pipelined write for every user online here.
void redis_presence::refresh() {
  std::vector<redis::command> commands;
  const auto ttl = std::to_string(opts_.online_ttl.count());
  {
    std::lock_guard lock(mutex_);
    commands.reserve(2 * sessions_.size());
    for (auto& [user, n] : sessions_) {
      if (n <= 0) continue;
      commands.push_back({"SADD", opts_.prefix + "presence:" + user, opts_.node_id});
      commands.push_back({"SET", online_key(user), "true", "EX", ttl});
    }
  }
  conn_->send(std::move(commands));
}

}  // namespace parley::cluster
