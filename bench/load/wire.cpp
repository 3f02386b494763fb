#include "load/wire.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <charconv>
#include <cstring>

namespace parley::bench {

namespace {

constexpr std::string_view ws_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

ws_key make_ws_key(std::uint64_t random) {
  unsigned char raw[16];
  for (int i = 0; i < 16; ++i) {
    random ^= random << 13, random ^= random >> 7, random ^= random << 17;  // xorshift64
    raw[i] = static_cast<unsigned char>(random);
  }
  ws_key k;
  k.key = base64(raw, sizeof raw);
  std::string joined = k.key + std::string(ws_guid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  k.accept = base64(digest, sizeof digest);
  return k;
}

std::string upgrade_request(std::string_view host, std::string_view path, std::string_view key,
                            std::string_view subprotocol) {
  std::string r;
  r.reserve(256);
  r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
  r.append("Sec-WebSocket-Key: ").append(key).append("\r\n");
  if (!subprotocol.empty()) r.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
  r.append("\r\n");
  return r;
}

http_status check_upgrade_response(std::string_view bytes, std::string_view accept,
                                   std::size_t& consumed, std::string& why) {
  auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > 16 * 1024) return why = "response head too large", http_status::failed;
    return http_status::incomplete;
  }
  consumed = end + 4;
  std::string_view head = bytes.substr(0, end + 2);
  auto eol = head.find("\r\n");
  std::string_view status = head.substr(0, eol);
  if (status.substr(0, 12) != "HTTP/1.1 101") return why = std::string(status), http_status::failed;
  bool accepted = false;
  for (auto pos = eol + 2; pos < head.size();) {
    auto next = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, next - pos);
    pos = next + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(trim(line.substr(0, colon)), "Sec-WebSocket-Accept"))
      accepted = trim(line.substr(colon + 1)) == accept;
  }
  if (!accepted) return why = "bad Sec-WebSocket-Accept", http_status::failed;
  return http_status::ok;
}

void append_client_frame(std::string& out, ws_opcode op, std::string_view payload,
                         std::uint32_t mask) {
  unsigned char head[14];
  std::size_t n = 0;
  head[n++] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
  auto len = payload.size();
  if (len < 126) {
    head[n++] = static_cast<unsigned char>(0x80 | len);
  } else if (len <= 0xffff) {
    head[n++] = 0x80 | 126;
    head[n++] = static_cast<unsigned char>(len >> 8);
    head[n++] = static_cast<unsigned char>(len);
  } else {
    head[n++] = 0x80 | 127;
    for (int i = 7; i >= 0; --i)
      head[n++] = static_cast<unsigned char>(std::uint64_t{len} >> (8 * i));
  }
  unsigned char key[4] = {static_cast<unsigned char>(mask >> 24),
                          static_cast<unsigned char>(mask >> 16),
                          static_cast<unsigned char>(mask >> 8), static_cast<unsigned char>(mask)};
  std::memcpy(head + n, key, 4);
  n += 4;
  out.append(reinterpret_cast<const char*>(head), n);
  auto start = out.size();
  out.append(payload);
  auto* p = reinterpret_cast<unsigned char*>(out.data() + start);
  for (std::size_t i = 0; i < len; ++i) p[i] ^= key[i & 3];
}

std::ptrdiff_t decode_server_frame(std::string_view bytes, ws_frame& out) {
  if (bytes.size() < 2) return 0;
  auto b0 = static_cast<unsigned char>(bytes[0]);
  auto b1 = static_cast<unsigned char>(bytes[1]);
  if ((b0 & 0x70) || (b1 & 0x80)) return -1;  // reserved bits (no extensions) or a masked frame
  std::uint64_t len = b1 & 0x7f;
  std::size_t head = 2;
  if (len == 126) {
    if (bytes.size() < 4) return 0;
    len = (std::uint64_t{static_cast<unsigned char>(bytes[2])} << 8) |
          static_cast<unsigned char>(bytes[3]);
    head = 4;
  } else if (len == 127) {
    if (bytes.size() < 10) return 0;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<unsigned char>(bytes[i]);
    head = 10;
  }
  out.op = static_cast<ws_opcode>(b0 & 0x0f);
  out.fin = b0 & 0x80;
  if ((b0 & 0x08) && len > 125) return -1;
  if (len > (std::uint64_t{1} << 32)) return -1;
  if (bytes.size() < head + len) return 0;
  out.payload = bytes.substr(head, len);
  return static_cast<std::ptrdiff_t>(head + len);
}

std::string_view stomp_view::header(std::string_view name) const {
  for (std::size_t pos = 0; pos < headers.size();) {
    auto eol = headers.find('\n', pos);
    std::string_view line = headers.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.size() > name.size() && line[name.size()] == ':' && line.starts_with(name)) {
      line.remove_prefix(name.size() + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return line;
    }
  }
  return {};
}

std::ptrdiff_t scan_stomp_frame(std::string_view bytes, stomp_view& out) {
  std::size_t start = 0;
  while (start < bytes.size() && (bytes[start] == '\n' || bytes[start] == '\r')) ++start;
  if (start == bytes.size()) {  // heart-beats only: consumed, no frame (empty command)
    out = {};
    return static_cast<std::ptrdiff_t>(start);
  }
  auto eol = bytes.find('\n', start);
  if (eol == std::string_view::npos) return bytes.size() - start > 64 ? -1 : 0;
  out.command = bytes.substr(start, eol - start);
  if (!out.command.empty() && out.command.back() == '\r') out.command.remove_suffix(1);
  // Header lines until an empty line.
  std::size_t pos = eol + 1, headers_start = pos;
  while (true) {
    auto next = bytes.find('\n', pos);
    if (next == std::string_view::npos) return 0;
    bool empty = next == pos || (next == pos + 1 && bytes[pos] == '\r');
    if (empty) {
      out.headers = bytes.substr(headers_start, pos - headers_start);
      pos = next + 1;
      break;
    }
    pos = next + 1;
  }
  std::size_t body_end;
  auto length = out.header("content-length");
  if (!length.empty()) {
    std::size_t n = 0;
    if (std::from_chars(length.data(), length.data() + length.size(), n).ec != std::errc{})
      return -1;
    if (bytes.size() < pos + n + 1) return 0;
    if (bytes[pos + n] != '\0') return -1;
    body_end = pos + n;
  } else {
    body_end = bytes.find('\0', pos);
    if (body_end == std::string_view::npos) return 0;
  }
  out.body = bytes.substr(pos, body_end - pos);
  out.wire_bytes = body_end + 1 - start;
  return static_cast<std::ptrdiff_t>(body_end + 1);
}

}  // namespace parley::bench
