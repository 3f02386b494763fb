#include "fanout_contract.hpp"

#include "chat/ports.hpp"

namespace parley::contract {
namespace {

TEST_P(fanout_contract, delivers_a_publication_to_subscribers_on_every_node) {
  auto a = rig->subscribe(0, "/topic/rooms/1", "ua");
  auto b = rig->subscribe(1, "/topic/rooms/1", "ub");
  rig->bus().publish("/topic/rooms/1", R"({"n":1})", "m1");
  ASSERT_TRUE(rig->wait_until([&] { return a->size() == 1 && b->size() == 1; }));
  std::lock_guard lock(a->mutex);
  EXPECT_NE(a->frames[0].find(R"({"n":1})"), std::string::npos);
  EXPECT_NE(a->frames[0].find("message-id:m1"), std::string::npos);
  EXPECT_NE(a->frames[0].find("destination:/topic/rooms/1"), std::string::npos);
}

TEST_P(fanout_contract, keeps_publish_order_per_subscriber) {
  auto a = rig->subscribe(0, "/topic/rooms/2", "ua");
  auto b = rig->subscribe(1, "/topic/rooms/2", "ub");
  constexpr int n = 500;
  for (int i = 0; i < n; ++i)
    rig->bus().publish("/topic/rooms/2", "{\"i\":" + std::to_string(i) + "}", {});
  ASSERT_TRUE(rig->wait_until([&] { return a->size() == n && b->size() == n; }));
  for (auto* r : {a.get(), b.get()}) {
    std::lock_guard lock(r->mutex);
    for (int i = 0; i < n; ++i)
      ASSERT_NE(r->frames[static_cast<std::size_t>(i)].find("{\"i\":" + std::to_string(i) + "}"),
                std::string::npos)
          << "frame " << i << " out of order";
  }
}

TEST_P(fanout_contract, does_not_deliver_other_destinations) {
  auto a = rig->subscribe(0, "/topic/rooms/3", "ua");
  auto sentinel = rig->subscribe(0, "/topic/rooms/30", "ua");
  rig->bus().publish("/topic/rooms/30", "{}", {});
  ASSERT_TRUE(rig->wait_until([&] { return sentinel->size() == 1; }));
  EXPECT_EQ(a->size(), 0u);
}

TEST_P(fanout_contract, user_queues_show_the_name_the_client_subscribed_to) {
  auto dest = chat::destinations::user_events("u1");
  auto a = rig->subscribe(1, dest, "u1");
  rig->bus().publish(dest, R"({"type":"PRESENCE"})", {});
  ASSERT_TRUE(rig->wait_until([&] { return a->size() == 1; }));
  std::lock_guard lock(a->mutex);
  EXPECT_NE(a->frames[0].find("destination:/user/queue/events"), std::string::npos);
}

TEST_P(fanout_contract, publish_to_users_reaches_each_users_queue_once_on_every_node) {
  auto u1 = rig->subscribe(0, chat::destinations::user_events("u1"), "u1");
  auto u2 = rig->subscribe(1, chat::destinations::user_events("u2"), "u2");
  auto u2_again = rig->subscribe(0, chat::destinations::user_events("u2"), "u2");  // 2nd session
  auto other = rig->subscribe(1, chat::destinations::user_events("u3"), "u3");
  rig->bus().publish_to_users({"u1", "u2"}, R"({"type":"PRESENCE","n":1})");
  rig->bus().publish_to_users({}, R"({"type":"PRESENCE","n":2})");
  rig->bus().publish(chat::destinations::user_events("u3"), R"({"sentinel":true})", {});
  ASSERT_TRUE(rig->wait_until([&] {
    return u1->size() == 1 && u2->size() == 1 && u2_again->size() == 1 && other->size() == 1;
  }));
  for (auto* r : {u1.get(), u2.get(), u2_again.get()}) {
    std::lock_guard lock(r->mutex);
    EXPECT_NE(r->frames[0].find(R"("n":1)"), std::string::npos);
    EXPECT_NE(r->frames[0].find("destination:/user/queue/events"), std::string::npos);
  }
  std::lock_guard lock(other->mutex);
  EXPECT_EQ(other->frames[0].find("PRESENCE"), std::string::npos) << "u3 was not addressed";
}

TEST_P(fanout_contract, revoke_ends_one_users_room_subscriptions_on_every_node) {
  auto gone0 = rig->subscribe(0, "/topic/rooms/4", "leaver");
  auto gone1 = rig->subscribe(1, "/topic/rooms/4/typing", "leaver");
  auto stays = rig->subscribe(1, "/topic/rooms/4", "stayer");
  rig->bus().revoke(4, "leaver");
  ASSERT_TRUE(rig->wait_until([&] {
    std::scoped_lock lock(gone0->mutex, gone1->mutex);
    return gone0->revoked == 1 && gone1->revoked == 1;
  }));
  rig->bus().publish("/topic/rooms/4", "{}", {});
  ASSERT_TRUE(rig->wait_until([&] { return stays->size() == 1; }));
  EXPECT_EQ(gone0->size(), 0u);
}

TEST_P(fanout_contract, revoke_with_no_user_ends_every_subscription_of_the_room) {
  auto a = rig->subscribe(0, "/topic/rooms/5", "ua");
  auto b = rig->subscribe(1, "/topic/rooms/5/receipts", "ub");
  rig->bus().revoke(5, "");
  ASSERT_TRUE(rig->wait_until([&] {
    std::scoped_lock lock(a->mutex, b->mutex);
    return a->revoked == 1 && b->revoked == 1;
  }));
}

}  // namespace
}  // namespace parley::contract
