#pragma once
// The all-in-one username filter (chat::username_filter): a Bloom filter in memory, filled at
// start from every stored username (auth/bloom.hpp says how it is sized and hashed).
#include "auth/bloom.hpp"
#include "chat/ports.hpp"

#include <string>
#include <vector>

namespace parley::chat {

class memory_username_filter final : public username_filter {
 public:
  explicit memory_username_filter(const std::vector<std::string>& existing) {
    for (auto& name : existing) bloom_.add(name);
  }
  bool maybe_taken(const std::string& username) override { return bloom_.maybe_contains(username); }
  void add(const std::string& username) override { bloom_.add(username); }

 private:
  auth::bloom_filter bloom_;
};

}  // namespace parley::chat
