#pragma once
// The embedded store: one SQLite file in WAL mode. Every write goes through one writer thread that
// batches whatever is queued into one transaction (group commit: one fsync per batch), each job in
// its own SAVEPOINT so one failing job cannot undo the others. Reads use a pool of read-only
// connections and never wait for the writer (WAL). Because one thread assigns message ids and
// sequence numbers and commits in that order, the single writer *is* the per-room total order.
#include "core/ids.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace parley::store::sqlite {

class connection;

struct options {
  std::filesystem::path file;
  bool full_sync = true;  // synchronous=FULL: acknowledged writes survive power loss
  // Jobs per transaction at most: bounds the latency one batch adds to the first job in it.
  std::size_t max_batch = 1024;
  // Called on the writer thread around each commit's callbacks (e.g. to batch the fan-out of
  // one commit into one task per shard). Optional.
  std::function<void()> on_callbacks_begin, on_callbacks_end;
};

class sqlite_store final : public store {
 public:
  sqlite_store(options opt, const core::clock& clock);
  ~sqlite_store() override;

  outcome<user> create_user(const user& u) override;
  std::optional<user> user_by_id(const std::string& id) override;
  std::optional<user> user_by_username(const std::string& username) override;
  outcome<user> update_user(const std::string& id, const user_patch& p) override;
  page<user> search_users(const std::string& q, const std::string& exclude_id, int page,
                          int size) override;
  std::vector<std::string> all_usernames() override;
  void set_last_seen(const std::string& user_id, time_point t) override;
  std::vector<presence_row> last_seen(const std::vector<std::string>& ids) override;

  void insert_refresh(const std::string& token_hash, const std::string& family_id,
                      const std::string& user_id, time_point expires_at) override;
  outcome<refresh_grant> rotate_refresh(const std::string& old_hash, const std::string& new_hash,
                                        time_point new_expires_at, time_point now) override;
  void revoke_family(const std::string& token_hash) override;

  outcome<room> create_room(const room& r, const std::string& creator,
                            const std::vector<std::string>& other_members) override;
  outcome<std::pair<room, bool>> find_or_create_dm(const std::string& a,
                                                   const std::string& b) override;
  std::optional<room> room_by_id(std::int64_t chat_id) override;
  outcome<room> update_room(std::int64_t chat_id, const room_patch& p) override;
  void delete_room(std::int64_t chat_id) override;
  std::optional<member> membership(std::int64_t chat_id, const std::string& user_id) override;
  std::vector<member> members(std::int64_t chat_id) override;
  page<room_summary> rooms_of(const std::string& user_id, int page, int size) override;
  std::int64_t room_count_of(const std::string& user_id) override;
  outcome<member> add_member(std::int64_t chat_id, const std::string& user_id, bool admin) override;
  bool remove_member(std::int64_t chat_id, const std::string& user_id) override;
  bool set_admin(std::int64_t chat_id, const std::string& user_id, bool admin) override;
  std::vector<std::string> co_members(const std::string& user_id) override;

  void append_message(new_message m, callback<appended> done) override;
  void update_status(std::int64_t chat_id, const std::string& message_id,
                     const std::string& user_id, message_status s,
                     callback<status_change> done) override;
  void mark_read(std::int64_t chat_id, const std::string& user_id, const std::string& message_id,
                 callback<read_change> done) override;
  page<message> history_page(std::int64_t chat_id, int page, int size) override;
  outcome<slice> history_after(std::int64_t chat_id, const std::string& after_id,
                               int limit) override;
  outcome<slice> history_before(std::int64_t chat_id, const std::string& before_id,
                                int limit) override;
  std::optional<message> message_by_id(const std::string& message_id) override;

  void close() override;

 private:
  // A write job runs inside the batch transaction and returns what to do once it is committed.
  using continuation = std::function<void()>;
  struct job {
    std::function<continuation(connection&)> run;
    std::function<void(const core::problem&)> fail;  // the transaction did not commit
  };

  void submit(job j);
  // Runs `body(db) -> outcome<T>` as a write job; `done` gets its result after the commit, or the
  // failure if the batch did not commit.
  template <class T, class F>
  void submit_async(callback<T> done, F&& body);
  template <class T, class F>
  outcome<T> write_sync(F&& f);
  void writer_loop();

  class read_lease;
  read_lease read();

  options opt_;
  const core::clock& clock_;
  std::unique_ptr<connection> writer_db_;
  core::ulid_generator ulids_;  // writer thread only

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<job> queue_;
  bool stopping_ = false;
  std::thread writer_;

  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<connection>> idle_readers_;
};

}  // namespace parley::store::sqlite
