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
  bool disconnected(const std::string& user_id) override {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(user_id);
    if (it == sessions_.end()) return false;
    if (--it->second > 0) return false;
    sessions_.erase(it);
    return true;
  }
  bool online(const std::string& user_id) override {
    std::lock_guard lock(mutex_);
    return sessions_.count(user_id) > 0;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int> sessions_;
};

}  // namespace parley::chat
