#pragma once
// The storage port. The domain (src/chat) sees only this interface; `sqlite_store` is the embedded
// adapter and a MySQL adapter will implement it for the cluster. tests/contract/store_contract
// runs one suite against every adapter.
//
// Guarantees every adapter must give:
// - Synchronous methods block the calling thread: call them from a worker thread, never from an
//   I/O shard.
// - append_message / update_status / mark_read complete asynchronously. Their callback runs after
//   the change is durably committed (or refused), on an adapter thread, in commit order: callbacks
//   of one room are invoked in the room's message order, so publishing from the callback keeps the
//   per-room order.
// - Messages of one room get contiguous `seq` (1, 2, ...) and strictly increasing `message_id`.
// - append_message is idempotent on (sender, client_message_id): a repeat returns the original.
// - The message-path rules are applied atomically with the write: the sender must be a member;
//   a status moves only forward and only by a member who is not the sender; a read marker moves
//   only forward.
#include "core/problem.hpp"
#include "store/model.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace parley::store {

using core::outcome;

struct new_message {
  std::int64_t chat_id = 0;
  std::string user_id;
  std::string content;
  message_type type = message_type::text;
  std::optional<std::string> client_message_id;
};

struct appended {
  message msg;
  bool duplicate = false;  // an earlier send with the same client_message_id
};

struct status_change {
  message msg;          // the message after the change
  bool changed = false;  // false: the update would not move the status forward (no-op)
};

struct read_change {
  std::string last_read_message_id;
  bool changed = false;
};

struct refresh_grant {
  std::string user_id;
  std::string family_id;
};

template <class T>
using callback = std::function<void(outcome<T>)>;

class store {
 public:
  virtual ~store() = default;

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

  // Messages (the durable path).
  virtual void append_message(new_message m, callback<appended> done) = 0;
  virtual void update_status(std::int64_t chat_id, const std::string& message_id,
                             const std::string& user_id, message_status s,
                             callback<status_change> done) = 0;
  virtual void mark_read(std::int64_t chat_id, const std::string& user_id,
                         const std::string& message_id, callback<read_change> done) = 0;
  virtual page<message> history_page(std::int64_t chat_id, int page, int size) = 0;  // newest first
  // Cursor reads, oldest first; 400 when the cursor is not a message of this room.
  virtual outcome<slice> history_after(std::int64_t chat_id, const std::string& after_id,
                                       int limit) = 0;
  virtual outcome<slice> history_before(std::int64_t chat_id, const std::string& before_id,
                                        int limit) = 0;
  virtual std::optional<message> message_by_id(const std::string& message_id) = 0;

  // Blocks until every write submitted so far is committed; then stops the writer.
  virtual void close() = 0;
};

}  // namespace parley::store
