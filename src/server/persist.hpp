#pragma once
#include <string>

namespace parley::server {

// `parley persist`: one persistence worker (cluster/persistence_worker.hpp) until SIGTERM or
// SIGINT, serving /metrics (its lag per partition), /healthz and /readyz on
// cluster.persist_listen. Returns the exit status.
int persist(const std::string& config_file);

}  // namespace parley::server
