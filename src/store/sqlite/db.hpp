#pragma once
// Thin RAII layer over the SQLite C API: a connection and prepared statements with typed
// bind/column helpers. Errors throw `db_error`: storage failures are infrastructure outages, caught
// at the job or request root, never caused by user input (inputs are always bound, never spliced).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace parley::store::sqlite {

struct db_error : std::runtime_error {
  db_error(int code, const std::string& what) : std::runtime_error(what), code(code) {}
  int code;
  bool is_constraint() const;
};

class statement;

class connection {
 public:
  // Opens (creating if needed) the database file with WAL, foreign keys and a busy timeout.
  connection(const std::string& path, bool full_sync);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  void exec(const char* sql);
  statement prepare(std::string_view sql);
  // A prepared statement kept for the connection's life, reset and ready to bind.
  statement& cached(std::string_view sql);
  // Resets every statement of this connection. A statement left mid-result keeps its read
  // transaction, and so an old snapshot, open: later reads would miss newer commits, the WAL could
  // not be checkpointed past it (it grows without bound), and a later BEGIN IMMEDIATE fails with
  // SQLITE_BUSY_SNAPSHOT once another connection has written.
  void reset_statements();
  std::int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* raw() const { return db_.get(); }

 private:
  struct closer {
    void operator()(sqlite3* db) const noexcept;
  };
  std::unique_ptr<sqlite3, closer> db_;
  struct sql_hash {
    using is_transparent = void;  // find() by string_view: no string built per lookup
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Destroyed before db_.
  std::unordered_map<std::string, std::unique_ptr<statement>, sql_hash, std::equal_to<>> cache_;
};

class statement {
 public:
  statement(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  statement(statement&&) noexcept = default;
  statement& operator=(statement&&) noexcept = default;

  // Binding, 1-based like SQLite. Returns *this for chaining.
  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  statement& bind(int i, std::string_view v);
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const std::optional<std::string>& v);
  statement& bind_null(int i);

  // Steps once; true when a row is available.
  bool step();
  // Steps to completion (for statements without rows).
  void run();
  void reset();

  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  bool is_null(int col) const;

 private:
  struct finalizer {
    void operator()(sqlite3_stmt* s) const noexcept;
  };
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

}  // namespace parley::store::sqlite
