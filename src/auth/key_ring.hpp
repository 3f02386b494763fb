#pragma once
// The RSA keys that sign and verify JWTs (RS256), and their public half as a JWKS.
//
// Keys live as PKCS#8 PEM files (mode 0600) in one directory, so every node of a cluster that
// mounts the same directory signs and verifies with the same keys and serves the same JWKS.
// - Order: keys are ordered by file name and the last one signs; every key verifies. Generated
//   files are named `jwt-<8-digit sequence>-<kid>.pem`, the sequence one above the highest in the
//   directory, so the newest key sorts last. File mtimes were rejected: copies and restores
//   change them. A hand-placed key should follow the same pattern.
// - kid: the RFC 7638 JWK thumbprint (base64url SHA-256 of {"e","kty","n"}), 43 chars. It is
//   computed from the key, never read from the file name, and any JOSE library can recompute it.
// - Rotation: create_key() adds a key; nodes sign with it once reloaded. Remove an old key file
//   only after the longest token lifetime (refresh TTL) has passed since its successor signed.
// A key_ring is immutable once built, so any number of threads may sign and verify at once.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::auth {

// 2048 bits: RS256's customary size and NIST's minimum until 2030; verification stays fast.
inline constexpr int rsa_key_bits = 2048;

class key_ring {
 public:
  // Loads every *.pem in `dir`; when there is none, creates `dir` (mode 0700) and a first key.
  // Throws std::runtime_error (with the file name) for an unreadable, encrypted, non-RSA or
  // shorter than 2048-bit key: a startup error, never an input error.
  static key_ring load_or_create(const std::filesystem::path& dir);

  // Generates a new key into `dir`, named to sort after every key there, and returns its kid.
  // Written to a temporary name and renamed, so a crash never leaves a half-written key.
  static std::string create_key(const std::filesystem::path& dir);

  key_ring(key_ring&&) noexcept;
  key_ring& operator=(key_ring&&) noexcept;
  ~key_ring();

  // The kid of the signing (newest) key.
  const std::string& signing_kid() const;
  // Every kid, oldest first.
  std::vector<std::string> kids() const;
  bool has_key(std::string_view kid) const;

  // RSASSA-PKCS1-v1_5 with SHA-256 (RS256) by the signing key.
  std::string sign(std::string_view data) const;
  // False for an unknown kid, a signature of the wrong length or one that does not match.
  bool verify(std::string_view kid, std::string_view data, std::string_view signature) const;

  // {"keys":[{"kty":"RSA","kid","use":"sig","alg":"RS256","n","e"}, ...]}, newest first; n and e
  // are unsigned big-endian with no leading zero byte (the original's bug 22), base64url.
  const std::string& jwks_json() const;

 private:
  struct impl;
  explicit key_ring(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::auth
