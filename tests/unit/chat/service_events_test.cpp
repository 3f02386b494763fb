// Events on /user/queue/events and presence (API.md "Events", "Presence").
#include "service_fixture.hpp"

namespace parley::chat::test {
namespace {

std::string member_body(const std::string& user_id) {
  return json::serialize(json::object{{"userId", user_id}});
}

TEST_F(chat_service, creating_a_room_announces_room_added_to_the_other_members) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id, carol.who.user_id});
  for (auto* who : {&bob, &carol}) {
    auto e = out.to(destinations::user_events(who->who.user_id), "ROOM_ADDED");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].payload.at("chatId").as_int64(), room);
    EXPECT_EQ(e[0].payload.at("room").at("name").as_string(), "team");
    EXPECT_EQ(e[0].payload.at("userId").as_string(), alice.who.user_id);
    EXPECT_TRUE(e[0].payload.at("status").is_null());
    EXPECT_TRUE(e[0].payload.at("lastSeen").is_null());
  }
  EXPECT_TRUE(out.to(destinations::user_events(alice.who.user_id)).empty());
}

TEST_F(chat_service, a_new_direct_message_announces_room_added_once) {
  auto body = json::serialize(json::object{
      {"type", "DIRECT_MESSAGE"}, {"memberIds", json::array{json::value(bob.who.user_id)}}});
  ASSERT_TRUE(chat.create_room(alice.who, body));
  ASSERT_TRUE(chat.create_room(alice.who, body));
  EXPECT_EQ(out.to(destinations::user_events(bob.who.user_id), "ROOM_ADDED").size(), 1u);
}

TEST_F(chat_service, adding_a_member_announces_member_added_and_room_added) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  out.clear();
  ASSERT_TRUE(chat.add_member(alice.who, room, member_body(carol.who.user_id)));
  for (auto* who : {&alice, &bob}) {
    auto e = out.to(destinations::user_events(who->who.user_id), "MEMBER_ADDED");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].payload.at("chatId").as_int64(), room);
    EXPECT_EQ(e[0].payload.at("userId").as_string(), carol.who.user_id);
  }
  auto added = out.to(destinations::user_events(carol.who.user_id), "ROOM_ADDED");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].payload.at("room").at("members").as_array().size(), 3u);
}

TEST_F(chat_service, removing_a_member_announces_member_removed_and_revokes_their_subscriptions) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id, carol.who.user_id});
  out.clear();
  ASSERT_TRUE(chat.remove_member(alice.who, room, carol.who.user_id));
  for (auto* who : {&alice, &bob}) {
    auto e = out.to(destinations::user_events(who->who.user_id), "MEMBER_REMOVED");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].payload.at("userId").as_string(), carol.who.user_id);
  }
  EXPECT_EQ(out.to(destinations::user_events(carol.who.user_id), "ROOM_REMOVED").size(), 1u);
  EXPECT_TRUE(out.to(destinations::user_events(carol.who.user_id), "MEMBER_REMOVED").empty());
  auto revoked = out.revoked();
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].chat_id, room);
  EXPECT_EQ(revoked[0].user_id, carol.who.user_id);
}

TEST_F(chat_service, deleting_a_room_announces_room_deleted_and_revokes_every_subscription) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id, carol.who.user_id});
  out.clear();
  ASSERT_TRUE(chat.delete_room(alice.who, room));
  for (auto* who : {&alice, &bob, &carol}) {
    auto e = out.to(destinations::user_events(who->who.user_id), "ROOM_DELETED");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].payload.at("chatId").as_int64(), room);
    EXPECT_TRUE(e[0].payload.at("room").is_null());
  }
  auto revoked = out.revoked();
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].chat_id, room);
  EXPECT_EQ(revoked[0].user_id, "") << "every subscriber";
}

TEST_F(chat_service, updating_a_room_announces_room_updated_to_every_member) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  out.clear();
  ASSERT_TRUE(chat.update_room(alice.who, room, R"({"name":"renamed"})"));
  for (auto* who : {&alice, &bob}) {
    auto e = out.to(destinations::user_events(who->who.user_id), "ROOM_UPDATED");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].payload.at("room").at("name").as_string(), "renamed");
  }
}

TEST_F(chat_service, presence_goes_online_with_the_first_session_and_offline_after_the_last) {
  env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  out.clear();
  auto presence_for_bob = [&] {
    return out.to(destinations::user_events(bob.who.user_id), "PRESENCE");
  };
  chat.session_opened(bob.who);  // bob online, so he is told about alice
  out.clear();
  chat.session_opened(alice.who);
  chat.session_opened(alice.who);
  auto online = presence_for_bob();
  ASSERT_EQ(online.size(), 1u) << "ONLINE once for two sessions";
  EXPECT_EQ(online[0].payload.at("status").as_string(), "ONLINE");
  EXPECT_EQ(online[0].payload.at("userId").as_string(), alice.who.user_id);
  EXPECT_TRUE(online[0].payload.at("lastSeen").is_null());
  EXPECT_TRUE(online[0].payload.at("chatId").is_null());

  chat.session_closed(alice.who);
  EXPECT_EQ(presence_for_bob().size(), 1u) << "one session is still open";
  auto batch = ok(chat.user_status_batch(
      bob.who, json::serialize(json::array{json::value(alice.who.user_id)})));
  EXPECT_EQ(batch.at(alice.who.user_id).at("status").as_string(), "ONLINE");

  chat.session_closed(alice.who);
  auto events = presence_for_bob();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].payload.at("status").as_string(), "OFFLINE");
  auto seen = std::string(events[1].payload.at("lastSeen").as_string());
  EXPECT_EQ(seen, core::iso8601(env.clock.now()));
  // Nobody who shares no room with alice hears about her.
  EXPECT_TRUE(out.to(destinations::user_events(carol.who.user_id), "PRESENCE").empty());

  batch = ok(chat.user_status_batch(bob.who,
                                    json::serialize(json::array{json::value(alice.who.user_id)})));
  EXPECT_EQ(batch.at(alice.who.user_id).at("status").as_string(), "OFFLINE");
  EXPECT_EQ(batch.at(alice.who.user_id).at("lastSeen").as_string(), seen);

  // Co-members who are offline get no live event (they read presence when they connect).
  chat.session_closed(bob.who);
  out.clear();
  chat.session_opened(alice.who);
  EXPECT_TRUE(presence_for_bob().empty());
}

TEST_F(chat_service, presence_of_a_user_never_seen_is_offline_with_null_last_seen) {
  auto batch = ok(chat.user_status_batch(
      alice.who, json::serialize(
                     json::array{json::value(carol.who.user_id), json::value(core::make_uuid())})));
  EXPECT_EQ(batch.at(carol.who.user_id).at("status").as_string(), "OFFLINE");
  EXPECT_TRUE(batch.at(carol.who.user_id).at("lastSeen").is_null());
  EXPECT_EQ(status_of(chat.user_status_batch(alice.who, R"({"not":"an array"})")), 400);
  EXPECT_EQ(status_of(chat.user_status_batch(alice.who, "[1,2]")), 400);
}

}  // namespace
}  // namespace parley::chat::test
