#include "realtime/shard_dispatcher.hpp"

#include "stomp/serializer.hpp"

#include <boost/asio/post.hpp>

namespace parley::realtime {

std::shared_ptr<const std::string> shard_dispatcher::message_body(std::string_view destination,
                                                                  std::string_view message_id,
                                                                  std::string_view payload) {
  if (destination.starts_with("/user/")) destination = "/user/queue/events";
  return std::make_shared<const std::string>(
      stomp::message_body(destination, message_id, "application/json", payload));
}

void shard_dispatcher::dispatch(delivery d) {
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], d] { h->deliver(*d.destination, d.body); });
}

void shard_dispatcher::dispatch(std::shared_ptr<const std::vector<std::string>> destinations,
                                std::shared_ptr<const std::string> body) {
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], destinations, body] {
      for (auto& d : *destinations) h->deliver(d, body);
    });
}

void shard_dispatcher::dispatch(std::shared_ptr<const std::vector<delivery>> batch) {
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], batch] {
      for (auto& d : *batch) h->deliver(*d.destination, d.body);
    });
}

void shard_dispatcher::revoke(std::string room_destination, std::string user_id) {
  for (unsigned i = 0; i < shards_.size(); ++i)
    boost::asio::post(shards_.at(i), [h = hubs_[i], room_destination, user_id] {
      h->revoke(room_destination, user_id);
    });
}

}  // namespace parley::realtime
