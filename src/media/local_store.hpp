#pragma once
// The all-in-one object store: one file per object under <dir>/<first two key chars>/<key>.
//
// Each file starts with a small text header (format tag, content type, SHA-256 of the bytes)
// followed by the bytes, so an object and its metadata appear in one atomic step. A write goes to
// a temporary file in the same directory, is fsynced, then link()ed to its final name, which fails
// if the name exists: a crashed or partial upload is never visible, and objects are write-once,
// which is what makes `Cache-Control: immutable` true. Temporary files left by a crash are removed
// at start-up.
//
// Rejected: a sidecar metadata file (two renames cannot be atomic together) and SQLite (the bytes
// would go through the single writer thread that orders chat messages).
//
// Blocking file I/O: call from worker threads. Infrastructure failures throw std::system_error.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace parley::media {

class local_store {
 public:
  explicit local_store(std::filesystem::path dir);

  enum class put_result {
    created,    // the object now exists
    identical,  // it existed with the same bytes and type (a retried upload): nothing changed
    conflict,   // it existed with other content; objects are write-once
  };
  put_result put(std::string_view key, std::string_view content_type, std::string_view bytes);

  struct object {
    std::string content_type;
    std::string sha256;  // hex
    std::uint64_t size = 0;
  };
  std::optional<object> stat(std::string_view key) const;
  // Reads [offset, offset+length) of the object's bytes; nullopt when it is gone.
  std::optional<std::string> read(std::string_view key, std::uint64_t offset,
                                  std::uint64_t length) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path path_for(std::string_view key) const;
  std::filesystem::path dir_;
};

}  // namespace parley::media
