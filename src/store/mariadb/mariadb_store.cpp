#include "store/mariadb/mariadb_store.hpp"

#include "store/commit_pipeline.hpp"
#include "store/mariadb/connection.hpp"
#include "store/mariadb/pool.hpp"
#include "store/mariadb/schema.hpp"
#include "store/rows.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace parley::store::mariadb {

namespace {

using core::problem;

constexpr const char* user_cols = "user_id, username, email, full_name, password_hash, avatar, bio";
constexpr const char* room_cols = "chat_id, name, type, description, icon, created_at, last_seq";
constexpr const char* msg_cols =
    "message_id, chat_id, seq, user_id, content, type, status, `timestamp`, edited, "
    "client_message_id";

// `head`, then `group` n times joined by `sep`, then `tail`: SQL for a statement over n items.
std::string repeated(std::string_view head, std::string_view group, std::string_view sep,
                     std::size_t n, std::string_view tail) {
  std::string out(head);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += sep;
    out += group;
  }
  out += tail;
  return out;
}

// A statement over many items is prepared for a few arities only, so a connection keeps a handful
// of statements rather than one per batch size.
constexpr std::size_t arities[] = {256, 64, 8, 1};

// Runs the statement `sql_for(arity)` over `items` in chunks of at most 256, each item's values
// appended by `bind(item, values)`, and gives each execution to `rows(statement&)`.
// `pad`: a short chunk repeats its last item up to the next arity (right for an IN list or an OR
// of conditions); otherwise it is split into exact arities (right for a multi-row INSERT).
template <class T, class SqlFor, class Bind, class Rows>
void in_chunks(connection& db, const std::vector<T>& items, bool pad, SqlFor sql_for, Bind bind,
               Rows rows) {
  std::vector<statement::value> values;
  for (std::size_t at = 0; at < items.size();) {
    std::size_t left = items.size() - at, arity = arities[0], take = 0;
    if (pad) {
      for (auto a : arities)
        if (a >= left) arity = a;
      take = std::min(left, arity);
    } else {
      for (auto a : arities)
        if (a <= left) {
          arity = a;
          break;
        }
      take = arity;
    }
    values.clear();
    for (std::size_t i = 0; i < arity; ++i) bind(items[at + std::min(i, take - 1)], values);
    rows(db.cached(sql_for(arity)).execute_values(values));
    at += take;
  }
}

std::vector<message> read_messages(statement& s) {
  std::vector<message> out;
  while (s.fetch()) out.push_back(read_message(s));
  return out;
}

// `column` is one of ours ("user_id", "username"), never input.
std::optional<user> find_user(connection& db, std::string_view column, const std::string& v) {
  auto& s = db.cached(sql({"SELECT ", user_cols, " FROM users WHERE ", column, " = ?"}));
  if (!s.execute(v).fetch()) return std::nullopt;
  return read_user(s);
}

std::optional<room> find_room(connection& db, std::int64_t chat_id) {
  auto& s = db.cached(sql({"SELECT ", room_cols, " FROM rooms WHERE chat_id = ?"}));
  if (!s.execute(chat_id).fetch()) return std::nullopt;
  return read_room(s);
}

std::optional<message> find_message(connection& db, const std::string& id) {
  auto& s = db.cached(sql({"SELECT ", msg_cols, " FROM messages WHERE message_id = ?"}));
  if (!s.execute(id).fetch()) return std::nullopt;
  return read_message(s);
}

std::optional<member> find_member(connection& db, std::int64_t chat_id, const std::string& uid) {
  auto& s = db.cached(
      "SELECT admin, last_read_message_id FROM room_members WHERE chat_id = ? AND user_id = ?");
  if (!s.execute(chat_id, uid).fetch()) return std::nullopt;
  member m;
  m.chat_id = chat_id;
  m.user_id = uid;
  m.admin = s.int64(0) != 0;
  m.last_read_message_id = s.opt_text(1);
  return m;
}

// Inside a write transaction: the membership row stays share-locked until COMMIT, so a concurrent
// remove_member (on any node) cannot slip between this check and the write that depends on it.
bool locked_member(connection& db, std::int64_t chat_id, const std::string& uid) {
  return db
      .cached("SELECT 1 FROM room_members WHERE chat_id = ? AND user_id = ? LOCK IN SHARE MODE")
      .execute(chat_id, uid)
      .fetch();
}

// After a duplicate-key error on users: which unique value was taken. Asked of the database
// rather than read from the error text.
problem taken(connection& db, const std::optional<std::string>& username,
              const std::string& email) {
  if (username && find_user(db, "username", *username))
    return problem::conflict("Username already exists");
  if (db.cached("SELECT 1 FROM users WHERE email_key = LOWER(?)").execute(email).fetch())
    return problem::conflict("Email already exists");
  return problem::conflict("Duplicate value violates a unique constraint");
}

