#include "media/service.hpp"

#include "core/ids.hpp"
#include "core/json.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <stdexcept>

namespace parley::media {

namespace json = boost::json;
using core::problem;

namespace {

// All-in-one mode signs with parley's own credentials, in the region S3 clients assume by default.
constexpr std::string_view local_region = "us-east-1";
constexpr std::string_view local_access_key = "parley";
// 256 bits of HMAC key, the size of the SHA-256 block it feeds.
constexpr std::size_t local_secret_bytes = 32;
constexpr std::string_view secret_file = ".signing-key";
// Objects never change (write-once keys), so any cache may keep them for the HTTP maximum.
constexpr std::string_view immutable_cache = "public, max-age=31536000, immutable";
// Cluster mode: how long a browser may reuse the redirect to the store; well inside the window
// in which the presigned GET it points to stays valid.
constexpr std::string_view redirect_cache = "private, max-age=60";

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// The error document S3 returns, so S3 clients (and people reading curl output) recognise it.
http::response s3_error(int status, std::string_view code, std::string_view message,
                        std::string_view resource) {
  http::response r;
  r.status = status;
  r.content_type = "application/xml";
  r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) +
           "</Code><Message>" + xml_escape(message) + "</Message><Resource>" +
           xml_escape(resource) + "</Resource><RequestId>" + core::random_token(8) +
           "</RequestId></Error>";
  return r;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

// Parley's own SigV4 secret: created once, kept with the media it protects, readable by the
// server's user only. Rotating it invalidates outstanding upload URLs, nothing else.
// Cluster nodes that share one media directory share the secret; when they start together, the
// first link(2) of a complete file under the name wins and every other node reads that one.
std::string read_secret(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  if (s.size() != 2 * local_secret_bytes)
    throw std::invalid_argument("media signing key " + path.string() + " is malformed");
  return s;
}

std::string load_or_create_secret(const std::filesystem::path& dir) {
  auto path = dir / secret_file;
  if (std::filesystem::exists(path)) return read_secret(path);
  unsigned char bytes[local_secret_bytes];
  core::secure_random(bytes, sizeof bytes);
  auto secret = hex(bytes, sizeof bytes);
  unsigned char name[8];  // a temporary name of its own per process, unrelated to the secret
  core::secure_random(name, sizeof name);
  auto temp = path;
  temp += "." + hex(name, sizeof name) + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "cannot create " + temp.string());
  auto line = secret + "\n";
  errno = 0;
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  int linked = ok ? ::link(temp.c_str(), path.c_str()) : -1;
  int err = ok ? errno : (errno ? errno : EIO);  // a short write sets no errno (cleared below)
  ::unlink(temp.c_str());
  if (linked == 0) return secret;
  if (ok && err == EEXIST) return read_secret(path);  // another node was first
  throw std::system_error(err, std::generic_category(), "cannot write " + path.string());
}

struct byte_range {
  std::uint64_t first = 0, last = 0;  // inclusive
};

// One `bytes=` range (RFC 9110 §14.1.2). nullopt: serve the whole object (no header, several
// ranges, or a malformed one, which the RFC says to ignore). `unsatisfiable`: answer 416.
std::optional<byte_range> parse_range(std::string_view h, std::uint64_t size, bool& unsatisfiable) {
  unsatisfiable = false;
  if (!h.starts_with("bytes=")) return std::nullopt;
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::nullopt;
  auto dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  };
  auto first_text = h.substr(0, dash), last_text = h.substr(dash + 1);
  if (first_text.empty()) {  // suffix: the last N bytes
    auto n = number(last_text);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) {
      unsatisfiable = true;
      return std::nullopt;
    }
    return byte_range{size - std::min(*n, size), size - 1};
  }
  auto first = number(first_text);
  if (!first) return std::nullopt;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    auto l = number(last_text);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, last);
  }
  if (*first >= size) {
    unsatisfiable = true;
    return std::nullopt;
  }
  return byte_range{*first, last};
}

}  // namespace

service::service(options o, const core::clock& clock, core::rate_limit* presigns)
    : o_(std::move(o)),
      clock_(clock),
      policy_(o_.types),
      own_presigns_(presigns ? nullptr
                             : std::make_unique<core::memory_rate_limit>(
                                   o_.presigns_per_minute, std::chrono::seconds(60), clock_)),
      presigns_(presigns ? *presigns : *own_presigns_) {
  if (!o_.public_base_url.empty()) {
    public_base_ = parse_origin(o_.public_base_url);
    if (!public_base_)
      throw std::invalid_argument(
          "media.public_base_url must be http(s)://host[:port] without a path: '" +
          o_.public_base_url + "'");
  }
  if (o_.upload_url_ttl < std::chrono::seconds(1) || o_.upload_url_ttl > sigv4::max_expires ||
      o_.view_url_ttl < std::chrono::seconds(2) || o_.view_url_ttl > sigv4::max_expires)
    throw std::invalid_argument("media URL lifetimes must be between 2 s and 7 days");
  if (o_.s3) {
    s3_ = std::make_unique<s3_presigner>(*o_.s3);
  } else {
    store_ = std::make_unique<local_store>(o_.dir);
    local_credentials_ = {std::string(local_access_key), load_or_create_secret(o_.dir)};
  }
}

