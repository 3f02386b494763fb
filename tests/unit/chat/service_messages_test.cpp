// Messages: order, idempotency, history cursors, status and read markers (API.md "Messages and
// order", "STOMP behaviour").
#include "service_fixture.hpp"

namespace parley::chat::test {
namespace {

class chat_service_messages : public chat_service {
 protected:
  void SetUp() override {
    chat_service::SetUp();
    room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  }
  json::object status_body(const std::string& id, const char* status) {
    return {{"messageId", id}, {"chatRoomId", room}, {"status", status}};
  }
  std::string status_in_db(const std::string& id) {
    auto m = ok(chat.get_message(alice.who, id));
    return std::string(m.at("status").as_string());
  }
  std::int64_t room = 0;
};

TEST_F(chat_service_messages, messages_get_contiguous_seq_and_strictly_increasing_ids) {
  std::string prev;
  for (int i = 1; i <= 20; ++i) {
    auto m = post(i % 2 ? alice.who : bob.who, room, "m" + std::to_string(i));
    EXPECT_EQ(m.at("seq").as_int64(), i);
    EXPECT_TRUE(core::is_ulid(id_of(m)));
    EXPECT_GT(id_of(m), prev);
    prev = id_of(m);
  }
}

TEST_F(chat_service_messages, a_message_takes_its_sender_from_the_token_not_the_body) {
  auto r = ok(chat.post_message(
                  alice.who, room,
                  json::serialize(json::object{{"content", "hi"}, {"userId", bob.who.user_id}})),
              201);
  EXPECT_EQ(r.at("userId").as_string(), alice.who.user_id);
  EXPECT_EQ(r.at("status").as_string(), "SENT");
  EXPECT_EQ(r.at("type").as_string(), "TEXT");
  EXPECT_TRUE(r.at("clientMessageId").is_null());
}

TEST_F(chat_service_messages, a_new_message_is_published_to_the_room_topic_with_its_id) {
  auto m = post(alice.who, room, "hello");
  auto pubs = out.to(destinations::room(room));
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].message_id, id_of(m));
  EXPECT_EQ(pubs[0].payload.at("content").as_string(), "hello");
}

TEST_F(chat_service_messages, content_is_validated) {
  auto empty = chat.post_message(alice.who, room, R"({"content":""})");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().status(), 400);
  EXPECT_EQ(empty.error().errors.count("content"), 1u);
  // 4,000 characters (not bytes) is the limit.
  std::string max_text;
  for (int i = 0; i < 4000; ++i) max_text += "é";
  post(alice.who, room, max_text);
  EXPECT_EQ(status_of(chat.post_message(
                alice.who, room, json::serialize(json::object{{"content", max_text + "e"}}))),
            400);
  EXPECT_EQ(status_of(chat.post_message(alice.who, room, R"({"content":"x","type":"VIDEO"})")),
            400);
  EXPECT_EQ(
      status_of(chat.post_message(alice.who, room, R"({"content":"not a url","type":"IMAGE"})")),
      400);
  EXPECT_EQ(
      status_of(chat.post_message(alice.who, room, R"({"content":"/media/abc","type":"IMAGE"})")),
      201);
  EXPECT_EQ(status_of(chat.post_message(
                alice.who, room,
                json::serialize(
                    json::object{{"content", "x"}, {"clientMessageId", std::string(65, 'c')}}))),
            400);
}

TEST_F(chat_service_messages, a_resend_with_the_same_client_message_id_creates_no_duplicate) {
  auto first = post(alice.who, room, "once", "c-1", 201);
  auto again = post(alice.who, room, "once", "c-1", 200);
  EXPECT_EQ(id_of(again), id_of(first));
  EXPECT_EQ(again.at("clientMessageId").as_string(), "c-1");
  auto stomp = send_stomp(alice.who,
                          {{"chatRoomId", room}, {"content", "once"}, {"clientMessageId", "c-1"}});
  ASSERT_TRUE(stomp) << stomp.error().message;
  EXPECT_EQ(*stomp, id_of(first)) << "the RECEIPT carries the original id";
  EXPECT_EQ(history(alice.who, room, {}).at("totalElements").as_int64(), 1);
  EXPECT_EQ(out.to(destinations::room(room)).size(), 1u) << "published once";
  // The key is per sender: bob may use the same one.
  auto bobs = post(bob.who, room, "mine", "c-1", 201);
  EXPECT_NE(id_of(bobs), id_of(first));
}