void insert_member(connection& db, std::int64_t chat_id, const std::string& uid, bool admin,
                   time_point now) {
  db.cached("INSERT INTO room_members(chat_id, user_id, admin, joined_at) VALUES (?, ?, ?, ?)")
      .execute(chat_id, uid, admin, core::epoch_ms(now));
}

std::int64_t count_rooms(connection& db, const std::string& user_id) {
  auto& s = db.cached("SELECT count(*) FROM room_members WHERE user_id = ?");
  return s.execute(user_id).fetch() ? s.int64(0) : 0;
}

outcome<std::int64_t> cursor_seq(connection& db, std::int64_t chat_id, const std::string& id) {
  auto& s = db.cached("SELECT chat_id, seq FROM messages WHERE message_id = ?");
  if (!s.execute(id).fetch() || s.int64(0) != chat_id)
    return problem::bad_request("Unknown cursor: not a message of this room");
  return s.int64(1);
}

// Reads limit + 1 rows to tell whether more follow.
slice to_slice(std::vector<message> rows, int limit) {
  slice out;
  out.content = std::move(rows);
  if (out.content.size() > static_cast<std::size_t>(limit)) {
    out.content.pop_back();
    out.has_more = true;
  }
  return out;
}

// Opens the store's database, creating it on first start. Connecting to it first (not CREATE
// DATABASE IF NOT EXISTS straight away) lets a user without the CREATE privilege use a database
// made for it.
std::unique_ptr<connection> open_creating(const dsn_parts& where, std::chrono::milliseconds t) {
  try {
    return std::make_unique<connection>(where, t);
  } catch (const db_error& e) {
    if (!e.unknown_database()) throw;
  }
  // where.database passed parse_dsn's identifier check: safe to splice.
  connection(where, t, /*use_database=*/false)
      .exec("CREATE DATABASE IF NOT EXISTS `" + where.database +
            "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
  spdlog::info("mariadb: created database {}", where.database);
  return std::make_unique<connection>(where, t);
}

}  // namespace

// ---- the write pipeline ------------------------------------------------------------------

class mariadb_store::job : public write_job {
 public:
  // Inside the batch transaction; throws on a storage error.
  virtual void run(connection& db) = 0;
  // The message an append job appends; null for every other job.
  virtual const new_message* appending() const { return nullptr; }
  std::int64_t seq_room = 0;
};

template <class T, class F>
class mariadb_store::typed_job final : public mariadb_store::job {
 public:
  typed_job(F body, callback<T> done) : body_(std::move(body)), done_(std::move(done)) {}
  void run(connection& db) override { result_.emplace(body_(db)); }
  void fail(const problem& p) override { result_.emplace(p); }
  void finish() override { done_(std::move(*result_)); }

 private:
  F body_;
  callback<T> done_;
  std::optional<outcome<T>> result_;
};

// An append: its conditions are read for the whole batch (read_for_appends) and its row is
// inserted with the batch's others (write_appended), so it costs no round trip of its own.
class mariadb_store::append_job final : public mariadb_store::job {
 public:
  append_job(mariadb_store& store, new_message m, callback<appended> done)
      : store_(store), m_(std::move(m)), done_(std::move(done)) {
    seq_room = m_.chat_id;
  }
  const new_message* appending() const override { return &m_; }
  void run(connection&) override { result_.emplace(store_.append_in_batch(m_)); }
  void fail(const problem& p) override { result_.emplace(p); }
  void finish() override { done_(std::move(*result_)); }

 private:
  mariadb_store& store_;
  new_message m_;
  callback<appended> done_;
  std::optional<outcome<appended>> result_;
};

struct mariadb_store::batch_failure {
  problem why;
  bool connection_lost = false;  // then every other job would fail the same way
};

mariadb_store::mariadb_store(options opt, const core::clock& clock)
    : opt_(std::move(opt)), clock_(clock), where_(parse_dsn(opt_.dsn)) {
  try {
    writer_db_ = open_creating(where_, opt_.connect_timeout);
    migrate(*writer_db_);
    // Ids keep increasing across restarts even if the clock now reads earlier than the newest id.
    auto& newest = writer_db_->cached("SELECT max(message_id) FROM messages");
    if (newest.execute().fetch() && !newest.is_null(0)) sequencer_.continue_after(newest.text(0));
  } catch (const db_error& e) {
    // e names host:port/database and the server's message; the password is in neither.
    if (e.connection_lost() || e.transient())
      throw core::unavailable_error(std::string("cannot reach the MariaDB store: ") + e.what());
    throw std::runtime_error(std::string("cannot open the MariaDB store: ") + e.what());
  }
  pool_ = std::make_unique<connection_pool>(where_, opt_.connect_timeout, opt_.pool_size);
  pipeline_ = std::make_unique<commit_pipeline>(
      opt_.max_batch, commit_pipeline::hooks{[this](batch& jobs) { commit_batch(jobs); },
                                             opt_.on_callbacks_begin, opt_.on_callbacks_end});
}

