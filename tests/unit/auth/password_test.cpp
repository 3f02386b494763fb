#include "auth/password.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

// MIN limits keep each hash at a few milliseconds; the algorithm is the same.
const password_hasher& hasher() {
  static const password_hasher h(argon2_limits::minimum());
  return h;
}

TEST(password_hasher, verifies_the_password_it_hashed) {
  std::string stored = hasher().hash("Correct-Horse-9");
  EXPECT_TRUE(hasher().verify("Correct-Horse-9", stored));
}

TEST(password_hasher, rejects_a_wrong_password) {
  std::string stored = hasher().hash("Correct-Horse-9");
  EXPECT_FALSE(hasher().verify("Correct-Horse-8", stored));
  EXPECT_FALSE(hasher().verify("correct-horse-9", stored));
  EXPECT_FALSE(hasher().verify("", stored));
}

TEST(password_hasher, produces_salted_argon2id_phc_strings) {
  std::string a = hasher().hash("Same-Password-1");
  std::string b = hasher().hash("Same-Password-1");
  EXPECT_TRUE(a.starts_with("$argon2id$v=19$m=8,t=1,p=1$")) << a;
  EXPECT_NE(a, b);  // a fresh salt each time
}

TEST(password_hasher, treats_bytes_after_a_nul_as_part_of_the_password) {
  std::string with_nul("Pass\0word-1A", 12);
  std::string stored = hasher().hash(with_nul);
  EXPECT_TRUE(hasher().verify(with_nul, stored));
  EXPECT_FALSE(hasher().verify("Pass", stored));
}

TEST(password_hasher, rejects_malformed_stored_hashes) {
  std::string stored = hasher().hash("Correct-Horse-9");
  EXPECT_FALSE(hasher().verify("Correct-Horse-9", ""));
  EXPECT_FALSE(hasher().verify("Correct-Horse-9", "not a hash"));
  EXPECT_FALSE(hasher().verify("Correct-Horse-9", stored.substr(0, stored.size() - 3)));
  EXPECT_FALSE(hasher().verify("Correct-Horse-9", stored + std::string(1, '\0') + "x"));
  EXPECT_FALSE(hasher().verify("Correct-Horse-9", std::string(500, 'a')));
  // bcrypt, the original's algorithm, is not accepted.
  EXPECT_FALSE(hasher().verify(
      "password", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
}

TEST(password_hasher, asks_for_rehash_when_limits_change) {
  std::string weak = hasher().hash("Correct-Horse-9");
  EXPECT_FALSE(hasher().needs_rehash(weak));
  password_hasher stronger(argon2_limits{2, 16384});
  EXPECT_TRUE(stronger.needs_rehash(weak));
  EXPECT_FALSE(stronger.needs_rehash(stronger.hash("Correct-Horse-9")));
  EXPECT_TRUE(hasher().needs_rehash("garbage"));
}

TEST(password_hasher, dummy_verify_accepts_any_input) {
  // It only burns time; what matters is that it never throws on what a client sends.
  hasher().dummy_verify("whatever");
  hasher().dummy_verify("");
  hasher().dummy_verify(std::string(4096, 'x'));
}

}  // namespace
}  // namespace parley::auth
