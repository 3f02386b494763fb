#include "cluster/redis_limits.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace parley::cluster {

namespace {

// KEYS: bitmap, ready marker. ARGV: bit positions. -1 while the bitmap is not filled, else 1
// when every bit is set.
constexpr std::string_view test_bits_script = R"(
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
for i = 1, #ARGV do
  if redis.call('GETBIT', KEYS[1], ARGV[i]) == 0 then return 0 end
end
return 1)";

// KEYS: bitmap. ARGV: bit positions.
constexpr std::string_view set_bits_script = R"(
for i = 1, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 1) end
return 1)";

// The sliding window. KEYS: the key's sorted set. ARGV: limit, window ms, a unique member,
// mode ("check", "take", "record"). 1 when allowed (and, for take and record, recorded).
constexpr std::string_view window_script = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local allowed = redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1])
if ARGV[4] == 'record' or (ARGV[4] == 'take' and allowed) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if allowed then return 1 end
return 0)";

// Usernames per SETBIT script while filling: bounded commands, one pipeline each.
constexpr std::size_t fill_chunk = 1000;

}  // namespace

redis_username_filter::redis_username_filter(
    redis_client& client, std::string prefix,
    std::function<std::vector<std::string>()> all_usernames)
    : client_(client),
      bits_key_(prefix + "usernames"),
      ready_key_(prefix + "usernames:ready"),
      all_usernames_(std::move(all_usernames)) {}

redis_username_filter::~redis_username_filter() {
  std::lock_guard lock(filler_mutex_);
  if (filler_.joinable()) filler_.join();
}

bool redis_username_filter::maybe_taken(const std::string& username) {
  redis::command c{"EVAL", std::string(test_bits_script), "2", bits_key_, ready_key_};
  for (auto p : shape_.positions(username)) c.push_back(std::to_string(p));
  auto r = client_.call(std::move(c));
  if (r.integer == -1) {
    refill_in_background();
    return true;  // unknown yet: storage answers
  }
  return r.integer == 1;
}

void redis_username_filter::add(const std::string& username) {
  redis::command c{"EVAL", std::string(set_bits_script), "1", bits_key_};
  for (auto p : shape_.positions(username)) c.push_back(std::to_string(p));
  client_.call(std::move(c));
}

void redis_username_filter::fill_if_missing() {
  if (client_.call({"EXISTS", ready_key_}).integer == 0) fill();
}

void redis_username_filter::fill() {
  auto names = all_usernames_();
  for (std::size_t i = 0; i < names.size(); i += fill_chunk) {
    std::vector<redis::command> cs;
    for (std::size_t j = i; j < std::min(names.size(), i + fill_chunk); ++j) {
      redis::command c{"EVAL", std::string(set_bits_script), "1", bits_key_};
      for (auto p : shape_.positions(names[j])) c.push_back(std::to_string(p));
      cs.push_back(std::move(c));
    }
    client_.call(std::move(cs));
  }
  // Only now may a clear bit mean "free". A name registered during the fill set its own bits.
  client_.call({"SET", ready_key_, "1"});
  spdlog::info("username filter: {} usernames in the shared filter", names.size());
}

void redis_username_filter::refill_in_background() {
  if (filling_.exchange(true)) return;
  std::lock_guard lock(filler_mutex_);
  if (filler_.joinable()) filler_.join();
  filler_ = std::thread([this] {
    try {
      fill();
    } catch (const std::exception& e) {
      spdlog::warn("username filter: refill failed: {}", e.what());
    }
    filling_ = false;
  });
}

redis_rate_limit::redis_rate_limit(redis_client& client, std::string prefix, std::string name,
                                   unsigned limit, std::chrono::seconds window)
    : client_(client),
      base_(prefix + "rl:" + name + ":"),
      limit_(limit),
      window_ms_(std::to_string(std::chrono::milliseconds(window).count())),
      node_tag_(std::to_string(std::random_device{}())) {}

std::string redis_rate_limit::member() {
  return node_tag_ + "-" + std::to_string(next_.fetch_add(1, std::memory_order_relaxed));
}

bool redis_rate_limit::allowed(const std::string& key) {
  return client_
             .call({"EVAL", std::string(window_script), "1", key_of(key),
                    std::to_string(limit_), window_ms_, member(), "check"})
             .integer == 1;
}

void redis_rate_limit::record(const std::string& key) {
  client_.call({"EVAL", std::string(window_script), "1", key_of(key), std::to_string(limit_),
                window_ms_, member(), "record"});
}

bool redis_rate_limit::take(const std::string& key) {
  return client_
             .call({"EVAL", std::string(window_script), "1", key_of(key),
                    std::to_string(limit_), window_ms_, member(), "take"})
             .integer == 1;
}

void redis_rate_limit::reset(const std::string& key) { client_.call({"DEL", key_of(key)}); }

}  // namespace parley::cluster
