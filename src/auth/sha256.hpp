#pragma once
// SHA-256 for the module's fingerprints: hashed refresh-token ids, JWK thumbprints (key ids) and
// the Bloom filter's bit positions. One function so every caller hashes the same way.
#include <array>
#include <string_view>

namespace parley::auth {

using sha256_digest = std::array<unsigned char, 32>;

sha256_digest sha256(std::string_view bytes);

}  // namespace parley::auth
