#pragma once
// The rate-limit port: at most `limit` events per key in a sliding window. Failed logins per
// username and presigned URLs per user are counted with it. In a cluster every node must see the
// same counts (a Redis adapter: one sorted set per key); all-in-one counts in memory.
//
// Adapters may block (a network round trip): call them from workers, never from an I/O shard.
#include "core/time.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::core {

class rate_limit {
 public:
  virtual ~rate_limit() = default;
  // Whether `key` had fewer events than the limit in the window ending now.
  virtual bool allowed(const std::string& key) = 0;
  // Records one event of `key`, now.
  virtual void record(const std::string& key) = 0;
  // allowed() and, when it is, record(), in one step: for limits where every attempt counts.
  virtual bool take(const std::string& key) = 0;
  // Forgets `key`'s events (a successful login clears its failures).
  virtual void reset(const std::string& key) = 0;
};

// In memory, for one node. Keeps at most `limit` times per key. When the map grows past
// `sweep_threshold` keys, those with nothing left in the window are dropped, so idle keys cost
// nothing for long; only a flood of distinct keys within one window reaches `max_keys`, and then
// forgetting every count is the lesser harm than unbounded memory.
class memory_rate_limit final : public rate_limit {
 public:
  memory_rate_limit(unsigned limit, std::chrono::seconds window, const clock& c)
      : limit_(limit), window_(window), clock_(c) {}

  bool allowed(const std::string& key) override;
  void record(const std::string& key) override;
  bool take(const std::string& key) override;
  void reset(const std::string& key) override;

  static constexpr std::size_t sweep_threshold = 100'000;
  static constexpr std::size_t max_keys = 1'000'000;

 private:
  // Drops the times of `key` that left the window; true when fewer than `limit_` remain.
  bool below_limit(std::deque<time_point>& times, time_point now) const;
  void add(const std::string& key, time_point now);

  const unsigned limit_;
  const std::chrono::seconds window_;
  const clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<time_point>> times_;
};

}  // namespace parley::core
