#pragma once
// Parsing untrusted JSON with the documented limits (depth, size) and small typed accessors that
// turn a wrong type into a field error instead of an exception.
#include "core/problem.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace parley::core {

namespace json = boost::json;

// JSON nesting deeper than this is refused: no legitimate request needs it, and it bounds the
// parser's stack and memory.
inline constexpr std::size_t max_json_depth = 32;

outcome<json::value> parse_json(std::string_view text, std::size_t max_depth = max_json_depth);

// Field accessors: nullopt when absent or null; a problem when present with the wrong type.
outcome<std::optional<std::string>> get_string(const json::object& o, std::string_view key);
outcome<std::optional<std::int64_t>> get_int(const json::object& o, std::string_view key);
outcome<std::optional<bool>> get_bool(const json::object& o, std::string_view key);

// Serializes `null` for an empty optional.
inline json::value nullable(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

}  // namespace parley::core
