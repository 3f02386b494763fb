#include "cluster/log_record.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace parley::cluster {
namespace {

namespace json = boost::json;

const std::string record_id = "01JF0000000000000000000001";
const std::string message_id = "01JF0000000000000000000002";
const std::string user = "0f8fad5b-d9cb-469f-a165-70867728950e";

append_record an_append() {
  return {record_id, "node-a", {42, user, "héllo \"world\"", chat::message_type::text, "c-1"}};
}

// Encodes `r`, edits one field of the JSON, and decodes the result.
boost::system::result<log_record, std::string> edited(const log_record& r,
                                                       void (*edit)(json::object&)) {
  auto o = json::parse(encode(r)).as_object();
  edit(o);
  return decode(json::serialize(o));
}

TEST(log_record, every_kind_round_trips_and_is_keyed_by_its_room) {
  std::vector<log_record> all = {
      an_append(),
      append_record{record_id, "node-a", {7, user, "https://x/y.png", chat::message_type::image,
                                          std::nullopt}},
      status_record{record_id, "node-b", 42, message_id, user, chat::message_status::read},
      read_record{record_id, "node-c", 9, user, message_id},
  };
  for (const auto& r : all) {
    auto back = decode(encode(r));
    ASSERT_TRUE(back) << back.error() << " for " << encode(r);
    EXPECT_EQ(*back, r) << encode(r);
  }
  EXPECT_EQ(record_key(all[0]), "42");
  EXPECT_EQ(record_key(all[2]), "42");
  EXPECT_EQ(record_key(all[3]), "9");
}

TEST(log_record, the_value_carries_no_id_seq_or_timestamp_of_the_message) {
  auto o = json::parse(encode(an_append())).as_object();
  EXPECT_FALSE(o.contains("messageId"));
  EXPECT_FALSE(o.contains("seq"));
  EXPECT_FALSE(o.contains("timestamp"));
  EXPECT_EQ(o.at("v"), 1);
  EXPECT_EQ(o.at("kind"), "append");
}

TEST(log_record, poison_is_refused_with_its_reason) {
  EXPECT_EQ(decode("").error(), "not JSON");
  EXPECT_EQ(decode("[1]").error(), "not a JSON object");
  EXPECT_EQ(decode(std::string(max_record_bytes + 1, ' ')).error(), "record too large");
  EXPECT_EQ(decode(R"({"v":2})").error(), "unknown version");
  EXPECT_EQ(decode(R"({"v":1,"a":[[[[[1]]]]]})").error(), "not JSON");  // too deep
  auto r = an_append();
  EXPECT_EQ(edited(r, [](json::object& o) { o["kind"] = "delete"; }).error(), "kind is unknown");
  EXPECT_EQ(edited(r, [](json::object& o) { o["recordId"] = "x"; }).error(),
            "recordId is not a ULID");
  EXPECT_EQ(edited(r, [](json::object& o) { o.erase("origin"); }).error(), "origin is missing");
  EXPECT_EQ(edited(r, [](json::object& o) { o["chatId"] = 0; }).error(), "chatId is not a room id");
  EXPECT_EQ(edited(r, [](json::object& o) { o["chatId"] = "42"; }).error(),
            "chatId is not a room id");
  EXPECT_EQ(edited(r, [](json::object& o) { o["userId"] = "alice"; }).error(),
            "userId is not a UUID");
  EXPECT_EQ(edited(r, [](json::object& o) { o["content"] = ""; }).error(), "content is missing");
  EXPECT_EQ(edited(r, [](json::object& o) { o["type"] = "VIDEO"; }).error(), "type is unknown");
  EXPECT_EQ(edited(r, [](json::object& o) { o["clientMessageId"] = std::string(65, 'c'); }).error(),
            "clientMessageId is too long");
  EXPECT_EQ(edited(r, [](json::object& o) { o["clientMessageId"] = ""; }).error(),
            "clientMessageId is empty");
  EXPECT_EQ(edited(r, [](json::object& o) { o["origin"] = std::string(129, 'n'); }).error(),
            "origin is too long");
  status_record s{record_id, "n", 1, message_id, user, chat::message_status::delivered};
  EXPECT_EQ(edited(s, [](json::object& o) { o["status"] = "LOST"; }).error(), "status is unknown");
  EXPECT_EQ(edited(s, [](json::object& o) { o["messageId"] = 5; }).error(),
            "messageId is not a string");
}

}  // namespace
}  // namespace parley::cluster
