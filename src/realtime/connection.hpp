#pragma once
// The seam between transports (raw WebSocket, SockJS) and the STOMP session logic. A transport
// implements `connection`; the application supplies a `session_handler` per connection. Everything
// here is called on the connection's shard thread (see shards.hpp): no locks.
#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parley::realtime {

// One outbound STOMP frame as (optional per-subscription prefix) + shared bytes. A MESSAGE frame
// fanned out to many subscribers is serialized once (`body`, shared and immutable) and only the
// `MESSAGE\nsubscription:<id>\n` prefix differs; that prefix is built once per subscription id
// and shared by the shard's subscriptions with the same id (stomp_session). The transport writes
// prefix then body (gathered), so a delivery allocates nothing but a queue slot.
struct outbound {
  std::shared_ptr<const std::string> prefix;  // may be null
  std::shared_ptr<const std::string> body;    // never null

  std::size_t size() const { return (prefix ? prefix->size() : 0) + body->size(); }
};

inline outbound make_outbound(std::string frame) {
  return outbound{nullptr, std::make_shared<const std::string>(std::move(frame))};
}

class connection {
 public:
  virtual ~connection() = default;

  // Queues a frame. Returns false when the connection's outbound queue would exceed its byte
  // budget (slow consumer) or the connection is closing; the frame is then not queued and the
  // caller is expected to close the connection with an error.
  virtual bool send(outbound frame) = 0;

  // Discards nothing already queued, queues `last` (if any, ignoring the budget), flushes, then
  // closes. Idempotent. With `drop_queued`, pending frames are discarded first (slow consumer).
  virtual void close(std::optional<outbound> last = std::nullopt, bool drop_queued = false) = 0;

  virtual boost::asio::any_io_executor executor() = 0;
  virtual std::string remote_address() const = 0;
  virtual std::string_view transport()
      const = 0;  // "websocket", "sockjs-websocket", "xhr-streaming", ...
};

class session_handler {
 public:
  virtual ~session_handler() = default;
  // One transport message (a WebSocket message, or one string of a SockJS batch). STOMP frames may
  // be split across or packed into messages; the handler's parser copes.
  virtual void on_data(std::string_view bytes) = 0;
  // The peer went away or close() completed. Called exactly once; no on_data after it.
  virtual void on_close() = 0;
  // The server is shutting down and the transport closes once what is queued is written. The
  // frame to queue last, telling the client why (a STOMP ERROR), or none. Called at most once,
  // before on_close; no on_data after it.
  virtual std::optional<outbound> farewell() { return std::nullopt; }
};

using session_factory =
    std::function<std::shared_ptr<session_handler>(std::shared_ptr<connection>)>;

}  // namespace parley::realtime
