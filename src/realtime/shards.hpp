#pragma once
// Shared-nothing event loops: one single-threaded io_context per core. A connection lives on one
// shard for its whole life, so its state (and the shard's hub) needs no locks; work crosses shards
// only by posting. Chosen over one io_context on N threads with a strand per connection because
// fan-out then touches no shared state and no atomic on the per-delivery path (docs/adr/0001).
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <pthread.h>

#include <atomic>
#include <string>
#include <memory>
#include <thread>
#include <vector>

namespace parley::realtime {

namespace asio = boost::asio;

class shards {
 public:
  explicit shards(unsigned n) {
    if (n == 0) n = 1;
    for (unsigned i = 0; i < n; ++i) {
      auto ctx = std::make_unique<asio::io_context>(1);
      guards_.emplace_back(asio::make_work_guard(*ctx));
      contexts_.push_back(std::move(ctx));
    }
  }
  shards(const shards&) = delete;
  shards& operator=(const shards&) = delete;
  ~shards() {
    stop();
    join();
  }

  unsigned size() const { return static_cast<unsigned>(contexts_.size()); }
  asio::io_context& at(unsigned i) { return *contexts_[i]; }
  // Round-robin choice for a new connection.
  asio::io_context& next() { return at(next_.fetch_add(1, std::memory_order_relaxed) % size()); }

  void run() {
    for (unsigned i = 0; i < size(); ++i)
      threads_.emplace_back([c = contexts_[i].get(), i] {
        auto name = "parley-shard-" + std::to_string(i);  // for top -H, perf and /proc
        pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
        c->run();
      });
  }
  // Lets each loop finish once its pending work is done (graceful); stop() is the hard stop.
  void release() { guards_.clear(); }
  void stop() {
    for (auto& ctx : contexts_) ctx->stop();
  }
  void join() {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::atomic<unsigned> next_{0};
};

}  // namespace parley::realtime
