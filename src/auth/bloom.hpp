#pragma once
// A Bloom filter of usernames, so that `GET /auth/exists` and registration can answer "certainly
// not taken" without a storage query. "Maybe" still goes to storage: a false positive costs one
// query, never a wrong answer. Entries are never removed (no endpoint deletes users).
//
// Sizing uses the standard formulas: m = -n ln p / (ln 2)^2 bits and k = (m / n) ln 2 hashes
// (n = 1,000,000, p = 0.01 give about 9.59 M bits = 1.2 MB and k = 7, as the original's Redisson
// filter). Bit positions come from one SHA-256 of the item by double hashing, g_i = h1 + i·h2
// (Kirsch & Mitzenmacher), h1 and h2 its first two 64-bit little-endian words. SHA-256 rather
// than a faster non-cryptographic hash: positions must be stable across runs, builds and
// machines (a cluster's Redis bitmap will share them), it is already linked, and it keeps a
// registrant from choosing names that pile onto a few bits. Cost: about a microsecond at most per
// username, negligible beside the request around it.
//
// Items are compared exactly, byte for byte: "Alice" and "alice" are different usernames, as in
// the original. Callers must normalise the same way on add and on lookup (the original stripped
// whitespace in `exists` but not in `register`, its bug 24); usernames that pass
// validate_username() need no normalisation.
//
// Thread safety: add() and maybe_contains() may run concurrently from any number of threads. The
// bits are atomic words set with fetch_or, so no bit is ever lost; a lookup racing with the add
// of the same item may answer either way, and one that happens after add() returns (through the
// caller's own synchronisation) answers true.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace parley::auth {

class bloom_filter {
 public:
  static constexpr std::size_t default_expected_items = 1'000'000;
  static constexpr double default_fp_rate = 0.01;

  // Throws std::invalid_argument unless expected_items > 0 and 0 < fp_rate < 1 (configuration).
  explicit bloom_filter(std::size_t expected_items = default_expected_items,
                        double fp_rate = default_fp_rate);

  void add(std::string_view item);
  // False: never added. True: added, or a false positive (rate ≈ fp_rate at expected_items).
  bool maybe_contains(std::string_view item) const;

  // The item's k bit positions, in [0, bit_count()): what a shared bitmap (Redis SETBIT/GETBIT)
  // stores for it, the same on every machine.
  std::vector<std::uint64_t> positions(std::string_view item) const;

  std::size_t bit_count() const { return bits_; }
  std::size_t hash_count() const { return hashes_; }

 private:
  std::size_t bits_;
  std::size_t hashes_;
  std::vector<std::atomic<std::uint64_t>> words_;
};

}  // namespace parley::auth
