#include "stomp/serializer.hpp"

#include "stomp/parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::stomp {
namespace {

using namespace std::string_literals;

frame parse_one(std::string_view bytes, direction d) {
  // Limits above the defaults: serializing may add a content-length header and escapes.
  parser p{limits{.max_frame_bytes = 1 << 20, .max_headers = 64}, d};
  p.feed(bytes);
  auto ev = p.next();
  EXPECT_EQ(p.next(), std::nullopt) << "one frame expected";
  if (!ev || !std::holds_alternative<frame>(*ev)) {
    ADD_FAILURE() << "not a frame: " << bytes;
    return {};
  }
  return std::get<frame>(std::move(*ev));
}

TEST(stomp_serializer, adds_content_length_for_a_non_empty_body) {
  const frame f{"SEND", {{"destination", "/a"}}, "hi\0!"s};
  EXPECT_EQ(serialize(f), "SEND\ndestination:/a\ncontent-length:4\n\nhi\0!\0"s);
}

TEST(stomp_serializer, omits_content_length_for_an_empty_body) {
  EXPECT_EQ(serialize(frame{"DISCONNECT", {{"receipt", "7"}}, ""}), "DISCONNECT\nreceipt:7\n\n\0"s);
}

TEST(stomp_serializer, keeps_the_frames_own_content_length) {
  const frame f{"SEND", {{"content-length", "2"}, {"a", "b"}}, "xy"};
  EXPECT_EQ(serialize(f), "SEND\ncontent-length:2\na:b\n\nxy\0"s);
}

TEST(stomp_serializer, escapes_header_names_and_values) {
  const frame f{"SEND", {{"k:1", "a\nb\rc:d\\e"}}, ""};
  EXPECT_EQ(serialize(f), "SEND\nk\\c1:a\\nb\\rc\\cd\\\\e\n\n\0"s);
}

TEST(stomp_serializer, does_not_escape_connect_and_connected_frames) {
  EXPECT_EQ(serialize(frame{"CONNECT", {{"host", "a:b\\c"}}, ""}), "CONNECT\nhost:a:b\\c\n\n\0"s);
  EXPECT_EQ(serialize(frame{"CONNECTED", {{"server", "x:y"}}, ""}), "CONNECTED\nserver:x:y\n\n\0"s);
}

TEST(stomp_serializer, does_not_escape_for_version_1_0) {
  EXPECT_EQ(serialize(frame{"SEND", {{"d", "a:b"}}, ""}, version::v1_0), "SEND\nd:a:b\n\n\0"s);
}

TEST(stomp_serializer, round_trips_client_frames_through_the_parser) {
  const frame frames[] = {
      {"CONNECT", {{"accept-version", "1.2"}, {"host", "h:1"}, {"heart-beat", "0,0"}}, ""},
      {"SUBSCRIBE", {{"id", "s:1\\x"}, {"destination", "/topic/rooms/1"}, {"receipt", "r\n"}}, ""},
      {"SEND", {{"destination", "/app/chat.sendMessage"}, {"content-length", "5"}}, "a\0b\0c"s},
      {"SEND", {{"a", "1"}, {"a", "2"}, {"content-length", "3"}}, "xyz"},
      {"DISCONNECT", {}, ""},
  };
  for (const frame& f : frames) EXPECT_EQ(parse_one(serialize(f), direction::client_to_server), f);
}

TEST(stomp_serializer, connected_frame_carries_version_heart_beat_server_and_session) {
  using std::chrono::milliseconds;
  const auto bytes = connected(version::v1_2, {milliseconds{10000}, milliseconds{10000}},
                               "Parley/0.1", "sess-1");
  EXPECT_EQ(bytes,
            "CONNECTED\nversion:1.2\nheart-beat:10000,10000\nserver:Parley/0.1\n"
            "session:sess-1\n\n\0"s);
  EXPECT_EQ(connected(version::v1_1, {}, "P"),
            "CONNECTED\nversion:1.1\nheart-beat:0,0\nserver:P\n\n\0"s);
}

TEST(stomp_serializer, receipt_frame_carries_receipt_id_and_extra_headers) {
  EXPECT_EQ(receipt("r-1", {{"message-id", "01HX"}}),
            "RECEIPT\nreceipt-id:r-1\nmessage-id:01HX\n\n\0"s);
  EXPECT_EQ(receipt("a:b"), "RECEIPT\nreceipt-id:a\\cb\n\n\0"s);
}

TEST(stomp_serializer, error_frame_carries_code_message_receipt_and_body) {
  const auto bytes = error("FRAME_TOO_LARGE", "frame exceeds 65536 bytes", "r:9", "details");
  EXPECT_EQ(bytes,
            "ERROR\ncode:FRAME_TOO_LARGE\nmessage:frame exceeds 65536 bytes\nreceipt-id:r\\c9\n"
            "content-type:text/plain\ncontent-length:7\n\ndetails\0"s);
  const frame f = parse_one(bytes, direction::server_to_client);
  EXPECT_EQ(f.header("receipt-id"), "r:9");
  EXPECT_EQ(error("UNAUTHORIZED", "bad token"),
            "ERROR\ncode:UNAUTHORIZED\nmessage:bad token\n\n\0"s);
}

TEST(stomp_serializer, message_prefix_and_body_form_a_valid_message_frame) {
  const std::string body = R"({"messageId":"01HX","content":"hi"})";
  const std::string bytes = message_prefix("sub-0") +
                            message_body("/topic/rooms/1", "01HX", "application/json", body,
                                         {{"seq", "42"}});
  EXPECT_EQ(bytes,
            "MESSAGE\nsubscription:sub-0\ndestination:/topic/rooms/1\nmessage-id:01HX\n"
            "content-type:application/json\nseq:42\ncontent-length:" +
                std::to_string(body.size()) + "\n\n" + body + "\0"s);
  const frame f = parse_one(bytes, direction::server_to_client);
  EXPECT_EQ(f.command, "MESSAGE");
  EXPECT_EQ(f.header("subscription"), "sub-0");
  EXPECT_EQ(f.body, body);
}

TEST(stomp_serializer, message_prefix_escapes_the_subscription_id_by_version) {
  EXPECT_EQ(message_prefix("a:b\n"), "MESSAGE\nsubscription:a\\cb\\n\n");
  EXPECT_EQ(message_prefix("a:b", version::v1_0), "MESSAGE\nsubscription:a:b\n");
}

TEST(stomp_serializer, message_body_omits_an_empty_content_type) {
  EXPECT_EQ(message_body("/d", "1", "", ""),
            "destination:/d\nmessage-id:1\ncontent-length:0\n\n\0"s);
}

TEST(stomp_serializer, heart_beat_is_a_bare_eol) {
  parser p{{}, direction::server_to_client};
  p.feed(heart_beat_bytes);
  const auto ev = p.next();
  ASSERT_TRUE(ev);
  EXPECT_TRUE(std::holds_alternative<heart_beat>(*ev));
}

}  // namespace
}  // namespace parley::stomp
