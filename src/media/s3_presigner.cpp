#include "media/s3_presigner.hpp"

#include <stdexcept>

namespace parley::media {

std::optional<origin> parse_origin(std::string_view url) {
  origin o;
  for (std::string_view scheme : {"http", "https"}) {
    std::string prefix = std::string(scheme) + "://";
    if (url.starts_with(prefix)) {
      o.scheme = scheme;
      url.remove_prefix(prefix.size());
      break;
    }
  }
  if (o.scheme.empty()) return std::nullopt;
  if (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty()) return std::nullopt;
  for (char c : url) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok) return std::nullopt;  // a path, query, user info or something stranger
  }
  o.authority = url;
  return o;
}

s3_presigner::s3_presigner(s3_options o) : o_(std::move(o)) {
  auto e = parse_origin(o_.endpoint);
  if (!e)
    throw std::invalid_argument("media.s3.endpoint must be http(s)://host[:port]: '" + o_.endpoint +
                                "'");
  if (o_.bucket.empty() || o_.access_key.empty() || o_.secret_key.empty() || o_.region.empty())
    throw std::invalid_argument("media.s3 needs bucket, region, access_key and secret_key");
  endpoint_ = *e;
  host_ = o_.path_style ? endpoint_.authority : o_.bucket + "." + endpoint_.authority;
}

std::string s3_presigner::presign(std::string_view method, std::string_view key,
                                  const sigv4::fields& headers, const sigv4::fields& query,
                                  core::time_point now, std::chrono::seconds expires) const {
  sigv4::presign_input in;
  in.method = method;
  in.path = o_.path_style ? "/" + o_.bucket + "/" + std::string(key) : "/" + std::string(key);
  in.query = query;
  in.headers = headers;
  in.headers.emplace_back("host", host_);
  in.region = o_.region;
  in.time = now;
  in.expires = expires;
  return endpoint_.scheme + "://" + host_ +
         sigv4::presign_target(in, {o_.access_key, o_.secret_key});
}

}  // namespace parley::media
