#pragma once
// Incremental, sans-I/O STOMP 1.2 frame parser (also reads 1.0 and 1.1 peers). See parser.cpp.
#include "stomp/frame.hpp"
#include "stomp/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace parley::stomp {

struct limits {
  // Whole frame: command, headers, blank line, body and NUL. Bounds per-connection memory
  // (API.md: STOMP frame 64 KiB); chat messages are at most 4,000 characters of JSON.
  std::size_t max_frame_bytes = 64 * 1024;
  // Repeated headers count too. Real clients send fewer than 10; this caps per-frame vector growth
  // and the linear cost of frame::header().
  std::size_t max_headers = 32;
  // One header line including its EOL. Fits a bearer token with generous claims (typically
  // 1-2 KiB) and matches common HTTP header-field limits; a single 64 KiB header is abuse.
  std::size_t max_header_line_bytes = 8 * 1024;
  // Command line including EOL. The longest command (UNSUBSCRIBE) is 11 bytes + CRLF; garbage that
  // is not a command is rejected after a few bytes instead of after a whole frame's worth.
  static constexpr std::size_t max_command_line_bytes = 13;
};

// Which side's frames are accepted: a server parses client commands (CONNECT, SEND, ...); a client
// (the load generator, tests) parses server commands (CONNECTED, MESSAGE, RECEIPT, ERROR).
enum class direction { client_to_server, server_to_client };

// A bare EOL between frames: the peer is alive.
struct heart_beat {
  bool operator==(const heart_beat&) const = default;
};

using event = std::variant<frame, heart_beat, protocol_error>;

class parser {
 public:
  explicit parser(limits l = {}, direction d = direction::client_to_server);
  // Pinned in place: the unconsumed input may be a view into the parser's own pending_.
  parser(const parser&) = delete;
  parser& operator=(const parser&) = delete;

  // Makes `bytes` the input for next(). Nothing is copied up front: `bytes` must stay valid until
  // next() returns nullopt or feed() is called again (undrained input is then copied and kept).
  // Ignored once the parser has failed.
  void feed(std::string_view bytes);

  // The next complete event from the input fed so far, or nullopt when more bytes are needed. A
  // protocol_error is returned once; the parser then stays failed and returns nullopt forever.
  std::optional<event> next();

  // Copies the input not yet consumed into the parser, so that the bytes given to feed() may go
  // before next() has drained them: a caller that pauses between frames calls this, then next()
  // later. Returns how many unconsumed bytes the parser now holds.
  std::size_t hold();

  // After CONNECT negotiates 1.0, header escapes no longer apply (1.0 has none); 1.1 and 1.2
  // (the default) unescape \r \n \c \\ in every frame except CONNECT and CONNECTED.
  void set_version(version v) noexcept { unescape_ = v != version::v1_0; }

  bool failed() const noexcept { return state_ == state::failed; }

  // Buffer capacity held for partial input, in bytes (for metrics and memory tests).
  std::size_t buffered_capacity() const noexcept;

 private:
  enum class state : std::uint8_t {
    between_frames,  // skipping heart-beat EOLs
    after_cr,        // a CR between frames; its LF must follow
    command,
    headers,
    counted_body,  // content-length bytes still to read
    counted_nul,   // the NUL after a content-length body
    open_body,     // no content-length: the body ends at the first NUL
    failed,
  };
  enum class line_status : std::uint8_t { complete, partial, too_long, frame_too_long, has_nul };

  std::optional<event> step();
  std::optional<event> on_between_frames();
  std::optional<event> on_command();
  std::optional<event> on_header();
  std::optional<event> on_counted_body();
  std::optional<event> on_open_body();
  std::optional<event> start_body();
  line_status take_line(std::size_t max_line_bytes, std::string_view& line);
  event finish_frame();
  protocol_error fail(errc code, std::string message);
  protocol_error fail_frame_too_large();
  void release_idle_buffers();

  limits limits_;
  direction direction_;
  bool unescape_ = true;
  state state_ = state::between_frames;

  std::string_view input_;  // the caller's bytes (or pending_) not yet consumed
  std::string pending_;     // owns undrained input when feed() is called before draining

  frame current_;                       // the frame being built; bytes are copied here once
  std::string line_;                    // a command or header line split across inputs
  std::size_t frame_bytes_ = 0;         // bytes of the current frame consumed so far
  std::size_t body_remaining_ = 0;      // for counted_body
  bool has_content_length_ = false;     // first content-length wins
  bool raw_headers_ = false;            // CONNECT/CONNECTED: header values are not unescaped
};

}  // namespace parley::stomp
