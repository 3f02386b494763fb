#pragma once
// The group-commit pipeline of docs/adr/0002 without the SQL: a queue of write jobs, a writer
// thread that takes whatever is queued (up to max_batch) and hands it to `commit` as one batch,
// and a callback thread that finishes each batch's jobs in commit order, bracketed by
// on_callbacks_begin/end. `commit` decides every job's outcome (run, refused or failed); the
// pipeline only guarantees the order and that no callback runs before its batch was committed.
//
// Both adapters use it (sqlite_store, mariadb_store); it links no database library.
#include "core/problem.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::store {

class write_job {
 public:
  virtual ~write_job() = default;
  // The job's outcome is this problem, whatever it had before (its batch did not commit).
  virtual void fail(const core::problem& p) = 0;
  // Tells the job's caller its outcome; on the callback thread.
  virtual void finish() = 0;
};

class commit_pipeline {
 public:
  using job_ptr = std::unique_ptr<write_job>;
  using batch = std::vector<job_ptr>;
  struct hooks {
    std::function<void(batch&)> commit;  // writer thread
    std::function<void()> on_callbacks_begin, on_callbacks_end;  // callback thread, optional
  };

  commit_pipeline(std::size_t max_batch, hooks h);
  ~commit_pipeline() { close(); }
  commit_pipeline(const commit_pipeline&) = delete;
  commit_pipeline& operator=(const commit_pipeline&) = delete;

  // Queues a job; after close() it is failed (500) and finished on the calling thread.
  void submit(job_ptr j);
  // Blocks until every job submitted before it is committed and finished; then stops the threads.
  void close();

 private:
  void writer_loop();
  void callback_loop();

  const std::size_t max_batch_;
  const hooks hooks_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<job_ptr> queue_;
  bool stopping_ = false;

  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  std::deque<batch> done_;
  bool writer_finished_ = false;

  std::thread writer_, callbacks_;  // last: they start once everything above exists
};

}  // namespace parley::store
