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

// Delivery to live sessions, on every node with subscribers. Guarantee: payloads published from
// one thread to one destination reach each subscriber in publish order, batched or not; delivery
// is at-most-once (a session that is not connected catches up from history, which is the durable
// source of truth). Called from any thread.
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

  // A batch: what the calling thread publishes between begin_batch() and end_batch() goes out as
  // one unit (in-process: one task per shard, so a subscriber gets it in one handler run and its
  // transport in one write; Redis: one pipelined write). The log's completion thread brackets each
  // commit's callbacks with these. Guarantees:
  // - each subscriber gets a batch's publications in publish order, after what the thread
  //   published before begin_batch() and before what it publishes after end_batch();
  // - nothing published inside a batch is dropped;
  // - end_batch() with no batch open on this thread does nothing; begin_batch() while one is open
  //   sends the open one first;
  // - a batch belongs to its thread: other threads' publications are never held by it.
  // The defaults send each publication at once, which keeps every guarantee but the grouping
  // (enough for a test recorder; a real bus overrides them).
  virtual void begin_batch() {}
  virtual void end_batch() {}

  // Whether this node has local subscribers of `destination`, so a cluster bus receives a
  // destination's publications from other nodes only while someone here listens. Told by
  // realtime::node_interest, which combines the shards' hubs. Guarantees:
  // - per destination the calls alternate, `present` first, and the last one matches the node's
  //   state however fast sessions subscribe and unsubscribe;
  // - every destination counts, private user queues (`/user/...`) included, since events to users
  //   travel the same way; every removal counts (unsubscribe, revoke, a session that closes);
  // - calls never overlap, come from shard threads and must return at once, without a network
  //   round trip (queue the SUBSCRIBE) and without calling back into the hubs.
  // The default ignores it (a bus that delivers to every node regardless).
  virtual void interest(const std::string& /*destination*/, bool /*present*/) {}
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
