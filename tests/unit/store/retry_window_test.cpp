#include "store/sqlite/retry_window.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>

namespace parley::store::sqlite {
namespace {

TEST(retry_window, finds_what_it_holds_and_nothing_else) {
  retry_window w(4);
  EXPECT_FALSE(w.find(7));
  w.insert(7, 1);
  w.insert(8, 2);
  EXPECT_EQ(w.find(7), 1);
  EXPECT_EQ(w.find(8), 2);
  EXPECT_FALSE(w.find(9));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(w.newest_row(), 2);
}

TEST(retry_window, forgets_the_oldest_beyond_capacity) {
  retry_window w(3);
  for (std::int64_t i = 1; i <= 5; ++i) w.insert(100 + i, i);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_FALSE(w.find(101));
  EXPECT_FALSE(w.find(102));
  EXPECT_EQ(w.find(103), 3);
  EXPECT_EQ(w.find(105), 5);
}

TEST(retry_window, a_newer_row_for_the_same_key_survives_the_older_ones_eviction) {
  retry_window w(2);
  w.insert(42, 1);
  w.insert(42, 2);  // same key again (a hash collision of two different sends)
  w.insert(43, 3);  // evicts (42, 1): must not take (42, 2) with it
  EXPECT_EQ(w.find(42), 2);
  EXPECT_EQ(w.find(43), 3);
}

TEST(retry_window, forget_after_drops_a_rolled_back_batch) {
  retry_window w(10);
  w.insert(1, 1);
  w.insert(2, 2);
  w.insert(3, 3);
  w.insert(4, 4);
  w.forget_after(2);
  EXPECT_EQ(w.find(1), 1);
  EXPECT_EQ(w.find(2), 2);
  EXPECT_FALSE(w.find(3));
  EXPECT_FALSE(w.find(4));
  EXPECT_EQ(w.newest_row(), 2);
  w.insert(5, 3);  // the row id is reused after a rollback
  EXPECT_EQ(w.find(5), 3);
}

// Against a simple model, with keys drawn from a small range so probe runs collide, wrap around
// the table and get shifted back on deletion.
TEST(retry_window, matches_a_model_under_random_operations) {
  for (std::size_t capacity : {1u, 5u, 64u, 1000u}) {
    retry_window w(capacity);
    struct entry {
      std::int64_t key, row;
      bool live;  // false: a newer row of its key was forgotten, which forgets the key
    };
    std::deque<entry> order;  // oldest first
    std::mt19937_64 rng(capacity);
    std::int64_t row = 0;
    for (int op = 0; op < 20000; ++op) {
      if (rng() % 10 == 0 && !order.empty()) {
        auto keep = order.back().row - static_cast<std::int64_t>(rng() % 4);
        w.forget_after(keep);
        while (!order.empty() && order.back().row > keep) {
          auto key = order.back().key;
          order.pop_back();
          for (auto& e : order)
            if (e.key == key) e.live = false;
        }
        row = std::max<std::int64_t>(keep, order.empty() ? 0 : order.back().row);
      } else {
        auto key = static_cast<std::int64_t>(rng() % (3 * capacity + 7));
        w.insert(key, ++row);
        order.push_back({key, row, true});
        if (order.size() > capacity) order.pop_front();
      }
      ASSERT_EQ(w.size(), order.size());
      std::map<std::int64_t, std::int64_t> model;  // newest row per key
      for (auto& e : order)
        if (e.live) model[e.key] = e.row;
      for (std::int64_t k = 0; k < static_cast<std::int64_t>(3 * capacity + 7); ++k) {
        auto it = model.find(k);
        auto got = w.find(k);
        if (it == model.end())
          ASSERT_FALSE(got) << "capacity " << capacity << " op " << op << " key " << k;
        else
          ASSERT_EQ(got, it->second) << "capacity " << capacity << " op " << op << " key " << k;
      }
      if (capacity == 1000 && op > 3000) break;  // the model check is quadratic
    }
  }
}

}  // namespace
}  // namespace parley::store::sqlite
