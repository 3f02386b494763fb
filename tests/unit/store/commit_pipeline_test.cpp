#include "store/commit_pipeline.hpp"

#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace parley::store {
namespace {

class counted_job final : public write_job {
 public:
  explicit counted_job(std::atomic<int>& finished) : finished_(finished) {}
  void fail(const core::problem&) override {}
  void finish() override { finished_.fetch_add(1); }

 private:
  std::atomic<int>& finished_;
};

TEST(commit_pipeline, times_each_commit_and_counts_its_jobs_and_the_queue_for_metrics) {
  auto& c = obs::global();
  auto& t = obs::timings();
  const auto commits = t.store_commit.read().cumulative.back();
  const auto jobs_sum = t.store_commit_jobs.read().sum;
  const auto depth = c.writer_queue_depth.load();
  std::atomic<int> finished{0};
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> batches{0};
  {
    commit_pipeline p(64, {[&](commit_pipeline::batch&) {
                             if (batches.fetch_add(1) == 0) gate.wait();  // holds the writer
                           },
                           {},
                           {}});
    p.submit(std::make_unique<counted_job>(finished));
    while (batches.load() == 0) std::this_thread::yield();
    for (int i = 0; i < 10; ++i) p.submit(std::make_unique<counted_job>(finished));
    EXPECT_EQ(c.writer_queue_depth.load() - depth, 10) << "queued behind the held commit";
    release.set_value();
    p.close();
  }
  EXPECT_EQ(finished.load(), 11);
  EXPECT_EQ(c.writer_queue_depth.load(), depth) << "every queued job was taken";
  const auto n = t.store_commit.read().cumulative.back() - commits;
  EXPECT_EQ(n, std::uint64_t(batches.load()));
  EXPECT_EQ(t.store_commit_jobs.read().sum - jobs_sum, 11.0) << "the jobs of every commit";
}

}  // namespace
}  // namespace parley::store
