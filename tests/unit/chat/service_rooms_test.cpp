// Rooms and membership: API.md "Rules that hold everywhere" (Rooms, status codes).
#include "service_fixture.hpp"

namespace parley::chat::test {
namespace {

std::string member_body(const std::string& user_id) {
  return json::serialize(json::object{{"userId", user_id}});
}

std::string dm_body(const std::vector<std::string>& ids) {
  json::array a;
  for (auto& id : ids) a.push_back(json::value(id));
  return json::serialize(json::object{{"type", "DIRECT_MESSAGE"}, {"memberIds", a}});
}

TEST_F(chat_service, a_direct_message_is_created_once_per_pair) {
  auto first = chat.create_room(alice.who, dm_body({bob.who.user_id}));
  auto again = chat.create_room(alice.who, dm_body({bob.who.user_id}));
  auto reverse = chat.create_room(bob.who, dm_body({alice.who.user_id}));
  auto id = ok(first, 201).at("chatId").as_int64();
  EXPECT_EQ(ok(again, 200).at("chatId").as_int64(), id);
  EXPECT_EQ(ok(reverse, 200).at("chatId").as_int64(), id);
  EXPECT_EQ(ok(again).at("members").as_array().size(), 2u);
}

TEST_F(chat_service, a_direct_message_needs_exactly_one_other_member) {
  EXPECT_EQ(status_of(chat.create_room(alice.who, dm_body({}))), 400);
  EXPECT_EQ(status_of(chat.create_room(alice.who, dm_body({alice.who.user_id}))), 400);
  EXPECT_EQ(status_of(chat.create_room(alice.who, dm_body({bob.who.user_id, carol.who.user_id}))),
            400);
}

TEST_F(chat_service, a_group_creator_is_its_admin) {
  auto r = ok(
      chat.create_room(alice.who, json::serialize(json::object{
                                      {"type", "PRIVATE"},
                                      {"name", "team"},
                                      {"description", "d"},
                                      {"memberIds", json::array{json::value(bob.who.user_id)}}})),
      201);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r.at("name").as_string(), "team");
  EXPECT_TRUE(r.at("icon").is_null()) << "absent optional fields are null";
  for (auto& m : r.at("members").as_array())
    EXPECT_EQ(m.at("admin").as_bool(), m.at("userId").as_string() == alice.who.user_id);
}

TEST_F(chat_service, create_room_validates_type_name_and_member_ids) {
  auto bad = chat.create_room(alice.who, R"({"type":"SECRET","memberIds":["not-a-uuid"]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().status(), 400);
  EXPECT_EQ(bad.error().errors.count("type"), 1u);
  EXPECT_EQ(bad.error().errors.count("memberIds"), 1u);
  auto nameless = chat.create_room(alice.who, R"({"type":"PUBLIC"})");
  ASSERT_FALSE(nameless);
  EXPECT_EQ(nameless.error().errors.count("name"), 1u);
}

TEST_F(chat_service, a_non_member_gets_the_same_404_as_for_a_missing_room) {
  auto room = env.create_room(alice.who, "PRIVATE", "secret", {bob.who.user_id});
  auto sent = post(alice.who, room, "hello");
  auto missing = chat.get_room(carol.who, 999'999);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().status(), 404);
  for (auto r : {chat.get_room(carol.who, room), chat.members(carol.who, room),
                 chat.history(carol.who, room, {}),
                 chat.history(carol.who, room, {{"after", id_of(sent)}})}) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status(), 404);
    EXPECT_EQ(r.error().message, missing.error().message);
  }
  auto msg = chat.get_message(carol.who, id_of(sent));
  ASSERT_FALSE(msg);
  EXPECT_EQ(msg.error().status(), 404);
  EXPECT_EQ(status_of(chat.get_message(carol.who, "01ARYZ6S41TSV4RRFFQ69G5FAV")), 404);
  EXPECT_EQ(status_of(chat.get_message(carol.who, "not-an-id")), 404);
  EXPECT_EQ(status_of(chat.get_message(bob.who, id_of(sent))), 200);
}

TEST_F(chat_service, a_non_member_cannot_post_into_a_room) {
  auto room = env.create_room(alice.who, "PUBLIC", "open", {bob.who.user_id});
  auto r = chat.post_message(carol.who, room, R"({"content":"let me in"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status(), 404);
  auto stomp = send_stomp(carol.who, {{"chatRoomId", room}, {"content", "let me in"}});
  ASSERT_FALSE(stomp);
  EXPECT_EQ(stomp.error().code, parley::core::errc::not_member);
}

TEST_F(chat_service, only_admins_add_members_to_a_private_room) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  auto by_member = chat.add_member(bob.who, room, member_body(carol.who.user_id));
  ASSERT_FALSE(by_member);
  EXPECT_EQ(by_member.error().status(), 403);
  auto by_admin = ok(chat.add_member(alice.who, room, member_body(carol.who.user_id)), 201);
  EXPECT_EQ(by_admin.at("userId").as_string(), carol.who.user_id);
  EXPECT_EQ(by_admin.at("admin").as_bool(), false);
  EXPECT_EQ(status_of(chat.get_room(carol.who, room)), 200);
}

TEST_F(chat_service, any_member_adds_members_to_a_public_room) {
  auto room = env.create_room(alice.who, "PUBLIC", "lobby", {bob.who.user_id});
  ok(chat.add_member(bob.who, room, member_body(carol.who.user_id)), 201);
}

TEST_F(chat_service, adding_an_existing_member_is_409_and_an_unknown_user_404) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  EXPECT_EQ(status_of(chat.add_member(alice.who, room, member_body(bob.who.user_id))), 409);
  EXPECT_EQ(status_of(chat.add_member(alice.who, room, member_body(core::make_uuid()))), 404);
  EXPECT_EQ(status_of(chat.add_member(alice.who, room, R"({"userId":"x"})")), 400);
}

