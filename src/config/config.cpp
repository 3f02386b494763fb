#include "config/config.hpp"

#include "core/forwarded.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <type_traits>

namespace parley::config {

namespace {

template <class T>
std::optional<T> number(const std::string& v) {
  T out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  // from_chars reads "nan", "inf" and negatives for doubles; every such key is a finite amount.
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(out) || out < 0) return std::nullopt;
  return out;
}

std::optional<bool> boolean(const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return std::nullopt;
}

struct key {
  const char* name;
  std::function<bool(config&, const std::string&)> set;
  std::function<std::string(const config&)> get;
};

#define PARLEY_NUM(name, field, T)                              \
  key {                                                         \
    name,                                                       \
        [](config& c, const std::string& v) {                   \
          auto n = number<T>(v);                                \
          if (!n) return false;                                 \
          c.field = *n;                                         \
          return true;                                          \
        },                                                      \
        [](const config& c) { return std::to_string(c.field); } \
  }
#define PARLEY_DUR(name, field, T, U)                                            \
  key {                                                                          \
    name,                                                                        \
        [](config& c, const std::string& v) {                                    \
          auto n = number<std::int64_t>(v);                                      \
          if (!n || *n < 0) return false;                                        \
          c.field = std::chrono::duration_cast<T>(U{*n});                        \
          return true;                                                           \
        },                                                                       \
        [](const config& c) {                                                    \
          return std::to_string(std::chrono::duration_cast<U>(c.field).count()); \
        }                                                                        \
  }
#define PARLEY_STR(name, field, ...)                                                             \
  key {                                                                                          \
    name,                                                                                        \
        [](config& c, const std::string& v) {                                                    \
          std::vector<std::string> allowed{__VA_ARGS__};                                         \
          if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) \
            return false;                                                                        \
          c.field = v;                                                                           \
          return true;                                                                           \
        },                                                                                       \
        [](const config& c) { return std::string(c.field); }                                     \
  }

// media.allowed_types: "type[=max_bytes], ..." (one string, so one environment variable can
// replace the whole list). A type without "=N" takes media.max_bytes.
bool is_token_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
         std::string_view("!#$&^_.+-").find(ch) != std::string_view::npos;
}

bool is_media_type(std::string_view t) {
  auto slash = t.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == t.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (i != slash && !is_token_char(t[i])) return false;
  return true;
}

