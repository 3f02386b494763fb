// parley: the composition root. Builds the object graph from configuration, starts it, and owns
// the ordered shutdown (stop accepting → close sessions → drain workers → commit the last writes →
// stop the event loops). Nothing else in the program knows which adapters are in use.
#include "auth/jwt.hpp"
#include "auth/key_ring.hpp"
#include "auth/password.hpp"
#include "chat/memory_presence.hpp"
#include "chat/memory_username_filter.hpp"
#include "chat/service.hpp"
#include "cluster/kafka_log.hpp"
#include "cluster/redis_bus.hpp"
#include "cluster/redis_limits.hpp"
#include "cluster/redis_presence.hpp"
#include "config/config.hpp"
#include "core/problem.hpp"
#include "http/server.hpp"
#include "media/service.hpp"
#include "obs/metrics.hpp"
#include "realtime/hub.hpp"
#include "realtime/local_bus.hpp"
#include "realtime/node_interest.hpp"
#include "realtime/shard_dispatcher.hpp"
#include "realtime/shards.hpp"
#include "realtime/stomp_session.hpp"
#include "server/admin_cli.hpp"
#include "server/cluster_history.hpp"
#include "server/rest_api.hpp"
#include "server/persist.hpp"
#include "server/startup.hpp"
#include "server/storage.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

namespace asio = boost::asio;

