// The presence port's contract tests (presence_contract.hpp says how adapters join).
#include "presence_contract.hpp"

#include <atomic>
#include <thread>
#include <vector>

namespace parley::contract {
namespace {

TEST_P(presence_contract, a_user_nobody_saw_is_offline_with_no_last_seen) {
  EXPECT_FALSE(p->online(u));
  EXPECT_FALSE(p->last_seen(u).has_value());
}

TEST_P(presence_contract, a_close_counted_before_its_open_cancels_it) {
  EXPECT_FALSE(p->disconnected(u, t0)) << "posted events may be reordered: no OFFLINE yet";
  EXPECT_FALSE(p->online(u));
  EXPECT_FALSE(p->connected(u)) << "the open of that close: no ONLINE either";
  EXPECT_FALSE(p->online(u));
  EXPECT_TRUE(p->connected(u)) << "a new session after that brings the user online";
  EXPECT_TRUE(p->disconnected(u, t0));
  EXPECT_FALSE(p->online(u));
}

TEST_P(presence_contract, only_the_first_session_brings_a_user_online) {
  EXPECT_TRUE(p->connected(u));
  EXPECT_FALSE(p->connected(u));
  EXPECT_TRUE(p->online(u));
}

TEST_P(presence_contract, only_the_last_session_takes_a_user_offline_and_records_last_seen) {
  p->connected(u);
  p->connected(u);
  EXPECT_FALSE(p->disconnected(u, t0));
  EXPECT_TRUE(p->online(u));
  EXPECT_TRUE(p->disconnected(u, t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(p->online(u));
  ASSERT_TRUE(p->last_seen(u).has_value());
  EXPECT_EQ(*p->last_seen(u), t0 + std::chrono::seconds(1));
}

TEST_P(presence_contract, users_are_independent) {
  p->connected(a);
  EXPECT_FALSE(p->online(b));
  EXPECT_TRUE(p->connected(b));
}

TEST_P(presence_contract, concurrent_sessions_report_exactly_one_online_and_one_offline) {
  std::atomic<int> ups{0}, downs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (p->connected(u)) ++ups;
        if (p->disconnected(u, t0)) ++downs;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(p->online(u));
  EXPECT_EQ(ups.load(), downs.load()) << "every ONLINE is matched by exactly one OFFLINE";
}

TEST_P(presence_contract, batch_reads_answer_each_user_in_order) {
  p->connected(a);
  p->connected(u);
  p->disconnected(u, t0);
  EXPECT_EQ(p->online_among({u, a, b}), std::vector<std::string>{a});
  auto seen = p->last_seen_of({a, u, b});
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[0].has_value()) << "online, never offline";
  EXPECT_EQ(seen[1], t0);
  EXPECT_FALSE(seen[2].has_value()) << "never seen";
  EXPECT_TRUE(p->online_among({}).empty());
  EXPECT_TRUE(p->last_seen_of({}).empty());
}

}  // namespace
}  // namespace parley::contract
