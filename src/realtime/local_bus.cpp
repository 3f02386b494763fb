#include "realtime/local_bus.hpp"

#include "chat/ports.hpp"
#include "stomp/serializer.hpp"

#include <boost/asio/post.hpp>

namespace parley::realtime {

namespace {
struct publication {
  std::shared_ptr<const std::string> destination;
  std::shared_ptr<const std::string> body;
};
struct thread_batch {
  const local_bus* owner = nullptr;
  std::vector<publication> items;
};
thread_local thread_batch batch;
}  // namespace

void local_bus::begin_batch() {
  end_batch();  // never drop what an unfinished batch (a callback that threw) still holds
  batch.owner = this;
}

void local_bus::end_batch() {
  if (batch.owner != this) return;
  batch.owner = nullptr;
  if (batch.items.empty()) return;
  auto items = std::make_shared<const std::vector<publication>>(std::move(batch.items));
  batch.items = {};
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], items] {
      for (auto& p : *items) h->deliver(*p.destination, p.body);
    });
}

void local_bus::publish(std::string destination, std::string payload, std::string message_id) {
  if (message_id.empty()) message_id = "e-" + std::to_string(next_id_.fetch_add(1) + 1);
  // Private queues are keyed per user internally; the client sees the name it subscribed to.
  std::string_view shown = destination;
  if (destination.starts_with("/user/")) shown = "/user/queue/events";
  auto body = std::make_shared<const std::string>(
      stomp::message_body(shown, message_id, "application/json", payload));
  auto dest = std::make_shared<const std::string>(std::move(destination));
  if (batch.owner == this) {
    batch.items.push_back({std::move(dest), std::move(body)});
    return;
  }
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], dest, body] { h->deliver(*dest, body); });
}

void local_bus::publish_to_users(std::vector<std::string> user_ids, std::string payload) {
  if (user_ids.empty()) return;
  auto id = "e-" + std::to_string(next_id_.fetch_add(1) + 1);
  auto body = std::make_shared<const std::string>(
      stomp::message_body("/user/queue/events", id, "application/json", payload));
  auto dests = std::make_shared<std::vector<std::string>>();
  dests->reserve(user_ids.size());
  for (auto& u : user_ids) dests->push_back(chat::destinations::user_events(u));
  if (batch.owner == this) {
    for (auto& d : *dests)
      batch.items.push_back({std::make_shared<const std::string>(std::move(d)), body});
    return;
  }
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], dests, body] {
      for (auto& d : *dests) h->deliver(d, body);
    });
}

void local_bus::revoke(std::int64_t chat_id, std::string user_id) {
  auto room = chat::destinations::room(chat_id);
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], room, user_id] { h->revoke(room, user_id); });
}

}  // namespace parley::realtime
