// The Kafka producer and consumer against a real broker (Kafka 4.1, KRaft): PARLEY_TEST_KAFKA=
// host:port, or the throwaway broker of the ctest fixture (scripts/kafka.sh). Proves what the
// message log relies on: librdkafka 2.0 speaks to Kafka 4; a delivery report without error comes
// after the record is stored, and the records of one key are stored on one partition in produce
// order with their headers; a broker that cannot be reached is reported as an error within the
// delivery timeout; a consumer group commits only what it is told to, and a member that dies
// before committing leaves its records to the next one (at least once, in order per partition).
#include "kafka/consumer.hpp"
#include "kafka/producer.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace parley::kafka {
namespace {

using namespace std::chrono_literals;

std::string test_broker() {
  if (const char* env = std::getenv("PARLEY_TEST_KAFKA"); env && *env) return env;
  std::string address;
  std::ifstream(PARLEY_TEST_KAFKA_ADDRESS_FILE) >> address;
  if (address.empty()) throw std::runtime_error("no test Kafka (PARLEY_TEST_KAFKA)");
  return address;
}

std::string fresh_topic() {
  std::random_device rd;
  return "contract-" + std::to_string(rd()) + std::to_string(rd());
}

// Counts delivery reports; waits for a number of them.
struct reports {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<delivery> got;

  delivery_handler handler() {
    return [this](const delivery& d) {
      std::lock_guard lock(mu);
      got.push_back(d);
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return got.size() >= n; });
  }
};

// Polls until `n` records arrived or `within` passed.
std::vector<consumed> take(consumer& c, std::size_t n, std::chrono::milliseconds within) {
  std::vector<consumed> out;
  auto deadline = std::chrono::steady_clock::now() + within;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline)
    for (auto& rec : c.poll(200ms)) out.push_back(std::move(rec));
  return out;
}

// Every record of `topic` (up to `n`), read from the beginning by a group of its own.
std::vector<consumed> read_all(const std::string& topic, std::size_t n) {
  consumer c({test_broker(), fresh_topic()}, {topic});
  return take(c, n, 30s);
}

std::string header_of(const consumed& c, const std::string& name) {
  for (const auto& h : c.headers)
    if (h.name == name) return h.value;
  return "(absent)";
}

