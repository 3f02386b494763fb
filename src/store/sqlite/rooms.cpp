// Rooms and their members.
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/db.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/writer_jobs.hpp"

namespace parley::store::sqlite {

using core::problem;

// ---- rooms -------------------------------------------------------------------------------

outcome<room> sqlite_store::create_room(const room& r, const std::string& creator,
                                        const std::vector<std::string>& other_members) {
  auto now = clock_.now();
  return write_sync<room>([=](connection& db) -> outcome<room> {
    for (auto& uid : other_members)
      if (!find_user(db, "user_id", uid))
        return problem::not_found("User not found with ID: " + uid);
    db.cached(
          "INSERT INTO rooms(name, type, description, icon, created_at, last_activity) "
          "VALUES (?,?,?,?,?,?)")
        .bind(1, r.name)
        .bind(2, to_string(r.type))
        .bind(3, r.description)
        .bind(4, r.icon)
        .bind(5, core::epoch_ms(now))
        .bind(6, core::epoch_ms(now))
        .run();
    room out = r;
    out.chat_id = db.last_insert_rowid();
    out.created_at = core::from_epoch_ms(core::epoch_ms(now));
    out.last_seq = 0;
    insert_member(db, out.chat_id, creator, true, now);
    for (auto& uid : other_members)
      if (uid != creator && !find_member(db, out.chat_id, uid))
        insert_member(db, out.chat_id, uid, false, now);
    return out;
  });
}

outcome<std::pair<room, bool>> sqlite_store::find_or_create_dm(const std::string& a,
                                                               const std::string& b) {
  auto now = clock_.now();
  std::string key = a < b ? a + "|" + b : b + "|" + a;
  return write_sync<std::pair<room, bool>>([=](connection& db) -> outcome<std::pair<room, bool>> {
    auto& s = db.cached(sql({"SELECT ", room_cols, " FROM rooms WHERE dm_key = ?"}));
    s.bind(1, key);
    if (s.step()) return std::pair{read_room(s), false};
    if (!find_user(db, "user_id", b)) return problem::not_found("User not found with ID: " + b);
    db.cached(
          "INSERT INTO rooms(name, type, created_at, last_activity, dm_key) "
          "VALUES ('DM', 'DIRECT_MESSAGE', ?, ?, ?)")
        .bind(1, core::epoch_ms(now))
        .bind(2, core::epoch_ms(now))
        .bind(3, key)
        .run();
    auto id = db.last_insert_rowid();
    insert_member(db, id, a, false, now);
    insert_member(db, id, b, false, now);
    return std::pair{*find_room(db, id), true};
  });
}

std::optional<room> sqlite_store::room_by_id(std::int64_t chat_id) {
  auto db = read();
  return find_room(*db, chat_id);
}

outcome<room> sqlite_store::update_room(std::int64_t chat_id, const room_patch& p) {
  return write_sync<room>([=](connection& db) -> outcome<room> {
    std::optional<std::string> type;
    if (p.type) type = to_string(*p.type);
    db.cached(
          "UPDATE rooms SET name = coalesce(?, name), description = coalesce(?, description), "
          "icon = coalesce(?, icon), type = coalesce(?, type) WHERE chat_id = ?")
        .bind(1, p.name)
        .bind(2, p.description)
        .bind(3, p.icon)
        .bind(4, type)
        .bind(5, chat_id)
        .run();
    auto r = find_room(db, chat_id);
    if (!r) return problem::not_found("Chat room not found");
    return *r;
  });
}

void sqlite_store::delete_room(std::int64_t chat_id) {
  write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("DELETE FROM rooms WHERE chat_id = ?").bind(1, chat_id).run();
    return true;
  });
}

std::optional<member> sqlite_store::membership(std::int64_t chat_id, const std::string& user_id) {
  auto db = read();
  return find_member(*db, chat_id, user_id);
}

