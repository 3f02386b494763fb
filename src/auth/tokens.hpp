#pragma once
// Primitives for refresh-token storage. Refresh tokens are stored by the hash of their `jti`, so a
// leaked database does not yield usable token ids; rotation and reuse detection (a reused rotated
// token revokes its family) live in the domain layer, which only needs this hash and random ids.
#include <string>
#include <string_view>

namespace parley::auth {

// Lowercase hex SHA-256 (64 chars). No salt or slow hash is needed: the input is a 128-bit random
// id, not a guessable secret, so a fast hash is as hard to invert as the id is to guess.
std::string hash_token(std::string_view token);

}  // namespace parley::auth
