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
  local_bus bus{shards_, {&h0, &h1}};
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
  h0.subscribe("/topic/rooms/7", &a, "sa", std::make_shared<const std::string>("p"));
  h1.subscribe("/topic/rooms/7/typing", &b, "sb", std::make_shared<const std::string>("p"));
  bus.revoke(7, "bob");
  run_all();
  EXPECT_TRUE(a.revoked_ids.empty());
  EXPECT_EQ(b.revoked_ids, std::vector<std::string>{"sb"});
  bus.revoke(7, "");
  run_all();
  EXPECT_EQ(a.revoked_ids, std::vector<std::string>{"sa"});
}

}  // namespace
}  // namespace parley::realtime
