#include "auth/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace parley::auth {

sha256_digest sha256(std::string_view bytes) {
  sha256_digest out{};
  unsigned int len = 0;
  // Fails only when OpenSSL itself is broken (no provider, out of memory): not an input error.
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

}  // namespace parley::auth