std::optional<std::vector<media_type_limit>> parse_media_types(std::string_view v) {
  std::vector<media_type_limit> out;
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
      s.remove_suffix(1);
    return s;
  };
  while (!v.empty()) {
    auto comma = v.find(',');
    auto item = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    if (item.empty()) continue;
    media_type_limit t;
    auto eq = item.find('=');
    t.content_type = std::string(trim(item.substr(0, eq)));
    if (!is_media_type(t.content_type)) return std::nullopt;
    if (eq != std::string_view::npos) {
      auto n = number<std::uint64_t>(std::string(trim(item.substr(eq + 1))));
      if (!n) return std::nullopt;
      t.max_bytes = *n;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string format_media_types(const std::vector<media_type_limit>& types) {
  std::string out;
  for (auto& t : types) {
    if (!out.empty()) out += ",";
    out += t.content_type;
    if (t.max_bytes) out += "=" + std::to_string(*t.max_bytes);
  }
  return out;
}

// scheme://user:password@host... → scheme://user:***@host...; anything else is returned as is
// (a DSN without a password has nothing to hide).
std::string mask_dsn_password(const std::string& dsn) {
  auto scheme = dsn.find("://");
  auto at = dsn.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return dsn;
  auto colon = dsn.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return dsn;
  return dsn.substr(0, colon + 1) + "***" + dsn.substr(at);
}

// A path that may be empty (meaning: the documented default under server.data_dir).
#define PARLEY_PATH(name, field)                                 \
  key {                                                          \
    name,                                                        \
        [](config& c, const std::string& v) {                    \
          c.field = v;                                           \
          return true;                                           \
        },                                                       \
        [](const config& c) { return c.field.string(); }         \
  }

const std::vector<key>& keys() {
  static const std::vector<key> all = {
      PARLEY_STR("server.listen", server.listen),
      PARLEY_NUM("server.threads", server.threads, unsigned),
      PARLEY_NUM("server.workers", server.workers, unsigned),
      key{"server.data_dir",
          [](config& c, const std::string& v) {
            if (v.empty()) return false;
            c.server.data_dir = v;
            return true;
          },
          [](const config& c) { return c.server.data_dir.string(); }},
      PARLEY_PATH("server.static_dir", server.static_dir),
      PARLEY_NUM("server.max_body_bytes", server.max_body_bytes, std::size_t),
      PARLEY_NUM("server.max_outbound_bytes", server.max_outbound_bytes, std::size_t),
      key{"server.demo",
          [](config& c, const std::string& v) {
            auto b = boolean(v);
            if (!b) return false;
            c.server.demo = *b;
            return true;
          },
          [](const config& c) { return std::string(c.server.demo ? "true" : "false"); }},
      // One string, "addr, addr", so one environment variable replaces the whole list.
      key{"server.trusted_proxies",
          [](config& c, const std::string& v) {
            return core::parse_address_list(v, c.server.trusted_proxies);
          },
          [](const config& c) {
            std::string out;
            for (auto& a : c.server.trusted_proxies) out += (out.empty() ? "" : ", ") + a;
            return out;
          }},
      PARLEY_STR("cluster.redis", cluster.redis),
      PARLEY_STR("cluster.node_id", cluster.node_id),
      PARLEY_STR("cluster.prefix", cluster.prefix),
      PARLEY_STR("cluster.kafka", cluster.kafka),
      PARLEY_STR("cluster.kafka_topic", cluster.kafka_topic),
      PARLEY_STR("cluster.kafka_group", cluster.kafka_group),
      PARLEY_NUM("cluster.kafka_partitions", cluster.kafka_partitions, int),
      PARLEY_DUR("cluster.verdict_timeout_ms", cluster.verdict_timeout, std::chrono::milliseconds,
                 std::chrono::milliseconds),
      PARLEY_STR("cluster.persist_listen", cluster.persist_listen),
      PARLEY_STR("cluster.persist_instance", cluster.persist_instance),
      PARLEY_STR("auth.issuer", auth.issuer),
      PARLEY_DUR("auth.access_ttl_seconds", auth.access_ttl, std::chrono::seconds,
                 std::chrono::seconds),
      PARLEY_DUR("auth.refresh_ttl_seconds", auth.refresh_ttl, std::chrono::seconds,
                 std::chrono::seconds),
      PARLEY_STR("auth.argon2", auth.argon2, "interactive", "moderate", "min"),
      PARLEY_PATH("auth.keys_dir", auth.keys_dir),
      PARLEY_STR("storage.backend", storage.backend, "sqlite", "mariadb"),
      PARLEY_STR("storage.sync", storage.sync, "full", "normal"),
      PARLEY_NUM("storage.retry_window", storage.retry_window, std::size_t),
      // Printed with the password masked: the dump goes to terminals and logs.
      key{"storage.mariadb.dsn",
          [](config& c, const std::string& v) {
            c.storage.mariadb.dsn = v;
            return true;
          },
          [](const config& c) { return mask_dsn_password(c.storage.mariadb.dsn); }},
      PARLEY_NUM("storage.mariadb.pool_size", storage.mariadb.pool_size, unsigned),
      PARLEY_DUR("stomp.heart_beat_ms", stomp.heart_beat, std::chrono::milliseconds,
                 std::chrono::milliseconds),
      PARLEY_NUM("stomp.max_frame_bytes", stomp.max_frame_bytes, std::size_t),
      PARLEY_NUM("stomp.send_rate_per_second", stomp.send_rate_per_second, double),
      PARLEY_NUM("stomp.send_burst", stomp.send_burst, double),
      PARLEY_STR("log.level", log.level, "trace", "debug", "info", "warn", "error", "off"),
      PARLEY_STR("log.format", log.format, "json", "text"),
      PARLEY_PATH("media.dir", media.dir),
      PARLEY_STR("media.public_base_url", media.public_base_url),
      PARLEY_DUR("media.upload_url_ttl_seconds", media.upload_url_ttl, std::chrono::seconds,
                 std::chrono::seconds),
      PARLEY_DUR("media.view_url_ttl_seconds", media.view_url_ttl, std::chrono::seconds,
                 std::chrono::seconds),
      PARLEY_NUM("media.max_bytes", media.max_bytes, std::uint64_t),
      PARLEY_NUM("media.presigns_per_minute", media.presigns_per_minute, unsigned),
      key{"media.allowed_types",
          [](config& c, const std::string& v) {
            auto types = parse_media_types(v);
            if (!types) return false;
            c.media.allowed_types = std::move(*types);
            return true;
          },
          [](const config& c) { return format_media_types(c.media.allowed_types); }},
      PARLEY_STR("media.s3.endpoint", media.s3.endpoint),
      PARLEY_STR("media.s3.bucket", media.s3.bucket),
      PARLEY_STR("media.s3.region", media.s3.region),
      PARLEY_STR("media.s3.access_key", media.s3.access_key),
      // Never printed by --print-config: the dump goes to terminals and logs.
      key{"media.s3.secret_key",
          [](config& c, const std::string& v) {
            c.media.s3.secret_key = v;
            return true;
          },
          [](const config& c) {
            return std::string(c.media.s3.secret_key.empty() ? "" : "(set)");
          }},
      key{"media.s3.path_style",
          [](config& c, const std::string& v) {
            auto b = boolean(v);
            if (!b) return false;
            c.media.s3.path_style = *b;
            return true;
          },
          [](const config& c) { return std::string(c.media.s3.path_style ? "true" : "false"); }},
  };
  return all;
}

}  // namespace

std::optional<std::string> set(config& c, const std::string& name, const std::string& value) {
  for (auto& k : keys())
    if (name == k.name) {
      if (!k.set(c, value)) return "invalid value for " + name + ": '" + value + "'";
      return std::nullopt;
    }
  return "unknown configuration key: " + name;
}

std::optional<std::string> load_file(config& c, const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return "cannot read " + file.string() + ": " + std::string(e.description());
  }
  for (auto& [section, node] : root) {
    auto* table = node.as_table();
    if (!table) return "unknown configuration key: " + std::string(section.str());
    // One level of sub-tables ([media.s3]) flattens into dotted keys.
    std::vector<std::pair<std::string, const toml::node*>> entries;
    for (auto& [name, value] : *table) {
      if (auto* sub = value.as_table())
        for (auto& [sub_name, sub_value] : *sub)
          entries.emplace_back(std::string(name.str()) + "." + std::string(sub_name.str()),
                               &sub_value);
      else
        entries.emplace_back(std::string(name.str()), &value);
    }
    for (auto& [name, node_ptr] : entries) {
      const toml::node& value = *node_ptr;
      std::string text;
      if (auto s = value.value<std::string>(); s && value.is_string())
        text = *s;
      else if (value.is_boolean())
        text = *value.value<bool>() ? "true" : "false";
      else if (value.is_integer())
        text = std::to_string(*value.value<std::int64_t>());
      else if (value.is_floating_point())
        text = std::to_string(*value.value<double>());
      else
        return "unsupported value type for " + std::string(section.str()) + "." + name;
      if (auto err = set(c, std::string(section.str()) + "." + name, text)) return err;
    }
  }
  return std::nullopt;
}

