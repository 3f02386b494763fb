#include "cluster/redis_bus.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <charconv>
#include <future>

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

// A publication on the wire: "<message id>\n<payload>", or "<message id> <seq>\n<payload>" for
// a room's message (ids hold no space or newline).
std::string encode(std::string_view message_id, std::string_view payload,
                   std::int64_t seq = 0) {
  std::string out;
  out.reserve(message_id.size() + 22 + payload.size());
  out.append(message_id);
  if (seq > 0) out.append(1, ' ').append(std::to_string(seq));
  out.append(1, '\n').append(payload);
  return out;
}

// How often holes and waiters are looked at while there are any.
constexpr std::chrono::milliseconds tick_interval{10};

}  // namespace

redis::command room_publication(std::string_view prefix, std::int64_t chat_id, std::int64_t seq,
                                std::string_view message_id, std::string_view payload) {
  return {"PUBLISH", std::string(prefix) + chat::destinations::room(chat_id),
          encode(message_id, payload, seq)};
}

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
  tick_ = std::make_unique<boost::asio::steady_timer>(subscriber_->executor());
  subscriber_->on_down([this] {
    flush_deliveries();  // received before the loss: theirs to have
    std::lock_guard lock(mutex_);
    confirmed_.clear();  // nothing is received until the resubscribe is confirmed
    in_flight_.clear();
  });
  publisher_->start();
  subscriber_->start();
}

