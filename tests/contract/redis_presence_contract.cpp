// The cluster presence adapter on the presence contract, against a real Redis; and what only a
// cluster has: one user with sessions on two nodes.
#include "cluster/redis_presence.hpp"
#include "presence_contract.hpp"
#include "redis_test_server.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

namespace parley::contract {
namespace {

std::unique_ptr<cluster::redis_presence> make_node(const std::string& node_id,
                                                   bool fast_heartbeat = false) {
  cluster::redis_presence_options o{.redis = test_redis(), .node_id = node_id};
  if (fast_heartbeat) {
    o.heartbeat = std::chrono::milliseconds(50);
    o.node_ttl = std::chrono::milliseconds(300);
  }
  auto p = std::make_unique<cluster::redis_presence>(o);
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
  // Read the raw keys with a plain connection.
  redis::io_thread io("test-reader");
  auto raw = raw_connection(io.executor());
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

TEST_F(redis_presence_nodes, a_dead_nodes_users_are_taken_offline_once_by_a_survivor) {
  std::mutex m;
  std::vector<std::string> lost;
  std::optional<core::time_point> when;
  auto record = [&](std::vector<std::string> users, core::time_point t) {
    std::lock_guard lock(m);
    // Nodes of earlier tests on the shared server die too: count this test's users only.
    for (auto& user : users)
      if (user.ends_with(suffix)) {
        lost.push_back(user);
        when = t;
      }
  };
  auto dead = make_node("dead-" + suffix, true);
  dead->start({});
  auto survivor = make_node("live-" + suffix, true);
  survivor->start(record);
  auto other = make_node("other-" + suffix, true);
  other->start(record);
  const std::string both = "both-" + suffix;
  ASSERT_TRUE(dead->connected(u));
  ASSERT_TRUE(dead->connected(both));
  ASSERT_FALSE(survivor->connected(both)) << "already online on the dead node";
  dead.reset();  // stops beating without leaving: a crash, as the others see it
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(m);
      if (!lost.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a second sweep would show now
  {
    std::lock_guard lock(m);
    EXPECT_EQ(lost, std::vector<std::string>{u})
        << "once, by one node; not the user who still has a session elsewhere";
    ASSERT_TRUE(when.has_value());
  }
  EXPECT_FALSE(survivor->online(u));
  EXPECT_TRUE(survivor->online(both));
  ASSERT_TRUE(survivor->last_seen(u).has_value());
  EXPECT_TRUE(survivor->connected(u)) << "a later session is the user's first again";
  EXPECT_TRUE(survivor->disconnected(both, t0)) << "the survivor is now the user's last node";
}

TEST_F(redis_presence_nodes, a_node_restarting_under_its_id_drops_what_it_held) {
  ASSERT_TRUE(a->connected(u));
  a.reset();  // crashed while u was online
  a = make_node("a-" + suffix);
  EXPECT_FALSE(b->online(u));
  EXPECT_TRUE(b->connected(u)) << "ONLINE is announced again, not swallowed by a stale entry";
}

TEST_F(redis_presence_nodes, a_node_swept_while_slow_puts_its_users_back) {
  auto slow = make_node("slow-" + suffix, true);
  slow->start({});
  ASSERT_TRUE(slow->connected(u));
  // What another node's sweep does when the node's registration ran out.
  redis::io_thread io("test-sweeper");
  auto conn = raw_connection(io.executor());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  redis::call(*conn, {"ZREM", "parley:nodes", "slow-" + suffix});
  redis::call(*conn, {"SREM", "parley:presence:" + u, "slow-" + suffix});
  redis::call(*conn, {"DEL", "user:online:" + u});
  while (!b->online(u) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(b->online(u)) << "the next heartbeat finds itself unregistered and repairs";
  EXPECT_FALSE(b->connected(u));
  conn->stop();
}

}  // namespace
}  // namespace parley::contract