TEST_F(chat_service, a_direct_message_cannot_get_members_be_left_edited_or_deleted) {
  auto dm =
      ok(chat.create_room(alice.who, dm_body({bob.who.user_id})), 201).at("chatId").as_int64();
  EXPECT_EQ(status_of(chat.add_member(alice.who, dm, member_body(carol.who.user_id))), 400);
  EXPECT_EQ(status_of(chat.remove_member(alice.who, dm, alice.who.user_id)), 400);
  EXPECT_EQ(status_of(chat.remove_member(alice.who, dm, bob.who.user_id)), 400);
  EXPECT_EQ(status_of(chat.update_room(alice.who, dm, R"({"name":"x"})")), 400);
  EXPECT_EQ(status_of(chat.delete_room(alice.who, dm)), 400);
  EXPECT_EQ(ok(chat.members(bob.who, dm)).as_array().size(), 2u);
}

TEST_F(chat_service, the_last_admin_cannot_leave_be_removed_or_be_demoted_while_others_remain) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  auto leave = chat.remove_member(alice.who, room, alice.who.user_id);
  ASSERT_FALSE(leave);
  EXPECT_EQ(leave.error().status(), 409);
  EXPECT_NE(leave.error().message.find("promote"), std::string::npos) << leave.error().message;
  EXPECT_EQ(status_of(chat.set_admin(alice.who, room, alice.who.user_id, R"({"admin":false})")),
            409);
  // Once bob is an admin too, alice may step down or leave.
  ok(chat.set_admin(alice.who, room, bob.who.user_id, R"({"admin":true})"));
  ok(chat.remove_member(alice.who, room, alice.who.user_id));
  EXPECT_EQ(status_of(chat.get_room(alice.who, room)), 404);
  EXPECT_EQ(status_of(chat.remove_member(bob.who, room, bob.who.user_id)), 200)
      << "the last admin of a room with no other member may leave";
  EXPECT_EQ(status_of(chat.get_room(bob.who, room)), 404);
}

