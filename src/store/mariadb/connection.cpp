#include "store/mariadb/connection.hpp"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace parley::store::mariadb {

namespace {

// How long one read or write on the socket may block. Without it a cut network (no RST) hangs
// the writer forever; 60 s stays above InnoDB's default lock wait (50 s), so a long lock wait
// ends as ER_LOCK_WAIT_TIMEOUT, not as a dropped connection.
constexpr unsigned io_timeout_s = 60;

// Strict: a value that does not fit fails the statement instead of being silently truncated.
constexpr const char* session_setup =
    "SET collation_connection = 'utf8mb4_unicode_ci', "
    "sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'";
// Every transaction here relies on row locks (FOR UPDATE, LOCK IN SHARE MODE) and unique keys,
// not on a snapshot, so READ COMMITTED is enough; it also avoids the gap locks REPEATABLE READ
// takes on range scans, which would make concurrent writers (two nodes) deadlock more often.
constexpr const char* isolation = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

// Connector/C wants one library-wide initialization before threads open connections; ending it
// at exit frees its global state (leak checkers then see nothing of ours or its).
void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (mysql_library_init(0, nullptr, nullptr) != 0)
      throw std::runtime_error("mariadb: cannot initialize the client library");
    std::atexit([] { mysql_library_end(); });
  });
}

bool is_int(enum_field_types t) {
  switch (t) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
      return true;
    default:
      return false;
  }
}

