#include "store/sqlite/sqlite_store.hpp"

#include "obs/metrics.hpp"
#include "store/sqlite/db.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <future>

#include <pthread.h>

namespace parley::store::sqlite {

namespace {

using core::problem;

// Versioned migrations: index i brings the schema from version i to i+1 (PRAGMA user_version).
// Never edit a shipped step; append a new one.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE users (
  user_id       TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  full_name     TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  avatar        TEXT,
  bio           TEXT,
  created_at    INTEGER NOT NULL,
  last_seen     INTEGER
);
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  used       INTEGER NOT NULL DEFAULT 0,
  revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE TABLE rooms (
  chat_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL,
  description   TEXT,
  icon          TEXT,
  created_at    INTEGER NOT NULL,
  last_seq      INTEGER NOT NULL DEFAULT 0,
  last_activity INTEGER NOT NULL,
  dm_key        TEXT UNIQUE
);
CREATE TABLE room_members (
  chat_id              INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  user_id              TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  admin                INTEGER NOT NULL DEFAULT 0,
  joined_at            INTEGER NOT NULL,
  last_read_message_id TEXT,
  last_read_seq        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_members_user ON room_members(user_id);
CREATE TABLE messages (
  chat_id           INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  seq               INTEGER NOT NULL,
  message_id        TEXT NOT NULL UNIQUE,
  user_id           TEXT NOT NULL,
  content           TEXT NOT NULL,
  type              TEXT NOT NULL,
  status            INTEGER NOT NULL,
  timestamp         INTEGER NOT NULL,
  edited            INTEGER NOT NULL DEFAULT 0,
  client_message_id TEXT,
  PRIMARY KEY (chat_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages(user_id, client_message_id)
  WHERE client_message_id IS NOT NULL;
)sql",
    // 2: messages in a rowid table, in insertion order. Version 1 kept each row inside a
    // (chat_id, seq) b-tree, so a batch of sends to many rooms dirtied a page per room with whole
    // rows, and the random (user_id, client_message_id) index another page per message: every
    // commit rewrote hundreds of 4 KiB pages to the WAL. Now rows append at the end, the room
    // index holds only (chat_id, seq, rowid), and retries are found in memory (retry_window.hpp)
    // from the stored 63-bit client_key, checked against the stored ids on a hit.
    R"sql(
CREATE TABLE messages_v2 (
  row_id            INTEGER PRIMARY KEY,
  chat_id           INTEGER NOT NULL REFERENCES rooms(chat_id) ON DELETE CASCADE,
  seq               INTEGER NOT NULL,
  message_id        TEXT NOT NULL UNIQUE,
  user_id           TEXT NOT NULL,
  content           TEXT NOT NULL,
  type              TEXT NOT NULL,
  status            INTEGER NOT NULL,
  timestamp         INTEGER NOT NULL,
  edited            INTEGER NOT NULL DEFAULT 0,
  client_message_id TEXT,
  client_key        INTEGER
);
INSERT INTO messages_v2(chat_id, seq, message_id, user_id, content, type, status, timestamp,
                        edited, client_message_id, client_key)
  SELECT chat_id, seq, message_id, user_id, content, type, status, timestamp, edited,
         client_message_id, parley_client_key(user_id, client_message_id)
  FROM messages ORDER BY message_id;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE UNIQUE INDEX messages_room_seq ON messages(chat_id, seq);
)sql",
};

// The retry key of (sender, client message id): FNV-1a 64 of both with a separator, in 63 bits
// so it is a positive SQLite integer. Persistent: never change it (migration 2 stores it).
std::int64_t client_key(std::string_view user_id, std::string_view client_message_id) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  };
  mix(user_id);
  mix(std::string_view("\0", 1));
  mix(client_message_id);
  return static_cast<std::int64_t>(h & 0x7fffffffffffffffull);
}

// parley_client_key(user_id, client_message_id): NULL when the client id is NULL.
void client_key_sql(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  auto text = [](sqlite3_value* v) {
    auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return std::string_view(p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v)));
  };
  sqlite3_result_int64(ctx, client_key(text(argv[0]), text(argv[1])));
}

constexpr const char* user_cols = "user_id, username, email, full_name, password_hash, avatar, bio";
constexpr const char* room_cols = "chat_id, name, type, description, icon, created_at, last_seq";
constexpr const char* msg_cols =
    "message_id, chat_id, seq, user_id, content, type, status, timestamp, edited, "
    "client_message_id";

user read_user(const statement& s, int c = 0) {
  return user{s.text(c),     s.text(c + 1),     s.text(c + 2),    s.text(c + 3),
              s.text(c + 4), s.opt_text(c + 5), s.opt_text(c + 6)};
}