core::outcome<json::value> service::presign(const std::string& user_id, std::string_view body,
                                            std::optional<std::string> host) {
  auto parsed = core::parse_json(body);
  if (!parsed) return parsed.error();
  auto* obj = parsed->if_object();
  if (!obj) return problem::bad_request("The body must be a JSON object");
  auto filename = core::get_string(*obj, "filename");
  if (!filename) return filename.error();
  auto content_type = core::get_string(*obj, "contentType");
  if (!content_type) return content_type.error();
  auto size = core::get_int(*obj, "size");
  if (!size) return size.error();

  std::map<std::string, std::string> errors;
  if (!*filename || filename->value().empty()) errors["filename"] = "must not be empty";
  const type_limit* rule = nullptr;
  if (!*content_type || content_type->value().empty()) {
    errors["contentType"] = "must not be empty";
  } else {
    rule = policy_.find(lower(**content_type));
    if (!rule) errors["contentType"] = "is not an allowed media type";
  }
  if (*size) {
    auto n = **size;
    if (n < 0)
      errors["size"] = "must not be negative";
    else if (rule && static_cast<std::uint64_t>(n) > rule->max_bytes)
      errors["size"] = "exceeds the " + std::to_string(rule->max_bytes) + "-byte limit for " +
                       rule->content_type;
  } else if (s3_) {
    // A presigned PUT can pin an exact Content-Length but not a maximum, so with an external
    // store the size is what enforces the limit.
    errors["size"] = "is required: uploads go to an S3 store that can only enforce an exact size";
  }
  std::optional<origin> base = public_base_;
  if (!base) {
    if (host) base = parse_origin("http://" + *host);
    if (!base) errors["host"] = "the request needs a valid Host header";
  }
  if (!errors.empty()) return problem(core::errc::invalid_body, "Validation failed", std::move(errors));

  // Counted after validation: the limit is on issued URLs (each may store up to a type's maximum).
  if (!presigns_.take(user_id))
    return problem::rate_limited("Too many upload URLs requested; try again in a minute");

  auto name = sanitize_filename(**filename);
  auto key = new_key(rule->content_type, name);
  sigv4::fields headers{{"content-type", rule->content_type}};
  if (*size) headers.emplace_back("content-length", std::to_string(**size));
  auto now = clock_.now();

  std::string upload_url;
  if (s3_) {
    upload_url = s3_->presign("PUT", key, headers, {}, now, o_.upload_url_ttl);
  } else {
    sigv4::presign_input in;
    in.method = "PUT";
    in.path = "/media/" + key;
    in.headers = std::move(headers);
    in.headers.emplace_back("host", base->authority);
    in.region = local_region;
    in.time = now;
    in.expires = o_.upload_url_ttl;
    upload_url = base->str() + sigv4::presign_target(in, local_credentials_);
  }
  return json::value(json::object{
      {"uploadUrl", upload_url}, {"viewUrl", base->str() + "/media/" + key}, {"filename", name}});
}

http::response service::handle_object(const http::request& req) {
  auto target = sigv4::parse_target(req.target);
  std::string_view path = target ? std::string_view(target->path) : std::string_view{};
  constexpr std::string_view prefix = "/media/";
  if (!target || !path.starts_with(prefix) || !is_valid_key(path.substr(prefix.size())))
    return s3_error(404, "NoSuchKey", "The specified key does not exist.", req.path);
  auto key = path.substr(prefix.size());
  try {
    if (req.method == "GET" || req.method == "HEAD")
      return s3_ ? redirect_to_s3(key) : get_local(req, key);
    if (req.method == "PUT") {
      if (s3_)
        return s3_error(405, "MethodNotAllowed", "Uploads go to the S3 store's uploadUrl",
                        req.path);
      return put_local(req, key);
    }
    auto r = s3_error(405, "MethodNotAllowed",
                      "The specified method is not allowed against this resource.", req.path);
    r.headers.emplace_back("Allow", s3_ ? "GET, HEAD" : "GET, HEAD, PUT");
    return r;
  } catch (const std::exception& e) {
    spdlog::error("media {} {} failed: {}", req.method, req.path, e.what());
    return s3_error(500, "InternalError", "We encountered an internal error. Please try again.",
                    req.path);
  }
}

