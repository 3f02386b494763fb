#pragma once
// A log-bucketed latency histogram in the manner of HdrHistogram: every power-of-two range of
// values is split into 64 linear sub-buckets, so any recorded value is known to within 1/64
// (1.6 %) from 1 ns to centuries, in a fixed 30 KB of counters. Recording is one bit scan and one
// increment: cheap enough for every delivery. Histograms add, so each thread and each process keeps
// its own and the coordinator merges them. Percentiles report the bucket's highest value (as
// HdrHistogram does), so they never understate.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <sstream>
#include <string>

namespace parley::bench {

class histogram {
 public:
  static constexpr int sub_bits = 6;
  static constexpr std::uint64_t sub_count = 1u << sub_bits;
  static constexpr std::size_t bucket_count = sub_count + (64 - sub_bits) * sub_count;

  void record(std::uint64_t v) {
    ++counts_[index_of(v)];
    ++total_;
    max_ = std::max(max_, v);
  }

  void merge(const histogram& o) {
    for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }

  // The smallest bucket bound below which a fraction `q` (0..1) of the values lie.
  std::uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.999999);
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(highest_of(i), max_);
    }
    return max_;
  }

  // "total max idx:count idx:count ..." for the non-empty buckets: how processes ship histograms.
  std::string encode() const {
    std::ostringstream out;
    out << total_ << ' ' << max_;
    for (std::size_t i = 0; i < bucket_count; ++i)
      if (counts_[i]) out << ' ' << i << ':' << counts_[i];
    return out.str();
  }
  static histogram decode(const std::string& s) {
    histogram h;
    std::istringstream in(s);
    in >> h.total_ >> h.max_;
    std::string pair;
    while (in >> pair) {
      auto colon = pair.find(':');
      auto i = std::stoull(pair.substr(0, colon));
      if (i < bucket_count) h.counts_[i] += std::stoull(pair.substr(colon + 1));
    }
    return h;
  }

  static std::size_t index_of(std::uint64_t v) {
    if (v < sub_count) return static_cast<std::size_t>(v);
    int e = std::bit_width(v) - 1;  // >= sub_bits
    auto mantissa = (v >> (e - sub_bits)) & (sub_count - 1);
    return static_cast<std::size_t>(sub_count + (e - sub_bits) * sub_count + mantissa);
  }
  static std::uint64_t highest_of(std::size_t i) {
    if (i < sub_count) return i;
    int e = static_cast<int>((i - sub_count) / sub_count) + sub_bits;
    std::uint64_t mantissa = (i - sub_count) % sub_count;
    std::uint64_t low = (std::uint64_t{1} << e) | (mantissa << (e - sub_bits));
    return low + (std::uint64_t{1} << (e - sub_bits)) - 1;
  }

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace parley::bench
