// STOMP frame parser: a state machine that is correct at every byte boundary but works on whole
// runs of input at a time.
//
// Bytes are copied once, straight into the frame being built (command, header strings, body);
// there is no receive buffer. A command or header line that is complete within one input is
// parsed in place from the caller's bytes; only a line split across inputs is gathered in
// `line_`. Scans use memchr (via string_view::find), so the cost is per run, not per byte. Between
// frames the parser holds no heap memory beyond a small scratch line, which matters with tens of
// thousands of mostly idle connections.
//
// Rejected: appending every read to a buffer and re-parsing from the frame start (a second copy,
// and quadratic for a frame trickled a byte per read); a callback API (pulling events with next()
// lets the session stop at an ERROR or DISCONNECT without re-entrancy).
//
// Strictness: the 1.2 grammar, except that a header value may contain an unescaped ':' (1.0
// clients and many 1.1 ones send them, and the first ':' already ends the name). A NUL inside a
// command or header line, or a CR that does not end a line, is an error: letting them through would
// make one frame mean different things to different parsers.
#include "stomp/parser.hpp"

#include <functional>

#include <algorithm>
#include <charconv>
#include <utility>

namespace parley::stomp {
namespace {

// Scratch capacity kept between frames; a larger one (left by a long split line) is freed.
constexpr std::size_t idle_capacity_bytes = 256;

// Typical frames carry a handful of headers; one reservation avoids regrowing the vector.
constexpr std::size_t expected_headers = 8;

// Most frequent first: the lookup is a linear scan.
constexpr std::string_view client_commands[] = {
    "SEND",   "SUBSCRIBE", "UNSUBSCRIBE", "ACK",   "NACK",      "BEGIN",
    "COMMIT", "ABORT",     "CONNECT",     "STOMP", "DISCONNECT",
};
constexpr std::string_view server_commands[] = {"MESSAGE", "RECEIPT", "ERROR", "CONNECTED"};

bool accepts(direction d, std::string_view command) {
  const auto contains = [command](const auto& list) {
    return std::find(std::begin(list), std::end(list), command) != std::end(list);
  };
  return d == direction::client_to_server ? contains(client_commands) : contains(server_commands);
}

// Decodes the header escapes \r \n \c \\ into `out`; false on any other escape.
bool unescape(std::string_view in, std::string& out) {
  out.reserve(in.size());
  for (auto bs = in.find('\\'); bs != std::string_view::npos; bs = in.find('\\')) {
    out.append(in.substr(0, bs));
    if (bs + 1 == in.size()) return false;
    switch (in[bs + 1]) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 'c': out += ':'; break;
      case '\\': out += '\\'; break;
      default: return false;
    }
    in.remove_prefix(bs + 2);
  }
  out.append(in);
  return true;
}

}  // namespace

parser::parser(limits l, direction d) : limits_(l), direction_(d) {}

void parser::feed(std::string_view bytes) {
  if (state_ == state::failed) return;
  if (input_.empty()) {
    input_ = bytes;
    return;
  }
  // The caller did not drain the previous input: keep its rest alive by owning a copy.
  std::string joined;
  joined.reserve(input_.size() + bytes.size());
  joined.append(input_).append(bytes);
  pending_ = std::move(joined);
  input_ = pending_;
}

std::optional<event> parser::next() {
  while (!input_.empty())
    if (auto ev = step()) return ev;
  if (!pending_.empty()) std::string().swap(pending_);  // fully consumed: free it
  return std::nullopt;
}

std::size_t parser::hold() {
  const std::less_equal<const char*> le;  // a total order, even between unrelated buffers
  const bool owned = !pending_.empty() && le(pending_.data(), input_.data()) &&
                     le(input_.data(), pending_.data() + pending_.size());
  if (!owned) {
    pending_.assign(input_);
    input_ = pending_;
  }
  return input_.size();
}

std::size_t parser::buffered_capacity() const noexcept {
  return line_.capacity() + pending_.capacity() + current_.body.capacity() +
         current_.headers.capacity() * sizeof(current_.headers[0]);
}

std::optional<event> parser::step() {
  switch (state_) {
    case state::between_frames: return on_between_frames();
    case state::after_cr:
      if (input_.front() != '\n')
        return fail(errc::malformed_frame, "CR without LF between frames");
      input_.remove_prefix(1);
      state_ = state::between_frames;
      return heart_beat{};
    case state::command: return on_command();
    case state::headers: return on_header();
    case state::counted_body: return on_counted_body();
    case state::counted_nul:
      if (input_.front() != '\0')
        return fail(errc::malformed_frame, "no NUL after the content-length body");
      input_.remove_prefix(1);
      return finish_frame();
    case state::open_body: return on_open_body();
    case state::failed: break;
  }
  input_ = {};  // only a failed parser gets here, and fail() has already dropped the input
  return std::nullopt;
}

std::optional<event> parser::on_between_frames() {
  switch (input_.front()) {
    case '\n':
      input_.remove_prefix(1);
      return heart_beat{};
    case '\r':
      input_.remove_prefix(1);
      state_ = state::after_cr;
      return std::nullopt;
    default:
      state_ = state::command;
      return std::nullopt;
  }
}

