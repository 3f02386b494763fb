// The cluster's username filter and rate limiter against a real Redis: what one node records,
// every node sees.
#include "cluster/redis_limits.hpp"
#include "redis_test_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

namespace parley::contract {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<cluster::redis_client> client(const std::string& node) {
  auto c = std::make_unique<cluster::redis_client>(test_redis(), node, "limits");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!c->connected()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no test Redis");
    std::this_thread::sleep_for(1ms);
  }
  return c;
}

class redis_limits : public ::testing::Test {
 protected:
  std::string suffix = std::to_string(std::random_device{}());
  std::string prefix = "t" + suffix + ":";  // a fresh namespace per test
  std::unique_ptr<cluster::redis_client> a = client("a"), b = client("b");
};

TEST_F(redis_limits, the_username_filter_is_filled_from_storage_and_shared) {
  int loads = 0;
  auto stored = [&] {
    ++loads;
    return std::vector<std::string>{"alice", "bob"};
  };
  cluster::redis_username_filter fa(*a, prefix, stored), fb(*b, prefix, stored);
  fa.fill_if_missing();
  fb.fill_if_missing();
  EXPECT_EQ(loads, 1) << "the second node finds the filter filled";
  EXPECT_TRUE(fb.maybe_taken("alice"));
  EXPECT_TRUE(fa.maybe_taken("bob"));
  EXPECT_FALSE(fb.maybe_taken("carol-" + suffix));
  fa.add("carol-" + suffix);
  EXPECT_TRUE(fb.maybe_taken("carol-" + suffix)) << "added on one node, taken on the other";
}

TEST_F(redis_limits, a_filter_lost_with_redis_answers_maybe_and_refills) {
  std::atomic<int> loads = 0;
  cluster::redis_username_filter f(*a, prefix, [&] {
    ++loads;
    return std::vector<std::string>{"alice"};
  });
  // Never filled (as after a Redis restart without persistence): no name may read as free.
  EXPECT_TRUE(f.maybe_taken("zed-" + suffix)) << "unknown, so storage must answer";
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (a->call({"EXISTS", prefix + "usernames:ready"}).integer == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(loads.load(), 1) << "refilled in the background, once";
  EXPECT_TRUE(f.maybe_taken("alice"));
  EXPECT_FALSE(f.maybe_taken("zed-" + suffix));
}

TEST_F(redis_limits, the_rate_limit_counts_every_nodes_events) {
  cluster::redis_rate_limit la(*a, prefix, "logins", 3, 60s), lb(*b, prefix, "logins", 3, 60s);
  la.record("u");
  lb.record("u");
  EXPECT_TRUE(la.allowed("u"));
  EXPECT_TRUE(lb.take("u")) << "the third event";
  EXPECT_FALSE(la.allowed("u"));
  EXPECT_FALSE(la.take("u"));
  EXPECT_TRUE(la.allowed("v")) << "keys are independent";
  lb.reset("u");
  EXPECT_TRUE(la.allowed("u")) << "a reset on one node clears it for all";
}

TEST_F(redis_limits, take_counts_only_what_it_admits_and_the_window_slides) {
  cluster::redis_rate_limit l(*a, prefix, "presigns", 2, 1s);
  EXPECT_TRUE(l.take("u"));
  EXPECT_TRUE(l.take("u"));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(l.take("u"));
  std::this_thread::sleep_for(1100ms);
  EXPECT_TRUE(l.take("u")) << "refused attempts did not extend the window";
  EXPECT_GT(a->call({"PTTL", prefix + "rl:presigns:u"}).integer, 0) << "the key expires";
}

}  // namespace
}  // namespace parley::contract
