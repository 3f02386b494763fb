// Fuzz target for the STOMP parser. Input layout: byte 0 picks the configuration (direction,
// version, default or tiny limits), byte 1 seeds how the rest, the byte stream, is cut into reads.
// Invariants, beyond "no crash, no sanitizer report":
//  1. Events do not depend on how the stream is split, nor on whether the caller drains the parser
//     before feeding it again: random-sized reads give the same events as one read.
//  2. Nothing follows an error.
//  3. A parsed frame re-serializes to bytes that parse back to the same frame (plus the
//     content-length the serializer adds to a body without one), and those bytes are a fixpoint.
#include "stomp/parser.hpp"
#include "stomp/serializer.hpp"

#include <array>
#include "fuzz_check.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>


namespace {

using namespace parley::stomp;

struct config {
  direction dir;
  version ver;
  limits lim;
};

config decode(std::uint8_t b) {
  config c{(b & 1) ? direction::server_to_client : direction::client_to_server,
           std::array{version::v1_2, version::v1_1, version::v1_0, version::v1_2}[(b >> 1) & 3],
           {}};
  if (b & 8) c.lim = {.max_frame_bytes = 200, .max_headers = 4, .max_header_line_bytes = 40};
  return c;
}

// xorshift32: deterministic read sizes from the seed byte.
struct chunker {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

std::vector<event> parse_at_once(const config& c, std::string_view stream) {
  parser p{c.lim, c.dir};
  p.set_version(c.ver);
  p.feed(stream);
  std::vector<event> out;
  while (auto ev = p.next()) out.push_back(std::move(*ev));
  return out;
}

std::vector<event> parse_in_chunks(const config& c, std::string_view stream, std::uint8_t seed) {
  parser p{c.lim, c.dir};
  p.set_version(c.ver);
  chunker rng{0x9e3779b9u ^ seed};
  std::vector<event> out;
  while (!stream.empty()) {
    const std::size_t n = std::min<std::size_t>(stream.size(), 1 + rng.next() % 48);
    p.feed(stream.substr(0, n));
    stream.remove_prefix(n);
    // Sometimes leave events undrained before the next read.
    for (std::uint32_t budget = rng.next() % 4 == 0 ? rng.next() % 2 : UINT32_MAX; budget > 0;
         --budget) {
      auto ev = p.next();
      if (!ev) break;
      out.push_back(std::move(*ev));
    }
    FUZZ_CHECK(p.buffered_capacity() <= 4 * c.lim.max_frame_bytes + stream.size() + 4096);
  }
  while (auto ev = p.next()) out.push_back(std::move(*ev));
  return out;
}

void check_round_trip(const config& c, const frame& f) {
  const std::string bytes = serialize(f, c.ver);
  // Serializing may add a content-length header and escapes: allow for both.
  parser p{{.max_frame_bytes = 1 << 20, .max_headers = 1024, .max_header_line_bytes = 1 << 20},
           c.dir};
  p.set_version(c.ver);
  p.feed(bytes);
  auto ev = p.next();
  FUZZ_CHECK(ev && std::holds_alternative<frame>(*ev));
  FUZZ_CHECK(!p.next());
  const frame& again = std::get<frame>(*ev);

  frame expected = f;
  if (!f.header("content-length") && !f.body.empty())
    expected.headers.emplace_back("content-length", std::to_string(f.body.size()));
  FUZZ_CHECK(again == expected);
  FUZZ_CHECK(serialize(again, c.ver) == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const config c = decode(data[0]);
  const std::uint8_t seed = data[1];
  const std::string_view stream{reinterpret_cast<const char*>(data) + 2, size - 2};

  const auto whole = parse_at_once(c, stream);
  FUZZ_CHECK(parse_in_chunks(c, stream, seed) == whole);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (std::holds_alternative<protocol_error>(whole[i])) FUZZ_CHECK(i + 1 == whole.size());
    if (const auto* f = std::get_if<frame>(&whole[i])) check_round_trip(c, *f);
  }
  return 0;
}
