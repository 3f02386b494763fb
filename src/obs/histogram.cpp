#include "obs/histogram.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace parley::obs {

namespace {

constexpr double latency[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                              0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};
constexpr double counts[] = {1, 4, 16, 64, 256, 1024, 4096};
constexpr double bytes[] = {256, 1024, 4096, 16384, 65536, 262144, 1048576};

// The stripe of the calling thread: handed out round-robin at the thread's first observation.
std::size_t my_stripe(std::size_t stripes) {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine % stripes;
}

}  // namespace

std::string sample_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::span<const double> latency_buckets() { return latency; }
std::span<const double> count_buckets() { return counts; }
std::span<const double> byte_buckets() { return bytes; }

histogram::histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()), stripes_(new stripe[stripes]) {
  if (bounds_.size() > max_buckets || !std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::invalid_argument("histogram bounds must be ascending, at most 24");
}

void histogram::observe(double value, std::uint64_t n) {
  auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                    bounds_.begin());
  auto& s = stripes_[my_stripe(stripes)];
  s.buckets[i].fetch_add(n, std::memory_order_relaxed);
  s.sum.fetch_add(value * static_cast<double>(n), std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot out;
  out.bounds = bounds_;
  out.cumulative.assign(bounds_.size() + 1, 0);
  for (std::size_t k = 0; k < stripes; ++k) {
    const auto& s = stripes_[k];
    for (std::size_t i = 0; i <= bounds_.size(); ++i)
      out.cumulative[i] += s.buckets[i].load(std::memory_order_relaxed);
    out.sum += s.sum.load(std::memory_order_relaxed);
  }
  for (std::size_t i = 1; i < out.cumulative.size(); ++i)
    out.cumulative[i] += out.cumulative[i - 1];
  return out;
}

void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                      const histogram::snapshot& s) {
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
    auto le = i < s.bounds.size() ? sample_value(s.bounds[i]) : std::string("+Inf");
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " +
           std::to_string(s.cumulative[i]) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + sample_value(s.sum) + "\n";
  out += name + "_count" + braces + " " + std::to_string(s.cumulative.back()) + "\n";
}

}  // namespace parley::obs
