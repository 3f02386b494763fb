#include "core/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::core {
namespace {

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

json::object object_of(std::string_view text) {
  auto v = parse_json(text);
  EXPECT_TRUE(v) << text;
  return v ? v->as_object() : json::object{};
}

TEST(parse_json, parses_a_valid_document) {
  auto v = parse_json(R"({"a":[1,2,{"b":null}],"c":"d"})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("c").as_string(), "d");
}

TEST(parse_json, accepts_nesting_up_to_the_limit) {
  EXPECT_TRUE(parse_json(nested_arrays(max_json_depth)));
}

TEST(parse_json, refuses_nesting_beyond_the_limit_with_a_400) {
  auto v = parse_json(nested_arrays(max_json_depth + 1));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().status(), 400);
  EXPECT_EQ(v.error().message, "JSON nested too deeply");
}

TEST(parse_json, does_not_overflow_the_stack_on_very_deep_input) {
  auto v = parse_json(nested_arrays(100'000));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "JSON nested too deeply");
}

TEST(parse_json, honours_a_smaller_depth_limit) {
  EXPECT_TRUE(parse_json(R"({"a":{"b":1}})", 2));
  auto v = parse_json(R"({"a":{"b":[1]}})", 2);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "JSON nested too deeply");
}

TEST(parse_json, malformed_input_is_a_400_invalid_body) {
  for (std::string_view bad : {"", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{} trailing", "nul",
                               "{'a':1}", "\"unterminated"}) {
    auto v = parse_json(bad);
    ASSERT_FALSE(v) << bad;
    EXPECT_EQ(v.error().status(), 400) << bad;
    EXPECT_EQ(v.error().code, parley::core::errc::invalid_body) << bad;
    EXPECT_EQ(v.error().message, "Malformed JSON") << bad;
  }
}

TEST(get_string, absent_and_null_are_nullopt) {
  auto o = object_of(R"({"n":null})");
  auto absent = get_string(o, "x");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  auto null = get_string(o, "n");
  ASSERT_TRUE(null);
  EXPECT_FALSE(*null);
}

TEST(get_string, returns_the_string) {
  auto o = object_of(R"({"s":"hé"})");
  auto s = get_string(o, "s");
  ASSERT_TRUE(s && *s);
  EXPECT_EQ(**s, "hé");
}

TEST(get_string, a_wrong_type_is_a_field_error) {
  auto o = object_of(R"({"s":5})");
  auto s = get_string(o, "s");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().status(), 400);
  ASSERT_EQ(s.error().errors.count("s"), 1u);
  EXPECT_EQ(s.error().errors.at("s"), "must be a string");
}

TEST(get_int, reads_integers) {
  auto o = object_of(R"({"i":42,"neg":-7,"big":9223372036854775807})");
  EXPECT_EQ(**get_int(o, "i"), 42);
  EXPECT_EQ(**get_int(o, "neg"), -7);
  EXPECT_EQ(**get_int(o, "big"), INT64_MAX);
  auto absent = get_int(o, "x");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
}

TEST(get_int, accepts_numeric_strings_as_the_original_client_sent_ids) {
  auto o = object_of(R"({"chatRoomId":"17","long":"123456789012345678"})");
  EXPECT_EQ(**get_int(o, "chatRoomId"), 17);
  EXPECT_EQ(**get_int(o, "long"), 123456789012345678);
}

TEST(get_int, a_non_numeric_string_or_other_type_is_a_field_error) {
  auto o = object_of(
      R"({"empty":"","word":"12a","sign":"-1","space":" 1","float":1.5,"bool":true,"arr":[1],)"
      R"("huge":18446744073709551615})");
  for (const char* key : {"empty", "word", "sign", "space", "float", "bool", "arr", "huge"}) {
    auto r = get_int(o, key);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().status(), 400) << key;
    ASSERT_EQ(r.error().errors.count(key), 1u) << key;
    EXPECT_EQ(r.error().errors.at(key), "must be an integer") << key;
  }
}

TEST(get_bool, reads_booleans_and_refuses_other_types) {
  auto o = object_of(R"({"t":true,"f":false,"s":"true","n":1,"z":null})");
  EXPECT_EQ(**get_bool(o, "t"), true);
  EXPECT_EQ(**get_bool(o, "f"), false);
  EXPECT_FALSE(*get_bool(o, "z"));
  for (const char* key : {"s", "n"}) {
    auto r = get_bool(o, key);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().errors.at(key), "must be a boolean");
  }
}

TEST(nullable, serializes_an_empty_optional_as_null) {
  EXPECT_TRUE(nullable(std::nullopt).is_null());
  EXPECT_EQ(nullable(std::string("x")).as_string(), "x");
}

}  // namespace
}  // namespace parley::core
