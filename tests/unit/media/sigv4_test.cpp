// SigV4 against AWS's published vectors: the signature test suite (header signing, service
// "service", 2015-08-30) and the S3 documentation's presigned-URL and GET Object examples.
#include "media/sigv4.hpp"
#include "media/s3_presigner.hpp"

#include <gtest/gtest.h>

namespace parley::media::sigv4 {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// The S3 documentation's example secret differs from the suite's by one character ('/' for '+').
constexpr std::string_view s3_doc_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const std::string empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Signs a request of AWS's test suite: host and x-amz-date plus `extra` headers, the payload
// hashed.
std::string suite_signature(std::string_view method, std::string_view path, const fields& query,
                            const fields& extra = {}, std::string_view payload = "") {
  fields headers{{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  auto creq = canonical_request(method, canonical_uri(path), canonical_query(query),
                                canonicalize_headers(headers), sha256_hex(payload));
  scope s{"20150830", "us-east-1", "service"};
  return signature(signing_key(suite_secret, s), string_to_sign("20150830T123600Z", s, creq));
}

TEST(sigv4_suite, get_vanilla) {
  EXPECT_EQ(suite_signature("GET", "/", {}),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(sigv4_suite, get_vanilla_query_order_key_case_sorts_parameters) {
  EXPECT_EQ(suite_signature("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(sigv4_suite, get_vanilla_empty_query_key) {
  EXPECT_EQ(suite_signature("GET", "/", {{"Param1", "value1"}}),
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
}

TEST(sigv4_suite, get_vanilla_query_unreserved_is_not_encoded) {
  std::string u = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(suite_signature("GET", "/", {{u, u}}),
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
}

TEST(sigv4_suite, get_vanilla_utf8_query) {
  EXPECT_EQ(suite_signature("GET", "/", {{"\xE1\x88\xB4", "bar"}}),
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

TEST(sigv4_suite, get_vanilla_query_order_encoded_sorts_after_encoding) {
  EXPECT_EQ(
      suite_signature("GET", "/",
                      {{"Param-3", "Value3"}, {"Param", "Value2"}, {"\xE1\x88\xB4", "Value1"}}),
      "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac");
}

TEST(sigv4_suite, get_utf8_path) {
  EXPECT_EQ(suite_signature("GET", "/\xE1\x88\xB4", {}),
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(sigv4_suite, get_space_in_path) {
  EXPECT_EQ(canonical_uri("/example space/"), "/example%20space/");
  EXPECT_EQ(suite_signature("GET", "/example space/", {}),
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(sigv4_suite, get_unreserved_path) {
  EXPECT_EQ(suite_signature(
                "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}),
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

TEST(sigv4_suite, get_slashes_unnormalized_as_s3_keeps_them) {
  EXPECT_EQ(suite_signature("GET", "//example//", {}),
            "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5");
}

TEST(sigv4_suite, get_header_value_trim) {
  EXPECT_EQ(suite_signature("GET", "/", {},
                            {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}),
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(sigv4_suite, get_header_key_duplicate_joins_values_in_order) {
  EXPECT_EQ(suite_signature(
                "GET", "/", {},
                {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

TEST(sigv4_suite, get_header_value_order) {
  EXPECT_EQ(suite_signature("GET", "/", {},
                            {{"My-Header1", "value4"},
                             {"My-Header1", "value1"},
                             {"My-Header1", "value3"},
                             {"My-Header1", "value2"}}),
            "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01");
}

TEST(sigv4_suite, post_vanilla_and_query) {
  EXPECT_EQ(suite_signature("POST", "/", {}),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  EXPECT_EQ(suite_signature("POST", "/", {{"Param1", "value1"}}),
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
}

TEST(sigv4_suite, post_header_key_sort) {
  EXPECT_EQ(suite_signature("POST", "/", {}, {{"My-Header1", "value1"}}),
            "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c");
}

TEST(sigv4_s3_docs, get_object_with_authorization_header) {
  // "Example: GET Object" of the S3 SigV4 header-signing page.
  fields headers{{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", empty_sha256},
                 {"x-amz-date", "20130524T000000Z"}};
  auto ch = canonicalize_headers(headers);
  EXPECT_EQ(ch.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
  auto creq = canonical_request("GET", canonical_uri("/test.txt"), "", ch, empty_sha256);
  scope s{"20130524", "us-east-1", "s3"};
  auto sts = string_to_sign("20130524T000000Z", s, creq);
  EXPECT_EQ(sts.substr(sts.rfind('\n') + 1),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signature(signing_key(s3_doc_secret, s), sts),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

core::time_point at(std::string_view amz) { return *parse_amz_date(amz); }

TEST(sigv4_s3_docs, presigned_get_of_test_txt) {
  // "Authenticating Requests: Using Query Parameters": GET examplebucket/test.txt for 86400 s.
  presign_input in;
  in.method = "GET";
  in.path = "/test.txt";
  in.headers = {{"host", "examplebucket.s3.amazonaws.com"}};
  in.region = "us-east-1";
  in.time = at("20130524T000000Z");
  in.expires = 86400s;
  in.content_sha256_param = false;  // the documented URL predates the SDK's extra parameter
  auto t = presign_target(in, {"AKIAIOSFODNN7EXAMPLE", std::string(s3_doc_secret)});
  EXPECT_EQ("https://examplebucket.s3.amazonaws.com" + t,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(sigv4_s3_docs, the_documented_url_verifies_until_it_expires) {
  std::string target =
      "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  fields headers{{"host", "examplebucket.s3.amazonaws.com"}};
  secret_lookup secrets = [](std::string_view ak) -> std::optional<std::string> {
    if (ak == "AKIAIOSFODNN7EXAMPLE") return std::string(s3_doc_secret);
    return std::nullopt;
  };
  auto start = at("20130524T000000Z");
  EXPECT_TRUE(verify_presigned({"GET", target, headers, start + 86400s, "us-east-1"}, secrets));
  auto late = verify_presigned({"GET", target, headers, start + 86401s, "us-east-1"}, secrets);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, verify_errc::expired);
  auto put = verify_presigned({"PUT", target, headers, start, "us-east-1"}, secrets);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, verify_errc::signature_mismatch) << "the method is signed";
}

TEST(sigv4_s3_presigner, virtual_host_style_reproduces_the_documented_url) {
  s3_presigner p({"https://s3.amazonaws.com", "examplebucket", "us-east-1", "AKIAIOSFODNN7EXAMPLE",
                  std::string(s3_doc_secret), false});
  EXPECT_EQ(p.host(), "examplebucket.s3.amazonaws.com");
  auto url = p.presign("GET", "test.txt", {}, {}, at("20130524T000000Z"), 86400s);
  EXPECT_TRUE(url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?")) << url;
  EXPECT_NE(url.find("X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"), std::string::npos) << url;
}

TEST(sigv4_s3_presigner, path_style_puts_the_bucket_in_the_path_and_keeps_the_port) {
  s3_presigner p({"http://127.0.0.1:7070/", "media", "us-east-1", "ak", "sk", true});
  EXPECT_EQ(p.host(), "127.0.0.1:7070");
  auto url = p.presign("PUT", "a b.png", {{"content-type", "image/png"}}, {},
                       at("20260101T000000Z"), 900s);
  EXPECT_TRUE(url.starts_with("http://127.0.0.1:7070/media/a%20b.png?")) << url;
  EXPECT_NE(url.find("X-Amz-SignedHeaders=content-type%3Bhost"), std::string::npos) << url;
}

TEST(sigv4_s3_presigner, refuses_an_endpoint_with_a_path_or_no_scheme) {
  for (std::string e : {"127.0.0.1:7070", "http://h/prefix", "ftp://h", "http://", "http://u@h"})
    EXPECT_THROW(s3_presigner({e, "b", "us-east-1", "ak", "sk", true}), std::invalid_argument) << e;
  EXPECT_THROW(s3_presigner({"http://h", "", "us-east-1", "ak", "sk", true}),
               std::invalid_argument);
}

TEST(sigv4_encoding, encodes_everything_but_unreserved_and_upper_cases_hex) {
  EXPECT_EQ(uri_encode("a b+c%/\xE1\x88\xB4~*'", true), "a%20b%2Bc%25/%E1%88%B4~%2A%27");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(*uri_decode("a%20b+%2b%2F"), "a b++/");
  EXPECT_FALSE(uri_decode("%"));
  EXPECT_FALSE(uri_decode("%4"));
  EXPECT_FALSE(uri_decode("%zz"));
}

TEST(sigv4_encoding, query_sorts_by_encoded_name_then_value_and_keeps_empty_values) {
  EXPECT_EQ(canonical_query({{"b", "2"}, {"a", "1"}, {"A", "0"}, {"a", "0"}, {"e", ""}}),
            "A=0&a=0&a=1&b=2&e=");
}

TEST(sigv4_dates, formats_and_parses_amz_dates) {
  auto t = at("20150830T123600Z");
  EXPECT_EQ(amz_date(t), "20150830T123600Z");
  EXPECT_EQ(amz_date(t + 999ms), "20150830T123600Z") << "whole seconds";
  for (std::string_view bad : {"20150830T123600", "2015083OT123600Z", "20150230T000000Z",
                               "20150830T243600Z", "20150830 123600Z", "",
                               "29260115T101500Z", "19690101T000000Z"})
    EXPECT_FALSE(parse_amz_date(bad)) << bad;
}

}  // namespace
}  // namespace parley::media::sigv4
