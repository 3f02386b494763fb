// The in-process adapter of the fan-out port: realtime::local_bus over two shards, which are its
// two "nodes" (one bus serves both).
#include "fanout_contract.hpp"
#include "realtime/local_bus.hpp"
#include "realtime/node_interest.hpp"
#include "realtime/shards.hpp"

#include <boost/asio/post.hpp>

#include <chrono>
#include <future>
#include <thread>
#include <unordered_map>

namespace parley::contract {
namespace {

class local_rig final : public fanout_rig {
 public:
  local_rig()
      : shards_(2),
        hubs_{&h0_, &h1_},
        dispatcher_(shards_, {&h0_, &h1_}),
        bus_(dispatcher_),
        interest_(bus_) {
    for (auto* h : hubs_) h->report_interest_to(interest_);
    shards_.run();
  }
  ~local_rig() override {
    shards_.stop();
    shards_.join();
  }
  chat::fanout& bus() override { return bus_; }
  std::shared_ptr<recording> subscribe(unsigned node, const std::string& destination,
                                       const std::string& user_id) override {
    auto rec = std::make_shared<recording>();
    auto sub = std::make_unique<recorder>(user_id, rec);
    run_on(shards_.at(node), [&, s = sub.get()] {
      hubs_[node]->subscribe(destination, s, "sub-" + user_id,
                             std::make_shared<const std::string>("MESSAGE\nsubscription:x\n"));
    });
    subs_.emplace(rec.get(), std::move(sub));
    return rec;
  }
  void unsubscribe(unsigned node, const std::string& destination,
                   const std::shared_ptr<recording>& r) override {
    auto* s = subs_.at(r.get()).get();
    run_on(shards_.at(node),
           [&] { hubs_[node]->unsubscribe(destination, s, "sub-" + s->user_id()); });
  }
  std::size_t destinations_with_interest(unsigned) override {
    return bus_.destinations_with_interest();
  }

 private:
  realtime::shards shards_;
  realtime::hub h0_, h1_;
  std::vector<realtime::hub*> hubs_;
  realtime::shard_dispatcher dispatcher_;
  realtime::local_bus bus_;
  realtime::node_interest interest_;
  std::unordered_map<const recording*, std::unique_ptr<recorder>> subs_;
};

INSTANTIATE_TEST_SUITE_P(local_bus, fanout_contract,
                         ::testing::Values(fanout_adapter{
                             "local_bus",
                             [] { return std::unique_ptr<fanout_rig>(new local_rig()); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace parley::contract
