#include "stomp/parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::stomp {
namespace {

using namespace std::string_literals;

std::vector<event> drain(parser& p) {
  std::vector<event> out;
  while (auto ev = p.next()) out.push_back(std::move(*ev));
  return out;
}

std::vector<event> parse(std::string_view bytes, limits l = {},
                         direction d = direction::client_to_server) {
  parser p{l, d};
  p.feed(bytes);
  return drain(p);
}

frame only_frame(std::string_view bytes, limits l = {}, direction d = direction::client_to_server) {
  auto events = parse(bytes, l, d);
  EXPECT_EQ(events.size(), 1u);
  if (events.size() != 1 || !std::holds_alternative<frame>(events[0])) {
    ADD_FAILURE() << "expected exactly one frame";
    return {};
  }
  return std::get<frame>(std::move(events[0]));
}

// The error a stream ends with; the parser must produce nothing after it.
protocol_error final_error(std::string_view bytes, limits l = {}) {
  auto events = parse(bytes, l);
  if (events.empty() || !std::holds_alternative<protocol_error>(events.back())) {
    ADD_FAILURE() << "expected the stream to end in an error";
    return {};
  }
  return std::get<protocol_error>(events.back());
}

const std::string multi_frame_stream =
    "CONNECT\naccept-version:1.2\nhost:chat\\c1\nheart-beat:10000,10000\n\n\0"s
    "\n"
    "SUBSCRIBE\r\nid:sub\\c0\r\ndestination:/topic/rooms/1\r\nreceipt:r1\r\n\r\n\0"s
    "\r\n\n"
    "SEND\ndestination:/app/chat.sendMessage\ncontent-type:application/json\ncontent-length:7\n"
    "\n{\"a\0b\"}\0"s
    "SEND\ndestination:/app/chat.typing\nx:a\\nb\\\\c\\rd\n\n{\"typing\":true}\0"s
    "DISCONNECT\nreceipt:bye\n\n\0\n"s;

TEST(stomp_parser, parses_send_frame_with_headers_and_body) {
  const frame f = only_frame("SEND\ndestination:/app/x\ncontent-type:text/plain\n\nhello\0"s);
  EXPECT_EQ(f.command, "SEND");
  ASSERT_EQ(f.headers.size(), 2u);
  EXPECT_EQ(f.header("destination"), "/app/x");
  EXPECT_EQ(f.header("content-type"), "text/plain");
  EXPECT_EQ(f.header("receipt"), std::nullopt);
  EXPECT_EQ(f.body, "hello");
}

TEST(stomp_parser, parses_frame_without_headers_or_body) {
  const frame f = only_frame("DISCONNECT\n\n\0"s);
  EXPECT_EQ(f.command, "DISCONNECT");
  EXPECT_TRUE(f.headers.empty());
  EXPECT_TRUE(f.body.empty());
}

TEST(stomp_parser, accepts_frame_split_across_two_reads) {
  parser p;
  p.feed("SEND\ndestina");
  EXPECT_EQ(p.next(), std::nullopt);
  const std::string rest = "tion:/app/x\n\nbody\0"s;
  p.feed(rest);
  auto events = drain(p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<frame>(events[0]).header("destination"), "/app/x");
  EXPECT_EQ(std::get<frame>(events[0]).body, "body");
}

TEST(stomp_parser, yields_identical_events_when_stream_is_split_at_every_byte_offset) {
  const auto whole = parse(multi_frame_stream);
  ASSERT_EQ(whole.size(), 9u);  // 5 frames and 4 heart-beats
  for (std::size_t cut = 0; cut <= multi_frame_stream.size(); ++cut) {
    // Separate strings so that ASan catches the parser reading a first read after it is gone.
    auto first = std::make_unique<std::string>(multi_frame_stream.substr(0, cut));
    const std::string second = multi_frame_stream.substr(cut);
    parser p;
    p.feed(*first);
    auto events = drain(p);
    first.reset();
    p.feed(second);
    for (auto& ev : drain(p)) events.push_back(std::move(ev));
    EXPECT_EQ(events, whole) << "split at offset " << cut;
  }
}

TEST(stomp_parser, yields_identical_events_when_fed_one_byte_at_a_time) {
  parser p;
  std::vector<event> events;
  for (char c : multi_frame_stream) {
    const std::string one(1, c);
    p.feed(one);
    for (auto& ev : drain(p)) events.push_back(std::move(ev));
  }
  EXPECT_EQ(events, parse(multi_frame_stream));
}

TEST(stomp_parser, parses_several_frames_from_one_read) {
  const auto events = parse("SEND\na:1\n\nx\0SEND\na:2\n\ny\0ACK\nid:3\n\n\0"s);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(std::get<frame>(events[0]).body, "x");
  EXPECT_EQ(std::get<frame>(events[1]).header("a"), "2");
  EXPECT_EQ(std::get<frame>(events[2]).command, "ACK");
}

TEST(stomp_parser, keeps_undrained_input_when_fed_again) {
  parser p;
  auto first = std::make_unique<std::string>("SEND\n\na\0SEND\n\nb\0SE"s);
  p.feed(*first);
  auto ev = p.next();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<frame>(*ev).body, "a");
  p.feed("ND\n\nc\0"s);  // before draining "b": both inputs are copied, so temporaries are fine
  first.reset();
  const auto events = drain(p);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<frame>(events[0]).body, "b");
  EXPECT_EQ(std::get<frame>(events[1]).body, "c");
}