TEST(kafka_producer, records_of_a_key_are_stored_on_one_partition_in_order_with_their_headers) {
  producer p({test_broker()});
  const auto topic = fresh_topic();
  constexpr int partitions = 4;
  p.ensure_topic(topic, partitions, 10s);
  p.ensure_topic(topic, partitions, 10s);  // an existing topic is fine

  constexpr int keys = 5, per_key = 40;
  reports r;
  for (int i = 0; i < per_key; ++i)
    for (int k = 0; k < keys; ++k)
      p.produce(topic, "room-" + std::to_string(k), std::to_string(i),
                {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                 {"kind", "append"}},
                r.handler());
  ASSERT_TRUE(r.wait_for(keys * per_key, 30s)) << r.got.size() << " reports";
  for (const auto& d : r.got) {
    EXPECT_TRUE(d.ok()) << d.error;
    EXPECT_GE(d.offset, 0);
  }
  // The out queue also counts delivery reports and log events not yet served by the poll
  // thread (the last report is counted until its handler returns): it drains, not instantly.
  const auto drained_by = std::chrono::steady_clock::now() + 5s;
  while (p.in_flight() != 0 && std::chrono::steady_clock::now() < drained_by)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(p.in_flight(), 0);

  auto stored = read_all(topic, keys * per_key);
  ASSERT_EQ(stored.size(), std::size_t(keys * per_key));
  std::map<std::string, std::vector<std::string>> by_key;
  std::map<std::string, std::set<std::int32_t>> partitions_of;
  for (const auto& rec : stored) {
    by_key[rec.key].push_back(rec.value);
    partitions_of[rec.key].insert(rec.partition);
    EXPECT_EQ(header_of(rec, "traceparent"),
              "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    EXPECT_EQ(header_of(rec, "kind"), "append");
  }
  for (int k = 0; k < keys; ++k) {
    const auto key = "room-" + std::to_string(k);
    EXPECT_EQ(partitions_of[key].size(), 1u) << key << " spans partitions";
    std::vector<std::string> expected;
    for (int i = 0; i < per_key; ++i) expected.push_back(std::to_string(i));
    EXPECT_EQ(by_key[key], expected) << key << " out of order";
  }
}

TEST(kafka_producer, an_unreachable_broker_is_reported_within_the_delivery_timeout) {
  auto started = std::chrono::steady_clock::now();
  reports r;
  {
    options o{"127.0.0.1:1"};  // nothing listens on port 1
    o.delivery_timeout = 1500ms;
    producer p(o);
    p.produce("nowhere", "k", "v", {}, r.handler());
    ASSERT_TRUE(r.wait_for(1, 10s));
  }
  EXPECT_FALSE(r.got.at(0).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << "the destructor must not hang";
}

TEST(kafka_producer, records_still_queued_at_destruction_are_reported_not_lost_silently) {
  reports r;
  {
    options o{"127.0.0.1:1"};
    o.delivery_timeout = 60s;  // longer than the shutdown flush: the destructor purges them
    o.shutdown_flush = 300ms;
    producer p(o);
    for (int i = 0; i < 3; ++i) p.produce("nowhere", "k", "v", {}, r.handler());
  }
  ASSERT_EQ(r.got.size(), 3u);
  for (const auto& d : r.got) EXPECT_FALSE(d.ok());
}

// Produces `n` records "<prefix><i>" under `key` and waits for their reports.
void produce_all(const std::string& topic, const std::string& key, const std::string& prefix,
                 int n) {
  producer p({test_broker()});
  reports r;
  for (int i = 0; i < n; ++i) p.produce(topic, key, prefix + std::to_string(i), {}, r.handler());
  ASSERT_TRUE(r.wait_for(n, 30s));
  for (const auto& d : r.got) ASSERT_TRUE(d.ok()) << d.error;
}

std::vector<std::string> values_of(const std::vector<consumed>& batch) {
  std::vector<std::string> out;
  for (const auto& c : batch) out.push_back(c.value);
  return out;
}

std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST(kafka_consumer, a_group_resumes_after_what_it_committed_and_nothing_else) {
  const auto topic = fresh_topic(), group = fresh_topic();
  producer({test_broker()}).ensure_topic(topic, 4, 10s);
  produce_all(topic, "room-1", "a", 30);
  {
    consumer c({test_broker(), group}, {topic});
    auto got = take(c, 30, 30s);
    EXPECT_EQ(values_of(got), numbered("a", 0, 30)) << "one key: one partition, in order";
    c.commit(got);
  }
  produce_all(topic, "room-1", "b", 5);
  consumer again({test_broker(), group}, {topic});
  auto got = take(again, 5, 30s);  // joining the group may take seconds on a loaded machine
  EXPECT_EQ(values_of(got), numbered("b", 0, 5)) << "only what was produced after the commit";
  EXPECT_TRUE(take(again, 1, 1s).empty()) << "nothing else";
}

TEST(kafka_consumer, records_a_member_took_without_committing_go_to_the_next_member) {
  const auto topic = fresh_topic(), group = fresh_topic();
  producer({test_broker()}).ensure_topic(topic, 2, 10s);
  produce_all(topic, "room-7", "m", 20);
  {
    consumer dies({test_broker(), group}, {topic});
    auto got = take(dies, 20, 30s);
    ASSERT_EQ(got.size(), 20u);
    std::vector<consumed> first_half(got.begin(), got.begin() + 10);
    dies.commit(first_half);  // the worker's COMMIT covered the first ten only
  }
  consumer next({test_broker(), group}, {topic});
  auto got = take(next, 10, 30s);
  EXPECT_EQ(values_of(got), numbered("m", 10, 20)) << "at least once: the uncommitted ten again";
  EXPECT_TRUE(take(next, 1, 1s).empty()) << "nothing else";
  for (const auto& c : got) EXPECT_EQ(c.key, "room-7");
}

}  // namespace
}  // namespace parley::kafka
