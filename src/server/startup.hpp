#pragma once
// What `parley serve` and `parley persist` start the same way: configuration, logging, addresses.
#include "config/config.hpp"
#include "redis/connection.hpp"

#include <string>
#include <utility>

namespace parley::server {

// The file (when named), then PARLEY_* environment variables over it. Throws std::runtime_error
// naming the bad key.
config::config load_config(const std::string& file);
// One JSON object per line (log.format = "json") or spdlog's text, at log.level.
void setup_logging(const config::log_config& c);
// "host:port"; throws std::runtime_error naming `key` when malformed.
std::pair<std::string, unsigned short> split_listen(const std::string& listen,
                                                    const char* key = "server.listen");
// cluster.redis "host:port" as the Redis client's options.
redis::options redis_options(const std::string& address);
std::string host_name();
// <hostname>-<port of listen>: unique per node on one host.
std::string default_node_id(const std::string& listen);

}  // namespace parley::server
