#pragma once
// All-in-one presence: a session count per user, online while it is above zero. A close counted
// before its open takes the count below zero until the open arrives (see chat::presence).
#include "chat/ports.hpp"

#include <mutex>
#include <unordered_map>

namespace parley::chat {

class memory_presence final : public presence {
 public:
  bool connected(const std::string& user_id) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.try_emplace(user_id, 0).first;
    const int open = ++it->second;
    if (open == 0) sessions_.erase(it);  // the open of a close counted earlier
    return open == 1;
  }
  bool disconnected(const std::string& user_id, core::time_point now) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.try_emplace(user_id, 0).first;
    if (--it->second != 0) return false;  // sessions remain, or this close came before its open
    sessions_.erase(it);
    // Remembered until the store has it too; bounded by the number of users who ever connected
    // since start, which the store bounds anyway.
    last_seen_[user_id] = now;
    return true;
  }
  std::optional<core::time_point> last_seen(const std::string& user_id) override {
    std::lock_guard lock(mutex_);
    auto it = last_seen_.find(user_id);
    if (it == last_seen_.end()) return std::nullopt;
    return it->second;
  }
  bool online(const std::string& user_id) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(user_id);
    return it != sessions_.end() && it->second > 0;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int> sessions_;
  std::unordered_map<std::string, core::time_point> last_seen_;
};

}  // namespace parley::chat