parser::line_status parser::take_line(std::size_t max_line_bytes, std::string_view& line) {
  const std::size_t line_room = max_line_bytes - line_.size();
  const std::size_t frame_room = limits_.max_frame_bytes - frame_bytes_;
  const std::size_t room = std::min(line_room, frame_room);
  // The LF must lie within `room` bytes for the line (EOL included) to fit.
  const std::string_view scan = input_.substr(0, room);
  const std::size_t lf = scan.find('\n');
  const std::string_view part = scan.substr(0, lf);
  if (part.find('\0') != std::string_view::npos) return line_status::has_nul;
  if (lf == std::string_view::npos) {
    if (scan.size() == room)
      return frame_room <= line_room ? line_status::frame_too_long : line_status::too_long;
    line_.append(part);
    input_.remove_prefix(part.size());
    frame_bytes_ += part.size();
    return line_status::partial;
  }
  input_.remove_prefix(lf + 1);
  frame_bytes_ += lf + 1;
  if (line_.empty()) {
    line = part;
  } else {
    line_.append(part);
    line = line_;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line_status::complete;
}

std::optional<event> parser::on_command() {
  std::string_view line;
  switch (take_line(limits::max_command_line_bytes, line)) {
    case line_status::partial: return std::nullopt;
    case line_status::complete: break;
    case line_status::frame_too_long:
      return fail_frame_too_large();
    case line_status::too_long:
    case line_status::has_nul: return fail(errc::malformed_frame, "unknown command");
  }
  if (!accepts(direction_, line)) return fail(errc::malformed_frame, "unknown command");
  current_.command.assign(line);
  line_.clear();
  raw_headers_ = current_.command == "CONNECT" || current_.command == "CONNECTED";
  state_ = state::headers;
  return std::nullopt;
}

std::optional<event> parser::on_header() {
  std::string_view line;
  switch (take_line(limits_.max_header_line_bytes, line)) {
    case line_status::partial: return std::nullopt;
    case line_status::complete: break;
    case line_status::frame_too_long:
      return fail_frame_too_large();
    case line_status::too_long:
      return fail(errc::frame_too_large, "header line exceeds " +
                                             std::to_string(limits_.max_header_line_bytes) +
                                             " bytes");
    case line_status::has_nul: return fail(errc::malformed_frame, "NUL inside the headers");
  }
  if (line.empty()) {
    line_.clear();
    return start_body();
  }
  if (current_.headers.size() == limits_.max_headers)
    return fail(errc::too_many_headers,
                "more than " + std::to_string(limits_.max_headers) + " headers");
  const std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos)
    return fail(errc::malformed_frame, "header line is not name:value");
  if (line.find('\r') != std::string_view::npos)
    return fail(errc::malformed_frame, "CR inside a header line");

  if (current_.headers.empty()) current_.headers.reserve(expected_headers);
  auto& [name, value] = current_.headers.emplace_back();
  const std::string_view raw_name = line.substr(0, colon);
  const std::string_view raw_value = line.substr(colon + 1);
  if (raw_headers_ || !unescape_) {
    name.assign(raw_name);
    value.assign(raw_value);
  } else if (!unescape(raw_name, name) || !unescape(raw_value, value)) {
    return fail(errc::malformed_frame, "undefined escape sequence in a header");
  }
  line_.clear();

  if (!has_content_length_ && name == "content-length") {
    has_content_length_ = true;
    std::uint64_t n = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, n);
    if (ec == std::errc::result_out_of_range)
      return fail(errc::frame_too_large, "content-length exceeds the frame limit");
    if (ec != std::errc{} || ptr != end)
      return fail(errc::malformed_frame, "content-length is not a decimal number");
    body_remaining_ = n;
  }
  return std::nullopt;
}

std::optional<event> parser::start_body() {
  if (!has_content_length_) {
    state_ = state::open_body;
    return std::nullopt;
  }
  // The body and its NUL must fit in what is left of the frame budget.
  if (body_remaining_ >= limits_.max_frame_bytes - frame_bytes_)
    return fail(errc::frame_too_large, "content-length exceeds the frame limit");
  // No reserve(content-length): a peer could pin 64 KiB per connection by declaring a length and
  // sending nothing. A body that arrives in one input is appended, and allocated, exactly once.
  state_ = body_remaining_ == 0 ? state::counted_nul : state::counted_body;
  return std::nullopt;
}

std::optional<event> parser::on_counted_body() {
  const std::size_t n = std::min<std::size_t>(body_remaining_, input_.size());
  current_.body.append(input_.substr(0, n));
  input_.remove_prefix(n);
  frame_bytes_ += n;
  body_remaining_ -= n;
  if (body_remaining_ == 0) state_ = state::counted_nul;
  return std::nullopt;
}

std::optional<event> parser::on_open_body() {
  const std::size_t room = limits_.max_frame_bytes - frame_bytes_;  // the NUL included
  const std::string_view scan = input_.substr(0, room);
  const std::size_t nul = scan.find('\0');
  if (nul == std::string_view::npos) {
    if (scan.size() == room)
      return fail_frame_too_large();
    current_.body.append(scan);
    input_.remove_prefix(scan.size());
    frame_bytes_ += scan.size();
    return std::nullopt;
  }
  current_.body.append(scan.substr(0, nul));
  input_.remove_prefix(nul + 1);
  return finish_frame();
}

event parser::finish_frame() {
  event ev{std::move(current_)};
  current_ = frame{};
  frame_bytes_ = 0;
  body_remaining_ = 0;
  has_content_length_ = false;
  release_idle_buffers();
  state_ = state::between_frames;
  return ev;
}

protocol_error parser::fail_frame_too_large() {
  return fail(errc::frame_too_large,
              "frame exceeds " + std::to_string(limits_.max_frame_bytes) + " bytes");
}

protocol_error parser::fail(errc code, std::string message) {
  state_ = state::failed;
  input_ = {};
  current_ = frame{};
  std::string().swap(line_);
  std::string().swap(pending_);
  return {code, std::move(message)};
}

void parser::release_idle_buffers() {
  if (line_.capacity() > idle_capacity_bytes)
    std::string().swap(line_);
  else
    line_.clear();
}

}  // namespace parley::stomp
