#pragma once
// The contract every adapter of the fan-out port (chat::fanout) must pass, unchanged: the
// in-process local_bus today, a Redis pub/sub bus later. An adapter supplies a `fanout_rig`: the
// fanout itself plus a way to attach a recording subscriber on "some node" and to wait. The rig
// wires each node's hubs to its bus through realtime::node_interest, as the server does.
#include "chat/ports.hpp"
#include "realtime/hub.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::contract {

// What a subscriber received, readable from the test thread.
struct recording {
  std::mutex mutex;
  std::vector<std::string> frames;  // prefix + body of each delivered frame
  std::size_t revoked = 0;
  std::size_t size() {
    std::lock_guard lock(mutex);
    return frames.size();
  }
};

// A hub subscriber that records what it is given, for the rigs.
class recorder final : public realtime::subscriber {
 public:
  recorder(std::string user, std::shared_ptr<recording> r)
      : user_(std::move(user)), r_(std::move(r)) {}
  void deliver(const realtime::outbound& f) override {
    std::lock_guard lock(r_->mutex);
    r_->frames.push_back((f.prefix ? *f.prefix : std::string()) + *f.body);
  }
  void revoked(const std::string&) override {
    std::lock_guard lock(r_->mutex);
    ++r_->revoked;
  }
  const std::string& user_id() const override { return user_; }

 private:
  std::string user_;
  std::shared_ptr<recording> r_;
};

class fanout_rig {
 public:
  virtual ~fanout_rig() = default;
  virtual chat::fanout& bus() = 0;
  // Attaches a subscriber for `user_id` to `destination` on node/shard `node` (0 or 1), and
  // returns once the subscription is in place.
  virtual std::shared_ptr<recording> subscribe(unsigned node, const std::string& destination,
                                               const std::string& user_id) = 0;
  // Ends the subscription `subscribe` returned `r` for, and returns once it is gone.
  virtual void unsubscribe(unsigned node, const std::string& destination,
                           const std::shared_ptr<recording>& r) = 0;
  // How many destinations the bus serving `node` was told that node has interest in
  // (chat::fanout::interest): present calls minus absent calls.
  virtual std::size_t destinations_with_interest(unsigned node) = 0;
  // Polls `done` until true or a deadline; false on timeout.
  bool wait_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
};

// Runs `f` on `shard` (hubs are touched only there) and returns once it has run.
inline void run_on(boost::asio::io_context& shard, const std::function<void()>& f) {
  std::promise<void> done;
  boost::asio::post(shard, [&] {
    f();
    done.set_value();
  });
  done.get_future().get();
}

struct fanout_adapter {
  std::string name;
  std::function<std::unique_ptr<fanout_rig>()> make;
};

inline void PrintTo(const fanout_adapter& a, std::ostream* os) { *os << a.name; }

class fanout_contract : public ::testing::TestWithParam<fanout_adapter> {
 protected:
  void SetUp() override { rig = GetParam().make(); }
  std::unique_ptr<fanout_rig> rig;
};

}  // namespace parley::contract
