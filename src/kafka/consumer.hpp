#pragma once
// A Kafka consumer-group member for the persistence workers (librdkafka).
//
// At-least-once, with the application deciding when a record is done: offsets are never committed
// automatically; commit() stores, synchronously, the offset after the last record of a batch per
// partition, and is called only once the batch is durable elsewhere (the MariaDB COMMIT). A
// worker that dies before it commits leaves those records to the next owner of the partition,
// which processes them again: the records' ids make that harmless (cluster/log_record.hpp).
// Within a partition, poll() returns records in offset order. Partitions are assigned by the
// group (librdkafka's default eager assignors; see consumer.cpp for why not cooperative-sticky).
//
// Not thread-safe: one thread polls, processes and commits.
#include "kafka/producer.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace parley::kafka {

struct consumer_options {
  std::string bootstrap;
  std::string group_id;
  std::string client_id = "parley";
  std::size_t max_batch = 500;  // records per poll()
  // A member silent this long is dropped from the group and its partitions move.
  std::chrono::milliseconds session_timeout{10'000};
  // Static membership (KIP-345): a member that comes back with the same instance id within the
  // session timeout gets its partitions back at once, without a rebalance; one that stops for
  // good keeps them unassigned until the timeout. Empty = dynamic membership. Unique per member:
  // a second member with the same id fences the first.
  std::string instance_id;
};

struct consumed {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<header> headers;
};

struct partition_lag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t lag = 0;  // records on the broker after this member's position
};

class consumer {
 public:
  // Joins the group and subscribes; throws std::runtime_error for a refused configuration.
  consumer(consumer_options o, const std::vector<std::string>& topics);
  // Leaves the group (its partitions move at once) without committing anything more.
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Waits up to `wait` for a first record, then takes what is already there, up to max_batch.
  std::vector<consumed> poll(std::chrono::milliseconds wait);

  // Commits the offsets after `batch` (per partition, its highest offset + 1). Throws
  // std::runtime_error when the group refuses (the partitions moved meanwhile: the new owner
  // processes the batch again).
  void commit(const std::vector<consumed>& batch);
  // Per assigned partition: the broker's high watermark (as of the last fetch) minus this
  // member's position. Does not wait on the network.
  std::vector<partition_lag> lag();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::kafka