mariadb_store::~mariadb_store() { close(); }

void mariadb_store::close() { pipeline_->close(); }

template <class T, class F>
void mariadb_store::submit(callback<T> done, F&& body, std::int64_t seq_room) {
  auto j = std::make_unique<typed_job<T, std::decay_t<F>>>(std::forward<F>(body), std::move(done));
  j->seq_room = seq_room;
  pipeline_->submit(std::move(j));
}

connection& mariadb_store::writer_connection() {
  if (writer_db_ && !writer_db_->broken()) {
    bool idle = std::chrono::steady_clock::now() - writer_db_->last_used() >
                connection_pool::revalidate_after;
    if (!idle || writer_db_->alive()) return *writer_db_;
  }
  writer_db_.reset();
  writer_db_ = std::make_unique<connection>(where_, opt_.connect_timeout);
  return *writer_db_;
}

void mariadb_store::commit_batch(batch& jobs) {
  auto failed = run_batch(jobs);
  if (!failed) return;
  if (jobs.size() == 1 || failed->connection_lost) {
    for (auto& j : jobs) j->fail(failed->why);
    return;
  }
  // Find the failing job: each alone in its own transaction, so the others still commit. Once
  // the server is gone, the rest fail without each waiting for a connection attempt.
  std::optional<batch_failure> gone;
  for (auto& j : jobs) {
    batch one;
    one.push_back(std::move(j));
    auto f = gone ? gone : run_batch(one);
    if (f) one.front()->fail(f->why);
    if (f && f->connection_lost) gone = f;
    j = std::move(one.front());
  }
}

std::optional<mariadb_store::batch_failure> mariadb_store::run_batch(batch& jobs) {
  try {
    auto& db = writer_connection();
    transaction tx(db);
    lock_rooms(db, jobs);
    read_for_appends(db, jobs);
    for (auto& j : jobs) {
      auto& one = static_cast<job&>(*j);
      // A status change or read marker may name a message appended earlier in this batch.
      if (!one.appending()) write_appended(db);
      one.run(db);
    }
    write_appended(db);
    flush_room_seqs(db);
    tx.commit();  // only now may any of these jobs report success
    reads_.clear();
    return std::nullopt;
  } catch (const db_error& e) {
    sequencer_.abandon();
    reads_.clear();
    spdlog::error("mariadb: batch of {} rolled back: {}", jobs.size(), e.what());
    if (e.connection_lost()) return batch_failure{problem::unavailable(), true};
    if (e.transient()) return batch_failure{problem::unavailable(), false};
    return batch_failure{problem::internal("Storage error")};
  } catch (const std::exception& e) {
    sequencer_.abandon();
    reads_.clear();
    spdlog::error("mariadb: batch of {} rolled back: {}", jobs.size(), e.what());
    return batch_failure{problem::internal("Storage error")};
  }
}

void mariadb_store::lock_rooms(connection& db, const batch& jobs) {
  std::set<std::int64_t> ids;  // ordered: every node locks rooms in the same (ascending) order
  for (auto& j : jobs)
    if (auto id = static_cast<const job&>(*j).seq_room) ids.insert(id);
  std::vector<std::int64_t> rooms(ids.begin(), ids.end());
  in_chunks(
      db, rooms, true,
      [](std::size_t n) {
        return repeated(
            "SELECT r.chat_id, r.last_seq, (SELECT m.message_id FROM messages m WHERE m.chat_id = "
            "r.chat_id AND m.seq = r.last_seq) FROM rooms r WHERE r.chat_id IN (",
            "?", ", ", n, ") ORDER BY r.chat_id FOR UPDATE");
      },
      [](std::int64_t id, auto& v) { v.emplace_back(id); },
      [&](statement& s) {
        // A room that does not exist is missing: its appends are refused. Another node may
        // have written the room last, with ids ahead of ours: numbering continues after them.
        while (s.fetch()) sequencer_.start(s.int64(0), s.int64(1), s.is_null(2) ? "" : s.text(2));
      });
}

