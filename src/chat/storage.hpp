#pragma once
// The domain's storage ports (docs/adr/0005): `repositories` (users, rooms, members, refresh
// tokens, history reads; synchronous) and `message_log` (the durable message path; asynchronous).
// The domain sees only these; the adapters in src/store (`sqlite_store` embedded, `mariadb_store`
// shared by nodes), each its own CMake target, implement both, and the cluster's Kafka log
// implements `message_log` alone (docs/adr/0007). tests/contract/store_contract runs one suite
// against every adapter.
//
// Guarantees every adapter must give:
// - Repository methods block the calling thread: call them from a worker thread, never from an
//   I/O shard. An engine that cannot be reached throws core::unavailable_error.
// - message_log methods complete asynchronously. Their callback runs after the change is durably
//   committed and readable in history (or refused), on an adapter thread, in commit order:
//   callbacks of one room are invoked in the room's message order, so publishing from the
//   callback keeps the per-room order. An error outcome means the engine failed (UNAVAILABLE,
//   INTERNAL); a refusal is a verdict, and the domain decides what it means for the caller.
// - Messages of one room get contiguous `seq` (1, 2, ...) and strictly increasing `message_id`:
//   every log runs chat::room_sequencer (chat/sequencer.hpp) at its ordering point, inside the
//   commit, so a refused or failed append never leaves a gap (docs/adr/0007).
// - Each message_log write is a conditional write, evaluated atomically with it:
//   append: a record already stored (new_message::record_id) gets its first answer again;
//   otherwise only by a member of an existing room, and not again for a (sender,
//   client_message_id) already stored (the original is returned instead, whichever node wrote
//   it); set_status_if_forward: only forward, only by a member who is not the sender;
//   advance_read_marker: only forward, only for a message of the room.
#include "chat/model.hpp"
#include "core/problem.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace parley::chat {

using core::outcome;

struct new_message {
  std::int64_t chat_id = 0;
  std::string user_id;
  std::string content;
  message_type type = message_type::text;
  std::optional<std::string> client_message_id;
  // The cluster's log record that carries this append (ADR 0007): the log stores it with the
  // message, and an append of a record already stored answers what the first one did (the same
  // message, `appended`), whatever has changed since. Empty outside the cluster's worker.
  std::optional<std::string> record_id;
};

// What each conditional write of the log decided.
enum class append_verdict {
  appended,      // a new message, now durable
  duplicate,     // the sender already sent this client_message_id: `msg` is the original
  not_a_member,  // the sender is not a member of the room (or the room does not exist)
};
struct appended {
  append_verdict verdict = append_verdict::appended;
  message msg;  // the new message or the original; empty when refused
  // The log's ordering point already published the new message to its room (the cluster's
  // persistence worker does, ADR 0007): the domain must not publish it again.
  bool published = false;
  bool duplicate() const { return verdict == append_verdict::duplicate; }
};

enum class status_verdict {
  changed,          // the status moved forward
  unchanged,        // it would not move forward: a no-op
  not_a_member,     // the caller is not a member of the room
  no_such_message,  // no such message in this room
  not_a_recipient,  // the caller sent the message
};
struct status_change {
  status_verdict verdict = status_verdict::changed;
  message msg;  // the message after the write (when it exists)
};

enum class read_verdict {
  advanced,         // the marker moved forward
  unchanged,        // the message is not after the marker
  not_a_member,     // the caller is not a member of the room
  no_such_message,  // no such message in this room
};
struct read_change {
  read_verdict verdict = read_verdict::advanced;
  std::string last_read_message_id;  // the marker after the write
};

struct refresh_grant {
  std::string user_id;
  std::string family_id;
};

template <class T>
using callback = std::function<void(outcome<T>)>;

