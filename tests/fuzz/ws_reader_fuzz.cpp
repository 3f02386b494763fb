// Fuzz target for the WebSocket frame reader (src/ws/rfc6455). Input layout: byte 0 picks the
// message size limit, byte 1 seeds how the rest, the client's byte stream, is cut into reads.
// Invariants, beyond "no crash, no sanitizer report":
//  1. Events do not depend on how the stream is split into reads.
//  2. Nothing follows an error: next() returns `none` forever after it.
//  3. A message is at most the limit; a ping/pong payload is at
//     most 125 bytes; a close reason is valid UTF-8 and at most 123 bytes.
#include "ws/rfc6455.hpp"

#include "fuzz_check.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>


namespace {

using namespace parley::ws::rfc6455;

struct recorded {
  event::kind what;
  std::string payload;
  std::uint16_t code;
  bool operator==(const recorded&) const = default;
};

// Feeds `stream` (copied: the reader unmasks in place) in reads whose sizes come from `seed`
// (0: one read), draining the reader after each, and checks invariant 2 on the way.
std::vector<recorded> read_all(std::string stream, std::size_t limit, std::uint8_t seed) {
  reader r(limit);
  std::vector<recorded> out;
  std::uint32_t state = seed ? seed * 2654435761u : 0;
  std::size_t at = 0;
  bool failed = false;
  while (at < stream.size()) {
    std::size_t n = stream.size() - at;
    if (state) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      n = std::min<std::size_t>(n, 1 + state % 97);
    }
    r.feed(stream.data() + at, n);
    at += n;
    for (;;) {
      auto ev = r.next();
      if (ev.what == event::kind::none) break;
      FUZZ_CHECK(!failed);
      if (ev.what == event::kind::error) failed = true;
      out.push_back({ev.what, std::string(ev.payload), ev.code});
    }
  }
  FUZZ_CHECK(r.next().what == event::kind::none);
  return out;
}

bool valid_utf8(std::string_view s) {
  utf8_checker c;
  return c.feed(s) && c.complete();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::size_t limits[] = {16, 125, 1000, 65536};
  const std::size_t limit = limits[data[0] & 3];
  const std::string stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  const auto whole = read_all(stream, limit, 0);
  FUZZ_CHECK(read_all(stream, limit, data[1] | 1) == whole);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    const auto& e = whole[i];
    if (e.what == event::kind::error) FUZZ_CHECK(i + 1 == whole.size());
    if (e.what == event::kind::message) FUZZ_CHECK(e.payload.size() <= limit);
    if (e.what == event::kind::ping || e.what == event::kind::pong)
      FUZZ_CHECK(e.payload.size() <= max_control_payload);
    if (e.what == event::kind::close)
      FUZZ_CHECK(e.payload.size() <= max_close_reason && valid_utf8(e.payload));
  }
  return 0;
}