void mariadb_store::read_for_appends(connection& db, const batch& jobs) {
  std::set<std::pair<std::int64_t, std::string>> pairs;
  std::set<std::pair<std::string, std::string>> retries;
  std::set<std::string> records;
  for (auto& j : jobs) {
    auto* m = static_cast<const job&>(*j).appending();
    if (!m) continue;
    pairs.emplace(m->chat_id, m->user_id);
    if (m->client_message_id) retries.emplace(m->user_id, *m->client_message_id);
    if (m->record_id) records.insert(*m->record_id);
  }
  // Locking reads: a member removed on another node waits for this batch, and a retry being
  // inserted by another node is waited for and returned rather than inserted twice.
  using member_key = std::pair<std::int64_t, std::string>;
  in_chunks(
      db, std::vector<member_key>(pairs.begin(), pairs.end()), true,
      [](std::size_t n) {
        return repeated("SELECT chat_id, user_id FROM room_members WHERE ",
                        "(chat_id = ? AND user_id = ?)", " OR ", n, " LOCK IN SHARE MODE");
      },
      [](const member_key& k, auto& v) {
        v.emplace_back(k.first);
        v.emplace_back(std::string_view(k.second));
      },
      [&](statement& s) {
        while (s.fetch()) reads_.members.emplace(s.int64(0), s.text(1));
      });
  using retry_key = std::pair<std::string, std::string>;
  in_chunks(
      db, std::vector<retry_key>(retries.begin(), retries.end()), true,
      [](std::size_t n) {
        return repeated(sql({"SELECT ", msg_cols, " FROM messages WHERE "}),
                        "(user_id = ? AND client_message_id = ?)", " OR ", n,
                        " LOCK IN SHARE MODE");
      },
      [](const retry_key& k, auto& v) {
        v.emplace_back(std::string_view(k.first));
        v.emplace_back(std::string_view(k.second));
      },
      [&](statement& s) {
        while (s.fetch()) {
          auto msg = read_message(s);
          auto key = std::pair(msg.user_id, msg.client_message_id.value_or(""));
          reads_.sent.emplace(std::move(key), std::move(msg));
        }
      });
  in_chunks(
      db, std::vector<std::string>(records.begin(), records.end()), true,
      [](std::size_t n) {
        return repeated(sql({"SELECT record_id, ", msg_cols, " FROM messages WHERE record_id IN ("}),
                        "?", ", ", n, ") LOCK IN SHARE MODE");
      },
      [](const std::string& id, auto& v) { v.emplace_back(std::string_view(id)); },
      [&](statement& s) {
        while (s.fetch()) reads_.recorded.emplace(s.text(0), read_message(s, 1));
      });
}

appended mariadb_store::append_in_batch(const new_message& m) {
  if (m.record_id) {
    auto it = reads_.recorded.find(*m.record_id);
    if (it != reads_.recorded.end()) return {append_verdict::appended, it->second};
  }
  if (!reads_.members.contains({m.chat_id, m.user_id})) return {append_verdict::not_a_member, {}};
  if (m.client_message_id) {
    auto it = reads_.sent.find({m.user_id, *m.client_message_id});
    if (it != reads_.sent.end()) return {append_verdict::duplicate, it->second};
  }
  auto placed = sequencer_.place(m, clock_.now());
  if (!placed) return {append_verdict::not_a_member, {}};  // the room is gone
  auto& msg = *placed;
  // A retry later in this batch finds it here.
  if (m.client_message_id) reads_.sent.emplace(std::pair(m.user_id, *m.client_message_id), msg);
  if (m.record_id) reads_.recorded.emplace(*m.record_id, msg);
  reads_.unwritten.push_back({msg, m.record_id});
  return {append_verdict::appended, std::move(msg)};
}

void mariadb_store::write_appended(connection& db) {
  if (reads_.unwritten.empty()) return;
  // The type names and timestamps the bound values point at live until the chunk has run.
  in_chunks(
      db, reads_.unwritten, false,
      [](std::size_t n) {
        return repeated(sql({"INSERT INTO messages(", msg_cols, ", record_id) VALUES "}),
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ", ", n, "");
      },
      [](const batch_reads::row& r, auto& v) {
        auto& m = r.msg;
        v.emplace_back(std::string_view(m.message_id));
        v.emplace_back(m.chat_id);
        v.emplace_back(m.seq);
        v.emplace_back(std::string_view(m.user_id));
        v.emplace_back(std::string_view(m.content));
        v.emplace_back(std::string_view(to_string(m.type)));
        v.emplace_back(static_cast<std::int64_t>(m.status));
        v.emplace_back(core::epoch_ms(m.timestamp));
        v.emplace_back(std::int64_t{0});
        if (m.client_message_id)
          v.emplace_back(std::string_view(*m.client_message_id));
        else
          v.emplace_back(std::nullopt);
        if (r.record_id)
          v.emplace_back(std::string_view(*r.record_id));
        else
          v.emplace_back(std::nullopt);
      },
      [](statement&) {});
  reads_.unwritten.clear();
}

void mariadb_store::flush_room_seqs(connection& db) {
  auto& s = db.cached("UPDATE rooms SET last_seq = ?, last_activity = ? WHERE chat_id = ?");
  sequencer_.settle([&](const chat::room_sequencer::moved& r) {
    s.execute(r.last_seq, r.last_activity_ms, r.chat_id);
  });
}

// ---- the synchronous path ----------------------------------------------------------------

template <class F>
auto mariadb_store::with_connection(F&& f) {
  try {
    auto db = pool_->acquire();
    return f(*db);
  } catch (const db_error& e) {
    // The lease is back in the pool by now, closed if the connection broke. Not logged here: at
    // the request rate of an outage that would flood the log; the edge reports the 503.
    if (e.connection_lost() || e.transient()) throw core::unavailable_error(e.what());
    throw;
  }
}

