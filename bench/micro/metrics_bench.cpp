// The cost of the metrics on the message path (docs/metrics.md): one histogram observation (the
// bucket search and two relaxed atomic adds on the thread's stripe), from one thread and from
// several at once (stripes keep them off each other's cache lines), and the two steady_clock
// reads that time an interval. A send observes three latency histograms and one queue size.
#include "obs/histogram.hpp"

#include <benchmark/benchmark.h>

#include <chrono>

namespace {

using namespace parley;

obs::histogram& shared_histogram() {
  static obs::histogram h(obs::latency_buckets());
  return h;
}

void histogram_observe(benchmark::State& state) {
  auto& h = shared_histogram();
  double v = 0.0001;
  for (auto _ : state) {
    h.observe(v);
    v = v < 5 ? v * 1.7 : 0.0001;  // walks the buckets, so the search is not always one branch
  }
}
BENCHMARK(histogram_observe)->Threads(1)->Threads(2)->Threads(4);

void histogram_observe_batch(benchmark::State& state) {
  auto& h = shared_histogram();
  for (auto _ : state) h.observe(0.0003, 40);  // a fan-out's per-delivery share, 40 deliveries
}
BENCHMARK(histogram_observe_batch);

void steady_clock_interval(benchmark::State& state) {
  for (auto _ : state) {
    auto a = std::chrono::steady_clock::now();
    auto b = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(std::chrono::duration<double>(b - a).count());
  }
}
BENCHMARK(steady_clock_interval);

}  // namespace
