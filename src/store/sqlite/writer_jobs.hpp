#pragma once
// The adapter's internal machinery shared by its parts: a pooled read connection and the write
// jobs the writer thread runs (sqlite_store.hpp describes the pipeline). Internal to store/sqlite.
#include "store/sqlite/sqlite_store.hpp"

#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace parley::store::sqlite {

class sqlite_store::read_lease {
 public:
  read_lease(sqlite_store& s, std::unique_ptr<connection> c) : store_(s), conn_(std::move(c)) {}
  read_lease(read_lease&&) = default;
  ~read_lease() {
    if (!conn_) return;
    conn_->reset_statements();  // so the next lease sees every commit made since
    std::lock_guard lock(store_.pool_mutex_);
    store_.idle_readers_.push_back(std::move(conn_));
  }
  connection& operator*() { return *conn_; }
  connection* operator->() { return conn_.get(); }

 private:
  sqlite_store& store_;
  std::unique_ptr<connection> conn_;
};

template <class T, class F>
class sqlite_store::typed_job final : public sqlite_store::job {
 public:
  typed_job(F body, callback<T> done) : body_(std::move(body)), done_(std::move(done)) {}
  void run(connection& db) override { result_.emplace(body_(db)); }
  void fail(const core::problem& p) override { result_.emplace(p); }
  void finish() override { done_(std::move(*result_)); }

 private:
  F body_;
  callback<T> done_;
  std::optional<outcome<T>> result_;
};

template <class T, class F>
void sqlite_store::submit_async(callback<T> done, F&& body, bool reads_rooms) {
  auto j = std::make_unique<typed_job<T, std::decay_t<F>>>(std::forward<F>(body), std::move(done));
  j->reads_rooms = reads_rooms;
  submit(std::move(j));
}

template <class T, class F>
outcome<T> sqlite_store::write_sync(F&& f) {
  std::promise<outcome<T>> p;
  auto fut = p.get_future();
  submit_async<T>([&p](outcome<T> r) { p.set_value(std::move(r)); }, std::forward<F>(f));
  return fut.get();
}

}  // namespace parley::store::sqlite
