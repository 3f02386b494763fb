#pragma once
// The chat domain: every use case of API.md, independent of transport. REST handlers and the STOMP
// session call these; they return the API's JSON shapes (the wire contract is the domain's
// vocabulary, shared by both transports) or a core::problem.
//
// Threading: synchronous methods may block on storage and Argon2: call them from a worker thread.
// The message-path methods (send_message, update_status, mark_read) are asynchronous and never
// block: their callback runs once the change is durable, on the store's writer thread.
#include "auth/jwt.hpp"
#include "auth/key_ring.hpp"
#include "auth/password.hpp"
#include "chat/limits.hpp"
#include "chat/ports.hpp"
#include "chat/storage.hpp"
#include "core/json.hpp"
#include "core/problem.hpp"
#include "core/rate_limit.hpp"
#include "core/time.hpp"

#include <functional>
#include <memory>
#include <string>

namespace parley::chat {

namespace json = boost::json;
using core::outcome;
using core::problem;

struct identity {
  std::string user_id;
  std::string username;
};

// A successful call's JSON and its HTTP status (200 unless stated).
struct reply {
  json::value body;
  int status = 200;
};

struct deps {
  repositories& store;
  message_log& log;
  fanout& out;
  presence& online;
  const auth::key_ring& keys;
  const auth::jwt_service& jwt;
  const auth::password_hasher& passwords;
  const core::clock& clock;
  limits lim;
  // Failed logins per username, shared by every node in a cluster; none given: an in-memory
  // limit of lim.max_failed_logins per lim.failed_login_window.
  core::rate_limit* failed_logins = nullptr;
  // None given: an in-memory Bloom filter filled from the store's usernames.
  username_filter* usernames = nullptr;
};

class service {
 public:
  explicit service(deps d);

  // Auth (no token).
  outcome<reply> register_user(std::string_view body);
  outcome<reply> login(std::string_view body);
  outcome<reply> refresh(std::string_view body);
  outcome<reply> logout(std::string_view body);
  reply jwks() const;
  outcome<reply> exists(std::string_view username);
  // Verifies an `Authorization` header value ("Bearer <jwt>") or a bare token.
  outcome<identity> authenticate(std::string_view authorization) const;

  // Users.
  outcome<reply> me(const identity& who);
  outcome<reply> patch_me(const identity& who, std::string_view body);
  outcome<reply> lookup(const identity& who, std::string_view username);
  outcome<reply> search(const identity& who, std::string_view q, std::string_view page,
                        std::string_view size);
  outcome<reply> user_status_batch(const identity& who, std::string_view body);

  // Rooms.
  outcome<reply> create_room(const identity& who, std::string_view body);
  outcome<reply> get_room(const identity& who, std::int64_t chat_id);
  outcome<reply> update_room(const identity& who, std::int64_t chat_id, std::string_view body);
  outcome<reply> delete_room(const identity& who, std::int64_t chat_id);
  outcome<reply> my_rooms(const identity& who, std::string_view page, std::string_view size);
  outcome<reply> members(const identity& who, std::int64_t chat_id);
  outcome<reply> add_member(const identity& who, std::int64_t chat_id, std::string_view body);
  outcome<reply> remove_member(const identity& who, std::int64_t chat_id,
                               const std::string& user_id);
  outcome<reply> set_admin(const identity& who, std::int64_t chat_id, const std::string& user_id,
                           std::string_view body);

  // Messages (synchronous reads; REST writes wait for the durable path).
  outcome<reply> history(const identity& who, std::int64_t chat_id,
                         const std::map<std::string, std::string>& query);
  outcome<reply> get_message(const identity& who, std::string_view message_id);
  outcome<reply> post_message(const identity& who, std::int64_t chat_id, std::string_view body);
  outcome<reply> post_read(const identity& who, std::int64_t chat_id, std::string_view body);

  // The real-time path. `done` gets the id for the RECEIPT's message-id header, or a problem.
  using done_fn = std::function<void(outcome<std::string>)>;
  // `/app/chat.sendMessage`: a new message, or (with messageId and status) a receipt.
  void on_send(const identity& who, std::string_view body, done_fn done);
  void on_read(const identity& who, std::string_view body, done_fn done);
  // Typing needs a membership read: blocking, call from a worker.
  outcome<std::string> on_typing(const identity& who, std::string_view body);
  // Whether `who` may subscribe to `destination` (blocking read for room topics).
  outcome<std::string> authorize_subscription(const identity& who, std::string_view destination);

  // Session lifecycle for presence. Blocking: a session posts these to a worker, so the shard
  // thread never waits on the presence adapter (a Redis one makes a round trip). When the user's
  // first session opens or last session closes, everyone who shares a room with them is told
  // (`announce_presence`). Posted events may run in either order; the presence port is
  // order-insensitive (see chat::presence).
  void session_opened(const identity& who);
  void session_closed(const identity& who);
  void announce_presence(const identity& who, bool online);
  // Users the presence adapter took offline because the node they were on died: stores their
  // last_seen and announces them OFFLINE. Blocking: call from a worker.
  void presence_lost(const std::vector<std::string>& user_ids, core::time_point when);

  // `--demo`: a few users, a DM and a group with messages. Idempotent.
  void seed_demo();

 private:
  outcome<member> require_member(const identity& who, std::int64_t chat_id);
  outcome<member> require_admin(const identity& who, std::int64_t chat_id);
  reply issue_pair(const user& u, const std::string& family);
  outcome<new_message> parse_new(const identity& who, const json::object& body,
                                        std::optional<std::int64_t> path_chat_id);
  void append(new_message m, callback<appended> done);
  void send_status(const identity& who, const json::object& body, done_fn done);
  void read_marker(const identity& who, std::int64_t chat_id, std::string message_id,
                   callback<read_change> done);
  void notify_user(const std::string& user_id, std::string_view type, std::int64_t chat_id,
                   json::value room, const std::string& subject_user);
  json::value room_with_members(const room& r, const identity& viewer);

  deps d_;
  std::unique_ptr<core::rate_limit> own_failed_logins_;  // when deps gave none
  core::rate_limit& failed_logins_;
  std::unique_ptr<username_filter> own_usernames_;  // when deps gave none
  username_filter& usernames_;
};

}  // namespace parley::chat
