#include "config/config.hpp"

#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace parley::config {
namespace {

using namespace std::chrono_literals;

// A TOML file in the temp dir, removed afterwards.
class toml_file {
 public:
  explicit toml_file(std::string_view text)
      : path_(std::filesystem::temp_directory_path() /
              ("parley-config-" + core::random_token(9) + ".toml")) {
    std::ofstream(path_) << text;
  }
  ~toml_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  toml_file(const toml_file&) = delete;
  toml_file& operator=(const toml_file&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::optional<std::string> load_text(config& c, std::string_view text) {
  toml_file f(text);
  return load_file(c, f.path());
}

// load_env takes a NULL-terminated environ-style array.
std::optional<std::string> load_vars(config& c, std::vector<std::string> vars) {
  std::vector<char*> env;
  for (auto& v : vars) env.push_back(v.data());
  env.push_back(nullptr);
  return load_env(c, env.data());
}

TEST(config_set, applies_a_known_key) {
  config c;
  EXPECT_FALSE(set(c, "server.listen", "0.0.0.0:9000"));
  EXPECT_FALSE(set(c, "server.workers", "8"));
  EXPECT_FALSE(set(c, "server.demo", "true"));
  EXPECT_FALSE(set(c, "server.trusted_proxies", "127.0.0.1, ::1"));
  EXPECT_EQ(c.server.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_FALSE(set(c, "auth.access_ttl_seconds", "60"));
  EXPECT_FALSE(set(c, "stomp.heart_beat_ms", "2500"));
  EXPECT_FALSE(set(c, "stomp.send_burst", "7.5"));
  EXPECT_EQ(c.server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.server.workers, 8u);
  EXPECT_TRUE(c.server.demo);
  EXPECT_EQ(c.auth.access_ttl, 60s);
  EXPECT_EQ(c.stomp.heart_beat, 2500ms);
  EXPECT_DOUBLE_EQ(c.stomp.send_burst, 7.5);
}

TEST(config_set, an_unknown_key_is_an_error) {
  config c;
  auto err = set(c, "server.nope", "1");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("unknown configuration key: server.nope"), std::string::npos) << *err;
  EXPECT_TRUE(set(c, "listen", "x"));         // a key must name its section
  EXPECT_TRUE(set(c, "Server.listen", "x"));  // keys are exact, not case-folded
}

TEST(config_set, a_bad_value_is_an_error_and_leaves_the_default) {
  config c;
  const config defaults;
  struct bad {
    const char* key;
    const char* value;
  };
  for (auto [key, value] :
       {bad{"auth.argon2", "foo"}, bad{"stomp.heart_beat_ms", "-1"},
        bad{"stomp.heart_beat_ms", "10s"}, bad{"auth.access_ttl_seconds", ""},
        bad{"server.workers", "-4"}, bad{"server.workers", "four"}, bad{"server.threads", "1.5"},
        bad{"server.max_body_bytes", "1MiB"}, bad{"server.demo", "maybe"},
        bad{"server.trusted_proxies", "10.0.0.0/8"},
        bad{"server.data_dir", ""}, bad{"storage.sync", "off"}, bad{"log.level", "verbose"},
        bad{"log.format", "xml"}, bad{"stomp.send_rate_per_second", "fast"},
        bad{"stomp.send_rate_per_second", "-5"}, bad{"stomp.send_rate_per_second", "nan"},
        bad{"stomp.send_burst", "inf"}}) {
    auto err = set(c, key, value);
    ASSERT_TRUE(err) << key << "=" << value;
    EXPECT_NE(err->find(std::string("invalid value for ") + key), std::string::npos) << *err;
  }
  EXPECT_EQ(dump(c), dump(defaults));
}

TEST(config_load_file, applies_a_valid_file) {
  config c;
  auto err = load_text(c, R"(
[server]
listen = "0.0.0.0:0"
workers = 2
demo = true
[auth]
argon2 = "min"
refresh_ttl_seconds = 3600
[stomp]
heart_beat_ms = 5000
send_rate_per_second = 2.5
[log]
format = "text"
)");
  EXPECT_FALSE(err) << *err;
  EXPECT_EQ(c.server.listen, "0.0.0.0:0");
  EXPECT_EQ(c.server.workers, 2u);
  EXPECT_TRUE(c.server.demo);
  EXPECT_EQ(c.auth.argon2, "min");
  EXPECT_EQ(c.auth.refresh_ttl, 3600s);
  EXPECT_EQ(c.stomp.heart_beat, 5000ms);
  EXPECT_DOUBLE_EQ(c.stomp.send_rate_per_second, 2.5);
  EXPECT_EQ(c.log.format, "text");
  EXPECT_EQ(c.log.level, "info") << "keys the file does not name keep their defaults";
}

TEST(config_load_file, an_unknown_section_is_an_error) {
  config c;
  auto err = load_text(c, "[nope]\nlisten = \"x\"\n");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("nope.listen"), std::string::npos) << *err;
}

TEST(config_load_file, a_top_level_key_is_an_error) {
  config c;
  auto err = load_text(c, "listen = \"x\"\n");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("listen"), std::string::npos) << *err;
}

TEST(config_load_file, an_unknown_key_in_a_known_section_is_an_error) {
  config c;
  auto err = load_text(c, "[server]\nlisten = \"127.0.0.1:1\"\nwokers = 3\n");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("unknown configuration key: server.wokers"), std::string::npos) << *err;
}

