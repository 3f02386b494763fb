#include "redis/io_thread.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace parley::redis {

io_thread::io_thread(std::string name) : work_(io_.get_executor()) {
  thread_ = std::thread([this, name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("{}: a handler threw: {}", name, e.what());
      }
    }
  });
}

io_thread::~io_thread() { join(); }

void io_thread::join() {
  work_.reset();
  if (thread_.joinable()) thread_.join();
}

}  // namespace parley::redis
