#include "chat/views.hpp"

#include "core/time.hpp"

namespace parley::chat::views {

using core::nullable;

json::object user(const store::user& u, bool with_email) {
  return {{"userId", u.user_id},
          {"username", u.username},
          {"email", with_email ? json::value(u.email) : json::value(nullptr)},
          {"fullName", u.full_name},
          {"avatar", nullable(u.avatar)},
          {"bio", nullable(u.bio)}};
}

json::object user_summary(const store::user& u) {
  return {{"userId", u.user_id},
          {"username", u.username},
          {"fullName", u.full_name},
          {"avatar", nullable(u.avatar)}};
}

json::object message(const store::message& m) {
  return {{"messageId", m.message_id},
          {"chatRoomId", m.chat_id},
          {"userId", m.user_id},
          {"content", m.content},
          {"timestamp", core::iso8601(m.timestamp)},
          {"status", store::to_string(m.status)},
          {"type", store::to_string(m.type)},
          {"edited", m.edited},
          {"seq", m.seq},
          {"clientMessageId", nullable(m.client_message_id)}};
}

std::string message_text(const store::message& m) { return json::serialize(message(m)); }

json::object room(const store::room& r) {
  return {{"chatId", r.chat_id},
          {"name", r.name},
          {"type", store::to_string(r.type)},
          {"createdAt", core::iso8601(r.created_at)},
          {"description", nullable(r.description)},
          {"icon", nullable(r.icon)}};
}

json::object member(const store::member& m, bool with_email) {
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
