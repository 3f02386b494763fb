#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace parley::core {
namespace {

using std::chrono::milliseconds;

std::chrono::system_clock::time_point at_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point{milliseconds{ms}};
}

TEST(ulid_generator, ids_are_26_crockford_base32_characters) {
  ulid_generator g;
  auto id = g.next(std::chrono::system_clock::now());
  EXPECT_EQ(id.size(), 26u);
  EXPECT_TRUE(is_ulid(id)) << id;
  EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos) << id;
}

TEST(ulid_generator, time_part_encodes_the_millisecond_as_in_the_ulid_spec) {
  // The spec's example: ulid(1469918176385) starts with "01ARYZ6S41".
  ulid_generator g;
  EXPECT_EQ(g.next(at_ms(1469918176385)).substr(0, 10), "01ARYZ6S41");
  ulid_generator zero;
  EXPECT_EQ(zero.next(at_ms(1)).substr(0, 10), "0000000001");
}

TEST(ulid_generator, ids_are_strictly_increasing_within_one_millisecond) {
  ulid_generator g;
  auto now = at_ms(1'800'000'000'000);
  std::string prev = g.next(now);
  for (int i = 0; i < 10'000; ++i) {
    auto id = g.next(now);
    ASSERT_GT(id, prev);
    ASSERT_EQ(id.substr(0, 10), prev.substr(0, 10)) << "same millisecond, same time part";
    prev = id;
  }
}

TEST(ulid_generator, ids_stay_increasing_when_the_clock_steps_back) {
  ulid_generator g;
  auto a = g.next(at_ms(1'800'000'000'000));
  auto b = g.next(at_ms(1'800'000'000'000 - 5'000));  // NTP stepped the clock back 5 s
  auto c = g.next(at_ms(1'799'000'000'000));
  EXPECT_GT(b, a);
  EXPECT_GT(c, b);
  // The time part does not go backwards either: it keeps the last millisecond seen.
  EXPECT_EQ(b.substr(0, 10), a.substr(0, 10));
}

TEST(ulid_generator, a_later_millisecond_sorts_after_every_id_of_an_earlier_one) {
  ulid_generator g;
  std::string last_of_first_ms;
  for (int i = 0; i < 100; ++i) last_of_first_ms = g.next(at_ms(1'800'000'000'000));
  auto next_ms = g.next(at_ms(1'800'000'000'001));
  EXPECT_GT(next_ms, last_of_first_ms);
  EXPECT_NE(next_ms.substr(0, 10), last_of_first_ms.substr(0, 10));
}

TEST(ulid_generator, two_generators_do_not_repeat_ids) {
  ulid_generator a, b;
  auto now = at_ms(1'800'000'000'000);
  EXPECT_NE(a.next(now), b.next(now));
}

TEST(ulid_generator, after_resuming_ids_follow_the_given_id_even_with_the_clock_behind_it) {
  ulid_generator before_restart;
  auto last = before_restart.next(at_ms(1'800'000'000'000));
  ulid_generator g;
  g.resume_after(last);
  auto id = g.next(at_ms(1'700'000'000'000));  // the clock is behind the stored id
  EXPECT_GT(id, last);
  EXPECT_EQ(id.substr(0, 10), last.substr(0, 10));
  EXPECT_GT(g.next(at_ms(1'800'000'000'000)), id) << "the same millisecond as the stored id";
}

TEST(ulid_generator, resuming_never_moves_the_generator_backwards) {
  ulid_generator g;
  auto newest = g.next(at_ms(1'800'000'000'000));
  ulid_generator old_source;
  g.resume_after(old_source.next(at_ms(1'700'000'000'000)));
  EXPECT_GT(g.next(at_ms(1'700'000'000'000)), newest);
}

TEST(ulid_generator, resuming_after_a_malformed_id_is_ignored) {
  ulid_generator g;
  auto first = g.next(at_ms(1'800'000'000'000));
  g.resume_after("not a ulid");
  g.resume_after("");
  g.resume_after("8ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  auto next = g.next(at_ms(1'800'000'000'000));
  EXPECT_GT(next, first);
  EXPECT_EQ(next.substr(0, 10), first.substr(0, 10));
}

TEST(is_ulid, accepts_generated_ids_and_rejects_malformed_ones) {
  ulid_generator g;
  EXPECT_TRUE(is_ulid(g.next(std::chrono::system_clock::now())));
  EXPECT_TRUE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_TRUE(is_ulid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));  // the largest 128-bit value
  EXPECT_FALSE(is_ulid(""));
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FA"));    // 25 chars
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAVX"));  // 27 chars
  EXPECT_FALSE(is_ulid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"));   // above 2^128
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAI"));   // I, L, O, U are not Crockford digits
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAL"));
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAO"));
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FAU"));
  EXPECT_FALSE(is_ulid("01ARYZ6S41TSV4RRFFQ69G5FA-"));
  EXPECT_FALSE(is_ulid("../../etc/passwd/aaaaaaaaa"));
}

TEST(make_uuid, makes_lowercase_version_4_uuids) {
  auto u = make_uuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_TRUE(is_uuid(u)) << u;
  EXPECT_EQ(u[14], '4') << "version nibble";
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << "RFC 4122 variant";
  EXPECT_EQ(u.find_first_of("ABCDEF"), std::string::npos);
}

TEST(make_uuid, ids_do_not_repeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(make_uuid()).second);
}

TEST(is_uuid, rejects_wrong_length_misplaced_hyphens_and_non_hex) {
  EXPECT_TRUE(is_uuid("123e4567-e89b-42d3-a456-426614174000"));
  EXPECT_TRUE(is_uuid("123E4567-E89B-42D3-A456-426614174000"));
  EXPECT_FALSE(is_uuid(""));
  EXPECT_FALSE(is_uuid("123e4567-e89b-42d3-a456-42661417400"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-42d3-a456-4266141740000"));
  EXPECT_FALSE(is_uuid("123e4567e-89b-42d3-a456-426614174000"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-42d3-a456-42661417400g"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-42d3-a456-426614174000 "));
}

TEST(random_token, is_unpadded_base64url_of_the_requested_bytes) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 16u, 32u, 33u}) {
    auto t = random_token(n);
    EXPECT_EQ(t.size(), (n * 4 + 2) / 3) << n;
    EXPECT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << t;
  }
}

TEST(random_token, tokens_do_not_repeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(random_token(16)).second);
}

}  // namespace
}  // namespace parley::core
