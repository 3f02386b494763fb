#include "media/sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <map>

namespace parley::media::sigv4 {

namespace {

constexpr char upper_hex[] = "0123456789ABCDEF";
constexpr char lower_hex[] = "0123456789abcdef";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  std::string out(2 * n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = lower_hex[p[i] >> 4];
    out[2 * i + 1] = lower_hex[p[i] & 15];
  }
  return out;
}

key hmac(std::string_view k, std::string_view data) {
  key out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string_view as_view(const key& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trim, then collapse each run of whitespace into one space (the SDK's `trim().replace(/\s+/g,
// " ")`, which is what AWS's test suite expects).
std::string canonical_value(std::string_view v) {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int digits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(upper_hex[c >> 4]);
      out.push_back(upper_hex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<target> parse_target(std::string_view raw) {
  target t;
  auto q = raw.find('?');
  auto path = uri_decode(raw.substr(0, q));
  if (!path) return std::nullopt;
  t.path = std::move(*path);
  if (q == std::string_view::npos) return t;
  for (auto part : split(raw.substr(q + 1), '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto name = uri_decode(part.substr(0, eq));
    auto value =
        uri_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    t.query.emplace_back(std::move(*name), std::move(*value));
  }
  return t;
}

std::string canonical_uri(std::string_view decoded_path) {
  if (decoded_path.empty()) return "/";
  return uri_encode(decoded_path, true);
}

std::string canonical_query(const fields& decoded) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(decoded.size());
  for (auto& [k, v] : decoded) encoded.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

canonical_headers canonicalize_headers(const fields& headers) {
  std::map<std::string, std::string> merged;
  for (auto& [name, value] : headers) {
    auto [it, fresh] = merged.try_emplace(lower(name));
    if (!fresh) it->second.push_back(',');
    it->second += canonical_value(value);
  }
  canonical_headers out;
  for (auto& [name, value] : merged) {
    out.block += name;
    out.block.push_back(':');
    out.block += value;
    out.block.push_back('\n');
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  return out;
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, const canonical_headers& headers,
                              std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() + headers.block.size() +
              headers.signed_headers.size() + payload_hash.size() + 8);
  out += method;
  out.push_back('\n');
  out += canonical_uri;
  out.push_back('\n');
  out += canonical_query;
  out.push_back('\n');
  out += headers.block;
  out.push_back('\n');
  out += headers.signed_headers;
  out.push_back('\n');
  out += payload_hash;
  return out;
}

std::string amz_date(core::time_point t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::optional<core::time_point> parse_amz_date(std::string_view s) {
  using namespace std::chrono;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!all_digits(s.substr(0, 8)) || !all_digits(s.substr(9, 6))) return std::nullopt;
  year_month_day ymd{year{digits(s.substr(0, 4))},
                     month{static_cast<unsigned>(digits(s.substr(4, 2)))},
                     day{static_cast<unsigned>(digits(s.substr(6, 2)))}};
  int h = digits(s.substr(9, 2)), m = digits(s.substr(11, 2)), sec = digits(s.substr(13, 2));
  if (!ymd.ok() || h > 23 || m > 59 || sec > 59) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: it ends in 2262. Dates past this bound (from an
  // untrusted URL) would overflow; no real request is signed there.
  if (ymd.year() < year{1970} || ymd.year() > year{2200}) return std::nullopt;
  return time_point_cast<core::time_point::duration>(sys_days{ymd} + hours{h} + minutes{m} +
                                                     seconds{sec});
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

std::string string_to_sign(std::string_view amz_date, const scope& s,
                           std::string_view canonical_request) {
  std::string out(algorithm);
  out.push_back('\n');
  out += amz_date;
  out.push_back('\n');
  out += s.str();
  out.push_back('\n');
  out += sha256_hex(canonical_request);
  return out;
}

key signing_key(std::string_view secret, const scope& s) {
  std::string k0 = "AWS4";
  k0 += secret;
  auto k_date = hmac(k0, s.date);
  OPENSSL_cleanse(k0.data(), k0.size());
  auto k_region = hmac(as_view(k_date), s.region);
  auto k_service = hmac(as_view(k_region), s.service);
  return hmac(as_view(k_service), "aws4_request");
}

std::string signature(const key& k, std::string_view string_to_sign) {
  auto mac = hmac(as_view(k), string_to_sign);
  return to_hex(mac.data(), mac.size());
}

std::string presign_target(const presign_input& in, const credentials& c) {
  auto date = amz_date(in.time);
  scope s{date.substr(0, 8), in.region, in.service};
  auto headers = canonicalize_headers(in.headers);
  fields query = in.query;
  query.emplace_back("X-Amz-Algorithm", std::string(algorithm));
  if (in.content_sha256_param)
    query.emplace_back("X-Amz-Content-Sha256", std::string(unsigned_payload));
  query.emplace_back("X-Amz-Credential", c.access_key + "/" + s.str());
  query.emplace_back("X-Amz-Date", date);
  query.emplace_back("X-Amz-Expires", std::to_string(in.expires.count()));
  query.emplace_back("X-Amz-SignedHeaders", headers.signed_headers);
  auto uri = canonical_uri(in.path);
  auto cq = canonical_query(query);
  auto creq = canonical_request(in.method, uri, cq, headers, unsigned_payload);
  auto sig = signature(signing_key(c.secret_key, s), string_to_sign(date, s, creq));
  return uri + "?" + cq + "&X-Amz-Signature=" + sig;
}

bool verified::signs(std::string_view header) const {
  return std::find(signed_headers.begin(), signed_headers.end(), header) != signed_headers.end();
}

std::optional<std::string> header_value(const fields& headers, std::string_view name) {
  std::optional<std::string> out;
  for (auto& [k, v] : headers) {
    if (k.size() != name.size() || lower(k) != lower(name)) continue;
    if (out)
      out->push_back(',');
    else
      out.emplace();
    *out += v;
  }
  return out;
}

boost::system::result<verified, verify_error> verify_presigned(const verify_input& in,
                                                               const secret_lookup& secrets) {
  auto fail = [](verify_errc code, std::string message) {
    return verify_error{code, std::move(message)};
  };
  auto t = parse_target(in.raw_target);
  if (!t) return fail(verify_errc::malformed, "The request URI is not validly encoded");

  // Each X-Amz-* authentication parameter exactly once: a repeated one could be read differently
  // by a proxy and by us.
  static constexpr std::string_view names[] = {"X-Amz-Algorithm",     "X-Amz-Credential",
                                               "X-Amz-Date",          "X-Amz-Expires",
                                               "X-Amz-SignedHeaders", "X-Amz-Signature"};
  std::optional<std::string_view> found[std::size(names)];
  std::optional<std::string_view> content_sha256;
  fields signed_query;
  for (auto& [k, v] : t->query) {
    if (k == "X-Amz-Content-Sha256") content_sha256 = v;
    bool is_signature = false;
    for (std::size_t i = 0; i < std::size(names); ++i) {
      if (k != names[i]) continue;
      if (found[i]) return fail(verify_errc::malformed, "Repeated query parameter " + k);
      found[i] = v;
      is_signature = i == 5;
    }
    if (!is_signature) signed_query.emplace_back(k, v);
  }
  for (std::size_t i = 0; i < std::size(names); ++i)
    if (!found[i])
      return fail(verify_errc::malformed,
                  "Query-string authentication requires " + std::string(names[i]));
  auto [alg, credential, date_text, expires_text, signed_text, sig] =
      std::tuple{*found[0], *found[1], *found[2], *found[3], *found[4], *found[5]};

  if (alg != algorithm)
    return fail(verify_errc::malformed, "X-Amz-Algorithm only supports AWS4-HMAC-SHA256");
  auto date = parse_amz_date(date_text);
  if (!date) return fail(verify_errc::malformed, "X-Amz-Date must be in the ISO8601 Long Format");
  // Seven digits are past the 7-day maximum already; more would only risk overflow.
  if (!all_digits(expires_text) || expires_text.size() > 7)
    return fail(verify_errc::malformed, "X-Amz-Expires should be a number");
  std::chrono::seconds expires{digits(expires_text)};
  if (expires < std::chrono::seconds{1} || expires > max_expires)
    return fail(verify_errc::malformed, "X-Amz-Expires must be between 1 and 604800 seconds");
  if (content_sha256 && *content_sha256 != unsigned_payload)
    return fail(verify_errc::malformed, "Only UNSIGNED-PAYLOAD presigned uploads are supported");

  auto cred = split(credential, '/');
  if (cred.size() != 5 || cred[4] != "aws4_request")
    return fail(verify_errc::malformed, "Error parsing the X-Amz-Credential parameter");
  auto secret = secrets(cred[0]);
  if (!secret)
    return fail(verify_errc::unknown_access_key,
                "The access key Id you provided does not exist in our records");
  if (cred[1] != date_text.substr(0, 8) || cred[2] != in.region || cred[3] != in.service)
    return fail(verify_errc::scope_mismatch, "The credential scope does not match this server's");

  std::vector<std::string> signed_headers;
  fields header_values;
  for (auto name : split(signed_text, ';')) {
    if (name.empty() || lower(name) != name)
      return fail(verify_errc::malformed, "X-Amz-SignedHeaders is not a list of lower-case names");
    bool present = false;
    for (auto& [k, v] : in.headers)
      if (k.size() == name.size() && lower(k) == name) {
        header_values.emplace_back(std::string(name), v);
        present = true;
      }
    if (!present)
      return fail(verify_errc::signature_mismatch,
                  "The signed header " + std::string(name) + " is missing");
    signed_headers.emplace_back(name);
  }
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end())
    return fail(verify_errc::malformed, "X-Amz-SignedHeaders must include host");

  scope s{std::string(date_text.substr(0, 8)), std::string(in.region), std::string(in.service)};
  auto headers = canonicalize_headers(header_values);
  auto creq = canonical_request(in.method, canonical_uri(t->path), canonical_query(signed_query),
                                headers, content_sha256 ? *content_sha256 : unsigned_payload);
  auto expected = signature(signing_key(*secret, s), string_to_sign(date_text, s, creq));
  if (sig.size() != expected.size() ||
      CRYPTO_memcmp(sig.data(), expected.data(), expected.size()) != 0)
    return fail(verify_errc::signature_mismatch,
                "The request signature we calculated does not match the signature you provided");

  if (in.now > *date + expires) return fail(verify_errc::expired, "Request has expired");
  if (*date > in.now + max_clock_skew)
    return fail(verify_errc::not_yet_valid, "Request is not valid yet");
  return verified{std::move(*t), *date, expires, std::move(signed_headers)};
}

}  // namespace parley::media::sigv4
