#include "store/sqlite/db.hpp"

#include <sqlite3.h>

namespace parley::store::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw db_error(rc, msg);
}
}  // namespace

bool db_error::is_constraint() const { return (code & 0xff) == SQLITE_CONSTRAINT; }

void connection::closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void statement::finalizer::operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }

connection::connection(const std::string& path, bool full_sync) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) fail(raw, rc, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  // Readers never wait for the writer in WAL mode; the timeout covers checkpoints and the rare
  // second writer (migrations at start).
  sqlite3_busy_timeout(raw, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA foreign_keys=ON");
  // FULL: a commit survives power loss, not just a process crash; group commit pays the fsync
  // once per batch, so durability costs latency, not throughput.
  exec(full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

connection::~connection() = default;

void connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw db_error(rc, std::string("exec: ") + msg);
  }
}

statement connection::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) fail(db_.get(), rc, "prepare");
  return statement(db_.get(), s);
}

statement& connection::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end())
    it = cache_.emplace(std::string(sql), std::make_unique<statement>(prepare(sql))).first;
  it->second->reset();
  return *it->second;
}

void connection::reset_statements() {
  for (sqlite3_stmt* s = nullptr; (s = sqlite3_next_stmt(db_.get(), s)) != nullptr;) sqlite3_reset(s);
}

std::int64_t connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
int connection::changes() const { return sqlite3_changes(db_.get()); }

statement& statement::bind(int i, std::int64_t v) {
  int rc = sqlite3_bind_int64(stmt_.get(), i, v);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

statement& statement::bind(int i, const std::optional<std::string>& v) {
  return v ? bind(i, std::string_view(*v)) : bind_null(i);
}

statement& statement::bind_null(int i) {
  int rc = sqlite3_bind_null(stmt_.get(), i);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

bool statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "step");
}

void statement::run() {
  while (step()) {
  }
}

void statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::int64_t statement::int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }

std::string statement::text(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
  int n = sqlite3_column_bytes(stmt_.get(), col);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::optional<std::string> statement::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::optional<std::int64_t> statement::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

bool statement::is_null(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

}  // namespace parley::store::sqlite
