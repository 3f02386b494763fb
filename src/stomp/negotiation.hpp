#pragma once
// CONNECT-time negotiation: the protocol version (from `accept-version`) and heart-beat intervals
// (from `heart-beat`), following STOMP 1.2.
#include "stomp/protocol.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace parley::stomp {

// Every version this server speaks, for the `version` header of an UNSUPPORTED_VERSION ERROR.
inline constexpr std::string_view supported_versions = "1.0,1.1,1.2";

// The highest version both sides speak. An absent header means a 1.0 client; a list naming no
// supported version is errc::unsupported_version. Unknown entries (a future "1.3") are skipped.
result<version> negotiate_version(std::optional<std::string_view> accept_version);

// One side's `heart-beat: cx,cy` offer; zero means "none".
struct heart_beat_offer {
  std::chrono::milliseconds outgoing{0};  // cx: shortest interval at which this side can send beats
  std::chrono::milliseconds incoming{0};  // cy: interval at which this side wants to receive beats

  bool operator==(const heart_beat_offer&) const = default;
};

// Parses "cx,cy": two decimal numbers below 2^32 (so later arithmetic on them cannot overflow),
// no spaces or signs. Anything else is errc::malformed_frame.
result<heart_beat_offer> parse_heart_beat(std::string_view value);

// Agreed intervals from the server's point of view; zero means "none".
struct heart_beat_intervals {
  std::chrono::milliseconds send{0};    // how often the server must send something
  std::chrono::milliseconds expect{0};  // how often the client will send something

  bool operator==(const heart_beat_intervals&) const = default;
};

// STOMP 1.2: a direction has beats only when the sender can send them and the receiver wants
// them; the interval is then the larger of the two figures.
heart_beat_intervals negotiate(heart_beat_offer client, heart_beat_offer server);

}  // namespace parley::stomp