room read_room(const statement& s, int c = 0) {
  room r;
  r.chat_id = s.int64(c);
  r.name = s.text(c + 1);
  r.type = parse_room_type(s.text(c + 2)).value_or(room_type::private_room);
  r.description = s.opt_text(c + 3);
  r.icon = s.opt_text(c + 4);
  r.created_at = core::from_epoch_ms(s.int64(c + 5));
  r.last_seq = s.int64(c + 6);
  return r;
}

message read_message(const statement& s, int c = 0) {
  message m;
  m.message_id = s.text(c);
  m.chat_id = s.int64(c + 1);
  m.seq = s.int64(c + 2);
  m.user_id = s.text(c + 3);
  m.content = s.text(c + 4);
  m.type = parse_message_type(s.text(c + 5)).value_or(message_type::text);
  m.status = static_cast<message_status>(std::clamp<std::int64_t>(s.int64(c + 6), 0, 2));
  m.timestamp = core::from_epoch_ms(s.int64(c + 7));
  m.edited = s.int64(c + 8) != 0;
  m.client_message_id = s.opt_text(c + 9);
  return m;
}

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

std::optional<message> find_message(connection& db, const std::string& id) {
  auto& s = db.cached(sql({"SELECT ", msg_cols, " FROM messages WHERE message_id = ?"}));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_message(s);
}

std::optional<member> find_member(connection& db, std::int64_t chat_id, const std::string& uid) {
  auto& s = db.cached(
      "SELECT admin, last_read_message_id FROM room_members WHERE chat_id = ? AND user_id = ?");
  s.bind(1, chat_id).bind(2, uid);
  if (!s.step()) return std::nullopt;
  member m;
  m.chat_id = chat_id;
  m.user_id = uid;
  m.admin = s.int64(0) != 0;
  m.last_read_message_id = s.opt_text(1);
  return m;
}

std::optional<room> find_room(connection& db, std::int64_t chat_id) {
  auto& s = db.cached(sql({"SELECT ", room_cols, " FROM rooms WHERE chat_id = ?"}));
  s.bind(1, chat_id);
  if (!s.step()) return std::nullopt;
  return read_room(s);
}

std::optional<user> find_user(connection& db, std::string_view column, const std::string& v) {
  auto& s = db.cached(sql({"SELECT ", user_cols, " FROM users WHERE ", column, " = ?"}));
  s.bind(1, v);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

problem taken(const db_error& e) {
  std::string what = e.what();
  if (what.find("users.email") != std::string::npos)
    return problem::conflict("Email already exists");
  if (what.find("users.username") != std::string::npos)
    return problem::conflict("Username already exists");
  return problem::conflict("Duplicate value violates a unique constraint");
}

void insert_member(connection& db, std::int64_t chat_id, const std::string& uid, bool admin,
                   time_point now) {
  db.cached("INSERT INTO room_members(chat_id, user_id, admin, joined_at) VALUES (?, ?, ?, ?)")
      .bind(1, chat_id)
      .bind(2, uid)
      .bind(3, admin)
      .bind(4, core::epoch_ms(now))
      .run();
}

}  // namespace

class sqlite_store::read_lease {
 public:
  read_lease(sqlite_store& s, std::unique_ptr<connection> c) : store_(s), conn_(std::move(c)) {}
  read_lease(read_lease&&) = default;
  ~read_lease() {
    if (!conn_) return;
    conn_->reset_statements();  // so the next lease sees every commit made since
    std::lock_guard lock(store_.pool_mutex_);
    store_.idle_readers_.push_back(std::move(conn_));
  }
  connection& operator*() { return *conn_; }
  connection* operator->() { return conn_.get(); }

 private:
  sqlite_store& store_;
  std::unique_ptr<connection> conn_;
};

sqlite_store::sqlite_store(options opt, const core::clock& clock)
    : opt_(std::move(opt)), clock_(clock), retries_(opt_.retry_window) {
  writer_db_ = std::make_unique<connection>(opt_.file.string(), opt_.full_sync);
  auto& db = *writer_db_;
  // The writer's pages stay cached between batches (64 MiB instead of SQLite's 2 MiB): re-reading
  // index pages from the OS was a measurable share of its time.
  db.exec("PRAGMA cache_size = -65536");
  // Checkpoints run on the checkpointer thread, not inline in the writer's commits.
  db.exec("PRAGMA wal_autocheckpoint = 0");
  if (sqlite3_create_function_v2(db.raw(), "parley_client_key", 2,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, client_key_sql,
                                 nullptr, nullptr, nullptr) != SQLITE_OK)
    throw std::runtime_error("sqlite: cannot register parley_client_key");
  auto& v = db.cached("PRAGMA user_version");
  v.step();
  auto version = static_cast<std::size_t>(v.int64(0));
  v.reset();
  constexpr std::size_t latest = std::size(migrations);
  if (version > latest)
    throw std::runtime_error("database schema version " + std::to_string(version) +
                             " is newer than this parley (" + std::to_string(latest) + ")");
  for (; version < latest; ++version) {
    db.exec("BEGIN IMMEDIATE");
    db.exec(migrations[version]);
    db.exec(("PRAGMA user_version = " + std::to_string(version + 1)).c_str());
    db.exec("COMMIT");
    spdlog::info("sqlite: migrated schema to version {}", version + 1);
  }
  // Ids must keep increasing across restarts, even if the clock now reads earlier than the newest
  // stored id (clock step, fast restart within the same millisecond).
  auto& newest = db.cached("SELECT max(message_id) FROM messages");
  if (newest.step() && !newest.is_null(0)) ulids_.resume_after(newest.text(0));
  newest.reset();
  // The retry window as it was: the newest sends with a client id, oldest first.
  auto& recent = db.cached(
      "SELECT row_id, client_key FROM (SELECT row_id, client_key FROM messages "
      "WHERE client_key IS NOT NULL ORDER BY row_id DESC LIMIT ?) ORDER BY row_id");
  recent.bind(1, static_cast<std::int64_t>(retries_.capacity()));
  while (recent.step()) retries_.insert(recent.int64(1), recent.int64(0));
  recent.reset();
  sqlite3_wal_hook(db.raw(), &sqlite_store::on_wal_commit, this);
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
  callbacks_ = std::thread([this] { callback_loop(); });
  writer_ = std::thread([this] { writer_loop(); });
}

