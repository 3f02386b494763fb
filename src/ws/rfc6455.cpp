#include "ws/rfc6455.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace parley::ws::rfc6455 {

namespace {

constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool is_control(opcode op) { return static_cast<std::uint8_t>(op) >= 8; }

bool known_opcode(std::uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

// Codes a peer may send (RFC 6455 §7.4 and the IANA registry), as Beast accepts them.
bool valid_close_code(std::uint16_t code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1013) return true;
  return code >= 3000;
}

// `text` cut to at most `n` bytes without splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view text, std::size_t n) {
  if (text.size() <= n) return text;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + handshake_guid.size());
  input.append(client_key).append(handshake_guid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  auto n = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

std::size_t write_header(opcode op, std::uint64_t payload_bytes, unsigned char* out) {
  out[0] = static_cast<unsigned char>(0x80 | static_cast<std::uint8_t>(op));
  if (payload_bytes < 126) {
    out[1] = static_cast<unsigned char>(payload_bytes);
    return 2;
  }
  if (payload_bytes <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<unsigned char>(payload_bytes >> 8);
    out[3] = static_cast<unsigned char>(payload_bytes);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<unsigned char>(payload_bytes >> (8 * (7 - i)));
  return 10;
}

std::string control_frame(opcode op, std::string_view payload) {
  payload = payload.substr(0, max_control_payload);
  unsigned char header[max_header_bytes];
  auto n = write_header(op, payload.size(), header);
  std::string frame(reinterpret_cast<const char*>(header), n);
  frame.append(payload);
  return frame;
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
  if (code == close_code::no_status) return control_frame(opcode::close, {});
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(cut_utf8(reason, max_close_reason));
  return control_frame(opcode::close, payload);
}

bool utf8_checker::feed(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p != end) {
    if (need_ == 0) {
      // ASCII, eight bytes at a time: the common case of STOMP text.
      while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        if (word & 0x8080808080808080ull) break;
        p += 8;
      }
      if (p == end) break;
      auto b = *p++;
      if (b < 0x80) continue;
      lo_ = 0x80;
      hi_ = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        need_ = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        need_ = 2;
        if (b == 0xE0) lo_ = 0xA0;  // overlong
        if (b == 0xED) hi_ = 0x9F;  // UTF-16 surrogates
      } else if (b >= 0xF0 && b <= 0xF4) {
        need_ = 3;
        if (b == 0xF0) lo_ = 0x90;  // overlong
        if (b == 0xF4) hi_ = 0x8F;  // past U+10FFFF
      } else {
        return false;
      }
    } else {
      auto b = *p++;
      if (b < lo_ || b > hi_) return false;
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
    }
  }
  return true;
}

void reader::feed(char* data, std::size_t size) noexcept {
  if (failed_) return;
  input_ = data;
  input_size_ = size;
}

void reader::unmask(char* data, std::size_t size) noexcept {
  unsigned char key[4];
  for (int i = 0; i < 4; ++i) key[i] = mask_[(mask_at_ + i) & 3];
  std::size_t i = 0;
  if (size >= 8) {
    unsigned char wide[8];
    std::memcpy(wide, key, 4);
    std::memcpy(wide + 4, key, 4);
    std::uint64_t k;
    std::memcpy(&k, wide, 8);
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, data + i, 8);
      w ^= k;
      std::memcpy(data + i, &w, 8);
    }
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[i & 3]);
  mask_at_ = static_cast<std::uint8_t>((mask_at_ + size) & 3);
}

