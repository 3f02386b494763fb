// The MariaDB schema, as versioned steps. It mirrors the SQLite adapter's (src/store/sqlite) with
// what differs on a shared server:
// - ids (user, message, token, client message id) are VARBINARY: compared byte for byte, like
//   SQLite's default BINARY collation, and ordered ordinally (ULIDs sort by time);
// - username is case-sensitive (utf8mb4_nopad_bin, like SQLite's BINARY; NO PAD so "bob " is not
//   "bob"), while email is unique case-insensitively, as SQLite's COLLATE NOCASE: the unique key
//   is on a stored LOWER(email), which folds case only (utf8mb4_unicode_ci would also fold
//   accents and call "josé" and "jose" the same address);
// - messages are clustered by (chat_id, seq), so a room's history is contiguous pages, and the
//   retry key (user_id, client_message_id) is a unique index: it is the duplicate check, and it
//   holds across every node writing the database (SQLite's single writer keeps it in memory).
// Every table is InnoDB with utf8mb4_unicode_ci by default (emoji need 4-byte UTF-8).
#include "store/mariadb/schema.hpp"

#include <spdlog/spdlog.h>

#include <span>
#include <string>

namespace parley::store::mariadb {

namespace {

// Version 1. MariaDB commits DDL implicitly, so a step is not atomic: each statement is written
// to be re-run (IF NOT EXISTS) and the version is bumped last, so a crash inside a step re-runs it.
constexpr const char* v1[] = {
    R"sql(CREATE TABLE IF NOT EXISTS users (
  user_id       VARBINARY(64) NOT NULL PRIMARY KEY,
  username      VARCHAR(255) COLLATE utf8mb4_nopad_bin NOT NULL,
  email         VARCHAR(320) NOT NULL,
  email_key     VARCHAR(320) COLLATE utf8mb4_nopad_bin AS (LOWER(email)) STORED,
  full_name     TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  avatar        TEXT,
  bio           TEXT,
  created_at    BIGINT NOT NULL,
  last_seen     BIGINT,
  UNIQUE KEY users_username (username),
  UNIQUE KEY users_email (email_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)sql",
    R"sql(CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash VARBINARY(255) NOT NULL PRIMARY KEY,
  family_id  VARBINARY(255) NOT NULL,
  user_id    VARBINARY(64) NOT NULL,
  expires_at BIGINT NOT NULL,
  used       BOOLEAN NOT NULL DEFAULT 0,
  revoked    BOOLEAN NOT NULL DEFAULT 0,
  KEY refresh_tokens_family (family_id),
  CONSTRAINT refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users(user_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)sql",
    R"sql(CREATE TABLE IF NOT EXISTS rooms (
  chat_id       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name          VARCHAR(255) NOT NULL,
  type          VARCHAR(32) NOT NULL,
  description   TEXT,
  icon          TEXT,
  created_at    BIGINT NOT NULL,
  last_seq      BIGINT NOT NULL DEFAULT 0,
  last_activity BIGINT NOT NULL,
  dm_key        VARBINARY(255),
  UNIQUE KEY rooms_dm_key (dm_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)sql",
    R"sql(CREATE TABLE IF NOT EXISTS room_members (
  chat_id              BIGINT NOT NULL,
  user_id              VARBINARY(64) NOT NULL,
  admin                BOOLEAN NOT NULL DEFAULT 0,
  joined_at            BIGINT NOT NULL,
  last_read_message_id VARBINARY(26),
  last_read_seq        BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id),
  KEY room_members_user (user_id),
  CONSTRAINT room_members_room FOREIGN KEY (chat_id) REFERENCES rooms(chat_id) ON DELETE CASCADE,
  CONSTRAINT room_members_user FOREIGN KEY (user_id) REFERENCES users(user_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)sql",
    R"sql(CREATE TABLE IF NOT EXISTS messages (
  chat_id           BIGINT NOT NULL,
  seq               BIGINT NOT NULL,
  message_id        VARBINARY(26) NOT NULL,
  user_id           VARBINARY(64) NOT NULL,
  content           TEXT NOT NULL,
  type              VARCHAR(16) NOT NULL,
  status            TINYINT NOT NULL,
  `timestamp`       BIGINT NOT NULL,
  edited            BOOLEAN NOT NULL DEFAULT 0,
  client_message_id VARBINARY(255),
  PRIMARY KEY (chat_id, seq),
  UNIQUE KEY messages_id (message_id),
  UNIQUE KEY messages_client_id (user_id, client_message_id),
  CONSTRAINT messages_room FOREIGN KEY (chat_id) REFERENCES rooms(chat_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)sql",
};

// Version 2: the cluster's persistence workers store each append record's id (a ULID made by the
// producing node, src/cluster/log_record.hpp), so a record replayed after a worker crash is
// recognised and answered as the first time, never stored twice. NULL for messages a node
// appended directly; a unique key allows any number of NULLs.
constexpr const char* v2[] = {
    "ALTER TABLE messages ADD COLUMN IF NOT EXISTS record_id VARBINARY(26)",
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_record_id ON messages(record_id)",
};

// Index i brings the schema from version i to i+1. Never edit a shipped step; append a new one.
constexpr std::span<const char* const> migrations[] = {v1, v2};

// GET_LOCK names are server-wide: one per database, so nodes of other databases do not wait.
constexpr const char* lock_sql = "SELECT GET_LOCK(CONCAT('parley_schema.', DATABASE()), ?)";
constexpr const char* unlock_sql = "SELECT RELEASE_LOCK(CONCAT('parley_schema.', DATABASE()))";
constexpr int lock_wait_s = 60;  // another node migrating a big table may take a while

std::int64_t current_version(connection& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version (id TINYINT NOT NULL PRIMARY KEY, version INT "
      "NOT NULL) ENGINE=InnoDB");
  db.exec("INSERT IGNORE INTO schema_version(id, version) VALUES (1, 0)");
  auto& s = db.cached("SELECT version FROM schema_version WHERE id = 1");
  s.execute();
  return s.fetch() ? s.int64(0) : 0;
}

void apply(connection& db, std::span<const char* const> step, std::int64_t to_version) {
  transaction tx(db);
  for (const char* sql : step) db.exec(sql);
  db.cached("UPDATE schema_version SET version = ? WHERE id = 1").execute(to_version);
  tx.commit();
}

}  // namespace

void migrate(connection& db) {
  auto& lock = db.cached(lock_sql);
  lock.execute(lock_wait_s);
  if (!lock.fetch() || lock.int64(0) != 1)
    throw std::runtime_error("mariadb: another node held the schema lock for " +
                             std::to_string(lock_wait_s) + " s");
  // The lock is the connection's: released here, or by the server if this connection dies.
  struct unlock {
    connection& db;
    ~unlock() {
      try {
        db.cached(unlock_sql).execute();
      } catch (const std::exception&) {
      }
    }
  } release{db};
  auto version = current_version(db);
  constexpr auto latest = static_cast<std::int64_t>(std::size(migrations));
  if (version > latest)
    throw std::runtime_error("mariadb: database schema version " + std::to_string(version) +
                             " is newer than this parley (" + std::to_string(latest) + ")");
  for (; version < latest; ++version) {
    apply(db, migrations[version], version + 1);
    spdlog::info("mariadb: migrated schema to version {}", version + 1);
  }
}

}  // namespace parley::store::mariadb
