#pragma once
// The WebSocket protocol (RFC 6455), server side and sans-I/O: the opening handshake's accept key,
// headers of the frames the server sends, and a reader for the frames clients send. The transport
// (websocket_session) owns the socket; everything here works on bytes, so every byte sequence can
// be tested.
//
// The reader owns no buffer while a connection idles. A message whose frames arrive whole in one
// read is unmasked in place and handed out as a view of the caller's bytes; only a message split
// across reads, or fragmented, is assembled in an owned string that is released once the message
// has been handed out. Rejected: Beast's websocket::stream, whose per-connection state (~2.6 KB)
// plus the 1.5 KB read buffer every pending read holds was over half of an idle session's memory.
// Not offered: extensions (no permessage-deflate: see websocket_session.hpp), so RSV bits are
// errors.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::ws::rfc6455 {

enum class opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10,
};

// Close codes (RFC 6455 §7.4.1) the server sends.
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t no_status = 1005;  // never on the wire: a close frame without a code
constexpr std::uint16_t bad_payload = 1007;
constexpr std::uint16_t too_big = 1009;
}  // namespace close_code

// A control frame's payload is at most this long (RFC 6455 §5.5); a close reason 2 bytes less.
constexpr std::size_t max_control_payload = 125;
constexpr std::size_t max_close_reason = max_control_payload - 2;
// The longest header of a frame the server sends (unmasked: 2 + 8-byte length).
constexpr std::size_t max_header_bytes = 10;

// The Sec-WebSocket-Accept value answering a client's Sec-WebSocket-Key (RFC 6455 §4.2.2).
std::string accept_key(std::string_view client_key);

// Writes the header of a final, unmasked frame with `payload_bytes` bytes into `out` (room for
// max_header_bytes); returns the header's length.
std::size_t write_header(opcode op, std::uint64_t payload_bytes, unsigned char* out);

// A whole control frame (header and payload), ready to write. `payload` is cut to its limit.
std::string control_frame(opcode op, std::string_view payload);
// A close frame with `code` and `reason` (cut to max_close_reason bytes); no_status sends none.
std::string close_frame(std::uint16_t code, std::string_view reason);

// Incremental UTF-8 validation (RFC 3629: no overlongs, surrogates or code points past U+10FFFF),
// for text messages whose bytes arrive in pieces.
class utf8_checker {
 public:
  // False once the bytes so far cannot start valid UTF-8.
  bool feed(std::string_view bytes) noexcept;
  // True when the bytes so far are valid UTF-8 that does not end inside a sequence.
  bool complete() const noexcept { return need_ == 0; }
  void reset() noexcept { need_ = 0; }

 private:
  std::uint8_t need_ = 0;   // continuation bytes still expected
  std::uint8_t lo_ = 0x80;  // range of the next continuation byte
  std::uint8_t hi_ = 0xBF;
};

// What the reader found in the input.
struct event {
  enum class kind : std::uint8_t { none, message, ping, pong, close, error };
  kind what = kind::none;
  // message: its payload (text or binary); ping/pong: the payload; close: the reason.
  // Valid until the next call of next() or feed().
  std::string_view payload;
  // close: the peer's code (no_status if none); error: the close code to answer with.
  std::uint16_t code = 0;
};

// Reads client-to-server frames: checks them (masking, opcodes, sizes, control-frame rules,
// fragmentation, UTF-8 of text and of close reasons), unmasks them and reassembles fragmented
// messages. Control frames may arrive between the fragments of a message.
class reader {
 public:
  explicit reader(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}
  // Pinned in place: events may be views into the reader's own buffers.
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  // Makes `data` the input for next(), which unmasks it in place. Nothing is copied up front;
  // `data` must stay valid until next() returns `none` (the reader then keeps what it still needs).
  // Ignored once the reader has failed.
  void feed(char* data, std::size_t size) noexcept;

  // The next event from the input, or `none` once it is used up. An `error` is returned once; the
  // reader then stays failed and returns `none` forever.
  event next();

  bool failed() const noexcept { return failed_; }
  // Heap bytes held for input that spans calls (for memory tests).
  std::size_t buffered_capacity() const noexcept { return heap(message_) + heap(control_); }

 private:
  enum class header_status : std::uint8_t { complete, partial, invalid };

  header_status take_header(std::uint16_t& error_code);
  event frame_done(std::string_view payload);
  event fail(std::uint16_t code);
  void unmask(char* data, std::size_t size) noexcept;
  static std::size_t heap(const std::string& s) noexcept {
    return s.capacity() > std::string().capacity() ? s.capacity() : 0;
  }
  void consume(std::size_t n) noexcept {
    input_ += n;
    input_size_ -= n;
  }

  std::size_t max_message_;
  char* input_ = nullptr;  // the caller's bytes not yet consumed
  std::size_t input_size_ = 0;

  std::string message_;              // a data message that spans reads or frames, unmasked
  std::string control_;              // a control frame's payload that spans reads, unmasked
  std::uint64_t remaining_ = 0;      // payload bytes of the current frame still to come
  std::uint64_t message_bytes_ = 0;  // payload bytes of the current message so far
  utf8_checker utf8_;                // over the current text message
  unsigned char header_[14];         // a frame header split across reads
  unsigned char mask_[4];
  std::uint8_t header_size_ = 0;  // bytes in header_
  std::uint8_t mask_at_ = 0;      // position in mask_ of the next payload byte
  opcode frame_op_ = opcode::continuation;
  opcode message_op_ = opcode::continuation;  // text/binary while a message is open
  bool frame_fin_ = false;
  bool in_payload_ = false;  // the current frame's header is read
  bool direct_ = false;      // the current frame is taken from the input without copying
  bool release_message_ = false;
  bool release_control_ = false;
  bool failed_ = false;
};

}  // namespace parley::ws::rfc6455
