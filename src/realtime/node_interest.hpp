#pragma once
// Which destinations this node has local subscribers for, combined over the shards' hubs, told to
// the bus once per node-wide transition (chat::fanout::interest): the first shard to gain a
// destination reports it present, the last to lose it reports it absent. A cluster bus subscribes
// to a destination's channel only while the node has interest in it.
//
// The hubs report from their own shard threads, so this takes a mutex; it is touched only when a
// destination appears or disappears on a shard, never per delivery. The bus is told while the
// mutex is held: a "present" from one shard and an "absent" from another then reach the bus in the
// order their counts changed, so the bus's last word on a destination is always the true state.
// Rejected: telling the bus after unlocking (two racing transitions could arrive reversed and
// leave a cluster bus unsubscribed from a room that has listeners here).
#include "chat/ports.hpp"
#include "realtime/hub.hpp"

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::realtime {

class node_interest final : public interest_listener {
 public:
  explicit node_interest(chat::fanout& bus) : bus_(bus) {}

  void on_interest(const std::string& destination, bool present) override;
  // Rooms (their message topics) with a subscriber on some shard of this node.
  std::size_t rooms() const { return rooms_.load(std::memory_order_relaxed); }

 private:
  chat::fanout& bus_;
  std::mutex mutex_;
  std::unordered_map<std::string, unsigned> shards_with_;  // destination → hubs holding it
  std::atomic<std::size_t> rooms_{0};                      // read by /metrics without the mutex
};

}  // namespace parley::realtime
