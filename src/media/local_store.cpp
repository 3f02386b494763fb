#include "media/local_store.hpp"

#include "core/ids.hpp"
#include "media/sigv4.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace parley::media {

namespace {

constexpr std::string_view format_tag = "parley-media 1";
// A header is the tag, a content type (bounded by the config's type syntax) and 64 hex digits;
// this bounds how much is read to find it.
constexpr std::size_t max_header_bytes = 1024;
// Uploads in progress live here, on the same filesystem as the objects so link() can publish them.
constexpr std::string_view incoming_dir = ".incoming";

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& p) {
  throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}

struct file_descriptor {
  int fd = -1;
  explicit file_descriptor(int f) : fd(f) {}
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  ~file_descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, std::string_view data, const std::filesystem::path& p) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write", p);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void fsync_dir(const std::filesystem::path& dir) {
  file_descriptor d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0 || ::fsync(d.fd) != 0) throw_errno("cannot fsync", dir);
}

struct header {
  std::string content_type;
  std::string sha256;
  std::uint64_t bytes = 0;  // header length: where the object's bytes start
};

std::optional<header> read_header(int fd) {
  std::string buf(max_header_bytes, '\0');
  auto n = ::pread(fd, buf.data(), buf.size(), 0);
  if (n <= 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  header h;
  std::size_t pos = 0;
  std::string_view lines[3];
  for (auto& line : lines) {
    auto nl = buf.find('\n', pos);
    if (nl == std::string::npos) return std::nullopt;
    line = std::string_view(buf).substr(pos, nl - pos);
    pos = nl + 1;
  }
  if (lines[0] != format_tag || lines[2].size() != 64) return std::nullopt;
  h.content_type = lines[1];
  h.sha256 = lines[2];
  h.bytes = pos;
  return h;
}

}  // namespace

local_store::local_store(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_ / incoming_dir);
  // Nothing is uploading before the store exists: whatever is left in incoming is from a crash.
  for (auto& e : std::filesystem::directory_iterator(dir_ / incoming_dir))
    std::filesystem::remove(e.path());
}

std::filesystem::path local_store::path_for(std::string_view key) const {
  // Two base32 characters fan out to 1,024 directories, so no directory grows huge.
  return dir_ / std::string(key.substr(0, 2)) / std::string(key);
}

local_store::put_result local_store::put(std::string_view key, std::string_view content_type,
                                         std::string_view bytes) {
  auto final_path = path_for(key);
  std::filesystem::create_directories(final_path.parent_path());
  auto temp = dir_ / incoming_dir / (core::random_token(12) + "-" + std::string(key));
  auto digest = sigv4::sha256_hex(bytes);
  std::string head(format_tag);
  head += "\n";
  head += content_type;
  head += "\n";
  head += digest;
  head += "\n";
  {
    file_descriptor f(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (f.fd < 0) throw_errno("cannot create", temp);
    try {
      write_all(f.fd, head, temp);
      write_all(f.fd, bytes, temp);
      if (::fsync(f.fd) != 0) throw_errno("cannot fsync", temp);
    } catch (...) {
      ::unlink(temp.c_str());
      throw;
    }
  }
  // link() publishes the complete file under its name, or fails if the name is taken.
  int rc = ::link(temp.c_str(), final_path.c_str());
  int link_errno = errno;
  ::unlink(temp.c_str());
  if (rc != 0) {
    if (link_errno != EEXIST) {
      errno = link_errno;
      throw_errno("cannot publish", final_path);
    }
    auto existing = stat(key);
    return existing && existing->sha256 == digest && existing->content_type == content_type
               ? put_result::identical
               : put_result::conflict;
  }
  fsync_dir(final_path.parent_path());
  return put_result::created;
}

std::optional<local_store::object> local_store::stat(std::string_view key) const {
  auto p = path_for(key);
  file_descriptor f(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("cannot open", p);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw_errno("cannot stat", p);
  auto h = read_header(f.fd);
  if (!h || static_cast<std::uint64_t>(st.st_size) < h->bytes) return std::nullopt;
  return object{std::move(h->content_type), std::move(h->sha256),
                static_cast<std::uint64_t>(st.st_size) - h->bytes};
}

std::optional<std::string> local_store::read(std::string_view key, std::uint64_t offset,
                                             std::uint64_t length) const {
  auto p = path_for(key);
  file_descriptor f(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("cannot open", p);
  }
  auto h = read_header(f.fd);
  if (!h) return std::nullopt;
  std::string out(length, '\0');
  std::size_t done = 0;
  while (done < length) {
    auto n = ::pread(f.fd, out.data() + done, length - done,
                     static_cast<off_t>(h->bytes + offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", p);
    }
    if (n == 0) break;  // shorter than stat said: cannot happen to a write-once file
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

}  // namespace parley::media
