#pragma once
// All-in-one presence: a session count per user. Online while at least one session is open.
#include "chat/ports.hpp"

#include <mutex>
#include <unordered_map>

namespace parley::chat {

class memory_presence final : public presence {
 public:
  bool connected(const std::string& user_id) override {
    std::lock_guard lock(mutex_);
    return ++sessions_[user_id] == 1;
  }
  bool disconnected(const std::string& user_id, core::time_point now) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(user_id);
    if (it == sessions_.end()) return false;
    if (--it->second > 0) return false;
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
    return sessions_.count(user_id) > 0;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int> sessions_;
  std::unordered_map<std::string, core::time_point> last_seen_;
};

}  // namespace parley::chat
