#include "cluster/persistence_worker.hpp"

#include "chat/views.hpp"
#include "cluster/log_record.hpp"
#include "cluster/redis_bus.hpp"
#include "cluster/verdict.hpp"
#include "obs/metrics.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <future>
#include <optional>
#include <thread>

namespace parley::cluster {

struct persistence_worker::item {
  const kafka::consumed* source = nullptr;
  log_record record;
  // What the log answered on the last attempt; unset until then.
  std::optional<verdict> answer;
  bool unavailable = false;  // the last attempt could not reach the database
};

namespace {

const std::string& record_id_of(const log_record& r) {
  return std::visit([](const auto& x) -> const std::string& { return x.record_id; }, r);
}
const std::string& origin_of(const log_record& r) {
  return std::visit([](const auto& x) -> const std::string& { return x.origin; }, r);
}

// Counts the callbacks of one round of writes; wait() returns when all have come.
class round {
 public:
  void expect() {
    std::lock_guard lock(m_);
    ++open_;
  }
  void done() {
    std::lock_guard lock(m_);
    if (--open_ == 0) cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [this] { return open_ == 0; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int open_ = 0;
};

}  // namespace

persistence_worker::persistence_worker(persistence_options o, chat::message_log& log)
    : opts_(std::move(o)), log_(log), io_("persist-redis") {
  if (opts_.consumer.group_id.empty()) opts_.consumer.group_id = persistence_group;
  auto r = opts_.redis;
  r.name = "parley-persist-" + opts_.consumer.client_id;
  redis_ = redis::connection::create(io_.executor(), r);
  redis_->start();
  dlq_ = std::make_unique<kafka::producer>(opts_.producer);
  consumer_ = std::make_unique<kafka::consumer>(opts_.consumer,
                                                std::vector<std::string>{opts_.topic});
}

persistence_worker::~persistence_worker() {
  consumer_.reset();  // leaves the group first: the partitions move at once
  dlq_.reset();
  redis_->stop();
  io_.join();
}

persistence_worker::stats persistence_worker::counters() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<kafka::partition_lag> persistence_worker::lag() const {
  std::lock_guard lock(mutex_);
  return lag_;
}

void persistence_worker::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    auto batch = consumer_->poll(opts_.poll_wait);
    {
      auto lag = consumer_->lag();
      std::lock_guard lock(mutex_);
      lag_ = std::move(lag);
    }
    if (batch.empty()) continue;
    const auto started = std::chrono::steady_clock::now();
    if (!process(batch, stop)) return;  // stopped while waiting: the next owner replays
    try {
      consumer_->commit(batch);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      auto& h = obs::timings();
      h.persist_batch.observe(took.count());
      h.persist_batch_records.observe(double(batch.size()));
      std::lock_guard lock(mutex_);
      ++stats_.batches;
    } catch (const std::exception& e) {
      // The partitions moved meanwhile: their new owner applies the batch again, as a replay.
      spdlog::warn("persist: {}", e.what());
    }
  }
}

bool persistence_worker::pause(std::chrono::milliseconds& delay, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (!stop.load() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  delay = std::min(delay * 2, opts_.retry_max);
  return !stop.load();
}

bool persistence_worker::process(std::vector<kafka::consumed>& batch,
                                 const std::atomic<bool>& stop) {
  std::vector<item> items;
  items.reserve(batch.size());
  for (const auto& rec : batch) {
    auto decoded = decode(rec.value);
    if (decoded) {
      items.push_back({&rec, std::move(*decoded), std::nullopt, false});
      continue;
    }
    spdlog::warn("persist: poison record at {}/{}: {}", rec.partition, rec.offset,
                 decoded.error());
    if (!dead_letter(rec, decoded.error(), stop)) return false;
  }
  std::size_t from = 0;
  auto delay = opts_.retry_min;
  while (from < items.size()) {
    apply(items, from);
    auto next = items.size();
    for (std::size_t i = from; i < items.size(); ++i)
      if (items[i].unavailable) {
        next = i;
        break;
      }
    // Refusals other than an outage are not retried: the record is dead-lettered, answered.
    for (std::size_t i = from; i < next; ++i)
      if (auto* p = std::get_if<core::problem>(&items[i].answer->outcome)) {
        spdlog::error("persist: record {} refused by the database: {}",
                      record_id_of(items[i].record), p->message);
        if (!dead_letter(*items[i].source, "database: " + p->message, stop)) return false;
      }
    {
      std::lock_guard lock(mutex_);
      stats_.records += next - from;
      if (next < items.size()) ++stats_.retries;
    }
    if (next == items.size()) break;
    spdlog::warn("persist: the database is unavailable; retrying from record {} in {} ms",
                 record_id_of(items[next].record), delay.count());
    if (!pause(delay, stop)) return false;
    from = next;
  }
  publish(items);
  return true;
}

void persistence_worker::apply(std::vector<item>& items, std::size_t from) {
  round r;
  for (std::size_t i = from; i < items.size(); ++i) {
    auto& it = items[i];
    it.answer.reset();
    it.unavailable = false;
    r.expect();
    // Each callback writes only its own item; round::wait() orders them before the reads.
    auto settle = [&it, &r](auto&& result) {
      if (!result && result.error().code == core::errc::unavailable) it.unavailable = true;
      if (result)
        it.answer = verdict{record_id_of(it.record), std::move(*result)};
      else
        it.answer = verdict{record_id_of(it.record), result.error()};
      r.done();
    };
    std::visit(
        [&](auto& rec) {
          using T = std::decay_t<decltype(rec)>;
          if constexpr (std::is_same_v<T, append_record>) {
            auto m = rec.msg;
            m.record_id = rec.record_id;
            log_.append(std::move(m), settle);
          } else if constexpr (std::is_same_v<T, status_record>) {
            log_.set_status_if_forward(rec.chat_id, rec.message_id, rec.caller, rec.status, settle);
          } else {
            log_.advance_read_marker(rec.chat_id, rec.user_id, rec.message_id, settle);
          }
        },
        it.record);
  }
  r.wait();
}

bool persistence_worker::dead_letter(const kafka::consumed& rec, const std::string& reason,
                                     const std::atomic<bool>& stop) {
  auto headers = rec.headers;
  headers.push_back({"reason", reason});
  headers.push_back({"source.partition", std::to_string(rec.partition)});
  headers.push_back({"source.offset", std::to_string(rec.offset)});
  auto delay = opts_.retry_min;
  while (true) {
    std::promise<kafka::delivery> report;
    auto got = report.get_future();
    dlq_->produce(dead_letter_topic(opts_.topic), rec.key, rec.value, headers,
                  [&report](const kafka::delivery& d) { report.set_value(d); });
    auto d = got.get();  // within the producer's delivery timeout
    if (d.ok()) {
      std::lock_guard lock(mutex_);
      ++stats_.poison;
      return true;
    }
    // The offset must not be committed before the dead letter is durable: retry.
    spdlog::warn("persist: dead-lettering {}/{} failed: {}", rec.partition, rec.offset, d.error);
    if (!pause(delay, stop)) return false;
  }
}

void persistence_worker::publish(const std::vector<item>& items) {
  std::vector<redis::command> commands;
  commands.reserve(items.size() * 2);
  for (const auto& it : items) {
    if (!it.answer) continue;
    if (auto* a = std::get_if<chat::appended>(&it.answer->outcome);
        a && a->verdict == chat::append_verdict::appended)
      commands.push_back(room_publication(opts_.prefix, a->msg.chat_id, a->msg.seq,
                                          a->msg.message_id, chat::views::message_text(a->msg)));
    commands.push_back(
        {"PUBLISH", verdict_channel(opts_.prefix, origin_of(it.record)), encode(*it.answer)});
  }
  if (commands.empty()) return;
  auto replies = redis::call(*redis_, std::move(commands), opts_.publish_timeout);
  std::uint64_t failed = 0;
  for (auto& r : replies)
    if (!r || r->is_error()) ++failed;
  if (!failed) return;
  spdlog::warn("persist: {} Redis publications failed", failed);
  std::lock_guard lock(mutex_);
  stats_.unpublished += failed;
}

}  // namespace parley::cluster