TEST_F(chat_service_messages, stomp_send_accepts_a_chat_room_id_sent_as_a_string) {
  auto r =
      send_raw(alice.who, R"({"chatRoomId":")" + std::to_string(room) + R"(","content":"hi"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(core::is_ulid(*r));
}

TEST_F(chat_service_messages, stomp_send_refuses_an_invalid_body_with_invalid_body) {
  for (std::string_view body :
       {"{not json", "[]", R"({"content":"no room"})", R"({"chatRoomId":true,"content":"x"})"}) {
    auto r = send_raw(alice.who, body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, parley::core::errc::invalid_body) << body;
  }
}

TEST_F(chat_service_messages, history_pages_are_newest_first_and_size_is_clamped) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(id_of(post(alice.who, room, "m" + std::to_string(i))));
  auto page0 = history(bob.who, room, {{"page", "0"}, {"size", "2"}});
  EXPECT_EQ(ids_in(page0), (std::vector<std::string>{ids[4], ids[3]}));
  EXPECT_EQ(page0.at("totalElements").as_int64(), 5);
  EXPECT_EQ(page0.at("totalPages").as_int64(), 3);
  EXPECT_EQ(page0.at("last").as_bool(), false);
  auto page2 = history(bob.who, room, {{"page", "2"}, {"size", "2"}});
  EXPECT_EQ(ids_in(page2), (std::vector<std::string>{ids[0]}));
  EXPECT_EQ(page2.at("last").as_bool(), true);
  EXPECT_EQ(history(bob.who, room, {{"size", "1000"}}).at("size").as_int64(), 100);
  EXPECT_EQ(history(bob.who, room, {}).at("size").as_int64(), 20);
  EXPECT_EQ(status_of(chat.history(bob.who, room, {{"page", "x"}})), 400);
}

TEST_F(chat_service_messages, history_cursors_read_oldest_first_with_has_more) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(id_of(post(alice.who, room, "m" + std::to_string(i))));
  auto after = history(bob.who, room, {{"after", ids[0]}, {"limit", "2"}});
  EXPECT_EQ(ids_in(after), (std::vector<std::string>{ids[1], ids[2]}));
  EXPECT_TRUE(after.at("hasMore").as_bool());
  auto tail = history(bob.who, room, {{"after", ids[2]}, {"limit", "2"}});
  EXPECT_EQ(ids_in(tail), (std::vector<std::string>{ids[3], ids[4]}));
  EXPECT_FALSE(tail.at("hasMore").as_bool());
  auto caught_up = history(bob.who, room, {{"after", ids[4]}});
  EXPECT_TRUE(ids_in(caught_up).empty());
  EXPECT_FALSE(caught_up.at("hasMore").as_bool());
  auto before = history(bob.who, room, {{"before", ids[4]}, {"limit", "2"}});
  EXPECT_EQ(ids_in(before), (std::vector<std::string>{ids[2], ids[3]}));
  EXPECT_TRUE(before.at("hasMore").as_bool());
  auto head = history(bob.who, room, {{"before", ids[2]}});
  EXPECT_EQ(ids_in(head), (std::vector<std::string>{ids[0], ids[1]}));
  EXPECT_FALSE(head.at("hasMore").as_bool());
  // limit is clamped to 1..200 rather than refused.
  EXPECT_EQ(ids_in(history(bob.who, room, {{"after", ids[0]}, {"limit", "0"}})).size(), 1u);
}

TEST_F(chat_service_messages, history_refuses_two_cursors_and_foreign_or_malformed_ones) {
  auto other = env.create_room(alice.who, "PRIVATE", "other", {bob.who.user_id});
  auto here = id_of(post(alice.who, room, "here"));
  auto there = id_of(post(alice.who, other, "there"));
  EXPECT_EQ(status_of(chat.history(bob.who, room, {{"after", here}, {"before", here}})), 400);
  EXPECT_EQ(status_of(chat.history(bob.who, room, {{"after", there}})), 400);
  EXPECT_EQ(status_of(chat.history(bob.who, room, {{"after", "nope"}})), 400);
  EXPECT_EQ(status_of(chat.history(bob.who, room, {{"after", here}, {"limit", "ten"}})), 400);
}

TEST_F(chat_service_messages, status_only_moves_forward_and_only_a_recipient_may_move_it) {
  auto id = id_of(post(alice.who, room, "hello"));
  out.clear();
  auto by_sender = send_stomp(alice.who, status_body(id, "READ"));
  ASSERT_FALSE(by_sender);
  EXPECT_EQ(by_sender.error().code, parley::core::errc::forbidden_status);
  EXPECT_EQ(by_sender.error().status(), 403);
  EXPECT_EQ(status_in_db(id), "SENT");

  auto read = send_stomp(bob.who, status_body(id, "READ"));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, id);
  EXPECT_EQ(status_in_db(id), "READ");
  auto pubs = out.to(destinations::room(room));
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].payload.at("status").as_string(), "READ");

  // Backwards is a no-op that still succeeds (the RECEIPT is sent) and publishes nothing.
  auto back = send_stomp(bob.who, status_body(id, "DELIVERED"));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, id);
  EXPECT_EQ(status_in_db(id), "READ");
  EXPECT_EQ(out.to(destinations::room(room)).size(), 1u);
}

