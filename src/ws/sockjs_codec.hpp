#pragma once
// SockJS 0.3 framing without I/O: what the server writes (`o`, `h`, `a[...]`, `c[code,"reason"]`)
// and how it reads what sockjs-client sends (a JSON array of strings, or one JSON string).
//
// Strings are escaped for the server-to-client direction as the protocol requires: besides JSON's
// own escapes, code points that browsers or proxies mangle (C0/C1 controls, U+2000-U+20FF with
// the zero-width and line/paragraph separators, U+FEFF, U+FFF0-U+FFFF) go out as lowercase
// \uXXXX. Invalid UTF-8 (including encoded surrogates) becomes \ufffd, so the output is always
// valid JSON whatever bytes the application queued. Decoding accepts exactly strings in one flat
// array; lone surrogates decode to U+FFFD. A hand-written decoder rather than Boost.JSON: it
// needs no DOM, and Boost.JSON 1.81 rejects the lone surrogates JavaScript strings may carry.
#include <boost/system/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::ws::sockjs {

inline constexpr std::string_view open_frame = "o";
inline constexpr std::string_view heartbeat_frame = "h";

// Close codes of the protocol.
inline constexpr int go_away_code = 3000;
inline constexpr int another_connection_code = 2010;
inline constexpr int interrupted_code = 1002;

// Appends `s` as a JSON string literal (with quotes), escaped as described above.
void append_quoted(std::string& out, std::string_view s);

// `c[code,"reason"]`.
std::string close_frame(int code, std::string_view reason);

// Builds an `a[...]` frame in `out`; each add() is one message (a STOMP frame), given in up to two
// parts because a fanned-out frame is a per-subscription prefix plus a shared body.
class array_frame {
 public:
  explicit array_frame(std::string& out) : out_(out) { out_ += "a["; }
  void add(std::string_view part, std::string_view more = {});
  void finish() { out_ += ']'; }

 private:
  std::string& out_;
  bool first_ = true;
};

enum class decode_error { payload_expected = 1, broken_json };

// Messages sent by the client: `["m1","m2"]` or `"m"`, whitespace allowed around tokens.
boost::system::result<std::vector<std::string>, decode_error> decode_messages(std::string_view in);

// A `{server}` or `{session}` path segment: `[^/.]+` per the protocol, at most `max_length`.
bool valid_segment(std::string_view s, std::size_t max_length);

}  // namespace parley::ws::sockjs