std::vector<member> sqlite_store::members(std::int64_t chat_id) {
  auto db = read();
  auto& s = db->cached(sql({"SELECT m.admin, m.last_read_message_id, ",
                            "u.user_id, u.username, u.email, u.full_name, '', u.avatar, u.bio "
                            "FROM room_members m JOIN users u ON u.user_id = m.user_id "
                            "WHERE m.chat_id = ? ORDER BY m.joined_at, u.username"}));
  s.bind(1, chat_id);
  std::vector<member> out;
  while (s.step()) {
    member m;
    m.chat_id = chat_id;
    m.admin = s.int64(0) != 0;
    m.last_read_message_id = s.opt_text(1);
    m.profile = read_user(s, 2);
    m.user_id = m.profile.user_id;
    out.push_back(std::move(m));
  }
  return out;
}

page<room_summary> sqlite_store::rooms_of(const std::string& user_id, int pg, int size) {
  auto db = read();
  page<room_summary> out;
  out.number = pg;
  out.size = size;
  out.total_elements = room_count_of(user_id);
  auto& s = db->cached(
      "SELECT r.chat_id, r.name, r.type, r.description, r.icon, r.created_at, r.last_seq, "
      "m.last_read_seq FROM room_members m JOIN rooms r ON r.chat_id = m.chat_id "
      "WHERE m.user_id = ? ORDER BY r.last_activity DESC, r.chat_id DESC LIMIT ? OFFSET ?");
  s.bind(1, user_id).bind(2, size).bind(3, static_cast<std::int64_t>(pg) * size);
  std::vector<std::pair<room, std::int64_t>> rows;
  while (s.step()) rows.emplace_back(read_room(s), s.int64(7));
  auto& latest = db->cached(
      sql({"SELECT ", msg_cols, " FROM messages WHERE chat_id = ? ORDER BY seq DESC LIMIT 1"}));
  auto& unread =
      db->cached("SELECT count(*) FROM messages WHERE chat_id = ? AND seq > ? AND user_id <> ?");
  for (auto& [r, read_seq] : rows) {
    room_summary sum;
    sum.info = r;
    latest.reset();
    latest.bind(1, r.chat_id);
    if (latest.step()) sum.latest = read_message(latest);
    unread.reset();
    unread.bind(1, r.chat_id).bind(2, read_seq).bind(3, user_id);
    unread.step();
    sum.unread_count = unread.int64(0);
    out.content.push_back(std::move(sum));
  }
  return out;
}

std::int64_t sqlite_store::room_count_of(const std::string& user_id) {
  auto db = read();
  auto& s = db->cached("SELECT count(*) FROM room_members WHERE user_id = ?");
  s.bind(1, user_id);
  s.step();
  return s.int64(0);
}

outcome<member> sqlite_store::add_member(std::int64_t chat_id, const std::string& user_id,
                                         bool admin) {
  auto now = clock_.now();
  return write_sync<member>([=](connection& db) -> outcome<member> {
    if (!find_room(db, chat_id)) return problem::not_found("Chat room not found");
    if (!find_user(db, "user_id", user_id)) return problem::not_found("User not found");
    if (find_member(db, chat_id, user_id)) return problem::conflict("User already a member.");
    insert_member(db, chat_id, user_id, admin, now);
    return *find_member(db, chat_id, user_id);
  });
}

bool sqlite_store::remove_member(std::int64_t chat_id, const std::string& user_id) {
  auto r = write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("DELETE FROM room_members WHERE chat_id = ? AND user_id = ?")
        .bind(1, chat_id)
        .bind(2, user_id)
        .run();
    return db.changes() > 0;
  });
  return r && *r;
}

bool sqlite_store::set_admin(std::int64_t chat_id, const std::string& user_id, bool admin) {
  auto r = write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("UPDATE room_members SET admin = ? WHERE chat_id = ? AND user_id = ?")
        .bind(1, admin)
        .bind(2, chat_id)
        .bind(3, user_id)
        .run();
    return db.changes() > 0;
  });
  return r && *r;
}

std::vector<std::string> sqlite_store::co_members(const std::string& user_id) {
  auto db = read();
  auto& s = db->cached(
      "SELECT DISTINCT o.user_id FROM room_members m JOIN room_members o ON o.chat_id = m.chat_id "
      "WHERE m.user_id = ?1 AND o.user_id <> ?1");
  s.bind(1, user_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

}  // namespace parley::store::sqlite
