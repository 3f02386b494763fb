#include "auth/bloom.hpp"

#include "auth/sha256.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace parley::auth {

namespace {

struct hash_pair {
  std::uint64_t h1;
  std::uint64_t h2;
};

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

hash_pair hash_item(std::string_view item) {
  sha256_digest d = sha256(item);
  return {load_le64(d.data()), load_le64(d.data() + 8)};
}

// Calls f(word index, bit mask) for each of the item's k bits.
template <class F>
void for_each_bit(hash_pair h, std::size_t bits, std::size_t hashes, F&& f) {
  for (std::size_t i = 0; i < hashes; ++i) {
    std::uint64_t bit = (h.h1 + i * h.h2) % bits;  // wraps mod 2^64 by design
    f(static_cast<std::size_t>(bit / 64), std::uint64_t{1} << (bit % 64));
  }
}

}  // namespace

bloom_filter::bloom_filter(std::size_t expected_items, double fp_rate) {
  if (expected_items == 0 || !(fp_rate > 0.0 && fp_rate < 1.0))
    throw std::invalid_argument("bloom_filter needs expected_items > 0 and 0 < fp_rate < 1");
  const double ln2 = std::log(2.0);
  const double n = static_cast<double>(expected_items);
  bits_ = static_cast<std::size_t>(std::ceil(-n * std::log(fp_rate) / (ln2 * ln2)));
  hashes_ = static_cast<std::size_t>(
      std::max(1.0, std::round(static_cast<double>(bits_) / n * ln2)));
  words_ = std::vector<std::atomic<std::uint64_t>>((bits_ + 63) / 64);
}

void bloom_filter::add(std::string_view item) {
  for_each_bit(hash_item(item), bits_, hashes_, [&](std::size_t word, std::uint64_t mask) {
    words_[word].fetch_or(mask, std::memory_order_relaxed);
  });
}

std::vector<std::uint64_t> bloom_filter::positions(std::string_view item) const {
  std::vector<std::uint64_t> out;
  out.reserve(hashes_);
  for_each_bit(hash_item(item), bits_, hashes_, [&](std::size_t word, std::uint64_t mask) {
    out.push_back(word * 64 + static_cast<std::uint64_t>(std::countr_zero(mask)));
  });
  return out;
}

bool bloom_filter::maybe_contains(std::string_view item) const {
  bool all = true;
  for_each_bit(hash_item(item), bits_, hashes_, [&](std::size_t word, std::uint64_t mask) {
    all = all && (words_[word].load(std::memory_order_relaxed) & mask) != 0;
  });
  return all;
}

}  // namespace parley::auth
