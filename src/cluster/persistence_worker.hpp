#pragma once
// `parley persist`: a member of the consumer group `persistence-group` on `chat-messages`, the
// cluster's ordering point (docs/adr/0007). For each batch it polls:
//
// 1. decodes every record; a record decode() refuses is poison: it goes to `chat-messages.dlq`
//    with a `reason` header (and its source partition and offset) and is never retried;
// 2. applies the rest, in offset order, to the log it is given (the MariaDB store, whose batch
//    transaction numbers each room's messages under the room's row lock); an append carries its
//    record id, so a replay gets its first answer and is stored once;
// 3. while the database cannot be reached, retries from the first write that failed, in order,
//    with a growing delay (the writes before it are already committed; re-applying any of them
//    is a replay): a database outage delays the log, it never reorders or drops it. A write the
//    database refuses for another reason goes to the dead-letter topic, answered INTERNAL;
// 4. publishes, in one pipelined Redis write, each new message to its room (what every node's
//    redis_bus delivers in `seq` order) and each verdict to its origin node;
// 5. commits the batch's Kafka offsets. A crash before this replays the batch: step 2 recognises
//    what was stored, step 4 publishes it again (nodes drop what they delivered already).
//
// Not thread-safe: run() owns the consumer; lag() and the counters may be read from any thread.
#include "chat/storage.hpp"
#include "cluster/log_record.hpp"
#include "kafka/consumer.hpp"
#include "kafka/producer.hpp"
#include "redis/connection.hpp"
#include "redis/io_thread.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley::cluster {

inline constexpr std::string_view persistence_group = "persistence-group";

struct persistence_options {
  kafka::consumer_options consumer;  // group_id defaults to persistence_group
  kafka::options producer;           // for the dead-letter topic
  redis::options redis;
  std::string prefix = "parley:";
  std::string topic = std::string(messages_topic);
  std::chrono::milliseconds poll_wait{100};
  std::chrono::milliseconds retry_min{100}, retry_max{5'000};
  std::chrono::milliseconds publish_timeout{2'000};
};

class persistence_worker {
 public:
  persistence_worker(persistence_options o, chat::message_log& log);
  ~persistence_worker();

  // Polls, applies, publishes and commits until `stop` is set; what it holds uncommitted then is
  // left to the partition's next owner.
  void run(const std::atomic<bool>& stop);

  struct stats {
    std::uint64_t records = 0;     // applied (a replay counts again)
    std::uint64_t poison = 0;      // sent to the dead-letter topic
    std::uint64_t retries = 0;     // times a batch waited for the database
    std::uint64_t unpublished = 0; // Redis publications that failed (nodes time out, fill holes)
    std::uint64_t batches = 0;     // offsets committed
  };
  stats counters() const;
  // Whether the verdict publisher's Redis connection is up.
  bool redis_connected() const { return redis_->connected(); }
  // As of the last poll.
  std::vector<kafka::partition_lag> lag() const;

 private:
  struct item;
  bool process(std::vector<kafka::consumed>& batch, const std::atomic<bool>& stop);
  void apply(std::vector<item>& items, std::size_t from);
  bool dead_letter(const kafka::consumed& rec, const std::string& reason,
                   const std::atomic<bool>& stop);
  void publish(const std::vector<item>& items);
  bool pause(std::chrono::milliseconds& delay, const std::atomic<bool>& stop);

  persistence_options opts_;
  chat::message_log& log_;
  redis::io_thread io_;
  std::shared_ptr<redis::connection> redis_;
  std::unique_ptr<kafka::producer> dlq_;
  std::unique_ptr<kafka::consumer> consumer_;

  mutable std::mutex mutex_;  // guards stats_ and lag_
  stats stats_;
  std::vector<kafka::partition_lag> lag_;
};

}  // namespace parley::cluster
