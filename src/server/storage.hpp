#pragma once
// Opens the storage adapter the configuration names (storage.backend). The composition root and
// `parley admin` are the only places that know which adapters exist.
#include "chat/storage.hpp"
#include "config/config.hpp"
#include "core/time.hpp"

#include <functional>
#include <memory>
#include <string>

namespace parley::server {

struct storage_hooks {
  // Around each commit's callbacks, on the adapter's callback thread (fan-out batching).
  std::function<void()> on_callbacks_begin, on_callbacks_end;
};

// Throws std::runtime_error with a message fit for the operator (never a password) when the
// configuration is incomplete or the engine cannot be opened.
std::unique_ptr<chat::storage> open_storage(const config::config& cfg, const core::clock& clock,
                                           storage_hooks hooks = {});

// Where the data lives, for the start-up log line: the SQLite file or the masked DSN.
std::string describe_storage(const config::config& cfg);

}  // namespace parley::server
