// The cluster adapter of the fan-out port: two "nodes", each with its own shard, hub and
// cluster::redis_bus, talking through a real Redis server (PARLEY_TEST_REDIS=host:port, or the
// throwaway server of the ctest fixture). Each test uses channels of its own.
#include "cluster/redis_bus.hpp"
#include "fanout_contract.hpp"
#include "realtime/node_interest.hpp"
#include "realtime/shards.hpp"
#include "redis_test_server.hpp"

#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <future>
#include <random>
#include <thread>
#include <unordered_map>

namespace parley::contract {
namespace {

struct node {
  node(const std::string& prefix, const std::string& id, cluster::room_history* history)
      : shard(1),
        dispatcher(shard, {&h}),
        bus(dispatcher, {test_redis(), id, prefix, history}),
        interest(bus) {
    h.report_interest_to(interest);
    shard.run();
  }
  ~node() {
    shard.stop();
    shard.join();
  }
  realtime::shards shard;
  realtime::hub h;
  realtime::shard_dispatcher dispatcher;
  cluster::redis_bus bus;
  realtime::node_interest interest;
};

class redis_rig final : public fanout_rig {
 public:
  explicit redis_rig(cluster::room_history* history = nullptr) {
    auto prefix = "t" + std::to_string(std::random_device{}()) + ":";
    nodes_[0] = std::make_unique<node>(prefix, "n0", history);
    nodes_[1] = std::make_unique<node>(prefix, "n1", history);
    if (!wait_until([&] { return nodes_[0]->bus.connected() && nodes_[1]->bus.connected(); }))
      throw std::runtime_error("the test Redis is not reachable");
  }
  chat::fanout& bus() override { return nodes_[0]->bus; }
  std::shared_ptr<recording> subscribe(unsigned n, const std::string& destination,
                                       const std::string& user_id) override {
    auto rec = std::make_shared<recording>();
    auto sub = std::make_unique<recorder>(user_id, rec);
    run_on(nodes_[n]->shard.at(0), [&, s = sub.get()] {
      nodes_[n]->h.subscribe(destination, s, "sub-" + user_id,
                             std::make_shared<const std::string>("MESSAGE\nsubscription:x\n"));
    });
    subs_.emplace(rec.get(), std::move(sub));
    EXPECT_TRUE(wait_until([&] { return nodes_[n]->bus.receiving(destination); }))
        << "Redis did not confirm the subscription to " << destination;
    return rec;
  }
  void unsubscribe(unsigned n, const std::string& destination,
                   const std::shared_ptr<recording>& r) override {
    auto* s = subs_.at(r.get()).get();
    run_on(nodes_[n]->shard.at(0),
           [&] { nodes_[n]->h.unsubscribe(destination, s, "sub-" + s->user_id()); });
  }
  bool receiving(unsigned n, const std::string& destination) {
    return nodes_[n]->bus.receiving(destination) && nodes_[n]->bus.connected();
  }
  std::size_t destinations_with_interest(unsigned n) override {
    return nodes_[n]->bus.destinations_with_interest();
  }
  cluster::redis_bus& bus_of(unsigned n) { return nodes_[n]->bus; }

