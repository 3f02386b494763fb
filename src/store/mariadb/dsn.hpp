#pragma once
// Where the MariaDB store connects: `mariadb://user:password@host:port/database`. The password is
// a secret: nothing here ever puts it into an exception message or a log line.
#include <string>

namespace parley::store::mariadb {

struct dsn_parts {
  std::string user, password, host;
  unsigned port = 3306;
  std::string database;
};

// Parses mariadb://user:password@host:port/database (user/password percent-decoded; the port may
// be left out; an IPv6 host is written in brackets). The database name is limited to ASCII
// letters, digits and '_' because it is spliced into CREATE DATABASE as an identifier. Throws
// std::invalid_argument with a message that never contains the password.
dsn_parts parse_dsn(const std::string& dsn);

// The DSN with the password replaced by "***", for logs and --print-config.
std::string redact_dsn(const std::string& dsn);

}  // namespace parley::store::mariadb