template <class F>
auto mariadb_store::in_transaction(F&& f) {
  return with_connection([&](connection& db) {
    transaction tx(db);
    auto result = f(db);
    tx.commit();
    return result;
  });
}

// ---- users -------------------------------------------------------------------------------

outcome<user> mariadb_store::create_user(const user& u) {
  auto now_ms = core::epoch_ms(clock_.now());
  return with_connection([&](connection& db) -> outcome<user> {
    try {
      db.cached(sql({"INSERT INTO users(", user_cols, ", created_at) VALUES (?,?,?,?,?,?,?,?)"}))
          .execute(u.user_id, u.username, u.email, u.full_name, u.password_hash, u.avatar, u.bio,
                   now_ms);
    } catch (const db_error& e) {
      if (e.duplicate_key()) return taken(db, u.username, u.email);
      throw;
    }
    return u;
  });
}

std::optional<user> mariadb_store::user_by_id(const std::string& id) {
  return with_connection([&](connection& db) { return find_user(db, "user_id", id); });
}

std::optional<user> mariadb_store::user_by_username(const std::string& username) {
  return with_connection([&](connection& db) { return find_user(db, "username", username); });
}

outcome<user> mariadb_store::update_user(const std::string& id, const user_patch& p) {
  return with_connection([&](connection& db) -> outcome<user> {
    try {
      db.cached(
            "UPDATE users SET email = coalesce(?, email), full_name = coalesce(?, full_name), "
            "avatar = coalesce(?, avatar), bio = coalesce(?, bio) WHERE user_id = ?")
          .execute(p.email, p.full_name, p.avatar, p.bio, id);
    } catch (const db_error& e) {
      if (e.duplicate_key()) return taken(db, std::nullopt, p.email.value_or(""));
      throw;
    }
    auto u = find_user(db, "user_id", id);
    if (!u) return problem::not_found("User not found");
    return *u;
  });
}

page<user> mariadb_store::search_users(const std::string& q, const std::string& exclude_id, int pg,
                                       int size) {
  // LOWER folds Unicode case (SQLite's lower() only ASCII); username is a _bin column, so the
  // match is on the folded texts.
  constexpr const char* where =
      " FROM users WHERE user_id <> ? AND (INSTR(LOWER(username), LOWER(?)) > 0 OR "
      "INSTR(LOWER(full_name), LOWER(?)) > 0)";
  return with_connection([&](connection& db) {
    page<user> out;
    out.number = pg;
    out.size = size;
    auto& c = db.cached(sql({"SELECT count(*)", where}));
    if (c.execute(exclude_id, q, q).fetch()) out.total_elements = c.int64(0);
    auto& s = db.cached(sql({"SELECT ", user_cols, where, " ORDER BY username LIMIT ? OFFSET ?"}));
    s.execute(exclude_id, q, q, size, static_cast<std::int64_t>(pg) * size);
    while (s.fetch()) out.content.push_back(read_user(s));
    return out;
  });
}

std::vector<std::string> mariadb_store::all_usernames() {
  return with_connection([&](connection& db) {
    std::vector<std::string> out;
    auto& s = db.cached("SELECT username FROM users");
    s.execute();
    while (s.fetch()) out.push_back(s.text(0));
    return out;
  });
}

void mariadb_store::set_last_seen(const std::string& user_id, time_point t) {
  with_connection([&](connection& db) {
    db.cached("UPDATE users SET last_seen = ? WHERE user_id = ?")
        .execute(core::epoch_ms(t), user_id);
  });
}

std::vector<presence_row> mariadb_store::last_seen(const std::vector<std::string>& ids) {
  return with_connection([&](connection& db) {
    std::vector<presence_row> out;
    auto& s = db.cached("SELECT last_seen FROM users WHERE user_id = ?");
    for (auto& id : ids) {
      presence_row row{id, std::nullopt};
      if (s.execute(id).fetch() && !s.is_null(0)) row.last_seen = core::from_epoch_ms(s.int64(0));
      out.push_back(std::move(row));
    }
    return out;
  });
}

// ---- refresh tokens ----------------------------------------------------------------------

void mariadb_store::insert_refresh(const std::string& token_hash, const std::string& family_id,
                                   const std::string& user_id, time_point expires_at) {
  with_connection([&](connection& db) {
    db.cached(
          "INSERT INTO refresh_tokens(token_hash, family_id, user_id, expires_at) VALUES (?,?,?,?)")
        .execute(token_hash, family_id, user_id, core::epoch_ms(expires_at));
  });
}