namespace parley::server {
namespace {

constexpr const char* version = PARLEY_VERSION;
// Exit status when a configured engine (MariaDB) cannot be reached at start: EX_UNAVAILABLE from
// sysexits.h, so a supervisor can tell "retry later" from a bad configuration (1).
constexpr int exit_unavailable = 69;

struct serve_flags {
  std::string config_file, listen, data_dir, static_dir, log_level;
  unsigned threads = 0;
  bool demo = false, print_config = false;
};

auth::argon2_limits argon2_for(const std::string& profile) {
  if (profile == "min") return auth::argon2_limits::minimum();
  if (profile == "moderate") return {3, 256u << 20};
  return {};
}

media::options media_options(const config::config& cfg) {
  media::options o;
  auto& m = cfg.media;
  o.dir = m.dir.empty() ? cfg.server.data_dir / "media" : m.dir;
  o.public_base_url = m.public_base_url;
  o.upload_url_ttl = m.upload_url_ttl;
  o.view_url_ttl = m.view_url_ttl;
  o.presigns_per_minute = m.presigns_per_minute;
  for (auto& t : m.allowed_types)
    o.types.push_back({t.content_type, t.max_bytes.value_or(m.max_bytes)});
  if (!m.s3.endpoint.empty())
    o.s3 = media::s3_options{m.s3.endpoint,   m.s3.bucket,     m.s3.region,
                             m.s3.access_key, m.s3.secret_key, m.s3.path_style};
  return o;
}

int serve(const serve_flags& flags) {
  auto cfg = load_config(flags.config_file);
  auto apply = [&](const char* key, const std::string& v) {
    if (v.empty()) return;
    if (auto err = config::set(cfg, key, v)) throw std::runtime_error(*err);
  };
  apply("server.listen", flags.listen);
  apply("server.data_dir", flags.data_dir);
  apply("server.static_dir", flags.static_dir);
  apply("log.level", flags.log_level);
  if (flags.threads) cfg.server.threads = flags.threads;
  if (flags.demo) cfg.server.demo = true;
  if (flags.print_config) {
    for (auto& [k, v] : config::dump(cfg)) std::cout << k << " = " << v << "\n";
    return 0;
  }
  setup_logging(cfg.log);

  std::filesystem::create_directories(cfg.server.data_dir);
  core::system_clock clock;
  auto keys = auth::key_ring::load_or_create(config::keys_dir(cfg));
  auth::jwt_service jwt(keys, clock, {cfg.auth.issuer, cfg.auth.access_ttl, cfg.auth.refresh_ttl});
  auth::password_hasher passwords(argon2_for(cfg.auth.argon2));
  unsigned n =
      cfg.server.threads ? cfg.server.threads : std::max(1u, std::thread::hardware_concurrency());
  realtime::shards shards(n);
  std::vector<std::unique_ptr<realtime::hub>> hubs;
  std::vector<realtime::hub*> hub_ptrs;
  for (unsigned i = 0; i < n; ++i) {
    hubs.push_back(std::make_unique<realtime::hub>());
    hub_ptrs.push_back(hubs.back().get());
  }
  realtime::shard_dispatcher dispatcher(shards, hub_ptrs);
  asio::thread_pool workers(std::max(1u, cfg.server.workers));
  // Cluster mode (cluster.redis): the nodes share MariaDB and meet in Redis.
  const bool clustered = !cfg.cluster.redis.empty();
  if (clustered && cfg.storage.backend != "mariadb")
    throw std::runtime_error(
        "cluster.redis needs storage.backend = \"mariadb\": the nodes must share one history");
  const auto node_id =
      cfg.cluster.node_id.empty() ? default_node_id(cfg.server.listen) : cfg.cluster.node_id;
  // With cluster.kafka, the message path goes through the Kafka log and `parley persist`.
  if (!cfg.cluster.kafka.empty() && !clustered)
    throw std::runtime_error("cluster.kafka needs cluster.redis: verdicts and fan-out go through it");
  std::unique_ptr<cluster::kafka_log> kafka_log;
  if (clustered && !cfg.cluster.kafka.empty()) {
    cluster::ensure_log_topics(cfg.cluster.kafka, cfg.cluster.kafka_topic,
                               cfg.cluster.kafka_partitions);
    cluster::kafka_log_options ko;
    ko.kafka.bootstrap = cfg.cluster.kafka;
    ko.kafka.client_id = "parley-" + node_id;
    ko.redis = redis_options(cfg.cluster.redis);
    ko.node_id = node_id;
    ko.prefix = cfg.cluster.prefix;
    ko.topic = cfg.cluster.kafka_topic;
    ko.verdict_timeout = cfg.cluster.verdict_timeout;
    kafka_log = std::make_unique<cluster::kafka_log>(std::move(ko));
  }
  cluster_history history(workers);
  std::optional<realtime::local_bus> local;
  std::optional<cluster::redis_bus> redis_bus;
  if (clustered)
    redis_bus.emplace(dispatcher, cluster::redis_bus_options{redis_options(cfg.cluster.redis),
                                                             node_id, cfg.cluster.prefix,
                                                             &history});
  else
    local.emplace(dispatcher);
  chat::fanout& bus = clustered ? static_cast<chat::fanout&>(*redis_bus) : *local;
  // The hubs tell the bus which destinations this node listens to (a cluster bus subscribes to
  // exactly those); set before the shards run.
  realtime::node_interest interest(bus);
  for (auto* h : hub_ptrs) h->report_interest_to(interest);
  // Each commit's callbacks publish as one batch.
  auto storage =
      open_storage(cfg, clock, {[&bus] { bus.begin_batch(); }, [&bus] { bus.end_batch(); }});
  chat::storage& db = *storage;
  history.use(db);
  const chat::limits chat_limits;
  const auto media_opt = media_options(cfg);
  // Presence, the username filter and the limiters: in memory, or shared through Redis.
  std::optional<chat::memory_presence> local_presence;
  std::optional<cluster::redis_presence> redis_presence;
  std::optional<cluster::redis_client> redis_limits;
  std::unique_ptr<chat::username_filter> usernames;
  std::unique_ptr<core::rate_limit> failed_logins, presigns;
  if (clustered) {
    redis_presence.emplace(cluster::redis_presence_options{redis_options(cfg.cluster.redis),
                                                           node_id, cfg.cluster.prefix});
    redis_limits.emplace(redis_options(cfg.cluster.redis), node_id, "limits");
    redis_limits->wait_connected();
    auto filter = std::make_unique<cluster::redis_username_filter>(
        *redis_limits, cfg.cluster.prefix, [&db] { return db.all_usernames(); });
    filter->fill_if_missing();
    usernames = std::move(filter);
    failed_logins = std::make_unique<cluster::redis_rate_limit>(
        *redis_limits, cfg.cluster.prefix, "logins",
        static_cast<unsigned>(chat_limits.max_failed_logins),
        std::chrono::duration_cast<std::chrono::seconds>(chat_limits.failed_login_window));
    presigns = std::make_unique<cluster::redis_rate_limit>(
        *redis_limits, cfg.cluster.prefix, "presigns", media_opt.presigns_per_minute,
        std::chrono::minutes(1));
  } else {
    local_presence.emplace();
    usernames = std::make_unique<chat::memory_username_filter>(db.all_usernames());
    failed_logins = std::make_unique<core::memory_rate_limit>(
        static_cast<unsigned>(chat_limits.max_failed_logins), chat_limits.failed_login_window,
        clock);
    presigns = std::make_unique<core::memory_rate_limit>(media_opt.presigns_per_minute,
                                                         std::chrono::minutes(1), clock);
  }
  chat::presence& presence =
      clustered ? static_cast<chat::presence&>(*redis_presence) : *local_presence;
  chat::message_log& log = kafka_log ? static_cast<chat::message_log&>(*kafka_log) : db;
  chat::service chat({db, log, bus, presence, keys, jwt, passwords, clock, chat_limits,
                      failed_logins.get(), usernames.get()});
  if (redis_presence)
    redis_presence->start([&workers, &chat](std::vector<std::string> users, core::time_point t) {
      asio::post(workers, [&chat, users = std::move(users), t] {
        try {
          chat.presence_lost(users, t);
        } catch (const std::exception& e) {
          spdlog::warn("presence: announcing a dead node's users failed: {}", e.what());
        }
      });
    });
  if (cfg.server.demo) chat.seed_demo();
  media::service media_svc(media_opt, clock, presigns.get());

  realtime::session_options sopt;
  sopt.frame_limits.max_frame_bytes = cfg.stomp.max_frame_bytes;
  sopt.heart_beat_send = sopt.heart_beat_expect = cfg.stomp.heart_beat;
  sopt.send_rate_per_second = cfg.stomp.send_rate_per_second;
  sopt.send_burst = cfg.stomp.send_burst;
  realtime::session_context sctx{chat, workers, sopt, clustered ? &bus : nullptr};

  std::atomic<bool> ready{false};
  http::server* srv_ptr = nullptr;
  rest_api api(chat,
               {[&] {
                  // A node without Redis cannot deliver: the load balancer sends clients elsewhere.
                  return ready.load() &&
                         (!clustered || (redis_bus->connected() && redis_presence->reachable())) &&
                         (!kafka_log || kafka_log->connected());
                },
                [&] {
                  obs::exposition e;
                  e.version = version;
                  e.cluster = clustered;
                  e.gauges = {
                      {"parley_connections", srv_ptr ? double(srv_ptr->connection_count()) : 0},
                      {"parley_rooms_local_interest", double(interest.rooms())}};
                  if (cfg.storage.backend == "sqlite") {
                    auto db_file = (cfg.server.data_dir / "parley.db").string();
                    e.gauges.push_back({"parley_sqlite_db_bytes", obs::file_bytes(db_file)});
                    e.gauges.push_back(
                        {"parley_sqlite_wal_bytes", obs::file_bytes(db_file + "-wal")});
                  }
                  obs::add_disk_gauges(e.gauges, cfg.server.data_dir.string());
                  if (clustered)
                    e.gauges.push_back({"parley_redis_connected", redis_bus->connected() ? 1 : 0});
                  if (kafka_log)
                    e.gauges.push_back(
                        {"parley_kafka_producer_queue", double(kafka_log->producer_queue())});
                  return obs::render(e);
                }},
               &media_svc);

  http::server_handlers handlers;
  handlers.rest = [&](http::request req, std::function<void(http::response)> done) {
    asio::post(workers, [&api, req = std::move(req), done = std::move(done),
                         received = std::chrono::steady_clock::now()] {
      auto res = api.handle(req);
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - received;
      obs::observe_http(req.path, res.status, took.count());
      auto& m = obs::global();
      m.http_requests.fetch_add(1, std::memory_order_relaxed);
      if (res.status >= 500)
        m.http_server_errors.fetch_add(1, std::memory_order_relaxed);
      else if (res.status >= 400)
        m.http_client_errors.fetch_add(1, std::memory_order_relaxed);
      done(std::move(res));
    });
  };
  handlers.stomp = [&](std::shared_ptr<realtime::connection> conn)
      -> std::shared_ptr<realtime::session_handler> {
    auto& ctx = asio::query(conn->executor(), asio::execution::context);
    realtime::hub* h = hub_ptrs[0];
    for (unsigned i = 0; i < shards.size(); ++i)
      if (&shards.at(i) == &ctx) h = hub_ptrs[i];
    auto s = std::make_shared<realtime::stomp_session>(std::move(conn), *h, sctx);
    s->start();
    return s;
  };

  http::server_options hopt;
  std::tie(hopt.address, hopt.port) = split_listen(cfg.server.listen);
  hopt.max_body_bytes = cfg.server.max_body_bytes;
  hopt.max_outbound_bytes = cfg.server.max_outbound_bytes;
  hopt.static_dir = cfg.server.static_dir;
  hopt.trusted_proxies = cfg.server.trusted_proxies;
  // Uploads carry the object itself: the largest any allowed type may be.
  hopt.body_limit_overrides = {{"/media/", media_svc.largest_max_bytes()}};
  // Twice the STOMP frame limit, so an oversized frame reaches the STOMP parser and gets a
  // FRAME_TOO_LARGE ERROR instead of a bare WebSocket close.
  hopt.max_ws_message_bytes = 2 * cfg.stomp.max_frame_bytes + 4096;
  // Installed before anything listens, so a SIGTERM at any point takes the ordered path below.
  asio::io_context main_ctx;
  asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
  signals.async_wait(
      [&](boost::system::error_code, int sig) { spdlog::info("signal {}: shutting down", sig); });

  http::server srv(shards, hopt, handlers);
  srv_ptr = &srv;
  srv.start();
  shards.run();
  ready = true;
  spdlog::info("parley {} listening on http://{}:{} (data {}, storage {}, {} shards{})", version,
               hopt.address, srv.port(), cfg.server.data_dir.string(), describe_storage(cfg), n,
               clustered ? ", cluster node " + node_id + " on Redis " + cfg.cluster.redis +
                             (kafka_log ? ", log on Kafka " + cfg.cluster.kafka : "")
                       : "");

  main_ctx.run();

  // Ordered shutdown: no new connections, tell sessions why they are closing, let the workers
  // finish what they started, commit every queued write, then stop the loops.
  ready = false;
  srv.stop_accepting();
  srv.close_all("Server shutting down");
  workers.join();
  if (redis_presence) redis_presence->leave_cluster();
  if (kafka_log) kafka_log->close();  // flushes the producer, waits for the verdicts
  db.close();
  // Let close frames reach the wire: wait for the connections to go, bounded.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (srv.connection_count() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  shards.stop();
  shards.join();
  spdlog::info("parley stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace
}  // namespace parley::server

int main(int argc, char** argv) {
  using namespace parley::server;
  CLI::App app{"parley: a real-time chat server (STOMP over WebSocket/SockJS, REST, JWT)"};
  app.set_version_flag("--version", std::string("parley ") + version);
  app.require_subcommand(1);
  serve_flags flags;
  auto* serve_cmd = app.add_subcommand("serve", "Run the chat server (all-in-one by default)");
  serve_cmd->add_option("--config", flags.config_file,
                        "TOML configuration file (see parley.example.toml)");
  serve_cmd->add_option("--listen", flags.listen,
                        "host:port to listen on (server.listen, default 127.0.0.1:8080)");
  serve_cmd->add_option("--data-dir", flags.data_dir,
                        "directory for the database, keys and media (server.data_dir)");
  serve_cmd->add_option("--static-dir", flags.static_dir,
                        "built web client to serve at / (server.static_dir)");
  serve_cmd->add_option("--threads", flags.threads,
                        "I/O event loops (server.threads; 0 = one per core)");
  serve_cmd->add_option("--log-level", flags.log_level,
                        "trace|debug|info|warn|error|off (log.level)");
  serve_cmd->add_flag("--demo", flags.demo,
                      "seed demo users alice, bob and carol with a DM and a group");
  serve_cmd->add_flag("--print-config", flags.print_config,
                      "print the effective configuration and exit");
  std::string persist_config;
  auto* persist_cmd = app.add_subcommand(
      "persist", "Run a persistence worker of a cluster: Kafka chat-messages to MariaDB");
  persist_cmd->add_option("--config", persist_config,
                          "TOML configuration file (storage.mariadb.dsn, cluster.redis, cluster.kafka)");
  admin_cli admin(app);
  CLI11_PARSE(app, argc, argv);
  try {
    if (admin.parsed()) return admin.run();
    if (serve_cmd->parsed()) return serve(flags);
    if (persist_cmd->parsed()) return persist(persist_config);
  } catch (const parley::core::unavailable_error& e) {
    // An engine the configuration names is unreachable: a supervisor may retry later.
    std::cerr << "parley: " << e.what() << "\n";
    return exit_unavailable;
  } catch (const std::exception& e) {
    std::cerr << "parley: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
