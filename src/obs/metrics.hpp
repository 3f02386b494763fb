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
};

counters& global();

// The route templates of the REST API (docs/metrics.md): the `route` label of
// parley_http_request_duration_seconds. Anything else is "other", so that a scanner cannot make
// label values.
std::string_view http_route(std::string_view path);

// Observes one REST answer under its path's route template, its status class and how long it took.
void observe_http(std::string_view path, int status, double seconds);

// One password hash or verification (parley_argon2_seconds{op}).
void observe_argon2(bool hash, double seconds);

// The exposition text: every counter and histogram, the process metrics, plus the gauges and counters given by the caller (a name
// may carry labels, `name{label="v"}`; samples of one family must be adjacent).
std::string render(const std::vector<std::pair<std::string, double>>& gauges,
                   const std::vector<std::pair<std::string, double>>& counters = {});

}  // namespace parley::obs
