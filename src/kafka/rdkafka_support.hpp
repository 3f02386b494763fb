#pragma once
// What the producer and the consumer share of librdkafka: owning handles, configuration with a
// clear error, and librdkafka's log lines routed into ours. Private to src/kafka.
#include <librdkafka/rdkafka.h>

#include <string>

namespace parley::kafka::detail {

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct handle_deleter {
  void operator()(rd_kafka_t* k) const { rd_kafka_destroy(k); }
};
struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct message_deleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

// Throws std::runtime_error naming the property and librdkafka's reason.
void set(rd_kafka_conf_t* conf, const char* name, const std::string& value);

// librdkafka's log callback: its syslog levels mapped onto spdlog's.
void on_log(const rd_kafka_t*, int level, const char* facility, const char* message);

}  // namespace parley::kafka::detail
