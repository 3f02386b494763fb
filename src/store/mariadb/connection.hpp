#pragma once
// Thin RAII layer over MariaDB Connector/C: a connection (MYSQL*) and its prepared statements
// (MYSQL_STMT*) with typed parameters and columns. Every value travels as a bound parameter, never
// spliced into SQL. Errors throw `db_error`; one that means the connection is gone (server killed,
// network cut) also marks the connection broken, so its owner discards it instead of reusing it.
//
// Results are always buffered client-side (mysql_stmt_store_result): several statements of one
// connection can then be read interleaved, and a half-read result never holds the connection.
#include "store/mariadb/dsn.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

struct st_mysql;
struct st_mysql_stmt;

namespace parley::store::mariadb {

struct db_error : std::runtime_error {
  db_error(unsigned code, const std::string& what) : std::runtime_error(what), code(code) {}
  unsigned code;  // the server's or the client library's error number
  // The connection is unusable (or could not be opened): the server is down or unreachable.
  bool connection_lost() const;
  // A deadlock or lock wait timeout: the transaction was (or must be) rolled back; a retry may
  // work.
  bool transient() const;
  bool duplicate_key() const;
  bool unknown_database() const;
};

class connection;

class statement {
 public:
  statement(connection& owner, st_mysql_stmt* s, std::string_view sql);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  // Binds `args` to the ?s in order, executes and buffers the result. Strings are not copied: they
  // only have to live through the call.
  template <class... Args>
  statement& execute(const Args&... args) {
    expect_params(sizeof...(Args));
    std::size_t i = 0;
    (param(i++, args), ...);
    run();
    return *this;
  }

  // The same for a list of values whose length is known only at run time (statements whose SQL
  // repeats a group of ?s: multi-row INSERT, IN lists).
  using value = std::variant<std::nullopt_t, std::int64_t, std::string_view>;
  statement& execute_values(const std::vector<value>& values);

  // Moves to the next row of the result; false when there is none left.
  bool fetch();
  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const;
  bool is_null(int col) const;

  // Rows matched (CLIENT_FOUND_ROWS) by the last UPDATE/DELETE, or inserted by an INSERT.
  std::uint64_t affected_rows() const;
  std::uint64_t insert_id() const;

 private:
  void param(std::size_t i, std::int64_t v);
  void param(std::size_t i, int v) { param(i, static_cast<std::int64_t>(v)); }
  void param(std::size_t i, bool v) { param(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  void param(std::size_t i, std::string_view v);
  void param(std::size_t i, const std::string& v) { param(i, std::string_view(v)); }
  void param(std::size_t i, const char* v) { param(i, std::string_view(v)); }
  void param(std::size_t i, std::nullopt_t);
  void param(std::size_t i, const std::optional<std::string>& v) {
    v ? param(i, std::string_view(*v)) : param(i, std::nullopt);
  }
  void expect_params(std::size_t n) const;
  void run();
  [[noreturn]] void fail(const char* what) const;

  connection& owner_;
  st_mysql_stmt* stmt_;
  std::string_view sql_;  // the cache's key: for error messages (SQL never holds user data)
  struct buffers;  // MYSQL_BIND arrays and their storage; keeps <mysql.h> out of this header
  std::unique_ptr<buffers> b_;
};

class connection {
 public:
  // Connects to `where` (to its database unless `use_database` is false), with utf8mb4, READ
  // COMMITTED and strict SQL mode. Throws db_error; connection_lost() when the server cannot be
  // reached. The message names host, port and database, never the password.
  connection(const dsn_parts& where, std::chrono::milliseconds connect_timeout,
             bool use_database = true);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // Runs SQL that takes no values (DDL, transaction control). Never for user data.
  void exec(std::string_view sql);
  // A prepared statement kept for the connection's life, ready to execute.
  statement& cached(std::string_view sql);

  void begin() { exec("START TRANSACTION"); }
  void commit() { exec("COMMIT"); }
  // Best effort: a broken connection has already lost its transaction on the server.
  void rollback() noexcept;

  // A round trip to tell whether a connection idle for a while still works.
  bool alive();
  bool broken() const { return broken_; }
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }

 private:
  friend class statement;
  [[noreturn]] void fail(unsigned code, const std::string& what);
  void touch() { last_used_ = std::chrono::steady_clock::now(); }

  struct closer {
    void operator()(st_mysql* m) const noexcept;
  };
  std::unique_ptr<st_mysql, closer> m_;
  std::string where_;  // "host:port/database", for error messages
  bool broken_ = false;
  std::chrono::steady_clock::time_point last_used_;
  struct sql_hash {
    using is_transparent = void;  // find() by string_view: no string built per lookup
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Declared after m_, so destroyed before it: statements close while the connection is open.
  std::unordered_map<std::string, std::unique_ptr<statement>, sql_hash, std::equal_to<>> cache_;
};

// Runs a transaction on `db`: rolled back unless commit() is reached (an exception, or a refusal
// the caller decided not to commit).
class transaction {
 public:
  explicit transaction(connection& db) : db_(db) { db_.begin(); }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (!done_) db_.rollback();
  }
  void commit() {
    done_ = true;
    db_.commit();
  }

 private:
  connection& db_;
  bool done_ = false;
};

}  // namespace parley::store::mariadb
