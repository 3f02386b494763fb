// What binding a SockJS session to its opener adds to every xhr_send and receiving request:
// finding the key in a browser's Cookie header and comparing it in constant time.
#include "ws/session_binding.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using parley::ws::session_binding;

void sockjs_admit_request(benchmark::State& state) {
  const auto key = session_binding::make_key();
  session_binding binding(key, "203.0.113.7", true);
  // A browser also sends the site's other cookies.
  const std::string header = "theme=dark; _ga=GA1.1.123456789.1700000000; parley_sockjs=" + key +
                             "; lang=en-GB";
  for (auto _ : state) {
    bool ok = binding.admits("203.0.113.7", session_binding::key_in(header));
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(sockjs_admit_request);

}  // namespace
