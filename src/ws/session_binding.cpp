#include "ws/session_binding.hpp"

#include "core/ids.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>

namespace parley::ws {

std::string session_binding::make_key() {
  std::array<std::uint8_t, key_length / 2> bytes;
  core::secure_random(bytes.data(), bytes.size());
  static constexpr char digits[] = "0123456789abcdef";
  std::string key;
  key.reserve(key_length);
  for (auto b : bytes) {
    key += digits[b >> 4];
    key += digits[b & 0xF];
  }
  return key;
}

std::string_view session_binding::key_in(std::string_view header) {
  // `name=value` pairs separated by `;` and optional spaces (RFC 6265 §4.2.1). The first pair
  // with our name counts; a malformed value is treated as no key (the browser then gets a new one).
  while (!header.empty()) {
    auto end = header.find(';');
    auto pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != cookie_name) continue;
    auto value = pair.substr(eq + 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.size() != key_length ||
        value.find_first_not_of("0123456789abcdef") != std::string_view::npos)
      return {};
    return value;
  }
  return {};
}

std::string session_binding::set_cookie(std::string_view key) {
  // No Max-Age: the key lives as long as the browser session; a browser without it gets a new one
  // with its next SockJS session. Strict, so no cross-site request ever carries it.
  return std::string(cookie_name) + '=' + std::string(key) + "; Path=/ws; HttpOnly; SameSite=Strict";
}

bool session_binding::admits(std::string_view address, std::string_view presented) {
  if (presented.size() == key_.size() &&
      CRYPTO_memcmp(presented.data(), key_.data(), key_.size()) == 0) {
    confirmed_.store(true, std::memory_order_relaxed);
    return true;
  }
  // Without the key (or with another browser's): only the opener's address, and only while the
  // session has never seen its key. A browser that lost a race for its first key (two tabs opened
  // at once, the second Set-Cookie won) falls back to this rule too.
  return !confirmed_.load(std::memory_order_relaxed) && address == opener_;
}

}  // namespace parley::ws
