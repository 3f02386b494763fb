#pragma once
// Media sharing through presigned URLs (API.md "Media"): `POST /storage/presigned-url` and the
// `/media/{key}` object endpoint.
//
// All-in-one mode: parley presigns URLs for itself (SigV4, its own secret) and is the object store:
// PUT /media/{key}?X-Amz-... is verified (signature, expiry, signed content type and size) and
// stored by local_store; GET/HEAD /media/{key} serve the object without a token, the key being the
// capability (docs/adr/0003).
// Cluster mode (media.s3.endpoint set): uploadUrl is a presigned PUT on the S3 store, and
// GET /media/{key} answers 302 to a short-lived presigned GET there, so viewUrls never expire.
//
// Errors on /media/ are S3-style XML (<Error><Code>SignatureDoesNotMatch</Code>...): clients treat
// the upload URL as S3. The presign endpoint returns a problem for the REST layer's JSON.
//
// Thread-safe; call from worker threads (file I/O blocks).
#include "core/problem.hpp"
#include "core/time.hpp"
#include "http/message.hpp"
#include "media/local_store.hpp"
#include "media/policy.hpp"
#include "core/rate_limit.hpp"
#include "media/s3_presigner.hpp"
#include "media/sigv4.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace parley::media {

struct options {
  std::filesystem::path dir;    // all-in-one objects (and parley's own signing secret)
  std::string public_base_url;  // scheme://host[:port]; empty = http://<Host of the request>
  std::chrono::seconds upload_url_ttl{15 * 60};
  std::chrono::seconds view_url_ttl{10 * 60};
  std::vector<type_limit> types;
  unsigned presigns_per_minute = 30;
  std::optional<s3_options> s3;
};

class service {
 public:
  // Throws std::invalid_argument / std::system_error for a configuration that cannot work
  // (forbidden type, bad URL, unusable directory): start-up errors, never request errors.
  // `presigns` counts presigned URLs per user (shared by every node in a cluster); none given: an
  // in-memory limit of o.presigns_per_minute per minute.
  service(options o, const core::clock& clock, core::rate_limit* presigns = nullptr);

  // `body` is the request JSON {filename, contentType, size?}; `host` the request's Host header.
  // 200 body {uploadUrl, viewUrl, filename}; problems: 400 (with field errors), 429.
  core::outcome<boost::json::value> presign(const std::string& user_id, std::string_view body,
                                            std::optional<std::string> host);

  // GET, HEAD and PUT on /media/{key}. Never throws on request input.
  http::response handle_object(const http::request& req);

  // The largest upload any type allows: the transport's body limit for /media/.
  std::uint64_t largest_max_bytes() const { return policy_.largest_max_bytes(); }
  bool cluster_mode() const { return s3_ != nullptr; }

 private:
  http::response put_local(const http::request& req, std::string_view key);
  http::response get_local(const http::request& req, std::string_view key);
  http::response redirect_to_s3(std::string_view key);

  options o_;
  const core::clock& clock_;
  policy policy_;
  std::optional<origin> public_base_;
  std::unique_ptr<local_store> store_;    // all-in-one mode
  std::unique_ptr<s3_presigner> s3_;      // cluster mode
  sigv4::credentials local_credentials_;  // all-in-one: parley signs for itself
  std::unique_ptr<core::rate_limit> own_presigns_;  // when the constructor got none
  core::rate_limit& presigns_;
};

}  // namespace parley::media
