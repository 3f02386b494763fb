#pragma once
// Password hashing with Argon2id (libsodium's crypto_pwhash_str: PHC string with salt and
// parameters, so old hashes keep verifying after the limits change and needs_rehash() tells the
// login path when to upgrade one). Rejected: bcrypt (72-byte truncation, the original's choice)
// and PBKDF2 (not memory-hard).
//
// Each hash costs `memory_bytes` of RAM and tens of milliseconds of one core: callers run it off
// the I/O threads with bounded concurrency.
#include <cstddef>
#include <string>
#include <string_view>

namespace parley::auth {

// Argon2id cost. The defaults are libsodium's INTERACTIVE limits (the values are repeated here to
// keep C headers out of this header; password.cpp asserts they match).
struct argon2_limits {
  unsigned long long ops = 2;             // passes over memory
  std::size_t memory_bytes = 64u << 20;   // 64 MiB

  // libsodium's MIN limits: fast and weak, for tests only.
  static constexpr argon2_limits minimum() { return {1, 8192}; }
};

class password_hasher {
 public:
  // Computes one hash up front for dummy_verify(); throws if libsodium cannot initialise.
  explicit password_hasher(argon2_limits limits = {});

  // PHC string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"). Throws std::runtime_error only when
  // the memory cannot be allocated: an infrastructure failure, not an input error.
  std::string hash(std::string_view password) const;

  // True when `password` matches `stored`. The comparison is constant time (libsodium) and the
  // work is fixed by the parameters in `stored`, so the time says nothing about the password.
  // A malformed `stored` is simply false.
  bool verify(std::string_view password, std::string_view stored) const;

  // True when `stored` was made with other limits (or another algorithm) than this hasher's:
  // after a successful login, store hash(password) again.
  bool needs_rehash(std::string_view stored) const;

  // Does the work of verify() against a hash of an unknown random password and discards the
  // result. Login calls it when the username does not exist, so that a wrong username and a wrong
  // password take the same time and the response cannot reveal which usernames exist.
  void dummy_verify(std::string_view password) const;

 private:
  argon2_limits limits_;
  std::string dummy_hash_;
};

}  // namespace parley::auth
