#include "auth/jwt.hpp"

#include "core/base64url.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <optional>

namespace parley::auth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using test_support::manual_clock;
using test_support::temp_dir;

// One key ring for the whole suite: RSA key generation is the slow part.
class jwt_service_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_.emplace();
    ring_.emplace(key_ring::load_or_create(dir_->path()));
  }
  static void TearDownTestSuite() {
    ring_.reset();
    dir_.reset();
  }

  std::string access_token() {
    return jwt.issue(jwt.new_claims("u-1", "alice", token_use::access));
  }

  // header.payload signed by the suite's key, with both JSON texts chosen by the test.
  static std::string signed_token(const json::object& header, const json::object& payload) {
    std::string input = core::base64url_encode(json::serialize(header)) + "." +
                        core::base64url_encode(json::serialize(payload));
    return input + "." + core::base64url_encode(ring_->sign(input));
  }
  static json::object good_header() {
    return {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", ring_->signing_kid()}};
  }
  json::object good_payload() {
    auto c = jwt.new_claims("u-1", "alice", token_use::access);
    return {{"sub", "alice"}, {"userId", "u-1"}, {"username", "alice"}, {"iat", c.iat},
            {"exp", c.exp},   {"iss", c.iss},    {"jti", c.jti},        {"token_use", "access"}};
  }

  static void expect_unauthorized(const core::outcome<claims>& r, std::string_view message) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status(), 401);
    EXPECT_EQ(r.error().code, parley::core::errc::unauthorized);
    EXPECT_EQ(r.error().message, message);
  }

  static inline std::optional<temp_dir> dir_;
  static inline std::optional<key_ring> ring_;
  manual_clock clock;
  jwt_service jwt{*ring_, clock, jwt_settings{.issuer = "https://parley.test"}};
};

std::string segment(std::string_view token, int i) {
  std::size_t start = 0;
  for (int k = 0; k < i; ++k) start = token.find('.', start) + 1;
  return std::string(token.substr(start, token.find('.', start) - start));
}

TEST_F(jwt_service_test, round_trips_claims) {
  claims c = jwt.new_claims("0b6f2c1e-0000-4000-8000-000000000001", "alice", token_use::access);
  auto r = jwt.verify(jwt.issue(c), token_use::access);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->user_id, c.user_id);
  EXPECT_EQ(r->username, "alice");
  EXPECT_EQ(r->iat, c.iat);
  EXPECT_EQ(r->exp, c.exp);
  EXPECT_EQ(r->iss, "https://parley.test");
  EXPECT_EQ(r->jti, c.jti);
  EXPECT_EQ(r->use, token_use::access);
}

TEST_F(jwt_service_test, writes_kid_header_and_all_claims) {
  std::string token = access_token();
  auto header = json::parse(*core::base64url_decode(segment(token, 0))).as_object();
  EXPECT_EQ(header.at("alg").as_string(), "RS256");
  EXPECT_EQ(header.at("typ").as_string(), "JWT");
  EXPECT_EQ(header.at("kid").as_string(), ring_->signing_kid());
  auto payload = json::parse(*core::base64url_decode(segment(token, 1))).as_object();
  EXPECT_EQ(payload.at("sub").as_string(), "alice");
  EXPECT_EQ(payload.at("userId").as_string(), "u-1");
  EXPECT_EQ(payload.at("username").as_string(), "alice");
  EXPECT_EQ(payload.at("token_use").as_string(), "access");
  EXPECT_TRUE(payload.at("iat").is_int64());
  EXPECT_TRUE(payload.at("exp").is_int64());
  EXPECT_TRUE(payload.contains("iss"));
  EXPECT_TRUE(payload.contains("jti"));
}

TEST_F(jwt_service_test, new_claims_use_the_ttl_of_each_token_use_and_fresh_jtis) {
  claims access = jwt.new_claims("u-1", "alice", token_use::access);
  claims refresh = jwt.new_claims("u-1", "alice", token_use::refresh);
  EXPECT_EQ(access.iat, core::epoch_ms(clock.now()) / 1000);
  EXPECT_EQ(access.exp - access.iat, 15 * 60);
  EXPECT_EQ(refresh.exp - refresh.iat, 30 * 24 * 3600);
  EXPECT_NE(access.jti, refresh.jti);
  EXPECT_GE(access.jti.size(), 22u);  // 128 bits
}

