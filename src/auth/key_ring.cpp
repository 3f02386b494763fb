#include "auth/key_ring.hpp"

#include "core/base64url.hpp"
#include "auth/sha256.hpp"

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace parley::auth {

namespace {

namespace fs = std::filesystem;

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct bio_deleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct bn_deleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;
using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;

// Throws with OpenSSL's reason, and empties this thread's error queue so that a stale entry
// cannot be mistaken later for the failure of an unrelated call (TLS reads it too).
[[noreturn]] void throw_openssl(const std::string& what) {
  char reason[256] = "unknown error";
  if (unsigned long e = ERR_peek_last_error()) ERR_error_string_n(e, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error(what + ": " + reason);
}

constexpr std::string_view file_prefix = "jwt-";
constexpr std::size_t sequence_digits = 8;

// The sequence of a generated key file name `jwt-NNNNNNNN-<kid>.pem`, 0 for any other name.
unsigned long sequence_of(const std::string& name) {
  if (name.size() < file_prefix.size() + sequence_digits + 1 || !name.starts_with(file_prefix) ||
      name[file_prefix.size() + sequence_digits] != '-')
    return 0;
  const char* first = name.data() + file_prefix.size();
  unsigned long seq = 0;
  auto [end, ec] = std::from_chars(first, first + sequence_digits, seq);
  return ec == std::errc{} && end == first + sequence_digits ? seq : 0;
}

std::vector<fs::path> pem_files(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".pem")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

std::string bn_param(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) throw_openssl("cannot read RSA parameter");
  bn_ptr bn(raw);
  // BN_bn2bin writes the minimal unsigned big-endian form: no sign byte, unlike Java's
  // BigInteger.toByteArray() that the original put in its JWKS.
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return core::base64url_encode(bytes);
}

// Refuses to prompt on the terminal for the passphrase of an encrypted key (OpenSSL's default).
int no_passphrase(char*, int, int, void*) { return -1; }

pkey_ptr read_key(const fs::path& file) {
  bio_ptr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) throw_openssl("cannot open JWT key " + file.string());
  pkey_ptr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!pkey) throw_openssl("cannot read JWT key " + file.string() + " (unencrypted PEM expected)");
  if (!EVP_PKEY_is_a(pkey.get(), "RSA"))
    throw std::runtime_error("JWT key " + file.string() + " is not an RSA key");
  if (EVP_PKEY_get_bits(pkey.get()) < rsa_key_bits)
    throw std::runtime_error("JWT key " + file.string() + " is shorter than 2048 bits");
  return pkey;
}

// Reads errno before building the message, which may allocate and so disturb it.
[[noreturn]] void throw_errno(const char* operation, const fs::path& file) {
  int err = errno;
  throw std::system_error(err, std::generic_category(), operation + (" " + file.string()));
}

