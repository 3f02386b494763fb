#pragma once
// The all-in-one fan-out adapter (chat::fanout): serializes each publication once into the shared
// part of a STOMP MESSAGE frame and posts it to every shard's hub. Posting preserves order per
// shard, so publications from one thread reach each subscriber in publish order.
#include "chat/ports.hpp"
#include "realtime/hub.hpp"
#include "realtime/shards.hpp"

#include <atomic>
#include <vector>

namespace parley::realtime {

class local_bus final : public chat::fanout {
 public:
  // `hubs[i]` belongs to `shards.at(i)`.
  local_bus(shards& s, std::vector<hub*> hubs) : shards_(s), hubs_(std::move(hubs)) {}

  void publish(std::string destination, std::string payload, std::string message_id) override;
  void publish_to_users(std::vector<std::string> user_ids, std::string payload) override;
  void revoke(std::int64_t chat_id, std::string user_id) override;

  // Publications made on this thread between begin_batch() and end_batch() reach each shard as
  // one task, in order: every subscriber then gets them in one handler run, and its transport
  // writes them with one system call instead of one per message. The store's writer brackets each
  // commit's callbacks with these (sqlite::options::on_callbacks_*).
  void begin_batch();
  void end_batch();

 private:
  shards& shards_;
  std::vector<hub*> hubs_;
  std::atomic<std::uint64_t> next_id_{0};
};

}  // namespace parley::realtime
