#include "realtime/local_bus.hpp"

#include "chat/ports.hpp"

namespace parley::realtime {

namespace {
struct thread_batch {
  local_bus* owner = nullptr;
  std::vector<delivery> items;
};
thread_local thread_batch batch;
}  // namespace

local_bus::~local_bus() {
  // A batch this thread left open has no shards left to reach; forget it so that the next bus's
  // begin_batch() does not send it through a dead owner.
  if (batch.owner == this) batch = {};
}

void local_bus::begin_batch() {
  // A batch left open is sent by the bus that opened it, never dropped or delivered elsewhere.
  if (batch.owner) batch.owner->end_batch();
  batch.owner = this;
}

void local_bus::end_batch() {
  if (batch.owner != this) return;
  batch.owner = nullptr;
  if (batch.items.empty()) return;
  auto items = std::make_shared<const std::vector<delivery>>(std::move(batch.items));
  batch.items = {};
  dispatcher_.dispatch(std::move(items));
}

void local_bus::publish(std::string destination, std::string payload, std::string message_id) {
  if (message_id.empty()) message_id = "e-" + std::to_string(next_id_.fetch_add(1) + 1);
  delivery d{std::make_shared<const std::string>(std::move(destination)), nullptr};
  d.body = shard_dispatcher::message_body(*d.destination, message_id, payload);
  if (batch.owner == this)
    batch.items.push_back(std::move(d));
  else
    dispatcher_.dispatch(std::move(d));
}

void local_bus::publish_to_users(std::vector<std::string> user_ids, std::string payload) {
  if (user_ids.empty()) return;
  auto id = "e-" + std::to_string(next_id_.fetch_add(1) + 1);
  auto body = shard_dispatcher::message_body("/user/queue/events", id, payload);
  auto dests = std::make_shared<std::vector<std::string>>();
  dests->reserve(user_ids.size());
  for (auto& u : user_ids) dests->push_back(chat::destinations::user_events(u));
  if (batch.owner == this) {
    for (auto& d : *dests)
      batch.items.push_back({std::make_shared<const std::string>(std::move(d)), body});
    return;
  }
  dispatcher_.dispatch(std::move(dests), std::move(body));
}

void local_bus::interest(const std::string&, bool present) {
  if (present)
    with_interest_.fetch_add(1, std::memory_order_relaxed);
  else
    with_interest_.fetch_sub(1, std::memory_order_relaxed);
}

void local_bus::revoke(std::int64_t chat_id, std::string user_id) {
  dispatcher_.revoke(chat::destinations::room(chat_id), std::move(user_id));
}

}  // namespace parley::realtime
