#pragma once
// One typed configuration tree, filled in order: defaults → TOML file → PARLEY_* environment →
// command-line flags. Unknown keys are errors (a typo must not silently fall back to a default).
// Every key, its default and its unit is listed in parley.example.toml.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parley::config {

struct server_config {
  std::string listen = "127.0.0.1:8080";
  unsigned threads = 0;  // I/O shards; 0 = one per core
  unsigned workers = 4;  // threads for blocking work (SQLite reads, Argon2)
  std::filesystem::path data_dir = "./parley-data";
  std::filesystem::path static_dir;  // built web client; empty = look next to the binary
  std::size_t max_body_bytes = 1 << 20;      // API.md: JSON request body 1 MiB
  std::size_t max_outbound_bytes = 1 << 20;  // per connection, then the slow consumer is dropped
  bool demo = false;
};

struct auth_config {
  std::string issuer = "parley";
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  std::string argon2 = "interactive";  // interactive | moderate | min (tests only)
};

struct storage_config {
  std::string sync = "full";  // full: survives power loss; normal: survives a process crash
};

struct stomp_config {
  std::chrono::milliseconds heart_beat{10000};
  std::size_t max_frame_bytes = 64 * 1024;
  double send_rate_per_second = 20;
  double send_burst = 50;
};

struct log_config {
  std::string level = "info";
  std::string format = "json";  // json | text
};

struct config {
  server_config server;
  auth_config auth;
  storage_config storage;
  stomp_config stomp;
  log_config log;
};

// Applies "section.key" = value (as text) to `c`; an unknown key or a bad value is an error.
std::optional<std::string> set(config& c, const std::string& key, const std::string& value);

// Loads a TOML file into `c`. Returns an error message on a parse error or unknown key.
std::optional<std::string> load_file(config& c, const std::filesystem::path& file);

// Applies PARLEY_SECTION_KEY variables from `env` (e.g. PARLEY_AUTH_ARGON2=min).
std::optional<std::string> load_env(config& c, char** env);

// Every key with its current value, for `parley serve --print-config`.
std::vector<std::pair<std::string, std::string>> dump(const config& c);

}  // namespace parley::config
