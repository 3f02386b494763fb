#pragma once
// Identifiers: ULID for messages (time-ordered, 26 chars Crockford base32) and UUID v4 for users.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::core {

// Fills `out` with cryptographically secure random bytes (OpenSSL's DRBG).
void secure_random(void* out, std::size_t n);

// Random UUID v4, lowercase, 36 chars.
std::string make_uuid();
bool is_uuid(std::string_view s);

// Monotonic ULID generator: ids from one generator are strictly increasing even within the same
// millisecond (the random part is incremented), which is what gives one total order per writer.
// Not thread-safe: one generator per writer thread.
class ulid_generator {
 public:
  std::string next(std::chrono::system_clock::time_point now);
  // Continues after an id issued earlier (e.g. the newest stored one after a restart), so ids stay
  // strictly increasing even if the clock is behind it. Ignores a malformed id.
  void resume_after(std::string_view last_id);

 private:
  std::uint64_t last_ms_ = 0;
  std::array<std::uint8_t, 10> last_random_{};
};

bool is_ulid(std::string_view s);

// Random token of n bytes, base64url without padding (refresh tokens, media keys).
std::string random_token(std::size_t n_bytes);

}  // namespace parley::core
