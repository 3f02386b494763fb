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

TEST(metrics, each_process_exposes_the_families_of_its_role_and_mode) {
  auto has = [](const std::string& text, const char* family) {
    return text.find(std::string("# TYPE ") + family + " ") != std::string::npos;
  };
  exposition node;
  node.version = "9.9.9";
  node.gauges = {{"parley_connections", 3}};
  auto text = render(node);
  for (auto f : {"parley_up", "parley_build_info", "parley_send_receipt_seconds",
                 "parley_store_commit_jobs", "parley_subscriptions", "parley_connections",
                 "process_open_fds"})
    EXPECT_TRUE(has(text, f)) << f;
  EXPECT_NE(text.find("parley_build_info{version=\"9.9.9\",role=\"serve\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# HELP parley_connections TCP connections open"), std::string::npos);
  for (auto f : {"parley_redis_round_trip_seconds", "parley_kafka_delivery_seconds",
                 "parley_persist_batch_seconds"})
    EXPECT_FALSE(has(text, f)) << f << " is not an all-in-one node's";

  node.cluster = true;
  text = render(node);
  for (auto f : {"parley_redis_round_trip_seconds", "parley_redis_reconnects_total",
                 "parley_mariadb_pool_wait_seconds", "parley_kafka_delivery_seconds"})
    EXPECT_TRUE(has(text, f)) << f;

  exposition worker;
  worker.who = exposition::role::persist;
  text = render(worker);
  for (auto f : {"parley_persist_batch_seconds", "parley_persist_batch_records",
                 "parley_mariadb_pool_wait_seconds", "parley_redis_round_trip_seconds"})
    EXPECT_TRUE(has(text, f)) << f;
  for (auto f : {"parley_http_requests_total", "parley_send_receipt_seconds",
                 "parley_kafka_delivery_seconds"})
    EXPECT_FALSE(has(text, f)) << f << " is a node's, not a worker's";
  EXPECT_NE(text.find("role=\"persist\"} 1\n"), std::string::npos);
}

TEST(metrics, disk_gauges_read_the_file_system_and_a_missing_file_is_zero_bytes) {
  samples g;
  add_disk_gauges(g, "/");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].first, "parley_data_dir_free_bytes");
  EXPECT_EQ(g[1].first, "parley_data_dir_capacity_bytes");
  EXPECT_GT(g[1].second, 0);
  EXPECT_LE(g[0].second, g[1].second);
  samples none;
  add_disk_gauges(none, "/no/such/directory");
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(file_bytes("/no/such/file"), 0);
  EXPECT_GT(file_bytes("/proc/self/exe") + file_bytes("/etc/hostname"), 0);
}

}  // namespace
}  // namespace parley::obs
