// Runs the storage contract against the embedded adapter, each test on a fresh file.
#include "support/temp_dir.hpp"
#include "store_contract.hpp"

#include "core/ids.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <filesystem>
#include <future>
#include <optional>

namespace parley::store::contract {
namespace {

using parley::test_support::temp_dir;

store_factory fresh_sqlite_file() {
  auto dir = std::make_shared<temp_dir>();
  return [dir](const core::clock& clock) -> std::unique_ptr<chat::storage> {
    return std::make_unique<sqlite::sqlite_store>(
        sqlite::options{.file = dir->path() / "parley.db"}, clock);
  };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(sqlite, store_contract,
                         ::testing::Values(store_adapter{"sqlite", fresh_sqlite_file}),
                         adapter_name);

}  // namespace parley::store::contract

namespace parley::store::contract {
namespace {

// Adapter-specific: another process (`parley admin mint-users`) may write the same file while the
// server runs. The server's writer must not hold an old snapshot between batches, or every later
// batch fails with "database is locked" (and the WAL can never be checkpointed).
TEST(sqlite_store, keeps_writing_after_another_connection_commits_to_the_same_file) {
  temp_dir dir;
  manual_clock clock;
  sqlite::sqlite_store server({.file = dir.path() / "parley.db"}, clock);
  auto alice = server.create_user({core::make_uuid(), "alice", "a@x.io", "Alice", "h", {}, {}});
  ASSERT_TRUE(alice);
  auto room = server.create_room({.name = "r"}, alice->user_id, {});
  ASSERT_TRUE(room);
  auto send = [&](const char* text) {
    std::promise<outcome<appended>> p;
    server.append({room->chat_id, alice->user_id, text, message_type::text, {}},
                          [&](outcome<appended> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  ASSERT_TRUE(send("before"));
  {
    sqlite::sqlite_store other({.file = dir.path() / "parley.db"}, clock);
    ASSERT_TRUE(other.create_user({core::make_uuid(), "bob", "b@x.io", "Bob", "h", {}, {}}));
    other.close();
  }
  auto after = send("after");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->msg.seq, 2);
  EXPECT_TRUE(server.user_by_username("bob").has_value());
}

outcome<appended> append_now(chat::storage& db, std::int64_t chat, const std::string& user,
                             const std::string& text, std::optional<std::string> client_id) {
  std::promise<outcome<appended>> p;
  db.append({chat, user, text, message_type::text, std::move(client_id)},
                    [&](outcome<appended> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

// The crash case idempotency exists for: committed, RECEIPT lost, the client resends after the
// server restarted. The retry window is rebuilt from the file.
TEST(sqlite_store, recognises_a_retry_after_a_restart) {
  temp_dir dir;
  manual_clock clock;
  std::string user, first_id;
  std::int64_t chat = 0;
  {
    sqlite::sqlite_store s({.file = dir.path() / "parley.db"}, clock);
    auto alice = s.create_user({core::make_uuid(), "alice", "a@x.io", "Alice", "h", {}, {}});
    user = alice->user_id;
    chat = s.create_room({.name = "r"}, user, {})->chat_id;
    auto first = append_now(s, chat, user, "hello", "c-1");
    ASSERT_TRUE(first);
    first_id = first->msg.message_id;
    ASSERT_TRUE(append_now(s, chat, user, "no client id", std::nullopt));
  }
  sqlite::sqlite_store s({.file = dir.path() / "parley.db"}, clock);
  auto again = append_now(s, chat, user, "hello", "c-1");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->msg.message_id, first_id);
  auto next = append_now(s, chat, user, "new", "c-2");
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->duplicate());
  EXPECT_EQ(next->msg.seq, 3);
}

// The documented limit (storage.retry_window): a resend is recognised among the newest N sends
// that carried a client id; an older one is stored again.
TEST(sqlite_store, recognises_retries_within_the_window_only) {
  temp_dir dir;
  manual_clock clock;
  sqlite::sqlite_store s({.file = dir.path() / "parley.db", .retry_window = 2}, clock);
  auto alice = s.create_user({core::make_uuid(), "alice", "a@x.io", "Alice", "h", {}, {}});
  auto chat = s.create_room({.name = "r"}, alice->user_id, {})->chat_id;
  for (auto id : {"c-1", "c-2", "c-3"}) ASSERT_TRUE(append_now(s, chat, alice->user_id, id, id));
  EXPECT_TRUE(append_now(s, chat, alice->user_id, "x", "c-3")->duplicate());
  EXPECT_TRUE(append_now(s, chat, alice->user_id, "x", "c-2")->duplicate());
  EXPECT_FALSE(append_now(s, chat, alice->user_id, "x", "c-1")->duplicate());
}

// A file written by schema version 1 (messages inside the (chat_id, seq) b-tree) opens with its
// messages, order and retry keys intact.
TEST(sqlite_store, migrates_messages_from_schema_version_1) {
  temp_dir dir;
  auto file = dir.path() / "parley.db";
  {
    sqlite::connection c(file.string(), true);
    c.exec(R"sql(
CREATE TABLE users (user_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE, full_name TEXT NOT NULL, password_hash TEXT NOT NULL,
  avatar TEXT, bio TEXT, created_at INTEGER NOT NULL, last_seen INTEGER);
CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE, expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE TABLE rooms (chat_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
  type TEXT NOT NULL, description TEXT, icon TEXT, created_at INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0, last_activity INTEGER NOT NULL, dm_key TEXT UNIQUE);
CREATE TABLE room_members (chat_id INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  admin INTEGER NOT NULL DEFAULT 0, joined_at INTEGER NOT NULL, last_read_message_id TEXT,
  last_read_seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (chat_id, user_id)) WITHOUT ROWID;
CREATE INDEX room_members_user ON room_members(user_id);
CREATE TABLE messages (chat_id INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  seq INTEGER NOT NULL, message_id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
  content TEXT NOT NULL, type TEXT NOT NULL, status INTEGER NOT NULL, timestamp INTEGER NOT NULL,
  edited INTEGER NOT NULL DEFAULT 0, client_message_id TEXT, PRIMARY KEY (chat_id, seq))
  WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages(user_id, client_message_id)
  WHERE client_message_id IS NOT NULL;
INSERT INTO users VALUES ('u1', 'alice', 'a@x.io', 'Alice', 'h', NULL, NULL, 0, NULL);
INSERT INTO rooms(name, type, created_at, last_seq, last_activity) VALUES ('r', 'GROUP', 0, 2, 0);
INSERT INTO room_members(chat_id, user_id, admin, joined_at) VALUES (1, 'u1', 1, 0);
INSERT INTO messages VALUES (1, 1, '01JDZ6Y9N3S1D8Q4K2X7V5B0M1', 'u1', 'one', 'TEXT', 0, 1, 0, 'c-1');
INSERT INTO messages VALUES (1, 2, '01JDZ6Y9N3S1D8Q4K2X7V5B0M2', 'u1', 'two', 'TEXT', 0, 2, 0, NULL);
PRAGMA user_version = 1;
)sql");
  }
  manual_clock clock;
  sqlite::sqlite_store s({.file = file}, clock);
  auto page = s.history_page(1, 0, 10);
  ASSERT_EQ(page.total_elements, 2);
  EXPECT_EQ(page.content[0].content, "two");
  EXPECT_EQ(page.content[1].content, "one");
  auto again = append_now(s, 1, "u1", "one", "c-1");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->msg.message_id, "01JDZ6Y9N3S1D8Q4K2X7V5B0M1");
  auto next = append_now(s, 1, "u1", "three", "c-3");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->msg.seq, 3);
  EXPECT_GT(next->msg.message_id, "01JDZ6Y9N3S1D8Q4K2X7V5B0M2");
}

}  // namespace
}  // namespace parley::store::contract