outcome<refresh_grant> mariadb_store::rotate_refresh(const std::string& old_hash,
                                                     const std::string& new_hash,
                                                     time_point new_expires_at, time_point now) {
  // The token row is locked: of two rotations of one token (two nodes, or a replayed request)
  // the second waits, then sees it used and revokes the family.
  return in_transaction([&](connection& db) -> outcome<refresh_grant> {
    auto& s = db.cached(
        "SELECT family_id, user_id, expires_at, used, revoked FROM refresh_tokens "
        "WHERE token_hash = ? FOR UPDATE");
    if (!s.execute(old_hash).fetch()) return problem::unauthorized("Invalid refresh token");
    refresh_grant g{s.text(1), s.text(0)};
    auto expires = s.int64(2);
    bool used = s.int64(3) != 0, revoked = s.int64(4) != 0;
    if (used || revoked) {
      // Reuse of a rotated token: someone holds a copy. Revoke the whole family (the device's
      // session), so neither the thief nor the victim can continue without logging in again.
      db.cached("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?").execute(g.family_id);
      return problem::unauthorized("Refresh token reuse detected; session revoked");
    }
    if (expires <= core::epoch_ms(now)) return problem::unauthorized("Refresh token expired");
    db.cached("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?").execute(old_hash);
    db.cached(
          "INSERT INTO refresh_tokens(token_hash, family_id, user_id, expires_at) VALUES (?,?,?,?)")
        .execute(new_hash, g.family_id, g.user_id, core::epoch_ms(new_expires_at));
    return g;
  });
}

void mariadb_store::revoke_family(const std::string& token_hash) {
  // A self-join: MariaDB refuses a subquery on the table being updated.
  with_connection([&](connection& db) {
    db.cached(
          "UPDATE refresh_tokens t JOIN refresh_tokens o ON o.family_id = t.family_id "
          "SET t.revoked = 1 WHERE o.token_hash = ?")
        .execute(token_hash);
  });
}

// ---- rooms -------------------------------------------------------------------------------

outcome<room> mariadb_store::create_room(const room& r, const std::string& creator,
                                         const std::vector<std::string>& other_members) {
  auto now = clock_.now();
  auto now_ms = core::epoch_ms(now);
  return in_transaction([&](connection& db) -> outcome<room> {
    for (auto& uid : other_members)
      if (!find_user(db, "user_id", uid))
        return problem::not_found("User not found with ID: " + uid);
    auto& ins = db.cached(
        "INSERT INTO rooms(name, type, description, icon, created_at, last_activity) "
        "VALUES (?,?,?,?,?,?)");
    ins.execute(r.name, to_string(r.type), r.description, r.icon, now_ms, now_ms);
    room out = r;
    out.chat_id = static_cast<std::int64_t>(ins.insert_id());
    out.created_at = core::from_epoch_ms(now_ms);
    out.last_seq = 0;
    std::set<std::string> joined{creator};
    insert_member(db, out.chat_id, creator, true, now);
    for (auto& uid : other_members)
      if (joined.insert(uid).second) insert_member(db, out.chat_id, uid, false, now);
    return out;
  });
}

outcome<std::pair<room, bool>> mariadb_store::find_or_create_dm(const std::string& a,
                                                                const std::string& b) {
  auto now = clock_.now();
  auto now_ms = core::epoch_ms(now);
  std::string key = a < b ? a + "|" + b : b + "|" + a;
  return in_transaction([&](connection& db) -> outcome<std::pair<room, bool>> {
    auto& existing = db.cached(sql({"SELECT ", room_cols, " FROM rooms WHERE dm_key = ?"}));
    if (existing.execute(key).fetch()) return std::pair{read_room(existing), false};
    if (!find_user(db, "user_id", b)) return problem::not_found("User not found with ID: " + b);
    auto& ins = db.cached(
        "INSERT INTO rooms(name, type, created_at, last_activity, dm_key) "
        "VALUES ('DM', 'DIRECT_MESSAGE', ?, ?, ?)");
    try {
      ins.execute(now_ms, now_ms, key);
    } catch (const db_error& e) {
      // Created at the same moment by another request: the insert waited for its commit, so
      // (READ COMMITTED) the room is visible now.
      if (!e.duplicate_key() || !existing.execute(key).fetch()) throw;
      return std::pair{read_room(existing), false};
    }
    auto id = static_cast<std::int64_t>(ins.insert_id());
    insert_member(db, id, a, false, now);
    insert_member(db, id, b, false, now);
    return std::pair{*find_room(db, id), true};
  });
}

std::optional<room> mariadb_store::room_by_id(std::int64_t chat_id) {
  return with_connection([&](connection& db) { return find_room(db, chat_id); });
}

outcome<room> mariadb_store::update_room(std::int64_t chat_id, const room_patch& p) {
  std::optional<std::string> type;
  if (p.type) type = to_string(*p.type);
  return with_connection([&](connection& db) -> outcome<room> {
    db.cached(
          "UPDATE rooms SET name = coalesce(?, name), description = coalesce(?, description), "
          "icon = coalesce(?, icon), type = coalesce(?, type) WHERE chat_id = ?")
        .execute(p.name, p.description, p.icon, type, chat_id);
    auto r = find_room(db, chat_id);
    if (!r) return problem::not_found("Chat room not found");
    return *r;
  });
}

