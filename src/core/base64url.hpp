#pragma once
// base64url (RFC 4648 §5) without padding, as JWS (RFC 7515) and JWK (RFC 7517) use it.
// Decoding is strict because its input is untrusted: padding, characters outside the alphabet,
// an impossible length (4k+1) and non-zero unused trailing bits are all rejected, so every byte
// string has exactly one accepted encoding and a token cannot be altered without changing bytes.
#include <optional>
#include <string>
#include <string_view>

namespace parley::core {

std::string base64url_encode(std::string_view bytes);

// nullopt when `text` is not the canonical unpadded encoding of some byte string.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace parley::core
