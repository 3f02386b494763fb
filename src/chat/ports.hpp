#pragma once
// Ports the domain needs from the outside world, beside the store: live fan-out and presence.
// Embedded adapters live in src/realtime (in-process hub) and here (memory presence); cluster
// adapters (Redis pub/sub, Redis presence keys) implement the same interfaces.
#include "core/time.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::chat {

namespace destinations {
std::string room(std::int64_t chat_id);
std::string typing(std::int64_t chat_id);
std::string receipts(std::int64_t chat_id);
// The internal name of a user's private queue (`/user/queue/events` as that user sees it).
std::string user_events(const std::string& user_id);
// The room of a room's message topic (`room(id)`); nullopt for any other destination.
std::optional<std::int64_t> room_id(std::string_view destination);
}  // namespace destinations

// Delivery to live sessions, on every node with subscribers. Guarantee: payloads published from
// one thread to one destination reach each subscriber in publish order, batched or not; delivery
// is at-most-once (a session that is not connected catches up from history, which is the durable
// source of truth). Called from any thread.
class fanout {
 public:
  virtual ~fanout() = default;
  // `payload` is the JSON body; `message_id` becomes the STOMP message-id header when not empty.
  virtual void publish(std::string destination, std::string payload, std::string message_id) = 0;
  // A room's new message, the room's `seq`-th, on destinations::room(chat_id). Subscribers get
  // a room's messages in `seq` order, once each, whichever nodes committed them; a bus that can
  // receive them out of order (nodes committing to one room publish independently) restores the
  // order and fills what it lost from history. The default: publish() (the log's callbacks
  // already come in commit order on one node).
  virtual void publish_in_order(std::int64_t chat_id, std::int64_t seq, std::string payload,
                                std::string message_id) {
    (void)seq;
    publish(destinations::room(chat_id), std::move(payload), std::move(message_id));
  }
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

  // Calls `ready(true)` once what anyone publishes to `destination` reaches this node's
  // subscribers (a SUBSCRIBE's RECEIPT waits for it, so a client that holds the RECEIPT and then
  // reads history misses nothing), or `ready(false)` if that cannot be known within the bus's
  // bound (its engine is down). Call after the subscriber is in its hub. `ready` may run on any
  // thread, at once or later. The default: at once (a bus in this process delivers as soon as
  // the hub holds the subscriber).
  virtual void when_receiving(const std::string& /*destination*/,
                              std::function<void(bool)> ready) {
    ready(true);
  }
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
  // Those of `user_ids` who are online, in their order: one round trip for a cluster adapter.
  virtual std::vector<std::string> online_among(std::vector<std::string> user_ids) {
    std::erase_if(user_ids, [this](const std::string& u) { return !online(u); });
    return user_ids;
  }
  virtual std::optional<core::time_point> last_seen(const std::string& user_id) = 0;
  // last_seen of each of `user_ids`, in their order: one round trip for a cluster adapter.
  virtual std::vector<std::optional<core::time_point>> last_seen_of(
      const std::vector<std::string>& user_ids) {
    std::vector<std::optional<core::time_point>> out;
    out.reserve(user_ids.size());
    for (auto& u : user_ids) out.push_back(last_seen(u));
    return out;
  }
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


}  // namespace parley::chat
