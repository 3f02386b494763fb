#include "ws/sockjs_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace parley::ws::sockjs {
namespace {

std::string json_quoted(std::string_view s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

std::string utf8(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string u_escape(std::uint32_t cp) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", cp);
  return buf;
}

// The set the sockjs-protocol 0.3.3 test suite requires servers to escape
// (escapable_by_server: [\x00-\x1f\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufff0-\uffff]).
bool protocol_requires_escape(std::uint32_t cp) {
  return cp <= 0x1F || (cp >= 0x200C && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x2060 && cp <= 0x206F) || (cp >= 0xFFF0 && cp <= 0xFFFF);
}

TEST(sockjs_codec, quotes_plain_ascii_verbatim) {
  EXPECT_EQ(json_quoted("SEND\ndestination:/app/x\n\n{}"), R"("SEND\ndestination:/app/x\n\n{}")");
  EXPECT_EQ(json_quoted(""), R"("")");
}

TEST(sockjs_codec, escapes_json_specials_and_controls) {
  EXPECT_EQ(json_quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quoted(std::string("\0", 1)), R"("\u0000")");
  EXPECT_EQ(json_quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(json_quoted("\x1f\x7f"), R"("\u001f\u007f")");
}

TEST(sockjs_codec, escapes_every_code_point_the_protocol_test_requires_as_lowercase_u_escape) {
  // Mirrors the protocol suite's test_xhr_server_encodes: code points 255..65535 of the set must
  // come back exactly as \uXXXX with lowercase hex.
  for (std::uint32_t cp = 255; cp <= 0xFFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;  // not encodable in UTF-8
    if (!protocol_requires_escape(cp)) continue;
    ASSERT_EQ(json_quoted(utf8(cp)), "\"" + u_escape(cp) + "\"") << std::hex << cp;
  }
}

TEST(sockjs_codec, escapes_c1_controls_general_punctuation_and_bom) {
  for (std::uint32_t cp : {0x80u, 0x9Fu, 0x2000u, 0x20ACu, 0x20FFu, 0xFEFFu})
    EXPECT_EQ(json_quoted(utf8(cp)), "\"" + u_escape(cp) + "\"") << std::hex << cp;
}

TEST(sockjs_codec, keeps_ordinary_unicode_and_astral_characters_verbatim) {
  for (std::uint32_t cp : {0xE9u, 0x4E2Du, 0x1F600u, 0x10FFFFu, 0xFFEFu, 0x2100u})
    EXPECT_EQ(json_quoted(utf8(cp)), "\"" + utf8(cp) + "\"") << std::hex << cp;
}

TEST(sockjs_codec, replaces_invalid_utf8_with_replacement_escapes) {
  EXPECT_EQ(json_quoted("a\x80z"), R"("a\ufffdz")");                  // lone continuation byte
  EXPECT_EQ(json_quoted("\xC0\x80"), R"("\ufffd\ufffd")");            // overlong NUL
  EXPECT_EQ(json_quoted("\xE4\xB8"), R"("\ufffd")");                  // truncated 3-byte sequence
  EXPECT_EQ(json_quoted("\xE4\xB8z"), R"("\ufffdz")");                // bad continuation
  EXPECT_EQ(json_quoted("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // encoded surrogate
  EXPECT_EQ(json_quoted("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(json_quoted("\xFF"), R"("\ufffd")");
}

TEST(sockjs_codec, builds_array_frames_from_prefix_and_body_parts) {
  std::string out;
  array_frame frame(out);
  frame.add("MESSAGE\nsubscription:1\n", std::string("\n{\"a\":1}\0", 9));
  frame.add("x");
  frame.finish();
  EXPECT_EQ(out, R"(a["MESSAGE\nsubscription:1\n\n{\"a\":1}\u0000","x"])");

  std::string empty;
  array_frame(empty).finish();
  EXPECT_EQ(empty, "a[]");
}

TEST(sockjs_codec, formats_close_frames) {
  EXPECT_EQ(close_frame(3000, "Go away!"), R"(c[3000,"Go away!"])");
  EXPECT_EQ(close_frame(2010, "Another connection still open"),
            R"(c[2010,"Another connection still open"])");
}

TEST(sockjs_codec, decodes_an_array_of_strings) {
  auto r = decode_messages(R"(["a","b c"])");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"a", "b c"}));
}

TEST(sockjs_codec, decodes_a_single_string_and_an_empty_array) {
  auto single = decode_messages(R"("CONNECT\n\n\u0000")");
  ASSERT_TRUE(single);
  EXPECT_EQ(*single, (std::vector<std::string>{std::string("CONNECT\n\n\0", 10)}));
  auto none = decode_messages("[]");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(sockjs_codec, tolerates_whitespace_between_tokens) {
  auto r = decode_messages(" \r\n[ \"a\" ,\t\"b\" ] \n");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"a", "b"}));
}

TEST(sockjs_codec, decodes_every_json_escape) {
  auto r = decode_messages(R"(["\"\\\/\b\f\n\r\t\u0041\u00e9\u4e2d"])");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], "\"\\/\b\f\n\r\tA" + utf8(0xE9) + utf8(0x4E2D));
}

