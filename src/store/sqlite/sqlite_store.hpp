#pragma once
// The embedded store: one SQLite file in WAL mode, written by one thread and read by a pool.
//
// The write path is a three-stage pipeline, one thread per stage (the writer and callback stages
// are store::commit_pipeline, shared with the MariaDB adapter), so the serial stage does only
// SQL (docs/adr/0002):
//   writer      takes whatever jobs are queued (up to max_batch) and runs them in ONE transaction
//               (group commit: one fsync per batch). Jobs do not get a SAVEPOINT each: if one
//               throws, the batch is rolled back and its jobs re-run one transaction each, so a
//               failing job cannot undo the others. Room sequence numbers are counted in memory
//               within a batch and written to `rooms` once per room per batch.
//   callbacks   tells each job's caller its outcome after the commit, in commit order, bracketed by
//               options::on_callbacks_begin/end per batch (serialization and fan-out happen here,
//               off the writer).
//   checkpointer copies the WAL back into the database file (PASSIVE checkpoints) when the writer
//               reports it past checkpoint_pages, instead of the writer doing it inline.
// Reads use pooled connections and never wait for the writer. Because one thread assigns message
// ids and sequence numbers and commits in that order, the single writer *is* the per-room order.
#include "chat/sequencer.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "store/commit_pipeline.hpp"
#include "store/sqlite/retry_window.hpp"
#include "store/domain_types.hpp"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

struct sqlite3;

namespace parley::store::sqlite {

class connection;

struct options {
  std::filesystem::path file;
  bool full_sync = true;  // synchronous=FULL: acknowledged writes survive power loss
  // Jobs per transaction at most: bounds the latency one batch adds to the first job in it.
  std::size_t max_batch = 1024;
  // Retries (a resend with the same clientMessageId) are recognised among this many newest sends
  // that carried a client id (storage.retry_window; see retry_window.hpp). ~24 bytes each.
  std::size_t retry_window = 1 << 20;
  // The writer asks the checkpointer for a checkpoint once the WAL holds this many pages.
  int checkpoint_pages = 1000;
  // Called on the callback thread around each commit's callbacks (e.g. to batch the fan-out of
  // one commit into one task per shard). Optional.
  std::function<void()> on_callbacks_begin, on_callbacks_end;
};

class sqlite_store final : public chat::storage {
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

  void append(new_message m, callback<appended> done) override;
  void set_status_if_forward(std::int64_t chat_id, const std::string& message_id,
                             const std::string& caller, message_status s,
                             callback<status_change> done) override;
  void advance_read_marker(std::int64_t chat_id, const std::string& user_id,
                           const std::string& message_id, callback<read_change> done) override;
  page<message> history_page(std::int64_t chat_id, int page, int size) override;
  outcome<slice> history_after(std::int64_t chat_id, const std::string& after_id,
                               int limit) override;
  outcome<slice> history_before(std::int64_t chat_id, const std::string& before_id,
                                int limit) override;
  std::optional<message> message_by_id(const std::string& message_id) override;

  void close() override;

 private:
  // A write job: run() inside the batch transaction (throws on a storage error), then finish()
  // on the callback thread with run()'s outcome, or with fail()'s if the transaction did not
  // commit. One allocation per job.
  class job : public write_job {
   public:
    virtual void run(connection& db) = 0;
    // False for jobs that neither read nor write `rooms.last_seq`/`last_activity`: the batch's
    // in-memory room counters need not be written out before them.
    bool reads_rooms = true;
  };
  template <class T, class F>
  class typed_job;
  using job_ptr = std::unique_ptr<job>;
  using batch = commit_pipeline::batch;

  // Places an append in its room's order (nullopt: no such room); the room's stored position is
  // read once per batch.
  std::optional<message> place(connection& db, const new_message& m);
  void flush_room_seqs(connection& db);

  void submit(job_ptr j);
  // Runs `body(db) -> outcome<T>` as a write job; `done` gets its result after the commit, or the
  // failure if the batch did not commit.
  template <class T, class F>
  void submit_async(callback<T> done, F&& body, bool reads_rooms = true);
  template <class T, class F>
  outcome<T> write_sync(F&& f);
  // The pipeline's commit step (writer thread): the batch in one transaction, or, if it rolled
  // back, each job alone so the failing one cannot undo the others.
  void commit_jobs(batch& jobs);
  bool commit_batch(connection& db, batch& jobs);  // false: rolled back
  void checkpoint_loop();
  static int on_wal_commit(void* self, ::sqlite3* db, const char* name, int pages);

  class read_lease;
  read_lease read();

  options opt_;
  const core::clock& clock_;
  std::unique_ptr<connection> writer_db_;
  chat::room_sequencer sequencer_;  // writer thread only: the writer is the ordering point
  retry_window retries_;            // writer thread only

  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpointer_stopping_ = false;

  std::thread checkpointer_;

  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<connection>> idle_readers_;

  std::unique_ptr<commit_pipeline> pipeline_;  // last: its threads use everything above
};

}  // namespace parley::store::sqlite
