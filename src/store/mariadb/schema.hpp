#pragma once
#include "store/mariadb/connection.hpp"

namespace parley::store::mariadb {

// Brings the connected database to the newest schema version; a no-op when it is there already.
// Several nodes may start at once: they take turns on a named server lock. Throws db_error when
// a step fails, std::runtime_error when the database is newer than this code.
void migrate(connection& db);

}  // namespace parley::store::mariadb
