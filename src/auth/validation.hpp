#pragma once
// Field rules for registration and profile updates (API.md "Auth"). Each validator returns the
// message to put under that field in a 400's `errors`, or nullopt when the value is acceptable.
//
// Hand-written rather than std::regex: linear time with no backtracking (no ReDoS on hostile
// input), no allocation, and lengths counted in Unicode code points where the rule is about
// characters a person sees (a 2-letter name in Cyrillic is 4 bytes).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::auth {

// Bounds of each rule, with their reason.
inline constexpr std::size_t min_password_chars = 8;
inline constexpr std::size_t max_password_chars = 64;  // the original's limit (API compatibility)
inline constexpr std::size_t min_username_chars = 3;
inline constexpr std::size_t max_username_chars = 32;
inline constexpr std::size_t max_email_chars = 254;  // RFC 5321 path limit (ext: original had none)
inline constexpr std::size_t min_full_name_chars = 2;
inline constexpr std::size_t max_full_name_chars = 100;
inline constexpr std::size_t max_bio_chars = 255;

// Number of code points in `text`, or nullopt when it is not well-formed UTF-8 (overlong forms,
// surrogates and values above U+10FFFF are not well-formed).
std::optional<std::size_t> count_code_points(std::string_view text);

// 8–64 code points, no whitespace (ASCII or Unicode), at least one ASCII lowercase letter, one
// ASCII uppercase letter, one digit and one symbol (anything not an ASCII letter or digit, so a
// non-ASCII letter counts as a symbol).
std::optional<std::string> validate_password(std::string_view password);

// ^[A-Za-z0-9_]{3,32}$
std::optional<std::string> validate_username(std::string_view username);

// ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$, and at most 254 characters.
std::optional<std::string> validate_email(std::string_view email);

// 2–100 code points, not only whitespace, no control characters.
std::optional<std::string> validate_full_name(std::string_view full_name);

// At most 255 code points; line breaks and tabs allowed, other control characters not.
std::optional<std::string> validate_bio(std::string_view bio);

}  // namespace parley::auth
