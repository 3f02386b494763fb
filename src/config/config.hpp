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
  std::filesystem::path static_dir;          // built web client; empty = look next to the binary
  std::size_t max_body_bytes = 1 << 20;      // API.md: JSON request body 1 MiB
  std::size_t max_outbound_bytes = 1 << 20;  // per connection, then the slow consumer is dropped
  bool demo = false;
  // Load balancers (IP addresses) whose X-Forwarded-For names the client; empty = none.
  std::vector<std::string> trusted_proxies;
};

struct auth_config {
  std::string issuer = "parley";
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  std::string argon2 = "interactive";  // interactive | moderate | min (tests only)
  // The RSA signing keys; empty = <server.data_dir>/keys. Every node of a cluster points at the
  // same keys (a shared or copied directory), or no node can verify another node's tokens.
  std::filesystem::path keys_dir;
};

struct storage_mariadb_config {
  // mariadb://user:password@host:port/database; the database is created if missing. Secret: never
  // printed (the password part) by --print-config or logged.
  std::string dsn;
  unsigned pool_size = 8;  // connections for reads and repository writes, besides the writer's
};

struct storage_config {
  std::string backend = "sqlite";  // sqlite: one embedded file in server.data_dir | mariadb
  std::string sync = "full";  // full: survives power loss; normal: survives a process crash
  // A resent clientMessageId is recognised among this many newest sends that carried one.
  std::size_t retry_window = 1 << 20;
  storage_mariadb_config mariadb;
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

// One allow-listed upload type and its own size limit (nullopt: media.max_bytes).
struct media_type_limit {
  std::string content_type;
  std::optional<std::uint64_t> max_bytes;
};

// Cluster mode: media live in an S3-compatible store; parley only presigns URLs for it.
struct media_s3_config {
  std::string endpoint;  // e.g. http://127.0.0.1:7070; empty = all-in-one (parley stores media)
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  bool path_style = true;  // endpoint/bucket/key; false: bucket.endpoint/key (virtual host)
};

struct media_config {
  std::filesystem::path dir;  // all-in-one object directory; empty = <server.data_dir>/media
  std::string
      public_base_url;  // scheme://host[:port] for uploadUrl/viewUrl; empty = the Host header
  std::chrono::seconds upload_url_ttl{15 * 60};  // API.md: upload URL valid 15 min
  // Cluster mode: lifetime of the presigned GET that /media/{key} redirects to; short, since the
  // stable viewUrl can always mint a new one.
  std::chrono::seconds view_url_ttl{10 * 60};
  std::uint64_t max_bytes = 25 * 1024 * 1024;  // API.md: default max 25 MiB per object
  unsigned presigns_per_minute = 30;           // per user: ample for people, a brake for scripts
  // Images, common documents, audio and video. Never active content (HTML, SVG, XML, scripts)
  // or executables: parley serves these bytes from its own origin (docs/adr/0003).
  std::vector<media_type_limit> allowed_types = {
      {"image/png", std::nullopt},
      {"image/jpeg", std::nullopt},
      {"image/gif", std::nullopt},
      {"image/webp", std::nullopt},
      {"image/avif", std::nullopt},
      {"image/heic", std::nullopt},
      {"application/pdf", std::nullopt},
      {"text/plain", 5 * 1024 * 1024},  // plain text beyond 5 MiB is a log dump, not a message
      {"text/csv", std::nullopt},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", std::nullopt},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", std::nullopt},
      {"application/vnd.openxmlformats-officedocument.presentationml.presentation", std::nullopt},
      {"application/vnd.oasis.opendocument.text", std::nullopt},
      {"application/vnd.oasis.opendocument.spreadsheet", std::nullopt},
      {"application/vnd.oasis.opendocument.presentation", std::nullopt},
      {"application/zip", std::nullopt},
      {"audio/mpeg", std::nullopt},
      {"audio/ogg", std::nullopt},
      {"audio/wav", std::nullopt},
      {"audio/webm", std::nullopt},
      {"audio/mp4", std::nullopt},
      {"audio/aac", std::nullopt},
      {"video/mp4", std::nullopt},
      {"video/webm", std::nullopt},
      {"video/quicktime", std::nullopt},
      {"video/ogg", std::nullopt}};
  media_s3_config s3;
};

// Cluster mode: several nodes share MariaDB and meet in Redis (fan-out, presence, the username
// filter, rate limits). Empty redis = all-in-one. With kafka too, the message path goes through
// the Kafka log and `parley persist` workers (docs/adr/0007); without it, each node commits to
// MariaDB itself.
struct cluster_config {
  std::string redis;    // host:port of the Redis server
  std::string node_id;  // unique per node; empty = <hostname>-<listen port>
  std::string prefix = "parley:";  // of every key and channel parley names (not the original's)
  std::string kafka;               // bootstrap servers, host:port[,host:port...]
  // The log's topic (its dead letters go to `<topic>.dlq`) and the workers' consumer group: one
  // pair per cluster sharing a Kafka cluster.
  std::string kafka_topic = "chat-messages";
  std::string kafka_group = "persistence-group";
  // Partitions of chat-messages when parley creates it (the first node or worker to start); a
  // room's records stay on one, so this bounds how many workers share the load.
  int kafka_partitions = 12;
  // How long a node waits for a worker's verdict before answering UNAVAILABLE (the client's
  // retry with the same clientMessageId is then recognised).
  std::chrono::milliseconds verdict_timeout{10'000};
  // `parley persist`: where it serves /metrics, /healthz and /readyz.
  std::string persist_listen = "127.0.0.1:9464";
  // `parley persist`: a stable name per worker (Kafka static membership), so that a worker
  // restarted within 10 s takes its partitions back at once. Empty = dynamic membership.
  std::string persist_instance;
};

struct config {
  server_config server;
  cluster_config cluster;
  auth_config auth;
  storage_config storage;
  stomp_config stomp;
  log_config log;
  media_config media;
};

// Applies "section.key" = value (as text) to `c`; an unknown key or a bad value is an error.
std::optional<std::string> set(config& c, const std::string& key, const std::string& value);

// Loads a TOML file into `c`. Returns an error message on a parse error or unknown key.
std::optional<std::string> load_file(config& c, const std::filesystem::path& file);

// Applies PARLEY_SECTION_KEY variables from `env` (e.g. PARLEY_AUTH_ARGON2=min).
std::optional<std::string> load_env(config& c, char** env);

// Every key with its current value, for `parley serve --print-config`.
std::vector<std::pair<std::string, std::string>> dump(const config& c);

// auth.keys_dir, or its default <server.data_dir>/keys.
inline std::filesystem::path keys_dir(const config& c) {
  return c.auth.keys_dir.empty() ? c.server.data_dir / "keys" : c.auth.keys_dir;
}

}  // namespace parley::config
