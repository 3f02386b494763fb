#include "realtime/hub.hpp"

#include "obs/metrics.hpp"
#include "recording_subscriber.hpp"

#include <gtest/gtest.h>

namespace parley::realtime {
namespace {

std::shared_ptr<const std::string> text(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

TEST(hub, delivers_one_shared_body_to_each_subscriber_with_its_own_prefix) {
  hub h;
  recording_subscriber a("alice"), b("bob");
  auto pa = text("MESSAGE\nsubscription:sub-a\n"), pb = text("MESSAGE\nsubscription:sub-b\n");
  h.subscribe("/topic/rooms/1", &a, "sub-a", pa);
  h.subscribe("/topic/rooms/1", &b, "sub-b", pb);
  auto body = text("destination:/topic/rooms/1\n\nhello\0");
  h.deliver("/topic/rooms/1", body);
  ASSERT_EQ(a.got.size(), 1u);
  ASSERT_EQ(b.got.size(), 1u);
  EXPECT_EQ(a.got[0].prefix, pa);
  EXPECT_EQ(b.got[0].prefix, pb);
  EXPECT_EQ(a.got[0].body.get(), body.get()) << "the same bytes, not a copy";
  EXPECT_EQ(b.got[0].body.get(), body.get());
  EXPECT_EQ(a.got[0].size(), pa->size() + body->size());
}

TEST(hub, one_subscriber_may_hold_several_subscriptions_to_one_destination) {
  hub h;
  recording_subscriber a("alice");
  h.subscribe("/topic/rooms/1", &a, "x", text("x"));
  h.subscribe("/topic/rooms/1", &a, "y", text("y"));
  h.deliver("/topic/rooms/1", text("m"));
  EXPECT_EQ(a.got.size(), 2u);
}

TEST(hub, keeps_publication_order_per_subscriber) {
  hub h;
  recording_subscriber a("alice");
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  for (int i = 0; i < 10; ++i) h.deliver("/topic/rooms/1", text(std::to_string(i)));
  ASSERT_EQ(a.got.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(*a.got[static_cast<std::size_t>(i)].body, std::to_string(i));
}

TEST(hub, delivers_only_to_the_destination_subscribed) {
  hub h;
  recording_subscriber a("alice"), b("bob");
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.subscribe("/topic/rooms/1/typing", &b, "t", text("p"));
  h.deliver("/topic/rooms/1", text("m"));
  EXPECT_EQ(a.got.size(), 1u);
  EXPECT_TRUE(b.got.empty());
}

TEST(hub, deliver_to_an_unknown_destination_is_a_no_op) {
  hub h;
  recording_subscriber a("alice");
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.deliver("/topic/rooms/2", text("m"));
  EXPECT_TRUE(a.got.empty());
  EXPECT_EQ(h.destinations(), 1u) << "delivering creates no entry";
}

TEST(hub, unsubscribe_stops_delivery_and_forgets_an_empty_destination) {
  hub h;
  recording_subscriber a("alice"), b("bob");
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.subscribe("/topic/rooms/1", &b, "s", text("p"));
  h.unsubscribe("/topic/rooms/1", &a, "s");
  h.deliver("/topic/rooms/1", text("m"));
  EXPECT_TRUE(a.got.empty());
  EXPECT_EQ(b.got.size(), 1u) << "the same subscription id of another session is not affected";
  h.unsubscribe("/topic/rooms/1", &b, "s");
  EXPECT_EQ(h.destinations(), 0u);
}

TEST(hub, unsubscribe_removes_only_the_named_subscription) {
  hub h;
  recording_subscriber a("alice");
  h.subscribe("/topic/rooms/1", &a, "x", text("x"));
  h.subscribe("/topic/rooms/1", &a, "y", text("y"));
  h.unsubscribe("/topic/rooms/1", &a, "x");
  h.deliver("/topic/rooms/1", text("m"));
  ASSERT_EQ(a.got.size(), 1u);
  EXPECT_EQ(*a.got[0].prefix, "y");
}

TEST(hub, unsubscribing_something_unknown_is_harmless) {
  hub h;
  recording_subscriber a("alice");
  h.unsubscribe("/topic/rooms/1", &a, "nope");
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.unsubscribe("/topic/rooms/1", &a, "other");
  h.deliver("/topic/rooms/1", text("m"));
  EXPECT_EQ(a.got.size(), 1u);
  EXPECT_EQ(h.destinations(), 1u);
}

TEST(hub, revoke_by_user_ends_that_users_subscriptions_to_every_topic_of_the_room) {
  hub h;
  recording_subscriber a("alice"), b("bob");
  for (auto suffix : {"", "/typing", "/receipts"}) {
    h.subscribe(std::string("/topic/rooms/1") + suffix, &a, std::string("a") + suffix, text("p"));
    h.subscribe(std::string("/topic/rooms/1") + suffix, &b, std::string("b") + suffix, text("p"));
  }
  h.subscribe("/user/alice/queue/events", &a, "events", text("p"));
  h.revoke("/topic/rooms/1", "alice");
  EXPECT_EQ(a.revoked_ids, (std::vector<std::string>{"a", "a/typing", "a/receipts"}));
  EXPECT_TRUE(b.revoked_ids.empty());
  for (auto suffix : {"", "/typing", "/receipts"})
    h.deliver(std::string("/topic/rooms/1") + suffix, text("m"));
  h.deliver("/user/alice/queue/events", text("e"));
  EXPECT_EQ(a.got.size(), 1u) << "only the private queue is left";
  EXPECT_EQ(b.got.size(), 3u);
}

TEST(hub, revoke_without_a_user_ends_every_subscription_of_the_room) {
  hub h;
  recording_subscriber a("alice"), b("bob");
  h.subscribe("/topic/rooms/1", &a, "a", text("p"));
  h.subscribe("/topic/rooms/1/typing", &b, "b", text("p"));
  h.revoke("/topic/rooms/1", "");
  EXPECT_EQ(a.revoked_ids, std::vector<std::string>{"a"});
  EXPECT_EQ(b.revoked_ids, std::vector<std::string>{"b"});
  EXPECT_EQ(h.destinations(), 0u);
  h.deliver("/topic/rooms/1", text("m"));
  EXPECT_TRUE(a.got.empty());
}

TEST(hub, revoke_leaves_rooms_whose_id_shares_a_prefix) {
  hub h;
  recording_subscriber a("alice");
  h.subscribe("/topic/rooms/1", &a, "one", text("p"));
  h.subscribe("/topic/rooms/10", &a, "ten", text("p"));
  h.subscribe("/topic/rooms/10/typing", &a, "ten-typing", text("p"));
  h.revoke("/topic/rooms/1", "");
  EXPECT_EQ(a.revoked_ids, std::vector<std::string>{"one"});
  h.deliver("/topic/rooms/10", text("m"));
  h.deliver("/topic/rooms/10/typing", text("m"));
  EXPECT_EQ(a.got.size(), 2u);
}

TEST(hub, revoke_of_a_room_nobody_watches_is_a_no_op) {
  hub h;
  recording_subscriber a("alice");
  h.subscribe("/topic/rooms/2", &a, "s", text("p"));
  h.revoke("/topic/rooms/1", "alice");
  EXPECT_TRUE(a.revoked_ids.empty());
  EXPECT_EQ(h.destinations(), 1u);
}

using report = std::pair<std::string, bool>;

class hub_interest : public ::testing::Test {
 protected:
  hub_interest() { h.report_interest_to(interest); }
  recording_interest interest;
  hub h;
  recording_subscriber a{"alice"}, b{"bob"};
};

TEST_F(hub_interest, the_first_subscriber_of_a_destination_is_reported_once) {
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.subscribe("/topic/rooms/1", &b, "s", text("p"));
  h.subscribe("/topic/rooms/1", &a, "again", text("p"));
  EXPECT_EQ(interest.reports, (std::vector<report>{{"/topic/rooms/1", true}}));
}

TEST_F(hub_interest, the_last_unsubscribe_is_reported_once) {
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.subscribe("/topic/rooms/1", &b, "s", text("p"));
  h.unsubscribe("/topic/rooms/1", &a, "s");
  EXPECT_EQ(interest.reports.size(), 1u) << "bob still listens";
  h.unsubscribe("/topic/rooms/1", &b, "s");
  h.unsubscribe("/topic/rooms/1", &b, "s");
  EXPECT_EQ(interest.reports,
            (std::vector<report>{{"/topic/rooms/1", true}, {"/topic/rooms/1", false}}));
}

TEST_F(hub_interest, unsubscribing_something_unknown_reports_nothing) {
  h.unsubscribe("/topic/rooms/1", &a, "nope");
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.unsubscribe("/topic/rooms/1", &a, "other");
  h.unsubscribe("/topic/rooms/1", &b, "s");
  EXPECT_EQ(interest.reports, (std::vector<report>{{"/topic/rooms/1", true}}));
}

TEST_F(hub_interest, a_revoke_that_empties_a_destination_reports_it_gone) {
  h.subscribe("/topic/rooms/1", &a, "a", text("p"));
  h.subscribe("/topic/rooms/1/typing", &a, "a-typing", text("p"));
  h.subscribe("/topic/rooms/1/typing", &b, "b-typing", text("p"));
  h.revoke("/topic/rooms/1", "alice");
  EXPECT_EQ(interest.reports, (std::vector<report>{{"/topic/rooms/1", true},
                                                   {"/topic/rooms/1/typing", true},
                                                   {"/topic/rooms/1", false}}))
      << "bob still types";
  h.revoke("/topic/rooms/1", "");
  ASSERT_EQ(interest.reports.size(), 4u);
  EXPECT_EQ(interest.reports.back(), (report{"/topic/rooms/1/typing", false}));
}

TEST_F(hub_interest, subscribing_again_after_the_last_left_is_reported_again) {
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.unsubscribe("/topic/rooms/1", &a, "s");
  h.subscribe("/topic/rooms/1", &a, "s", text("p"));
  h.revoke("/topic/rooms/1", "");
  h.subscribe("/topic/rooms/1", &b, "s", text("p"));
  EXPECT_EQ(interest.reports,
            (std::vector<report>{{"/topic/rooms/1", true},
                                 {"/topic/rooms/1", false},
                                 {"/topic/rooms/1", true},
                                 {"/topic/rooms/1", false},
                                 {"/topic/rooms/1", true}}));
}

TEST_F(hub_interest, private_queues_are_reported_like_topics) {
  h.subscribe("/user/alice-id/queue/events", &a, "ev", text("p"));
  h.unsubscribe("/user/alice-id/queue/events", &a, "ev");
  EXPECT_EQ(interest.reports, (std::vector<report>{{"/user/alice-id/queue/events", true},
                                                   {"/user/alice-id/queue/events", false}}));
}

TEST(hub, counts_subscriptions_and_times_each_fan_out_for_metrics) {
  auto& c = obs::global();
  auto& t = obs::timings();
  const auto subscriptions = c.subscriptions.load();
  const auto messages = t.fanout_message.read().cumulative.back();
  const auto deliveries = t.fanout_delivery.read().cumulative.back();
  {
    hub h;
    recording_subscriber a("alice"), b("bob");
    h.subscribe("/topic/rooms/1", &a, "s", text("a"));
    h.subscribe("/topic/rooms/1", &b, "s", text("b"));
    h.subscribe("/topic/rooms/1/typing", &b, "t", text("b"));
    EXPECT_EQ(c.subscriptions.load() - subscriptions, 3);
    h.deliver("/topic/rooms/1", text("m"));
    h.deliver("/topic/rooms/2", text("nobody listens"));
    EXPECT_EQ(t.fanout_message.read().cumulative.back() - messages, 1u) << "one per message";
    EXPECT_EQ(t.fanout_delivery.read().cumulative.back() - deliveries, 2u) << "one per delivery";
    h.unsubscribe("/topic/rooms/1", &a, "s");
    EXPECT_EQ(c.subscriptions.load() - subscriptions, 2);
    h.revoke("/topic/rooms/1", "bob");
    EXPECT_EQ(c.subscriptions.load() - subscriptions, 0) << "a revocation ends both";
  }
}

}  // namespace
}  // namespace parley::realtime