sqlite_store::~sqlite_store() { close(); }

void sqlite_store::close() {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();  // drains the queue, then ends the callback thread
  if (callbacks_.joinable()) callbacks_.join();
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpointer_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

sqlite_store::read_lease sqlite_store::read() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_readers_.empty()) {
      auto c = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return read_lease(*this, std::move(c));
    }
  }
  return read_lease(*this, std::make_unique<connection>(opt_.file.string(), opt_.full_sync));
}

void sqlite_store::submit(job_ptr j) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(j));
      j = nullptr;
    }
  }
  if (!j) return queue_cv_.notify_one();
  j->fail(problem::internal("Store is shutting down"));
  j->finish();
}

std::optional<std::int64_t> sqlite_store::next_seq(connection& db, std::int64_t chat_id,
                                                   std::int64_t now_ms) {
  auto it = room_seqs_.find(chat_id);
  if (it == room_seqs_.end()) {
    auto& s = db.cached("SELECT last_seq FROM rooms WHERE chat_id = ?");
    s.bind(1, chat_id);
    if (!s.step()) return std::nullopt;
    it = room_seqs_.emplace(chat_id, room_seq{s.int64(0), now_ms}).first;
    s.reset();
  }
  it->second.last_activity_ms = now_ms;
  return ++it->second.last_seq;
}

void sqlite_store::flush_room_seqs(connection& db) {
  if (room_seqs_.empty()) return;
  auto& s = db.cached("UPDATE rooms SET last_seq = ?, last_activity = ? WHERE chat_id = ?");
  for (auto& [chat_id, r] : room_seqs_) {
    s.reset();
    s.bind(1, r.last_seq).bind(2, r.last_activity_ms).bind(3, chat_id).run();
  }
  room_seqs_.clear();
}

bool sqlite_store::commit_batch(connection& db, batch& jobs) {
  auto retries_mark = retries_.newest_row();
  try {
    db.cached("BEGIN IMMEDIATE").run();
    for (auto& j : jobs) {
      if (j->reads_rooms) flush_room_seqs(db);
      j->run(db);
    }
    flush_room_seqs(db);
    db.reset_statements();
    db.cached("COMMIT").run();
    return true;
  } catch (const std::exception& e) {
    room_seqs_.clear();
    retries_.forget_after(retries_mark);
    db.reset_statements();
    spdlog::error("sqlite: batch of {} rolled back: {}", jobs.size(), e.what());
    try {
      db.exec("ROLLBACK");
    } catch (const std::exception&) {
    }
    return false;
  }
}

void sqlite_store::writer_loop() {
  pthread_setname_np(pthread_self(), "parley-writer");  // for top -H, perf and /proc
  auto& db = *writer_db_;
  auto& metrics = obs::global();
  for (;;) {
    batch jobs;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      while (!queue_.empty() && jobs.size() < opt_.max_batch) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!commit_batch(db, jobs)) {
      // Find the failing job: each alone in its own transaction, so the others still commit.
      for (auto& j : jobs) {
        batch one;
        one.push_back(std::move(j));
        if (jobs.size() == 1 || !commit_batch(db, one))
          one.front()->fail(problem::internal("Storage unavailable"));
        j = std::move(one.front());
      }
    }
    metrics.store_commits.fetch_add(1, std::memory_order_relaxed);
    metrics.store_jobs.fetch_add(jobs.size(), std::memory_order_relaxed);
    {
      std::lock_guard lock(done_mutex_);
      done_.push_back(std::move(jobs));
    }
    done_cv_.notify_one();
  }
  {
    std::lock_guard lock(done_mutex_);
    writer_finished_ = true;
  }
  done_cv_.notify_one();
}

