#pragma once
// STOMP frame serialization: a generic serialize() and builders for the frames the server sends.
// Header names and values are escaped (\r \n \c \\) except in CONNECT and CONNECTED frames and
// for 1.0 peers, which have no escapes. Every builder allocates its result exactly once.
#include "stomp/frame.hpp"
#include "stomp/negotiation.hpp"
#include "stomp/protocol.hpp"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace parley::stomp {

using header_view = std::pair<std::string_view, std::string_view>;

// A server heart-beat is a bare EOL.
inline constexpr std::string_view heart_beat_bytes = "\n";

// The frame on the wire, ending with NUL. Adds `content-length` when the body is non-empty and
// the frame has none; a `content-length` the frame carries must match its body (asserted).
std::string serialize(const frame& f, version v = version::v1_2);

// CONNECTED with `version`, `heart-beat: sx,sy` (the server's offer), `server` and `session`.
std::string connected(version v, heart_beat_offer heart_beat, std::string_view server,
                      std::optional<std::string_view> session = std::nullopt);

// RECEIPT for a frame's `receipt` header; `extra` carries e.g. the server `message-id`.
std::string receipt(std::string_view receipt_id, std::initializer_list<header_view> extra = {});

// ERROR with `code` (FRAME_TOO_LARGE, UNAUTHORIZED, ...) and `message`; `receipt-id` when the
// offending frame asked for a receipt; a non-empty body is sent as text/plain.
std::string error(std::string_view code, std::string_view message,
                  std::optional<std::string_view> receipt_id = std::nullopt,
                  std::string_view body = {});

// A MESSAGE frame in two parts for fan-out: the per-subscription prefix
// "MESSAGE\nsubscription:<id>\n" (built once per subscription, escaped for its session's
// version) and the shared rest, built once per message:
// "destination:..\nmessage-id:..\ncontent-type:..\n<extra>content-length:N\n\n<body>\0".
// prefix + rest is a valid MESSAGE frame. The rest is escaped by 1.1+ rules because it is shared
// across sessions; the server's destinations, ids and content types contain nothing to escape.
// An empty content_type omits the header.
std::string message_prefix(std::string_view subscription_id, version v = version::v1_2);
std::string message_body(std::string_view destination, std::string_view message_id,
                         std::string_view content_type, std::string_view body,
                         std::initializer_list<header_view> extra = {});

}  // namespace parley::stomp
