#pragma once
// The per-shard hub: which local sessions want which destination, and delivery of one shared
// serialized frame to all of them. One hub per shard, touched only by that shard's thread, so it
// needs no locks; cross-shard publishing goes through local_bus (posts one task per shard).
#include "realtime/connection.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::realtime {

// What the hub needs from a session (implemented by stomp_session).
class subscriber {
 public:
  virtual ~subscriber() = default;
  virtual void deliver(const outbound& frame) = 0;
  // The hub dropped this subscription (membership revoked); the session forgets it too.
  virtual void revoked(const std::string& subscription_id) = 0;
  virtual const std::string& user_id() const = 0;
};

class hub {
 public:
  void subscribe(const std::string& destination, subscriber* s, std::string subscription_id,
                 std::shared_ptr<const std::string> prefix);
  void unsubscribe(const std::string& destination, subscriber* s,
                   const std::string& subscription_id);
  // Delivers `body` (a MESSAGE frame minus its per-subscription prefix) to every subscriber.
  void deliver(const std::string& destination, const std::shared_ptr<const std::string>& body);
  // Ends subscriptions of `user_id` (all users when empty) to the destinations starting with
  // `prefix_of_destinations` followed by end or '/'.
  void revoke(const std::string& room_destination, const std::string& user_id);

  std::size_t destinations() const { return subs_.size(); }

 private:
  struct entry {
    subscriber* sub;
    std::string id;
    std::shared_ptr<const std::string> prefix;
  };
  std::unordered_map<std::string, std::vector<entry>> subs_;
};

}  // namespace parley::realtime
