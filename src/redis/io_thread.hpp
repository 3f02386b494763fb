#pragma once
// An io_context with one thread of its own, for the connections of one cluster adapter: their
// handlers never run on a shard or a worker. The destructor waits for the thread, so whatever the
// adapter's handlers touch outlives them; stop the connections first, or it waits for them.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <thread>

namespace parley::redis {

class io_thread {
 public:
  explicit io_thread(std::string name);
  ~io_thread();
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  boost::asio::io_context::executor_type executor() { return io_.get_executor(); }
  // Lets the thread end once no work is left, and waits for it. Idempotent.
  void join();

 private:
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace parley::redis
