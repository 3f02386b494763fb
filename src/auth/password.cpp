#include "auth/password.hpp"

#include "core/ids.hpp"
#include "obs/metrics.hpp"

#include <sodium.h>

#include <array>
#include <chrono>
#include <stdexcept>

namespace parley::auth {

static_assert(argon2_limits{}.ops == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
static_assert(argon2_limits{}.memory_bytes == crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
static_assert(argon2_limits::minimum().ops == crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(argon2_limits::minimum().memory_bytes == crypto_pwhash_argon2id_MEMLIMIT_MIN);

namespace {

// libsodium wants the stored hash NUL-terminated and shorter than its buffer size; anything else
// cannot be one of our hashes.
bool plausible_hash(std::string_view stored) {
  return !stored.empty() && stored.size() < crypto_pwhash_argon2id_STRBYTES &&
         stored.find('\0') == std::string_view::npos;
}

// Times one Argon2 call into parley_argon2_seconds (docs/metrics.md).
class argon2_timer {
 public:
  explicit argon2_timer(bool hash) : hash_(hash) {}
  ~argon2_timer() {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
    obs::observe_argon2(hash_, took.count());
  }

 private:
  bool hash_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

password_hasher::password_hasher(argon2_limits limits) : limits_(limits) {
  // Idempotent and thread-safe; picks the fastest Argon2 implementation for this CPU.
  if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
  std::array<unsigned char, 32> secret{};
  core::secure_random(secret.data(), secret.size());
  dummy_hash_ = hash(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
}

std::string password_hasher::hash(std::string_view password) const {
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  argon2_timer timer(true);
  if (crypto_pwhash_argon2id_str(out.data(), password.data(), password.size(), limits_.ops,
                                 limits_.memory_bytes) != 0)
    throw std::runtime_error("Argon2id hashing failed (out of memory?)");
  return std::string(out.data());
}

bool password_hasher::verify(std::string_view password, std::string_view stored) const {
  if (!plausible_hash(stored)) return false;
  std::string terminated(stored);
  argon2_timer timer(false);
  return crypto_pwhash_argon2id_str_verify(terminated.c_str(), password.data(),
                                           password.size()) == 0;
}

bool password_hasher::needs_rehash(std::string_view stored) const {
  if (!plausible_hash(stored)) return true;
  std::string terminated(stored);
  // 1 = other parameters, -1 = not an Argon2id string: both mean "hash it again".
  return crypto_pwhash_argon2id_str_needs_rehash(terminated.c_str(), limits_.ops,
                                                 limits_.memory_bytes) != 0;
}

void password_hasher::dummy_verify(std::string_view password) const {
  // The result is meaningless (nobody knows the dummy password); only the time spent matters.
  static_cast<void>(verify(password, dummy_hash_));
}

}  // namespace parley::auth
