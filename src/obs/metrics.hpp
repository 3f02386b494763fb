#pragma once
// Process-wide counters exported at /metrics in the Prometheus text format. Relaxed atomics: a
// scrape needs totals, not ordering; hot paths add once per batch (e.g. once per fan-out, not
// once per delivery).
#include "obs/histogram.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::obs {

struct counters {
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> http_client_errors{0};  // 4xx
  std::atomic<std::uint64_t> http_server_errors{0};  // 5xx
  std::atomic<std::uint64_t> stomp_sessions_opened{0};
  std::atomic<std::uint64_t> stomp_sessions_closed{0};
  std::atomic<std::uint64_t> stomp_errors{0};        // ERROR frames sent (connection closed)
  std::atomic<std::uint64_t> slow_consumers{0};      // sessions dropped for a full queue
  std::atomic<std::uint64_t> messages_committed{0};  // new messages durably appended
  std::atomic<std::uint64_t> deliveries{0};          // MESSAGE frames queued to subscribers
  std::atomic<std::uint64_t> store_commits{0};       // write transactions committed (group commits)
  std::atomic<std::uint64_t> store_jobs{0};          // write jobs in them (jobs/commits = batch size)
  std::atomic<std::uint64_t> redis_reconnects{0};    // Redis connections re-established
  // Gauges kept as running sums (changed where the thing starts and ends, never per delivery).
  std::atomic<std::int64_t> subscriptions{0};        // STOMP subscriptions in the hubs
  std::atomic<std::int64_t> writer_queue_depth{0};   // write jobs waiting for a commit pipeline
};

counters& global();

// The histograms of docs/metrics.md besides the HTTP and Argon2 ones (observe_http,
// observe_argon2), observed where their time is taken.
struct histograms {
  histogram send_receipt{latency_buckets()};     // SEND parsed -> its RECEIPT queued
  histogram fanout_message{latency_buckets()};   // one message to a shard's subscribers of it
  histogram fanout_delivery{latency_buckets()};  // the same time, shared out per delivery
  histogram outbound_queue{byte_buckets()};      // bytes queued when a socket write starts
  histogram store_commit{latency_buckets()};     // one write transaction of a commit pipeline
  histogram store_commit_jobs{count_buckets()};  // the jobs in it
  histogram redis_round_trip{latency_buckets()};
  histogram mariadb_pool_wait{latency_buckets()};
  histogram kafka_delivery{latency_buckets()};   // produce -> delivery report
  histogram persist_batch{latency_buckets()};    // a worker's batch: decode, transaction, commit
  histogram persist_batch_records{count_buckets()};
};

histograms& timings();

// The route templates of the REST API (docs/metrics.md): the `route` label of
// parley_http_request_duration_seconds. Anything else is "other", so that a scanner cannot make
// label values.
std::string_view http_route(std::string_view path);

// Observes one REST answer under its path's route template, its status class and how long it took.
void observe_http(std::string_view path, int status, double seconds);

// One password hash or verification (parley_argon2_seconds{op}).
void observe_argon2(bool hash, double seconds);

using samples = std::vector<std::pair<std::string, double>>;

// `parley_data_dir_free_bytes` and `parley_data_dir_capacity_bytes` of the file system holding
// `dir`, appended to `gauges` (nothing when it cannot be read).
void add_disk_gauges(samples& gauges, const std::string& dir);
// The size of `file` in bytes; 0 when it does not exist.
double file_bytes(const std::string& file);

// What a process exposes: render() writes the families of its role (docs/metrics.md's tables).
struct exposition {
  enum class role { serve, persist };
  role who = role::serve;
  bool cluster = false;  // a node of a cluster: its Redis, MariaDB and Kafka families too
  std::string version;   // parley_build_info's label
  // The process's own gauges and counters (a name may carry labels, `name{label="v"}`; samples
  // of one family must be adjacent).
  samples gauges, counters;
};

// The exposition text (Prometheus 0.0.4).
std::string render(const exposition& e);

}  // namespace parley::obs
