#include "cluster/redis_client.hpp"

#include "core/problem.hpp"

#include <stdexcept>
#include <thread>

namespace parley::cluster {

redis_client::redis_client(redis::options o, const std::string& node_id, std::string what)
    : what_(std::move(what)), io_("redis-" + what_), connect_timeout_(o.connect_timeout) {
  o.name = "parley-" + node_id + "-" + what_;
  conn_ = redis::connection::create(io_.executor(), std::move(o));
  conn_->start();
}

redis_client::~redis_client() { stop(); }

void redis_client::wait_connected() {
  auto deadline = std::chrono::steady_clock::now() + connect_timeout_;
  while (!conn_->connected()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw core::unavailable_error(what_ + ": Redis is unreachable");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void redis_client::stop() {
  conn_->stop();
  io_.join();
}

redis::reply redis_client::call(redis::command c) {
  auto r = redis::call(*conn_, std::move(c));
  if (!r) throw core::unavailable_error(what_ + ": Redis is unreachable");
  if (r->is_error()) throw std::runtime_error(what_ + ": Redis refused: " + r->str);
  return std::move(*r);
}

std::vector<redis::reply> redis_client::call(std::vector<redis::command> cs) {
  auto replies = redis::call(*conn_, std::move(cs));
  std::vector<redis::reply> out;
  out.reserve(replies.size());
  for (auto& r : replies) {
    if (!r) throw core::unavailable_error(what_ + ": Redis is unreachable");
    if (r->is_error()) throw std::runtime_error(what_ + ": Redis refused: " + r->str);
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace parley::cluster
