#include "store/sqlite/rows.hpp"

#include <algorithm>

namespace parley::store::sqlite {

using core::problem;

user read_user(const statement& s, int c) {
  return user{s.text(c),     s.text(c + 1),     s.text(c + 2),    s.text(c + 3),
              s.text(c + 4), s.opt_text(c + 5), s.opt_text(c + 6)};
}

room read_room(const statement& s, int c) {
  room r;
  r.chat_id = s.int64(c);
  r.name = s.text(c + 1);
  r.type = parse_room_type(s.text(c + 2)).value_or(room_type::private_room);
  r.description = s.opt_text(c + 3);
  r.icon = s.opt_text(c + 4);
  r.created_at = core::from_epoch_ms(s.int64(c + 5));
  r.last_seq = s.int64(c + 6);
  return r;
}

message read_message(const statement& s, int c) {
  message m;
  m.message_id = s.text(c);
  m.chat_id = s.int64(c + 1);
  m.seq = s.int64(c + 2);
  m.user_id = s.text(c + 3);
  m.content = s.text(c + 4);
  m.type = parse_message_type(s.text(c + 5)).value_or(message_type::text);
  m.status = static_cast<message_status>(std::clamp<std::int64_t>(s.int64(c + 6), 0, 2));
  m.timestamp = core::from_epoch_ms(s.int64(c + 7));
  m.edited = s.int64(c + 8) != 0;
  m.client_message_id = s.opt_text(c + 9);
  return m;
}

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

std::optional<message> find_message(connection& db, const std::string& id) {
  auto& s = db.cached(sql({"SELECT ", msg_cols, " FROM messages WHERE message_id = ?"}));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_message(s);
}

std::optional<member> find_member(connection& db, std::int64_t chat_id, const std::string& uid) {
  auto& s = db.cached(
      "SELECT admin, last_read_message_id FROM room_members WHERE chat_id = ? AND user_id = ?");
  s.bind(1, chat_id).bind(2, uid);
  if (!s.step()) return std::nullopt;
  member m;
  m.chat_id = chat_id;
  m.user_id = uid;
  m.admin = s.int64(0) != 0;
  m.last_read_message_id = s.opt_text(1);
  return m;
}

std::optional<room> find_room(connection& db, std::int64_t chat_id) {
  auto& s = db.cached(sql({"SELECT ", room_cols, " FROM rooms WHERE chat_id = ?"}));
  s.bind(1, chat_id);
  if (!s.step()) return std::nullopt;
  return read_room(s);
}

std::optional<user> find_user(connection& db, std::string_view column, const std::string& v) {
  auto& s = db.cached(sql({"SELECT ", user_cols, " FROM users WHERE ", column, " = ?"}));
  s.bind(1, v);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

core::problem taken(const db_error& e) {
  std::string what = e.what();
  if (what.find("users.email") != std::string::npos)
    return problem::conflict("Email already exists");
  if (what.find("users.username") != std::string::npos)
    return problem::conflict("Username already exists");
  return problem::conflict("Duplicate value violates a unique constraint");
}

void insert_member(connection& db, std::int64_t chat_id, const std::string& uid, bool admin,
                   time_point now) {
  db.cached("INSERT INTO room_members(chat_id, user_id, admin, joined_at) VALUES (?, ?, ?, ?)")
      .bind(1, chat_id)
      .bind(2, uid)
      .bind(3, admin)
      .bind(4, core::epoch_ms(now))
      .run();
}

}  // namespace parley::store::sqlite
