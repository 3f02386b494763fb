#include "auth/key_ring.hpp"

#include "core/base64url.hpp"
#include "auth/jwt.hpp"
#include "auth/sha256.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fstream>
#include <thread>

namespace parley::auth {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using test_support::manual_clock;
using test_support::temp_dir;

std::vector<fs::path> pem_files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".pem") out.push_back(e.path());
  return out;
}

std::string access_token(const jwt_service& jwt) {
  return jwt.issue(jwt.new_claims("u-1", "alice", token_use::access));
}

TEST(key_ring, creates_one_private_key_file_with_mode_0600_on_first_start) {
  temp_dir tmp;
  fs::path dir = tmp.path() / "keys";
  key_ring ring = key_ring::load_or_create(dir);

  auto files = pem_files_in(dir);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(fs::status(files[0]).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(files[0].filename().string(), "jwt-00000001-" + ring.signing_kid() + ".pem");
  std::ifstream in(files[0]);
  std::string first_line;
  std::getline(in, first_line);
  EXPECT_EQ(first_line, "-----BEGIN PRIVATE KEY-----");  // PKCS#8, unencrypted
  EXPECT_EQ(ring.kids(), std::vector<std::string>{ring.signing_kid()});
}

TEST(key_ring, reload_from_dir_yields_same_kid_and_verifies_old_tokens) {
  temp_dir tmp;
  manual_clock clock;
  std::string token, kid;
  {
    key_ring first = key_ring::load_or_create(tmp.path());
    kid = first.signing_kid();
    token = access_token(jwt_service(first, clock));
  }
  key_ring again = key_ring::load_or_create(tmp.path());
  EXPECT_EQ(again.signing_kid(), kid);
  EXPECT_EQ(pem_files_in(tmp.path()).size(), 1u);
  EXPECT_TRUE(jwt_service(again, clock).verify(token, token_use::access));
}

TEST(key_ring, rotation_signs_with_new_key_and_still_verifies_old_tokens) {
  temp_dir tmp;
  manual_clock clock;
  key_ring before = key_ring::load_or_create(tmp.path());
  jwt_service old_service(before, clock);
  std::string old_token = access_token(old_service);

  std::string new_kid = key_ring::create_key(tmp.path());
  key_ring after = key_ring::load_or_create(tmp.path());
  EXPECT_NE(new_kid, before.signing_kid());
  EXPECT_EQ(after.signing_kid(), new_kid);
  EXPECT_EQ(after.kids(), (std::vector<std::string>{before.signing_kid(), new_kid}));

  jwt_service new_service(after, clock);
  EXPECT_TRUE(new_service.verify(old_token, token_use::access));
  std::string new_token = access_token(new_service);
  auto header = json::parse(*core::base64url_decode(new_token.substr(0, new_token.find('.'))));
  EXPECT_EQ(header.at("kid").as_string(), new_kid);
  // A node still on the old ring does not know the new key.
  EXPECT_FALSE(old_service.verify(new_token, token_use::access));

  auto jwks = json::parse(after.jwks_json());
  ASSERT_EQ(jwks.at("keys").as_array().size(), 2u);
  EXPECT_EQ(jwks.at("keys").at(0).at("kid").as_string(), new_kid);  // newest first
}

TEST(key_ring, signs_with_the_key_whose_file_name_sorts_last) {
  temp_dir tmp;
  std::string a = key_ring::create_key(tmp.path());
  std::string b = key_ring::create_key(tmp.path());
  std::string c = key_ring::create_key(tmp.path());
  key_ring ring = key_ring::load_or_create(tmp.path());
  EXPECT_EQ(ring.kids(), (std::vector<std::string>{a, b, c}));
  EXPECT_EQ(ring.signing_kid(), c);
  EXPECT_TRUE(fs::exists(tmp.path() / ("jwt-00000003-" + c + ".pem")));
}

TEST(key_ring, counts_a_copied_key_once) {
  temp_dir tmp;
  std::string kid = key_ring::create_key(tmp.path());
  fs::copy_file(pem_files_in(tmp.path())[0], tmp.path() / "backup.pem");
  key_ring ring = key_ring::load_or_create(tmp.path());
  EXPECT_EQ(ring.kids(), std::vector<std::string>{kid});
  EXPECT_EQ(json::parse(ring.jwks_json()).at("keys").as_array().size(), 1u);
}

// Cluster nodes that share one empty key directory and start at once. flock(2) excludes separate
// opens of the lock file within one process as it does across processes, so threads stand in for
// the nodes; without the lock each would make its own key (generation takes tens of ms).
TEST(key_ring, nodes_starting_together_on_an_empty_shared_directory_make_one_key) {
  temp_dir tmp;
  fs::path dir = tmp.path() / "shared-keys";
  constexpr int nodes = 4;
  std::vector<std::string> kids(nodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i)
    threads.emplace_back([&, i] { kids[i] = key_ring::load_or_create(dir).signing_kid(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(pem_files_in(dir).size(), 1u);
  for (const auto& kid : kids) EXPECT_EQ(kid, kids[0]);
}

TEST(key_ring, refuses_files_that_are_not_rsa_private_keys) {
  temp_dir tmp;
  std::ofstream(tmp.path() / "junk.pem") << "not a key\n";
  EXPECT_THROW(key_ring::load_or_create(tmp.path()), std::runtime_error);

  temp_dir ec_dir;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
  ASSERT_TRUE(ec);
  std::unique_ptr<FILE, decltype(&fclose)> f(fopen((ec_dir.path() / "ec.pem").c_str(), "w"),
                                             fclose);
  ASSERT_TRUE(PEM_write_PKCS8PrivateKey(f.get(), ec.get(), nullptr, nullptr, 0, nullptr, nullptr));
  f.reset();
  EXPECT_THROW(key_ring::load_or_create(ec_dir.path()), std::runtime_error);
}

TEST(key_ring, verify_rejects_unknown_kid_and_wrong_length_signature) {
  temp_dir tmp;
  key_ring ring = key_ring::load_or_create(tmp.path());
  std::string sig = ring.sign("data");
  EXPECT_EQ(sig.size(), 256u);
  EXPECT_TRUE(ring.verify(ring.signing_kid(), "data", sig));
  EXPECT_FALSE(ring.verify("other", "data", sig));
  EXPECT_FALSE(ring.verify(ring.signing_kid(), "data!", sig));
  EXPECT_FALSE(ring.verify(ring.signing_kid(), "data", sig.substr(1)));
  EXPECT_FALSE(ring.verify(ring.signing_kid(), "data", std::string(1, '\0') + sig));
  EXPECT_FALSE(ring.has_key("other"));
}

// What a client such as `jose` does with our JWKS: build the public key from n and e alone.
struct jwk_public_key {
  std::string n, e;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, EVP_PKEY_free};
};

jwk_public_key public_key_from_jwk(const json::object& jwk) {
  jwk_public_key out;
  out.n = *core::base64url_decode(jwk.at("n").as_string());
  out.e = *core::base64url_decode(jwk.at("e").as_string());
  auto bn = [](const std::string& bytes) {
    return std::unique_ptr<BIGNUM, decltype(&BN_free)>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()), nullptr),
        BN_free);
  };
  auto n = bn(out.n);
  auto e = bn(out.e);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                       OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                  OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) == 1)
    out.pkey.reset(raw);
  return out;
}

