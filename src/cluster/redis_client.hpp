#pragma once
// A commands connection to Redis on a thread of its own, for the cluster adapters whose calls
// block a worker for one round trip (presence, the username filter, the rate limiters). The
// calls turn Redis's failures into the domain's vocabulary: unreachable or too slow is a
// core::unavailable_error (503 at the edges), a refused command a std::runtime_error (a bug).
#include "redis/connection.hpp"
#include "redis/io_thread.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace parley::cluster {

class redis_client {
 public:
  // `what` names the user in errors and in CLIENT SETNAME ("presence", "limits").
  redis_client(redis::options o, const std::string& node_id, std::string what);
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  redis::reply call(redis::command c);
  // Pipelined: one write, the replies in command order.
  std::vector<redis::reply> call(std::vector<redis::command> cs);
  // Fire and forget, one write (refreshes whose loss the next round repairs).
  void send(std::vector<redis::command> cs) { conn_->send(std::move(cs)); }
  // Asynchronous: `h` runs on the connection's thread (never block there).
  void send(redis::command c, redis::reply_handler h) { conn_->send(std::move(c), std::move(h)); }

  bool connected() const { return conn_->connected(); }
  // Waits up to the connect timeout for the first connection; throws core::unavailable_error.
  void wait_connected();
  // The connection's thread, for the adapter's own timers.
  boost::asio::io_context::executor_type executor() { return io_.executor(); }
  // Stops the connection and waits for its thread; the adapter's timers must be cancelled first.
  void stop();

 private:
  std::string what_;
  redis::io_thread io_;
  std::chrono::milliseconds connect_timeout_;
  std::shared_ptr<redis::connection> conn_;
};

}  // namespace parley::cluster