// The durable message path.
class message_log {
 public:
  virtual ~message_log() = default;
  virtual void append(new_message m, callback<appended> done) = 0;
  virtual void set_status_if_forward(std::int64_t chat_id, const std::string& message_id,
                                     const std::string& caller, message_status s,
                                     callback<status_change> done) = 0;
  virtual void advance_read_marker(std::int64_t chat_id, const std::string& user_id,
                                   const std::string& message_id, callback<read_change> done) = 0;
  // Blocks until every write submitted so far is committed; then stops the writer.
  virtual void close() = 0;
};

class repositories {
 public:
  virtual ~repositories() = default;

  // Users.
  virtual outcome<user> create_user(const user& u) = 0;  // 409 on taken username or email
  virtual std::optional<user> user_by_id(const std::string& id) = 0;
  virtual std::optional<user> user_by_username(const std::string& username) = 0;
  virtual outcome<user> update_user(const std::string& id, const user_patch& p) = 0;
  virtual page<user> search_users(const std::string& q, const std::string& exclude_id, int page,
                                  int size) = 0;
  virtual std::vector<std::string> all_usernames() = 0;
  virtual void set_last_seen(const std::string& user_id, time_point t) = 0;
  virtual std::vector<presence_row> last_seen(const std::vector<std::string>& ids) = 0;

  // Refresh tokens: stored hashed; each login starts a family; rotation marks the old one used.
  virtual void insert_refresh(const std::string& token_hash, const std::string& family_id,
                              const std::string& user_id, time_point expires_at) = 0;
  // Atomically: unknown/expired → 401; already used or revoked → revoke the family, 401;
  // otherwise mark used and insert `new_hash` in the same family.
  virtual outcome<refresh_grant> rotate_refresh(const std::string& old_hash,
                                                const std::string& new_hash,
                                                time_point new_expires_at, time_point now) = 0;
  virtual void revoke_family(const std::string& token_hash) = 0;

  // Rooms and membership.
  virtual outcome<room> create_room(const room& r, const std::string& creator,
                                    const std::vector<std::string>& other_members) = 0;
  // Returns the existing DM between a and b, or creates it; `created` tells which.
  virtual outcome<std::pair<room, bool>> find_or_create_dm(const std::string& a,
                                                           const std::string& b) = 0;
  virtual std::optional<room> room_by_id(std::int64_t chat_id) = 0;
  virtual outcome<room> update_room(std::int64_t chat_id, const room_patch& p) = 0;
  virtual void delete_room(std::int64_t chat_id) = 0;
  virtual std::optional<member> membership(std::int64_t chat_id, const std::string& user_id) = 0;
  virtual std::vector<member> members(std::int64_t chat_id) = 0;
  virtual page<room_summary> rooms_of(const std::string& user_id, int page, int size) = 0;
  virtual std::int64_t room_count_of(const std::string& user_id) = 0;
  virtual outcome<member> add_member(std::int64_t chat_id, const std::string& user_id,
                                     bool admin) = 0;  // 409 when already a member
  virtual bool remove_member(std::int64_t chat_id, const std::string& user_id) = 0;
  virtual bool set_admin(std::int64_t chat_id, const std::string& user_id, bool admin) = 0;
  // Users sharing at least one room with user_id (excluding user_id).
  virtual std::vector<std::string> co_members(const std::string& user_id) = 0;

  // Message history (written through message_log).
  virtual page<message> history_page(std::int64_t chat_id, int page, int size) = 0;  // newest first
  // Cursor reads, oldest first; 400 when the cursor is not a message of this room.
  virtual outcome<slice> history_after(std::int64_t chat_id, const std::string& after_id,
                                       int limit) = 0;
  virtual outcome<slice> history_before(std::int64_t chat_id, const std::string& before_id,
                                        int limit) = 0;
  virtual std::optional<message> message_by_id(const std::string& message_id) = 0;
};

// One engine that is both (SQLite, MariaDB): what the composition root opens.
class storage : public repositories, public message_log {};

}  // namespace parley::chat
