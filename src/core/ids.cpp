#include "core/ids.hpp"

#include "core/base64url.hpp"

#include <openssl/rand.h>

#include <cstdio>
#include <stdexcept>

namespace parley::core {

void secure_random(void* out, std::size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
}

std::string make_uuid() {
  std::array<std::uint8_t, 16> b{};
  secure_random(b.data(), b.size());
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

namespace {
constexpr char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string ulid_generator::next(std::chrono::system_clock::time_point now) {
  auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  if (ms > last_ms_) {
    last_ms_ = ms;
    secure_random(last_random_.data(), last_random_.size());
    last_random_[0] &= 0x7f;  // headroom so increments within one ms cannot overflow in practice
  } else {
    // Same (or earlier: clock stepped back) millisecond: keep last_ms_ and increment the random
    // part, so ids stay strictly increasing.
    for (int i = 9; i >= 0; --i)
      if (++last_random_[static_cast<std::size_t>(i)] != 0) break;
  }
  // 48-bit time + 80-bit random = 128 bits -> 26 base32 chars (first char carries 3 bits).
  std::array<std::uint8_t, 16> v{};
  for (int i = 0; i < 6; ++i)
    v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(last_ms_ >> (40 - 8 * i));
  for (int i = 0; i < 10; ++i)
    v[static_cast<std::size_t>(6 + i)] = last_random_[static_cast<std::size_t>(i)];
  std::string out(26, '0');
  // Process as a 130-bit big number (2 leading zero bits), 5 bits per char.
  for (int c = 0; c < 26; ++c) {
    int bit = c * 5 - 2;  // bit offset into the 128-bit value
    unsigned val = 0;
    for (int k = 0; k < 5; ++k) {
      int b = bit + k;
      unsigned x = 0;
      if (b >= 0) x = (v[static_cast<std::size_t>(b / 8)] >> (7 - b % 8)) & 1u;
      val = (val << 1) | x;
    }
    out[static_cast<std::size_t>(c)] = crockford[val];
  }
  return out;
}

void ulid_generator::resume_after(std::string_view last_id) {
  if (!is_ulid(last_id)) return;
  // Decode 26 base32 chars (130 bits, the top 2 are zero) back into 16 bytes.
  std::array<std::uint8_t, 16> v{};
  for (int c = 0; c < 26; ++c) {
    char ch = last_id[static_cast<std::size_t>(c)];
    unsigned val = static_cast<unsigned>(std::string_view(crockford).find(ch));
    for (int k = 0; k < 5; ++k) {
      int b = c * 5 - 2 + k;
      if (b < 0) continue;
      if ((val >> (4 - k)) & 1u)
        v[static_cast<std::size_t>(b / 8)] |= static_cast<std::uint8_t>(0x80u >> (b % 8));
    }
  }
  std::uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | v[static_cast<std::size_t>(i)];
  std::array<std::uint8_t, 10> random{};
  for (int i = 0; i < 10; ++i)
    random[static_cast<std::size_t>(i)] = v[static_cast<std::size_t>(6 + i)];
  if (ms > last_ms_ || (ms == last_ms_ && random > last_random_)) {
    last_ms_ = ms;
    last_random_ = random;
  }
}

bool is_ulid(std::string_view s) {
  if (s.size() != 26) return false;
  if (s[0] > '7') return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') ||
              (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
    if (!ok) return false;
  }
  return true;
}

std::string random_token(std::size_t n_bytes) {
  std::string raw(n_bytes, '\0');
  secure_random(raw.data(), raw.size());
  return base64url_encode(raw);
}

}  // namespace parley::core
