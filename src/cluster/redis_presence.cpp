#include "cluster/redis_presence.hpp"

#include "core/problem.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <charconv>
#include <future>
#include <thread>

namespace parley::cluster {

namespace {

// KEYS: the user's nodes set, online key, this node's users set. ARGV: node id, TTL seconds,
// user id. 1 when this is the user's first node.
constexpr std::string_view join_script = R"(
local before = redis.call('SCARD', KEYS[1])
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], 'true', 'EX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
if before == 0 and added == 1 then return 1 end
return 0)";

// KEYS: the user's nodes set, online key, last-seen key, this node's users set. ARGV: node id,
// epoch ms, user id. 1 when this was the user's last node.
constexpr std::string_view leave_script = R"(
redis.call('SREM', KEYS[4], ARGV[3])
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], ARGV[2])
return 1)";

// KEYS: the nodes set. ARGV: node id, node TTL ms. Registers the node until now + TTL (Redis's
// clock, so the nodes' clocks need not agree) and answers {1 if the node was not registered
// (new, or swept while it was slow), dead node ids...}.
constexpr std::string_view heartbeat_script = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 16)
table.insert(dead, 1, added)
return dead)";

// KEYS: the nodes set. ARGV: dead node id, key prefix, "1" to sweep even if another node won.
// Answers {now ms, users taken offline...}, or {} when another node swept it first.
constexpr std::string_view sweep_script = R"(
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 and ARGV[3] ~= '1' then return {} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local users_key = ARGV[2] .. 'node:' .. ARGV[1] .. ':users'
local gone = {tostring(now)}
for _, u in ipairs(redis.call('SMEMBERS', users_key)) do
  local set = ARGV[2] .. 'presence:' .. u
  if redis.call('SREM', set, ARGV[1]) == 1 and redis.call('SCARD', set) == 0 then
    redis.call('DEL', 'user:online:' .. u)
    redis.call('SET', 'user:last_seen:' .. u, now)
    table.insert(gone, u)
  end
end
redis.call('DEL', users_key)
return gone)";

std::string online_key(const std::string& user) { return "user:online:" + user; }
std::string last_seen_key(const std::string& user) { return "user:last_seen:" + user; }

// A user's transitions on this node reach Redis in the order they happened here: a join and a
// leave of one user never cross. Striped, so different users do not wait for each other.
constexpr std::size_t stripes = 64;
std::array<std::mutex, stripes> user_locks;
std::mutex& lock_for(const std::string& user) {
  return user_locks[std::hash<std::string>{}(user) % stripes];
}

std::optional<std::int64_t> integer_of(const redis::reply& r) {
  if (r.kind == redis::reply::type::integer) return r.integer;
  std::int64_t v = 0;
  if (r.kind != redis::reply::type::string ||
      std::from_chars(r.str.data(), r.str.data() + r.str.size(), v).ec != std::errc{})
    return std::nullopt;
  return v;
}

}  // namespace

struct redis_presence::timer {
  explicit timer(boost::asio::io_context::executor_type ex) : t(ex) {}
  boost::asio::steady_timer t;
  bool stopping = false;  // io thread only
  std::chrono::steady_clock::time_point next_refresh{};
};

redis_presence::redis_presence(redis_presence_options o)
    : opts_(std::move(o)), client_(opts_.redis, opts_.node_id, "presence") {
  timer_ = std::make_unique<timer>(client_.executor());
  client_.wait_connected();
  // What an earlier process under this id left (it crashed): its users are not here any more.
  auto r = client_.call({"EVAL", std::string(sweep_script), "1", nodes_key(), opts_.node_id,
                         opts_.prefix, "1"});
  if (r.elements.size() > 1)
    spdlog::info("presence: {} users of an earlier run of node {} taken offline",
                 r.elements.size() - 1, opts_.node_id);
}

redis_presence::~redis_presence() {
  std::promise<void> stopped;
  boost::asio::post(client_.executor(), [this, &stopped] {
    timer_->stopping = true;  // a wait that already fired must not arm again
    timer_->t.cancel();
    stopped.set_value();
  });
  stopped.get_future().wait();
  client_.stop();
}

void redis_presence::start(lost_handler lost) {
  lost_ = std::move(lost);
  boost::asio::post(client_.executor(), [this] { tick(); });
}

void redis_presence::leave_cluster() {
  std::promise<void> stopped;
  boost::asio::post(client_.executor(), [this, &stopped] {
    timer_->stopping = true;
    timer_->t.cancel();
    stopped.set_value();
  });
  stopped.get_future().wait();
  try {
    client_.call(
        {"EVAL", std::string(sweep_script), "1", nodes_key(), opts_.node_id, opts_.prefix, "1"});
  } catch (const std::exception& e) {
    spdlog::warn("presence: could not deregister node {}: {}", opts_.node_id, e.what());
  }
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
  auto r = client_.call({"EVAL", std::string(join_script), "3",
                         opts_.prefix + "presence:" + user_id, online_key(user_id), users_key(),
                         opts_.node_id, std::to_string(opts_.online_ttl.count()), user_id});
  {
    std::lock_guard lock(mutex_);
    joined_.insert(user_id);  // this user's calls are serialized: no leave came in between
  }
  return r.integer == 1;
}