void sqlite_store::callback_loop() {
  pthread_setname_np(pthread_self(), "parley-commits");
  for (;;) {
    batch jobs;
    {
      std::unique_lock lock(done_mutex_);
      done_cv_.wait(lock, [&] { return writer_finished_ || !done_.empty(); });
      if (done_.empty()) return;  // the writer is done and so are we
      jobs = std::move(done_.front());
      done_.pop_front();
    }
    if (opt_.on_callbacks_begin) opt_.on_callbacks_begin();
    for (auto& j : jobs) {
      try {
        j->finish();
      } catch (const std::exception& e) {
        spdlog::error("sqlite: a write callback threw: {}", e.what());
      }
    }
    if (opt_.on_callbacks_end) opt_.on_callbacks_end();
  }
}

int sqlite_store::on_wal_commit(void* self, ::sqlite3*, const char*, int pages) {
  auto* me = static_cast<sqlite_store*>(self);
  if (pages >= me->opt_.checkpoint_pages) {
    {
      std::lock_guard lock(me->checkpoint_mutex_);
      me->checkpoint_wanted_ = true;
    }
    me->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void sqlite_store::checkpoint_loop() {
  pthread_setname_np(pthread_self(), "parley-ckpt");
  std::unique_ptr<connection> db;
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mutex_);
      checkpoint_cv_.wait(lock, [&] { return checkpointer_stopping_ || checkpoint_wanted_; });
      if (checkpointer_stopping_) return;
      checkpoint_wanted_ = false;
    }
    try {
      if (!db) db = std::make_unique<connection>(opt_.file.string(), opt_.full_sync);
      // PASSIVE: copies what no reader still needs, never blocks the writer or readers.
      int rc = sqlite3_wal_checkpoint_v2(db->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                         nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        spdlog::warn("sqlite: checkpoint failed: {}", sqlite3_errstr(rc));
    } catch (const std::exception& e) {
      spdlog::warn("sqlite: checkpoint failed: {}", e.what());
    }
  }
}

template <class T, class F>
class sqlite_store::typed_job final : public sqlite_store::job {
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

template <class T, class F>
void sqlite_store::submit_async(callback<T> done, F&& body, bool reads_rooms) {
  auto j = std::make_unique<typed_job<T, std::decay_t<F>>>(std::forward<F>(body), std::move(done));
  j->reads_rooms = reads_rooms;
  submit(std::move(j));
}

template <class T, class F>
outcome<T> sqlite_store::write_sync(F&& f) {
  std::promise<outcome<T>> p;
  auto fut = p.get_future();
  submit_async<T>([&p](outcome<T> r) { p.set_value(std::move(r)); }, std::forward<F>(f));
  return fut.get();
}

// ---- users -------------------------------------------------------------------------------

outcome<user> sqlite_store::create_user(const user& u) {
  auto now = clock_.now();
  return write_sync<user>([u, now](connection& db) -> outcome<user> {
    try {
      db.cached(sql({"INSERT INTO users(", user_cols, ", created_at) VALUES (?,?,?,?,?,?,?,?)"}))
          .bind(1, u.user_id)
          .bind(2, u.username)
          .bind(3, u.email)
          .bind(4, u.full_name)
          .bind(5, u.password_hash)
          .bind(6, u.avatar)
          .bind(7, u.bio)
          .bind(8, core::epoch_ms(now))
          .run();
    } catch (const db_error& e) {
      if (e.is_constraint()) return taken(e);
      throw;
    }
    return u;
  });
}

std::optional<user> sqlite_store::user_by_id(const std::string& id) {
  auto db = read();
  return find_user(*db, "user_id", id);
}

std::optional<user> sqlite_store::user_by_username(const std::string& username) {
  auto db = read();
  return find_user(*db, "username", username);
}

outcome<user> sqlite_store::update_user(const std::string& id, const user_patch& p) {
  return write_sync<user>([id, p](connection& db) -> outcome<user> {
    try {
      db.cached(
            "UPDATE users SET email = coalesce(?, email), full_name = coalesce(?, full_name), "
            "avatar = coalesce(?, avatar), bio = coalesce(?, bio) WHERE user_id = ?")
          .bind(1, p.email)
          .bind(2, p.full_name)
          .bind(3, p.avatar)
          .bind(4, p.bio)
          .bind(5, id)
          .run();
    } catch (const db_error& e) {
      if (e.is_constraint()) return taken(e);
      throw;
    }
    auto u = find_user(db, "user_id", id);
    if (!u) return problem::not_found("User not found");
    return *u;
  });
}

page<user> sqlite_store::search_users(const std::string& q, const std::string& exclude_id, int pg,
                                      int size) {
  auto db = read();
  // SQLite's lower() folds ASCII only; names are matched case-insensitively in ASCII.
  constexpr const char* where =
      " FROM users WHERE user_id <> ?1 AND (instr(lower(username), lower(?2)) > 0 OR "
      "instr(lower(full_name), lower(?2)) > 0)";
  page<user> out;
  out.number = pg;
  out.size = size;
  auto& c = db->cached(sql({"SELECT count(*)", where}));
  c.bind(1, exclude_id).bind(2, q);
  c.step();
  out.total_elements = c.int64(0);
  auto& s = db->cached(sql({"SELECT ", user_cols, where, " ORDER BY username LIMIT ?3 OFFSET ?4"}));
  s.bind(1, exclude_id).bind(2, q).bind(3, size).bind(4, static_cast<std::int64_t>(pg) * size);
  while (s.step()) out.content.push_back(read_user(s));
  return out;
}

std::vector<std::string> sqlite_store::all_usernames() {
  auto db = read();
  std::vector<std::string> out;
  auto& s = db->cached("SELECT username FROM users");
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void sqlite_store::set_last_seen(const std::string& user_id, time_point t) {
  write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("UPDATE users SET last_seen = ? WHERE user_id = ?")
        .bind(1, core::epoch_ms(t))
        .bind(2, user_id)
        .run();
    return true;
  });
}

