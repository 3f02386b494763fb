#pragma once
// The cluster's message log as the node sees it (chat::message_log): each write becomes a record
// on Kafka's `chat-messages` (cluster/log_record.hpp), and its answer is the verdict a
// persistence worker sends back once the write is committed in MariaDB (cluster/verdict.hpp,
// docs/adr/0007).
//
// A callback runs once per write, on one of this adapter's threads:
// - with the worker's verdict: the write is in Kafka (acks=all) and committed in MariaDB, so it
//   is readable from every node; an append reports `published` (the worker published it to its
//   room, in `seq` order);
// - with UNAVAILABLE when Kafka refused or did not acknowledge the record (delivery timeout,
//   full local queue), when no verdict came within `verdict_timeout`, or at close(). The write
//   may still be committed later: a retry with the same clientMessageId then gets the original.
//
// Verdicts arrive on this node's channel `<prefix>verdicts:<node id>`, subscribed before the
// constructor returns. Callbacks of one room need no order here: the worker publishes the room's
// messages itself.
#include "chat/storage.hpp"
#include "cluster/log_record.hpp"
#include "core/ids.hpp"
#include "kafka/producer.hpp"
#include "redis/connection.hpp"
#include "redis/io_thread.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace parley::cluster {

struct verdict;

struct kafka_log_options {
  kafka::options kafka;
  redis::options redis;
  std::string node_id;
  std::string prefix = "parley:";
  std::string topic = std::string(messages_topic);
  std::chrono::milliseconds verdict_timeout{10'000};
  // How long the constructor waits for the verdict channel's subscription.
  std::chrono::milliseconds subscribe_timeout{5'000};
};

// Creates `topic` (`partitions`) and its dead-letter topic unless they exist: what the first
// node or worker of a cluster to start does. Throws std::runtime_error with the broker's reason.
void ensure_log_topics(const std::string& bootstrap, const std::string& topic, int partitions,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

class kafka_log final : public chat::message_log {
 public:
  // Throws core::unavailable_error when Redis does not confirm the subscription in time.
  explicit kafka_log(kafka_log_options o);
  ~kafka_log() override;

  void append(chat::new_message m, chat::callback<chat::appended> done) override;
  void set_status_if_forward(std::int64_t chat_id, const std::string& message_id,
                             const std::string& caller, chat::message_status s,
                             chat::callback<chat::status_change> done) override;
  void advance_read_marker(std::int64_t chat_id, const std::string& user_id,
                           const std::string& message_id,
                           chat::callback<chat::read_change> done) override;
  // Flushes the producer, waits (bounded by verdict_timeout) for the verdicts of what was
  // produced, answers the rest UNAVAILABLE. Idempotent.
  void close() override;

  // Writes waiting for a verdict.
  std::size_t waiting() const;
  bool connected() const { return subscriber_->connected(); }
  // Records queued or in flight in the producer (kafka::producer::in_flight()).
  std::size_t producer_queue() const { return producer_->in_flight(); }

 private:
  // Answers the write: with the verdict, or (nullopt) UNAVAILABLE.
  using answer_fn = std::function<void(const verdict*)>;
  struct waiter {
    answer_fn answer;
    std::chrono::steady_clock::time_point deadline;
  };
  std::string next_record_id();
  void produce(std::string record_id, std::string key, std::string value, answer_fn answer);
  void on_push(const redis::reply& r);
  // Removes the waiter and answers it; false when it was answered already.
  bool finish(const std::string& record_id, const verdict* v);
  void expire_loop();

  kafka_log_options opts_;
  std::string channel_;
  redis::io_thread io_;
  std::shared_ptr<redis::connection> subscriber_;
  std::unique_ptr<kafka::producer> producer_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, waiter> waiting_;
  core::ulid_generator ids_;  // record ids, under mutex_
  bool subscribed_ = false, closed_ = false;
  std::thread expirer_;
};

}  // namespace parley::cluster
