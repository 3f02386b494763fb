#include "core/json.hpp"

namespace parley::core {

outcome<json::value> parse_json(std::string_view text, std::size_t max_depth) {
  json::parse_options opt;
  opt.max_depth = max_depth;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opt);
  if (ec) {
    if (ec == json::error::too_deep) return problem::bad_request("JSON nested too deeply");
    return problem::bad_request("Malformed JSON");
  }
  return v;
}

namespace {
problem wrong_type(std::string_view key, const char* want) {
  problem p = problem::bad_request("Validation failed");
  p.errors[std::string(key)] = std::string("must be ") + want;
  return p;
}
}  // namespace

outcome<std::optional<std::string>> get_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>{};
  if (!it->value().is_string()) return wrong_type(key, "a string");
  return std::optional<std::string>{std::string(it->value().get_string())};
}

outcome<std::optional<std::int64_t>> get_int(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::int64_t>{};
  const auto& v = it->value();
  if (v.is_int64()) return std::optional<std::int64_t>{v.get_int64()};
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return std::optional<std::int64_t>{static_cast<std::int64_t>(v.get_uint64())};
  if (v.is_string()) {  // the original client sent some ids as strings
    const auto& s = v.get_string();
    std::int64_t n = 0;
    if (s.empty() || s.size() > 18) return wrong_type(key, "an integer");
    for (char c : s) {
      if (c < '0' || c > '9') return wrong_type(key, "an integer");
      n = n * 10 + (c - '0');
    }
    return std::optional<std::int64_t>{n};
  }
  return wrong_type(key, "an integer");
}

outcome<std::optional<bool>> get_bool(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<bool>{};
  if (!it->value().is_bool()) return wrong_type(key, "a boolean");
  return std::optional<bool>{it->value().get_bool()};
}

}  // namespace parley::core