std::vector<presence_row> sqlite_store::last_seen(const std::vector<std::string>& ids) {
  auto db = read();
  std::vector<presence_row> out;
  auto& s = db->cached("SELECT last_seen FROM users WHERE user_id = ?");
  for (auto& id : ids) {
    s.reset();
    s.bind(1, id);
    presence_row row{id, std::nullopt};
    if (s.step() && !s.is_null(0)) row.last_seen = core::from_epoch_ms(s.int64(0));
    out.push_back(std::move(row));
  }
  return out;
}

// ---- refresh tokens ----------------------------------------------------------------------

void sqlite_store::insert_refresh(const std::string& token_hash, const std::string& family_id,
                                  const std::string& user_id, time_point expires_at) {
  auto r = write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached(
          "INSERT INTO refresh_tokens(token_hash, family_id, user_id, expires_at) VALUES (?,?,?,?)")
        .bind(1, token_hash)
        .bind(2, family_id)
        .bind(3, user_id)
        .bind(4, core::epoch_ms(expires_at))
        .run();
    return true;
  });
  if (!r) throw std::runtime_error(r.error().message);
}

outcome<refresh_grant> sqlite_store::rotate_refresh(const std::string& old_hash,
                                                    const std::string& new_hash,
                                                    time_point new_expires_at, time_point now) {
  return write_sync<refresh_grant>([=](connection& db) -> outcome<refresh_grant> {
    auto& s = db.cached(
        "SELECT family_id, user_id, expires_at, used, revoked FROM refresh_tokens "
        "WHERE token_hash = ?");
    s.bind(1, old_hash);
    if (!s.step()) return problem::unauthorized("Invalid refresh token");
    refresh_grant g{s.text(1), s.text(0)};
    auto expires = s.int64(2);
    bool used = s.int64(3) != 0, revoked = s.int64(4) != 0;
    s.reset();
    if (used || revoked) {
      // Reuse of a rotated token: someone holds a copy. Revoke the whole family (the device's
      // session), so neither the thief nor the victim can continue without logging in again.
      db.cached("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?")
          .bind(1, g.family_id)
          .run();
      return problem::unauthorized("Refresh token reuse detected; session revoked");
    }
    if (expires <= core::epoch_ms(now)) return problem::unauthorized("Refresh token expired");
    db.cached("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?").bind(1, old_hash).run();
    db.cached(
          "INSERT INTO refresh_tokens(token_hash, family_id, user_id, expires_at) VALUES (?,?,?,?)")
        .bind(1, new_hash)
        .bind(2, g.family_id)
        .bind(3, g.user_id)
        .bind(4, core::epoch_ms(new_expires_at))
        .run();
    return g;
  });
}

void sqlite_store::revoke_family(const std::string& token_hash) {
  write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached(
          "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = "
          "(SELECT family_id FROM refresh_tokens WHERE token_hash = ?)")
        .bind(1, token_hash)
        .run();
    return true;
  });
}

// ---- rooms -------------------------------------------------------------------------------

outcome<room> sqlite_store::create_room(const room& r, const std::string& creator,
                                        const std::vector<std::string>& other_members) {
  auto now = clock_.now();
  return write_sync<room>([=](connection& db) -> outcome<room> {
    for (auto& uid : other_members)
      if (!find_user(db, "user_id", uid))
        return problem::not_found("User not found with ID: " + uid);
    db.cached(
          "INSERT INTO rooms(name, type, description, icon, created_at, last_activity) "
          "VALUES (?,?,?,?,?,?)")
        .bind(1, r.name)
        .bind(2, to_string(r.type))
        .bind(3, r.description)
        .bind(4, r.icon)
        .bind(5, core::epoch_ms(now))
        .bind(6, core::epoch_ms(now))
        .run();
    room out = r;
    out.chat_id = db.last_insert_rowid();
    out.created_at = core::from_epoch_ms(core::epoch_ms(now));
    out.last_seq = 0;
    insert_member(db, out.chat_id, creator, true, now);
    for (auto& uid : other_members)
      if (uid != creator && !find_member(db, out.chat_id, uid))
        insert_member(db, out.chat_id, uid, false, now);
    return out;
  });
}

