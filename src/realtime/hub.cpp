#include "realtime/hub.hpp"

#include "obs/metrics.hpp"

#include <algorithm>
#include <chrono>

namespace parley::realtime {

void hub::subscribe(const std::string& destination, subscriber* s, std::string subscription_id,
                    std::shared_ptr<const std::string> prefix) {
  auto [it, created] = subs_.try_emplace(destination);
  it->second.push_back(entry{s, std::move(subscription_id), std::move(prefix)});
  obs::global().subscriptions.fetch_add(1, std::memory_order_relaxed);
  if (created && interest_) interest_->on_interest(destination, true);
}

void hub::erase_if_empty(map::iterator it) {
  if (!it->second.empty()) return;
  // extract() keeps the key alive for the report, after the entry is gone, without a copy.
  auto node = subs_.extract(it);
  if (interest_) interest_->on_interest(node.key(), false);
}

void hub::unsubscribe(const std::string& destination, subscriber* s,
                      const std::string& subscription_id) {
  auto it = subs_.find(destination);
  if (it == subs_.end()) return;
  auto& v = it->second;
  auto e = std::find_if(v.begin(), v.end(),
                        [&](const entry& x) { return x.sub == s && x.id == subscription_id; });
  if (e != v.end()) {
    *e = std::move(v.back());  // order among subscribers does not matter; per-subscriber order does
    v.pop_back();
    obs::global().subscriptions.fetch_sub(1, std::memory_order_relaxed);
  }
  erase_if_empty(it);
}

void hub::deliver(const std::string& destination, const std::shared_ptr<const std::string>& body) {
  auto it = subs_.find(destination);
  if (it == subs_.end()) return;
  // Subscribers never (un)subscribe synchronously from deliver(): a slow session defers its close
  // to a fresh handler (stomp_session::deliver), so the vector is stable during this loop.
  auto& v = it->second;
  const auto n = v.size();
  if (n == 0) return;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) v[i].sub->deliver(outbound{v[i].prefix, body});
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  obs::global().deliveries.fetch_add(n, std::memory_order_relaxed);
  auto& h = obs::timings();
  h.fanout_message.observe(took.count());
  h.fanout_delivery.observe(took.count() / double(n), n);
}

void hub::revoke(const std::string& room_destination, const std::string& user_id) {
  for (auto suffix : {"", "/typing", "/receipts"}) {
    auto it = subs_.find(room_destination + suffix);
    if (it == subs_.end()) continue;
    std::vector<entry> dropped;
    auto& v = it->second;
    auto keep = std::partition(v.begin(), v.end(), [&](const entry& e) {
      return !user_id.empty() && e.sub->user_id() != user_id;
    });
    dropped.assign(std::make_move_iterator(keep), std::make_move_iterator(v.end()));
    v.erase(keep, v.end());
    obs::global().subscriptions.fetch_sub(static_cast<std::int64_t>(dropped.size()),
                                          std::memory_order_relaxed);
    erase_if_empty(it);
    for (auto& e : dropped) e.sub->revoked(e.id);
  }
}

}  // namespace parley::realtime
