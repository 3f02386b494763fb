#include "auth/validation.hpp"

namespace parley::auth {

namespace {

bool is_ascii_lower(char32_t c) { return c >= 'a' && c <= 'z'; }
bool is_ascii_upper(char32_t c) { return c >= 'A' && c <= 'Z'; }
bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char32_t c) {
  return is_ascii_lower(c) || is_ascii_upper(c) || is_ascii_digit(c);
}

// Unicode's White_Space property: a password or name should not hide a no-break or ideographic
// space any more than an ASCII one.
bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

// C0, DEL and C1 controls.
bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

// Calls `f(code_point)` for each code point of well-formed UTF-8 (Unicode Table 3-7); false, after
// calling f for the valid prefix, when `text` is not well-formed.
template <class F>
bool for_each_code_point(std::string_view text, F&& f) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char b0 = byte(i);
    char32_t cp;
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (b0 < 0x80) {
      cp = b0, len = 1;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 0x1f, len = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 0x0f, len = 3;
      if (b0 == 0xe0) lo = 0xa0;  // overlong
      if (b0 == 0xed) hi = 0x9f;  // surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 0x07, len = 4;
      if (b0 == 0xf0) lo = 0x90;  // overlong
      if (b0 == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char b = byte(i + k);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    f(cp);
    i += len;
  }
  return true;
}

// The ASCII-only rules (username, email) look at bytes; a byte >= 0x80 matches no class.
char32_t byte_of(char c) { return static_cast<unsigned char>(c); }

bool is_username_char(char c) { return is_ascii_alnum(byte_of(c)) || c == '_'; }

bool is_email_local_char(char c) {
  return is_username_char(c) || c == '.' || c == '%' || c == '+' || c == '-';
}

bool is_email_domain_char(char c) { return is_ascii_alnum(byte_of(c)) || c == '.' || c == '-'; }

bool is_ascii_letter(char c) { return is_ascii_lower(byte_of(c)) || is_ascii_upper(byte_of(c)); }

}  // namespace

std::optional<std::size_t> count_code_points(std::string_view text) {
  std::size_t n = 0;
  if (!for_each_code_point(text, [&](char32_t) { ++n; })) return std::nullopt;
  return n;
}

std::optional<std::string> validate_password(std::string_view password) {
  std::size_t n = 0;
  bool lower = false, upper = false, digit = false, symbol = false, space = false;
  bool ok = for_each_code_point(password, [&](char32_t c) {
    ++n;
    lower |= is_ascii_lower(c);
    upper |= is_ascii_upper(c);
    digit |= is_ascii_digit(c);
    space |= is_whitespace(c);
    symbol |= !is_ascii_alnum(c) && !is_whitespace(c);
  });
  if (!ok) return "Password must be valid UTF-8";
  if (n < min_password_chars || n > max_password_chars) return "Password must be 8-64 characters";
  if (space) return "Password must not contain whitespace";
  if (!(lower && upper && digit && symbol))
    return "Password must contain a lowercase letter, an uppercase letter, a digit and a symbol";
  return std::nullopt;
}

std::optional<std::string> validate_username(std::string_view username) {
  bool ok = username.size() >= min_username_chars && username.size() <= max_username_chars;
  for (char c : username) ok = ok && is_username_char(c);
  if (!ok) return "Username must be 3-32 characters: letters, digits or underscore";
  return std::nullopt;
}

std::optional<std::string> validate_email(std::string_view email) {
  static const std::string invalid = "Email must be a valid email address";
  if (email.size() > max_email_chars) return "Email must be at most 254 characters";
  // '@' is in neither character class, so the regex allows exactly one.
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0) return invalid;
  for (char c : email.substr(0, at))
    if (!is_email_local_char(c)) return invalid;
  std::string_view domain = email.substr(at + 1);
  for (char c : domain)
    if (!is_email_domain_char(c)) return invalid;
  // The regex's `[A-Za-z0-9.-]+\.[A-Za-z]{2,}$` can only split at the last dot: any earlier dot
  // would put a later dot inside the letters-only top-level part.
  auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return invalid;
  std::string_view tld = domain.substr(dot + 1);
  if (tld.size() < 2) return invalid;
  for (char c : tld)
    if (!is_ascii_letter(c)) return invalid;
  return std::nullopt;
}

std::optional<std::string> validate_full_name(std::string_view full_name) {
  std::size_t n = 0;
  bool blank = true, control = false;
  bool ok = for_each_code_point(full_name, [&](char32_t c) {
    ++n;
    blank = blank && is_whitespace(c);
    control |= is_control(c);
  });
  if (!ok) return "Full name must be valid UTF-8";
  if (n < min_full_name_chars || n > max_full_name_chars)
    return "Full name must be 2-100 characters";
  if (blank) return "Full name must not be blank";
  if (control) return "Full name must not contain control characters";
  return std::nullopt;
}

std::optional<std::string> validate_bio(std::string_view bio) {
  std::size_t n = 0;
  bool control = false;
  bool ok = for_each_code_point(bio, [&](char32_t c) {
    ++n;
    control |= is_control(c) && c != '\n' && c != '\r' && c != '\t';
  });
  if (!ok) return "Bio must be valid UTF-8";
  if (n > max_bio_chars) return "Bio must be at most 255 characters";
  if (control) return "Bio must not contain control characters";
  return std::nullopt;
}

}  // namespace parley::auth
