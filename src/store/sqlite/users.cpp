// Users, their last-seen rows and refresh tokens.
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/db.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/writer_jobs.hpp"

namespace parley::store::sqlite {

using core::problem;

// ---- users -------------------------------------------------------------------------------

outcome<user> sqlite_store::create_user(const user& u) {
  auto now = clock_.now();
  return write_sync<user>([u, now](connection& db) -> outcome<user> {
    try {
      db.cached(sql({"INSERT INTO users(", user_cols, ", created_at) VALUES (?,?,?,?,?,?,?,?)"}))
          .bind(1, u.user_id)
          .bind(2, u.username)
          .bind(3, u.email)
          .bind(4, u.full_name)
          .bind(5, u.password_hash)
          .bind(6, u.avatar)
          .bind(7, u.bio)
          .bind(8, core::epoch_ms(now))
          .run();
    } catch (const db_error& e) {
      if (e.is_constraint()) return taken(e);
      throw;
    }
    return u;
  });
}

std::optional<user> sqlite_store::user_by_id(const std::string& id) {
  auto db = read();
  return find_user(*db, "user_id", id);
}

std::optional<user> sqlite_store::user_by_username(const std::string& username) {
  auto db = read();
  return find_user(*db, "username", username);
}

outcome<user> sqlite_store::update_user(const std::string& id, const user_patch& p) {
  return write_sync<user>([id, p](connection& db) -> outcome<user> {
    try {
      db.cached(
            "UPDATE users SET email = coalesce(?, email), full_name = coalesce(?, full_name), "
            "avatar = coalesce(?, avatar), bio = coalesce(?, bio) WHERE user_id = ?")
          .bind(1, p.email)
          .bind(2, p.full_name)
          .bind(3, p.avatar)
          .bind(4, p.bio)
          .bind(5, id)
          .run();
    } catch (const db_error& e) {
      if (e.is_constraint()) return taken(e);
      throw;
    }
    auto u = find_user(db, "user_id", id);
    if (!u) return problem::not_found("User not found");
    return *u;
  });
}

page<user> sqlite_store::search_users(const std::string& q, const std::string& exclude_id, int pg,
                                      int size) {
  auto db = read();
  // SQLite's lower() folds ASCII only; names are matched case-insensitively in ASCII.
  constexpr const char* where =
      " FROM users WHERE user_id <> ?1 AND (instr(lower(username), lower(?2)) > 0 OR "
      "instr(lower(full_name), lower(?2)) > 0)";
  page<user> out;
  out.number = pg;
  out.size = size;
  auto& c = db->cached(sql({"SELECT count(*)", where}));
  c.bind(1, exclude_id).bind(2, q);
  c.step();
  out.total_elements = c.int64(0);
  auto& s = db->cached(sql({"SELECT ", user_cols, where, " ORDER BY username LIMIT ?3 OFFSET ?4"}));
  s.bind(1, exclude_id).bind(2, q).bind(3, size).bind(4, static_cast<std::int64_t>(pg) * size);
  while (s.step()) out.content.push_back(read_user(s));
  return out;
}

std::vector<std::string> sqlite_store::all_usernames() {
  auto db = read();
  std::vector<std::string> out;
  auto& s = db->cached("SELECT username FROM users");
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void sqlite_store::set_last_seen(const std::string& user_id, time_point t) {
  write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("UPDATE users SET last_seen = ? WHERE user_id = ?")
        .bind(1, core::epoch_ms(t))
        .bind(2, user_id)
        .run();
    return true;
  });
}

std::vector<presence_row> sqlite_store::last_seen(const std::vector<std::string>& ids) {
  auto db = read();
  std::vector<presence_row> out;
  auto& s = db->cached("SELECT last_seen FROM users WHERE user_id = ?");
  for (auto& id : ids) {
    s.reset();
    s.bind(1, id);
    presence_row row{id, std::nullopt};
    if (s.step() && !s.is_null(0)) row.last_seen = core::from_epoch_ms(s.int64(0));
    out.push_back(std::move(row));
  }
  return out;
}

// ---- refresh tokens ----------------------------------------------------------------------

void sqlite_store::insert_refresh(const std::string& token_hash, const std::string& family_id,
                                  const std::string& user_id, time_point expires_at) {
  auto r = write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached(
          "INSERT INTO refresh_tokens(token_hash, family_id, user_id, expires_at) VALUES (?,?,?,?)")
        .bind(1, token_hash)
        .bind(2, family_id)
        .bind(3, user_id)
        .bind(4, core::epoch_ms(expires_at))
        .run();
    return true;
  });
  if (!r) throw std::runtime_error(r.error().message);
}

outcome<refresh_grant> sqlite_store::rotate_refresh(const std::string& old_hash,
                                                    const std::string& new_hash,
                                                    time_point new_expires_at, time_point now) {
  return write_sync<refresh_grant>([=](connection& db) -> outcome<refresh_grant> {
    auto& s = db.cached(
        "SELECT family_id, user_id, expires_at, used, revoked FROM refresh_tokens "
        "WHERE token_hash = ?");
    s.bind(1, old_hash);
    if (!s.step()) return problem::unauthorized("Invalid refresh token");
    refresh_grant g{s.text(1), s.text(0)};
    auto expires = s.int64(2);
    bool used = s.int64(3) != 0, revoked = s.int64(4) != 0;
    s.reset();
    if (used || revoked) {
      // Reuse of a rotated token: someone holds a copy. Revoke the whole family (the device's
      // session), so neither the thief nor the victim can continue without logging in again.
      db.cached("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?")
          .bind(1, g.family_id)
          .run();
      return problem::unauthorized("Refresh token reuse detected; session revoked");
    }
    if (expires <= core::epoch_ms(now)) return problem::unauthorized("Refresh token expired");
    db.cached("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?").bind(1, old_hash).run();
    db.cached(
          "INSERT INTO refresh_tokens(token_hash, family_id, user_id, expires_at) VALUES (?,?,?,?)")
        .bind(1, new_hash)
        .bind(2, g.family_id)
        .bind(3, g.user_id)
        .bind(4, core::epoch_ms(new_expires_at))
        .run();
    return g;
  });
}

void sqlite_store::revoke_family(const std::string& token_hash) {
  write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached(
          "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = "
          "(SELECT family_id FROM refresh_tokens WHERE token_hash = ?)")
        .bind(1, token_hash)
        .run();
    return true;
  });
}

}  // namespace parley::store::sqlite
