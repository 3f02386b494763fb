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
#include <vector>

#include <spdlog/spdlog.h>

namespace parley::ws {

class closable {
 public:
  // The server is shutting down: finish what is in flight, then close. Called on executor().
  virtual void go_away(std::string_view reason) = 0;
  virtual boost::asio::any_io_executor executor() = 0;

 protected:
  ~closable() = default;

 private:
  friend class live_set;
  // Membership of one live_set, guarded by its mutex: an intrusive list, so joining it allocates
  // nothing (a hash-map node per connection was ~60 bytes of every idle connection).
  closable* prev_ = nullptr;
  closable* next_ = nullptr;
  std::weak_ptr<closable> self_;  // for close_all(); expired once the connection is being destroyed
};

class live_set {
 public:
  void add(const std::shared_ptr<closable>& c) {
    std::lock_guard lock(mu_);
    c->self_ = c;
    c->prev_ = nullptr;
    c->next_ = head_;
    if (head_) head_->prev_ = c.get();
    head_ = c.get();
    ++size_;
  }
  // Called from the connection's destructor, so entries never outlive their connection. A
  // connection that never joined is ignored.
  void remove(closable* c) noexcept {
    std::lock_guard lock(mu_);
    if (c->prev_ == nullptr && head_ != c) return;
    (c->prev_ ? c->prev_->next_ : head_) = c->next_;
    if (c->next_) c->next_->prev_ = c->prev_;
    c->prev_ = c->next_ = nullptr;
    --size_;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return size_;
  }
  void close_all(const std::string& reason) {
    std::vector<std::shared_ptr<closable>> snapshot;
    {
      // A connection being destroyed waits in remove() for the lock, so every linked object stays
      // valid while the list is walked; its expired self_ skips it.
      std::lock_guard lock(mu_);
      snapshot.reserve(size_);
      for (auto* c = head_; c; c = c->next_)
        if (auto strong = c->self_.lock()) snapshot.push_back(std::move(strong));
    }
    for (auto& c : snapshot) {
      auto ex = c->executor();
      boost::asio::post(ex, [c = std::move(c), reason] { c->go_away(reason); });
    }
  }

 private:
  mutable std::mutex mu_;
  closable* head_ = nullptr;
  std::size_t size_ = 0;
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
