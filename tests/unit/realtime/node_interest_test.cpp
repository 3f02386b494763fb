#include "realtime/node_interest.hpp"

#include "recording_subscriber.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace parley::realtime {
namespace {

using report = std::pair<std::string, bool>;

// A bus that only keeps what it is told about interest, in arrival order.
class interest_recorder final : public chat::fanout {
 public:
  void publish(std::string, std::string, std::string) override {}
  void publish_to_users(std::vector<std::string>, std::string) override {}
  void revoke(std::int64_t, std::string) override {}
  void interest(const std::string& destination, bool present) override {
    std::lock_guard lock(mutex_);
    reports_.emplace_back(destination, present);
  }
  std::vector<report> reports() {
    std::lock_guard lock(mutex_);
    return reports_;
  }

 private:
  std::mutex mutex_;
  std::vector<report> reports_;
};

std::shared_ptr<const std::string> prefix() { return std::make_shared<const std::string>("p"); }

// Two shards' hubs reporting to one node_interest, and two sessions.
struct two_hubs : ::testing::Test {
  two_hubs() {
    h0.report_interest_to(interest);
    h1.report_interest_to(interest);
  }
  interest_recorder bus;
  node_interest interest{bus};
  hub h0, h1;
  recording_subscriber a{"alice"}, b{"bob"};
};

TEST_F(two_hubs, tells_the_bus_when_the_first_shard_gains_a_destination_and_the_last_loses_it) {
  h0.subscribe("/topic/rooms/1", &a, "s", prefix());
  h1.subscribe("/topic/rooms/1", &b, "s", prefix());
  h1.subscribe("/user/bob-id/queue/events", &b, "ev", prefix());
  EXPECT_EQ(interest.rooms(), 1u) << "a room's message topic, not a user queue";
  EXPECT_EQ(bus.reports(), (std::vector<report>{{"/topic/rooms/1", true},
                                                {"/user/bob-id/queue/events", true}}));
  h0.unsubscribe("/topic/rooms/1", &a, "s");
  EXPECT_EQ(bus.reports().size(), 2u) << "shard 1 still listens";
  h1.revoke("/topic/rooms/1", "bob");
  EXPECT_EQ(interest.rooms(), 0u);
  h0.subscribe("/topic/rooms/1", &a, "s", prefix());
  EXPECT_EQ(interest.rooms(), 1u);
  EXPECT_EQ(bus.reports(), (std::vector<report>{{"/topic/rooms/1", true},
                                                {"/user/bob-id/queue/events", true},
                                                {"/topic/rooms/1", false},
                                                {"/topic/rooms/1", true}}));
}

// Several shard threads subscribe and unsubscribe a few destinations as fast as they can, so the
// node-wide first and last come from different threads at nearly the same time.
TEST(node_interest, concurrent_churn_on_several_shards_ends_in_the_true_state_with_alternating_reports) {
  constexpr unsigned threads = 4, destinations = 6, rounds = 20000;
  interest_recorder bus;
  node_interest interest(bus);
  std::vector<hub> hubs(threads);
  std::vector<recording_subscriber> subs;
  subs.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    hubs[t].report_interest_to(interest);
    subs.emplace_back("u" + std::to_string(t));
  }
  auto dest = [](unsigned d) { return "/topic/rooms/" + std::to_string(d); };
  std::vector<std::thread> shard_threads;
  for (unsigned t = 0; t < threads; ++t)
    shard_threads.emplace_back([&, t] {
      std::minstd_rand random(t + 1);
      std::vector<bool> held(destinations);
      for (unsigned i = 0; i < rounds; ++i) {
        auto d = static_cast<unsigned>(random() % destinations);
        if (held[d])
          hubs[t].unsubscribe(dest(d), &subs[t], "s");
        else
          hubs[t].subscribe(dest(d), &subs[t], "s", prefix());
        held[d] = !held[d];
      }
      // Ends holding only destination t, so destinations 0..threads-1 stay wanted, the rest not.
      for (unsigned d = 0; d < destinations; ++d)
        if (held[d] != (d == t)) {
          if (held[d])
            hubs[t].unsubscribe(dest(d), &subs[t], "s");
          else
            hubs[t].subscribe(dest(d), &subs[t], "s", prefix());
        }
    });
  for (auto& th : shard_threads) th.join();

  std::map<std::string, std::vector<bool>> by_destination;
  for (auto& [d, present] : bus.reports()) by_destination[d].push_back(present);
  ASSERT_EQ(by_destination.size(), destinations);
  for (unsigned d = 0; d < destinations; ++d) {
    auto& seq = by_destination[dest(d)];
    ASSERT_FALSE(seq.empty());
    for (std::size_t i = 0; i < seq.size(); ++i)
      ASSERT_EQ(seq[i], i % 2 == 0) << dest(d) << " report " << i << " does not alternate";
    EXPECT_EQ(seq.back(), d < threads) << dest(d) << " ends in the wrong state";
  }
}

TEST_F(two_hubs, counts_the_rooms_whose_message_topic_has_a_subscriber_here) {
  h0.subscribe("/topic/rooms/1/typing", &a, "t", prefix());
  h0.subscribe("/topic/rooms/2/receipts", &a, "r", prefix());
  EXPECT_EQ(interest.rooms(), 0u) << "typing and receipts are not the room's messages";
  h0.subscribe("/topic/rooms/1", &a, "m", prefix());
  h1.subscribe("/topic/rooms/1", &b, "m", prefix());
  h1.subscribe("/topic/rooms/3", &b, "m3", prefix());
  EXPECT_EQ(interest.rooms(), 2u) << "room 1 once, however many shards listen";
  h0.unsubscribe("/topic/rooms/1", &a, "m");
  EXPECT_EQ(interest.rooms(), 2u);
  h1.unsubscribe("/topic/rooms/1", &b, "m");
  h1.unsubscribe("/topic/rooms/3", &b, "m3");
  EXPECT_EQ(interest.rooms(), 0u);
}

}  // namespace
}  // namespace parley::realtime
