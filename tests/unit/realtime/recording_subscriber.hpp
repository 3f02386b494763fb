#pragma once
// A hub subscriber and a hub interest listener that keep what they are given, for the hub,
// local_bus and node_interest tests.
#include "realtime/hub.hpp"

#include <string>
#include <utility>
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

class recording_interest final : public interest_listener {
 public:
  void on_interest(const std::string& destination, bool present) override {
    reports.emplace_back(destination, present);
  }
  std::vector<std::pair<std::string, bool>> reports;
};

}  // namespace parley::realtime
