#pragma once
// The per-shard hub: which local sessions want which destination, and delivery of one shared
// serialized frame to all of them. One hub per shard, touched only by that shard's thread, so it
// needs no locks; cross-shard delivery goes through shard_dispatcher (posts one task per shard).
// The hub also reports when a destination gains its first subscriber here and loses its last, so
// the node can tell a cluster bus where it has interest (node_interest.hpp); those reports come
// from subscribe and the removals only, never from deliver.
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

// Told, on the hub's shard thread, when a destination gets its first subscriber on that hub
// (`present`) and when it loses its last; per hub and destination the calls alternate, starting
// with `present`.
class interest_listener {
 public:
  virtual ~interest_listener() = default;
  virtual void on_interest(const std::string& destination, bool present) = 0;
};

class hub {
 public:
  // Set before the shard runs; without a listener the hub reports nothing.
  void report_interest_to(interest_listener& l) { interest_ = &l; }

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
  using map = std::unordered_map<std::string, std::vector<entry>>;
  // Every removal ends here, so the last subscriber's departure is reported exactly once.
  void erase_if_empty(map::iterator it);

  map subs_;
  interest_listener* interest_ = nullptr;
};

}  // namespace parley::realtime