redis_bus::~redis_bus() {
  if (batch.owner == this) batch = {};
  {
    // No history answer may reach a strand that is going away.
    std::unique_lock lock(reads_mutex_);
    reads_done_.wait(lock, [this] { return reads_ == 0; });
  }
  std::promise<void> stopped;
  boost::asio::post(subscriber_->executor(), [this, &stopped] {
    stopping_ = true;
    tick_->cancel();
    stopped.set_value();
  });
  stopped.get_future().wait();
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

void redis_bus::publish_in_order(std::int64_t chat_id, std::int64_t seq, std::string payload,
                                 std::string message_id) {
  auto c = room_publication(opts_.prefix, chat_id, seq, message_id, payload);
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
  boost::asio::post(subscriber_->executor(), [this, destination, ch = channel(destination),
                                               present] {
    on_interest(destination, present);
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
    {
      std::lock_guard lock(mutex_);
      if (auto it = in_flight_.find(e[1].str); it != in_flight_.end() && --it->second <= 0)
        in_flight_.erase(it);
      if (kind == "subscribe")
        confirmed_.insert(e[1].str);
      else
        confirmed_.erase(e[1].str);
    }
    if (kind == "subscribe" && e[1].str.starts_with(opts_.prefix) && e[1].str != control_)
      on_confirmed(e[1].str.substr(opts_.prefix.size()));
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
  if (auto sp = id.find(' '); sp != std::string_view::npos) {
    std::int64_t seq = 0;
    auto digits = id.substr(sp + 1);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), seq).ec != std::errc{} ||
        seq <= 0) {
      spdlog::warn("redis bus: an unreadable publication on {}", ch);
      return;
    }
    return on_room_message(std::string(destination), seq, id.substr(0, sp), payload);
  }
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

// --- In-order delivery of rooms (subscriber strand) ---

void redis_bus::on_interest(const std::string& destination, bool present) {
  if (!present) {
    rooms_.erase(destination);
    // Whoever waited unsubscribed or left: nobody is left to answer.
    std::erase_if(waiters_, [&](const waiter& w) { return w.destination == destination; });
    return;
  }
  if (!opts_.history) return;
  auto chat_id = chat::destinations::room_id(destination);
  if (!chat_id) return;
  auto [it, fresh] = rooms_.try_emplace(destination);
  if (fresh) {
    it->second.chat_id = *chat_id;
    it->second.generation = ++next_generation_;
  }
}

void redis_bus::on_confirmed(const std::string& destination) {
  auto it = rooms_.find(destination);
  if (it != rooms_.end() && !it->second.reading) {
    if (!it->second.known)
      read_newest(destination, it->second);
    else
      read_after(destination, it->second, static_cast<int>(opts_.max_gap));  // after a reconnect
  }
  check_waiters(destination);
}

void redis_bus::on_room_message(const std::string& destination, std::int64_t seq,
                                std::string_view id, std::string_view payload) {
  auto it = rooms_.find(destination);
  if (it == rooms_.end()) {  // no history to order by, or no interest left: as it comes
    pending_.push_back({std::make_shared<const std::string>(destination),
                        realtime::shard_dispatcher::message_body(destination, id, payload)});
    return;
  }
  auto& r = it->second;
  if (r.known && seq <= r.seq) return;  // delivered already (a replay, or read from history)
  if (r.known && seq == r.seq + 1) {
    deliver_room(destination, r, seq, id, payload);
    return drain(destination, r);
  }
  r.held.try_emplace(seq, held_message{std::string(id), std::string(payload)});
  if (r.known) drain(destination, r);
}

void redis_bus::deliver_room(const std::string& destination, room_state& r, std::int64_t seq,
                             std::string_view id, std::string_view payload) {
  pending_.push_back({std::make_shared<const std::string>(destination),
                      realtime::shard_dispatcher::message_body(destination, id, payload)});
  r.seq = seq;
  r.message_id = std::string(id);
}

// Delivers what the cursor reached, and notes whether a hole remains.
void redis_bus::drain(const std::string& destination, room_state& r) {
  while (!r.held.empty() && r.held.begin()->first <= r.seq + 1) {
    auto node = r.held.extract(r.held.begin());
    if (node.key() == r.seq + 1)
      deliver_room(destination, r, node.key(), node.mapped().message_id, node.mapped().payload);
  }
  if (r.held.size() > opts_.max_gap) {
    // Too much behind one hole: skip it rather than hold without bound.
    auto to = r.held.begin()->first - 1;
    skipped_.fetch_add(static_cast<std::uint64_t>(to - r.seq), std::memory_order_relaxed);
    spdlog::warn("redis bus: {} skips messages {}..{} (too many held)", destination, r.seq + 1, to);
    r.seq = to;
    return drain(destination, r);
  }
  if (r.held.empty()) {
    r.gap_since = {};
  } else if (r.gap_since == std::chrono::steady_clock::time_point{}) {
    r.gap_since = std::chrono::steady_clock::now();
    arm_tick();
  }
}

void redis_bus::read_newest(const std::string& destination, room_state& r) {
  r.reading = true;
  {
    std::lock_guard lock(reads_mutex_);
    ++reads_;
  }
  opts_.history->newest(
      r.chat_id, [this, destination, g = r.generation](bool ok, std::vector<room_history::entry> e) {
        boost::asio::post(subscriber_->executor(), [this, destination, g, ok, e = std::move(e)] {
          on_history(destination, g, true, ok, std::move(e));
        });
        std::lock_guard lock(reads_mutex_);
        if (--reads_ == 0) reads_done_.notify_all();
      });
}

void redis_bus::read_after(const std::string& destination, room_state& r, int limit) {
  r.reading = true;
  {
    std::lock_guard lock(reads_mutex_);
    ++reads_;
  }
  opts_.history->after(
      r.chat_id, r.message_id, limit,
      [this, destination, g = r.generation](bool ok, std::vector<room_history::entry> e) {
        boost::asio::post(subscriber_->executor(), [this, destination, g, ok, e = std::move(e)] {
          on_history(destination, g, false, ok, std::move(e));
        });
        std::lock_guard lock(reads_mutex_);
        if (--reads_ == 0) reads_done_.notify_all();
      });
}

void redis_bus::on_history(const std::string& destination, std::uint64_t generation, bool newest,
                           bool ok, std::vector<room_history::entry> entries) {
  if (stopping_) return;
  auto it = rooms_.find(destination);
  if (it == rooms_.end() || it->second.generation != generation) return;  // interest ended
  auto& r = it->second;
  r.reading = false;
  if (!ok) {
    r.retry_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    return arm_tick();
  }
  flush_deliveries();  // what this read brought so far goes first
  if (newest) {
    r.known = true;
    if (!entries.empty()) {
      r.seq = entries.front().seq;
      r.message_id = entries.front().message_id;
    }
    drain(destination, r);
    flush_deliveries();
    return check_waiters(destination);
  }
  const auto before = r.seq;
  for (auto& e : entries)
    if (e.seq == r.seq + 1) deliver_room(destination, r, e.seq, e.message_id, e.payload);
  filled_.fetch_add(static_cast<std::uint64_t>(r.seq - before), std::memory_order_relaxed);
  if (!r.held.empty() && r.seq + 1 < r.held.begin()->first && r.seq == before) {
    // History has nothing for the hole (its messages were not committed after all, or the
    // history read is behind): give up on it rather than stall the room.
    auto to = r.held.begin()->first - 1;
    skipped_.fetch_add(static_cast<std::uint64_t>(to - r.seq), std::memory_order_relaxed);
    spdlog::warn("redis bus: {} skips messages {}..{} (not in history)", destination, r.seq + 1,
                 to);
    r.seq = to;
  }
  r.gap_since = {};
  drain(destination, r);
  flush_deliveries();
}

bool redis_bus::ready_now(const std::string& destination) const {
  if (!receiving(destination)) return false;
  auto it = rooms_.find(destination);
  return it == rooms_.end() || it->second.known;
}

void redis_bus::check_waiters(const std::string& destination) {
  if (waiters_.empty() || !ready_now(destination)) return;
  std::vector<std::function<void(bool)>> ready;
  std::erase_if(waiters_, [&](waiter& w) {
    if (w.destination != destination) return false;
    ready.push_back(std::move(w.ready));
    return true;
  });
  for (auto& f : ready) f(true);
}

void redis_bus::when_receiving(const std::string& destination, std::function<void(bool)> ready) {
  boost::asio::post(subscriber_->executor(), [this, destination, ready = std::move(ready)] {
    if (ready_now(destination)) return ready(true);
    waiters_.push_back(
        {destination, ready, std::chrono::steady_clock::now() + opts_.subscribe_timeout});
    arm_tick();
  });
}

void redis_bus::arm_tick() {
  if (ticking_ || stopping_) return;
  ticking_ = true;
  tick_->expires_after(tick_interval);
  tick_->async_wait([this](boost::system::error_code ec) {
    ticking_ = false;
    if (!ec && !stopping_) tick();
  });
}

// Holes that waited long enough are read from history; failed reads are retried; waiters past
// their deadline are told no.
void redis_bus::tick() {
  const auto now = std::chrono::steady_clock::now();
  bool again = false;
  for (auto& [destination, r] : rooms_) {
    if (r.reading) {
      again = true;
      continue;
    }
    if (r.retry_at != std::chrono::steady_clock::time_point{}) {
      if (now < r.retry_at) {
        again = true;
        continue;
      }
      r.retry_at = {};
      if (!r.known) {
        if (receiving(destination)) read_newest(destination, r);
        again = true;
        continue;
      }
    }
    if (r.known && !r.held.empty()) {
      if (now - r.gap_since >= opts_.gap_wait)
        read_after(destination, r,
                   static_cast<int>(std::min<std::int64_t>(
                       static_cast<std::int64_t>(opts_.max_gap),
                       r.held.begin()->first - r.seq - 1)));  // the hole; the rest is held
      again = true;
    }
  }
  std::vector<std::function<void(bool)>> expired;
  std::erase_if(waiters_, [&](waiter& w) {
    if (now < w.deadline) return false;
    expired.push_back(std::move(w.ready));
    return true;
  });
  for (auto& f : expired) f(false);
  if (again || !waiters_.empty()) arm_tick();
}

}  // namespace parley::cluster