std::optional<std::string> load_env(config& c, char** env) {
  static const std::vector<std::string> sections = {"SERVER", "CLUSTER", "AUTH", "STORAGE",
                                                    "STOMP",  "LOG",  "MEDIA"};
  for (char** e = env; e && *e; ++e) {
    std::string kv(*e);
    if (!kv.starts_with("PARLEY_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(7, eq - 7), value = kv.substr(eq + 1);
    auto us = name.find('_');
    if (us == std::string::npos) continue;
    std::string section = name.substr(0, us);
    // Only PARLEY_<SECTION>_* belong to the server; other PARLEY_ variables (test harness paths)
    // are not ours to judge.
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) continue;
    std::string key = section + "." + name.substr(us + 1);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    // A key inside a sub-table has a dot where the variable has an underscore.
    for (auto& k : keys()) {
      std::string env_form = k.name;
      std::replace(env_form.begin(), env_form.end(), '.', '_');
      std::transform(env_form.begin(), env_form.end(), env_form.begin(),
                     [](unsigned char ch) { return std::toupper(ch); });
      if (env_form == name) key = k.name;
    }
    if (auto err = set(c, key, value)) return *err + " (from environment PARLEY_" + name + ")";
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> dump(const config& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& k : keys()) out.emplace_back(k.name, k.get(c));
  return out;
}

}  // namespace parley::config