TEST_F(jwt_service_test, rejects_tampered_payload) {
  std::string token = access_token();
  json::object payload = good_payload();
  payload["sub"] = "mallory";
  payload["username"] = "mallory";
  std::string forged = segment(token, 0) + "." + core::base64url_encode(json::serialize(payload)) + "." +
                       segment(token, 2);
  expect_unauthorized(jwt.verify(forged, token_use::access), "Invalid token signature");
}

TEST_F(jwt_service_test, rejects_tampered_signature) {
  std::string token = access_token();
  std::size_t mid = token.rfind('.') + 100;
  token[mid] = token[mid] == 'A' ? 'B' : 'A';
  expect_unauthorized(jwt.verify(token, token_use::access), "Invalid token signature");
}

TEST_F(jwt_service_test, rejects_truncated_or_missing_signature) {
  std::string token = access_token();
  std::string input = token.substr(0, token.rfind('.') + 1);
  std::string signature = *core::base64url_decode(segment(token, 2));
  expect_unauthorized(jwt.verify(input + core::base64url_encode(signature.substr(1)), token_use::access),
                      "Invalid token signature");
  expect_unauthorized(jwt.verify(input, token_use::access), "Invalid token signature");
}

TEST_F(jwt_service_test, rejects_alg_none) {
  json::object header{{"alg", "none"}, {"typ", "JWT"}, {"kid", ring_->signing_kid()}};
  std::string token = core::base64url_encode(json::serialize(header)) + "." +
                      core::base64url_encode(json::serialize(good_payload())) + ".";
  expect_unauthorized(jwt.verify(token, token_use::access), "Unsupported token algorithm");
  // Case variants are not RS256 either.
  header["alg"] = "rs256";
  expect_unauthorized(jwt.verify(signed_token(header, good_payload()), token_use::access),
                      "Unsupported token algorithm");
}

TEST_F(jwt_service_test, rejects_hs256_even_when_keyed_with_the_public_key) {
  // The classic confusion attack: HMAC-SHA256 keyed with the published JWKS.
  json::object header{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", ring_->signing_kid()}};
  std::string input = core::base64url_encode(json::serialize(header)) + "." +
                      core::base64url_encode(json::serialize(good_payload()));
  const std::string& key = ring_->jwks_json();
  unsigned char mac[32];
  std::size_t mac_len = 0;
  ASSERT_TRUE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                        sizeof mac, &mac_len));
  std::string token =
      input + "." + core::base64url_encode({reinterpret_cast<const char*>(mac), mac_len});
  expect_unauthorized(jwt.verify(token, token_use::access), "Unsupported token algorithm");
}

TEST_F(jwt_service_test, rejects_missing_or_non_string_alg) {
  json::object header = good_header();
  header.erase("alg");
  expect_unauthorized(jwt.verify(signed_token(header, good_payload()), token_use::access),
                      "Invalid token");
  header["alg"] = 256;
  expect_unauthorized(jwt.verify(signed_token(header, good_payload()), token_use::access),
                      "Invalid token");
}

TEST_F(jwt_service_test, rejects_unknown_or_missing_kid) {
  temp_dir other_dir;
  key_ring other = key_ring::load_or_create(other_dir.path());
  jwt_service foreign(other, clock, jwt_settings{.issuer = "https://parley.test"});
  expect_unauthorized(
      jwt.verify(foreign.issue(foreign.new_claims("u-1", "alice", token_use::access)),
                 token_use::access),
      "Unknown token key");

  json::object header = good_header();
  header.erase("kid");
  expect_unauthorized(jwt.verify(signed_token(header, good_payload()), token_use::access),
                      "Invalid token");
}

TEST_F(jwt_service_test, rejects_critical_header_extensions) {
  json::object header = good_header();
  header["crit"] = json::array{"exp"};
  expect_unauthorized(jwt.verify(signed_token(header, good_payload()), token_use::access),
                      "Invalid token");
}

TEST_F(jwt_service_test, accepts_a_token_until_expiry_plus_leeway_then_rejects_it) {
  std::string token = access_token();
  clock.advance(15min);
  EXPECT_TRUE(jwt.verify(token, token_use::access));  // at exp, within the leeway
  clock.advance(29s);
  EXPECT_TRUE(jwt.verify(token, token_use::access));
  clock.advance(1s);
  expect_unauthorized(jwt.verify(token, token_use::access), "Token expired");
}

