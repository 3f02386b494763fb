#include "ws/sockjs_codec.hpp"

#include <cstdint>

namespace parley::ws::sockjs {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t cp) {
  char buf[6] = {'\\',
                 'u',
                 hex_digits[(cp >> 12) & 0xF],
                 hex_digits[(cp >> 8) & 0xF],
                 hex_digits[(cp >> 4) & 0xF],
                 hex_digits[cp & 0xF]};
  out.append(buf, sizeof buf);
}

// Code points that go out escaped although JSON would allow them raw (see the header).
bool mangled_by_browsers(std::uint32_t cp) {
  return (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2000 && cp <= 0x20FF) || cp == 0xFEFF ||
         (cp >= 0xFFF0 && cp <= 0xFFFF);
}

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes one UTF-8 sequence at s[i] (s[i] >= 0x80). Returns its length and sets `cp`, or returns
// the length of the maximal invalid subpart (>= 1) and sets `cp` to U+FFFD.
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  auto lead = static_cast<unsigned char>(s[i]);
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    cp = lead & 0x0F;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    cp = lead & 0x07;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    cp = 0xFFFD;
    return 1;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) {
      cp = 0xFFFD;
      return k;
    }
    auto c = static_cast<unsigned char>(s[i + k]);
    bool ok = k == 1 ? (c >= lo && c <= hi) : is_continuation(c);
    if (!ok) {
      cp = 0xFFFD;
      return k;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  return len;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Appends the escaped body of a JSON string (no quotes).
void append_escaped(std::string& out, std::string_view s) {
  std::size_t run = 0;  // start of the pending verbatim run
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          append_u_escape(out, c);  // other C0 controls and DEL
      }
      ++i;
    } else {
      std::uint32_t cp;
      auto len = decode_utf8(s, i, cp);
      if (cp == 0xFFFD || mangled_by_browsers(cp))
        append_u_escape(out, cp);
      else
        out.append(s.data() + i, len);
      i += len;
    }
    run = i;
  }
  out.append(s.data() + run, i - run);
}

class decoder {
 public:
  explicit decoder(std::string_view in) : in_(in) {}

  boost::system::result<std::vector<std::string>, decode_error> run() {
    skip_ws();
    if (pos_ == in_.size()) return decode_error::payload_expected;
    std::vector<std::string> messages;
    if (in_[pos_] == '"') {
      if (!string(messages.emplace_back())) return decode_error::broken_json;
    } else if (in_[pos_] == '[') {
      ++pos_;
      skip_ws();
      if (pos_ < in_.size() && in_[pos_] == ']') {
        ++pos_;
      } else {
        for (;;) {
          if (pos_ == in_.size() || in_[pos_] != '"' || !string(messages.emplace_back()))
            return decode_error::broken_json;
          skip_ws();
          if (pos_ == in_.size()) return decode_error::broken_json;
          char c = in_[pos_++];
          if (c == ']') break;
          if (c != ',') return decode_error::broken_json;
          skip_ws();
        }
      }
    } else {
      return decode_error::broken_json;
    }
    skip_ws();
    if (pos_ != in_.size()) return decode_error::broken_json;
    return messages;
  }

 private:
  void skip_ws() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }

  bool hex4(std::uint32_t& v) {
    if (in_.size() - pos_ < 4) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  // At an opening quote; leaves pos_ after the closing one.
  bool string(std::string& out) {
    ++pos_;
    std::size_t run = pos_;
    while (pos_ < in_.size()) {
      auto c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') {
        out.append(in_.data() + run, pos_ - run);
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;  // JSON forbids raw control characters in strings
      if (c != '\\') {
        ++pos_;  // bytes >= 0x80 pass through: the STOMP parser owns content validation
        continue;
      }
      out.append(in_.data() + run, pos_ - run);
      if (++pos_ == in_.size()) return false;
      switch (in_[pos_++]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && in_.size() - pos_ >= 6 && in_[pos_] == '\\' &&
              in_[pos_ + 1] == 'u') {
            auto save = pos_;
            pos_ += 2;
            std::uint32_t low;
            if (!hex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF)
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else
              pos_ = save;  // lone high surrogate; the next escape is decoded on its own
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          append_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
      run = pos_;
    }
    return false;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace

void append_quoted(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  append_escaped(out, s);
  out += '"';
}

std::string close_frame(int code, std::string_view reason) {
  std::string out = "c[" + std::to_string(code) + ',';
  append_quoted(out, reason);
  out += ']';
  return out;
}

void array_frame::add(std::string_view part, std::string_view more) {
  if (!first_) out_ += ',';
  first_ = false;
  out_.reserve(out_.size() + part.size() + more.size() + 2);
  out_ += '"';
  append_escaped(out_, part);
  append_escaped(out_, more);
  out_ += '"';
}

boost::system::result<std::vector<std::string>, decode_error> decode_messages(std::string_view in) {
  return decoder(in).run();
}

bool valid_segment(std::string_view s, std::size_t max_length) {
  return !s.empty() && s.size() <= max_length && s.find_first_of("/.") == std::string_view::npos;
}

}  // namespace parley::ws::sockjs
