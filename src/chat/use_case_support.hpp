#pragma once
// Request parsing and small helpers shared by the chat use cases (src/chat/*_use_cases.cpp): JSON
// bodies, field errors, paging, media references. Internal to the chat module.
#include "auth/validation.hpp"
#include "chat/limits.hpp"
#include "chat/model.hpp"
#include "core/json.hpp"
#include "core/problem.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace parley::chat::detail {

namespace json = boost::json;
using core::outcome;
using core::problem;

inline outcome<json::object> parse_object(std::string_view body) {
  auto v = core::parse_json(body);
  if (!v) return v.error();
  if (!v->is_object()) return problem::bad_request("Request body must be a JSON object");
  return std::move(v->as_object());
}

inline problem validation(std::map<std::string, std::string> errors) {
  return problem(core::errc::invalid_body, "Validation failed", std::move(errors));
}

inline problem field_error(const std::string& field, const std::string& msg) {
  return validation({{field, msg}});
}

// Reads an optional string field, recording a type error in `errors`.
inline std::optional<std::string> string_field(const json::object& o, std::string_view key,
                                        std::map<std::string, std::string>& errors) {
  auto r = core::get_string(o, key);
  if (!r) {
    for (auto& [k, v] : r.error().errors) errors[k] = v;
    return std::nullopt;
  }
  return *r;
}

inline std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// page from 0; size defaults and is clamped (API.md); garbage is a 400, not a silent default.
inline outcome<std::pair<int, int>> parse_page(std::string_view page, std::string_view size,
                                        const limits& lim) {
  int p = 0, s = lim.default_page_size;
  if (!page.empty()) {
    auto v = parse_int(page);
    if (!v || *v < 0 || *v > 1'000'000) return field_error("page", "must be an integer >= 0");
    p = *v;
  }
  if (!size.empty()) {
    auto v = parse_int(size);
    if (!v) return field_error("size", "must be an integer");
    s = std::clamp(*v, 1, lim.max_page_size);
  }
  return std::pair{p, s};
}

inline std::size_t chars(std::string_view s) { return auth::count_code_points(s).value_or(SIZE_MAX); }

// A media reference is the `viewUrl` parley handed out: `/media/<key>`, relative or absolute
// (API.md). Arbitrary external links are refused so a message cannot make every reader's client
// fetch from a third party.
inline bool is_media_url(std::string_view s) {
  if (s.starts_with("http://") || s.starts_with("https://")) {
    auto host_start = s.find("//") + 2;
    auto path = s.find('/', host_start);
    if (path == std::string_view::npos) return false;
    s = s.substr(path);
  }
  if (!s.starts_with("/media/") || s.size() == 7) return false;
  for (char c : s.substr(7))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '/'))
      return false;
  return s.find("..") == std::string_view::npos;
}

inline std::string json_string(const json::object& o) { return json::serialize(o); }

// Accepts {"refreshToken": "..."}, a JSON string, or the bare token (the original's form).
inline std::string extract_refresh(std::string_view body) {
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  body = body.substr(first);
  body = body.substr(0, body.find_last_not_of(" \t\r\n") + 1);
  if (body.starts_with("{") || body.starts_with("\"")) {
    auto v = core::parse_json(body);
    if (!v) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_object()) {
      auto t = core::get_string(v->as_object(), "refreshToken");
      if (t && *t) return **t;
    }
    return {};
  }
  return std::string(body);
}

inline constexpr const char* not_member_room = "Chat room not found";

}  // namespace parley::chat::detail
