#pragma once
// Presigned URLs for one bucket of an S3-compatible store (cluster mode), path-style
// (endpoint/bucket/key) or virtual-host style (bucket.endpoint/key), with SigV4 from sigv4.hpp.
#include "media/sigv4.hpp"

#include <string>
#include <string_view>

namespace parley::media {

struct s3_options {
  std::string endpoint;  // scheme://host[:port], no path
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  bool path_style = true;
};

// "http://host:port" → its parts; nullopt unless exactly scheme://authority (a trailing '/' is
// tolerated). A path prefix is refused: the signed path must be the path the server sees.
struct origin {
  std::string scheme;     // "http" | "https"
  std::string authority;  // host[:port], as sent in the Host header
  std::string str() const { return scheme + "://" + authority; }
};
std::optional<origin> parse_origin(std::string_view url);

class s3_presigner {
 public:
  // Throws std::invalid_argument for an unusable endpoint or missing bucket/credentials.
  explicit s3_presigner(s3_options o);

  // A full URL for `method` on object `key`. `headers` are signed in addition to host; `query`
  // adds signed parameters (e.g. response-content-disposition).
  std::string presign(std::string_view method, std::string_view key, const sigv4::fields& headers,
                      const sigv4::fields& query, core::time_point now,
                      std::chrono::seconds expires) const;

  const std::string& host() const { return host_; }
  const s3_options& options() const { return o_; }

 private:
  s3_options o_;
  origin endpoint_;
  std::string host_;  // the Host the URL is signed for
};

}  // namespace parley::media