reader::header_status reader::take_header(std::uint16_t& error_code) {
  // Header length once its first two bytes are known (2 while they are not).
  auto needed = [](const unsigned char* p, std::size_t n) -> std::size_t {
    if (n < 2) return 2;
    std::size_t size = 2;
    auto len7 = p[1] & 0x7F;
    if (len7 == 126) size += 2;
    if (len7 == 127) size += 8;
    if (p[1] & 0x80) size += 4;
    return size;
  };
  const unsigned char* h = nullptr;
  auto in = reinterpret_cast<const unsigned char*>(input_);
  if (header_size_ == 0 && input_size_ >= needed(in, input_size_)) {
    h = in;
    consume(needed(in, input_size_));
  } else {
    for (;;) {
      auto n = needed(header_, header_size_);
      if (header_size_ >= n) break;
      if (input_size_ == 0) return header_status::partial;
      auto copy = std::min(n - header_size_, input_size_);
      std::memcpy(header_ + header_size_, input_, copy);
      header_size_ = static_cast<std::uint8_t>(header_size_ + copy);
      consume(copy);
    }
    h = header_;
    header_size_ = 0;
  }

  error_code = close_code::protocol_error;
  const bool fin = h[0] & 0x80;
  const auto op_bits = static_cast<std::uint8_t>(h[0] & 0x0F);
  if ((h[0] & 0x70) || !known_opcode(op_bits)) return header_status::invalid;
  if (!(h[1] & 0x80)) return header_status::invalid;  // clients must mask (RFC 6455 §5.1)
  const auto op = static_cast<opcode>(op_bits);
  std::uint64_t len = h[1] & 0x7F;
  std::size_t at = 2;
  if (len == 126) {
    len = (std::uint64_t{h[2]} << 8) | h[3];
    at = 4;
    if (len < 126) return header_status::invalid;  // not the shortest encoding
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | h[2 + i];
    at = 10;
    if (len < 0x10000 || (len >> 63)) return header_status::invalid;
  }
  std::memcpy(mask_, h + at, 4);

  if (is_control(op)) {
    if (!fin || len > max_control_payload) return header_status::invalid;
  } else {
    const bool open = message_op_ != opcode::continuation;
    if (op == opcode::continuation ? !open : open) return header_status::invalid;
    if (op != opcode::continuation) {
      message_op_ = op;
      message_bytes_ = 0;
      utf8_.reset();
    }
    if (len > max_message_ - message_bytes_) {
      error_code = close_code::too_big;
      return header_status::invalid;
    }
    message_bytes_ += len;
  }
  frame_op_ = op;
  frame_fin_ = fin;
  remaining_ = len;
  mask_at_ = 0;
  return header_status::complete;
}

event reader::next() {
  if (release_message_) {
    std::string().swap(message_);
    release_message_ = false;
  }
  if (release_control_) {
    std::string().swap(control_);
    release_control_ = false;
  }
  if (failed_) return {};
  for (;;) {
    if (!in_payload_) {
      std::uint16_t code = 0;
      auto status = take_header(code);
      if (status == header_status::partial) return {};
      if (status == header_status::invalid) return fail(code);
      in_payload_ = true;
      // A control frame, or a data frame that is a whole message, taken in one piece from the
      // input: no copy.
      direct_ = remaining_ <= input_size_ &&
                (is_control(frame_op_) || (frame_op_ != opcode::continuation && frame_fin_));
    }
    auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input_size_));
    char* chunk = input_;
    unmask(chunk, take);
    consume(take);
    remaining_ -= take;
    if (!direct_) {
      if (is_control(frame_op_)) {
        control_.append(chunk, take);
      } else {
        if (message_op_ == opcode::text && !utf8_.feed({chunk, take}))
          return fail(close_code::bad_payload);
        message_.append(chunk, take);
      }
    }
    if (remaining_ > 0) return {};  // the input is used up
    in_payload_ = false;
    std::string_view payload = direct_                 ? std::string_view(chunk, take)
                               : is_control(frame_op_) ? std::string_view(control_)
                                                       : std::string_view(message_);
    auto ev = frame_done(payload);
    if (ev.what != event::kind::none) return ev;
  }
}

event reader::frame_done(std::string_view payload) {
  switch (frame_op_) {
    case opcode::ping:
    case opcode::pong:
      release_control_ = !direct_;
      return {frame_op_ == opcode::ping ? event::kind::ping : event::kind::pong, payload, 0};
    case opcode::close: {
      release_control_ = !direct_;
      if (payload.empty()) return {event::kind::close, {}, close_code::no_status};
      if (payload.size() == 1) return fail(close_code::protocol_error);
      auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                             static_cast<unsigned char>(payload[1]));
      if (!valid_close_code(code)) return fail(close_code::protocol_error);
      auto reason = payload.substr(2);
      utf8_checker check;
      if (!check.feed(reason) || !check.complete()) return fail(close_code::bad_payload);
      return {event::kind::close, reason, code};
    }
    default:
      break;
  }
  if (direct_ && message_op_ == opcode::text && !utf8_.feed(payload))
    return fail(close_code::bad_payload);
  if (!frame_fin_) return {};  // more fragments follow
  if (message_op_ == opcode::text && !utf8_.complete()) return fail(close_code::bad_payload);
  message_op_ = opcode::continuation;
  release_message_ = !direct_;
  return {event::kind::message, payload, 0};
}

event reader::fail(std::uint16_t code) {
  failed_ = true;
  input_ = nullptr;
  input_size_ = 0;
  std::string().swap(message_);
  std::string().swap(control_);
  return {event::kind::error, {}, code};
}

}  // namespace parley::ws::rfc6455
