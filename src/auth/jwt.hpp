#pragma once
// Access and refresh tokens: RS256 JWTs with `kid` in the header, signed by the key ring's newest
// key and verified against any of its keys.
//
// verify() treats the token as hostile: a length cap before any parsing, strict base64url, the
// header's `alg` must be exactly "RS256" (no "none", no HMAC keyed with the public key), the `kid`
// must be known, the signature is checked before the payload is even decoded, and then every
// claim must be present with its type, the issuer must match and `token_use` must be the one
// expected, so a refresh token is never an access token (the original's bug 4).
// Timestamps are whole seconds (JWT NumericDate). A fixed leeway absorbs clock skew between
// nodes; the original's gateway allowed 60 s, half of that is ample for NTP-synced hosts.
#include "auth/key_ring.hpp"
#include "core/problem.hpp"
#include "core/time.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::auth {

enum class token_use { access, refresh };

// "access" | "refresh", the `token_use` claim.
std::string_view to_string(token_use use);

// Tokens longer than this are refused unread. Ours are about 700 bytes; the cap bounds the work a
// forged Authorization header can cause.
inline constexpr std::size_t max_token_bytes = 8 * 1024;

struct claims {
  std::string user_id;   // `userId`, a UUID
  std::string username;  // `username`, and `sub` as well
  std::int64_t iat = 0;  // issued at, seconds since the epoch
  std::int64_t exp = 0;  // expires at, seconds since the epoch
  std::string iss;
  std::string jti;       // random id; refresh tokens are stored and revoked by hash_token(jti)
  token_use use = token_use::access;
};

struct jwt_settings {
  std::string issuer = "parley";
  std::chrono::seconds access_ttl = std::chrono::minutes(15);
  std::chrono::seconds refresh_ttl = std::chrono::hours(24 * 30);
  std::chrono::seconds leeway = std::chrono::seconds(30);
};

// Thread-safe: const after construction. `keys` and `clock` must outlive the service.
class jwt_service {
 public:
  jwt_service(const key_ring& keys, const core::clock& clock, jwt_settings settings = {});

  // Claims for a new token: iat = now, exp = now + the TTL of `use`, iss from the settings and
  // a fresh 128-bit random jti.
  claims new_claims(std::string user_id, std::string username, token_use use) const;

  // Signs exactly `c` with the newest key.
  std::string issue(const claims& c) const;

  // The token's claims, or a 401 problem (code UNAUTHORIZED) saying what is wrong with it:
  // "Invalid token", "Unsupported token algorithm", "Unknown token key", "Invalid token
  // signature", "Token expired", "Token not yet valid", "Invalid token issuer", "Wrong token type".
  core::outcome<claims> verify(std::string_view token, token_use expected) const;

 private:
  const key_ring& keys_;
  const core::clock& clock_;
  jwt_settings settings_;
  std::string header_;  // encoded header: the signing kid is fixed for the ring's lifetime
};

}  // namespace parley::auth
