#include "auth/validation.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

std::string repeat(std::string_view unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

TEST(count_code_points, counts_characters_not_bytes) {
  EXPECT_EQ(count_code_points(""), 0u);
  EXPECT_EQ(count_code_points("abc"), 3u);
  EXPECT_EQ(count_code_points("\xc3\xa9"), 1u);          // é
  EXPECT_EQ(count_code_points("\xe6\x97\xa5"), 1u);      // 日
  EXPECT_EQ(count_code_points("\xf0\x9f\x98\x80"), 1u);  // 😀
}

TEST(count_code_points, rejects_ill_formed_utf8) {
  EXPECT_FALSE(count_code_points("\xc3"));              // truncated
  EXPECT_FALSE(count_code_points("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(count_code_points("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(count_code_points("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(count_code_points("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(count_code_points("\x80"));              // lone continuation byte
  EXPECT_FALSE(count_code_points("\xff"));
}

TEST(validate_password, accepts_at_the_length_bounds) {
  EXPECT_EQ(validate_password("Aa1!aaaa"), std::nullopt);                  // 8
  EXPECT_EQ(validate_password("Aa1!" + std::string(60, 'a')), std::nullopt);  // 64
}

TEST(validate_password, rejects_just_outside_the_length_bounds) {
  EXPECT_TRUE(validate_password("Aa1!aaa"));                       // 7
  EXPECT_TRUE(validate_password("Aa1!" + std::string(61, 'a')));   // 65
  EXPECT_TRUE(validate_password(""));
}

TEST(validate_password, counts_length_in_code_points) {
  // 8 characters, 12 bytes: é is a symbol (not an ASCII letter or digit).
  EXPECT_EQ(validate_password("Aa1" + repeat("\xc3\xa9", 4) + "x"), std::nullopt);
  EXPECT_TRUE(validate_password("Aa1" + repeat("\xc3\xa9", 3) + "x"));
  // 64 characters but 124 bytes.
  EXPECT_EQ(validate_password("Aa1" + repeat("\xc3\xa9", 60) + "x"), std::nullopt);
  EXPECT_TRUE(validate_password("Aa1" + repeat("\xc3\xa9", 61) + "x"));
}

TEST(validate_password, rejects_whitespace_anywhere) {
  EXPECT_TRUE(validate_password("Aa1!aaa aa"));
  EXPECT_TRUE(validate_password("Aa1!aaa\taa"));
  EXPECT_TRUE(validate_password("Aa1!aaaaa\n"));
  EXPECT_TRUE(validate_password(" Aa1!aaaaa"));
  EXPECT_TRUE(validate_password("Aa1!aaa\xc2\xa0" "aa"));      // no-break space
  EXPECT_TRUE(validate_password("Aa1!aaa\xe3\x80\x80" "aa"));  // ideographic space
}

TEST(validate_password, requires_each_character_class) {
  EXPECT_TRUE(validate_password("aa1!aaaa"));  // no upper
  EXPECT_TRUE(validate_password("AA1!AAAA"));  // no lower
  EXPECT_TRUE(validate_password("Aa!!aaaa"));  // no digit
  EXPECT_TRUE(validate_password("Aa11aaaa"));  // no symbol
  EXPECT_EQ(validate_password("Aa1_aaaa"), std::nullopt);  // '_' is a symbol
}

TEST(validate_password, rejects_ill_formed_utf8) {
  EXPECT_TRUE(validate_password("Aa1!aaaa\xff"));
}

TEST(validate_username, accepts_letters_digits_underscore_at_bounds) {
  EXPECT_EQ(validate_username("abc"), std::nullopt);
  EXPECT_EQ(validate_username(std::string(32, 'a')), std::nullopt);
  EXPECT_EQ(validate_username("Alice_42"), std::nullopt);
}

TEST(validate_username, rejects_bad_length_or_characters) {
  EXPECT_TRUE(validate_username("ab"));
  EXPECT_TRUE(validate_username(std::string(33, 'a')));
  EXPECT_TRUE(validate_username(""));
  EXPECT_TRUE(validate_username("ali ce"));
  EXPECT_TRUE(validate_username(" alice"));
  EXPECT_TRUE(validate_username("alice-b"));
  EXPECT_TRUE(validate_username("al.ice"));
  EXPECT_TRUE(validate_username("\xc3\xa9l\xc3\xa9"));  // non-ASCII letters
  EXPECT_TRUE(validate_username(std::string_view("abc\0", 4)));
}

TEST(validate_email, accepts_what_the_original_regex_accepts) {
  EXPECT_EQ(validate_email("a@b.co"), std::nullopt);
  EXPECT_EQ(validate_email("first.last+tag%x_y-z@mail-1.example.org"), std::nullopt);
  EXPECT_EQ(validate_email("a@b..c.com"), std::nullopt);  // the regex allows empty labels
  EXPECT_EQ(validate_email("a@-.io"), std::nullopt);
}

TEST(validate_email, rejects_what_the_original_regex_rejects) {
  EXPECT_TRUE(validate_email(""));
  EXPECT_TRUE(validate_email("a"));
  EXPECT_TRUE(validate_email("@b.co"));          // empty local part
  EXPECT_TRUE(validate_email("a@.co"));          // empty domain before the dot
  EXPECT_TRUE(validate_email("a@b.c"));          // one-letter top-level part
  EXPECT_TRUE(validate_email("a@b.c0m"));        // digit in top-level part
  EXPECT_TRUE(validate_email("a@bco"));          // no dot
  EXPECT_TRUE(validate_email("a@b.co."));        // trailing dot
  EXPECT_TRUE(validate_email("a@b@c.co"));       // two @
  EXPECT_TRUE(validate_email("a b@c.co"));
  EXPECT_TRUE(validate_email("a@b_c.co"));       // underscore not allowed in the domain
  EXPECT_TRUE(validate_email("\xc3\xa9@b.co"));  // non-ASCII
}

TEST(validate_email, caps_length_at_254) {
  std::string local(64, 'a');
  std::string domain = std::string(254 - 64 - 1 - 4, 'b') + ".com";
  EXPECT_EQ(validate_email(local + "@" + domain), std::nullopt);  // 254
  EXPECT_TRUE(validate_email(local + "@b" + domain));             // 255
}

TEST(validate_email, runs_in_linear_time_on_hostile_input) {
  // The shape that makes backtracking regex engines explode.
  std::string hostile = "a@" + std::string(250, '.');
  EXPECT_TRUE(validate_email(hostile));
}

TEST(validate_full_name, accepts_at_the_length_bounds_in_code_points) {
  EXPECT_EQ(validate_full_name("Al"), std::nullopt);
  EXPECT_EQ(validate_full_name(std::string(100, 'a')), std::nullopt);
  EXPECT_EQ(validate_full_name("\xd0\xaf\xd0\xbd"), std::nullopt);  // "Ян": 2 chars, 4 bytes
  EXPECT_EQ(validate_full_name(repeat("\xe6\x97\xa5", 100)), std::nullopt);  // 300 bytes
  EXPECT_EQ(validate_full_name("Zo\xc3\xab O'Brien-Smith"), std::nullopt);
}

TEST(validate_full_name, rejects_outside_the_length_bounds) {
  EXPECT_TRUE(validate_full_name(""));
  EXPECT_TRUE(validate_full_name("A"));
  EXPECT_TRUE(validate_full_name("\xc3\xa9"));  // 1 char, 2 bytes
  EXPECT_TRUE(validate_full_name(std::string(101, 'a')));
  EXPECT_TRUE(validate_full_name(repeat("\xe6\x97\xa5", 101)));
}

TEST(validate_full_name, rejects_blank_and_control_characters) {
  EXPECT_TRUE(validate_full_name("   "));
  EXPECT_TRUE(validate_full_name("\xe3\x80\x80\xe3\x80\x80"));  // ideographic spaces
  EXPECT_TRUE(validate_full_name("Al\nice"));
  EXPECT_TRUE(validate_full_name("Al\x7fice"));
  EXPECT_TRUE(validate_full_name("Al\xc2\x85ice"));  // C1 control (NEL)
  EXPECT_TRUE(validate_full_name("Al\xffice"));
}

TEST(validate_bio, accepts_empty_and_up_to_255_code_points) {
  EXPECT_EQ(validate_bio(""), std::nullopt);
  EXPECT_EQ(validate_bio(std::string(255, 'a')), std::nullopt);
  EXPECT_EQ(validate_bio(repeat("\xf0\x9f\x98\x80", 255)), std::nullopt);  // 1020 bytes
  EXPECT_EQ(validate_bio("line one\nline two\r\n\tindented"), std::nullopt);
}

TEST(validate_bio, rejects_over_255_code_points_and_controls) {
  EXPECT_TRUE(validate_bio(std::string(256, 'a')));
  EXPECT_TRUE(validate_bio(repeat("\xf0\x9f\x98\x80", 256)));
  EXPECT_TRUE(validate_bio(std::string_view("a\0b", 3)));
  EXPECT_TRUE(validate_bio("bell\x07"));
  EXPECT_TRUE(validate_bio("\xed\xa0\x80"));
}

}  // namespace
}  // namespace parley::auth