outcome<std::pair<room, bool>> sqlite_store::find_or_create_dm(const std::string& a,
                                                               const std::string& b) {
  auto now = clock_.now();
  std::string key = a < b ? a + "|" + b : b + "|" + a;
  return write_sync<std::pair<room, bool>>([=](connection& db) -> outcome<std::pair<room, bool>> {
    auto& s = db.cached(sql({"SELECT ", room_cols, " FROM rooms WHERE dm_key = ?"}));
    s.bind(1, key);
    if (s.step()) return std::pair{read_room(s), false};
    if (!find_user(db, "user_id", b)) return problem::not_found("User not found with ID: " + b);
    db.cached(
          "INSERT INTO rooms(name, type, created_at, last_activity, dm_key) "
          "VALUES ('DM', 'DIRECT_MESSAGE', ?, ?, ?)")
        .bind(1, core::epoch_ms(now))
        .bind(2, core::epoch_ms(now))
        .bind(3, key)
        .run();
    auto id = db.last_insert_rowid();
    insert_member(db, id, a, false, now);
    insert_member(db, id, b, false, now);
    return std::pair{*find_room(db, id), true};
  });
}

std::optional<room> sqlite_store::room_by_id(std::int64_t chat_id) {
  auto db = read();
  return find_room(*db, chat_id);
}

outcome<room> sqlite_store::update_room(std::int64_t chat_id, const room_patch& p) {
  return write_sync<room>([=](connection& db) -> outcome<room> {
    std::optional<std::string> type;
    if (p.type) type = to_string(*p.type);
    db.cached(
          "UPDATE rooms SET name = coalesce(?, name), description = coalesce(?, description), "
          "icon = coalesce(?, icon), type = coalesce(?, type) WHERE chat_id = ?")
        .bind(1, p.name)
        .bind(2, p.description)
        .bind(3, p.icon)
        .bind(4, type)
        .bind(5, chat_id)
        .run();
    auto r = find_room(db, chat_id);
    if (!r) return problem::not_found("Chat room not found");
    return *r;
  });
}

void sqlite_store::delete_room(std::int64_t chat_id) {
  write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("DELETE FROM rooms WHERE chat_id = ?").bind(1, chat_id).run();
    return true;
  });
}

std::optional<member> sqlite_store::membership(std::int64_t chat_id, const std::string& user_id) {
  auto db = read();
  return find_member(*db, chat_id, user_id);
}

std::vector<member> sqlite_store::members(std::int64_t chat_id) {
  auto db = read();
  auto& s = db->cached(sql({"SELECT m.admin, m.last_read_message_id, ",
                            "u.user_id, u.username, u.email, u.full_name, '', u.avatar, u.bio "
                            "FROM room_members m JOIN users u ON u.user_id = m.user_id "
                            "WHERE m.chat_id = ? ORDER BY m.joined_at, u.username"}));
  s.bind(1, chat_id);
  std::vector<member> out;
  while (s.step()) {
    member m;
    m.chat_id = chat_id;
    m.admin = s.int64(0) != 0;
    m.last_read_message_id = s.opt_text(1);
    m.profile = read_user(s, 2);
    m.user_id = m.profile.user_id;
    out.push_back(std::move(m));
  }
  return out;
}

page<room_summary> sqlite_store::rooms_of(const std::string& user_id, int pg, int size) {
  auto db = read();
  page<room_summary> out;
  out.number = pg;
  out.size = size;
  out.total_elements = room_count_of(user_id);
  auto& s = db->cached(
      "SELECT r.chat_id, r.name, r.type, r.description, r.icon, r.created_at, r.last_seq, "
      "m.last_read_seq FROM room_members m JOIN rooms r ON r.chat_id = m.chat_id "
      "WHERE m.user_id = ? ORDER BY r.last_activity DESC, r.chat_id DESC LIMIT ? OFFSET ?");
  s.bind(1, user_id).bind(2, size).bind(3, static_cast<std::int64_t>(pg) * size);
  std::vector<std::pair<room, std::int64_t>> rows;
  while (s.step()) rows.emplace_back(read_room(s), s.int64(7));
  auto& latest = db->cached(
      sql({"SELECT ", msg_cols, " FROM messages WHERE chat_id = ? ORDER BY seq DESC LIMIT 1"}));
  auto& unread =
      db->cached("SELECT count(*) FROM messages WHERE chat_id = ? AND seq > ? AND user_id <> ?");
  for (auto& [r, read_seq] : rows) {
    room_summary sum;
    sum.info = r;
    latest.reset();
    latest.bind(1, r.chat_id);
    if (latest.step()) sum.latest = read_message(latest);
    unread.reset();
    unread.bind(1, r.chat_id).bind(2, read_seq).bind(3, user_id);
    unread.step();
    sum.unread_count = unread.int64(0);
    out.content.push_back(std::move(sum));
  }
  return out;
}

