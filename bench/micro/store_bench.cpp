// The durable write path without the network: sqlite_store::append with many sends in
// flight, as the STOMP shards submit them, to a file on the real disk with synchronous=FULL. The
// single writer thread is the serial stage every acknowledged message goes through, so its time
// per message bounds durable sends per second (docs/benchmarks.md, "durable sends").
#include "core/ids.hpp"
#include "core/time.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace parley;

void store_append(benchmark::State& state) {
  const auto rooms = static_cast<int>(state.range(0));
  const int in_flight = 1024;
  auto dir = std::filesystem::temp_directory_path() / ("parley-micro-" + core::random_token(8));
  std::filesystem::create_directories(dir);
  core::system_clock clock;
  {
    store::sqlite::sqlite_store db({dir / "parley.db"}, clock);
    std::vector<std::pair<std::int64_t, std::string>> senders;
    for (int r = 0; r < rooms; ++r) {
      chat::user a{core::make_uuid(), "a" + std::to_string(r), "a" + std::to_string(r) + "@x",
                    "A", "hash", std::nullopt, std::nullopt};
      chat::user b{core::make_uuid(), "b" + std::to_string(r), "b" + std::to_string(r) + "@x",
                    "B", "hash", std::nullopt, std::nullopt};
      (void)db.create_user(a);
      (void)db.create_user(b);
      auto room = db.find_or_create_dm(a.user_id, b.user_id);
      senders.emplace_back(room->first.chat_id, a.user_id);
    }
    std::mutex m;
    std::condition_variable cv;
    int outstanding = 0;
    std::size_t next = 0;
    const std::string content(100, 'x');
    for (auto _ : state) {
      {
        std::lock_guard lock(m);
        outstanding = in_flight;
      }
      for (int i = 0; i < in_flight; ++i) {
        auto& [chat, user] = senders[next++ % senders.size()];
        db.append({chat, user, content, chat::message_type::text, core::make_uuid()},
                          [&](core::outcome<chat::appended> r) {
                            if (!r) std::abort();
                            std::lock_guard lock(m);
                            if (--outstanding == 0) cv.notify_one();
                          });
      }
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return outstanding == 0; });
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * in_flight);
    state.counters["per_message"] =
        benchmark::Counter(static_cast<double>(state.iterations() * in_flight),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  }
  std::filesystem::remove_all(dir);
}
// Messages spread over 200 DM rooms (the durable scenario of bench/run-all.sh) and 20 rooms.
BENCHMARK(store_append)->Arg(200)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
