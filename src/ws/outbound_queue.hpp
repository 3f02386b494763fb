#pragma once
// A connection's queue of outbound frames, bounded in bytes: the slow-consumer budget. A vector
// with a moving head instead of a deque because libstdc++'s deque allocates ~600 bytes up front,
// which every idle connection would carry; the vector's storage is released whenever it drains
// (one allocation per burst is cheap next to the write it feeds; idle memory is not).
#include "obs/metrics.hpp"
#include "realtime/connection.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace parley::ws {

class outbound_queue {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t bytes() const { return bytes_; }

  // Queues `f` unless the queue would then hold more than `budget` bytes.
  bool push(realtime::outbound f, std::size_t budget) {
    if (bytes_ + f.size() > budget) return false;
    push_unbounded(std::move(f));
    return true;
  }
  void push_unbounded(realtime::outbound f) {
    bytes_ += f.size();
    items_.push_back(std::move(f));
  }

  // Moves the oldest frames to `out`: at most `max_frames`, and no more than `max_bytes` unless a
  // single frame is larger (it then goes alone). Returns the bytes moved. A transport takes when
  // it starts a socket write, so this is where parley_outbound_queue_bytes is observed.
  std::size_t take(std::vector<realtime::outbound>& out, std::size_t max_frames,
                   std::size_t max_bytes) {
    obs::timings().outbound_queue.observe(double(bytes_));
    if (out.empty() && head_ == 0 && items_.size() <= max_frames && bytes_ <= max_bytes) {
      // Everything goes (the usual case): swap the storage instead of moving frame by frame, so
      // a busy socket's queue and write batch trade one buffer back and forth, allocating nothing.
      out.swap(items_);
      return std::exchange(bytes_, 0);
    }
    std::size_t taken = 0;
    if (out.empty()) out.reserve(std::min(items_.size() - head_, max_frames));
    for (std::size_t n = 0; head_ < items_.size() && n < max_frames; ++n) {
      auto size = items_[head_].size();
      if (n > 0 && taken + size > max_bytes) break;
      taken += size;
      out.push_back(std::move(items_[head_++]));
    }
    bytes_ -= taken;
    compact();
    return taken;
  }

  void clear() {
    std::vector<realtime::outbound>().swap(items_);
    head_ = 0;
    bytes_ = 0;
  }

 private:
  void compact() {
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      // Amortized O(1) per frame: move the live tail down only once the dead head dominates.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<realtime::outbound> items_;
  std::size_t head_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace parley::ws