TEST(config_load_file, a_value_of_the_wrong_type_is_an_error) {
  for (std::string_view text :
       {"[server]\nworkers = \"four\"\n", "[server]\nworkers = true\n", "[server]\nthreads = 1.5\n",
        "[server]\nworkers = [1, 2]\n", "[server]\ndemo = 1.5\n", "[stomp]\nheart_beat_ms = -1\n",
        "[auth]\naccess_ttl_seconds = { a = 1 }\n", "[log]\nlevel = 2026-01-01\n"}) {
    config c;
    EXPECT_TRUE(load_text(c, text)) << text;
  }
}

TEST(config_load_file, a_syntax_error_or_missing_file_is_an_error) {
  config c;
  auto err = load_text(c, "[server\nlisten = \"x\"\n");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("cannot read"), std::string::npos) << *err;
  EXPECT_TRUE(load_file(c, "/nonexistent/parley.toml"));
}

TEST(config_load_file, the_example_file_loads_and_holds_the_defaults) {
  config c;
  auto err = load_file(c, PARLEY_EXAMPLE_CONFIG);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(dump(c), dump(config{}));
}

TEST(config_load_file, the_example_file_names_every_key) {
  // Setting every key to a non-default value and loading the example must restore the defaults:
  // so the example documents all of them.
  config c;
  ASSERT_FALSE(set(c, "server.static_dir", "/somewhere"));
  ASSERT_FALSE(load_file(c, PARLEY_EXAMPLE_CONFIG));
  EXPECT_EQ(c.server.static_dir, std::filesystem::path());
  std::ifstream in(PARLEY_EXAMPLE_CONFIG);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto& [key, value] : dump(config{})) {
    auto name = key.substr(key.find('.') + 1);
    EXPECT_NE(text.find("\n" + name + " = "), std::string::npos) << key;
  }
}

TEST(config_load_env, applies_parley_section_key_variables) {
  config c;
  auto err = load_vars(c, {"PARLEY_AUTH_ARGON2=min", "PARLEY_STOMP_HEART_BEAT_MS=2000",
                           "PARLEY_SERVER_LISTEN=0.0.0.0:0", "PATH=/usr/bin"});
  EXPECT_FALSE(err) << *err;
  EXPECT_EQ(c.auth.argon2, "min");
  EXPECT_EQ(c.stomp.heart_beat, 2000ms);
  EXPECT_EQ(c.server.listen, "0.0.0.0:0");
}

TEST(config_load_env, ignores_parley_variables_that_name_no_section) {
  config c;
  auto err = load_vars(c, {"PARLEY_BIN=/opt/parley/bin/parley", "PARLEY_E2E_BASE_URL=http://x",
                           "PARLEY_=1", "PARLEY_NOEQUALS"});
  EXPECT_FALSE(err) << *err;
  EXPECT_EQ(dump(c), dump(config{}));
}

TEST(config_load_env, an_unknown_key_in_a_known_section_is_an_error) {
  config c;
  auto err = load_vars(c, {"PARLEY_SERVER_NOPE=1"});
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("server.nope"), std::string::npos) << *err;
  EXPECT_NE(err->find("PARLEY_SERVER_NOPE"), std::string::npos) << "names the variable: " << *err;
}

TEST(config_load_env, a_bad_value_is_an_error) {
  config c;
  auto err = load_vars(c, {"PARLEY_AUTH_ARGON2=foo"});
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("PARLEY_AUTH_ARGON2"), std::string::npos) << *err;
}

TEST(config_load_env, a_null_environment_is_empty) {
  config c;
  EXPECT_FALSE(load_env(c, nullptr));
}

TEST(config_media, a_sub_table_and_nested_environment_keys_apply) {
  config c;
  auto err = load_text(c, "[media.s3]\nendpoint = \"http://127.0.0.1:7070\"\npath_style = false\n");
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(c.media.s3.endpoint, "http://127.0.0.1:7070");
  EXPECT_FALSE(c.media.s3.path_style);
  err = load_vars(c, {"PARLEY_MEDIA_S3_BUCKET=parley", "PARLEY_MEDIA_MAX_BYTES=1000",
                      "PARLEY_MEDIA_S3_SECRET_KEY=s3cr3t"});
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(c.media.s3.bucket, "parley");
  EXPECT_EQ(c.media.max_bytes, 1000u);
  EXPECT_EQ(c.media.s3.secret_key, "s3cr3t");
  for (auto& [k, v] : dump(c))
    EXPECT_EQ(v.find("s3cr3t"), std::string::npos) << k << ": the secret is never printed";
}