http::response service::put_local(const http::request& req, std::string_view key) {
  const auto& resource = req.path;
  auto target = sigv4::parse_target(req.target);
  bool presigned = false;
  for (auto& [k, v] : target->query) presigned = presigned || k.starts_with("X-Amz-");
  if (!presigned)
    return s3_error(403, "AccessDenied",
                    "Uploads need the presigned uploadUrl from POST /storage/presigned-url",
                    resource);

  auto v = sigv4::verify_presigned(
      {req.method, req.target, req.headers, clock_.now(), local_region, "s3"},
      [this](std::string_view access_key) -> std::optional<std::string> {
        if (access_key != local_credentials_.access_key) return std::nullopt;
        return local_credentials_.secret_key;
      });
  if (!v) {
    auto e = v.error();
    switch (e.code) {
      case sigv4::verify_errc::malformed:
      case sigv4::verify_errc::scope_mismatch:
        return s3_error(400, "AuthorizationQueryParametersError", e.message, resource);
      case sigv4::verify_errc::unknown_access_key:
        return s3_error(403, "InvalidAccessKeyId", e.message, resource);
      case sigv4::verify_errc::expired:
      case sigv4::verify_errc::not_yet_valid:
        return s3_error(403, "AccessDenied", e.message, resource);
      case sigv4::verify_errc::signature_mismatch:
        return s3_error(403, "SignatureDoesNotMatch", e.message, resource);
    }
  }
  // Parley only signs uploads that pin the content type; anything else was not made by us.
  if (!v->signs("content-type"))
    return s3_error(403, "AccessDenied", "The upload URL must sign Content-Type", resource);
  auto content_type = sigv4::header_value(req.headers, "content-type").value_or("");
  auto rule = policy_.find(content_type);
  if (!rule) return s3_error(403, "AccessDenied", "This media type is not accepted", resource);
  if (req.body.size() > rule->max_bytes)
    return s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                    resource);
  if (v->signs("content-length") &&
      sigv4::header_value(req.headers, "content-length") != std::to_string(req.body.size()))
    return s3_error(400, "IncompleteBody", "The body does not have the signed Content-Length",
                    resource);

  auto result = store_->put(key, content_type, req.body);
  if (result == local_store::put_result::conflict)
    return s3_error(412, "PreconditionFailed",
                    "An object with this key exists; objects never change", resource);
  http::response r;
  r.content_type.clear();
  auto object = store_->stat(key);
  if (object) r.headers.emplace_back("ETag", "\"" + object->sha256 + "\"");
  return r;
}

http::response service::get_local(const http::request& req, std::string_view key) {
  auto object = store_->stat(key);
  if (!object) return s3_error(404, "NoSuchKey", "The specified key does not exist.", req.path);
  auto etag = "\"" + object->sha256 + "\"";
  http::response r;
  r.content_type = object->content_type;
  r.headers = {
      {"ETag", etag},
      {"Cache-Control", std::string(immutable_cache)},
      {"X-Content-Type-Options", "nosniff"},
      {"Accept-Ranges", "bytes"},
      // Even if a browser renders something as a document, it gets no script and no origin.
      {"Content-Security-Policy", "sandbox"}};
  if (!is_inline_type(object->content_type))
    r.headers.emplace_back("Content-Disposition", "attachment");

  if (auto inm = sigv4::header_value(req.headers, "if-none-match");
      inm && (inm->find(etag) != std::string::npos || *inm == "*")) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }

  byte_range range;
  bool partial = false;
  auto if_range = sigv4::header_value(req.headers, "if-range");
  if (auto h = sigv4::header_value(req.headers, "range"); h && (!if_range || *if_range == etag)) {
    bool unsatisfiable = false;
    auto parsed = parse_range(*h, object->size, unsatisfiable);
    if (unsatisfiable) {
      auto e = s3_error(416, "InvalidRange", "The requested range is not satisfiable", req.path);
      e.headers.emplace_back("Content-Range", "bytes */" + std::to_string(object->size));
      return e;
    }
    if (parsed) {
      range = *parsed;
      partial = true;
      r.status = 206;
      r.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                  std::to_string(range.last) + "/" +
                                                  std::to_string(object->size));
    }
  }
  std::uint64_t length = partial ? range.last - range.first + 1 : object->size;
  if (req.method == "HEAD") {
    // The transport takes Content-Length from the body and drops the body of a HEAD response:
    // a body of the right length, never read from disk.
    r.body.assign(length, '\0');
    return r;
  }
  auto bytes = store_->read(key, range.first, length);
  if (!bytes) return s3_error(404, "NoSuchKey", "The specified key does not exist.", req.path);
  r.body = std::move(*bytes);
  return r;
}

http::response service::redirect_to_s3(std::string_view key) {
  // Every view inside the same half-lifetime gets the same URL, so browsers can cache the object
  // behind it; each URL still has at least half its lifetime left when handed out.
  auto half = o_.view_url_ttl / 2;
  auto now = clock_.now();
  auto since_epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  core::time_point signed_at{since_epoch - since_epoch % half};
  sigv4::fields query;
  auto type = type_for_extension(key_extension(key));
  if (type.empty() || !is_inline_type(type))
    query.emplace_back("response-content-disposition", "attachment");
  http::response r;
  r.status = 302;
  r.content_type.clear();
  r.headers = {{"Location", s3_->presign("GET", key, {}, query, signed_at, o_.view_url_ttl)},
               {"Cache-Control", std::string(redirect_cache)}};
  return r;
}

}  // namespace parley::media
