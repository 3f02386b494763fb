#include "store/commit_pipeline.hpp"

#include "obs/metrics.hpp"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <chrono>

namespace parley::store {

commit_pipeline::commit_pipeline(std::size_t max_batch, hooks h)
    : max_batch_(max_batch ? max_batch : 1), hooks_(std::move(h)) {
  callbacks_ = std::thread([this] { callback_loop(); });
  writer_ = std::thread([this] { writer_loop(); });
}

void commit_pipeline::submit(job_ptr j) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(j));
      j = nullptr;
      obs::global().writer_queue_depth.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!j) return queue_cv_.notify_one();
  j->fail(core::problem::internal("Store is shutting down"));
  j->finish();
}

void commit_pipeline::close() {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();  // drains the queue, then ends the callback thread
  if (callbacks_.joinable()) callbacks_.join();
}

void commit_pipeline::writer_loop() {
  pthread_setname_np(pthread_self(), "parley-writer");  // for top -H, perf and /proc
  auto& metrics = obs::global();
  auto& timings = obs::timings();
  for (;;) {
    batch jobs;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      while (!queue_.empty() && jobs.size() < max_batch_) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      metrics.writer_queue_depth.fetch_sub(static_cast<std::int64_t>(jobs.size()),
                                           std::memory_order_relaxed);
    }
    const auto started = std::chrono::steady_clock::now();
    hooks_.commit(jobs);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    timings.store_commit.observe(took.count());
    timings.store_commit_jobs.observe(double(jobs.size()));
    metrics.store_commits.fetch_add(1, std::memory_order_relaxed);
    metrics.store_jobs.fetch_add(jobs.size(), std::memory_order_relaxed);
    {
      std::lock_guard lock(done_mutex_);
      done_.push_back(std::move(jobs));
    }
    done_cv_.notify_one();
  }
  {
    std::lock_guard lock(done_mutex_);
    writer_finished_ = true;
  }
  done_cv_.notify_one();
}

void commit_pipeline::callback_loop() {
  pthread_setname_np(pthread_self(), "parley-commits");
  for (;;) {
    batch jobs;
    {
      std::unique_lock lock(done_mutex_);
      done_cv_.wait(lock, [&] { return writer_finished_ || !done_.empty(); });
      if (done_.empty()) return;  // the writer is done and so are we
      jobs = std::move(done_.front());
      done_.pop_front();
    }
    if (hooks_.on_callbacks_begin) hooks_.on_callbacks_begin();
    for (auto& j : jobs) {
      try {
        j->finish();
      } catch (const std::exception& e) {
        spdlog::error("store: a write callback threw: {}", e.what());
      }
    }
    if (hooks_.on_callbacks_end) hooks_.on_callbacks_end();
  }
}

}  // namespace parley::store
