#include "chat/views.hpp"

#include "core/time.hpp"

namespace parley::chat::views {

using core::nullable;

json::object user(const chat::user& u, bool with_email) {
  return {{"userId", u.user_id},
          {"username", u.username},
          {"email", with_email ? json::value(u.email) : json::value(nullptr)},
          {"fullName", u.full_name},
          {"avatar", nullable(u.avatar)},
          {"bio", nullable(u.bio)}};
}

json::object user_summary(const chat::user& u) {
  return {{"userId", u.user_id},
          {"username", u.username},
          {"fullName", u.full_name},
          {"avatar", nullable(u.avatar)}};
}

json::object message(const chat::message& m) {
  return {{"messageId", m.message_id},
          {"chatRoomId", m.chat_id},
          {"userId", m.user_id},
          {"content", m.content},
          {"timestamp", core::iso8601(m.timestamp)},
          {"status", to_string(m.status)},
          {"type", to_string(m.type)},
          {"edited", m.edited},
          {"seq", m.seq},
          {"clientMessageId", nullable(m.client_message_id)}};
}

namespace {
// JSON string literal exactly as Boost.JSON's serializer writes it (tests/unit/chat/views_test).
void append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s, plain);
  out += '"';
}
}  // namespace

// The one JSON every subscriber of a room receives, written directly: building a json::object
// first cost a dozen allocations per message on the commit path.
std::string message_text(const chat::message& m) {
  std::string out;
  out.reserve(220 + m.content.size());
  out += R"({"messageId":)";
  append_string(out, m.message_id);
  out += R"(,"chatRoomId":)";
  out += std::to_string(m.chat_id);
  out += R"(,"userId":)";
  append_string(out, m.user_id);
  out += R"(,"content":)";
  append_string(out, m.content);
  out += R"(,"timestamp":)";
  append_string(out, core::iso8601(m.timestamp));
  out += R"(,"status":)";
  append_string(out, to_string(m.status));
  out += R"(,"type":)";
  append_string(out, to_string(m.type));
  out += m.edited ? R"(,"edited":true)" : R"(,"edited":false)";
  out += R"(,"seq":)";
  out += std::to_string(m.seq);
  out += R"(,"clientMessageId":)";
  if (m.client_message_id)
    append_string(out, *m.client_message_id);
  else
    out += "null";
  out += '}';
  return out;
}

json::object room(const chat::room& r) {
  return {{"chatId", r.chat_id},
          {"name", r.name},
          {"type", to_string(r.type)},
          {"createdAt", core::iso8601(r.created_at)},
          {"description", nullable(r.description)},
          {"icon", nullable(r.icon)}};
}

json::object member(const chat::member& m, bool with_email) {
  return {{"chatId", m.chat_id},
          {"userId", m.user_id},
          {"admin", m.admin},
          {"lastReadMessageId", nullable(m.last_read_message_id)},
          {"user", user(m.profile, with_email)}};
}

json::object page(json::array content, std::int64_t total, int number, int size) {
  std::int64_t pages = size > 0 ? (total + size - 1) / size : 0;
  auto count = static_cast<std::int64_t>(content.size());
  return {{"content", std::move(content)},
          {"totalElements", total},
          {"totalPages", pages},
          {"size", size},
          {"number", number},
          {"numberOfElements", count},
          {"first", number == 0},
          {"last", static_cast<std::int64_t>(number) + 1 >= pages},
          {"empty", count == 0}};
}

json::object error(int status, const std::string& message) {
  return {{"timestamp", core::iso8601(std::chrono::system_clock::now())},
          {"status", status},
          {"message", message}};
}

}  // namespace parley::chat::views
