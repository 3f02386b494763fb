#pragma once
// The client side of the wire, sans-I/O: the RFC 6455 opening handshake, masked client frames,
// server frame decoding, and a STOMP frame scanner.
//
// Why not Beast and src/stomp's parser on the receive path: the generator shares two cores with
// the server it measures, so every nanosecond it spends per delivery is taken from the server.
// The scanner below finds frame boundaries and the two headers the generator needs in place,
// without copying or allocating; the full parser (which copies every header into a frame, as a
// server must) costs several allocations per frame (see bench/micro). Outgoing frames are few and
// are built with src/stomp's serializer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::bench {

// ---- WebSocket (RFC 6455) ---------------------------------------------------------------------

// A random Sec-WebSocket-Key (16 random bytes, base64) and the Sec-WebSocket-Accept it expects.
struct ws_key {
  std::string key, accept;
};
ws_key make_ws_key(std::uint64_t random);

std::string upgrade_request(std::string_view host, std::string_view path, std::string_view key,
                            std::string_view subprotocol);

enum class http_status { incomplete, ok, failed };
// Checks a complete "HTTP/1.1 101" response with the expected accept value; `consumed` is the
// length of the response head (bytes after it are WebSocket frames).
http_status check_upgrade_response(std::string_view bytes, std::string_view accept,
                                   std::size_t& consumed, std::string& why);

enum class ws_opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10
};

// Appends one masked client frame (FIN set) carrying `payload` to `out`.
void append_client_frame(std::string& out, ws_opcode op, std::string_view payload,
                         std::uint32_t mask);

struct ws_frame {
  ws_opcode op;
  bool fin;
  std::string_view payload;
};
// Decodes one server frame from the front of `bytes`. Returns the bytes it spans, 0 when more are
// needed, or -1 for a frame a server must not send (masked, reserved bits, oversized control).
std::ptrdiff_t decode_server_frame(std::string_view bytes, ws_frame& out);

// ---- STOMP ------------------------------------------------------------------------------------

struct stomp_view {
  std::string_view command;
  std::string_view headers;  // the header lines, each ending with '\n'
  std::string_view body;
  std::size_t wire_bytes = 0;

  // The first header `name` (escapes are not undone: the generator's values have none).
  std::string_view header(std::string_view name) const;
};

// Finds one complete frame at the front of `bytes` (after any heart-beat EOLs). Returns the bytes
// consumed including the NUL, 0 when more are needed, -1 when the bytes are not STOMP. Input that
// is only heart-beat EOLs is consumed with an empty `command`.
std::ptrdiff_t scan_stomp_frame(std::string_view bytes, stomp_view& out);

}  // namespace parley::bench
