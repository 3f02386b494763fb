#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

using core::problem;

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
