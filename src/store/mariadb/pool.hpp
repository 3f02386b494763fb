#pragma once
// A bounded pool of connections for the synchronous (repository) methods. At most `size`
// connections exist; a caller finding all of them leased waits (the port lets synchronous methods
// block their worker thread). Connections open lazily, so a store can start while few are needed.
//
// Broken connections are never handed out again: a lease returned broken is closed, and with it
// every idle connection, because a lost connection nearly always means the server went away
// (restart, failover) and the idle ones would each fail one request before being found out. A
// connection idle for longer than `revalidate_after` is pinged before use for the same reason.
#include "store/mariadb/connection.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace parley::store::mariadb {

class connection_pool {
 public:
  // Long enough that a busy pool never pings, short enough that the first request after a server
  // restart does not pay for a dead connection.
  static constexpr std::chrono::seconds revalidate_after{1};

  connection_pool(dsn_parts where, std::chrono::milliseconds connect_timeout, std::size_t size);

  class lease {
   public:
    lease(connection_pool& pool, std::unique_ptr<connection> c) : pool_(&pool), c_(std::move(c)) {}
    lease(lease&&) = default;
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (c_) pool_->release(std::move(c_));
    }
    connection& operator*() { return *c_; }
    connection* operator->() { return c_.get(); }

   private:
    connection_pool* pool_;
    std::unique_ptr<connection> c_;
  };

  // A working connection, opened if needed. Blocks while all are leased. Throws db_error
  // (connection_lost()) when the server cannot be reached.
  lease acquire();

 private:
  void release(std::unique_ptr<connection> c);
  // Takes the idle connections out (under mu_), to be closed outside the lock.
  std::vector<std::unique_ptr<connection>> drain_idle();

  const dsn_parts where_;
  const std::chrono::milliseconds connect_timeout_;
  const std::size_t size_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t open_ = 0;  // idle + leased + being opened
};

}  // namespace parley::store::mariadb
