#pragma once
// The records of the cluster's message log: Kafka topic `chat-messages`, key = the room id, so
// one room's records stay on one partition, in the order its nodes produced them (ADR 0007).
//
// A record carries everything the sender decided and nothing the ordering point decides: no
// message id, no `seq`, no timestamp (the persistence worker's sequencer makes them inside its
// MariaDB transaction). `record_id` is a ULID made by the producing node: the record's
// idempotency key, so a record replayed after a worker crash is recognised, never stored twice.
// `origin` names the node waiting to answer the client.
//
// The value is one JSON object with a version, `"v":1`. decode() treats it as hostile: a record
// it refuses is poison, sent with the reason to `chat-messages.dlq` by the worker, never retried.
// It checks shapes and bounds only; membership, retries and forward-only statuses are the
// worker's conditional writes.
#include "chat/model.hpp"
#include "chat/storage.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace parley::cluster {

// The default names (cluster.kafka_topic); a topic's dead letters go to `<topic>.dlq`.
inline constexpr std::string_view messages_topic = "chat-messages";
inline std::string dead_letter_topic(std::string_view topic) { return std::string(topic) + ".dlq"; }
// Records larger than this are poison unread: a TEXT of 4,000 characters of 4 UTF-8 bytes each
// escaped as \uXXXX pairs is about 48 KiB.
inline constexpr std::size_t max_record_bytes = 64 * 1024;
inline constexpr std::size_t max_node_id_chars = 128;

struct append_record {
  std::string record_id;
  std::string origin;
  chat::new_message msg;
  bool operator==(const append_record&) const;
};

struct status_record {
  std::string record_id;
  std::string origin;
  std::int64_t chat_id = 0;
  std::string message_id;
  std::string caller;
  chat::message_status status = chat::message_status::delivered;
  bool operator==(const status_record&) const = default;
};

struct read_record {
  std::string record_id;
  std::string origin;
  std::int64_t chat_id = 0;
  std::string user_id;
  std::string message_id;
  bool operator==(const read_record&) const = default;
};

using log_record = std::variant<append_record, status_record, read_record>;

// The Kafka key: the room id in decimal.
std::string record_key(const log_record& r);
std::string encode(const log_record& r);
// The record, or why it is poison (one line, for the dead-letter record and the log).
boost::system::result<log_record, std::string> decode(std::string_view value);

}  // namespace parley::cluster