TEST(sockjs_codec, joins_surrogate_pairs_and_replaces_lone_surrogates) {
  auto pair = decode_messages(R"(["\ud83d\ude00"])");
  ASSERT_TRUE(pair);
  EXPECT_EQ((*pair)[0], utf8(0x1F600));

  auto lone = decode_messages(R"(["\ud83dx\ude00\ud800\u0041"])");
  ASSERT_TRUE(lone);
  EXPECT_EQ((*lone)[0], utf8(0xFFFD) + "x" + utf8(0xFFFD) + utf8(0xFFFD) + "A");
}

TEST(sockjs_codec, passes_raw_utf8_through) {
  auto r = decode_messages("[\"" + utf8(0x1F600) + utf8(0xE9) + "\"]");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], utf8(0x1F600) + utf8(0xE9));
}

TEST(sockjs_codec, reports_a_missing_payload) {
  EXPECT_EQ(decode_messages("").error(), decode_error::payload_expected);
  EXPECT_EQ(decode_messages(" \n").error(), decode_error::payload_expected);
}

TEST(sockjs_codec, rejects_broken_json) {
  for (std::string_view bad :
       {R"(["a)", R"(["a",])", R"([,"a"])", R"(["a" "b"])", R"(["a"] x)", "[1]", R"({"a":"b"})",
        "[[\"a\"]]", R"(["\x"])", R"(["\u12G4"])", R"(["\u12"])", "[\"a\nb\"]", "null", "\"a",
        R"(["a"],)", "[", R"(["\)"})
    EXPECT_EQ(decode_messages(bad).error(), decode_error::broken_json) << bad;
}

TEST(sockjs_codec, decodes_what_it_encodes) {
  std::string all;
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x3000 ? 1 : 97))
    if (cp < 0xD800 || cp > 0xDFFF) all += utf8(cp);
  std::string frame;
  array_frame a(frame);
  a.add(all);
  a.add("second");
  a.finish();
  auto r = decode_messages(std::string_view(frame).substr(1));  // drop the `a` letter
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], all);
  EXPECT_EQ((*r)[1], "second");
}

TEST(sockjs_codec, accepts_only_dotless_bounded_path_segments) {
  EXPECT_TRUE(valid_segment("000", 64));
  EXPECT_TRUE(valid_segment("abcdefgh_i-j ", 64));
  EXPECT_FALSE(valid_segment("", 64));
  EXPECT_FALSE(valid_segment("a.", 64));
  EXPECT_FALSE(valid_segment(".", 64));
  EXPECT_FALSE(valid_segment("a/b", 64));
  EXPECT_FALSE(valid_segment(std::string(65, 'x'), 64));
  EXPECT_TRUE(valid_segment(std::string(64, 'x'), 64));
}

}  // namespace
}  // namespace parley::ws::sockjs
