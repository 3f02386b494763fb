#pragma once
// The contract of the presence port (chat::presence). Each adapter adds one source file with its
// INSTANTIATE_TEST_SUITE_P: memory (memory_presence_contract.cpp), Redis
// (redis_presence_contract.cpp).
#include "chat/ports.hpp"
#include "core/time.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>
#include <string>

namespace parley::contract {

struct presence_adapter {
  std::string name;
  std::function<std::unique_ptr<chat::presence>()> make;
};
inline void PrintTo(const presence_adapter& a, std::ostream* os) { *os << a.name; }

class presence_contract : public ::testing::TestWithParam<presence_adapter> {
 protected:
  void SetUp() override { p = GetParam().make(); }
  std::unique_ptr<chat::presence> p;
  // User ids of this test alone: a shared server keeps what earlier tests left.
  std::string suffix = std::to_string(std::random_device{}());
  std::string u = "u-" + suffix, a = "a-" + suffix, b = "b-" + suffix;
  core::time_point t0 = core::from_epoch_ms(1'700'000'000'000);
};

}  // namespace parley::contract