TEST_F(chat_service, members_may_leave_but_not_remove_others) {
  auto room = env.create_room(alice.who, "PUBLIC", "lobby", {bob.who.user_id, carol.who.user_id});
  EXPECT_EQ(status_of(chat.remove_member(bob.who, room, carol.who.user_id)), 403);
  EXPECT_EQ(status_of(chat.remove_member(bob.who, room, bob.who.user_id)), 200);
  EXPECT_EQ(status_of(chat.remove_member(alice.who, room, carol.who.user_id)), 200);
  EXPECT_EQ(status_of(chat.remove_member(alice.who, room, carol.who.user_id)), 404);
}

TEST_F(chat_service, only_admins_update_or_delete_a_room_and_update_returns_the_room) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  EXPECT_EQ(status_of(chat.update_room(bob.who, room, R"({"name":"mine"})")), 403);
  EXPECT_EQ(status_of(chat.delete_room(bob.who, room)), 403);
  auto updated = ok(chat.update_room(alice.who, room, R"({"name":"renamed","type":"PUBLIC"})"));
  EXPECT_EQ(updated.at("name").as_string(), "renamed");
  EXPECT_EQ(updated.at("type").as_string(), "PUBLIC");
  EXPECT_EQ(updated.at("description").as_string(), "d") << "absent fields keep their value";
  EXPECT_EQ(updated.at("members").as_array().size(), 2u);
  EXPECT_EQ(status_of(chat.update_room(alice.who, room, R"({"type":"DIRECT_MESSAGE"})")), 400);
  ok(chat.delete_room(alice.who, room));
  EXPECT_EQ(status_of(chat.get_room(bob.who, room)), 404);
}

TEST_F(chat_service, my_rooms_counts_unread_messages_from_others_after_the_read_marker) {
  auto room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  std::vector<std::string> ids;
  for (auto text : {"one", "two", "three"}) ids.push_back(id_of(post(alice.who, room, text)));
  post(bob.who, room, "mine");
  auto unread = [&](const identity& who) {
    auto page = ok(chat.my_rooms(who, "", ""));
    for (auto& r : page.at("content").as_array())
      if (r.at("chatId").as_int64() == room) return r.at("unreadCount").as_int64();
    ADD_FAILURE() << "room not listed";
    return std::int64_t{-1};
  };
  EXPECT_EQ(unread(bob.who), 3) << "bob's own message does not count";
  EXPECT_EQ(unread(alice.who), 1);
  ok(chat.post_read(bob.who, room, json::serialize(json::object{{"messageId", ids[1]}})));
  EXPECT_EQ(unread(bob.who), 1);
}

TEST_F(chat_service, my_rooms_lists_the_latest_message_newest_activity_first) {
  auto quiet = env.create_room(alice.who, "PRIVATE", "quiet", {});
  auto busy = env.create_room(alice.who, "PRIVATE", "busy", {});
  post(alice.who, quiet, "first");
  env.clock.advance(std::chrono::seconds(1));
  post(alice.who, busy, "latest");
  auto page = ok(chat.my_rooms(alice.who, "0", "10"));
  auto& content = page.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0].at("chatId").as_int64(), busy);
  EXPECT_EQ(content[0].at("latestMessage").at("content").as_string(), "latest");
  EXPECT_EQ(content[1].at("chatId").as_int64(), quiet);
  EXPECT_EQ(page.at("totalElements").as_int64(), 2);
  EXPECT_EQ(status_of(chat.my_rooms(alice.who, "-1", "")), 400);
  EXPECT_EQ(status_of(chat.my_rooms(alice.who, "", "lots")), 400);
}

}  // namespace
TEST(chat_service_limits, a_group_is_refused_when_a_listed_member_has_reached_the_room_limit) {
  recording_fanout out;
  limits lim;
  lim.max_rooms_per_user = 1;
  chat_env env(out, lim);
  auto a = env.register_user("limit_a");
  auto b = env.register_user("limit_b");
  auto c = env.register_user("limit_c");
  ASSERT_NE(env.create_room(c.who, "PRIVATE", "first", {b.who.user_id}), 0);
  json::object body{{"type", "PRIVATE"},
                    {"name", "second"},
                    {"memberIds", json::array{json::value(b.who.user_id)}}};
  auto r = env.chat.create_room(a.who, json::serialize(body));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status(), 409);
}

}  // namespace parley::chat::test
