#pragma once
// What may be uploaded and under which name: the content-type allow-list with per-type limits,
// filename sanitising, and object keys.
//
// A key is 128 random bits (26 chars of lower-case base32) plus an extension chosen from the
// content type, e.g. `k3v...q7a.png`. The key is the capability that lets anyone with the viewUrl
// read the object (docs/adr/0003). The extension comes from the signed content type rather than
// the client's filename so that, in cluster mode, the key alone says how to serve the object.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::media {

struct type_limit {
  std::string content_type;  // lower-case, no parameters
  std::uint64_t max_bytes = 0;
};

// The longest filename kept: fits every filesystem's 255-byte name limit with room to spare,
// and a Content-Disposition header line.
inline constexpr std::size_t max_filename_bytes = 200;
// Extensions longer than this are not extensions a viewer recognises.
inline constexpr std::size_t max_extension_chars = 10;
// Random bytes in a key: 128 bits cannot be guessed or enumerated.
inline constexpr std::size_t key_random_bytes = 16;

class policy {
 public:
  // Throws std::invalid_argument naming a type that is never allowed (active content or an
  // executable) or malformed: a configuration mistake must stop the server, not open a hole.
  explicit policy(std::vector<type_limit> types);

  // The rule for an exact, lower-case content type; nullptr when not allowed.
  const type_limit* find(std::string_view content_type) const;
  std::uint64_t largest_max_bytes() const;
  const std::vector<type_limit>& types() const { return types_; }

 private:
  std::vector<type_limit> types_;
};

// Types that would run in the viewer's browser or on their machine, whatever the configuration
// says: HTML, XML (SVG, XHTML, XSLT can carry script), JavaScript, executables and installers.
bool is_forbidden_type(std::string_view content_type);

// Images, audio and video are shown inline; everything else is served as an attachment.
bool is_inline_type(std::string_view content_type);

// A display name safe for a header and a filesystem: the last path component, valid UTF-8,
// without control or bidirectional-override characters, without quotes or reserved punctuation,
// at most max_filename_bytes with its extension kept. Never empty ("file" as the last resort).
std::string sanitize_filename(std::string_view name);

// The well-known extension of a content type ("png" for image/png); empty when unknown.
std::string_view extension_for(std::string_view content_type);
// The content type a key's extension stands for; empty when unknown.
std::string_view type_for_extension(std::string_view ext);

// A fresh key for an object of `content_type`; the filename's extension is used only for types
// without a well-known one.
std::string new_key(std::string_view content_type, std::string_view sanitized_filename);
bool is_valid_key(std::string_view key);
// The extension part of a valid key ("png"), or empty.
std::string_view key_extension(std::string_view key);

}  // namespace parley::media
