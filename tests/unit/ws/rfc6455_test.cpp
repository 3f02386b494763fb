#include "ws/rfc6455.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace parley::ws::rfc6455 {
namespace {

using kind = event::kind;

// A client frame as a browser sends it: masked with `key`.
std::string client_frame(std::uint8_t first_byte, std::string_view payload,
                         std::uint32_t key = 0x37FA213D, bool masked = true) {
  std::string f;
  f.push_back(static_cast<char>(first_byte));
  auto mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(payload.size() >> (8 * i)));
  }
  unsigned char k[4];
  for (int i = 0; i < 4; ++i) k[i] = static_cast<unsigned char>(key >> (8 * (3 - i)));
  if (masked) f.append(reinterpret_cast<const char*>(k), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(payload[i] ^ (masked ? k[i % 4] : 0)));
  return f;
}

std::string text(std::string_view p) { return client_frame(0x81, p); }

struct seen {
  kind what;
  std::string payload;
  std::uint16_t code;
  bool operator==(const seen&) const = default;
};

// Feeds `bytes` in pieces of `piece` bytes (0: all at once) and collects every event.
std::vector<seen> read_all(reader& r, std::string bytes, std::size_t piece = 0) {
  std::vector<seen> out;
  if (piece == 0) piece = bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    std::string chunk = bytes.substr(at, piece);  // a fresh buffer per read, as a socket gives
    r.feed(chunk.data(), chunk.size());
    for (auto ev = r.next(); ev.what != kind::none; ev = r.next())
      out.push_back({ev.what, std::string(ev.payload), ev.code});
  }
  return out;
}

