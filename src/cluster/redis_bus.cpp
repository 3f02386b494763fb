#include "cluster/redis_bus.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <charconv>

namespace parley::cluster {

namespace {

// Commands SUBSCRIBE/UNSUBSCRIBE carry at most this many channels each (a resubscribe after a
// reconnect may name tens of thousands).
constexpr std::size_t channels_per_command = 512;

struct thread_batch {
  redis_bus* owner = nullptr;
  std::vector<redis::command> commands;
};
thread_local thread_batch batch;

// A publication on the wire: "<message id>\n<payload>" (ids hold no newline).
std::string encode(std::string_view message_id, std::string_view payload) {
  std::string out;
  out.reserve(message_id.size() + 1 + payload.size());
  out.append(message_id).append(1, '\n').append(payload);
  return out;
}

}  // namespace

redis_bus::redis_bus(realtime::shard_dispatcher& d, redis_bus_options o)
    : dispatcher_(d), opts_(std::move(o)), control_(opts_.prefix + "ctl"), io_("redis-bus") {
  auto pub = opts_.redis;
  pub.name = "parley-" + opts_.node_id + "-pub";
  publisher_ = redis::connection::create(io_.executor(), pub);
  auto sub = opts_.redis;
  sub.name = "parley-" + opts_.node_id + "-sub";
  subscriber_ = redis::connection::create(io_.executor(), sub, redis::connection::mode::subscriber);
  subscriber_->on_ready([this] { resubscribe(); });
  subscriber_->on_push([this](redis::reply r) { on_push(std::move(r)); });
  subscriber_->on_read_done([this] { flush_deliveries(); });
  subscriber_->on_down([this] {
    pending_.clear();
    std::lock_guard lock(mutex_);
    confirmed_.clear();  // nothing is received until the resubscribe is confirmed
    in_flight_.clear();
  });
  publisher_->start();
  subscriber_->start();
}

redis_bus::~redis_bus() {
  if (batch.owner == this) batch = {};
  publisher_->stop();
  subscriber_->stop();
  io_.join();
}

void redis_bus::send(std::vector<redis::command> commands) {
  if (!publisher_->connected()) {
    dropped_.fetch_add(commands.size(), std::memory_order_relaxed);
    return;
  }
  publisher_->send(std::move(commands));
}

void redis_bus::begin_batch() {
  if (batch.owner) batch.owner->end_batch();
  batch.owner = this;
}

void redis_bus::end_batch() {
  if (batch.owner != this) return;
  batch.owner = nullptr;
  if (batch.commands.empty()) return;
  auto commands = std::move(batch.commands);
  batch.commands = {};
  send(std::move(commands));
}

void redis_bus::publish(std::string destination, std::string payload, std::string message_id) {
  if (message_id.empty())
    message_id = "e-" + opts_.node_id + "-" + std::to_string(next_id_.fetch_add(1) + 1);
  redis::command c{"PUBLISH", channel(destination), encode(message_id, payload)};
  if (batch.owner == this) return batch.commands.push_back(std::move(c));
  send({std::move(c)});
}

void redis_bus::publish_to_users(std::vector<std::string> user_ids, std::string payload) {
  if (user_ids.empty()) return;
  auto data = encode("e-" + opts_.node_id + "-" + std::to_string(next_id_.fetch_add(1) + 1),
                     payload);
  std::vector<redis::command> commands;
  commands.reserve(user_ids.size());
  for (auto& u : user_ids)
    commands.push_back({"PUBLISH", channel(chat::destinations::user_events(u)), data});
  if (batch.owner == this) {
    for (auto& c : commands) batch.commands.push_back(std::move(c));
    return;
  }
  send(std::move(commands));
}

void redis_bus::revoke(std::int64_t chat_id, std::string user_id) {
  redis::command c{"PUBLISH", control_, "revoke\n" + std::to_string(chat_id) + "\n" + user_id};
  if (batch.owner == this) return batch.commands.push_back(std::move(c));
  send({std::move(c)});
}

void redis_bus::interest(const std::string& destination, bool present) {
  {
    std::lock_guard lock(mutex_);
    if (present)
      wanted_.insert(destination);
    else
      wanted_.erase(destination);
    ++in_flight_[channel(destination)];  // unknown until Redis answers
  }
  // Queued in call order on the subscriber's strand; a SUBSCRIBE then UNSUBSCRIBE in quick
  // succession leaves the channel as the last call says. While disconnected this is a no-op and
  // resubscribe() applies wanted_ on reconnect.
  boost::asio::post(subscriber_->executor(), [this, ch = channel(destination), present] {
    if (!subscriber_->connected()) {
      // Not sent: the next resubscribe() counts afresh.
      std::lock_guard lock(mutex_);
      if (auto it = in_flight_.find(ch); it != in_flight_.end() && --it->second <= 0)
        in_flight_.erase(it);
      return;
    }
    subscriber_->send_subscription({present ? "SUBSCRIBE" : "UNSUBSCRIBE", ch});
  });
}

void redis_bus::resubscribe() {
  std::vector<std::string> channels{control_};
  {
    std::lock_guard lock(mutex_);
    confirmed_.clear();
    in_flight_.clear();
    channels.reserve(wanted_.size() + 1);
    for (auto& d : wanted_) channels.push_back(channel(d));
    for (auto& ch : channels) ++in_flight_[ch];
  }
  for (std::size_t i = 0; i < channels.size(); i += channels_per_command) {
    redis::command c{"SUBSCRIBE"};
    for (std::size_t j = i; j < std::min(channels.size(), i + channels_per_command); ++j)
      c.push_back(channels[j]);
    subscriber_->send_subscription(std::move(c));
  }
}

bool redis_bus::receiving(const std::string& destination) const {
  std::lock_guard lock(mutex_);
  auto ch = channel(destination);
  return confirmed_.contains(ch) && !in_flight_.contains(ch);
}

std::size_t redis_bus::destinations_with_interest() const {
  std::lock_guard lock(mutex_);
  return wanted_.size();
}

void redis_bus::on_push(redis::reply r) {
  auto& e = r.elements;
  const auto& kind = e[0].str;
  if (kind == "message" && e.size() == 3) return on_message(e[1].str, e[2].str);
  if ((kind == "subscribe" || kind == "unsubscribe") && e.size() >= 2) {
    std::lock_guard lock(mutex_);
    if (auto it = in_flight_.find(e[1].str); it != in_flight_.end() && --it->second <= 0)
      in_flight_.erase(it);
    if (kind == "subscribe")
      confirmed_.insert(e[1].str);
    else
      confirmed_.erase(e[1].str);
  }
}

void redis_bus::on_message(const std::string& ch, const std::string& data) {
  if (ch == control_) {
    // "revoke\n<chat id>\n<user id>"
    auto a = data.find('\n');
    auto b = a == std::string::npos ? a : data.find('\n', a + 1);
    std::int64_t chat_id = 0;
    if (b == std::string::npos || data.compare(0, a, "revoke") != 0 ||
        std::from_chars(data.data() + a + 1, data.data() + b, chat_id).ec != std::errc{}) {
      spdlog::warn("redis bus: an unreadable control message");
      return;
    }
    flush_deliveries();  // a revoke takes effect after what arrived before it
    dispatcher_.revoke(chat::destinations::room(chat_id), data.substr(b + 1));
    return;
  }
  if (!ch.starts_with(opts_.prefix)) return;
  auto nl = data.find('\n');
  if (nl == std::string::npos) {
    spdlog::warn("redis bus: an unreadable publication on {}", ch);
    return;
  }
  std::string_view destination(ch);
  destination.remove_prefix(opts_.prefix.size());
  std::string_view id(data.data(), nl), payload(data.data() + nl + 1, data.size() - nl - 1);
  realtime::delivery d{std::make_shared<const std::string>(destination), nullptr};
  // An event to many users' queues arrives once per user, with one body: build it once.
  if (destination.starts_with("/user/") && !pending_.empty() &&
      pending_.back().destination->starts_with("/user/") && last_data_ == data) {
    d.body = pending_.back().body;
  } else {
    d.body = realtime::shard_dispatcher::message_body(destination, id, payload);
    last_data_ = data;
  }
  pending_.push_back(std::move(d));
}

void redis_bus::flush_deliveries() {
  if (pending_.empty()) return;
  auto items = std::make_shared<const std::vector<realtime::delivery>>(std::move(pending_));
  pending_ = {};
  last_data_.clear();
  dispatcher_.dispatch(std::move(items));
}

}  // namespace parley::cluster