std::int64_t sqlite_store::room_count_of(const std::string& user_id) {
  auto db = read();
  auto& s = db->cached("SELECT count(*) FROM room_members WHERE user_id = ?");
  s.bind(1, user_id);
  s.step();
  return s.int64(0);
}

outcome<member> sqlite_store::add_member(std::int64_t chat_id, const std::string& user_id,
                                         bool admin) {
  auto now = clock_.now();
  return write_sync<member>([=](connection& db) -> outcome<member> {
    if (!find_room(db, chat_id)) return problem::not_found("Chat room not found");
    if (!find_user(db, "user_id", user_id)) return problem::not_found("User not found");
    if (find_member(db, chat_id, user_id)) return problem::conflict("User already a member.");
    insert_member(db, chat_id, user_id, admin, now);
    return *find_member(db, chat_id, user_id);
  });
}

bool sqlite_store::remove_member(std::int64_t chat_id, const std::string& user_id) {
  auto r = write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("DELETE FROM room_members WHERE chat_id = ? AND user_id = ?")
        .bind(1, chat_id)
        .bind(2, user_id)
        .run();
    return db.changes() > 0;
  });
  return r && *r;
}

bool sqlite_store::set_admin(std::int64_t chat_id, const std::string& user_id, bool admin) {
  auto r = write_sync<bool>([=](connection& db) -> outcome<bool> {
    db.cached("UPDATE room_members SET admin = ? WHERE chat_id = ? AND user_id = ?")
        .bind(1, admin)
        .bind(2, chat_id)
        .bind(3, user_id)
        .run();
    return db.changes() > 0;
  });
  return r && *r;
}

