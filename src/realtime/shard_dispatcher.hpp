#pragma once
// This node's delivery to its own sessions: hands serialized MESSAGE bodies to every shard's hub,
// one posted task per shard per call, so what one thread dispatches reaches each subscriber in
// dispatch order, and a batch reaches each subscriber in one handler run. Every fan-out adapter
// ends here: local_bus calls it on the publishing thread; a cluster bus calls it from its
// subscriber connection's thread with what one read brought in. It knows nothing of batching
// rules, other nodes or interest (docs/adr/0005, decision 5).
#include "realtime/hub.hpp"
#include "realtime/shards.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::realtime {

// One publication as the hubs take it: `destination` keyed as hubs key it (a private queue per
// user), `body` the frame after the subscription header, shared by every subscriber.
struct delivery {
  std::shared_ptr<const std::string> destination;
  std::shared_ptr<const std::string> body;
};

class shard_dispatcher {
 public:
  // `hubs[i]` belongs to `shards.at(i)`.
  shard_dispatcher(shards& s, std::vector<hub*> hubs) : shards_(s), hubs_(std::move(hubs)) {}

  // The shared part of the MESSAGE frame for `destination`. A private queue is keyed per user
  // inside the node; its subscriber sees the name it subscribed to, /user/queue/events.
  static std::shared_ptr<const std::string> message_body(std::string_view destination,
                                                         std::string_view message_id,
                                                         std::string_view payload);

  void dispatch(delivery d);
  // One body to many destinations (an event to several users' queues).
  void dispatch(std::shared_ptr<const std::vector<std::string>> destinations,
                std::shared_ptr<const std::string> body);
  // In order, as one task per shard.
  void dispatch(std::shared_ptr<const std::vector<delivery>> batch);
  // Ends `user_id`'s subscriptions to the room's topics on every shard (empty: everyone's).
  void revoke(std::string room_destination, std::string user_id);

 private:
  shards& shards_;
  std::vector<hub*> hubs_;
};

}  // namespace parley::realtime
