#include "realtime/node_interest.hpp"

#include <cassert>

namespace parley::realtime {

void node_interest::on_interest(const std::string& destination, bool present) {
  std::lock_guard lock(mutex_);
  if (present) {
    if (++shards_with_[destination] != 1) return;
    if (chat::destinations::room_id(destination)) rooms_.fetch_add(1, std::memory_order_relaxed);
    bus_.interest(destination, true);
    return;
  }
  // Each hub reports a destination absent only after reporting it present, so it is here.
  auto it = shards_with_.find(destination);
  assert(it != shards_with_.end());
  if (--it->second > 0) return;
  shards_with_.erase(it);
  if (chat::destinations::room_id(destination)) rooms_.fetch_sub(1, std::memory_order_relaxed);
  bus_.interest(destination, false);
}

}  // namespace parley::realtime
