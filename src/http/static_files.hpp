#pragma once
// Static files of the built web client (an Angular SPA), resolved without I/O on sockets so every
// path rule is unit-tested. The files are read with blocking filesystem calls on the I/O thread:
// they are few, small and in the page cache; a CDN or the load balancer serves them at scale.
//
// Rules: only paths inside the root (no `.`/`..` segments, no backslashes or NULs, and the
// canonical path, symlinks resolved, must stay under the canonical root); a directory means its
// index.html; an unknown path without a file extension is a client-side route and gets the root
// index.html (SPA fallback); anything else unknown is a 404. Hashed asset names
// (`main-ABC123.js`) are cached for a year as immutable; everything else revalidates (ETag).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace parley::http {

struct static_file {
  std::filesystem::path path;  // canonical, inside the root
  std::string_view content_type;
  std::string_view cache_control;
  std::uintmax_t size = 0;
  std::string etag;  // from size and modification time
};

class static_files {
 public:
  // Throws std::runtime_error when `root` is not a directory.
  explicit static_files(const std::filesystem::path& root);

  // The file for a percent-decoded request path, or nullopt for a 404.
  std::optional<static_file> resolve(std::string_view path) const;

 private:
  std::optional<static_file> inspect(const std::filesystem::path& candidate) const;

  std::filesystem::path root_;  // canonical
};

std::string_view content_type_for(std::string_view filename);

// `main-ABC123.js`, `chunk-2XJSZQ7L.js`, `styles.3f2a1b4c5d6e7f80.css`: a bundler's content hash
// before the extension, so the name changes whenever the content does.
bool is_hashed_asset(std::string_view filename);

}  // namespace parley::http
