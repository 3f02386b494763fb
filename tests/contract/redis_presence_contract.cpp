// The cluster presence adapter on the presence contract, against a real Redis; and what only a
// cluster has: one user with sessions on two nodes.
#include "cluster/redis_presence.hpp"
#include "presence_contract.hpp"
#include "redis_test_server.hpp"

#include <chrono>
#include <thread>

namespace parley::contract {
namespace {

std::unique_ptr<cluster::redis_presence> make_node(const std::string& node_id) {
  auto p = std::make_unique<cluster::redis_presence>(
      cluster::redis_presence_options{.redis = test_redis(), .node_id = node_id});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!p->reachable()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the test Redis is not reachable");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return p;
}

INSTANTIATE_TEST_SUITE_P(redis, presence_contract,
                         ::testing::Values(presence_adapter{
                             "redis",
                             [] {
                               return std::unique_ptr<chat::presence>(make_node(
                                   "n-" + std::to_string(std::random_device{}())));
                             }}),
                         [](const auto& info) { return info.param.name; });

class redis_presence_nodes : public ::testing::Test {
 protected:
  std::string suffix = std::to_string(std::random_device{}());
  std::string u = "u-" + suffix;
  std::unique_ptr<cluster::redis_presence> a = make_node("a-" + suffix);
  std::unique_ptr<cluster::redis_presence> b = make_node("b-" + suffix);
  core::time_point t0 = core::from_epoch_ms(1'700'000'000'000);
};

TEST_F(redis_presence_nodes, a_user_on_two_nodes_goes_online_once_and_offline_once) {
  EXPECT_TRUE(a->connected(u)) << "first session anywhere";
  EXPECT_FALSE(b->connected(u)) << "first session on b, but the user is already online";
  EXPECT_TRUE(b->online(u));
  EXPECT_FALSE(a->disconnected(u, t0)) << "b still has a session";
  EXPECT_TRUE(a->online(u)) << "every node reads the cluster's state";
  EXPECT_TRUE(b->disconnected(u, t0 + std::chrono::seconds(5))) << "the last session anywhere";
  EXPECT_FALSE(a->online(u));
  ASSERT_TRUE(a->last_seen(u).has_value());
  EXPECT_EQ(*a->last_seen(u), t0 + std::chrono::seconds(5));
}

TEST_F(redis_presence_nodes, the_keys_are_the_original_systems) {
  a->connected(u);
  auto conn = test_redis();
  // Read the raw keys with a plain connection.
  redis::io_thread io("test-reader");
  auto raw = redis::connection::create(io.executor(), conn);
  raw->start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!raw->connected() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto value = redis::call(*raw, {"GET", "user:online:" + u});
  ASSERT_TRUE(value);
  EXPECT_EQ(value->str, "true");
  auto ttl = redis::call(*raw, {"TTL", "user:online:" + u});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 40);
  a->disconnected(u, t0);
  auto seen = redis::call(*raw, {"GET", "user:last_seen:" + u});
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->str, std::to_string(core::epoch_ms(t0)));
  EXPECT_EQ(redis::call(*raw, {"EXISTS", "user:online:" + u})->integer, 0);
  raw->stop();
}

}  // namespace
}  // namespace parley::contract
