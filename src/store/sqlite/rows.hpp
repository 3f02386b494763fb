#pragma once
// Rows of the SQLite schema as model values, and the lookups every part of the adapter shares.
// Internal to store/sqlite.
#include "core/problem.hpp"
#include "store/domain_types.hpp"
#include "store/rows.hpp"
#include "store/sqlite/db.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::store::sqlite {

inline constexpr const char* user_cols =
    "user_id, username, email, full_name, password_hash, avatar, bio";
inline constexpr const char* room_cols =
    "chat_id, name, type, description, icon, created_at, last_seq";
inline constexpr const char* msg_cols =
    "message_id, chat_id, seq, user_id, content, type, status, timestamp, edited, "
    "client_message_id";

// Rows become model values with store/rows.hpp (read_user, read_room, read_message, sql).

std::optional<message> find_message(connection& db, const std::string& id);
std::optional<member> find_member(connection& db, std::int64_t chat_id, const std::string& uid);
std::optional<room> find_room(connection& db, std::int64_t chat_id);
std::optional<user> find_user(connection& db, std::string_view column, const std::string& v);
// The conflict a unique-constraint violation on `users` means for the client.
core::problem taken(const db_error& e);
void insert_member(connection& db, std::int64_t chat_id, const std::string& uid, bool admin,
                   time_point now);

}  // namespace parley::store::sqlite