TEST(stomp_parser, hold_keeps_the_rest_of_an_input_the_caller_lets_go) {
  parser p;
  auto input = std::make_unique<std::string>("SEND\n\na\0SEND\n\nb\0SE"s);
  p.feed(*input);
  ASSERT_TRUE(p.next());
  EXPECT_EQ(p.hold(), 10u);  // "SEND\n\nb\0SE" is still to be read
  input.reset();
  EXPECT_EQ(p.hold(), 10u);  // already owned: holding again copies nothing
  p.feed("ND\n\nc\0"s);
  const auto events = drain(p);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<frame>(events[0]).body, "b");
  EXPECT_EQ(std::get<frame>(events[1]).body, "c");
  EXPECT_EQ(p.hold(), 0u);
}

TEST(stomp_parser, reads_content_length_body_containing_nul_bytes) {
  const frame f = only_frame("SEND\ncontent-length:5\n\na\0b\0c\0"s);
  EXPECT_EQ(f.body, "a\0b\0c"s);
}

TEST(stomp_parser, reads_body_without_content_length_up_to_first_nul) {
  const auto events = parse("SEND\n\nhello\0SEND\n\n\0"s);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<frame>(events[0]).body, "hello");
  EXPECT_EQ(std::get<frame>(events[1]).body, "");
}

TEST(stomp_parser, reports_a_heart_beat_for_each_eol_between_frames) {
  const auto events = parse("\n\r\n\nSEND\n\n\0\r\n"s);
  ASSERT_EQ(events.size(), 5u);
  for (int i : {0, 1, 2, 4}) EXPECT_TRUE(std::holds_alternative<heart_beat>(events[i]));
  EXPECT_TRUE(std::holds_alternative<frame>(events[3]));
}

TEST(stomp_parser, accepts_crlf_line_endings) {
  const frame f = only_frame("SEND\r\ndestination:/a\r\nreceipt:1\r\n\r\nbody\0"s);
  EXPECT_EQ(f.command, "SEND");
  EXPECT_EQ(f.header("destination"), "/a");
  EXPECT_EQ(f.header("receipt"), "1");
  EXPECT_EQ(f.body, "body");
}

TEST(stomp_parser, unescapes_header_names_and_values) {
  const frame f = only_frame("SEND\nk\\cey:a\\nb\\rc\\cd\\\\e\n\n\0"s);
  ASSERT_EQ(f.headers.size(), 1u);
  EXPECT_EQ(f.headers[0].first, "k:ey");
  EXPECT_EQ(f.headers[0].second, "a\nb\rc:d\\e");
}

