#include "kafka/consumer.hpp"

#include "kafka/rdkafka_support.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <map>
#include <stdexcept>
#include <utility>

namespace parley::kafka {

struct consumer::impl {
  std::unique_ptr<rd_kafka_t, detail::handle_deleter> rk;
  std::size_t max_batch = 0;
};

consumer::consumer(consumer_options o, const std::vector<std::string>& topics)
    : impl_(std::make_unique<impl>()) {
  impl_->max_batch = o.max_batch;
  std::unique_ptr<rd_kafka_conf_t, detail::conf_deleter> conf(rd_kafka_conf_new());
  detail::set(conf.get(), "bootstrap.servers", o.bootstrap);
  detail::set(conf.get(), "group.id", o.group_id);
  detail::set(conf.get(), "client.id", o.client_id);
  detail::set(conf.get(), "enable.auto.commit", "false");
  detail::set(conf.get(), "enable.auto.offset.store", "false");
  detail::set(conf.get(), "auto.offset.reset", "earliest");  // a new group reads everything
  // The default eager assignors (range, roundrobin): with cooperative-sticky, librdkafka 2.0.2's
  // clean close left the member in the group until its session timed out (measured: the next
  // member got the partitions after 10 s instead of 14 ms).
  detail::set(conf.get(), "session.timeout.ms", std::to_string(o.session_timeout.count()));
  if (!o.instance_id.empty()) detail::set(conf.get(), "group.instance.id", o.instance_id);
  rd_kafka_conf_set_log_cb(conf.get(), detail::on_log);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("kafka consumer: ") + err);
  conf.release();
  impl_->rk.reset(rk);
  rd_kafka_poll_set_consumer(rk);
  std::unique_ptr<rd_kafka_topic_partition_list_t, detail::partition_list_deleter> list(
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics)
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto e = rd_kafka_subscribe(rk, list.get()))
    throw std::runtime_error(std::string("kafka consumer: subscribe: ") + rd_kafka_err2str(e));
}

consumer::~consumer() {
  if (auto e = rd_kafka_consumer_close(impl_->rk.get()))
    spdlog::warn("kafka consumer: leaving the group: {}", rd_kafka_err2str(e));
}

std::vector<consumed> consumer::poll(std::chrono::milliseconds wait) {
  std::vector<consumed> batch;
  auto take = [&](rd_kafka_message_t* m) {
    std::unique_ptr<rd_kafka_message_t, detail::message_deleter> owned(m);
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        spdlog::warn("kafka consumer: {}", rd_kafka_message_errstr(m));
      return;
    }
    consumed c;
    c.topic = rd_kafka_topic_name(m->rkt);
    c.partition = m->partition;
    c.offset = m->offset;
    if (m->key) c.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) c.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      std::size_t size;
      for (std::size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i)
        c.headers.push_back({name, value ? std::string(static_cast<const char*>(value), size)
                                         : std::string()});
    }
    batch.push_back(std::move(c));
  };
  if (auto* m = rd_kafka_consumer_poll(impl_->rk.get(), static_cast<int>(wait.count()))) take(m);
  while (!batch.empty() && batch.size() < impl_->max_batch)
    if (auto* m = rd_kafka_consumer_poll(impl_->rk.get(), 0))
      take(m);
    else
      break;
  return batch;
}

void consumer::commit(const std::vector<consumed>& batch) {
  if (batch.empty()) return;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next;
  for (const auto& c : batch) {
    auto& n = next[{c.topic, c.partition}];
    n = std::max(n, c.offset + 1);
  }
  std::unique_ptr<rd_kafka_topic_partition_list_t, detail::partition_list_deleter> list(
      rd_kafka_topic_partition_list_new(static_cast<int>(next.size())));
  for (const auto& [tp, offset] : next)
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = offset;
  if (auto e = rd_kafka_commit(impl_->rk.get(), list.get(), 0))
    throw std::runtime_error(std::string("kafka consumer: commit: ") + rd_kafka_err2str(e));
}

std::vector<partition_lag> consumer::lag() {
  std::vector<partition_lag> out;
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(impl_->rk.get(), &assigned) || !assigned) return out;
  std::unique_ptr<rd_kafka_topic_partition_list_t, detail::partition_list_deleter> owned(assigned);
  rd_kafka_position(impl_->rk.get(), assigned);
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& tp = assigned->elems[i];
    std::int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(impl_->rk.get(), tp.topic, tp.partition, &low, &high) ||
        high < 0)
      continue;  // not fetched yet
    auto position = tp.offset >= 0 ? tp.offset : low;
    out.push_back({tp.topic, tp.partition, std::max<std::int64_t>(0, high - position)});
  }
  return out;
}

}  // namespace parley::kafka