TEST(rfc6455, computes_the_accept_key_of_the_rfc_example) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(rfc6455, writes_the_shortest_length_encoding) {
  unsigned char h[max_header_bytes];
  EXPECT_EQ(write_header(opcode::text, 125, h), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 125);
  EXPECT_EQ(write_header(opcode::text, 126, h), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ((h[2] << 8) | h[3], 126);
  EXPECT_EQ(write_header(opcode::binary, 0x10000, h), 10u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ(h[7], 1);
}

TEST(rfc6455, builds_close_frames_with_and_without_a_code) {
  EXPECT_EQ(close_frame(close_code::no_status, "ignored"), std::string("\x88\x00", 2));
  EXPECT_EQ(close_frame(close_code::going_away, "bye"), std::string("\x88\x05\x03\xE9") + "bye");
  // A long reason is cut to fit a control frame, never inside a UTF-8 sequence.
  std::string reason(121, 'r');
  reason += "\xC3\xA9\xC3\xA9";
  auto frame = close_frame(close_code::normal, reason);
  EXPECT_EQ(frame.size(), 2u + 2u + 123u);
  EXPECT_EQ(frame.substr(4 + 121), "\xC3\xA9");
}

TEST(rfc6455, reads_a_masked_text_message_in_place) {
  reader r(1024);
  std::string bytes = text("CONNECT\n\n");
  r.feed(bytes.data(), bytes.size());
  auto ev = r.next();
  ASSERT_EQ(ev.what, kind::message);
  EXPECT_EQ(ev.payload, "CONNECT\n\n");
  EXPECT_EQ(ev.payload.data(), bytes.data() + 6);  // a view of the input: no copy
  EXPECT_EQ(r.next().what, kind::none);
  EXPECT_EQ(r.buffered_capacity(), 0u);
}

TEST(rfc6455, reads_every_event_whatever_the_read_boundaries) {
  std::string big(70000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::string bytes = text("one") + client_frame(0x89, "are you there") +
                      client_frame(0x01, "frag") + client_frame(0x8A, "pong") +
                      client_frame(0x00, "men") + client_frame(0x80, "ted") +
                      client_frame(0x82, std::string("\0\xFF", 2)) + text(big) + text("") +
                      client_frame(0x88, std::string("\x03\xE8") + "done");
  const std::vector<seen> expected = {
      {kind::message, "one", 0},
      {kind::ping, "are you there", 0},
      {kind::pong, "pong", 0},
      {kind::message, "fragmented", 0},
      {kind::message, std::string("\0\xFF", 2), 0},
      {kind::message, big, 0},
      {kind::message, "", 0},
      {kind::close, "done", 1000},
  };
  for (std::size_t piece : {0, 1, 2, 3, 7, 13, 125, 4096}) {
    reader r(100000);
    EXPECT_EQ(read_all(r, bytes, piece), expected) << "pieces of " << piece;
    EXPECT_EQ(r.buffered_capacity(), 0u) << "pieces of " << piece;
  }
}

TEST(rfc6455, releases_an_assembled_message_once_it_is_handed_out) {
  reader r(1024);
  std::string first = text("a message that is split across two reads").substr(0, 30);
  std::string rest = text("a message that is split across two reads").substr(30);
  r.feed(first.data(), first.size());
  EXPECT_EQ(r.next().what, kind::none);
  EXPECT_GT(r.buffered_capacity(), 0u);
  r.feed(rest.data(), rest.size());
  auto ev = r.next();
  ASSERT_EQ(ev.what, kind::message);
  EXPECT_EQ(ev.payload, "a message that is split across two reads");
  EXPECT_EQ(r.next().what, kind::none);
  EXPECT_EQ(r.buffered_capacity(), 0u);
}

TEST(rfc6455, reports_a_close_without_a_code_as_no_status) {
  reader r(1024);
  auto events = read_all(r, client_frame(0x88, ""));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].what, kind::close);
  EXPECT_EQ(events[0].code, close_code::no_status);
}

struct bad_input {
  const char* what;
  std::string bytes;
  std::uint16_t code;
};

TEST(rfc6455, refuses_protocol_violations_with_the_right_close_code) {
  std::string long_control(126, 'p');
  const std::vector<bad_input> cases = {
      {"unmasked frame", client_frame(0x81, "hi", 0, false), close_code::protocol_error},
      {"reserved bit", client_frame(0xC1, "hi"), close_code::protocol_error},
      {"unknown opcode", client_frame(0x83, "hi"), close_code::protocol_error},
      {"fragmented control frame", client_frame(0x09, "hi"), close_code::protocol_error},
      {"control frame over 125 bytes", client_frame(0x89, long_control),
       close_code::protocol_error},
      {"continuation without a message", client_frame(0x80, "hi"), close_code::protocol_error},
      {"new message inside a fragmented one", client_frame(0x01, "a") + text("b"),
       close_code::protocol_error},
      {"close with a one-byte payload", client_frame(0x88, "\x03"), close_code::protocol_error},
      {"close with a reserved code", client_frame(0x88, "\x03\xED"), close_code::protocol_error},
      {"close reason not UTF-8", client_frame(0x88, "\x03\xE8\xFF"), close_code::bad_payload},
      {"text not UTF-8", text("caf\xC3"), close_code::bad_payload},
      {"text with a surrogate", text("\xED\xA0\x80"), close_code::bad_payload},
      {"fragmented text not UTF-8", client_frame(0x01, "ok") + client_frame(0x80, "\xC0\xAF"),
       close_code::bad_payload},
      {"message over the limit", text(std::string(200, 'x')), close_code::too_big},
      {"fragments over the limit",
       client_frame(0x01, std::string(60, 'x')) + client_frame(0x00, std::string(60, 'x')),
       close_code::too_big},
  };
  for (const auto& c : cases) {
    for (std::size_t piece : {0, 1}) {
      reader r(100);
      auto events = read_all(r, c.bytes, piece);
      ASSERT_FALSE(events.empty()) << c.what;
      EXPECT_EQ(events.back().what, kind::error) << c.what;
      EXPECT_EQ(events.back().code, c.code) << c.what;
      EXPECT_TRUE(r.failed()) << c.what;
      std::string more = text("after");
      r.feed(more.data(), more.size());
      EXPECT_EQ(r.next().what, kind::none) << c.what;  // failed for good
    }
  }
}

TEST(rfc6455, refuses_a_non_minimal_length_encoding) {
  std::string f = "\x81\xFE";
  f += std::string("\x00\x05", 2);  // 5 in the 16-bit form
  f += std::string(4, '\0') + "hello";
  reader r(100);
  auto events = read_all(r, f);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, close_code::protocol_error);
}

TEST(rfc6455, utf8_checker_follows_rfc_3629) {
  auto valid = [](std::string_view s) {
    utf8_checker c;
    return c.feed(s) && c.complete();
  };
  EXPECT_TRUE(valid("plain ASCII that is longer than eight bytes"));
  EXPECT_TRUE(valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(valid("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  EXPECT_FALSE(valid("\xF4\x90\x80\x80"));                     // past U+10FFFF
  EXPECT_FALSE(valid("\xC1\xBF"));                             // overlong
  EXPECT_FALSE(valid("\xE0\x9F\xBF"));                         // overlong
  EXPECT_FALSE(valid("\xED\xBF\xBF"));                         // surrogate
  EXPECT_FALSE(valid("\xE2\x82"));                             // truncated
  // Split anywhere, the verdict is the same.
  std::string s = "ab\xF0\x9F\x98\x80\xC3\xA9z";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    utf8_checker c;
    EXPECT_TRUE(c.feed(std::string_view(s).substr(0, cut)));
    EXPECT_TRUE(c.feed(std::string_view(s).substr(cut)));
    EXPECT_TRUE(c.complete());
  }
}

TEST(rfc6455, survives_random_bytes) {
  std::mt19937 rng(42);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    reader r(256);
    auto events = read_all(r, bytes, 1 + rng() % 8);
    for (std::size_t i = 0; i + 1 < events.size(); ++i)
      EXPECT_NE(events[i].what, kind::error);  // an error is always the last event
  }
}

}  // namespace
}  // namespace parley::ws::rfc6455