TEST_F(jwt_service_test, rejects_a_token_issued_in_the_future) {
  json::object payload = good_payload();
  payload["iat"] = payload["iat"].as_int64() + 31;
  payload["exp"] = payload["exp"].as_int64() + 31;
  expect_unauthorized(jwt.verify(signed_token(good_header(), payload), token_use::access),
                      "Token not yet valid");
  payload["iat"] = payload["iat"].as_int64() - 1;  // 30 s ahead: within the leeway
  EXPECT_TRUE(jwt.verify(signed_token(good_header(), payload), token_use::access));
}

TEST_F(jwt_service_test, rejects_wrong_issuer) {
  jwt_service elsewhere(*ring_, clock, jwt_settings{.issuer = "https://other.test"});
  std::string token = elsewhere.issue(elsewhere.new_claims("u-1", "alice", token_use::access));
  expect_unauthorized(jwt.verify(token, token_use::access), "Invalid token issuer");
}

TEST_F(jwt_service_test, rejects_refresh_token_used_as_access_token) {
  std::string refresh = jwt.issue(jwt.new_claims("u-1", "alice", token_use::refresh));
  expect_unauthorized(jwt.verify(refresh, token_use::access), "Wrong token type");
  EXPECT_TRUE(jwt.verify(refresh, token_use::refresh));
}

TEST_F(jwt_service_test, rejects_access_token_used_as_refresh_token) {
  expect_unauthorized(jwt.verify(access_token(), token_use::refresh), "Wrong token type");
}

TEST_F(jwt_service_test, rejects_missing_or_mistyped_claims) {
  for (const char* name : {"sub", "userId", "username", "iat", "exp", "iss", "jti", "token_use"}) {
    json::object payload = good_payload();
    payload.erase(name);
    expect_unauthorized(jwt.verify(signed_token(good_header(), payload), token_use::access),
                        "Invalid token");
  }
  auto with = [&](std::string_view name, json::value v) {
    json::object payload = good_payload();
    payload[name] = std::move(v);
    return jwt.verify(signed_token(good_header(), payload), token_use::access);
  };
  expect_unauthorized(with("exp", json::value(std::to_string(good_payload()["exp"].as_int64()))),
                      "Invalid token");
  expect_unauthorized(with("iat", 1.5e9), "Invalid token");
  expect_unauthorized(with("userId", 42), "Invalid token");
  expect_unauthorized(with("token_use", "id"), "Invalid token");
  expect_unauthorized(with("sub", "mallory"), "Invalid token");  // sub must be the username
  expect_unauthorized(with("exp", good_payload()["iat"]), "Invalid token");
}

TEST_F(jwt_service_test, rejects_malformed_structure) {
  std::string token = access_token();
  for (std::string bad : {std::string(), std::string("."), std::string(".."), std::string("abc"),
                          segment(token, 0) + "." + segment(token, 1),
                          token + ".extra",
                          token + "=",
                          "!" + token,
                          core::base64url_encode("[1,2]") + "." + segment(token, 1) + "." +
                              segment(token, 2),
                          core::base64url_encode("{not json") + "." + segment(token, 1) + "." +
                              segment(token, 2)})
    expect_unauthorized(jwt.verify(bad, token_use::access), "Invalid token");
}

TEST_F(jwt_service_test, rejects_payload_that_is_not_an_object) {
  std::string input =
      core::base64url_encode(json::serialize(good_header())) + "." + core::base64url_encode("[]");
  std::string token = input + "." + core::base64url_encode(ring_->sign(input));
  expect_unauthorized(jwt.verify(token, token_use::access), "Invalid token");
}

TEST_F(jwt_service_test, rejects_oversized_token_before_parsing) {
  std::string huge(max_token_bytes + 1, 'A');
  expect_unauthorized(jwt.verify(huge, token_use::access), "Invalid token");
  json::object payload = good_payload();
  payload["pad"] = std::string(max_token_bytes, 'x');
  expect_unauthorized(jwt.verify(signed_token(good_header(), payload), token_use::access),
                      "Invalid token");
}

TEST_F(jwt_service_test, rejects_deeply_nested_header) {
  std::string deep = R"({"alg":"RS256","x":)" + std::string(50, '[') + std::string(50, ']') + "}";
  std::string token = core::base64url_encode(deep) + "." + segment(access_token(), 1) + "." +
                      segment(access_token(), 2);
  expect_unauthorized(jwt.verify(token, token_use::access), "Invalid token");
}

}  // namespace
}  // namespace parley::auth
