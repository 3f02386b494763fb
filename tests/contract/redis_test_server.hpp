#pragma once
// The Redis server of the contract tests: PARLEY_TEST_REDIS=host:port, or the throwaway server
// of the ctest fixture (its address file).
#include "redis/connection.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace parley::contract {

inline redis::options test_redis() {
  std::string address;
  if (const char* env = std::getenv("PARLEY_TEST_REDIS")) address = env;
  if (address.empty()) std::ifstream(PARLEY_TEST_REDIS_ADDRESS_FILE) >> address;
  auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("no test Redis (PARLEY_TEST_REDIS)");
  redis::options o;
  o.host = address.substr(0, colon);
  o.port = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
  return o;
}

}  // namespace parley::contract
