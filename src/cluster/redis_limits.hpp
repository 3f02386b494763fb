#pragma once
// The cluster's username filter and rate limiters, on Redis, so every node answers the same:
// a name registered on one node is "maybe taken" on all of them, and five failed logins are five
// wherever they were tried.
#include "auth/bloom.hpp"
#include "chat/ports.hpp"
#include "cluster/redis_client.hpp"
#include "core/rate_limit.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::cluster {

// chat::username_filter as a Redis bitmap `<prefix>usernames` with the bit positions of
// auth::bloom_filter (same size and hashes on every node), and a marker `<prefix>usernames:ready`
// set once the bitmap holds every stored username. While the marker is missing (a fresh Redis,
// or one that restarted empty) every name is "maybe taken", which only costs a storage read, and
// a background thread fills the bitmap from storage; filling twice (two nodes at once) is
// harmless, since bits are only ever set.
class redis_username_filter final : public chat::username_filter {
 public:
  // `all_usernames` reads storage (blocking); run on the filler thread.
  redis_username_filter(redis_client& client, std::string prefix,
                        std::function<std::vector<std::string>()> all_usernames);
  ~redis_username_filter() override;

  bool maybe_taken(const std::string& username) override;
  void add(const std::string& username) override;

  // Fills the bitmap now if the marker is missing (at start, on the calling thread).
  void fill_if_missing();

 private:
  void fill();
  void refill_in_background();

  redis_client& client_;
  std::string bits_key_, ready_key_;
  std::function<std::vector<std::string>()> all_usernames_;
  auth::bloom_filter shape_;  // only for its bit positions
  std::mutex filler_mutex_;
  std::thread filler_;
  std::atomic<bool> filling_{false};
};

// core::rate_limit as one Redis sorted set per key, `<prefix>rl:<name>:<key>`, scored by Redis's
// clock (the nodes' clocks need not agree), expiring with its window. Each operation is one
// script, so a check and its record are one atomic step.
class redis_rate_limit final : public core::rate_limit {
 public:
  redis_rate_limit(redis_client& client, std::string prefix, std::string name, unsigned limit,
                   std::chrono::seconds window);

  bool allowed(const std::string& key) override;
  void record(const std::string& key) override;
  bool take(const std::string& key) override;
  void reset(const std::string& key) override;

 private:
  std::string key_of(const std::string& key) const { return base_ + key; }
  std::string member();

  redis_client& client_;
  std::string base_;
  unsigned limit_;
  std::string window_ms_;
  std::string node_tag_;
  std::atomic<std::uint64_t> next_{0};
};

}  // namespace parley::cluster
