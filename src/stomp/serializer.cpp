// Each builder describes its frame once, as a generic lambda over a sink, and runs it twice: a
// measuring pass sizes the string, a writing pass fills it, so the result is allocated once with
// no slack (MESSAGE bodies stay in memory while they are queued for every recipient).
#include "stomp/serializer.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstdint>

namespace parley::stomp {
namespace {

constexpr std::string_view nul{"\0", 1};

// Decimal text of n without allocating.
class decimal {
 public:
  explicit decimal(std::uint64_t n)
      : end_(std::to_chars(buf_.data(), buf_.data() + buf_.size(), n).ptr) {}
  std::string_view view() const {
    return {buf_.data(), static_cast<std::size_t>(end_ - buf_.data())};
  }

 private:
  std::array<char, 20> buf_;
  char* end_;
};

// Plain comparisons, not string_view::find_first_of: that costs a memchr per character.
bool escapable(char c) { return c == '\\' || c == '\n' || c == '\r' || c == ':'; }

char escape_letter(char c) {
  switch (c) {
    case '\n': return 'n';
    case '\r': return 'r';
    case ':': return 'c';
    default: return '\\';
  }
}

class measure {
 public:
  explicit measure(bool escape) : escape_(escape) {}
  void raw(std::string_view s) { size_ += s.size(); }
  void header(std::string_view name, std::string_view value) {
    size_ += escaped_size(name) + escaped_size(value) + 2;  // ':' and LF
  }
  std::size_t size() const { return size_; }

 private:
  std::size_t escaped_size(std::string_view s) const {
    if (!escape_) return s.size();
    return s.size() + static_cast<std::size_t>(std::count_if(s.begin(), s.end(), escapable));
  }

  bool escape_;
  std::size_t size_ = 0;
};

class writer {
 public:
  writer(bool escape, std::string& out) : escape_(escape), out_(out) {}
  void raw(std::string_view s) { out_.append(s); }
  void header(std::string_view name, std::string_view value) {
    append(name);
    out_ += ':';
    append(value);
    out_ += '\n';
  }

 private:
  void append(std::string_view s) {
    auto it = escape_ ? std::find_if(s.begin(), s.end(), escapable) : s.end();
    out_.append(s.begin(), it);
    for (; it != s.end(); ++it) {
      if (escapable(*it)) {
        out_ += '\\';
        out_ += escape_letter(*it);
      } else {
        out_ += *it;
      }
    }
  }

  bool escape_;
  std::string& out_;
};

template <class Describe>
std::string build(bool escape, const Describe& describe) {
  measure m{escape};
  describe(m);
  std::string out;
  out.reserve(m.size());
  writer w{escape, out};
  describe(w);
  return out;
}

[[maybe_unused]] bool declared_length_matches(std::string_view declared, std::size_t body_size) {
  std::uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(declared.data(), declared.data() + declared.size(), n);
  return ec == std::errc{} && ptr == declared.data() + declared.size() && n == body_size;
}

}  // namespace

std::string serialize(const frame& f, version v) {
  const bool escape = v != version::v1_0 && f.command != "CONNECT" && f.command != "CONNECTED";
  const auto declared = f.header("content-length");
  assert(!declared || declared_length_matches(*declared, f.body.size()));
  const bool add_length = !declared && !f.body.empty();
  const decimal length{f.body.size()};
  return build(escape, [&](auto& out) {
    out.raw(f.command);
    out.raw("\n");
    for (const auto& [name, value] : f.headers) out.header(name, value);
    if (add_length) out.header("content-length", length.view());
    out.raw("\n");
    out.raw(f.body);
    out.raw(nul);
  });
}

std::string connected(version v, heart_beat_offer heart_beat, std::string_view server,
                      std::optional<std::string_view> session) {
  const decimal sx{static_cast<std::uint64_t>(heart_beat.outgoing.count())};
  const decimal sy{static_cast<std::uint64_t>(heart_beat.incoming.count())};
  return build(false, [&](auto& out) {
    out.raw("CONNECTED\nversion:");
    out.raw(to_string(v));
    out.raw("\nheart-beat:");
    out.raw(sx.view());
    out.raw(",");
    out.raw(sy.view());
    out.raw("\n");
    out.header("server", server);
    if (session) out.header("session", *session);
    out.raw("\n");
    out.raw(nul);
  });
}

std::string receipt(std::string_view receipt_id, std::initializer_list<header_view> extra) {
  return build(true, [&](auto& out) {
    out.raw("RECEIPT\n");
    out.header("receipt-id", receipt_id);
    for (const auto& [name, value] : extra) out.header(name, value);
    out.raw("\n");
    out.raw(nul);
  });
}

std::string error(std::string_view code, std::string_view message,
                  std::optional<std::string_view> receipt_id, std::string_view body) {
  const decimal length{body.size()};
  return build(true, [&](auto& out) {
    out.raw("ERROR\n");
    out.header("code", code);
    out.header("message", message);
    if (receipt_id) out.header("receipt-id", *receipt_id);
    if (!body.empty()) {
      out.raw("content-type:text/plain\ncontent-length:");
      out.raw(length.view());
      out.raw("\n");
    }
    out.raw("\n");
    out.raw(body);
    out.raw(nul);
  });
}

std::string message_prefix(std::string_view subscription_id, version v) {
  return build(v != version::v1_0, [&](auto& out) {
    out.raw("MESSAGE\n");
    out.header("subscription", subscription_id);
  });
}

std::string message_body(std::string_view destination, std::string_view message_id,
                         std::string_view content_type, std::string_view body,
                         std::initializer_list<header_view> extra) {
  const decimal length{body.size()};
  return build(true, [&](auto& out) {
    out.header("destination", destination);
    out.header("message-id", message_id);
    if (!content_type.empty()) out.header("content-type", content_type);
    for (const auto& [name, value] : extra) out.header(name, value);
    out.raw("content-length:");
    out.raw(length.view());
    out.raw("\n\n");
    out.raw(body);
    out.raw(nul);
  });
}

}  // namespace parley::stomp
