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
// A room's messages (publish_in_order) carry their `seq`. With a room_history, each node keeps a
// cursor per room it listens to (the last `seq` delivered, read from history when the interest
// starts): it drops what is at or below it (a replay), delivers the next one at once, and holds
// what comes early; a hole still open after `gap_wait` (a publication that will not come: lost
// while Redis reconnected, or its node died between commit and publish) is read from history,
// where every published message already is. So every subscriber on every node sees a room's
// messages in `seq` order, each once, whichever nodes committed them; and after a reconnect the
// node reads what it missed. A SUBSCRIBE's RECEIPT (when_receiving) waits until the channel is
// confirmed and the cursor known.
//
// Other publications (typing, receipts, status changes, user events) are at most once, like the
// port: while Redis is unreachable they are dropped (counted in dropped()); on reconnect the
// subscriber resubscribes to every channel with interest before anything else.
#include "chat/ports.hpp"
#include "realtime/shard_dispatcher.hpp"
#include "redis/connection.hpp"
#include "redis/io_thread.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::cluster {

// Where the in-order delivery reads a room's messages: history, the durable source of truth.
// The reads block (a database): an implementation runs them on threads of its own and calls
// `done` there, once per call.
class room_history {
 public:
  struct entry {
    std::int64_t seq = 0;
    std::string message_id;
    std::string payload;  // as the room's publication carries it (views::message_text)
  };
  using done_fn = std::function<void(bool ok, std::vector<entry>)>;
  virtual ~room_history() = default;
  // The room's newest message, or none.
  virtual void newest(std::int64_t chat_id, done_fn done) = 0;
  // Up to `limit` messages after `after_id` (empty: from the room's first), oldest first.
  virtual void after(std::int64_t chat_id, std::string after_id, int limit, done_fn done) = 0;
};

// The PUBLISH of a room's message as every node's redis_bus reads it: what publish_in_order
// sends, for a process that publishes without a bus of its own (the persistence worker).
redis::command room_publication(std::string_view prefix, std::int64_t chat_id, std::int64_t seq,
                                std::string_view message_id, std::string_view payload);

struct redis_bus_options {
  redis::options redis;
  std::string node_id;               // in event message ids, so they are unique in the cluster
  std::string prefix = "parley:";    // of every channel name
  room_history* history = nullptr;   // null: rooms are delivered in Redis's order, unchecked
  // How long a hole in a room's `seq` may stay open before it is read from history.
  std::chrono::milliseconds gap_wait{20};
  // A hole larger than this, or this many messages held behind one, is skipped (logged): the
  // subscribers catch up from history as after any disconnection.
  std::size_t max_gap = 1000;
  // How long when_receiving() may wait before it answers false.
  std::chrono::milliseconds subscribe_timeout{5000};
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
  void publish_in_order(std::int64_t chat_id, std::int64_t seq, std::string payload,
                        std::string message_id) override;
  void when_receiving(const std::string& destination, std::function<void(bool)> ready) override;

  // Whether Redis has answered every (UN)SUBSCRIBE this node sent for `destination` and the last
  // was a SUBSCRIBE: from then on, what anyone publishes to it reaches this node's sessions.
  // Exact while the subscriber connection stays up; an (UN)SUBSCRIBE queued across a reconnect
  // may make it turn true one confirmation early (the counts restart with the resubscribe).
  bool receiving(const std::string& destination) const;
  // Destinations with local interest (the gauge of rooms and user queues listened to here).
  std::size_t destinations_with_interest() const;
  // Publications not sent because Redis was unreachable.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Room messages read from history to fill a hole, and messages skipped (a hole too large).
  std::uint64_t filled() const { return filled_.load(std::memory_order_relaxed); }
  std::uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
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
  // In-order delivery of rooms, on the subscriber strand.
  struct held_message {
    std::string message_id, payload;
  };
  struct room_state {
    std::int64_t chat_id = 0;
    std::uint64_t generation = 0;  // tells a history answer for an earlier interest apart
    bool known = false;            // the cursor was read from history
    bool reading = false;          // a history read is in flight
    std::int64_t seq = 0;          // the last delivered
    std::string message_id;        // of the last delivered (empty: none)
    std::map<std::int64_t, held_message> held;  // arrivals ahead of the cursor
    std::chrono::steady_clock::time_point gap_since{};  // epoch: no hole open
    std::chrono::steady_clock::time_point retry_at{};   // a failed read is retried then
  };
  struct waiter {
    std::string destination;
    std::function<void(bool)> ready;
    std::chrono::steady_clock::time_point deadline;
  };
  void on_interest(const std::string& destination, bool present);
  void on_confirmed(const std::string& destination);
  void on_room_message(const std::string& destination, std::int64_t seq, std::string_view id,
                       std::string_view payload);
  void deliver_room(const std::string& destination, room_state& r, std::int64_t seq,
                    std::string_view id, std::string_view payload);
  void drain(const std::string& destination, room_state& r);
  void read_newest(const std::string& destination, room_state& r);
  void read_after(const std::string& destination, room_state& r, int limit);
  void on_history(const std::string& destination, std::uint64_t generation, bool newest, bool ok,
                  std::vector<room_history::entry> entries);
  bool ready_now(const std::string& destination) const;
  void check_waiters(const std::string& destination);
  void arm_tick();
  void tick();

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
  std::unordered_map<std::string, room_state> rooms_;  // rooms with interest, by destination
  std::uint64_t next_generation_ = 0;
  std::vector<waiter> waiters_;
  std::unique_ptr<boost::asio::steady_timer> tick_;
  bool ticking_ = false, stopping_ = false;
  std::atomic<std::uint64_t> filled_{0}, skipped_{0};
  // History reads in flight: the destructor waits for them (their answers post to the strand).
  std::mutex reads_mutex_;
  std::condition_variable reads_done_;
  int reads_ = 0;
};

}  // namespace parley::cluster
