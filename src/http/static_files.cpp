#include "http/static_files.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace parley::http {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view immutable = "public, max-age=31536000, immutable";
constexpr std::string_view revalidate = "no-cache";

std::string_view extension_of(std::string_view filename) {
  auto dot = filename.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view{} : filename.substr(dot + 1);
}

bool is_within(const fs::path& root, const fs::path& p) {
  auto [r, _] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

}  // namespace

std::string_view content_type_for(std::string_view filename) {
  std::string ext(extension_of(filename));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

bool is_hashed_asset(std::string_view filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return false;
  auto stem = filename.substr(0, dot);
  auto sep = stem.find_last_of("-.");
  if (sep == std::string_view::npos || sep == 0) return false;
  auto hash = stem.substr(sep + 1);
  if (hash.size() < 6) return false;
  bool digit = false, lower = false;
  for (unsigned char c : hash) {
    if (!std::isalnum(c)) return false;
    digit = digit || std::isdigit(c);
    lower = lower || std::islower(c);
  }
  // Words such as `legacy` or `modern` are not hashes: a hash has a digit, or is a long run of
  // upper-case base32 (esbuild's style).
  return digit || (hash.size() >= 8 && !lower);
}

static_files::static_files(const fs::path& root) {
  std::error_code ec;
  root_ = fs::canonical(root, ec);
  if (ec || !fs::is_directory(root_))
    throw std::runtime_error("static_dir " + root.string() + " is not a directory");
}

std::optional<static_file> static_files::resolve(std::string_view path) const {
  if (path.empty() || path.front() != '/' ||
      path.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos)
    return std::nullopt;
  fs::path relative;
  std::string_view last;
  for (std::string_view rest = path.substr(1); !rest.empty();) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.empty()) continue;
    if (segment == "." || segment == "..") return std::nullopt;
    relative /= fs::path(std::string(segment));
    last = segment;
  }
  if (auto file = inspect(root_ / relative)) return file;
  if (!extension_of(last).empty()) return std::nullopt;
  return inspect(root_ / "index.html");
}

std::optional<static_file> static_files::inspect(const fs::path& candidate) const {
  std::error_code ec;
  auto real = fs::canonical(candidate, ec);
  if (ec || !is_within(root_, real)) return std::nullopt;
  if (fs::is_directory(real, ec)) {
    real /= "index.html";
    real = fs::canonical(real, ec);
    if (ec || !is_within(root_, real)) return std::nullopt;
  }
  if (!fs::is_regular_file(real, ec)) return std::nullopt;
  static_file file;
  file.size = fs::file_size(real, ec);
  if (ec) return std::nullopt;
  auto mtime = fs::last_write_time(real, ec);
  if (ec) return std::nullopt;
  // The name asked for decides the type and caching (a symlink inside the root may point to a
  // differently named file).
  auto name = candidate.filename().string();
  if (fs::is_directory(candidate, ec)) name = "index.html";
  file.content_type = content_type_for(name);
  file.cache_control = is_hashed_asset(name) ? immutable : revalidate;
  auto ticks = mtime.time_since_epoch().count();
  file.etag = "\"" + std::to_string(file.size) + "-" + std::to_string(ticks) + "\"";
  file.path = std::move(real);
  return file;
}

}  // namespace parley::http