TEST(config_media, allowed_types_take_optional_limits_and_refuse_junk) {
  config c;
  ASSERT_FALSE(set(c, "media.allowed_types", " image/png , application/pdf=1048576,"));
  ASSERT_EQ(c.media.allowed_types.size(), 2u);
  EXPECT_EQ(c.media.allowed_types[0].content_type, "image/png");
  EXPECT_FALSE(c.media.allowed_types[0].max_bytes);
  EXPECT_EQ(c.media.allowed_types[1].max_bytes, 1048576u);
  for (std::string_view bad : {"image", "Image/PNG", "image/png=big", "image/png;q=1", "/png"})
    EXPECT_TRUE(set(c, "media.allowed_types", std::string(bad))) << bad;
}

TEST(config_dump, lists_every_key_once) {
  auto d = dump(config{});
  std::set<std::string> keys;
  for (auto& [k, v] : d) EXPECT_TRUE(keys.insert(k).second) << k;
  std::set<std::string> expected = {"server.listen",
                                    "server.threads",
                                    "server.workers",
                                    "server.data_dir",
                                    "server.static_dir",
                                    "server.max_body_bytes",
                                    "server.max_outbound_bytes",
                                    "server.demo",
                                    "server.trusted_proxies",
                                    "auth.issuer",
                                    "auth.access_ttl_seconds",
                                    "auth.refresh_ttl_seconds",
                                    "auth.argon2",
                                    "auth.keys_dir",
                                    "storage.backend",
                                    "storage.sync",
                                    "storage.retry_window",
                                    "storage.mariadb.dsn",
                                    "storage.mariadb.pool_size",
                                    "stomp.heart_beat_ms",
                                    "stomp.max_frame_bytes",
                                    "stomp.send_rate_per_second",
                                    "stomp.send_burst",
                                    "log.level",
                                    "log.format",
                                    "media.dir",
                                    "media.public_base_url",
                                    "media.upload_url_ttl_seconds",
                                    "media.view_url_ttl_seconds",
                                    "media.max_bytes",
                                    "media.presigns_per_minute",
                                    "media.allowed_types",
                                    "media.s3.endpoint",
                                    "media.s3.bucket",
                                    "media.s3.region",
                                    "media.s3.access_key",
                                    "media.s3.secret_key",
                                    "media.s3.path_style",
                                    "cluster.redis",
                                    "cluster.node_id",
                                    "cluster.prefix",
                                    "cluster.kafka",
                                    "cluster.kafka_topic",
                                    "cluster.kafka_group",
                                    "cluster.kafka_partitions",
                                    "cluster.verdict_timeout_ms",
                                    "cluster.persist_listen",
                                    "cluster.persist_instance"};
  EXPECT_EQ(keys, expected);
}

TEST(config_dump, never_shows_the_database_password) {
  config c;
  ASSERT_FALSE(set(c, "storage.backend", "mariadb"));
  ASSERT_FALSE(set(c, "storage.mariadb.dsn", "mariadb://parley:hunter2@db.internal:3306/chat"));
  EXPECT_EQ(c.storage.mariadb.dsn, "mariadb://parley:hunter2@db.internal:3306/chat");
  for (auto& [k, v] : dump(c)) EXPECT_EQ(v.find("hunter2"), std::string::npos) << k;
  auto dumped = dump(c);
  auto dsn = std::find_if(dumped.begin(), dumped.end(),
                          [](auto& kv) { return kv.first == "storage.mariadb.dsn"; });
  ASSERT_NE(dsn, dumped.end());
  EXPECT_EQ(dsn->second, "mariadb://parley:***@db.internal:3306/chat");
  EXPECT_TRUE(set(c, "storage.backend", "postgres"));  // an error: not a known backend
}

TEST(config_dump, values_read_back_through_set) {
  config c;
  ASSERT_FALSE(set(c, "stomp.send_rate_per_second", "2.5"));
  ASSERT_FALSE(set(c, "server.demo", "yes"));
  ASSERT_FALSE(set(c, "auth.refresh_ttl_seconds", "77"));
  config copy;
  for (auto& [k, v] : dump(c)) EXPECT_FALSE(set(copy, k, v)) << k << "=" << v;
  EXPECT_EQ(dump(copy), dump(c));
}

}  // namespace
}  // namespace parley::config
