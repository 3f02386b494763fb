#include "cluster/verdict.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace parley::cluster {
namespace {

namespace json = boost::json;

const std::string record_id = "01JF0000000000000000000001";

chat::message a_message() {
  chat::message m;
  m.message_id = "01JF0000000000000000000002";
  m.chat_id = 42;
  m.seq = 7;
  m.user_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  m.content = "héllo \"world\" 🦊";
  m.type = chat::message_type::file;
  m.status = chat::message_status::delivered;
  m.timestamp = core::from_epoch_ms(1'700'000'000'123);
  m.edited = true;
  m.client_message_id = "c-1";
  return m;
}

void expect_same(const chat::message& a, const chat::message& b) {
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(a.chat_id, b.chat_id);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.content, b.content);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.edited, b.edited);
  EXPECT_EQ(a.client_message_id, b.client_message_id);
}

TEST(verdict, every_kind_round_trips) {
  auto back = decode_verdict(
      encode(verdict{record_id, chat::appended{chat::append_verdict::duplicate, a_message()}}));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->record_id, record_id);
  auto* a = std::get_if<chat::appended>(&back->outcome);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->verdict, chat::append_verdict::duplicate);
  EXPECT_FALSE(a->published);  // the node decides that, not the wire
  expect_same(a->msg, a_message());

  back = decode_verdict(encode(verdict{record_id, chat::appended{chat::append_verdict::not_a_member,
                                                                  {}}}));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<chat::appended>(back->outcome).verdict, chat::append_verdict::not_a_member);

  back = decode_verdict(encode(
      verdict{record_id, chat::status_change{chat::status_verdict::changed, a_message()}}));
  ASSERT_TRUE(back) << back.error();
  auto& s = std::get<chat::status_change>(back->outcome);
  EXPECT_EQ(s.verdict, chat::status_verdict::changed);
  expect_same(s.msg, a_message());

  back = decode_verdict(encode(
      verdict{record_id, chat::status_change{chat::status_verdict::no_such_message, {}}}));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<chat::status_change>(back->outcome).verdict,
            chat::status_verdict::no_such_message);
  EXPECT_TRUE(std::get<chat::status_change>(back->outcome).msg.message_id.empty());

  back = decode_verdict(encode(
      verdict{record_id, chat::read_change{chat::read_verdict::advanced, a_message().message_id}}));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<chat::read_change>(back->outcome).last_read_message_id,
            a_message().message_id);

  back = decode_verdict(encode(verdict{record_id, core::problem::internal("Storage error")}));
  ASSERT_TRUE(back) << back.error();
  auto& p = std::get<core::problem>(back->outcome);
  EXPECT_EQ(p.code, core::errc::internal);
  EXPECT_EQ(p.message, "Storage error");
}

TEST(verdict, malformed_verdicts_are_refused_with_a_reason) {
  auto good = json::parse(encode(verdict{
                              record_id, chat::appended{chat::append_verdict::appended, a_message()}}))
                  .as_object();
  ASSERT_TRUE(decode_verdict(json::serialize(good)));
  auto refused = [&](void (*edit)(json::object&)) {
    auto o = good;
    edit(o);
    auto r = decode_verdict(json::serialize(o));
    return r ? std::string() : r.error();
  };
  EXPECT_EQ(refused([](json::object& o) { o["v"] = 2; }), "unknown version");
  EXPECT_EQ(refused([](json::object& o) { o["recordId"] = "x"; }), "recordId is not a ULID");
  EXPECT_EQ(refused([](json::object& o) { o["kind"] = "edit"; }), "kind is unknown");
  EXPECT_EQ(refused([](json::object& o) { o["verdict"] = "maybe"; }), "verdict is unknown");
  EXPECT_EQ(refused([](json::object& o) { o.erase("message"); }), "message is not an object");
  EXPECT_EQ(refused([](json::object& o) { o["message"].as_object()["seq"] = "7"; }),
            "message: seq is not an integer");
  EXPECT_EQ(refused([](json::object& o) { o["message"].as_object()["messageId"] = "nope"; }),
            "message: messageId is not a ULID");
  EXPECT_FALSE(decode_verdict("[1]"));
  EXPECT_FALSE(decode_verdict("{"));
  EXPECT_FALSE(decode_verdict(""));
}

TEST(verdict, channel_is_named_after_the_origin_node) {
  EXPECT_EQ(verdict_channel("parley:", "node-a"), "parley:verdicts:node-a");
}

}  // namespace
}  // namespace parley::cluster
