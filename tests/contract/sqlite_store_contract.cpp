// Runs the storage contract against the embedded adapter, each test on a fresh file.
#include "support/temp_dir.hpp"
#include "store_contract.hpp"

#include "core/ids.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <filesystem>

namespace parley::store::contract {
namespace {

using parley::test_support::temp_dir;

store_factory fresh_sqlite_file() {
  auto dir = std::make_shared<temp_dir>();
  return [dir](const core::clock& clock) -> std::unique_ptr<store> {
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
    server.append_message({room->chat_id, alice->user_id, text, message_type::text, {}},
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

}  // namespace
}  // namespace parley::store::contract
