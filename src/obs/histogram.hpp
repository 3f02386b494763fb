#pragma once
// A Prometheus histogram that threads observe without contending: observations go to one of a
// few cache-line-sized stripes (each thread keeps the stripe it was given first), and a scrape
// merges the stripes. Relaxed atomics: a scrape needs totals, not ordering, so a scrape racing an
// observation may see its bucket before its sum; Prometheus tolerates that skew.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace parley::obs {

// Bucket upper bounds shared by every latency histogram (seconds; docs/metrics.md).
std::span<const double> latency_buckets();
// Powers of 4 from 1 to 4096, for batch sizes.
std::span<const double> count_buckets();
// Powers of 4 from 256 B to 1 MiB, for queue sizes.
std::span<const double> byte_buckets();

class histogram {
 public:
  static constexpr std::size_t max_buckets = 24;  // bounds, besides +Inf

  // `bounds` ascending, at most max_buckets of them; throws std::invalid_argument otherwise.
  explicit histogram(std::span<const double> bounds);

  // Counts `n` observations of `value` (n > 1: a batch whose items each took `value`; the sum
  // grows by value * n).
  void observe(double value, std::uint64_t n = 1);

  struct snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
  };
  snapshot read() const;

 private:
  static constexpr std::size_t stripes = 8;
  struct alignas(64) stripe {
    std::array<std::atomic<std::uint64_t>, max_buckets + 1> buckets{};
    std::atomic<double> sum{0};
  };
  std::vector<double> bounds_;
  std::unique_ptr<stripe[]> stripes_;
};

// A sample value as the exposition format writes it (shortest exact form, %.17g).
std::string sample_value(double v);

// Appends a histogram in the exposition format: `name_bucket{labels,le=...}`, `name_sum`,
// `name_count`. `labels` is empty or `a="x",b="y"`. The caller writes HELP/TYPE once per family.
void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                      const histogram::snapshot& s);

}  // namespace parley::obs
