#pragma once
// The cluster's presence adapter (chat::presence) on Redis, with the original system's keys:
// `user:online:{id}` = "true" with a 40 s TTL, and `user:last_seen:{id}` = epoch milliseconds.
//
// Each node counts its own sessions per user in memory (so a close counted before its open
// cancels it here, as the port requires) and tells Redis only when a user's count on this node
// goes from 0 to 1 or back: the node joins or leaves the set `<prefix>presence:{id}` of nodes
// the user has sessions on, in one script, which answers whether this was the user's first or
// last node cluster-wide. So ONLINE and OFFLINE are announced once per user, not once per node.
//
// While it runs, the node refreshes the TTL of its online users every `refresh` interval and
// re-adds itself to their sets, which also repairs what a Redis restart lost. A user whose nodes
// all died reads offline once the online key expires (at most `online_ttl`).
//
// Calls block for one round trip (workers only, never a shard); a Redis outage is a
// core::unavailable_error.
#include "chat/ports.hpp"
#include "redis/connection.hpp"
#include "redis/io_thread.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::cluster {

struct redis_presence_options {
  redis::options redis;
  std::string node_id;
  std::string prefix = "parley:";
  std::chrono::seconds online_ttl{40};
  std::chrono::seconds refresh{10};
};

class redis_presence final : public chat::presence {
 public:
  explicit redis_presence(redis_presence_options o);
  ~redis_presence() override;

  bool connected(const std::string& user_id) override;
  bool disconnected(const std::string& user_id, core::time_point now) override;
  bool online(const std::string& user_id) override;
  std::optional<core::time_point> last_seen(const std::string& user_id) override;

  bool reachable() const { return conn_->connected(); }

 private:
  redis::reply call(redis::command c);
  void schedule_refresh();
  void refresh();

  redis_presence_options opts_;
  redis::io_thread io_;
  std::shared_ptr<redis::connection> conn_;
  struct timer;
  std::unique_ptr<timer> timer_;
  std::mutex mutex_;
  std::unordered_map<std::string, int> sessions_;  // this node's sessions per user
};

}  // namespace parley::cluster
