#include "core/rate_limit.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::core {
namespace {

using namespace std::chrono_literals;

struct stepped_clock final : clock {
  time_point now() const override { return t; }
  time_point t = time_point(1'700'000'000s);
};

TEST(memory_rate_limit, allows_up_to_the_limit_in_the_window) {
  stepped_clock c;
  memory_rate_limit lim(3, 60s, c);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(lim.allowed("u")) << i;
    lim.record("u");
  }
  EXPECT_FALSE(lim.allowed("u"));
  EXPECT_TRUE(lim.allowed("v")) << "keys are independent";
}

TEST(memory_rate_limit, the_window_slides_one_event_at_a_time) {
  stepped_clock c;
  memory_rate_limit lim(2, 60s, c);
  lim.record("u");
  c.t += 30s;
  lim.record("u");
  EXPECT_FALSE(lim.allowed("u"));
  c.t += 30s;  // the first event is now 60 s old: out of the window
  EXPECT_TRUE(lim.allowed("u"));
  lim.record("u");
  EXPECT_FALSE(lim.allowed("u"));
}

TEST(memory_rate_limit, take_counts_every_attempt_it_admits_and_none_it_refuses) {
  stepped_clock c;
  memory_rate_limit lim(2, 60s, c);
  EXPECT_TRUE(lim.take("u"));
  EXPECT_TRUE(lim.take("u"));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(lim.take("u"));
  c.t += 60s;
  EXPECT_TRUE(lim.take("u")) << "refused attempts did not extend the window";
}

TEST(memory_rate_limit, reset_forgets_a_key) {
  stepped_clock c;
  memory_rate_limit lim(1, 60s, c);
  lim.record("u");
  EXPECT_FALSE(lim.allowed("u"));
  lim.reset("u");
  EXPECT_TRUE(lim.allowed("u"));
}

TEST(memory_rate_limit, a_flood_of_distinct_keys_stays_bounded_and_expired_keys_are_swept) {
  stepped_clock c;
  memory_rate_limit lim(1, 60s, c);
  for (std::size_t i = 0; i <= memory_rate_limit::sweep_threshold; ++i)
    lim.record("k" + std::to_string(i));
  c.t += 61s;
  lim.record("fresh");  // past the threshold: every expired key goes
  EXPECT_TRUE(lim.allowed("k0"));
  EXPECT_FALSE(lim.allowed("fresh"));
}

}  // namespace
}  // namespace parley::core