TEST(stomp_parser, rejects_undefined_escape_sequence) {
  EXPECT_EQ(final_error("SEND\nk:a\\tb\n\n\0"s).code, errc::malformed_frame);
  EXPECT_EQ(final_error("SEND\nk:ab\\\n\n\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, does_not_unescape_connect_headers) {
  const frame f = only_frame("CONNECT\nlogin:a\\cb\npasscode:c\\td\n\n\0"s);
  EXPECT_EQ(f.header("login"), "a\\cb");
  EXPECT_EQ(f.header("passcode"), "c\\td");
}

TEST(stomp_parser, does_not_unescape_connected_headers) {
  const frame f =
      only_frame("CONNECTED\nserver:a\\cb\n\n\0"s, {}, direction::server_to_client);
  EXPECT_EQ(f.header("server"), "a\\cb");
}

TEST(stomp_parser, does_not_unescape_after_version_1_0_is_negotiated) {
  parser p;
  p.set_version(version::v1_0);
  const std::string bytes = "SEND\ndestination:C:\\temp\\x\n\n\0"s;
  p.feed(bytes);
  const auto ev = p.next();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<frame>(*ev).header("destination"), "C:\\temp\\x");
}

TEST(stomp_parser, accepts_unescaped_colon_in_header_value) {
  EXPECT_EQ(only_frame("SEND\nhost:localhost:8080\n\n\0"s).header("host"), "localhost:8080");
}

TEST(stomp_parser, keeps_repeated_headers_and_the_first_wins) {
  const frame f = only_frame("SEND\nfoo:1\nfoo:2\n\n\0"s);
  EXPECT_EQ(f.headers.size(), 2u);
  EXPECT_EQ(f.header("foo"), "1");
}

TEST(stomp_parser, uses_the_first_content_length) {
  const frame f = only_frame("SEND\ncontent-length:2\ncontent-length:5\n\nab\0"s);
  EXPECT_EQ(f.body, "ab");
}

TEST(stomp_parser, accepts_every_client_command) {
  for (const char* command : {"CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "BEGIN",
                              "COMMIT", "ABORT", "ACK", "NACK", "DISCONNECT"})
    EXPECT_EQ(only_frame(std::string(command) + "\n\n\0"s).command, command);
}

TEST(stomp_parser, rejects_unknown_command) {
  const auto e = final_error("HELLO\n\n\0"s);
  EXPECT_EQ(e.code, errc::malformed_frame);
  EXPECT_EQ(code(e.code), "MALFORMED_FRAME");
  EXPECT_EQ(final_error("send\n\n\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, rejects_server_commands_from_a_client) {
  EXPECT_EQ(final_error("MESSAGE\n\n\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, accepts_server_commands_when_parsing_server_frames) {
  for (const char* command : {"CONNECTED", "MESSAGE", "RECEIPT", "ERROR"})
    EXPECT_EQ(only_frame(std::string(command) + "\n\n\0"s, {}, direction::server_to_client).command,
              command);
  EXPECT_TRUE(std::holds_alternative<protocol_error>(
      parse("SEND\n\n\0"s, {}, direction::server_to_client).back()));
}

TEST(stomp_parser, rejects_overlong_command_line_before_its_end_arrives) {
  parser p;
  p.feed("GET / HTTP/1.1");
  const auto ev = p.next();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<protocol_error>(*ev).code, errc::malformed_frame);
}

TEST(stomp_parser, rejects_header_line_without_name_or_colon) {
  EXPECT_EQ(final_error("SEND\nnocolon\n\n\0"s).code, errc::malformed_frame);
  EXPECT_EQ(final_error("SEND\n:value\n\n\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, rejects_cr_inside_a_header_line) {
  EXPECT_EQ(final_error("SEND\na:b\rc\n\n\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, rejects_nul_inside_the_headers) {
  // A frame that forgot its blank line: fails at the NUL instead of waiting for more bytes.
  EXPECT_EQ(final_error("SEND\ndestination:/a\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, rejects_cr_without_lf_between_frames) {
  EXPECT_EQ(final_error("\rSEND\n\n\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, rejects_content_length_that_is_not_a_number) {
  for (const char* value : {"", "abc", "-1", "+1", " 1", "1 ", "1x"})
    EXPECT_EQ(final_error("SEND\ncontent-length:"s + value + "\n\n\0"s).code, errc::malformed_frame)
        << value;
}

TEST(stomp_parser, rejects_missing_nul_after_content_length_body) {
  EXPECT_EQ(final_error("SEND\ncontent-length:2\n\nabc\0"s).code, errc::malformed_frame);
}

TEST(stomp_parser, accepts_frame_of_exactly_the_size_limit) {
  const limits l{.max_frame_bytes = 64};
  const std::string head = "SEND\n\n";
  const std::string body(64 - head.size() - 1, 'x');
  EXPECT_EQ(only_frame(head + body + "\0"s, l).body, body);
}

TEST(stomp_parser, rejects_frame_one_byte_over_the_size_limit) {
  const limits l{.max_frame_bytes = 64};
  const std::string head = "SEND\n\n";
  const auto e = final_error(head + std::string(64 - head.size(), 'x') + "\0"s, l);
  EXPECT_EQ(e.code, errc::frame_too_large);
  EXPECT_EQ(code(e.code), "FRAME_TOO_LARGE");
}

TEST(stomp_parser, applies_the_size_limit_to_content_length_frames) {
  const limits l{.max_frame_bytes = 64};
  const std::string head = "SEND\ncontent-length:40\n\n";  // 24 bytes; 24 + 40 + NUL = 65
  EXPECT_EQ(final_error(head + std::string(40, 'x') + "\0"s, l).code, errc::frame_too_large);
  const std::string fits = "SEND\ncontent-length:39\n\n";
  EXPECT_EQ(only_frame(fits + std::string(39, 'x') + "\0"s, l).body.size(), 39u);
}

TEST(stomp_parser, rejects_declared_content_length_over_the_limit_before_the_body_arrives) {
  parser p;
  p.feed("SEND\ncontent-length:100000\n\n");
  const auto ev = p.next();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<protocol_error>(*ev).code, errc::frame_too_large);
  EXPECT_EQ(final_error("SEND\ncontent-length:99999999999999999999999\n\n"s).code,
            errc::frame_too_large);
}

TEST(stomp_parser, rejects_oversized_frame_without_waiting_for_its_end) {
  parser p{limits{.max_frame_bytes = 1024}};
  const std::string big = "SEND\n\n" + std::string(2000, 'x');
  p.feed(big);
  const auto ev = p.next();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<protocol_error>(*ev).code, errc::frame_too_large);
}

TEST(stomp_parser, applies_the_size_limit_to_headers) {
  std::string frame = "SEND\n";
  for (int i = 0; i < 20; ++i)
    frame += "h" + std::to_string(i) + ":" + std::string(4000, 'v') + "\n";
  EXPECT_EQ(final_error(frame + "\n\0"s).code, errc::frame_too_large);
}

TEST(stomp_parser, accepts_the_maximum_number_of_headers) {
  const limits l{.max_headers = 4};
  EXPECT_EQ(only_frame("SEND\na:1\nb:2\na:3\nc:4\n\n\0"s, l).headers.size(), 4u);
}

TEST(stomp_parser, rejects_one_header_more_than_the_limit_counting_repeats) {
  const limits l{.max_headers = 4};
  const auto e = final_error("SEND\na:1\na:2\na:3\na:4\na:5\n\n\0"s, l);
  EXPECT_EQ(e.code, errc::too_many_headers);
  EXPECT_EQ(code(e.code), "TOO_MANY_HEADERS");
}

TEST(stomp_parser, rejects_33_headers_by_default) {
  std::string frame = "SEND\n";
  for (int i = 0; i < 33; ++i) frame += "h" + std::to_string(i) + ":v\n";
  EXPECT_EQ(final_error(frame + "\n\0"s).code, errc::too_many_headers);
}

TEST(stomp_parser, accepts_header_line_of_exactly_the_line_limit) {
  const limits l{.max_header_line_bytes = 100};
  const std::string line = "k:" + std::string(100 - 3, 'v');  // plus its LF
  EXPECT_EQ(only_frame("SEND\n" + line + "\n\n\0"s, l).headers[0].second.size(), 97u);
}

TEST(stomp_parser, rejects_header_line_over_the_line_limit) {
  const limits l{.max_header_line_bytes = 100};
  const std::string line = "k:" + std::string(100 - 2, 'v');
  EXPECT_EQ(final_error("SEND\n" + line + "\n\n\0"s, l).code, errc::frame_too_large);
}

TEST(stomp_parser, stays_failed_after_an_error) {
  parser p;
  const std::string bogus = "BOGUS\n\n\0"s;
  p.feed(bogus);
  const auto ev = p.next();
  ASSERT_TRUE(ev);
  EXPECT_TRUE(std::holds_alternative<protocol_error>(*ev));
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.next(), std::nullopt);
  p.feed("SEND\n\n\0"s);
  EXPECT_EQ(p.next(), std::nullopt);
  EXPECT_TRUE(p.failed());
}

TEST(stomp_parser, releases_scratch_capacity_when_idle) {
  parser p;
  const std::string line = "k:" + std::string(6000, 'v');
  const std::string first = "SEND\n" + line.substr(0, 3000);
  const std::string second = line.substr(3000) + "\n\n\0"s;
  p.feed(first);
  EXPECT_EQ(p.next(), std::nullopt);
  EXPECT_GE(p.buffered_capacity(), 3000u);  // the split line is gathered
  p.feed(second);
  ASSERT_EQ(drain(p).size(), 1u);
  EXPECT_LT(p.buffered_capacity(), 256u);
}

}  // namespace
}  // namespace parley::stomp
