#include "ws/outbound_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::ws {
namespace {

using realtime::make_outbound;
using realtime::outbound;

TEST(outbound_queue, refuses_a_frame_that_would_exceed_the_budget) {
  outbound_queue q;
  EXPECT_TRUE(q.push(make_outbound(std::string(60, 'a')), 100));
  EXPECT_FALSE(q.push(make_outbound(std::string(41, 'b')), 100));
  EXPECT_TRUE(q.push(make_outbound(std::string(40, 'c')), 100));
  EXPECT_EQ(q.bytes(), 100u);
}

TEST(outbound_queue, counts_the_shared_prefix_in_the_budget) {
  outbound_queue q;
  outbound f{std::make_shared<const std::string>(10, 'p'),
             std::make_shared<const std::string>(5, 'b')};
  EXPECT_FALSE(q.push(f, 14));
  EXPECT_TRUE(q.push(f, 15));
}

TEST(outbound_queue, unbounded_push_ignores_the_budget) {
  outbound_queue q;
  q.push_unbounded(make_outbound(std::string(500, 'x')));
  EXPECT_EQ(q.bytes(), 500u);
  EXPECT_FALSE(q.push(make_outbound("y"), 500));
}

TEST(outbound_queue, takes_oldest_first_within_frame_and_byte_caps) {
  outbound_queue q;
  for (int i = 0; i < 10; ++i) q.push_unbounded(make_outbound(std::string(10, char('0' + i))));
  std::vector<outbound> out;
  EXPECT_EQ(q.take(out, 3, 1000), 30u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ((*out[0].body)[0], '0');
  EXPECT_EQ((*out[2].body)[0], '2');
  out.clear();
  EXPECT_EQ(q.take(out, 100, 25), 20u);  // a third frame would pass 25 bytes
  EXPECT_EQ((*out[0].body)[0], '3');
  EXPECT_EQ(q.bytes(), 50u);
}

TEST(outbound_queue, sends_a_frame_larger_than_the_byte_cap_alone) {
  outbound_queue q;
  q.push_unbounded(make_outbound(std::string(100, 'x')));
  q.push_unbounded(make_outbound("y"));
  std::vector<outbound> out;
  EXPECT_EQ(q.take(out, 64, 10), 100u);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(q.empty());
}

TEST(outbound_queue, keeps_order_across_many_interleaved_pushes_and_takes) {
  outbound_queue q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 7; ++k) q.push_unbounded(make_outbound(std::to_string(next_in++)));
    std::vector<outbound> out;
    q.take(out, 5, 1 << 20);
    for (auto& f : out) ASSERT_EQ(*f.body, std::to_string(next_out++));
  }
  while (!q.empty()) {
    std::vector<outbound> out;
    q.take(out, 64, 1 << 20);
    for (auto& f : out) ASSERT_EQ(*f.body, std::to_string(next_out++));
  }
  EXPECT_EQ(next_in, next_out);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(outbound_queue, clear_drops_everything) {
  outbound_queue q;
  q.push_unbounded(make_outbound("a"));
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

}  // namespace
}  // namespace parley::ws
