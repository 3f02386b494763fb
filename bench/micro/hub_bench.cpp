// Hub fan-out on one shard: realtime::hub::deliver of one shared MESSAGE body to 1, 100 and 10,000
// local subscribers of one room. The subscriber is a fake that keeps the last outbound (two
// shared_ptr copies, as a session queueing it does), so this is the hub's own cost per delivery:
// the map lookup once, then per subscriber a virtual call and two reference-count increments.
#include "realtime/hub.hpp"
#include "stomp/serializer.hpp"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace parley;

class fake_subscriber final : public realtime::subscriber {
 public:
  void deliver(const realtime::outbound& frame) override {
    last_ = frame;
    ++count_;
  }
  void revoked(const std::string&) override {}
  const std::string& user_id() const override { return user_; }
  std::size_t count() const { return count_; }

 private:
  realtime::outbound last_;
  std::size_t count_ = 0;
  std::string user_ = "u";
};

void hub_fanout(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  realtime::hub h;
  std::vector<std::unique_ptr<fake_subscriber>> subs;
  const std::string dest = "/topic/rooms/4242";
  for (std::size_t i = 0; i < n; ++i) {
    subs.push_back(std::make_unique<fake_subscriber>());
    h.subscribe(dest, subs.back().get(), "0",
                std::make_shared<const std::string>(stomp::message_prefix("0")));
  }
  // Other rooms in the map, as on a busy shard.
  std::vector<std::unique_ptr<fake_subscriber>> others;
  for (int r = 0; r < 1000; ++r) {
    others.push_back(std::make_unique<fake_subscriber>());
    h.subscribe("/topic/rooms/" + std::to_string(r), others.back().get(), "0", nullptr);
  }
  auto body = std::make_shared<const std::string>(stomp::message_body(
      dest, "01JDZ6Y9N3S1D8Q4K2X7V5B0M9", "application/json", std::string(300, 'x')));
  for (auto _ : state) h.deliver(dest, body);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  // Seconds per delivery (the console prints it in ns).
  state.counters["per_delivery"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(hub_fanout)->Arg(1)->Arg(100)->Arg(10000);

}  // namespace
