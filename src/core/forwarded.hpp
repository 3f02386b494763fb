#pragma once
// The client's address when parley sits behind a load balancer (HAProxy `option forwardfor`).
//
// The TCP peer is then the proxy, and every client would share its address (the SockJS session
// binding falls back to the opener's address for clients without cookies). A request from a
// proxy named in `server.trusted_proxies` is believed about one hop: the last address of its
// X-Forwarded-For, the one that proxy appended. Any other peer's X-Forwarded-For is ignored, since
// a client can send the header itself. Rejected: the RFC 7239 `Forwarded` header (HAProxy 2.6
// writes it only with `option forwarded`, and no peer we support needs it); believing several
// hops (a chain of proxies is configured as the outermost one's address list instead).
#include <string>
#include <string_view>
#include <vector>

namespace parley::core {

// `peer` when it is not a trusted proxy or the header's last entry is not an IP address.
std::string client_address(std::string_view peer, std::string_view x_forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

// The last X-Forwarded-For header of a Beast message: a proxy adds a header line of its own after
// any the client sent (HAProxy does), so the first line may be the client's invention.
template <class Fields>
std::string_view last_forwarded_for(const Fields& fields) {
  std::string_view last;
  for (auto [it, end] = fields.equal_range("X-Forwarded-For"); it != end; ++it) last = it->value();
  return last;
}

// "10.0.0.5, ::1" -> {"10.0.0.5", "::1"} into `out`; false (and `out` untouched) when an entry
// is not an IP address.
// Addresses are compared in their canonical form: IPv6 shortened, IPv4-mapped IPv6 as IPv4 (a
// dual-stack listener sees IPv4 peers so).
bool parse_address_list(std::string_view list, std::vector<std::string>& out);

}  // namespace parley::core
