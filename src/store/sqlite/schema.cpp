#include "store/sqlite/schema.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <iterator>
#include <stdexcept>
#include <string>

namespace parley::store::sqlite {

namespace {

// Versioned migrations: index i brings the schema from version i to i+1 (PRAGMA user_version).
// Never edit a shipped step; append a new one.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE users (
  user_id       TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  full_name     TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  avatar        TEXT,
  bio           TEXT,
  created_at    INTEGER NOT NULL,
  last_seen     INTEGER
);
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  used       INTEGER NOT NULL DEFAULT 0,
  revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE TABLE rooms (
  chat_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL,
  description   TEXT,
  icon          TEXT,
  created_at    INTEGER NOT NULL,
  last_seq      INTEGER NOT NULL DEFAULT 0,
  last_activity INTEGER NOT NULL,
  dm_key        TEXT UNIQUE
);
CREATE TABLE room_members (
  chat_id              INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  user_id              TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  admin                INTEGER NOT NULL DEFAULT 0,
  joined_at            INTEGER NOT NULL,
  last_read_message_id TEXT,
  last_read_seq        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_members_user ON room_members(user_id);
CREATE TABLE messages (
  chat_id           INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  seq               INTEGER NOT NULL,
  message_id        TEXT NOT NULL UNIQUE,
  user_id           TEXT NOT NULL,
  content           TEXT NOT NULL,
  type              TEXT NOT NULL,
  status            INTEGER NOT NULL,
  timestamp         INTEGER NOT NULL,
  edited            INTEGER NOT NULL DEFAULT 0,
  client_message_id TEXT,
  PRIMARY KEY (chat_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages(user_id, client_message_id)
  WHERE client_message_id IS NOT NULL;
)sql",
    // 2: messages in a rowid table, in insertion order. Version 1 kept each row inside a
    // (chat_id, seq) b-tree, so a batch of sends to many rooms dirtied a page per room with whole
    // rows, and the random (user_id, client_message_id) index another page per message: every
    // commit rewrote hundreds of 4 KiB pages to the WAL. Now rows append at the end, the room
    // index holds only (chat_id, seq, rowid), and retries are found in memory (retry_window.hpp)
    // from the stored 63-bit client_key, checked against the stored ids on a hit.
    R"sql(
CREATE TABLE messages_v2 (
  row_id            INTEGER PRIMARY KEY,
  chat_id           INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  seq               INTEGER NOT NULL,
  message_id        TEXT NOT NULL UNIQUE,
  user_id           TEXT NOT NULL,
  content           TEXT NOT NULL,
  type              TEXT NOT NULL,
  status            INTEGER NOT NULL,
  timestamp         INTEGER NOT NULL,
  edited            INTEGER NOT NULL DEFAULT 0,
  client_message_id TEXT,
  client_key        INTEGER
);
INSERT INTO messages_v2(chat_id, seq, message_id, user_id, content, type, status, timestamp,
                        edited, client_message_id, client_key)
  SELECT chat_id, seq, message_id, user_id, content, type, status, timestamp, edited,
         client_message_id, parley_client_key(user_id, client_message_id)
  FROM messages ORDER BY message_id;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE UNIQUE INDEX messages_room_seq ON messages(chat_id, seq);
)sql",
};

// parley_client_key(user_id, client_message_id): NULL when the client id is NULL.
void client_key_sql(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  auto text = [](sqlite3_value* v) {
    auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return std::string_view(p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v)));
  };
  sqlite3_result_int64(ctx, client_key(text(argv[0]), text(argv[1])));
}

}  // namespace

std::int64_t client_key(std::string_view user_id, std::string_view client_message_id) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  };
  mix(user_id);
  mix(std::string_view("\0", 1));
  mix(client_message_id);
  return static_cast<std::int64_t>(h & 0x7fffffffffffffffull);
}


void migrate(connection& db) {
  if (sqlite3_create_function_v2(db.raw(), "parley_client_key", 2,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, client_key_sql,
                                 nullptr, nullptr, nullptr) != SQLITE_OK)
    throw std::runtime_error("sqlite: cannot register parley_client_key");
  auto& v = db.cached("PRAGMA user_version");
  v.step();
  auto version = static_cast<std::size_t>(v.int64(0));
  v.reset();
  constexpr std::size_t latest = std::size(migrations);
  if (version > latest)
    throw std::runtime_error("database schema version " + std::to_string(version) +
                             " is newer than this parley (" + std::to_string(latest) + ")");
  for (; version < latest; ++version) {
    db.exec("BEGIN IMMEDIATE");
    db.exec(migrations[version]);
    db.exec(("PRAGMA user_version = " + std::to_string(version + 1)).c_str());
    db.exec("COMMIT");
    spdlog::info("sqlite: migrated schema to version {}", version + 1);
  }
}

}  // namespace parley::store::sqlite
