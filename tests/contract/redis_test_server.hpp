#pragma once
// The Redis server of the contract tests: PARLEY_TEST_REDIS=host:port, or the throwaway server
// of the ctest fixture (its address file).
#include "redis/connection.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

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

// A plain connection to the test Redis on `ex`, connected (throws after 10 s): for a test that
// reads or edits raw keys behind an adapter's back. The caller stops it.
inline std::shared_ptr<redis::connection> raw_connection(boost::asio::any_io_executor ex) {
  auto conn = redis::connection::create(ex, test_redis());
  conn->start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!conn->connected()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no test Redis");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return conn;
}

}  // namespace parley::contract
