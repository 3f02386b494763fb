#pragma once
// A hub subscriber that keeps what it is given, for the hub and local_bus tests.
#include "realtime/hub.hpp"

#include <string>
#include <vector>

namespace parley::realtime {

class recording_subscriber final : public subscriber {
 public:
  explicit recording_subscriber(std::string user) : user_(std::move(user)) {}
  void deliver(const outbound& frame) override { got.push_back(frame); }
  void revoked(const std::string& subscription_id) override {
    revoked_ids.push_back(subscription_id);
  }
  const std::string& user_id() const override { return user_; }

  std::vector<outbound> got;
  std::vector<std::string> revoked_ids;

 private:
  std::string user_;
};

}  // namespace parley::realtime
