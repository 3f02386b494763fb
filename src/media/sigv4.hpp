#pragma once
// AWS Signature Version 4, sans I/O: canonicalisation, signing, query-string presigning and the
// verification of presigned requests. One implementation serves both directions: parley presigns
// URLs for an external S3-compatible store (cluster mode) and verifies the URLs it presigned for
// its own local store (all-in-one mode), so a bug cannot hide on one side only.
//
// Paths follow S3's rules, not the generic SigV4 service rules: the path is URI-encoded once and
// never normalised (`//` and `..` are part of an S3 key). Query strings and paths are handled
// decoded; `+` is a literal plus, as S3 presigners encode a space as `%20`.
//
// Rejected: a signing library (the AWS C++ SDK is large and would still need the verifying half),
// and header-based `Authorization` verification (no client of parley sends it; the canonical
// request code is shared, so adding it is small).
#include "core/time.hpp"

#include <boost/system/result.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::media::sigv4 {

inline constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
// S3 refuses presigned URLs valid for longer than 7 days; so does the verifier.
inline constexpr std::chrono::seconds max_expires{7 * 24 * 3600};
// A presigned request dated further in the future than this is refused (S3's clock-skew window).
inline constexpr std::chrono::seconds max_clock_skew{15 * 60};

// Decoded name/value pairs (query parameters or headers), in the order given.
using fields = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding as SigV4 defines it: everything but A-Z a-z 0-9 - . _ ~ becomes %XX
// (upper-case hex); `/` is kept when `keep_slash` (paths) and encoded otherwise (query parts).
std::string uri_encode(std::string_view s, bool keep_slash);
// Decodes %XX escapes; nullopt for a malformed escape. `+` stays a plus.
std::optional<std::string> uri_decode(std::string_view s);

// Splits a raw request-target ("/a%20b?x=1&y") into its decoded path and decoded query
// parameters; nullopt when an escape is malformed.
struct target {
  std::string path;
  fields query;
};
std::optional<target> parse_target(std::string_view raw);

std::string canonical_uri(std::string_view decoded_path);
// Each name and value encoded, sorted by encoded name then value, `name=value` joined with `&`.
std::string canonical_query(const fields& decoded);

struct canonical_headers {
  std::string block;           // "name:value\n" per header, sorted by name
  std::string signed_headers;  // "name1;name2"
};
// Names are lower-cased; values trimmed with inner runs of spaces collapsed; repeated names are
// joined with ',' in the order given.
canonical_headers canonicalize_headers(const fields& headers);

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, const canonical_headers& headers,
                              std::string_view payload_hash);

struct scope {
  std::string date;  // YYYYMMDD
  std::string region;
  std::string service;
  std::string str() const { return date + "/" + region + "/" + service + "/aws4_request"; }
};

// "20130524T000000Z" (whole seconds, UTC).
std::string amz_date(core::time_point t);
std::optional<core::time_point> parse_amz_date(std::string_view s);

std::string sha256_hex(std::string_view bytes);
std::string string_to_sign(std::string_view amz_date, const scope& s,
                           std::string_view canonical_request);
using key = std::array<unsigned char, 32>;
key signing_key(std::string_view secret, const scope& s);
// Lower-case hex HMAC-SHA256 of the string to sign.
std::string signature(const key& k, std::string_view string_to_sign);

struct credentials {
  std::string access_key;
  std::string secret_key;
};

struct presign_input {
  std::string method;  // "PUT", "GET"
  std::string path;    // decoded, starting with '/'
  fields query;        // extra signed parameters, decoded (e.g. x-id=PutObject)
  fields headers;      // headers the client must send as signed; must include host
  std::string region;
  std::string service = "s3";
  core::time_point time;
  std::chrono::seconds expires{900};
  // X-Amz-Content-Sha256=UNSIGNED-PAYLOAD in the query, as the AWS SDK presigner writes it.
  bool content_sha256_param = true;
};

// The request-target ("/encoded/path?X-Amz-...&X-Amz-Signature=...") of a presigned request.
std::string presign_target(const presign_input& in, const credentials& c);

enum class verify_errc {
  malformed,           // a missing, repeated or unparsable X-Amz-* parameter
  unknown_access_key,  // the credential names a key we do not hold
  scope_mismatch,      // the credential's date, region or service is not ours
  expired,             // now is past X-Amz-Date + X-Amz-Expires
  not_yet_valid,       // X-Amz-Date is further in the future than the clock skew allows
  signature_mismatch,  // the recomputed signature differs (including a missing signed header)
};
struct verify_error {
  verify_errc code;
  std::string message;  // human text, safe to show the client
};

struct verify_input {
  std::string_view method;
  std::string_view raw_target;
  const fields& headers;  // as received; names in any case
  core::time_point now;
  std::string_view region;
  std::string_view service = "s3";
};

struct verified {
  target request;  // the decoded path and query
  core::time_point date;
  std::chrono::seconds expires{};
  std::vector<std::string> signed_headers;  // lower-case names
  bool signs(std::string_view header) const;
};

// The values of every header named `name` (case-insensitive), joined with ',' as SigV4 joins
// them; nullopt when there is none.
std::optional<std::string> header_value(const fields& headers, std::string_view name);

// Looks up the secret key for an access key id; nullopt when unknown.
using secret_lookup = std::function<std::optional<std::string>(std::string_view access_key)>;

// Verifies a query-string presigned request (X-Amz-Algorithm ... X-Amz-Signature). The signature
// is compared in constant time. Never throws on any input.
boost::system::result<verified, verify_error> verify_presigned(const verify_input& in,
                                                               const secret_lookup& secrets);

}  // namespace parley::media::sigv4
