#include "auth/jwt.hpp"

#include "core/base64url.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

#include <optional>

namespace parley::auth {

namespace json = boost::json;

namespace {

// Header and claims are flat objects; anything nested deeper is not ours.
constexpr std::size_t max_token_json_depth = 4;

// 128 random bits: unguessable and, for practical purposes, unique.
constexpr std::size_t jti_bytes = 16;

std::int64_t epoch_seconds(core::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

core::problem invalid(std::string message = "Invalid token") {
  return core::problem::unauthorized(std::move(message));
}

// The decoded JSON object of one token segment, or nullopt.
std::optional<json::object> decode_object(std::string_view segment) {
  auto text = core::base64url_decode(segment);
  if (!text) return std::nullopt;
  auto value = core::parse_json(*text, max_token_json_depth);
  if (!value || !value->is_object()) return std::nullopt;
  return std::move(value->get_object());
}

const json::string* string_member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

// Only int64 is accepted: a NumericDate we issue never has a fraction or exceeds int64.
std::optional<std::int64_t> int_member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_int64()) return std::nullopt;
  return it->value().get_int64();
}

std::optional<token_use> parse_token_use(std::string_view s) {
  if (s == "access") return token_use::access;
  if (s == "refresh") return token_use::refresh;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(token_use use) {
  return use == token_use::access ? "access" : "refresh";
}

jwt_service::jwt_service(const key_ring& keys, const core::clock& clock, jwt_settings settings)
    : keys_(keys), clock_(clock), settings_(std::move(settings)) {
  header_ = core::base64url_encode(json::serialize(
      json::object{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", keys_.signing_kid()}}));
}

claims jwt_service::new_claims(std::string user_id, std::string username, token_use use) const {
  std::int64_t now = epoch_seconds(clock_.now());
  auto ttl = use == token_use::access ? settings_.access_ttl : settings_.refresh_ttl;
  return claims{std::move(user_id), std::move(username), now, now + ttl.count(),
                settings_.issuer,   core::random_token(jti_bytes), use};
}

std::string jwt_service::issue(const claims& c) const {
  json::object payload{{"sub", c.username}, {"userId", c.user_id}, {"username", c.username},
                       {"iat", c.iat},      {"exp", c.exp},        {"iss", c.iss},
                       {"jti", c.jti},      {"token_use", to_string(c.use)}};
  std::string signing_input = header_ + "." + core::base64url_encode(json::serialize(payload));
  std::string signature = core::base64url_encode(keys_.sign(signing_input));
  return signing_input + "." + signature;
}

core::outcome<claims> jwt_service::verify(std::string_view token, token_use expected) const {
  if (token.empty() || token.size() > max_token_bytes) return invalid();

  // Exactly three segments: header.payload.signature (a JWE's five are not ours).
  auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return invalid();
  auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return invalid();
  std::string_view signing_input = token.substr(0, dot2);
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view signature_b64 = token.substr(dot2 + 1);

  auto header = decode_object(header_b64);
  if (!header) return invalid();
  const json::string* alg = string_member(*header, "alg");
  if (!alg) return invalid();
  // The algorithm is fixed by us, never chosen by the token: the classic attacks are "none" and
  // HS256 with the public key as the HMAC secret.
  if (*alg != "RS256") return invalid("Unsupported token algorithm");
  // We set no critical extensions, so any `crit` names one we cannot honour (RFC 7515 §4.1.11).
  if (header->contains("crit")) return invalid();
  const json::string* kid = string_member(*header, "kid");
  if (!kid) return invalid();
  if (!keys_.has_key(*kid)) return invalid("Unknown token key");

  auto signature = core::base64url_decode(signature_b64);
  if (!signature) return invalid();
  if (!keys_.verify(*kid, signing_input, *signature)) return invalid("Invalid token signature");

  // From here on the bytes are ours; the checks below guard against our own mistakes and
  // against tokens that are authentic but not valid now, here or for this purpose.
  auto payload = decode_object(payload_b64);
  if (!payload) return invalid();
  const json::string* sub = string_member(*payload, "sub");
  const json::string* user_id = string_member(*payload, "userId");
  const json::string* username = string_member(*payload, "username");
  const json::string* iss = string_member(*payload, "iss");
  const json::string* jti = string_member(*payload, "jti");
  const json::string* use_text = string_member(*payload, "token_use");
  auto iat = int_member(*payload, "iat");
  auto exp = int_member(*payload, "exp");
  if (!sub || !user_id || !username || !iss || !jti || !use_text || !iat || !exp ||
      *sub != *username || user_id->empty() || username->empty() || jti->empty() || *exp <= *iat)
    return invalid();
  auto use = parse_token_use(*use_text);
  if (!use) return invalid();

  std::int64_t now = epoch_seconds(clock_.now());
  std::int64_t leeway = settings_.leeway.count();
  if (now - leeway >= *exp) return invalid("Token expired");  // no overflow for any exp
  if (*iat > now + leeway) return invalid("Token not yet valid");
  if (*iss != settings_.issuer) return invalid("Invalid token issuer");
  if (*use != expected) return invalid("Wrong token type");

  return claims{std::string(*user_id), std::string(*username), *iat, *exp,
                std::string(*iss),     std::string(*jti),      *use};
}

}  // namespace parley::auth
