#include "store/mariadb/pool.hpp"

#include "obs/metrics.hpp"

namespace parley::store::mariadb {

connection_pool::connection_pool(dsn_parts where, std::chrono::milliseconds connect_timeout,
                                 std::size_t size)
    : where_(std::move(where)), connect_timeout_(connect_timeout), size_(size ? size : 1) {}

std::vector<std::unique_ptr<connection>> connection_pool::drain_idle() {
  auto out = std::move(idle_);
  idle_.clear();
  open_ -= out.size();
  return out;
}

connection_pool::lease connection_pool::acquire() {
  // parley_mariadb_pool_wait_seconds: however acquire() ends (a connection, or a connect error).
  struct wait_timer {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    ~wait_timer() {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      obs::timings().mariadb_pool_wait.observe(took.count());
    }
  } timer;
  std::unique_lock lock(mu_);
  for (;;) {
    available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (idle_.empty()) break;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    bool fresh = std::chrono::steady_clock::now() - c->last_used() < revalidate_after;
    if (fresh || c->alive()) return lease(*this, std::move(c));
    release(std::move(c));  // broken now: closes it and the other idle ones
    lock.lock();
  }
  ++open_;  // reserve the slot, then connect without holding the lock
  lock.unlock();
  try {
    return lease(*this, std::make_unique<connection>(where_, connect_timeout_));
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void connection_pool::release(std::unique_ptr<connection> c) {
  std::vector<std::unique_ptr<connection>> dead;
  {
    std::lock_guard lock(mu_);
    if (c->broken()) {
      --open_;
      dead = drain_idle();
      dead.push_back(std::move(c));
    } else {
      idle_.push_back(std::move(c));
    }
  }
  available_.notify_all();
}  // the dead close here, outside the lock

}  // namespace parley::store::mariadb
