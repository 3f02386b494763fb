#pragma once
// The SQLite schema: versioned migrations (PRAGMA user_version) and the retry key they store.
#include "store/sqlite/db.hpp"

#include <cstdint>
#include <string_view>

namespace parley::store::sqlite {

// The retry key of (sender, client message id): FNV-1a 64 of both with a separator, in 63 bits
// so it is a positive SQLite integer. Persistent: never change it (migration 2 stores it).
std::int64_t client_key(std::string_view user_id, std::string_view client_message_id);

// Registers parley_client_key() on `db` and brings its schema to the latest version, one
// transaction per step. Throws if the file's schema is newer than this parley.
void migrate(connection& db);

}  // namespace parley::store::sqlite
