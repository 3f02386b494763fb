#include "media/policy.hpp"

#include "core/ids.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace parley::media {

namespace {

struct known_type {
  std::string_view content_type;
  std::string_view extension;
};

// One extension per type, so a key's extension maps back to exactly one type.
constexpr known_type known_types[] = {
    {"image/png", "png"},
    {"image/jpeg", "jpg"},
    {"image/gif", "gif"},
    {"image/webp", "webp"},
    {"image/avif", "avif"},
    {"image/heic", "heic"},
    {"image/bmp", "bmp"},
    {"application/pdf", "pdf"},
    {"text/plain", "txt"},
    {"text/csv", "csv"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
    {"application/vnd.oasis.opendocument.text", "odt"},
    {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
    {"application/vnd.oasis.opendocument.presentation", "odp"},
    {"application/zip", "zip"},
    {"audio/mpeg", "mp3"},
    {"audio/ogg", "oga"},
    {"audio/wav", "wav"},
    {"audio/webm", "weba"},
    {"audio/mp4", "m4a"},
    {"audio/aac", "aac"},
    {"audio/flac", "flac"},
    {"video/mp4", "mp4"},
    {"video/webm", "webm"},
    {"video/quicktime", "mov"},
    {"video/ogg", "ogv"},
};

constexpr char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Length of the UTF-8 sequence starting at s[i] and its code point; 0 when invalid (overlong,
// surrogate, out of range or truncated).
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? b : b & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 2) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  static constexpr char32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// Characters that must not reach a display name: C0/C1 controls, DEL, and the bidirectional
// overrides and isolates that make "cod.exe" display as "exe.doc".
bool is_hidden_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0xfeff;
}

}  // namespace

bool is_forbidden_type(std::string_view t) {
  auto type = lower(t);
  auto has = [&](std::string_view part) { return type.find(part) != std::string::npos; };
  // Every XML document type (SVG, XHTML, XSLT can carry script) and anything scripted or
  // executable, matched loosely on purpose: a near miss costs an upload type, a hole costs stored
  // XSS on parley's origin. (Office Open XML types are zip archives, not XML documents.)
  static constexpr std::string_view fragments[] = {"html",
                                                   "xsl",
                                                   "javascript",
                                                   "ecmascript",
                                                   "x-sh",
                                                   "shellscript",
                                                   "msdownload",
                                                   "ms-dos",
                                                   "msdos",
                                                   "executable",
                                                   "portable-executable",
                                                   "java-archive",
                                                   "x-elf",
                                                   "mach-binary",
                                                   "x-msi",
                                                   "x-apple-diskimage",
                                                   "x-bat",
                                                   "x-csh",
                                                   "x-perl",
                                                   "x-python",
                                                   "octet-stream",
                                                   "vnd.android.package-archive",
                                                   "x-httpd-php",
                                                   "wasm"};
  auto slash = type.find('/');
  std::string_view subtype =
      slash == std::string::npos ? std::string_view{} : std::string_view(type).substr(slash + 1);
  if (subtype == "xml" || subtype.ends_with("+xml")) return true;
  return std::any_of(std::begin(fragments), std::end(fragments), has) ||
         type.starts_with("text/x-") || type == "text/css" || type.starts_with("multipart/");
}

bool is_inline_type(std::string_view t) {
  return t.starts_with("image/") || t.starts_with("audio/") || t.starts_with("video/");
}

policy::policy(std::vector<type_limit> types) : types_(std::move(types)) {
  for (auto& t : types_) {
    if (t.content_type.empty() || t.content_type != lower(t.content_type) ||
        t.content_type.find('/') == std::string::npos ||
        t.content_type.find(';') != std::string::npos)
      throw std::invalid_argument("media type '" + t.content_type +
                                  "' is not a lower-case type/subtype");
    if (is_forbidden_type(t.content_type))
      throw std::invalid_argument("media type '" + t.content_type +
                                  "' is never allowed: it is active content or an executable");
  }
}

const type_limit* policy::find(std::string_view content_type) const {
  for (auto& t : types_)
    if (t.content_type == content_type) return &t;
  return nullptr;
}

std::uint64_t policy::largest_max_bytes() const {
  std::uint64_t m = 0;
  for (auto& t : types_) m = std::max(m, t.max_bytes);
  return m;
}

std::string sanitize_filename(std::string_view name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string clean;
  clean.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    auto n = utf8_sequence(name, i, cp);
    if (n == 0) {
      clean.push_back('_');
      ++i;
      continue;
    }
    if (!is_hidden_control(cp)) {
      // Quotes would end a Content-Disposition parameter; the rest are reserved on some
      // filesystems.
      if (n == 1 &&
          std::string_view("\"<>:|?*").find(static_cast<char>(cp)) != std::string_view::npos)
        clean.push_back('_');
      else
        clean.append(name.substr(i, n));
    }
    i += n;
  }
  // Leading dots make hidden files; trailing dots and spaces are dropped by Windows anyway.
  auto first = clean.find_first_not_of(" .");
  auto last = clean.find_last_not_of(" .");
  clean = first == std::string::npos ? std::string{} : clean.substr(first, last - first + 1);
  if (clean.empty()) return "file";
  if (clean.size() <= max_filename_bytes) return clean;

