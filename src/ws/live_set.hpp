#pragma once
// The set of live connections of one kind, so that graceful shutdown can reach each of them on
// whichever shard it lives. Touched once when a connection starts and once when it dies (under a
// mutex, off the delivery path); close_all() posts each connection's go_away() to its own shard.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace parley::ws {

class closable {
 public:
  // The server is shutting down: finish what is in flight, then close. Called on executor().
  virtual void go_away(std::string_view reason) = 0;
  virtual boost::asio::any_io_executor executor() = 0;

 protected:
  ~closable() = default;
};

class live_set {
 public:
  void add(const std::shared_ptr<closable>& c) {
    std::lock_guard lock(mu_);
    items_.emplace(c.get(), c);
  }
  // Called from the connection's destructor, so entries never outlive their connection.
  void remove(const closable* c) noexcept {
    std::lock_guard lock(mu_);
    items_.erase(c);
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  void close_all(const std::string& reason) {
    std::unordered_map<const closable*, std::weak_ptr<closable>> snapshot;
    {
      std::lock_guard lock(mu_);
      snapshot = items_;
    }
    for (auto& [_, weak] : snapshot)
      if (auto c = weak.lock()) {
        auto ex = c->executor();
        boost::asio::post(ex, [c = std::move(c), reason] { c->go_away(reason); });
      }
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<const closable*, std::weak_ptr<closable>> items_;
};

// Completion for co_spawn at a session root: an exception that escaped a session is logged, never
// propagated into the shard's event loop.
inline auto log_failure(const char* what) {
  return [what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{}: {}", what, ex.what());
    }
  };
}

}  // namespace parley::ws
