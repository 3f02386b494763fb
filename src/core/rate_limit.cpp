#include "core/rate_limit.hpp"

namespace parley::core {

bool memory_rate_limit::below_limit(std::deque<time_point>& times, time_point now) const {
  while (!times.empty() && now - times.front() >= window_) times.pop_front();
  return times.size() < limit_;
}

void memory_rate_limit::add(const std::string& key, time_point now) {
  if (times_.size() > sweep_threshold) {
    std::erase_if(times_, [&](auto& kv) {
      return kv.second.empty() || now - kv.second.back() >= window_;
    });
    if (times_.size() > max_keys) times_.clear();
  }
  auto& times = times_[key];
  times.push_back(now);
  // Only the newest `limit_` times can decide anything.
  while (times.size() > limit_) times.pop_front();
}

bool memory_rate_limit::allowed(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = times_.find(key);
  if (it == times_.end()) return true;
  if (below_limit(it->second, clock_.now())) {
    if (it->second.empty()) times_.erase(it);
    return true;
  }
  return false;
}

void memory_rate_limit::record(const std::string& key) {
  std::lock_guard lock(mutex_);
  add(key, clock_.now());
}

bool memory_rate_limit::take(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto now = clock_.now();
  if (auto it = times_.find(key); it != times_.end() && !below_limit(it->second, now))
    return false;
  add(key, now);
  return true;
}

void memory_rate_limit::reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  times_.erase(key);
}

}  // namespace parley::core
