#include "fanout_contract.hpp"

#include "chat/ports.hpp"

namespace parley::contract {
namespace {

// The frames `r` received hold `parts`, one each, in this order, and nothing else.
::testing::AssertionResult received_in_order(recording& r, const std::vector<std::string>& parts) {
  std::lock_guard lock(r.mutex);
  if (r.frames.size() != parts.size())
    return ::testing::AssertionFailure()
           << r.frames.size() << " frames, expected " << parts.size();
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (r.frames[i].find(parts[i]) == std::string::npos)
      return ::testing::AssertionFailure() << "frame " << i << " is not " << parts[i];
  return ::testing::AssertionSuccess();
}

std::string counter(int i) { return "{\"i\":" + std::to_string(i) + "}"; }

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

// Batches (chat::fanout::begin_batch/end_batch).

TEST_P(fanout_contract, a_batch_keeps_publish_order_with_what_the_thread_published_around_it) {
  auto a = rig->subscribe(0, "/topic/rooms/20", "ua");
  auto b = rig->subscribe(1, "/topic/rooms/20", "ub");
  std::vector<std::string> sent;
  auto publish = [&](int i) {
    rig->bus().publish("/topic/rooms/20", counter(i), {});
    sent.push_back(counter(i));
  };
  for (int i = 0; i < 10; ++i) publish(i);
  rig->bus().begin_batch();
  for (int i = 10; i < 20; ++i) publish(i);
  rig->bus().end_batch();
  for (int i = 20; i < 30; ++i) publish(i);
  ASSERT_TRUE(rig->wait_until([&] { return a->size() >= sent.size() && b->size() >= sent.size(); }));
  EXPECT_TRUE(received_in_order(*a, sent));
  EXPECT_TRUE(received_in_order(*b, sent));
}

TEST_P(fanout_contract, a_batch_to_many_destinations_reaches_every_subscriber_in_order) {
  constexpr int rooms = 40, rounds = 3;
  std::vector<std::shared_ptr<recording>> subs;
  for (int r = 0; r < rooms; ++r)
    subs.push_back(rig->subscribe(static_cast<unsigned>(r % 2),
                                  "/topic/rooms/" + std::to_string(100 + r), "u"));
  auto u1 = rig->subscribe(0, chat::destinations::user_events("u1"), "u1");
  auto u2 = rig->subscribe(1, chat::destinations::user_events("u2"), "u2");
  rig->bus().begin_batch();
  for (int k = 0; k < rounds; ++k) {
    for (int r = 0; r < rooms; ++r)
      rig->bus().publish("/topic/rooms/" + std::to_string(100 + r), counter(k), {});
    rig->bus().publish_to_users({"u1", "u2"}, counter(k));
  }
  rig->bus().end_batch();
  ASSERT_TRUE(rig->wait_until([&] {
    for (auto& r : subs)
      if (r->size() < rounds) return false;
    return u1->size() >= rounds && u2->size() >= rounds;
  }));
  const std::vector<std::string> expected{counter(0), counter(1), counter(2)};
  for (int r = 0; r < rooms; ++r)
    EXPECT_TRUE(received_in_order(*subs[static_cast<std::size_t>(r)], expected)) << "room " << r;
  EXPECT_TRUE(received_in_order(*u1, expected));
  EXPECT_TRUE(received_in_order(*u2, expected));
}

TEST_P(fanout_contract, begin_while_a_batch_is_open_sends_the_open_one_first) {
  auto a = rig->subscribe(0, "/topic/rooms/21", "ua");
  auto b = rig->subscribe(1, "/topic/rooms/21", "ub");
  rig->bus().begin_batch();
  rig->bus().publish("/topic/rooms/21", counter(1), {});
  rig->bus().begin_batch();
  ASSERT_TRUE(rig->wait_until([&] { return a->size() == 1 && b->size() == 1; }))
      << "the first batch was not sent when the second began";
  rig->bus().publish("/topic/rooms/21", counter(2), {});
  rig->bus().end_batch();
  ASSERT_TRUE(rig->wait_until([&] { return a->size() >= 2 && b->size() >= 2; }));
  EXPECT_TRUE(received_in_order(*a, {counter(1), counter(2)}));
  EXPECT_TRUE(received_in_order(*b, {counter(1), counter(2)}));
}

TEST_P(fanout_contract, end_without_begin_sends_nothing_twice_and_holds_nothing_back) {
  auto a = rig->subscribe(1, "/topic/rooms/22", "ua");
  rig->bus().end_batch();
  rig->bus().publish("/topic/rooms/22", counter(0), {});
  ASSERT_TRUE(rig->wait_until([&] { return a->size() == 1; })) << "held by a batch never begun";
  rig->bus().begin_batch();
  rig->bus().publish("/topic/rooms/22", counter(1), {});
  rig->bus().end_batch();
  rig->bus().end_batch();
  rig->bus().publish("/topic/rooms/22", counter(2), {});
  rig->bus().end_batch();
  // Order per destination: anything sent twice would arrive before the sentinel.
  rig->bus().publish("/topic/rooms/22", R"({"sentinel":true})", {});
  ASSERT_TRUE(rig->wait_until([&] {
    std::lock_guard lock(a->mutex);
    return !a->frames.empty() && a->frames.back().find("sentinel") != std::string::npos;
  }));
  EXPECT_TRUE(received_in_order(*a, {counter(0), counter(1), counter(2), "sentinel"}));
}

// Interest (chat::fanout::interest), as the node's hubs report it.

TEST_P(fanout_contract, interest_follows_the_first_and_the_last_subscriber_of_a_node) {
  EXPECT_EQ(rig->destinations_with_interest(0), 0u);
  auto a = rig->subscribe(0, "/topic/rooms/23", "ua");
  ASSERT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(0) == 1; }));
  auto b = rig->subscribe(1, "/topic/rooms/23", "ub");
  auto a2 = rig->subscribe(0, "/topic/rooms/23", "ua2");
  ASSERT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(1) == 1; }));
  EXPECT_EQ(rig->destinations_with_interest(0), 1u) << "one destination, however many listen";
  rig->unsubscribe(0, "/topic/rooms/23", a);
  rig->unsubscribe(0, "/topic/rooms/23", a2);
  rig->bus().publish("/topic/rooms/23", counter(1), {});
  ASSERT_TRUE(rig->wait_until([&] { return b->size() == 1; }));
  EXPECT_EQ(rig->destinations_with_interest(1), 1u);
  rig->unsubscribe(1, "/topic/rooms/23", b);
  EXPECT_TRUE(rig->wait_until([&] {
    return rig->destinations_with_interest(0) == 0 && rig->destinations_with_interest(1) == 0;
  }));
}