std::vector<std::string> sqlite_store::co_members(const std::string& user_id) {
  auto db = read();
  auto& s = db->cached(
      "SELECT DISTINCT o.user_id FROM room_members m JOIN room_members o ON o.chat_id = m.chat_id "
      "WHERE m.user_id = ?1 AND o.user_id <> ?1");
  s.bind(1, user_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

// ---- messages ----------------------------------------------------------------------------

void sqlite_store::append(new_message m, callback<appended> done) {
  static const std::string by_row = sql({"SELECT ", msg_cols, " FROM messages WHERE row_id = ?"});
  static const std::string insert =
      sql({"INSERT INTO messages(", msg_cols, ", client_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)"});
  submit_async<appended>(
      std::move(done),
      [this, m = std::move(m)](connection& db) -> outcome<appended> {
        if (!find_member(db, m.chat_id, m.user_id)) return appended{append_verdict::not_a_member, {}};
        std::optional<std::int64_t> key;
        if (m.client_message_id) {
          key = client_key(m.user_id, *m.client_message_id);
          if (auto row = retries_.find(*key)) {
            auto& s = db.cached(by_row);
            s.bind(1, *row);
            // The key is a hash: the stored ids decide.
            if (s.step()) {
              auto original = read_message(s);
              if (original.user_id == m.user_id && original.client_message_id == m.client_message_id)
                return appended{append_verdict::duplicate, std::move(original)};
            }
          }
        }
        auto now = clock_.now();
        auto now_ms = core::epoch_ms(now);
        auto seq = next_seq(db, m.chat_id, now_ms);
        if (!seq) return appended{append_verdict::not_a_member, {}};  // the room is gone
        message msg;
        msg.chat_id = m.chat_id;
        msg.seq = *seq;
        msg.user_id = m.user_id;
        msg.content = m.content;
        msg.type = m.type;
        msg.status = message_status::sent;
        msg.timestamp = core::from_epoch_ms(now_ms);
        msg.client_message_id = m.client_message_id;
        msg.message_id = ulids_.next(now);
        auto& ins = db.cached(insert);
        ins.bind(1, msg.message_id)
            .bind(2, msg.chat_id)
            .bind(3, msg.seq)
            .bind(4, msg.user_id)
            .bind(5, msg.content)
            .bind(6, to_string(msg.type))
            .bind(7, static_cast<std::int64_t>(msg.status))
            .bind(8, now_ms)
            .bind(9, false)
            .bind(10, msg.client_message_id);
        if (key)
          ins.bind(11, *key);
        else
          ins.bind_null(11);
        ins.run();
        if (key) retries_.insert(*key, db.last_insert_rowid());
        return appended{append_verdict::appended, std::move(msg)};
      },
      /*reads_rooms=*/false);
}

void sqlite_store::set_status_if_forward(std::int64_t chat_id, const std::string& message_id,
                                         const std::string& user_id, message_status s,
                                         callback<status_change> done) {
  submit_async<status_change>(std::move(done), [=](connection& db) -> outcome<status_change> {
    if (!find_member(db, chat_id, user_id)) return status_change{status_verdict::not_a_member, {}};
    auto msg = find_message(db, message_id);
    if (!msg || msg->chat_id != chat_id) return status_change{status_verdict::no_such_message, {}};
    if (msg->user_id == user_id) return status_change{status_verdict::not_a_recipient, *msg};
    if (s <= msg->status) return status_change{status_verdict::unchanged, *msg};
    db.cached("UPDATE messages SET status = ? WHERE message_id = ?")
        .bind(1, static_cast<std::int64_t>(s))
        .bind(2, message_id)
        .run();
    msg->status = s;
    return status_change{status_verdict::changed, *msg};
  }, /*reads_rooms=*/false);
}

void sqlite_store::advance_read_marker(std::int64_t chat_id, const std::string& user_id,
                                       const std::string& message_id,
                                       callback<read_change> done) {
  submit_async<read_change>(std::move(done), [=](connection& db) -> outcome<read_change> {
    auto& s = db.cached(
        "SELECT last_read_message_id, last_read_seq FROM room_members "
        "WHERE chat_id = ? AND user_id = ?");
    s.bind(1, chat_id).bind(2, user_id);
    if (!s.step()) return read_change{read_verdict::not_a_member, {}};
    auto current = s.opt_text(0);
    auto current_seq = s.int64(1);
    s.reset();
    auto msg = find_message(db, message_id);
    if (!msg || msg->chat_id != chat_id) return read_change{read_verdict::no_such_message, {}};
    if (msg->seq <= current_seq) return read_change{read_verdict::unchanged, current.value_or("")};
    db.cached(
          "UPDATE room_members SET last_read_message_id = ?, last_read_seq = ? "
          "WHERE chat_id = ? AND user_id = ?")
        .bind(1, message_id)
        .bind(2, msg->seq)
        .bind(3, chat_id)
        .bind(4, user_id)
        .run();
    return read_change{read_verdict::advanced, message_id};
  }, /*reads_rooms=*/false);
}

page<message> sqlite_store::history_page(std::int64_t chat_id, int pg, int size) {
  auto db = read();
  page<message> out;
  out.number = pg;
  out.size = size;
  auto& c = db->cached("SELECT count(*) FROM messages WHERE chat_id = ?");
  c.bind(1, chat_id);
  c.step();
  out.total_elements = c.int64(0);
  auto& s =
      db->cached(sql({"SELECT ", msg_cols,
                      " FROM messages WHERE chat_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?"}));
  s.bind(1, chat_id).bind(2, size).bind(3, static_cast<std::int64_t>(pg) * size);
  while (s.step()) out.content.push_back(read_message(s));
  return out;
}

namespace {
outcome<std::int64_t> cursor_seq(connection& db, std::int64_t chat_id, const std::string& id) {
  auto& s = db.cached("SELECT chat_id, seq FROM messages WHERE message_id = ?");
  s.bind(1, id);
  if (!s.step() || s.int64(0) != chat_id)
    return problem::bad_request("Unknown cursor: not a message of this room");
  return s.int64(1);
}
}  // namespace

outcome<slice> sqlite_store::history_after(std::int64_t chat_id, const std::string& after_id,
                                           int limit) {
  auto db = read();
  auto from = cursor_seq(*db, chat_id, after_id);
  if (!from) return from.error();
  auto& s = db->cached(sql(
      {"SELECT ", msg_cols, " FROM messages WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?"}));
  s.bind(1, chat_id).bind(2, *from).bind(3, limit + 1);
  slice out;
  while (s.step()) out.content.push_back(read_message(s));
  if (out.content.size() > static_cast<std::size_t>(limit)) {
    out.content.pop_back();
    out.has_more = true;
  }
  return out;
}

outcome<slice> sqlite_store::history_before(std::int64_t chat_id, const std::string& before_id,
                                            int limit) {
  auto db = read();
  auto to = cursor_seq(*db, chat_id, before_id);
  if (!to) return to.error();
  auto& s = db->cached(sql({"SELECT ", msg_cols,
                            " FROM messages WHERE chat_id = ? AND seq < ? ORDER BY seq DESC "
                            "LIMIT ?"}));
  s.bind(1, chat_id).bind(2, *to).bind(3, limit + 1);
  slice out;
  while (s.step()) out.content.push_back(read_message(s));
  if (out.content.size() > static_cast<std::size_t>(limit)) {
    out.content.pop_back();
    out.has_more = true;
  }
  std::reverse(out.content.begin(), out.content.end());
  return out;
}

std::optional<message> sqlite_store::message_by_id(const std::string& message_id) {
  auto db = read();
  return find_message(*db, message_id);
}

}  // namespace parley::store::sqlite
