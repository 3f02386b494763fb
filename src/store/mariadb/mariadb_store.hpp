#pragma once
// The clustered store: MariaDB (10.11, InnoDB), shared by every node. Same semantics as the
// embedded sqlite_store; what differs is that other nodes write the same database.
//
// - Message log (append, set_status_if_forward, advance_read_marker): the group-commit pipeline of
//   docs/adr/0002 (commit_pipeline.hpp). One writer connection runs each batch in ONE
//   transaction; if the batch fails, its jobs re-run one transaction each, so one bad job cannot
//   undo the others. Callbacks run after COMMIT, in commit order, on the callback thread.
// - Per-room order across nodes: at the start of a batch the writer locks the rows of the rooms
//   it will append to (SELECT ... FOR UPDATE, in chat_id order so two nodes' batches cannot
//   deadlock on them), reads last_seq and the room's newest message id, counts seq in memory
//   within the batch and writes last_seq once per room. A node appending to a room therefore
//   waits for the other node's batch on that room to commit, and continues its seq and ids after
//   it: seq stays dense and message ids increase per room whichever node wrote.
// - Idempotent send: the unique key (user_id, client_message_id) is the check, so a retry that
//   reaches another node is recognised too; the unique key on record_id recognises a cluster log
//   record replayed after a persistence worker's crash.
// - Synchronous methods run on a bounded pool (pool.hpp); they may block their worker thread.
// - Outages: a lost connection is closed and reopened on next use. While the server cannot be
//   reached, synchronous methods throw core::unavailable_error and asynchronous ones complete
//   with core::problem::unavailable() (503). A connection lost *during* COMMIT leaves the outcome
//   in doubt: the jobs fail with 503 although their batch may have committed; the client's retry
//   with the same clientMessageId then gets the original back (duplicate) instead of a copy.
#include "chat/sequencer.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "store/mariadb/dsn.hpp"
#include "store/domain_types.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::store {
class commit_pipeline;
class write_job;
}  // namespace parley::store

namespace parley::store::mariadb {

class connection;
class connection_pool;

struct options {
  std::string dsn;               // mariadb://user:password@host:port/database
  // Read/repository connections, bounded; callers wait when all are busy.
  std::size_t pool_size = 8;
  std::size_t max_batch = 1024;  // jobs per group-commit transaction
  std::chrono::milliseconds connect_timeout{3000};
  // Called on the callback thread around each commit's callbacks, as sqlite::options. Optional.
  std::function<void()> on_callbacks_begin, on_callbacks_end;
};

class mariadb_store final : public chat::storage {
 public:
  // Connects, creates the database if missing, runs the versioned migrations. Throws
  // std::runtime_error naming host, port and database and the server's error (never the
  // password) when the server is unreachable or a migration fails; std::invalid_argument for a
  // malformed DSN.
  mariadb_store(options opt, const core::clock& clock);
  ~mariadb_store() override;

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
  class job;
  template <class T, class F>
  class typed_job;
  class append_job;
  struct batch_failure;
  using batch = std::vector<std::unique_ptr<write_job>>;

  // Runs `body(connection&) -> outcome<T>` on the writer; `done` gets its result after COMMIT.
  // `seq_room`: the room whose seq the job takes (locked at the start of its batch), 0 for none.
  template <class T, class F>
  void submit(callback<T> done, F&& body, std::int64_t seq_room = 0);
  void commit_batch(batch& jobs);                       // writer thread
  std::optional<batch_failure> run_batch(batch& jobs);  // writer thread; nullopt: committed
  connection& writer_connection();                      // writer thread; reopens a broken one
  void lock_rooms(connection& db, const batch& jobs);
  void flush_room_seqs(connection& db);
  // The appends of a batch share their round trips: their conditions are read for all of them
  // at the start of the batch, and their rows are inserted together (docs/adr/0006).
  void read_for_appends(connection& db, const batch& jobs);
  appended append_in_batch(const new_message& m);
  void write_appended(connection& db);

  // Runs f(connection&) on a pooled connection; an outage becomes core::unavailable_error.
  template <class F>
  auto with_connection(F&& f);
  // Same, in one transaction, committed when f returns (its refusals included: they are decided
  // before anything is written) and rolled back when it throws.
  template <class F>
  auto in_transaction(F&& f);

  options opt_;
  const core::clock& clock_;
  const dsn_parts where_;
  std::unique_ptr<connection_pool> pool_;

  // Writer thread only.
  std::unique_ptr<connection> writer_db_;
  // The ordering point: started for the rooms the open batch locked, from their locked rows.
  chat::room_sequencer sequencer_;
  // What the open batch read for its appends, and what they added.
  struct batch_reads {
    std::set<std::pair<std::int64_t, std::string>> members;  // (room, sender) pairs that hold
    std::map<std::pair<std::string, std::string>, message> sent;  // (sender, client id): stored
    std::map<std::string, message> recorded;  // record id: the message it appended
    struct row {
      message msg;
      std::optional<std::string> record_id;
    };
    std::vector<row> unwritten;  // appended by this batch, not yet inserted
    void clear() {
      members.clear();
      sent.clear();
      recorded.clear();
      unwritten.clear();
    }
  };
  batch_reads reads_;

  std::unique_ptr<commit_pipeline> pipeline_;  // last: its threads use everything above
};

}  // namespace parley::store::mariadb