  std::string ext;
  if (auto dot = clean.rfind('.');
      dot != std::string::npos && clean.size() - dot - 1 <= max_extension_chars)
    ext = clean.substr(dot);
  auto stem_bytes = max_filename_bytes - ext.size();
  // Cut on a code point boundary: never leave half a UTF-8 sequence.
  while (stem_bytes > 0 && (static_cast<unsigned char>(clean[stem_bytes]) & 0xc0) == 0x80)
    --stem_bytes;
  return clean.substr(0, stem_bytes) + ext;
}

std::string_view extension_for(std::string_view content_type) {
  for (auto& k : known_types)
    if (k.content_type == content_type) return k.extension;
  return {};
}

std::string_view type_for_extension(std::string_view ext) {
  for (auto& k : known_types)
    if (k.extension == ext) return k.content_type;
  return {};
}

std::string new_key(std::string_view content_type, std::string_view sanitized_filename) {
  std::array<unsigned char, key_random_bytes> bytes{};
  core::secure_random(bytes.data(), bytes.size());
  std::string key;
  // 5 bits per character, most significant first; 128 bits make 26 characters.
  unsigned buffer = 0;
  int bits = 0;
  for (auto b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      key.push_back(base32_alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) key.push_back(base32_alphabet[(buffer << (5 - bits)) & 31]);

  std::string ext(extension_for(content_type));
  if (ext.empty()) {
    auto dot = sanitized_filename.rfind('.');
    auto candidate =
        dot == std::string_view::npos ? std::string{} : lower(sanitized_filename.substr(dot + 1));
    if (!candidate.empty() && candidate.size() <= max_extension_chars &&
        std::all_of(candidate.begin(), candidate.end(), is_lower_alnum))
      ext = candidate;
  }
  if (!ext.empty()) key += "." + ext;
  return key;
}

bool is_valid_key(std::string_view key) {
  constexpr std::size_t random_chars = (key_random_bytes * 8 + 4) / 5;
  if (key.size() < random_chars) return false;
  for (std::size_t i = 0; i < random_chars; ++i)
    if (std::string_view(base32_alphabet).find(key[i]) == std::string_view::npos) return false;
  auto rest = key.substr(random_chars);
  if (rest.empty()) return true;
  if (rest[0] != '.' || rest.size() < 2 || rest.size() - 1 > max_extension_chars) return false;
  return std::all_of(rest.begin() + 1, rest.end(), is_lower_alnum);
}

std::string_view key_extension(std::string_view key) {
  auto dot = key.find('.');
  return dot == std::string_view::npos ? std::string_view{} : key.substr(dot + 1);
}

}  // namespace parley::media
