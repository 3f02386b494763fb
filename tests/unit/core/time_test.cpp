#include "core/time.hpp"

#include <gtest/gtest.h>

namespace parley::core {
namespace {

using namespace std::chrono_literals;

TEST(iso8601, formats_utc_with_milliseconds_and_z) {
  EXPECT_EQ(iso8601(from_epoch_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601(from_epoch_ms(1795773600123)), "2026-11-27T10:00:00.123Z");
  EXPECT_EQ(iso8601(from_epoch_ms(951782400000)), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(iso8601(from_epoch_ms(4102444799999)), "2099-12-31T23:59:59.999Z");
}

TEST(iso8601, drops_sub_millisecond_precision) {
  auto t = from_epoch_ms(1795773600123) + 999us;
  EXPECT_EQ(iso8601(t), "2026-11-27T10:00:00.123Z");
}

TEST(iso8601, round_trips_through_parse_at_millisecond_precision) {
  for (std::int64_t ms :
       {0LL, 1LL, 999LL, 1000LL, 1795773600123LL, 1800000000001LL, 4102444799999LL}) {
    auto text = iso8601(from_epoch_ms(ms));
    auto back = parse_iso8601(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(epoch_ms(*back), ms) << text;
    EXPECT_EQ(iso8601(*back), text);
  }
}

TEST(parse_iso8601, accepts_a_timestamp_without_fraction) {
  auto t = parse_iso8601("2026-11-27T10:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(epoch_ms(*t), 1795773600000);
}

TEST(parse_iso8601, reads_a_short_fraction_as_a_decimal_fraction_of_a_second) {
  auto half = parse_iso8601("2026-11-27T10:00:00.5Z");
  ASSERT_TRUE(half);
  EXPECT_EQ(epoch_ms(*half), 1795773600500);
  auto twelve = parse_iso8601("2026-11-27T10:00:00.12Z");
  ASSERT_TRUE(twelve);
  EXPECT_EQ(epoch_ms(*twelve), 1795773600120);
}

TEST(parse_iso8601, truncates_a_fraction_finer_than_milliseconds) {
  auto t = parse_iso8601("2026-11-27T10:00:00.123456Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(epoch_ms(*t), 1795773600123);
}

TEST(parse_iso8601, rejects_garbage_and_non_utc_offsets) {
  EXPECT_FALSE(parse_iso8601(""));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2026-11-27"));
  EXPECT_FALSE(parse_iso8601("2026-11-27T10:00"));
  // Only UTC is spoken: an offset must not be read as if it were Z.
  EXPECT_FALSE(parse_iso8601("2026-11-27T10:00:00+05:00"));
  EXPECT_FALSE(parse_iso8601("2026-11-27T10:00:00.123"));
  EXPECT_FALSE(parse_iso8601("2026-11-27T10:00:00.123Zjunk"));
}

TEST(epoch_ms, is_the_inverse_of_from_epoch_ms) {
  EXPECT_EQ(epoch_ms(from_epoch_ms(1795773600123)), 1795773600123);
  EXPECT_EQ(epoch_ms(from_epoch_ms(0)), 0);
}

}  // namespace
}  // namespace parley::core
