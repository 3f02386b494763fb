#include "auth/tokens.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

TEST(hash_token, is_lowercase_hex_sha256) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(hash_token, differs_for_different_tokens_and_is_stable) {
  EXPECT_EQ(hash_token("token-a"), hash_token("token-a"));
  EXPECT_NE(hash_token("token-a"), hash_token("token-b"));
  EXPECT_EQ(hash_token("").size(), 64u);
}

}  // namespace
}  // namespace parley::auth
