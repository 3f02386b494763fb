#include "realtime/local_bus.hpp"

#include "recording_subscriber.hpp"
#include "stomp/parser.hpp"

#include <gtest/gtest.h>

namespace parley::realtime {
namespace {

stomp::frame parse_one(const outbound& o) {
  stomp::parser p({}, stomp::direction::server_to_client);
  std::string bytes = (o.prefix ? *o.prefix : std::string()) + *o.body;
  p.feed(bytes);
  auto ev = p.next();
  if (!ev || !std::holds_alternative<stomp::frame>(*ev)) {
    ADD_FAILURE() << "not a frame: " << bytes;
    return {};
  }
  return std::get<stomp::frame>(*ev);
}

class local_bus_test : public ::testing::Test {
 protected:
  void run_all() {
    for (unsigned i = 0; i < shards_.size(); ++i) shards_.at(i).poll();
  }
  shards shards_{2};
  hub h0, h1;
  shard_dispatcher dispatcher{shards_, {&h0, &h1}};
  local_bus bus{dispatcher};
};

TEST_F(local_bus_test, publish_reaches_the_hub_of_every_shard_with_one_shared_body) {
  recording_subscriber a("alice"), b("bob");
  h0.subscribe("/topic/rooms/1", &a, "sa",
               std::make_shared<const std::string>("MESSAGE\nsubscription:sa\n"));
  h1.subscribe("/topic/rooms/1", &b, "sb",
               std::make_shared<const std::string>("MESSAGE\nsubscription:sb\n"));
  bus.publish("/topic/rooms/1", R"({"content":"hi"})", "01ARYZ6S41TSV4RRFFQ69G5FAV");
  EXPECT_TRUE(a.got.empty()) << "delivery happens on the shard, not on the publisher's thread";
  run_all();
  ASSERT_EQ(a.got.size(), 1u);
  ASSERT_EQ(b.got.size(), 1u);
  EXPECT_EQ(a.got[0].body.get(), b.got[0].body.get()) << "serialized once";
  auto f = parse_one(b.got[0]);
  EXPECT_EQ(f.command, "MESSAGE");
  EXPECT_EQ(f.header("subscription"), "sb");
  EXPECT_EQ(f.header("destination"), "/topic/rooms/1");
  EXPECT_EQ(f.header("message-id"), "01ARYZ6S41TSV4RRFFQ69G5FAV");
  EXPECT_EQ(f.header("content-type"), "application/json");
  EXPECT_EQ(f.body, R"({"content":"hi"})");
}

TEST_F(local_bus_test, a_private_queue_shows_the_name_the_client_subscribed_to) {
  recording_subscriber a("alice");
  h0.subscribe("/user/alice-id/queue/events", &a, "ev",
               std::make_shared<const std::string>("MESSAGE\nsubscription:ev\n"));
  bus.publish("/user/alice-id/queue/events", R"({"type":"PRESENCE"})", "");
  bus.publish("/user/alice-id/queue/events", R"({"type":"PRESENCE"})", "");
  run_all();
  ASSERT_EQ(a.got.size(), 2u);
  auto f = parse_one(a.got[0]);
  EXPECT_EQ(f.header("destination"), "/user/queue/events");
  auto f2 = parse_one(a.got[1]);
  auto id1 = f.header("message-id"), id2 = f2.header("message-id");
  ASSERT_TRUE(id1 && id2);
  EXPECT_FALSE(id1->empty());
  EXPECT_NE(*id1, *id2) << "events without an id get a unique one";
}

TEST_F(local_bus_test, publications_keep_their_order) {
  recording_subscriber a("alice");
  h1.subscribe("/topic/rooms/1", &a, "s",
               std::make_shared<const std::string>("MESSAGE\nsubscription:s\n"));
  for (int i = 0; i < 20; ++i) bus.publish("/topic/rooms/1", std::to_string(i), "");
  run_all();
  ASSERT_EQ(a.got.size(), 20u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(parse_one(a.got[static_cast<std::size_t>(i)]).body, std::to_string(i));
}

TEST_F(local_bus_test, revoke_reaches_the_hub_of_every_shard) {
  recording_subscriber a("alice"), b("bob");
  h0.subscribe("/topic/rooms/7", &a, "sa", std::make_shared<const std::string>("MESSAGE\nsubscription:s\n"));
  h1.subscribe("/topic/rooms/7/typing", &b, "sb", std::make_shared<const std::string>("MESSAGE\nsubscription:s\n"));
  bus.revoke(7, "bob");
  run_all();
  EXPECT_TRUE(a.revoked_ids.empty());
  EXPECT_EQ(b.revoked_ids, std::vector<std::string>{"sb"});
  bus.revoke(7, "");
  run_all();
  EXPECT_EQ(a.revoked_ids, std::vector<std::string>{"sa"});
}

TEST_F(local_bus_test, a_batch_reaches_each_shard_as_one_task_when_it_ends) {
  recording_subscriber a("alice"), b("bob");
  h0.subscribe("/topic/rooms/1", &a, "s", std::make_shared<const std::string>("MESSAGE\nsubscription:s\n"));
  h1.subscribe(chat::destinations::user_events("bob"), &b, "ev",
               std::make_shared<const std::string>("MESSAGE\nsubscription:s\n"));
  bus.begin_batch();
  bus.publish("/topic/rooms/1", "0", "");
  bus.publish_to_users({"bob"}, "1");
  bus.publish("/topic/rooms/1", "2", "");
  run_all();
  EXPECT_TRUE(a.got.empty()) << "held until end_batch";
  bus.end_batch();
  EXPECT_EQ(shards_.at(0).poll(), 1u);
  EXPECT_EQ(shards_.at(1).poll(), 1u);
  ASSERT_EQ(a.got.size(), 2u);
  EXPECT_EQ(parse_one(a.got[0]).body, "0");
  EXPECT_EQ(parse_one(a.got[1]).body, "2");
  ASSERT_EQ(b.got.size(), 1u);
  EXPECT_EQ(parse_one(b.got[0]).body, "1");
}

TEST_F(local_bus_test, a_batch_another_bus_left_open_goes_to_that_bus_hubs) {
  shards other_shards{1};
  hub other_hub;
  shard_dispatcher other_dispatcher{other_shards, {&other_hub}};
  local_bus other{other_dispatcher};
  recording_subscriber mine("alice"), theirs("bob");
  h0.subscribe("/topic/rooms/1", &mine, "s", std::make_shared<const std::string>("MESSAGE\nsubscription:s\n"));
  other_hub.subscribe("/topic/rooms/1", &theirs, "s", std::make_shared<const std::string>("MESSAGE\nsubscription:s\n"));
  other.begin_batch();
  other.publish("/topic/rooms/1", "theirs", "");
  bus.begin_batch();
  bus.publish("/topic/rooms/1", "mine", "");
  bus.end_batch();
  run_all();
  other_shards.at(0).poll();
  ASSERT_EQ(theirs.got.size(), 1u) << "sent when the next batch began";
  EXPECT_EQ(parse_one(theirs.got[0]).body, "theirs");
  ASSERT_EQ(mine.got.size(), 1u);
  EXPECT_EQ(parse_one(mine.got[0]).body, "mine");
}

TEST_F(local_bus_test, counts_the_destinations_it_is_told_have_local_interest) {
  bus.interest("/topic/rooms/1", true);
  bus.interest("/user/alice-id/queue/events", true);
  EXPECT_EQ(bus.destinations_with_interest(), 2u);
  bus.interest("/topic/rooms/1", false);
  EXPECT_EQ(bus.destinations_with_interest(), 1u);
}

}  // namespace
}  // namespace parley::realtime