TEST_P(fanout_contract, private_user_queues_count_as_interest) {
  auto dest = chat::destinations::user_events("u24");
  auto a = rig->subscribe(1, dest, "u24");
  ASSERT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(1) == 1; }));
  rig->unsubscribe(1, dest, a);
  EXPECT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(1) == 0; }));
}

TEST_P(fanout_contract, a_revoke_that_empties_a_destination_ends_its_interest) {
  auto room = rig->subscribe(1, "/topic/rooms/25", "leaver");
  auto typing = rig->subscribe(1, "/topic/rooms/25/typing", "leaver");
  auto receipts = rig->subscribe(1, "/topic/rooms/25/receipts", "stayer");
  ASSERT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(1) == 3; }));
  rig->bus().revoke(25, "leaver");
  ASSERT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(1) == 1; }));
  rig->bus().revoke(25, "");
  EXPECT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(1) == 0; }));
}

TEST_P(fanout_contract, a_quick_subscribe_unsubscribe_subscribe_ends_with_interest_and_delivery) {
  auto first = rig->subscribe(0, "/topic/rooms/26", "u1");
  rig->unsubscribe(0, "/topic/rooms/26", first);
  auto second = rig->subscribe(0, "/topic/rooms/26", "u2");
  rig->unsubscribe(0, "/topic/rooms/26", second);
  auto last = rig->subscribe(0, "/topic/rooms/26", "u3");
  ASSERT_TRUE(rig->wait_until([&] { return rig->destinations_with_interest(0) == 1; }));
  rig->bus().publish("/topic/rooms/26", counter(1), {});
  ASSERT_TRUE(rig->wait_until([&] { return last->size() == 1; }));
  EXPECT_EQ(rig->destinations_with_interest(0), 1u);
  EXPECT_EQ(first->size() + second->size(), 0u);
}

}  // namespace
}  // namespace parley::contract