bool redis_presence::disconnected(const std::string& user_id, core::time_point now) {
  std::lock_guard order(lock_for(user_id));
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.try_emplace(user_id, 0).first;
    if (--it->second != 0) return false;  // sessions remain here, or this close came first
    sessions_.erase(it);
    joined_.erase(user_id);  // no refresh may add the user back once the leave is queued
  }
  auto r = client_.call({"EVAL", std::string(leave_script), "4",
                         opts_.prefix + "presence:" + user_id, online_key(user_id),
                         last_seen_key(user_id), users_key(), opts_.node_id,
                         std::to_string(core::epoch_ms(now)), user_id});
  return r.integer == 1;
}

bool redis_presence::online(const std::string& user_id) {
  return client_.call({"EXISTS", online_key(user_id)}).integer == 1;
}

std::vector<std::string> redis_presence::online_among(std::vector<std::string> user_ids) {
  if (user_ids.empty()) return user_ids;
  std::vector<redis::command> cs;
  cs.reserve(user_ids.size());
  for (auto& u : user_ids) cs.push_back({"EXISTS", online_key(u)});
  auto replies = client_.call(std::move(cs));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < user_ids.size(); ++i)
    if (replies[i].integer == 1) out.push_back(std::move(user_ids[i]));
  return out;
}

std::optional<core::time_point> redis_presence::last_seen(const std::string& user_id) {
  auto ms = integer_of(client_.call({"GET", last_seen_key(user_id)}));
  if (!ms) return std::nullopt;
  return core::from_epoch_ms(*ms);
}

std::vector<std::optional<core::time_point>> redis_presence::last_seen_of(
    const std::vector<std::string>& user_ids) {
  std::vector<std::optional<core::time_point>> out;
  if (user_ids.empty()) return out;
  redis::command c{"MGET"};
  for (auto& u : user_ids) c.push_back(last_seen_key(u));
  auto r = client_.call(std::move(c));
  for (auto& e : r.elements) {
    auto ms = integer_of(e);
    out.push_back(ms ? std::optional(core::from_epoch_ms(*ms)) : std::nullopt);
  }
  out.resize(user_ids.size());
  return out;
}

void redis_presence::schedule() {
  timer_->t.expires_after(opts_.heartbeat);
  timer_->t.async_wait([this](boost::system::error_code ec) {
    if (ec || timer_->stopping) return;
    tick();
  });
}

// On the io thread, never blocking: the heartbeat and the sweeps are asynchronous commands.
void redis_presence::tick() {
  if (timer_->stopping) return;
  auto now = std::chrono::steady_clock::now();
  if (now >= timer_->next_refresh) refresh_all();
  client_.send({"EVAL", std::string(heartbeat_script), "1", nodes_key(), opts_.node_id,
                std::to_string(opts_.node_ttl.count())},
               [this](std::optional<redis::reply> r) {
                 if (!r || r->is_error() || r->elements.empty() || timer_->stopping) return;
                 // Not registered before this beat: new, or swept while slow or cut off (its
                 // users were taken offline): put back what this node holds.
                 if (r->elements[0].integer == 1) refresh_all();
                 for (std::size_t i = 1; i < r->elements.size(); ++i)
                   if (r->elements[i].str != opts_.node_id) sweep(r->elements[i].str, false);
               });
  schedule();
}

// One pipelined write for every user online here: their TTL, their node sets and this node's
// users set, repairing what a Redis restart or a sweep lost.
void redis_presence::refresh_all() {
  timer_->next_refresh = std::chrono::steady_clock::now() + opts_.refresh;
  std::vector<redis::command> commands;
  const auto ttl = std::to_string(opts_.online_ttl.count());
  {
    std::lock_guard lock(mutex_);
    commands.reserve(3 * joined_.size());
    for (auto& user : joined_) {
      commands.push_back({"SADD", opts_.prefix + "presence:" + user, opts_.node_id});
      commands.push_back({"SADD", users_key(), user});
      commands.push_back({"SET", online_key(user), "true", "EX", ttl});
    }
  }
  client_.send(std::move(commands));
}

void redis_presence::sweep(const std::string& node, bool force) {
  client_.send(
      {"EVAL", std::string(sweep_script), "1", nodes_key(), node, opts_.prefix,
       force ? "1" : "0"},
      [this, node](std::optional<redis::reply> r) {
        if (!r || r->is_error() || r->elements.empty()) return;  // another node won, or later
        auto ms = integer_of(r->elements[0]);
        std::vector<std::string> users;
        for (std::size_t i = 1; i < r->elements.size(); ++i)
          users.push_back(std::move(r->elements[i].str));
        spdlog::warn("presence: node {} stopped beating; {} users taken offline", node,
                     users.size());
        if (lost_ && !users.empty() && ms) lost_(std::move(users), core::from_epoch_ms(*ms));
      });
}

}  // namespace parley::cluster
