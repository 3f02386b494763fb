#include "store/mariadb/dsn.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace parley::store::mariadb {

namespace {

constexpr std::string_view scheme = "mariadb://";

// The pieces of a DSN as written, before decoding. `userinfo` is everything before the last '@'
// (a password may contain a raw '@'); `hostport` runs from there to the first '/'.
struct raw_dsn {
  std::string_view userinfo, hostport, database;
  bool has_userinfo = false;
};

[[noreturn]] void invalid(const char* why) {
  throw std::invalid_argument(std::string("invalid MariaDB DSN (expected ") + std::string(scheme) +
                              "user:password@host:port/database): " + why);
}

raw_dsn split(std::string_view dsn) {
  if (!dsn.starts_with(scheme)) invalid("it must start with mariadb://");
  auto rest = dsn.substr(scheme.size());
  raw_dsn out;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    out.userinfo = rest.substr(0, at);
    out.has_userinfo = true;
    rest = rest.substr(at + 1);
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) invalid("no /database");
  out.hostport = rest.substr(0, slash);
  out.database = rest.substr(slash + 1);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, const char* what) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) invalid(what);
    int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) invalid(what);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

unsigned parse_port(std::string_view s) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || end != s.data() + s.size() || port == 0 || port > 65535)
    invalid("the port is not a number from 1 to 65535");
  return port;
}

void split_hostport(std::string_view hp, dsn_parts& out) {
  std::string_view port;
  if (hp.starts_with('[')) {  // [::1]:3306
    auto close = hp.find(']');
    if (close == std::string_view::npos) invalid("unclosed [ in the host");
    out.host = std::string(hp.substr(1, close - 1));
    auto after = hp.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) invalid("junk after the host");
    if (!after.empty()) port = after.substr(1);
  } else if (auto colon = hp.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(hp.substr(0, colon));
    port = hp.substr(colon + 1);
  } else {
    out.host = std::string(hp);
  }
  if (out.host.empty()) invalid("no host");
  if (!port.empty()) out.port = parse_port(port);
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;  // 64: MariaDB's identifier limit
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

}  // namespace

dsn_parts parse_dsn(const std::string& dsn) {
  auto raw = split(dsn);
  if (!raw.has_userinfo) invalid("no user@");
  dsn_parts out;
  auto colon = raw.userinfo.find(':');
  out.user = percent_decode(raw.userinfo.substr(0, colon), "bad %-escape in the user");
  if (colon != std::string_view::npos)
    out.password = percent_decode(raw.userinfo.substr(colon + 1), "bad %-escape in the password");
  if (out.user.empty()) invalid("no user");
  split_hostport(raw.hostport, out);
  if (!is_identifier(raw.database))
    invalid("the database name must be 1-64 ASCII letters, digits or '_'");
  out.database = std::string(raw.database);
  return out;
}

std::string redact_dsn(const std::string& dsn) {
  std::string_view s(dsn);
  if (!s.starts_with(scheme)) return std::string(scheme) + "***";  // unparseable: show nothing
  auto at = s.rfind('@');
  if (at == std::string_view::npos) {
    // No userinfo means no password, unless '@' was forgotten ("user:secret/db"): keep only what
    // cannot be the secret.
    auto slash = s.find('/', scheme.size());
    auto path = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
    return std::string(scheme) + "***" + std::string(path);
  }
  auto colon = s.find(':', scheme.size());
  if (colon == std::string_view::npos || colon > at) return dsn;  // user only, no password
  return std::string(s.substr(0, colon + 1)) + "***" + std::string(s.substr(at));
}

}  // namespace parley::store::mariadb
