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
// Nodes register in the sorted set `<prefix>nodes` (score: the instant, by Redis's clock, after
// which the node counts as dead) with a heartbeat, and keep the users they hold in
// `<prefix>node:{node}:users`. Every heartbeat also looks for nodes whose time ran out; one
// node wins each dead node (the script's ZREM), removes it from its users' sets, takes offline
// the users it was the last node of (their online key deleted, last_seen set) and hands them to
// the lost-users handler, which announces them OFFLINE. A node that starts sweeps its own id
// first, so a restart under the same id leaves nothing stale.
//
// While it runs, the node refreshes the TTL of its online users every `refresh` interval and
// re-adds itself to their sets, which also repairs what a Redis restart lost, or a sweep of a
// node that was only slow. A user whose nodes all died reads offline at the latest when their
// node's registration runs out (`node_ttl`), or their online key expires (`online_ttl`).
//
// Calls block for one round trip (workers only, never a shard); a Redis outage is a
// core::unavailable_error.
#include "chat/ports.hpp"
#include "cluster/redis_client.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::cluster {

struct redis_presence_options {
  redis::options redis;
  std::string node_id;
  std::string prefix = "parley:";
  std::chrono::seconds online_ttl{40};
  std::chrono::seconds refresh{10};
  std::chrono::milliseconds heartbeat{2000};
  std::chrono::milliseconds node_ttl{10000};  // a node silent this long is dead
};

class redis_presence final : public chat::presence {
 public:
  // Users a dead node was the last node of, now offline, and when (Redis's clock). Called on the
  // adapter's thread: hand the work to a worker.
  using lost_handler = std::function<void(std::vector<std::string> users, core::time_point when)>;

  // Waits for Redis (redis.connect_timeout) and sweeps this node's id; throws
  // core::unavailable_error when Redis cannot be reached.
  explicit redis_presence(redis_presence_options o);
  ~redis_presence() override;

  // Registers the node and starts the heartbeat; `lost` may be empty (tests).
  void start(lost_handler lost);

  bool connected(const std::string& user_id) override;
  bool disconnected(const std::string& user_id, core::time_point now) override;
  bool online(const std::string& user_id) override;
  std::vector<std::string> online_among(std::vector<std::string> user_ids) override;
  std::optional<core::time_point> last_seen(const std::string& user_id) override;
  std::vector<std::optional<core::time_point>> last_seen_of(
      const std::vector<std::string>& user_ids) override;

  bool reachable() const { return client_.connected(); }
  // Stops the heartbeat and deregisters the node, taking out of Redis whatever it still holds
  // (a node that stops has closed its sessions, whose leaves announced them already).
  void leave_cluster();

 private:
  void tick();
  void schedule();
  void refresh_all();
  void sweep(const std::string& node, bool force);
  std::string nodes_key() const { return opts_.prefix + "nodes"; }
  std::string users_key() const { return opts_.prefix + "node:" + opts_.node_id + ":users"; }

  redis_presence_options opts_;
  redis_client client_;
  struct timer;
  std::unique_ptr<timer> timer_;
  lost_handler lost_;
  std::mutex mutex_;
  std::unordered_map<std::string, int> sessions_;  // this node's sessions per user
  // Users whose join reached Redis and who have not left: what a refresh may repeat. A user
  // counted but not yet joined is left out, or the refresh's SADD would arrive before the join
  // and make it look like a second node (a lost ONLINE).
  std::unordered_set<std::string> joined_;
};

}  // namespace parley::cluster
