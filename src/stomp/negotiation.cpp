#include "stomp/negotiation.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace parley::stomp {
namespace {

std::chrono::milliseconds agreed(std::chrono::milliseconds sender_can,
                                 std::chrono::milliseconds receiver_wants) {
  if (sender_can.count() == 0 || receiver_wants.count() == 0) return {};
  return std::max(sender_can, receiver_wants);
}

// A whole decimal number below 2^32, or nothing.
std::optional<std::uint32_t> parse_u32(std::string_view s) {
  std::uint32_t n = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

result<version> negotiate_version(std::optional<std::string_view> accept_version) {
  if (!accept_version) return version::v1_0;
  std::optional<version> best;
  std::string_view rest = *accept_version;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view entry = rest.substr(0, comma);
    std::optional<version> v;
    if (entry == "1.0") v = version::v1_0;
    else if (entry == "1.1") v = version::v1_1;
    else if (entry == "1.2") v = version::v1_2;
    if (v && (!best || *v > *best)) best = v;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!best)
    return protocol_error{errc::unsupported_version,
                          "supported protocol versions are " + std::string(supported_versions)};
  return *best;
}

result<heart_beat_offer> parse_heart_beat(std::string_view value) {
  const std::size_t comma = value.find(',');
  if (comma != std::string_view::npos) {
    const auto x = parse_u32(value.substr(0, comma));
    const auto y = parse_u32(value.substr(comma + 1));
    if (x && y)
      return heart_beat_offer{std::chrono::milliseconds{*x}, std::chrono::milliseconds{*y}};
  }
  return protocol_error{errc::malformed_frame, "heart-beat header is not 'cx,cy'"};
}

heart_beat_intervals negotiate(heart_beat_offer client, heart_beat_offer server) {
  return {agreed(server.outgoing, client.incoming), agreed(client.outgoing, server.incoming)};
}

}  // namespace parley::stomp