bool rs256_verify(EVP_PKEY* pkey, std::string_view token) {
  auto dot2 = token.rfind('.');
  std::string sig = *core::base64url_decode(token.substr(dot2 + 1));
  std::string_view input = token.substr(0, dot2);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

TEST(key_ring, jwks_n_and_e_have_no_leading_zero_and_rebuild_a_key_that_verifies_tokens) {
  temp_dir tmp;
  manual_clock clock;
  key_ring ring = key_ring::load_or_create(tmp.path());
  auto jwks = json::parse(ring.jwks_json()).as_object();
  ASSERT_EQ(jwks.size(), 1u);
  const auto& jwk = jwks.at("keys").at(0).as_object();
  EXPECT_EQ(jwk.at("kty").as_string(), "RSA");
  EXPECT_EQ(jwk.at("use").as_string(), "sig");
  EXPECT_EQ(jwk.at("alg").as_string(), "RS256");
  EXPECT_EQ(jwk.at("kid").as_string(), ring.signing_kid());
  EXPECT_EQ(jwk.at("e").as_string(), "AQAB");  // 65537
  EXPECT_EQ(jwk.at("n").as_string().find('='), json::string::npos);

  jwk_public_key pub = public_key_from_jwk(jwk);
  // A 2048-bit modulus has its top bit set: Java's toByteArray() prepended 0x00 (bug 22).
  ASSERT_EQ(pub.n.size(), 256u);
  EXPECT_NE(static_cast<unsigned char>(pub.n[0]), 0);
  EXPECT_NE(static_cast<unsigned char>(pub.e[0]), 0);
  ASSERT_TRUE(pub.pkey);

  std::string token = access_token(jwt_service(ring, clock));
  EXPECT_TRUE(rs256_verify(pub.pkey.get(), token));
  EXPECT_FALSE(rs256_verify(pub.pkey.get(), token.substr(0, token.find('.')) + ".e30" +
                                                token.substr(token.rfind('.'))));
}

TEST(key_ring, kid_is_the_rfc7638_thumbprint) {
  temp_dir tmp;
  key_ring ring = key_ring::load_or_create(tmp.path());
  json::value jwks = json::parse(ring.jwks_json());
  const auto& jwk = jwks.at("keys").at(0).as_object();
  std::string canonical = json::serialize(json::object{
      {"e", jwk.at("e")}, {"kty", "RSA"}, {"n", jwk.at("n")}});
  // Boost.JSON keeps insertion order, which is the required lexicographic order here.
  ASSERT_EQ(canonical.substr(0, 6), R"({"e":")");
  sha256_digest d = sha256(canonical);
  EXPECT_EQ(ring.signing_kid(),
            core::base64url_encode({reinterpret_cast<const char*>(d.data()), d.size()}));
  EXPECT_EQ(ring.signing_kid().size(), 43u);
}

}  // namespace
}  // namespace parley::auth
