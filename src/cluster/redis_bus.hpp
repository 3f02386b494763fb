#pragma once
// The cluster's fan-out adapter (chat::fanout) on Redis pub/sub.
//
// Every publication goes to Redis, on one publisher connection per node, and every delivery to
// this node's sessions comes back from Redis, on one subscriber connection per node, including
// what this node published itself: one path, so all nodes see a destination's publications in
// the same order (Redis keeps the order of one connection's PUBLISHes, and every thread of a node
// publishes through the one connection, in the order it publishes).
//
// A destination is a channel `<prefix><destination>`, subscribed only while this node has local
// interest in it (chat::fanout::interest); a revoke travels on the control channel `<prefix>ctl`,
// which every node subscribes to for as long as it runs. A batch is one hop to the publisher
// connection, so one write; what one read of the subscriber brings in reaches each shard as one
// task.
//
// Guarantee: at most once, like the port. While Redis is unreachable, publications are dropped
// (counted in dropped()); on reconnect the subscriber resubscribes to every channel with interest
// before anything else. Sessions catch up from history, the durable source of truth.
#include "chat/ports.hpp"
#include "realtime/shard_dispatcher.hpp"
#include "redis/connection.hpp"
#include "redis/io_thread.hpp"

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::cluster {

struct redis_bus_options {
  redis::options redis;
  std::string node_id;               // in event message ids, so they are unique in the cluster
  std::string prefix = "parley:";    // of every channel name
};

class redis_bus final : public chat::fanout {
 public:
  redis_bus(realtime::shard_dispatcher& d, redis_bus_options o);
  ~redis_bus() override;

  void publish(std::string destination, std::string payload, std::string message_id) override;
  void publish_to_users(std::vector<std::string> user_ids, std::string payload) override;
  void revoke(std::int64_t chat_id, std::string user_id) override;
  void begin_batch() override;
  void end_batch() override;
  void interest(const std::string& destination, bool present) override;

  // Whether Redis has answered every (UN)SUBSCRIBE this node sent for `destination` and the last
  // was a SUBSCRIBE: from then on, what anyone publishes to it reaches this node's sessions.
  // Exact while the subscriber connection stays up; an (UN)SUBSCRIBE queued across a reconnect
  // may make it turn true one confirmation early (the counts restart with the resubscribe).
  bool receiving(const std::string& destination) const;
  // Destinations with local interest (the gauge of rooms and user queues listened to here).
  std::size_t destinations_with_interest() const;
  // Publications not sent because Redis was unreachable.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  bool connected() const { return publisher_->connected() && subscriber_->connected(); }

 private:
  std::string channel(std::string_view destination) const {
    return opts_.prefix + std::string(destination);
  }
  void send(std::vector<redis::command> commands);
  // Subscriber strand.
  void on_push(redis::reply r);
  void on_message(const std::string& channel, const std::string& data);
  void flush_deliveries();
  void resubscribe();

  realtime::shard_dispatcher& dispatcher_;
  redis_bus_options opts_;
  std::string control_;  // the control channel
  std::atomic<std::uint64_t> next_id_{0};
  std::atomic<std::uint64_t> dropped_{0};
  redis::io_thread io_;
  std::shared_ptr<redis::connection> publisher_, subscriber_;

  mutable std::mutex mutex_;  // guards wanted_, confirmed_ and in_flight_
  std::unordered_set<std::string> wanted_;     // destinations with local interest
  std::unordered_set<std::string> confirmed_;  // channels Redis confirmed
  // Channels with SUBSCRIBE/UNSUBSCRIBE commands not yet answered: their state is not known.
  std::unordered_map<std::string, int> in_flight_;
  // Subscriber strand: what the current read brought, and the data of its last publication.
  std::vector<realtime::delivery> pending_;
  std::string last_data_;
};

}  // namespace parley::cluster
