#include "cluster/kafka_log.hpp"

#include "cluster/log_record.hpp"
#include "cluster/verdict.hpp"
#include "obs/metrics.hpp"

#include <spdlog/spdlog.h>

#include <type_traits>
#include <vector>

namespace parley::cluster {

namespace {

core::problem log_unavailable() {
  return core::problem::unavailable("Message log unavailable, try again");
}

// A W3C trace context for the record (issue 11 links it to the request's span).
std::string new_traceparent() {
  static constexpr char hex[] = "0123456789abcdef";
  unsigned char b[24];
  core::secure_random(b, sizeof b);
  std::string out = "00-";
  for (int i = 0; i < 24; ++i) {
    if (i == 16) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out + "-01";
}

// The answer to one write from its verdict: the log's outcome of type T, the worker's failure, or
// (no verdict) UNAVAILABLE.
template <class T>
std::function<void(const verdict*)> answer_with(chat::callback<T> done) {
  return [done = std::move(done)](const verdict* v) {
    if (!v) return done(log_unavailable());
    if (auto* p = std::get_if<core::problem>(&v->outcome)) return done(*p);
    auto* out = std::get_if<T>(&v->outcome);
    if (!out) return done(core::problem::internal("A verdict of the wrong kind"));
    T answer = *out;
    // The worker published a new message to its room itself.
    if constexpr (std::is_same_v<T, chat::appended>)
      answer.published = answer.verdict == chat::append_verdict::appended;
    done(std::move(answer));
  };
}

}  // namespace

void ensure_log_topics(const std::string& bootstrap, const std::string& topic, int partitions,
                       std::chrono::milliseconds timeout) {
  if (partitions < 1 || partitions > 10'000)
    throw std::runtime_error("cluster.kafka_partitions must be 1-10000");
  kafka::producer admin({.bootstrap = bootstrap, .client_id = "parley-admin"});
  admin.ensure_topic(topic, partitions, timeout);
  admin.ensure_topic(dead_letter_topic(topic), 1, timeout);
}

kafka_log::kafka_log(kafka_log_options o)
    : opts_(std::move(o)), channel_(verdict_channel(opts_.prefix, opts_.node_id)), io_("kafka-log") {
  auto sub = opts_.redis;
  sub.name = "parley-" + opts_.node_id + "-verdicts";
  subscriber_ = redis::connection::create(io_.executor(), sub, redis::connection::mode::subscriber);
  subscriber_->on_ready([this] { subscriber_->send_subscription({"SUBSCRIBE", channel_}); });
  subscriber_->on_push([this](redis::reply r) { on_push(r); });
  subscriber_->start();
  {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, opts_.subscribe_timeout, [this] { return subscribed_; })) {
      lock.unlock();
      subscriber_->stop();
      io_.join();
      throw core::unavailable_error("kafka log: Redis did not confirm the subscription to " +
                                    channel_);
    }
  }
  producer_ = std::make_unique<kafka::producer>(opts_.kafka);
  expirer_ = std::thread([this] { expire_loop(); });
}

kafka_log::~kafka_log() {
  close();
  subscriber_->stop();
  io_.join();
}

void kafka_log::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
  }
  producer_->flush(opts_.verdict_timeout);
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, opts_.verdict_timeout, [this] { return waiting_.empty(); });
    closed_ = true;
  }
  changed_.notify_all();
  expirer_.join();
  std::vector<answer_fn> rest;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, w] : waiting_) rest.push_back(std::move(w.answer));
    waiting_.clear();
  }
  if (!rest.empty()) spdlog::warn("kafka log: {} writes without a verdict at close", rest.size());
  for (auto& a : rest) a(nullptr);
  producer_.reset();  // reports nothing more: everything was flushed or answered
}

std::size_t kafka_log::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

std::string kafka_log::next_record_id() {
  std::lock_guard lock(mutex_);
  return ids_.next(std::chrono::system_clock::now());
}

void kafka_log::produce(std::string record_id, std::string key, std::string value,
                        answer_fn answer) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      answer(nullptr);
      return;
    }
    waiting_.emplace(record_id,
                     waiter{std::move(answer),
                            std::chrono::steady_clock::now() + opts_.verdict_timeout});
  }
  producer_->produce(opts_.topic, key, value, {{"traceparent", new_traceparent()}},
                     [this, record_id, produced = std::chrono::steady_clock::now()](
                         const kafka::delivery& d) {
                       const std::chrono::duration<double> took =
                           std::chrono::steady_clock::now() - produced;
                       obs::timings().kafka_delivery.observe(took.count());
                       if (d.ok()) return;
                       spdlog::warn("kafka log: record {} not stored: {}", record_id, d.error);
                       finish(record_id, nullptr);
                     });
}

void kafka_log::append(chat::new_message m, chat::callback<chat::appended> done) {
  append_record r;
  r.record_id = next_record_id();
  r.origin = opts_.node_id;
  r.msg = std::move(m);
  log_record rec = r;
  produce(r.record_id, record_key(rec), encode(rec), answer_with(std::move(done)));
}

void kafka_log::set_status_if_forward(std::int64_t chat_id, const std::string& message_id,
                                      const std::string& caller, chat::message_status s,
                                      chat::callback<chat::status_change> done) {
  status_record r{next_record_id(), opts_.node_id, chat_id, message_id, caller, s};
  log_record rec = r;
  produce(r.record_id, record_key(rec), encode(rec), answer_with(std::move(done)));
}

void kafka_log::advance_read_marker(std::int64_t chat_id, const std::string& user_id,
                                    const std::string& message_id,
                                    chat::callback<chat::read_change> done) {
  read_record r{next_record_id(), opts_.node_id, chat_id, user_id, message_id};
  log_record rec = r;
  produce(r.record_id, record_key(rec), encode(rec), answer_with(std::move(done)));
}

void kafka_log::on_push(const redis::reply& r) {
  auto& e = r.elements;
  if (e.empty()) return;
  if (e[0].str == "subscribe") {
    {
      std::lock_guard lock(mutex_);
      subscribed_ = true;
    }
    changed_.notify_all();
    return;
  }
  if (e[0].str != "message" || e.size() != 3) return;
  auto v = decode_verdict(e[2].str);
  if (!v) {
    spdlog::warn("kafka log: an unreadable verdict: {}", v.error());
    return;
  }
  finish(v->record_id, &*v);  // false: a replayed verdict, answered already
}

bool kafka_log::finish(const std::string& record_id, const verdict* v) {
  answer_fn answer;
  {
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(record_id);
    if (it == waiting_.end()) return false;
    answer = std::move(it->second.answer);
    waiting_.erase(it);
  }
  changed_.notify_all();
  answer(v);
  return true;
}

void kafka_log::expire_loop() {
  std::unique_lock lock(mutex_);
  while (!closed_) {
    changed_.wait_for(lock, std::chrono::milliseconds(100));
    auto now = std::chrono::steady_clock::now();
    std::vector<answer_fn> late;
    for (auto it = waiting_.begin(); it != waiting_.end();)
      if (it->second.deadline <= now) {
        late.push_back(std::move(it->second.answer));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    if (late.empty()) continue;
    lock.unlock();
    spdlog::warn("kafka log: {} writes got no verdict in time", late.size());
    for (auto& a : late) a(nullptr);
    lock.lock();
  }
}

}  // namespace parley::cluster