void write_all(int fd, const char* data, std::size_t n, const fs::path& file) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw_errno("write", file);
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Owns a POSIX file descriptor: the unique_ptr idiom used for OpenSSL handles does not fit an int.
class unique_fd {
 public:
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes `bytes` to `file` with mode 0600 from the first byte (never world-readable, whatever the
// umask), durably, and atomically: a temporary file, fsync, rename, fsync of the directory.
void write_private_file(const fs::path& file, const char* bytes, std::size_t n) {
  fs::path tmp = file;
  tmp += ".tmp";  // not *.pem, so a crash before the rename leaves nothing that would be loaded
  {
    unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) throw_errno("create", tmp);
    try {
      if (::fchmod(fd.get(), 0600) != 0) throw_errno("chmod", tmp);
      write_all(fd.get(), bytes, n, tmp);
      if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  fs::rename(tmp, file);
  // Makes the rename itself durable. Best effort: the key is already complete on disk.
  unique_fd dir(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
}

struct key {
  std::string kid;
  std::string n;  // base64url
  std::string e;  // base64url
  pkey_ptr pkey;
};

key make_key(pkey_ptr pkey) {
  key k;
  k.n = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  k.e = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  // RFC 7638: the required members in lexicographic order, no whitespace. The base64url
  // alphabet needs no JSON escaping, so plain concatenation is the canonical form.
  sha256_digest thumbprint = sha256(R"({"e":")" + k.e + R"(","kty":"RSA","n":")" + k.n + R"("})");
  k.kid = core::base64url_encode({reinterpret_cast<const char*>(thumbprint.data()), thumbprint.size()});
  k.pkey = std::move(pkey);
  return k;
}

}  // namespace

struct key_ring::impl {
  std::vector<key> keys;  // oldest first; back() signs
  std::string jwks;
};

key_ring::key_ring(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
key_ring::key_ring(key_ring&&) noexcept = default;
key_ring& key_ring::operator=(key_ring&&) noexcept = default;
key_ring::~key_ring() = default;

namespace {

// Holds an exclusive flock(2) on `<dir>/.lock` from construction to destruction, creating `dir`
// (mode 0700: it holds private keys only; an existing one keeps the operator's mode) first.
// Nodes that share one key directory and start together thus see each other's first key instead
// of each making its own, which would leave each unable to verify the other's tokens.
class dir_lock {
 public:
  explicit dir_lock(const fs::path& dir) : fd_(open_lock_file(dir)) {
    while (::flock(fd_.get(), LOCK_EX) != 0)
      if (errno != EINTR) throw_errno("flock", dir / ".lock");
  }

 private:
  static int open_lock_file(const fs::path& dir) {
    if (fs::create_directories(dir))
      fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    int fd = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno("open", dir / ".lock");
    return fd;
  }
  unique_fd fd_;  // closing it releases the lock
};

// create_key() with the directory's lock held.
std::string create_key_locked(const fs::path& dir) {
  unsigned long seq = 0;
  for (const auto& f : pem_files(dir)) seq = std::max(seq, sequence_of(f.filename().string()));

  pkey_ptr pkey(EVP_RSA_gen(rsa_key_bits));
  if (!pkey) throw_openssl("RSA key generation failed");
  bio_ptr pem(BIO_new(BIO_s_mem()));
  if (!pem || PEM_write_bio_PKCS8PrivateKey(pem.get(), pkey.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1)
    throw_openssl("cannot encode JWT key");
  char* data = nullptr;
  long len = BIO_get_mem_data(pem.get(), &data);
  if (len <= 0) throw std::runtime_error("cannot encode JWT key");

  std::string kid = make_key(std::move(pkey)).kid;
  std::string seq_text = std::to_string(seq + 1);
  seq_text.insert(0, sequence_digits - std::min(sequence_digits, seq_text.size()), '0');
  write_private_file(dir / (std::string(file_prefix) + seq_text + "-" + kid + ".pem"), data,
                     static_cast<std::size_t>(len));
  return kid;
}

}  // namespace

std::string key_ring::create_key(const fs::path& dir) {
  dir_lock lock(dir);
  return create_key_locked(dir);
}

key_ring key_ring::load_or_create(const fs::path& dir) {
  // Keys present: only read them, so a read-only directory (a mounted secret) works. The lock is
  // for the first start, when some node must create the key.
  std::vector<fs::path> files = pem_files(dir);
  if (files.empty()) {
    dir_lock lock(dir);
    files = pem_files(dir);
    if (files.empty()) {
      create_key_locked(dir);
      files = pem_files(dir);
    }
  }
  auto p = std::make_unique<impl>();
  for (const auto& f : files) {
    key k = make_key(read_key(f));
    // The same key under two names (a backup copy) is one key: keep its newest position.
    std::erase_if(p->keys, [&](const key& other) { return other.kid == k.kid; });
    p->keys.push_back(std::move(k));
  }

  boost::json::array jwks_keys;
  for (auto it = p->keys.rbegin(); it != p->keys.rend(); ++it)
    jwks_keys.push_back(boost::json::object{{"kty", "RSA"}, {"kid", it->kid}, {"use", "sig"},
                                            {"alg", "RS256"}, {"n", it->n}, {"e", it->e}});
  p->jwks = boost::json::serialize(boost::json::object{{"keys", std::move(jwks_keys)}});
  return key_ring(std::move(p));
}

const std::string& key_ring::signing_kid() const { return impl_->keys.back().kid; }

std::vector<std::string> key_ring::kids() const {
  std::vector<std::string> out;
  for (const auto& k : impl_->keys) out.push_back(k.kid);
  return out;
}

bool key_ring::has_key(std::string_view kid) const {
  return std::any_of(impl_->keys.begin(), impl_->keys.end(),
                     [&](const key& k) { return k.kid == kid; });
}

std::string key_ring::sign(std::string_view data) const {
  EVP_PKEY* pkey = impl_->keys.back().pkey.get();
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  // An RSA key's default padding is PKCS#1 v1.5, which is what RS256 means.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, nullptr, 0) != 1)
    throw_openssl("JWT signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    throw_openssl("JWT signing failed");
  sig.resize(len);
  return sig;
}

bool key_ring::verify(std::string_view kid, std::string_view data,
                      std::string_view signature) const {
  auto it = std::find_if(impl_->keys.begin(), impl_->keys.end(),
                         [&](const key& k) { return k.kid == kid; });
  if (it == impl_->keys.end()) return false;
  EVP_PKEY* pkey = it->pkey.get();
  // An RSA signature is exactly the modulus size; refusing other lengths up front leaves no
  // room for OpenSSL leniency about short (unpadded) signatures.
  if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey))) return false;
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  // A mismatch leaves an entry in this thread's error queue; it is not an error of ours.
  if (!ok) ERR_clear_error();
  return ok;
}

const std::string& key_ring::jwks_json() const { return impl_->jwks; }

}  // namespace parley::auth
