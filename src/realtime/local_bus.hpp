#pragma once
// The all-in-one fan-out adapter (chat::fanout): serializes each publication once into the shared
// part of a STOMP MESSAGE frame and hands it to this node's shard dispatcher, which posts it to
// every shard's hub. Posting preserves order per shard, so publications from one thread reach each
// subscriber in publish order. A cluster bus takes its place and feeds the same dispatcher from
// what other nodes publish.
#include "chat/ports.hpp"
#include "realtime/shard_dispatcher.hpp"

#include <atomic>
#include <vector>

namespace parley::realtime {

class local_bus final : public chat::fanout {
 public:
  explicit local_bus(shard_dispatcher& d) : dispatcher_(d) {}
  ~local_bus() override;

  void publish(std::string destination, std::string payload, std::string message_id) override;
  void publish_to_users(std::vector<std::string> user_ids, std::string payload) override;
  void revoke(std::int64_t chat_id, std::string user_id) override;

  // The open batch lives in a thread_local, so publishing takes no lock: a batch reaches each
  // shard as one task at end_batch(), and its transport writes it with one system call instead of
  // one per message.
  void begin_batch() override;
  void end_batch() override;

  // Delivery goes to every shard whatever the interest; the count is for the gauge of rooms and
  // user queues with local listeners.
  void interest(const std::string& destination, bool present) override;
  std::size_t destinations_with_interest() const {
    return with_interest_.load(std::memory_order_relaxed);
  }

 private:
  shard_dispatcher& dispatcher_;
  std::atomic<std::uint64_t> next_id_{0};
  std::atomic<std::size_t> with_interest_{0};
};

}  // namespace parley::realtime
