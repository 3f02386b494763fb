#include "server/storage.hpp"

#include "store/mariadb/mariadb_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <stdexcept>

namespace parley::server {

std::unique_ptr<chat::storage> open_storage(const config::config& cfg, const core::clock& clock,
                                           storage_hooks hooks) {
  if (cfg.storage.backend == "mariadb") {
    if (cfg.storage.mariadb.dsn.empty())
      throw std::runtime_error(
          "storage.backend = \"mariadb\" needs storage.mariadb.dsn (or PARLEY_STORAGE_MARIADB_DSN)");
    store::mariadb::options o;
    o.dsn = cfg.storage.mariadb.dsn;
    o.pool_size = cfg.storage.mariadb.pool_size;
    o.on_callbacks_begin = std::move(hooks.on_callbacks_begin);
    o.on_callbacks_end = std::move(hooks.on_callbacks_end);
    return std::make_unique<store::mariadb::mariadb_store>(std::move(o), clock);
  }
  store::sqlite::options o{cfg.server.data_dir / "parley.db", cfg.storage.sync == "full"};
  o.retry_window = cfg.storage.retry_window;
  o.on_callbacks_begin = std::move(hooks.on_callbacks_begin);
  o.on_callbacks_end = std::move(hooks.on_callbacks_end);
  return std::make_unique<store::sqlite::sqlite_store>(std::move(o), clock);
}

std::string describe_storage(const config::config& cfg) {
  if (cfg.storage.backend == "mariadb")
    return "mariadb " + store::mariadb::redact_dsn(cfg.storage.mariadb.dsn);
  return "sqlite " + (cfg.server.data_dir / "parley.db").string();
}

}  // namespace parley::server
