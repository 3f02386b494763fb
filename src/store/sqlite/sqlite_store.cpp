// The adapter's lifecycle and its writes: the commit step the shared pipeline runs
// (store/commit_pipeline.hpp), and the checkpointer. The operations
// are in users.cpp (users, presence rows, refresh tokens), rooms.cpp and messages.cpp (the log and
// history); the schema in schema.cpp.
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/db.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/writer_jobs.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <pthread.h>

namespace parley::store::sqlite {

using core::problem;

sqlite_store::sqlite_store(options opt, const core::clock& clock)
    : opt_(std::move(opt)), clock_(clock), retries_(opt_.retry_window) {
  writer_db_ = std::make_unique<connection>(opt_.file.string(), opt_.full_sync);
  auto& db = *writer_db_;
  // The writer's pages stay cached between batches (64 MiB instead of SQLite's 2 MiB): re-reading
  // index pages from the OS was a measurable share of its time.
  db.exec("PRAGMA cache_size = -65536");
  // Checkpoints run on the checkpointer thread, not inline in the writer's commits.
  db.exec("PRAGMA wal_autocheckpoint = 0");
  migrate(db);
  // Ids must keep increasing across restarts, even if the clock now reads earlier than the newest
  // stored id (clock step, fast restart within the same millisecond).
  auto& newest = db.cached("SELECT max(message_id) FROM messages");
  if (newest.step() && !newest.is_null(0)) sequencer_.continue_after(newest.text(0));
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
  pipeline_ = std::make_unique<commit_pipeline>(
      opt_.max_batch, commit_pipeline::hooks{[this](batch& jobs) { commit_jobs(jobs); },
                                             opt_.on_callbacks_begin, opt_.on_callbacks_end});
}

sqlite_store::~sqlite_store() { close(); }

void sqlite_store::close() {
  if (pipeline_) pipeline_->close();  // every queued write committed and its caller told
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

void sqlite_store::submit(job_ptr j) { pipeline_->submit(std::move(j)); }

std::optional<message> sqlite_store::place(connection& db, const new_message& m) {
  if (!sequencer_.started(m.chat_id)) {
    auto& s = db.cached("SELECT last_seq FROM rooms WHERE chat_id = ?");
    s.bind(1, m.chat_id);
    if (!s.step()) return std::nullopt;
    // Ids need no per-room start: this writer is the file's only one and continues after the
    // newest stored id (the constructor).
    sequencer_.start(m.chat_id, s.int64(0));
    s.reset();
  }
  return sequencer_.place(m, clock_.now());
}

void sqlite_store::flush_room_seqs(connection& db) {
  if (sequencer_.idle()) return;  // most flushes: no statement lookup
  auto& s = db.cached("UPDATE rooms SET last_seq = ?, last_activity = ? WHERE chat_id = ?");
  sequencer_.settle([&](const chat::room_sequencer::moved& r) {
    s.reset();
    s.bind(1, r.last_seq).bind(2, r.last_activity_ms).bind(3, r.chat_id).run();
  });
}

bool sqlite_store::commit_batch(connection& db, batch& jobs) {
  auto retries_mark = retries_.newest_row();
  try {
    db.cached("BEGIN IMMEDIATE").run();
    for (auto& j : jobs) {
      auto& one = static_cast<job&>(*j);
      if (one.reads_rooms) flush_room_seqs(db);
      one.run(db);
    }
    flush_room_seqs(db);
    db.reset_statements();
    db.cached("COMMIT").run();
    return true;
  } catch (const std::exception& e) {
    sequencer_.abandon();
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

void sqlite_store::commit_jobs(batch& jobs) {
  if (commit_batch(*writer_db_, jobs)) return;
  // Find the failing job: each alone in its own transaction, so the others still commit.
  for (auto& j : jobs) {
    batch one;
    one.push_back(std::move(j));
    if (jobs.size() == 1 || !commit_batch(*writer_db_, one))
      one.front()->fail(problem::internal("Storage unavailable"));
    j = std::move(one.front());
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

}  // namespace parley::store::sqlite
