#include "obs/histogram.hpp"
#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace parley::obs {
namespace {

TEST(histogram, counts_each_value_in_the_first_bucket_whose_bound_it_does_not_exceed) {
  const double bounds[] = {1, 2, 5};
  histogram h(bounds);
  h.observe(0.5);
  h.observe(1);    // le="1" includes 1 (Prometheus buckets are upper-inclusive)
  h.observe(1.5);
  h.observe(7);    // only +Inf
  h.observe(3, 4);  // a batch of four
  auto s = h.read();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 3, 7, 8}));
  EXPECT_DOUBLE_EQ(s.sum, 0.5 + 1 + 1.5 + 7 + 12);
}

TEST(histogram, loses_no_observation_made_by_concurrent_threads) {
  histogram h(latency_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) h.observe(0.001);
    });
  for (auto& t : threads) t.join();
  auto s = h.read();
  EXPECT_EQ(s.cumulative.back(), 1200000u);
  EXPECT_NEAR(s.sum, 1200.0, 1e-6);
}

TEST(histogram, refuses_bounds_that_are_not_ascending) {
  const double bad[] = {1, 1, 2};
  EXPECT_THROW(histogram{bad}, std::invalid_argument);
  const double down[] = {2, 1};
  EXPECT_THROW(histogram{down}, std::invalid_argument);
}

TEST(histogram, renders_cumulative_buckets_sum_and_count) {
  const double bounds[] = {0.5};
  histogram h(bounds);
  h.observe(0.25);
  h.observe(2);
  std::string out;
  render_histogram(out, "x_seconds", "op=\"a\"", h.read());
  EXPECT_EQ(out,
            "x_seconds_bucket{op=\"a\",le=\"0.5\"} 1\n"
            "x_seconds_bucket{op=\"a\",le=\"+Inf\"} 2\n"
            "x_seconds_sum{op=\"a\"} 2.25\n"
            "x_seconds_count{op=\"a\"} 2\n");
}

TEST(http_route, names_the_template_and_never_a_raw_path) {
  EXPECT_EQ(http_route("/chat/rooms/42/messages"), "/chat/rooms/{id}/messages");
  EXPECT_EQ(http_route("/chat/rooms/my"), "/chat/rooms/my");
  EXPECT_EQ(http_route("/chat/rooms/7"), "/chat/rooms/{id}");
  EXPECT_EQ(http_route("/chat/rooms/7/members/bob/admin"), "/chat/rooms/{id}/members/{user}/admin");
  EXPECT_EQ(http_route("/auth/login"), "/auth/{action}");
  EXPECT_EQ(http_route("/media/ab/cd.png"), "/media/{key}");
  EXPECT_EQ(http_route("/healthz"), "/healthz");
  EXPECT_EQ(http_route("/wp-admin/../etc/passwd"), "other");
  EXPECT_EQ(http_route("/chat/nonsense"), "other");
}

TEST(metrics, exposes_the_request_histogram_by_route_and_status_class) {
  observe_http("/users/me", 200, 0.003);
  observe_http("/users/me", 404, 0.001);
  auto text = render({});
  EXPECT_NE(text.find("parley_http_request_duration_seconds_count{route=\"/users/me\","
                      "status=\"2xx\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("parley_http_request_duration_seconds_count{route=\"/users/me\","
                      "status=\"4xx\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
}

}  // namespace
}  // namespace parley::obs
