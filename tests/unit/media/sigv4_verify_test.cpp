// Verification of presigned requests: every way a URL can be wrong, and a property test over
// random keys (spaces, unicode, '+', '%', reserved characters) and random query orders: sign →
// verify round-trips, and any single-character change that alters the request fails.
#include "media/sigv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace parley::media::sigv4 {
namespace {

using namespace std::chrono_literals;

const credentials creds{"parley", "0123456789abcdef0123456789abcdef"};
const secret_lookup secrets = [](std::string_view ak) -> std::optional<std::string> {
  if (ak == creds.access_key) return creds.secret_key;
  return std::nullopt;
};
const core::time_point t0 = *parse_amz_date("20260115T101500Z");

presign_input upload(std::string path) {
  presign_input in;
  in.method = "PUT";
  in.path = std::move(path);
  in.headers = {
      {"host", "127.0.0.1:8080"}, {"content-type", "image/png"}, {"content-length", "10"}};
  in.region = "us-east-1";
  in.time = t0;
  in.expires = 900s;
  return in;
}

const fields sent_headers{
    {"host", "127.0.0.1:8080"}, {"content-type", "image/png"}, {"content-length", "10"}};

boost::system::result<verified, verify_error> check(std::string_view target,
                                                    const fields& headers = sent_headers,
                                                    core::time_point now = t0 + 1s,
                                                    std::string_view method = "PUT") {
  return verify_presigned({method, target, headers, now, "us-east-1"}, secrets);
}

verify_errc error_of(std::string_view target, const fields& headers = sent_headers,
                     core::time_point now = t0 + 1s) {
  auto r = check(target, headers, now);
  EXPECT_FALSE(r) << target;
  return r ? verify_errc::malformed : r.error().code;
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(sigv4_verify, accepts_its_own_upload_url_and_reports_what_was_signed) {
  auto target = presign_target(upload("/media/abc.png"), creds);
  auto v = check(target);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->request.path, "/media/abc.png");
  EXPECT_TRUE(v->signs("content-type"));
  EXPECT_TRUE(v->signs("content-length"));
  EXPECT_EQ(v->expires, 900s);
}

TEST(sigv4_verify, header_names_match_in_any_case) {
  auto target = presign_target(upload("/k"), creds);
  EXPECT_TRUE(
      check(target,
            {{"Host", "127.0.0.1:8080"}, {"Content-Type", "image/png"}, {"CONTENT-LENGTH", "10"}}));
}

TEST(sigv4_verify, expiry_is_inclusive_and_future_dates_beyond_the_skew_are_refused) {
  auto target = presign_target(upload("/k"), creds);
  EXPECT_TRUE(check(target, sent_headers, t0 + 900s));
  EXPECT_EQ(error_of(target, sent_headers, t0 + 901s), verify_errc::expired);
  EXPECT_TRUE(check(target, sent_headers, t0 - max_clock_skew));
  EXPECT_EQ(error_of(target, sent_headers, t0 - max_clock_skew - 1s), verify_errc::not_yet_valid);
}

TEST(sigv4_verify, a_different_signed_header_value_or_a_missing_one_fails) {
  auto target = presign_target(upload("/k"), creds);
  EXPECT_EQ(error_of(target, {{"host", "127.0.0.1:8080"},
                              {"content-type", "text/html"},
                              {"content-length", "10"}}),
            verify_errc::signature_mismatch);
  EXPECT_EQ(error_of(target, {{"host", "127.0.0.1:8080"},
                              {"content-type", "image/png"},
                              {"content-length", "11"}}),
            verify_errc::signature_mismatch);
  EXPECT_EQ(error_of(target, {{"host", "127.0.0.1:8080"}, {"content-type", "image/png"}}),
            verify_errc::signature_mismatch);
  EXPECT_EQ(
      error_of(target,
               {{"host", "evil:8080"}, {"content-type", "image/png"}, {"content-length", "10"}}),
      verify_errc::signature_mismatch);
}

TEST(sigv4_verify, malformed_authentication_parameters_are_refused) {
  auto target = presign_target(upload("/k"), creds);
  EXPECT_EQ(error_of(target + "&X-Amz-Date=20260115T101500Z"), verify_errc::malformed)
      << "repeated";
  EXPECT_EQ(error_of(replace(target, "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                             "X-Amz-Algorithm=AWS4-HMAC-SHA1")),
            verify_errc::malformed);
  EXPECT_EQ(error_of(replace(target, "X-Amz-Expires=900", "X-Amz-Expires=604801")),
            verify_errc::malformed);
  EXPECT_EQ(error_of(replace(target, "X-Amz-Expires=900", "X-Amz-Expires=0")),
            verify_errc::malformed);
  EXPECT_EQ(error_of(replace(target, "X-Amz-Expires=900", "X-Amz-Expires=99999999999999999999")),
            verify_errc::malformed);
  EXPECT_EQ(error_of(replace(target, "X-Amz-Date=20260115T101500Z", "X-Amz-Date=yesterday")),
            verify_errc::malformed);
  EXPECT_EQ(error_of(replace(target, "&X-Amz-SignedHeaders", "&X-Amz-Ignored")),
            verify_errc::malformed);
  EXPECT_EQ(error_of(replace(target, "UNSIGNED-PAYLOAD", std::string(64, 'a'))),
            verify_errc::malformed);
  EXPECT_EQ(error_of("/k"), verify_errc::malformed);
  EXPECT_EQ(error_of("/k?%zz=1"), verify_errc::malformed);
}

TEST(sigv4_verify, credential_must_name_our_key_date_region_and_service) {
  auto target = presign_target(upload("/k"), creds);
  EXPECT_EQ(error_of(replace(target, "Credential=parley", "Credential=other")),
            verify_errc::unknown_access_key);
  EXPECT_EQ(error_of(replace(target, "%2F20260115%2F", "%2F20260116%2F")),
            verify_errc::scope_mismatch);
  EXPECT_EQ(error_of(replace(target, "us-east-1", "eu-west-1")), verify_errc::scope_mismatch);
  EXPECT_EQ(error_of(replace(target, "%2Fs3%2F", "%2Fsqs%2F")), verify_errc::scope_mismatch);
  EXPECT_EQ(error_of(replace(target, "%2Faws4_request", "%2Faws5_request")),
            verify_errc::malformed);
}

TEST(sigv4_verify, signed_headers_must_include_host) {
  auto in = upload("/k");
  in.headers = {{"content-type", "image/png"}};
  EXPECT_EQ(error_of(presign_target(in, creds)), verify_errc::malformed);
}

TEST(sigv4_verify, an_upper_case_or_short_signature_is_a_mismatch) {
  auto target = presign_target(upload("/k"), creds);
  auto at = target.find("X-Amz-Signature=") + 16;
  auto upper = target;
  std::transform(upper.begin() + static_cast<long>(at), upper.end(),
                 upper.begin() + static_cast<long>(at),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper != target) {
    EXPECT_EQ(error_of(upper), verify_errc::signature_mismatch);
  }
  EXPECT_EQ(error_of(target.substr(0, target.size() - 1)), verify_errc::signature_mismatch);
}

// --- property test -------------------------------------------------------------------------

// Characters that stress canonicalisation: space, '+', '%', every reserved delimiter, unicode
// of 2, 3 and 4 bytes, and unreserved punctuation.
const std::vector<std::string> key_alphabet = {"a",
                                               "Z",
                                               "0",
                                               " ",
                                               "+",
                                               "%",
                                               "/",
                                               "?",
                                               "#",
                                               "&",
                                               "=",
                                               ";",
                                               ",",
                                               "!",
                                               "'",
                                               "(",
                                               ")",
                                               "*",
                                               "~",
                                               ".",
                                               "-",
                                               "_",
                                               "$",
                                               "@",
                                               ":",
                                               "[",
                                               "]",
                                               "\"",
                                               "\xC3\xA9",
                                               "\xE1\x88\xB4",
                                               "\xF0\x9F\x98\x80"};

std::string random_text(std::mt19937& rng, std::size_t max_len) {
  std::uniform_int_distribution<std::size_t> len(1, max_len), pick(0, key_alphabet.size() - 1);
  std::string s;
  for (auto n = len(rng); n > 0; --n) s += key_alphabet[pick(rng)];
  return s;
}

// The request a raw target denotes: its decoded path and its query as a sorted multiset.
std::optional<std::pair<std::string, fields>> meaning(std::string_view target) {
  auto t = parse_target(target);
  if (!t) return std::nullopt;
  std::sort(t->query.begin(), t->query.end());
  return std::pair{t->path, t->query};
}

TEST(sigv4_property, sign_then_verify_round_trips_and_every_meaningful_one_char_change_fails) {
  std::mt19937 rng(20260115);  // fixed seed: the same cases on every run
  const std::string mutations = "aZ09 +%/?&=#;.~-_*'!\x7f";
  int cases = 0, mutants_checked = 0;
  for (; cases < 300; ++cases) {
    auto in = upload("/" + random_text(rng, 12));
    std::uniform_int_distribution<int> nparams(0, 3);
    for (int i = nparams(rng); i > 0; --i)
      in.query.emplace_back(random_text(rng, 6), random_text(rng, 6));
    auto target = presign_target(in, creds);

    auto v = check(target);
    ASSERT_TRUE(v) << target << ": " << v.error().message;
    EXPECT_EQ(v->request.path, in.path);

    // The order of parameters in the URL does not matter.
    auto q = target.find('?');
    std::vector<std::string> parts;
    for (std::size_t s = q + 1, e; s <= target.size(); s = e + 1) {
      e = target.find('&', s);
      if (e == std::string::npos) e = target.size();
      parts.push_back(target.substr(s, e - s));
    }
    std::shuffle(parts.begin(), parts.end(), rng);
    std::string shuffled = target.substr(0, q + 1);
    for (std::size_t i = 0; i < parts.size(); ++i) shuffled += (i ? "&" : "") + parts[i];
    EXPECT_TRUE(check(shuffled)) << shuffled;

    auto original = meaning(target);
    std::uniform_int_distribution<std::size_t> pos(0, target.size() - 1),
        ch(0, mutations.size() - 1);
    for (int m = 0; m < 20; ++m) {
      auto mutant = target;
      auto p = pos(rng);
      auto c = mutations[ch(rng)];
      if (mutant[p] == c) continue;
      mutant[p] = c;
      // A change that denotes the same request (e.g. %2f for %2F) may verify; every other one
      // must not.
      if (meaning(mutant) == original) continue;
      ++mutants_checked;
      EXPECT_FALSE(check(mutant)) << "accepted a changed URL:\n  " << target << "\n  " << mutant;
    }
    // The signature itself: one hex digit changed.
    auto sig_at = target.rfind("X-Amz-Signature=") + 16 + pos(rng) % 64;
    auto forged = target;
    forged[sig_at] = forged[sig_at] == '0' ? '1' : '0';
    EXPECT_EQ(error_of(forged), verify_errc::signature_mismatch);
  }
  EXPECT_GT(mutants_checked, cases * 10) << "the property test exercised too few mutants";
}

}  // namespace
}  // namespace parley::media::sigv4
