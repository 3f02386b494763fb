#pragma once
// A Kafka producer for the cluster's message log (librdkafka, Debian's librdkafka-dev 2.0).
//
// Durability first: `acks=all` and the idempotent producer (no duplicates or reordering within a
// partition when librdkafka retries), so a delivery report without error means the record is on
// every in-sync replica, in order among the records of its key. Records of one key go to one
// partition (librdkafka's default partitioner hashes the key), which is what orders a room.
//
// Threads: produce() may be called from any thread; it copies what it is given and never blocks
// on the network. Delivery reports run on the producer's own thread, in the order the broker
// acknowledged them (per partition, the produce order). A full local queue is reported at once,
// through the handler, as an error, on the calling thread (so a handler must not take a lock
// the caller of produce() holds): the caller refuses the send instead of growing memory.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::kafka {

struct options {
  std::string bootstrap;  // host:port[,host:port...]
  std::string client_id = "parley";
  // How long a record may wait to share a request with others: latency for fewer requests.
  std::chrono::milliseconds linger{1};
  // A record not acknowledged within this is reported failed (broker down, no leader).
  std::chrono::milliseconds delivery_timeout{30'000};
  // Records and bytes queued locally, then produce() reports QUEUE_FULL.
  int max_queued_records = 100'000;
  // At destruction: how long to wait for queued records before reporting them failed.
  std::chrono::milliseconds shutdown_flush{10'000};
};

struct header {
  std::string name;
  std::string value;
};

struct delivery {
  std::string error;  // empty: durable in Kafka
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  bool ok() const { return error.empty(); }
};
using delivery_handler = std::function<void(const delivery&)>;

class producer {
 public:
  // Throws std::runtime_error for a configuration librdkafka refuses. Connects lazily: a broker
  // that is down shows in delivery reports, not here.
  explicit producer(options o);
  // Waits up to options::shutdown_flush for queued records, reports the rest failed, stops the
  // thread.
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  void produce(std::string_view topic, std::string_view key, std::string_view value,
               const std::vector<header>& headers, delivery_handler done);

  // Waits until every queued record is reported; false if some remain after `timeout`.
  bool flush(std::chrono::milliseconds timeout);

  // Creates `topic` with `partitions` (replication factor: the broker's default) unless it
  // exists. Throws std::runtime_error with the broker's reason, or after `timeout`.
  void ensure_topic(const std::string& topic, int partitions, std::chrono::milliseconds timeout);

  // Records queued locally or in flight, plus delivery reports and events the poll thread has
  // not served yet (rd_kafka_outq_len): it reaches 0 shortly after the last report.
  int in_flight() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::kafka