void mariadb_store::delete_room(std::int64_t chat_id) {
  // Members and messages go with it (ON DELETE CASCADE).
  with_connection(
      [&](connection& db) { db.cached("DELETE FROM rooms WHERE chat_id = ?").execute(chat_id); });
}

std::optional<member> mariadb_store::membership(std::int64_t chat_id, const std::string& user_id) {
  return with_connection([&](connection& db) { return find_member(db, chat_id, user_id); });
}

std::vector<member> mariadb_store::members(std::int64_t chat_id) {
  return with_connection([&](connection& db) {
    auto& s = db.cached(
        "SELECT m.admin, m.last_read_message_id, "
        "u.user_id, u.username, u.email, u.full_name, '', u.avatar, u.bio "
        "FROM room_members m JOIN users u ON u.user_id = m.user_id "
        "WHERE m.chat_id = ? ORDER BY m.joined_at, u.username");
    s.execute(chat_id);
    std::vector<member> out;
    while (s.fetch()) {
      member m;
      m.chat_id = chat_id;
      m.admin = s.int64(0) != 0;
      m.last_read_message_id = s.opt_text(1);
      m.profile = read_user(s, 2);
      m.user_id = m.profile.user_id;
      out.push_back(std::move(m));
    }
    return out;
  });
}

page<room_summary> mariadb_store::rooms_of(const std::string& user_id, int pg, int size) {
  return with_connection([&](connection& db) {
    page<room_summary> out;
    out.number = pg;
    out.size = size;
    out.total_elements = count_rooms(db, user_id);
    auto& s = db.cached(
        "SELECT r.chat_id, r.name, r.type, r.description, r.icon, r.created_at, r.last_seq, "
        "m.last_read_seq FROM room_members m JOIN rooms r ON r.chat_id = m.chat_id "
        "WHERE m.user_id = ? ORDER BY r.last_activity DESC, r.chat_id DESC LIMIT ? OFFSET ?");
    s.execute(user_id, size, static_cast<std::int64_t>(pg) * size);
    std::vector<std::pair<room, std::int64_t>> rows;
    while (s.fetch()) rows.emplace_back(read_room(s), s.int64(7));
    auto& latest = db.cached(
        sql({"SELECT ", msg_cols, " FROM messages WHERE chat_id = ? ORDER BY seq DESC LIMIT 1"}));
    auto& unread =
        db.cached("SELECT count(*) FROM messages WHERE chat_id = ? AND seq > ? AND user_id <> ?");
    for (auto& [r, read_seq] : rows) {
      room_summary sum;
      sum.info = r;
      if (latest.execute(r.chat_id).fetch()) sum.latest = read_message(latest);
      if (unread.execute(r.chat_id, read_seq, user_id).fetch()) sum.unread_count = unread.int64(0);
      out.content.push_back(std::move(sum));
    }
    return out;
  });
}

std::int64_t mariadb_store::room_count_of(const std::string& user_id) {
  return with_connection([&](connection& db) { return count_rooms(db, user_id); });
}

outcome<member> mariadb_store::add_member(std::int64_t chat_id, const std::string& user_id,
                                          bool admin) {
  auto now = clock_.now();
  return in_transaction([&](connection& db) -> outcome<member> {
    if (!find_room(db, chat_id)) return problem::not_found("Chat room not found");
    if (!find_user(db, "user_id", user_id)) return problem::not_found("User not found");
    if (find_member(db, chat_id, user_id)) return problem::conflict("User already a member.");
    try {
      insert_member(db, chat_id, user_id, admin, now);
    } catch (const db_error& e) {
      if (e.duplicate_key()) return problem::conflict("User already a member.");  // just added
      throw;
    }
    return *find_member(db, chat_id, user_id);
  });
}

bool mariadb_store::remove_member(std::int64_t chat_id, const std::string& user_id) {
  return with_connection([&](connection& db) {
    auto& s = db.cached("DELETE FROM room_members WHERE chat_id = ? AND user_id = ?");
    return s.execute(chat_id, user_id).affected_rows() > 0;
  });
}

bool mariadb_store::set_admin(std::int64_t chat_id, const std::string& user_id, bool admin) {
  return with_connection([&](connection& db) {
    auto& s = db.cached("UPDATE room_members SET admin = ? WHERE chat_id = ? AND user_id = ?");
    return s.execute(admin, chat_id, user_id).affected_rows() > 0;  // rows matched
  });
}

std::vector<std::string> mariadb_store::co_members(const std::string& user_id) {
  return with_connection([&](connection& db) {
    auto& s = db.cached(
        "SELECT DISTINCT o.user_id FROM room_members m JOIN room_members o ON o.chat_id = "
        "m.chat_id WHERE m.user_id = ? AND o.user_id <> ?");
    s.execute(user_id, user_id);
    std::vector<std::string> out;
    while (s.fetch()) out.push_back(s.text(0));
    return out;
  });
}