bool is_connection_loss(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
    case ER_CONNECTION_KILLED:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool db_error::connection_lost() const { return is_connection_loss(code); }
bool db_error::transient() const {
  return code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT;
}
bool db_error::duplicate_key() const { return code == ER_DUP_ENTRY; }
bool db_error::unknown_database() const { return code == ER_BAD_DB_ERROR; }

// ---- statement ---------------------------------------------------------------------------

struct statement::buffers {
  std::vector<MYSQL_BIND> params;
  std::vector<std::int64_t> param_ints;  // what integer parameters point at
  std::vector<MYSQL_BIND> cols;
  std::vector<std::int64_t> col_ints;
  std::vector<unsigned long> col_lengths;
  std::vector<my_bool> col_nulls, col_errors;
  std::vector<bool> col_is_int;
  std::vector<std::string> col_texts;  // string columns of the current row
};

statement::statement(connection& owner, MYSQL_STMT* s, std::string_view sql)
    : owner_(owner), stmt_(s), sql_(sql), b_(std::make_unique<buffers>()) {
  auto& b = *b_;
  b.params.resize(mysql_stmt_param_count(s));
  b.param_ints.resize(b.params.size());
  auto n = mysql_stmt_field_count(s);
  b.cols.resize(n);
  b.col_ints.resize(n);
  b.col_lengths.resize(n);
  b.col_nulls.resize(n);
  b.col_errors.resize(n);
  b.col_is_int.resize(n);
  b.col_texts.resize(n);
  if (n == 0) return;
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> meta(mysql_stmt_result_metadata(s),
                                                                &mysql_free_result);
  if (!meta) fail("metadata");
  MYSQL_FIELD* fields = mysql_fetch_fields(meta.get());
  for (unsigned i = 0; i < n; ++i) {
    auto& c = b.cols[i];
    c = MYSQL_BIND{};
    c.length = &b.col_lengths[i];
    c.is_null = &b.col_nulls[i];
    c.error = &b.col_errors[i];
    b.col_is_int[i] = is_int(fields[i].type);
    if (b.col_is_int[i]) {
      c.buffer_type = MYSQL_TYPE_LONGLONG;
      c.buffer = &b.col_ints[i];
    } else {
      // No buffer: fetch() reports the length, then copies the value with fetch_column.
      c.buffer_type = MYSQL_TYPE_STRING;
    }
  }
}

statement::~statement() { mysql_stmt_close(stmt_); }

void statement::fail(const char* what) const {
  owner_.fail(mysql_stmt_errno(stmt_), std::string(what) + " of [" + std::string(sql_) +
                                           "]: " + mysql_stmt_error(stmt_));
}

void statement::expect_params(std::size_t n) const {
  if (n != b_->params.size())
    throw std::logic_error("mariadb: " + std::to_string(n) + " values for " +
                           std::to_string(b_->params.size()) + " parameters in [" +
                           std::string(sql_) + "]");
}

void statement::param(std::size_t i, std::int64_t v) {
  auto& p = b_->params[i];
  p = MYSQL_BIND{};
  b_->param_ints[i] = v;
  p.buffer_type = MYSQL_TYPE_LONGLONG;
  p.buffer = &b_->param_ints[i];
}

void statement::param(std::size_t i, std::string_view v) {
  static char empty[1] = {0};
  auto& p = b_->params[i];
  p = MYSQL_BIND{};
  p.buffer_type = MYSQL_TYPE_STRING;
  // The library only reads it; a null pointer would be taken for NULL.
  p.buffer = v.empty() ? empty : const_cast<char*>(v.data());
  p.buffer_length = static_cast<unsigned long>(v.size());
}

void statement::param(std::size_t i, std::nullopt_t) {
  auto& p = b_->params[i];
  p = MYSQL_BIND{};
  p.buffer_type = MYSQL_TYPE_NULL;
}

statement& statement::execute_values(const std::vector<value>& values) {
  expect_params(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    std::visit([&](const auto& v) { param(i, v); }, values[i]);
  run();
  return *this;
}

void statement::run() {
  mysql_stmt_free_result(stmt_);  // the previous execution's rows, if any
  if (!b_->params.empty() && mysql_stmt_bind_param(stmt_, b_->params.data())) fail("bind");
  if (mysql_stmt_execute(stmt_)) fail("execute");
  owner_.touch();
  if (b_->cols.empty()) return;
  if (mysql_stmt_bind_result(stmt_, b_->cols.data())) fail("bind result");
  if (mysql_stmt_store_result(stmt_)) fail("store result");
}

bool statement::fetch() {
  int rc = mysql_stmt_fetch(stmt_);
  if (rc == MYSQL_NO_DATA) return false;
  if (rc == 1) fail("fetch");
  // rc is 0 or MYSQL_DATA_TRUNCATED (string columns have no buffer): copy them out now.
  auto& b = *b_;
  for (unsigned i = 0; i < b.cols.size(); ++i) {
    if (b.col_is_int[i] || b.col_nulls[i]) continue;
    auto& t = b.col_texts[i];
    t.resize(b.col_lengths[i]);
    if (t.empty()) continue;
    MYSQL_BIND one{};
    unsigned long len = 0;
    one.buffer_type = MYSQL_TYPE_STRING;
    one.buffer = t.data();
    one.buffer_length = static_cast<unsigned long>(t.size());
    one.length = &len;
    if (mysql_stmt_fetch_column(stmt_, &one, i, 0)) fail("fetch column");
  }
  return true;
}

bool statement::is_null(int col) const { return b_->col_nulls[static_cast<std::size_t>(col)] != 0; }

std::int64_t statement::int64(int col) const {
  auto c = static_cast<std::size_t>(col);
  if (b_->col_is_int[c]) return b_->col_ints[c];
  // A number the server typed otherwise (e.g. DECIMAL): parse its text.
  std::int64_t v = 0;
  auto& t = b_->col_texts[c];
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::string statement::text(int col) const {
  auto c = static_cast<std::size_t>(col);
  if (b_->col_nulls[c]) return {};
  if (b_->col_is_int[c]) return std::to_string(b_->col_ints[c]);
  return b_->col_texts[c];
}

std::optional<std::string> statement::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::uint64_t statement::affected_rows() const { return mysql_stmt_affected_rows(stmt_); }
std::uint64_t statement::insert_id() const { return mysql_stmt_insert_id(stmt_); }

// ---- connection --------------------------------------------------------------------------

void connection::closer::operator()(MYSQL* m) const noexcept { mysql_close(m); }

connection::connection(const dsn_parts& where, std::chrono::milliseconds connect_timeout,
                       bool use_database)
    : where_(where.host + ":" + std::to_string(where.port) + "/" + where.database) {
  init_library();
  m_.reset(mysql_init(nullptr));
  if (!m_) throw std::bad_alloc();
  auto* m = m_.get();
  unsigned timeout_s =
      static_cast<unsigned>(std::max<std::int64_t>(1, (connect_timeout.count() + 999) / 1000));
  unsigned io = io_timeout_s;
  my_bool no = 0;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io);
  // Reconnecting silently would drop prepared statements and an open transaction; the owner
  // reopens a broken connection itself.
  mysql_options(m, MYSQL_OPT_RECONNECT, &no);
  // CLIENT_FOUND_ROWS: UPDATE reports the rows it matched, so "was there a member" does not
  // depend on whether the value changed.
  if (!mysql_real_connect(m, where.host.c_str(), where.user.c_str(), where.password.c_str(),
                          use_database ? where.database.c_str() : nullptr, where.port, nullptr,
                          CLIENT_FOUND_ROWS))
    fail(mysql_errno(m), std::string("cannot connect: ") + mysql_error(m));
  if (mysql_set_character_set(m, "utf8mb4"))
    fail(mysql_errno(m), std::string("cannot use utf8mb4: ") + mysql_error(m));
  exec(session_setup);
  exec(isolation);
}

connection::~connection() = default;

void connection::fail(unsigned code, const std::string& what) {
  db_error e(code, "mariadb " + where_ + ": " + what);
  if (e.connection_lost()) broken_ = true;
  throw e;
}

void connection::exec(std::string_view sql) {
  auto* m = m_.get();
  if (mysql_real_query(m, sql.data(), static_cast<unsigned long>(sql.size())))
    fail(mysql_errno(m), "[" + std::string(sql) + "]: " + mysql_error(m));
  touch();
  // Discard a result so the connection stays in sync (exec is not meant for queries).
  if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
}

statement& connection::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return *it->second;
  auto* m = m_.get();
  MYSQL_STMT* s = mysql_stmt_init(m);
  if (!s) throw std::bad_alloc();
  if (mysql_stmt_prepare(s, sql.data(), static_cast<unsigned long>(sql.size()))) {
    unsigned code = mysql_stmt_errno(s);
    std::string msg = mysql_stmt_error(s);
    mysql_stmt_close(s);
    fail(code, "prepare of [" + std::string(sql) + "]: " + msg);
  }
  it = cache_.emplace(std::string(sql), nullptr).first;
  try {
    it->second = std::make_unique<statement>(*this, s, it->first);
  } catch (...) {
    cache_.erase(it);
    mysql_stmt_close(s);
    throw;
  }
  return *it->second;
}

void connection::rollback() noexcept {
  if (broken_) return;
  if (mysql_rollback(m_.get()) && is_connection_loss(mysql_errno(m_.get()))) broken_ = true;
}

bool connection::alive() {
  if (broken_) return false;
  if (mysql_ping(m_.get()) != 0) broken_ = true;
  touch();
  return !broken_;
}

}  // namespace parley::store::mariadb
