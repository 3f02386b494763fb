#include "core/forwarded.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <optional>

namespace parley::core {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> canonical(std::string_view text) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  // A dual-stack listener sees an IPv4 peer as ::ffff:a.b.c.d; the operator writes a.b.c.d.
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

}  // namespace

std::string client_address(std::string_view peer, std::string_view x_forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
  if (x_forwarded_for.empty() ||
      std::find(trusted_proxies.begin(), trusted_proxies.end(), canonical(peer).value_or("")) ==
          trusted_proxies.end())
    return std::string(peer);
  auto comma = x_forwarded_for.rfind(',');
  auto last = trim(comma == std::string_view::npos ? x_forwarded_for
                                                   : x_forwarded_for.substr(comma + 1));
  return canonical(last).value_or(std::string(peer));
}

bool parse_address_list(std::string_view list, std::vector<std::string>& out) {
  std::vector<std::string> parsed;
  while (!trim(list).empty()) {
    auto comma = list.find(',');
    auto item = trim(list.substr(0, comma));
    auto a = canonical(item);
    if (!a) return false;
    parsed.push_back(std::move(*a));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  out = std::move(parsed);
  return true;
}

}  // namespace parley::core