TEST_F(chat_service_messages, a_status_update_never_changes_content) {
  auto id = id_of(post(alice.who, room, "original"));
  auto body = status_body(id, "DELIVERED");
  body["content"] = "tampered";
  ASSERT_TRUE(send_stomp(bob.who, body));
  auto m = ok(chat.get_message(bob.who, id));
  EXPECT_EQ(m.at("content").as_string(), "original");
  EXPECT_EQ(m.at("status").as_string(), "DELIVERED");
}

TEST_F(chat_service_messages,
       a_status_update_by_a_non_member_or_for_an_unknown_message_is_refused) {
  auto id = id_of(post(alice.who, room, "hello"));
  auto outsider = send_stomp(carol.who, status_body(id, "READ"));
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, parley::core::errc::not_member);
  auto unknown = send_stomp(bob.who, status_body("01ARYZ6S41TSV4RRFFQ69G5FAV", "READ"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, parley::core::errc::not_found);
  auto bad = send_stomp(bob.who, status_body(id, "SEEN"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, parley::core::errc::invalid_body);
  EXPECT_EQ(bad.error().errors.count("status"), 1u);
}

TEST_F(chat_service_messages, the_read_marker_only_moves_forward) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(id_of(post(alice.who, room, "m" + std::to_string(i))));
  auto read_to = [&](const std::string& id) {
    return ok(chat.post_read(bob.who, room, json::serialize(json::object{{"messageId", id}})));
  };
  EXPECT_EQ(read_to(ids[1]).at("lastReadMessageId").as_string(), ids[1]);
  EXPECT_EQ(read_to(ids[0]).at("lastReadMessageId").as_string(), ids[1]) << "never backwards";
  EXPECT_EQ(read_to(ids[2]).at("lastReadMessageId").as_string(), ids[2]);
  auto receipts = out.to(destinations::receipts(room));
  ASSERT_EQ(receipts.size(), 2u) << "a no-op move publishes nothing";
  EXPECT_EQ(receipts[1].payload.at("userId").as_string(), bob.who.user_id);
  auto members = ok(chat.members(alice.who, room));
  for (auto& m : members.as_array()) {
    if (m.at("userId").as_string() == bob.who.user_id) {
      EXPECT_EQ(m.at("lastReadMessageId").as_string(), ids[2]);
    }
  }
}

TEST_F(chat_service_messages, the_read_marker_over_stomp_answers_with_the_marker) {
  auto id = id_of(post(alice.who, room, "m"));
  std::promise<outcome<std::string>> p;
  chat.on_read(bob.who, json::serialize(json::object{{"chatRoomId", room}, {"messageId", id}}),
               [&p](outcome<std::string> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, id);
  std::promise<outcome<std::string>> q;
  chat.on_read(carol.who, json::serialize(json::object{{"chatRoomId", room}, {"messageId", id}}),
               [&q](outcome<std::string> r) { q.set_value(std::move(r)); });
  auto refused = q.get_future().get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, parley::core::errc::not_member);
}

TEST_F(chat_service_messages, typing_is_published_with_the_session_user) {
  auto r = chat.on_typing(bob.who,
                          json::serialize(json::object{
                              {"chatId", room}, {"typing", true}, {"userId", alice.who.user_id}}));
  ASSERT_TRUE(r) << r.error().message;
  auto pubs = out.to(destinations::typing(room));
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].payload.at("userId").as_string(), bob.who.user_id);
  EXPECT_EQ(pubs[0].payload.at("typing").as_bool(), true);
  auto outsider =
      chat.on_typing(carol.who, json::serialize(json::object{{"chatId", room}, {"typing", true}}));
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, parley::core::errc::not_member);
}

TEST_F(chat_service_messages, subscriptions_are_authorized_by_membership) {
  EXPECT_TRUE(chat.authorize_subscription(bob.who, destinations::room(room)));
  EXPECT_TRUE(chat.authorize_subscription(bob.who, destinations::typing(room)));
  EXPECT_TRUE(chat.authorize_subscription(bob.who, destinations::receipts(room)));
  auto events = chat.authorize_subscription(bob.who, "/user/queue/events");
  ASSERT_TRUE(events);
  EXPECT_EQ(*events, destinations::user_events(bob.who.user_id));
  for (auto dest :
       {destinations::room(room), std::string("/topic/rooms/abc"), std::string("/topic/rooms/-1"),
        destinations::room(room) + "/other", std::string("/queue/anything")}) {
    auto r = chat.authorize_subscription(carol.who, dest);
    ASSERT_FALSE(r) << dest;
    EXPECT_EQ(r.error().code, parley::core::errc::forbidden) << dest;
  }
}

}  // namespace
}  // namespace parley::chat::test
