#include "kafka/producer.hpp"

#include "kafka/rdkafka_support.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace parley::kafka {

namespace detail {

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw std::runtime_error(std::string("kafka: ") + name + ": " + err);
}

void on_log(const rd_kafka_t*, int level, const char* facility, const char* message) {
  auto lvl = level <= 3 ? spdlog::level::warn : level <= 5 ? spdlog::level::info
                                                            : spdlog::level::debug;
  spdlog::log(lvl, "kafka {}: {}", facility, message);
}

}  // namespace detail

namespace {

using detail::conf_deleter;
using detail::handle_deleter;
using detail::set;

struct headers_deleter {
  void operator()(rd_kafka_headers_t* h) const { rd_kafka_headers_destroy(h); }
};
struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct event_deleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct new_topic_deleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct admin_options_deleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};

// The delivery report of one record; librdkafka hands it back with the record's opaque pointer.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  std::unique_ptr<delivery_handler> done(static_cast<delivery_handler*>(m->_private));
  if (!done || !*done) return;
  delivery d;
  if (m->err) d.error = rd_kafka_err2str(m->err);
  d.partition = m->partition;
  d.offset = m->offset;
  // An exception must not unwind through librdkafka's C frames.
  try {
    (*done)(d);
  } catch (const std::exception& e) {
    spdlog::error("kafka producer: a delivery handler threw: {}", e.what());
  }
}

void on_error(rd_kafka_t* rk, int err, const char* reason, void*) {
  // A fatal error of the idempotent producer (e.g. the broker lost its state): no record is
  // accepted any more, and every queued one fails through its delivery report.
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512];
    rd_kafka_fatal_error(rk, why, sizeof why);
    spdlog::error("kafka producer: fatal: {}", why);
    return;
  }
  // Broker down, connection refused...: librdkafka retries, and its log line (below) says so.
  spdlog::debug("kafka producer: {} ({})", reason, rd_kafka_err2name(rd_kafka_resp_err_t(err)));
}


}  // namespace

struct producer::impl {
  std::unique_ptr<rd_kafka_t, handle_deleter> rk;
  std::atomic<bool> stopping{false};
  std::chrono::milliseconds shutdown_flush;
  std::thread poller;
};

producer::producer(options o) : impl_(std::make_unique<impl>()) {
  impl_->shutdown_flush = o.shutdown_flush;
  std::unique_ptr<rd_kafka_conf_t, conf_deleter> conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", o.bootstrap);
  set(conf.get(), "client.id", o.client_id);
  set(conf.get(), "enable.idempotence", "true");  // implies acks=all, bounded in-flight requests
  set(conf.get(), "acks", "all");
  set(conf.get(), "linger.ms", std::to_string(o.linger.count()));
  set(conf.get(), "delivery.timeout.ms", std::to_string(o.delivery_timeout.count()));
  set(conf.get(), "queue.buffering.max.messages", std::to_string(o.max_queued_records));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
  rd_kafka_conf_set_error_cb(conf.get(), on_error);
  rd_kafka_conf_set_log_cb(conf.get(), detail::on_log);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("kafka producer: ") + err);
  conf.release();  // rd_kafka_new owns it now
  impl_->rk.reset(rk);
  impl_->poller = std::thread([p = impl_.get()] {
    while (!p->stopping.load(std::memory_order_relaxed)) rd_kafka_poll(p->rk.get(), 100);
  });
}

producer::~producer() {
  if (!flush(impl_->shutdown_flush))
    spdlog::warn("kafka producer: {} records not acknowledged at shutdown", in_flight());
  rd_kafka_purge(impl_->rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  impl_->stopping = true;
  impl_->poller.join();
  rd_kafka_poll(impl_->rk.get(), 0);  // the purged records' reports
}

void producer::produce(std::string_view topic, std::string_view key, std::string_view value,
                       const std::vector<header>& headers, delivery_handler done) {
  std::unique_ptr<rd_kafka_headers_t, headers_deleter> hdrs(
      rd_kafka_headers_new(headers.size()));
  for (const auto& h : headers)
    rd_kafka_header_add(hdrs.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                        h.value.data(), static_cast<ssize_t>(h.value.size()));
  auto opaque = std::make_unique<delivery_handler>(std::move(done));
  rd_kafka_resp_err_t err = rd_kafka_producev(
      impl_->rk.get(), RD_KAFKA_V_TOPIC(std::string(topic).c_str()),
      RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs.get()),
      RD_KAFKA_V_OPAQUE(opaque.get()), RD_KAFKA_V_END);
  if (err) {
    // Nothing was queued: the headers and the handler are still ours.
    if (*opaque) (*opaque)(delivery{rd_kafka_err2str(err)});
    return;
  }
  hdrs.release();
  opaque.release();
}

bool producer::flush(std::chrono::milliseconds timeout) {
  // Not rd_kafka_flush(): it would serve delivery reports on this thread too, beside the poller,
  // and the handlers are promised one thread, in order.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (rd_kafka_outq_len(impl_->rk.get()) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

int producer::in_flight() const { return rd_kafka_outq_len(impl_->rk.get()); }

void producer::ensure_topic(const std::string& topic, int partitions,
                            std::chrono::milliseconds timeout) {
  char err[512];
  std::unique_ptr<rd_kafka_NewTopic_t, new_topic_deleter> nt(
      rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, err, sizeof err));
  if (!nt) throw std::runtime_error("kafka: topic " + topic + ": " + err);
  std::unique_ptr<rd_kafka_AdminOptions_t, admin_options_deleter> opts(
      rd_kafka_AdminOptions_new(impl_->rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_request_timeout(opts.get(), static_cast<int>(timeout.count()), err,
                                            sizeof err);
  std::unique_ptr<rd_kafka_queue_t, queue_deleter> q(rd_kafka_queue_new(impl_->rk.get()));
  rd_kafka_NewTopic_t* topics[] = {nt.get()};
  rd_kafka_CreateTopics(impl_->rk.get(), topics, 1, opts.get(), q.get());
  std::unique_ptr<rd_kafka_event_t, event_deleter> ev(
      rd_kafka_queue_poll(q.get(), static_cast<int>(timeout.count()) + 1000));
  if (!ev) throw std::runtime_error("kafka: creating topic " + topic + " timed out");
  if (rd_kafka_event_error(ev.get()))
    throw std::runtime_error("kafka: creating topic " + topic + ": " +
                             rd_kafka_event_error_string(ev.get()));
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev.get());
  std::size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  for (std::size_t i = 0; i < n; ++i) {
    auto e = rd_kafka_topic_result_error(results[i]);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      throw std::runtime_error("kafka: creating topic " + topic + ": " +
                               rd_kafka_topic_result_error_string(results[i]));
  }
}

}  // namespace parley::kafka
