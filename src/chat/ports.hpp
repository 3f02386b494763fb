#pragma once
// Ports the domain needs from the outside world, beside the store: live fan-out and presence.
// Embedded adapters live in src/realtime (in-process hub) and here (memory presence); cluster
// adapters (Redis pub/sub, Redis presence keys) implement the same interfaces.
#include "core/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::chat {

// Delivery to live sessions. Guarantee: payloads published from one thread to one destination
// reach each subscriber in publish order; delivery is at-most-once (a session that is not
// connected catches up from history, which is the durable source of truth).
class fanout {
 public:
  virtual ~fanout() = default;
  // `payload` is the JSON body; `message_id` becomes the STOMP message-id header when not empty.
  virtual void publish(std::string destination, std::string payload, std::string message_id) = 0;
  // One event to the private queues (/user/queue/events) of many users: serialized and handed to
  // each node once, not once per user (presence goes to every online co-member).
  virtual void publish_to_users(std::vector<std::string> user_ids, std::string payload) = 0;
  // Ends `user_id`'s subscriptions to the room's topics (removed from the room, room deleted);
  // an empty user_id means every subscriber of the room.
  virtual void revoke(std::int64_t chat_id, std::string user_id) = 0;
};

// Who is online. Guarantee: `connected` returns true exactly for a user's first live session and
// `disconnected` exactly when the last one goes, so ONLINE/OFFLINE events are never doubled; and
// once `disconnected` returned true, `last_seen` answers that time (never "offline, never seen").
// Order-insensitive: sessions post their open and close to workers, so a close may be counted
// before its open; it then cancels that open (neither announces), as a counter that may go below
// zero does (a Redis adapter: INCR/DECR). Called from workers; may block (a network round trip).
class presence {
 public:
  virtual ~presence() = default;
  virtual bool connected(const std::string& user_id) = 0;
  virtual bool disconnected(const std::string& user_id, core::time_point now) = 0;
  virtual bool online(const std::string& user_id) = 0;
  virtual std::optional<core::time_point> last_seen(const std::string& user_id) = 0;
};

// Which usernames may be taken, so that registration and `GET /auth/exists` answer "certainly
// free" without a storage read. Guarantee: after add(name) returns, maybe_taken(name) is true on
// every node; a false "maybe" only costs the caller one storage read, never a wrong answer.
// Entries are never removed. May block (a cluster adapter is a Redis bitmap): call from workers.
class username_filter {
 public:
  virtual ~username_filter() = default;
  virtual bool maybe_taken(const std::string& username) = 0;
  virtual void add(const std::string& username) = 0;
};

namespace destinations {
std::string room(std::int64_t chat_id);
std::string typing(std::int64_t chat_id);
std::string receipts(std::int64_t chat_id);
// The internal name of a user's private queue (`/user/queue/events` as that user sees it).
std::string user_events(const std::string& user_id);
}  // namespace destinations

}  // namespace parley::chat
