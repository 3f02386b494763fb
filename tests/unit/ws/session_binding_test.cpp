#include "ws/session_binding.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace parley::ws {
namespace {

const std::string key_a(32, 'a');
const std::string key_b(32, 'b');

TEST(session_binding, makes_distinct_hex_keys_of_128_bits) {
  std::set<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    auto k = session_binding::make_key();
    EXPECT_EQ(k.size(), session_binding::key_length);
    EXPECT_EQ(k.find_first_not_of("0123456789abcdef"), std::string::npos) << k;
    keys.insert(k);
  }
  EXPECT_EQ(keys.size(), 100u);
}

TEST(session_binding, finds_its_key_among_other_cookies) {
  EXPECT_EQ(session_binding::key_in("parley_sockjs=" + key_a), key_a);
  EXPECT_EQ(session_binding::key_in("theme=dark; parley_sockjs=" + key_a + "; x=y"), key_a);
  EXPECT_EQ(session_binding::key_in("theme=dark;parley_sockjs=" + key_a + " "), key_a);
}

TEST(session_binding, treats_a_malformed_or_missing_key_as_none) {
  EXPECT_EQ(session_binding::key_in(""), "");
  EXPECT_EQ(session_binding::key_in("parley_sockjs="), "");
  EXPECT_EQ(session_binding::key_in("parley_sockjs=" + key_a + "0"), "");
  EXPECT_EQ(session_binding::key_in("parley_sockjs=" + std::string(32, 'G')), "");
  EXPECT_EQ(session_binding::key_in("xparley_sockjs=" + key_a), "");
  EXPECT_EQ(session_binding::key_in("parley_sockjsx=" + key_a), "");
  EXPECT_EQ(session_binding::key_in(";;;="), "");
}

TEST(session_binding, set_cookie_is_http_only_strict_and_scoped_to_ws) {
  EXPECT_EQ(session_binding::set_cookie(key_a),
            "parley_sockjs=" + key_a + "; Path=/ws; HttpOnly; SameSite=Strict");
}

TEST(session_binding, without_the_key_admits_only_the_opener_address) {
  session_binding b(key_a, "10.0.0.1", false);
  EXPECT_TRUE(b.admits("10.0.0.1", ""));
  EXPECT_FALSE(b.admits("10.0.0.2", ""));
  EXPECT_FALSE(b.admits("10.0.0.2", key_b));
  EXPECT_TRUE(b.admits("10.0.0.1", ""));  // still address-bound: no request showed the key
}

TEST(session_binding, the_key_once_seen_is_required_from_every_address) {
  session_binding b(key_a, "10.0.0.1", false);
  EXPECT_TRUE(b.admits("10.0.0.1", key_a));
  EXPECT_FALSE(b.admits("10.0.0.1", ""));
  EXPECT_FALSE(b.admits("10.0.0.1", key_b));
  EXPECT_TRUE(b.admits("10.0.0.9", key_a));
}

TEST(session_binding, a_session_opened_with_the_key_is_bound_to_it_at_once) {
  session_binding b(key_a, "10.0.0.1", true);
  EXPECT_FALSE(b.admits("10.0.0.1", ""));
  EXPECT_FALSE(b.admits("10.0.0.1", key_a.substr(1)));
  EXPECT_TRUE(b.admits("10.0.0.1", key_a));
}

}  // namespace
}  // namespace parley::ws
