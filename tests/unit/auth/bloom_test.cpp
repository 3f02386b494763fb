#include "auth/bloom.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parley::auth {
namespace {

std::string user(std::size_t i) { return "user_" + std::to_string(i); }

TEST(bloom_filter, is_sized_like_the_original_by_default) {
  bloom_filter f;
  EXPECT_NEAR(static_cast<double>(f.bit_count()), 9'585'059.0, 1.0);
  EXPECT_EQ(f.hash_count(), 7u);
}

TEST(bloom_filter, has_no_false_negatives_for_100k_items) {
  bloom_filter f(100'000, 0.01);
  for (std::size_t i = 0; i < 100'000; ++i) f.add(user(i));
  std::size_t missing = 0;
  for (std::size_t i = 0; i < 100'000; ++i) missing += !f.maybe_contains(user(i));
  EXPECT_EQ(missing, 0u);
}

TEST(bloom_filter, false_positive_rate_is_near_target_when_full) {
  bloom_filter f(100'000, 0.01);
  for (std::size_t i = 0; i < 100'000; ++i) f.add(user(i));
  std::size_t hits = 0;
  constexpr std::size_t probes = 100'000;
  for (std::size_t i = 0; i < probes; ++i) hits += f.maybe_contains("other_" + std::to_string(i));
  double rate = static_cast<double>(hits) / probes;
  // Expected 1 %; the standard deviation of the estimate is 0.03 %, so this band is ~10 sigma.
  EXPECT_GT(rate, 0.007) << rate;
  EXPECT_LT(rate, 0.013) << rate;
}

TEST(bloom_filter, empty_filter_contains_nothing) {
  bloom_filter f(1000, 0.01);
  EXPECT_FALSE(f.maybe_contains("alice"));
  EXPECT_FALSE(f.maybe_contains(""));
}

TEST(bloom_filter, compares_items_exactly) {
  bloom_filter f(1000, 1e-9);
  f.add("Alice");
  EXPECT_TRUE(f.maybe_contains("Alice"));
  EXPECT_FALSE(f.maybe_contains("alice"));
  EXPECT_FALSE(f.maybe_contains(" Alice"));
}

TEST(bloom_filter, places_items_identically_in_every_instance) {
  // Positions depend on the item and the sizing only, never on a per-process seed.
  bloom_filter a(1000, 0.01), b(1000, 0.01);
  a.add("alice");
  b.add("alice");
  for (std::size_t i = 0; i < 2000; ++i)
    EXPECT_EQ(a.maybe_contains(user(i)), b.maybe_contains(user(i)));
}

TEST(bloom_filter, loses_no_item_under_concurrent_adds_and_lookups) {
  bloom_filter f(40'000, 0.01);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 4; ++t)
    threads.emplace_back([&f, t] {
      for (std::size_t i = t; i < 40'000; i += 4) {
        f.add(user(i));
        static_cast<void>(f.maybe_contains(user(i + 1)));
      }
    });
  for (auto& th : threads) th.join();
  for (std::size_t i = 0; i < 40'000; ++i) ASSERT_TRUE(f.maybe_contains(user(i))) << i;
}

TEST(bloom_filter, refuses_impossible_sizing) {
  EXPECT_THROW(bloom_filter(0, 0.01), std::invalid_argument);
  EXPECT_THROW(bloom_filter(10, 0.0), std::invalid_argument);
  EXPECT_THROW(bloom_filter(10, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace parley::auth
