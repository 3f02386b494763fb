#include "auth/tokens.hpp"

#include "auth/sha256.hpp"

namespace parley::auth {

std::string hash_token(std::string_view token) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : sha256(token)) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0xf]);
  }
  return out;
}

}  // namespace parley::auth