// ---- messages ----------------------------------------------------------------------------

void mariadb_store::append(new_message m, callback<appended> done) {
  pipeline_->submit(std::make_unique<append_job>(*this, std::move(m), std::move(done)));
}

void mariadb_store::set_status_if_forward(std::int64_t chat_id, const std::string& message_id,
                                          const std::string& user_id, message_status s,
                                          callback<status_change> done) {
  static const std::string locked_message =
      sql({"SELECT ", msg_cols, " FROM messages WHERE message_id = ? FOR UPDATE"});
  submit<status_change>(std::move(done), [=](connection& db) -> outcome<status_change> {
    if (!locked_member(db, chat_id, user_id)) return status_change{status_verdict::not_a_member, {}};
    // Locked, so "only forward" holds against a concurrent change on another node.
    auto& found = db.cached(locked_message);
    if (!found.execute(message_id).fetch()) return status_change{status_verdict::no_such_message, {}};
    auto msg = read_message(found);
    if (msg.chat_id != chat_id) return status_change{status_verdict::no_such_message, {}};
    if (msg.user_id == user_id) return status_change{status_verdict::not_a_recipient, msg};
    if (s <= msg.status) return status_change{status_verdict::unchanged, msg};
    db.cached("UPDATE messages SET status = ? WHERE message_id = ?")
        .execute(static_cast<int>(s), message_id);
    msg.status = s;
    return status_change{status_verdict::changed, msg};
  });
}

void mariadb_store::advance_read_marker(std::int64_t chat_id, const std::string& user_id,
                                        const std::string& message_id,
                                        callback<read_change> done) {
  submit<read_change>(std::move(done), [=](connection& db) -> outcome<read_change> {
    // The member's row is locked: "only forward" holds against a concurrent mark on another node.
    auto& s = db.cached(
        "SELECT last_read_message_id, last_read_seq FROM room_members "
        "WHERE chat_id = ? AND user_id = ? FOR UPDATE");
    if (!s.execute(chat_id, user_id).fetch()) return read_change{read_verdict::not_a_member, {}};
    auto current = s.opt_text(0);
    auto current_seq = s.int64(1);
    auto msg = find_message(db, message_id);
    if (!msg || msg->chat_id != chat_id) return read_change{read_verdict::no_such_message, {}};
    if (msg->seq <= current_seq) return read_change{read_verdict::unchanged, current.value_or("")};
    db.cached(
          "UPDATE room_members SET last_read_message_id = ?, last_read_seq = ? "
          "WHERE chat_id = ? AND user_id = ?")
        .execute(message_id, msg->seq, chat_id, user_id);
    return read_change{read_verdict::advanced, message_id};
  });
}

page<message> mariadb_store::history_page(std::int64_t chat_id, int pg, int size) {
  return with_connection([&](connection& db) {
    page<message> out;
    out.number = pg;
    out.size = size;
    auto& c = db.cached("SELECT count(*) FROM messages WHERE chat_id = ?");
    if (c.execute(chat_id).fetch()) out.total_elements = c.int64(0);
    auto& s = db.cached(sql({"SELECT ", msg_cols, " FROM messages WHERE chat_id = ? ",
                             "ORDER BY seq DESC LIMIT ? OFFSET ?"}));
    out.content = read_messages(s.execute(chat_id, size, static_cast<std::int64_t>(pg) * size));
    return out;
  });
}

outcome<slice> mariadb_store::history_after(std::int64_t chat_id, const std::string& after_id,
                                            int limit) {
  return with_connection([&](connection& db) -> outcome<slice> {
    auto from = cursor_seq(db, chat_id, after_id);
    if (!from) return from.error();
    auto& s = db.cached(sql({"SELECT ", msg_cols,
                             " FROM messages WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?"}));
    return to_slice(read_messages(s.execute(chat_id, *from, limit + 1)), limit);
  });
}

outcome<slice> mariadb_store::history_before(std::int64_t chat_id, const std::string& before_id,
                                             int limit) {
  return with_connection([&](connection& db) -> outcome<slice> {
    auto to = cursor_seq(db, chat_id, before_id);
    if (!to) return to.error();
    auto& s = db.cached(sql({"SELECT ", msg_cols,
                             " FROM messages WHERE chat_id = ? AND seq < ? ORDER BY seq DESC "
                             "LIMIT ?"}));
    auto out = to_slice(read_messages(s.execute(chat_id, *to, limit + 1)), limit);
    std::reverse(out.content.begin(), out.content.end());
    return out;
  });
}

std::optional<message> mariadb_store::message_by_id(const std::string& message_id) {
  return with_connection([&](connection& db) { return find_message(db, message_id); });
}

}  // namespace parley::store::mariadb
