#pragma once
// The writer's memory of recent retry keys: client_key(sender, clientMessageId) -> messages.row_id
// for the newest `capacity` messages that carried a client id. A resend is recognised (and answered
// with the original message) while the original is among them; the store rebuilds the window from
// the tail of the messages table at start, so a crash between COMMIT and RECEIPT is covered.
//
// Why memory and not an index: a retry key is random, so a B-tree of them dirties one 4 KiB page
// per message in every group commit. Measured on the durable write path (bench/micro
// store_append), that index doubled the writer's time per message (20 -> 40 us). A client only
// resends its own unacknowledged messages, which are recent, so a window of the last million
// sends loses nothing a client can ask for in practice; the limit is `storage.retry_window`.
//
// Open addressing with linear probing and backward-shift deletion; slots come from calloc, so
// untouched parts of the table cost no resident memory. Writer thread only: not thread-safe.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>

namespace parley::store::sqlite {

class retry_window {
 public:
  explicit retry_window(std::size_t capacity) : capacity_(capacity ? capacity : 1) {
    std::size_t slots = 2;
    while (slots < 2 * capacity_) slots *= 2;
    mask_ = slots - 1;
    for (auto n = slots; n > 1; n /= 2) --shift_;
    table_.reset(allocate(slots));
    ring_.reset(allocate(capacity_));
  }

  std::size_t size() const { return count_; }
  // The row of the newest entry (0 when empty).
  std::int64_t newest_row() const {
    return count_ ? ring_[(head_ + count_ - 1) % capacity_].row : 0;
  }
  std::size_t capacity() const { return capacity_; }

  std::optional<std::int64_t> find(std::int64_t key) const {
    for (auto i = home(key);; i = (i + 1) & mask_) {
      if (table_[i].row == 0) return std::nullopt;
      if (table_[i].key == key) return table_[i].row;
    }
  }

  // Remembers key -> row (row > 0, rows increasing); the oldest entry goes beyond capacity.
  void insert(std::int64_t key, std::int64_t row) {
    if (count_ == capacity_) evict_oldest();
    ring_[(head_ + count_) % capacity_] = {key, row};
    ++count_;
    for (auto i = home(key);; i = (i + 1) & mask_) {
      if (table_[i].row == 0 || table_[i].key == key) {
        table_[i] = {key, row};
        return;
      }
    }
  }

  // Forgets the entries with a row above `row`: the rows of a rolled-back batch.
  void forget_after(std::int64_t row) {
    while (count_ > 0) {
      auto& newest = ring_[(head_ + count_ - 1) % capacity_];
      if (newest.row <= row) return;
      erase(newest);
      --count_;
    }
  }

 private:
  struct slot {
    std::int64_t key;
    std::int64_t row;  // 0: empty
  };
  struct freer {
    void operator()(slot* p) const noexcept { std::free(p); }
  };
  static slot* allocate(std::size_t n) {
    auto* p = static_cast<slot*>(std::calloc(n, sizeof(slot)));
    if (!p) throw std::bad_alloc();
    return p;
  }
  std::size_t home(std::int64_t key) const {
    // Fibonacci hashing: the top bits of the product.
    return static_cast<std::size_t>(static_cast<std::uint64_t>(key) * 0x9e3779b97f4a7c15ull >>
                                    shift_) &
           mask_;
  }
  void evict_oldest() {
    erase(ring_[head_]);
    head_ = (head_ + 1) % capacity_;
    --count_;
  }
  // Removes `e` from the table unless a newer row took its key over.
  void erase(const slot& e) {
    auto i = home(e.key);
    for (;; i = (i + 1) & mask_) {
      if (table_[i].row == 0) return;
      if (table_[i].key == e.key) break;
    }
    if (table_[i].row != e.row) return;
    // Backward shift: pull later members of the probe run into the hole.
    for (auto j = (i + 1) & mask_; table_[j].row != 0; j = (j + 1) & mask_) {
      auto h = home(table_[j].key);
      bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (!stays) {
        table_[i] = table_[j];
        i = j;
      }
    }
    table_[i] = {0, 0};
  }

  std::size_t capacity_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::unique_ptr<slot[], freer> table_;
  std::unique_ptr<slot[], freer> ring_;  // insertion order: ring_[head_] is the oldest
  std::size_t head_ = 0, count_ = 0;
};

}  // namespace parley::store::sqlite