 private:
  std::unique_ptr<node> nodes_[2];
  std::unordered_map<const recording*, std::unique_ptr<recorder>> subs_;
};

// Not part of the port's contract: what the Redis adapter does when its server goes away. This
// test runs a Redis of its own, which it kills and starts again on the same port.
TEST(redis_bus, resubscribes_after_the_server_restarts_and_drops_while_it_is_down) {
  const std::string script = PARLEY_REDIS_SCRIPT;
  const std::string dir = ::testing::TempDir() + "redis-restart-" +
                          std::to_string(std::random_device{}());
  auto sh = [&](const std::string& verb) {
    return std::system((script + " " + verb + " " + dir + " >/dev/null").c_str());
  };
  ASSERT_EQ(sh("start"), 0);
  std::string address;
  std::ifstream(dir + "/address") >> address;
  ::setenv("PARLEY_TEST_REDIS", address.c_str(), 1);
  {
    redis_rig rig;
    auto r = rig.subscribe(1, "/topic/rooms/1", "u");
    rig.bus().publish("/topic/rooms/1", "{\"n\":1}", "m1");
    ASSERT_TRUE(rig.wait_until([&] { return r->size() == 1; }));

    ASSERT_EQ(sh("kill"), 0);
    auto* bus = static_cast<cluster::redis_bus*>(&rig.bus());
    ASSERT_TRUE(rig.wait_until([&] { return !bus->connected(); }));
    rig.bus().publish("/topic/rooms/1", "{\"n\":2}", "m2");  // nowhere to go: dropped
    EXPECT_GE(bus->dropped(), 1u);

    ASSERT_EQ(sh("restart"), 0);
    // Node 0 publishes: its connections must be back too.
    ASSERT_TRUE(rig.wait_until(
        [&] { return bus->connected() && rig.receiving(1, "/topic/rooms/1"); }))
        << "the node did not subscribe again after the restart";
    rig.bus().publish("/topic/rooms/1", "{\"n\":3}", "m3");
    ASSERT_TRUE(rig.wait_until([&] { return r->size() == 2; }));
    std::lock_guard lock(r->mutex);
    EXPECT_NE(r->frames[1].find("{\"n\":3}"), std::string::npos) << r->frames[1];
  }
  ::unsetenv("PARLEY_TEST_REDIS");
  sh("stop");
}

// History as the bus reads it: what a room's log committed, by seq.
struct fake_history final : cluster::room_history {
  std::mutex m;
  std::map<std::int64_t, entry> rows;
  void add(std::int64_t seq) {
    std::lock_guard lock(m);
    rows[seq] = {seq, "m" + std::to_string(100 + seq), "{\"seq\":" + std::to_string(seq) + "}"};
  }
  entry row(std::int64_t seq) {
    std::lock_guard lock(m);
    return rows.at(seq);
  }
  void newest(std::int64_t, done_fn done) override {
    std::vector<entry> out;
    {
      std::lock_guard lock(m);
      if (!rows.empty()) out.push_back(rows.rbegin()->second);
    }
    done(true, std::move(out));
  }
  void after(std::int64_t, std::string after_id, int limit, done_fn done) override {
    std::vector<entry> out;
    {
      std::lock_guard lock(m);
      for (auto& [seq, e] : rows)
        if (e.message_id > after_id && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    done(true, std::move(out));
  }
};

TEST(redis_bus, delivers_a_rooms_messages_in_seq_order_once_and_fills_holes_from_history) {
  fake_history h;
  h.add(1);  // before anyone here listened: history, not live
  redis_rig rig(&h);
  const std::string room = chat::destinations::room(7);
  auto r = rig.subscribe(1, room, "u");
  std::promise<bool> ready;
  rig.bus_of(1).when_receiving(room, [&](bool ok) { ready.set_value(ok); });
  ASSERT_TRUE(ready.get_future().get()) << "the cursor is read before the RECEIPT";
  auto publish = [&](std::int64_t seq) {
    auto e = h.row(seq);
    rig.bus().publish_in_order(7, seq, e.payload, e.message_id);
  };
  // Two nodes committed 2 and 3; 3's publication overtook 2's.
  h.add(2);
  h.add(3);
  publish(3);
  publish(2);
  ASSERT_TRUE(rig.wait_until([&] { return r->size() == 2; }));
  publish(2);  // a replay
  // 4 was committed but its publication never came (its node died); 5 arrives.
  h.add(4);
  h.add(5);
  publish(5);
  ASSERT_TRUE(rig.wait_until([&] { return r->size() >= 4; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a duplicate would show by now
  std::lock_guard lock(r->mutex);
  ASSERT_EQ(r->frames.size(), 4u);
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(r->frames[i].find("{\"seq\":" + std::to_string(i + 2) + "}"), std::string::npos)
        << i << ": " << r->frames[i];
  EXPECT_EQ(rig.bus_of(1).filled(), 1u) << "4 came from history";
  EXPECT_EQ(rig.bus_of(1).skipped(), 0u);
}

INSTANTIATE_TEST_SUITE_P(redis_bus, fanout_contract,
                         ::testing::Values(fanout_adapter{
                             "redis_bus",
                             [] { return std::unique_ptr<fanout_rig>(new redis_rig()); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace parley::contract
