#include "server/persist.hpp"

#include "cluster/kafka_log.hpp"
#include "cluster/persistence_worker.hpp"
#include "http/server.hpp"
#include "obs/metrics.hpp"
#include "realtime/shards.hpp"
#include "server/startup.hpp"
#include "server/storage.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <thread>

#include <unistd.h>

namespace parley::server {

namespace {

// The worker speaks no STOMP: a WebSocket that reaches it is closed at once.
class no_session final : public realtime::session_handler {
 public:
  void on_data(std::string_view) override {}
  void on_close() override {}
};

http::response metrics_of(const cluster::persistence_worker& w) {
  auto c = w.counters();
  std::vector<std::pair<std::string, double>> counters = {
      {"parley_persist_records_total", double(c.records)},
      {"parley_persist_poison_total", double(c.poison)},
      {"parley_persist_retries_total", double(c.retries)},
      {"parley_persist_unpublished_total", double(c.unpublished)},
      {"parley_persist_batches_total", double(c.batches)}};
  std::vector<std::pair<std::string, double>> gauges;
  double total = 0;
  for (auto& l : w.lag()) {
    gauges.push_back({"parley_persist_partition_lag_records{topic=\"" + l.topic + "\",partition=\"" +
                          std::to_string(l.partition) + "\"}",
                      double(l.lag)});
    total += double(l.lag);
  }
  gauges.push_back({"parley_persist_lag_records", total});
  gauges.push_back({"parley_redis_connected", w.redis_connected() ? 1.0 : 0.0});
  http::response res;
  res.content_type = "text/plain; version=0.0.4";
  obs::exposition e;
  e.who = obs::exposition::role::persist;
  e.version = PARLEY_VERSION;
  e.gauges = std::move(gauges);
  e.counters = std::move(counters);
  res.body = obs::render(e);
  return res;
}

}  // namespace

int persist(const std::string& config_file) {
  auto cfg = load_config(config_file);
  setup_logging(cfg.log);
  if (cfg.storage.backend != "mariadb" || cfg.cluster.redis.empty() || cfg.cluster.kafka.empty())
    throw std::runtime_error(
        "parley persist needs storage.backend = \"mariadb\", cluster.redis and cluster.kafka");
  core::system_clock clock;
  auto storage = open_storage(cfg, clock);
  cluster::ensure_log_topics(cfg.cluster.kafka, cfg.cluster.kafka_topic,
                             cfg.cluster.kafka_partitions);
  const std::string member = "persist-" + host_name() + "-" + std::to_string(::getpid());

  cluster::persistence_options o;
  o.consumer.bootstrap = o.producer.bootstrap = cfg.cluster.kafka;
  o.consumer.client_id = o.producer.client_id = member;
  o.redis = redis_options(cfg.cluster.redis);
  o.prefix = cfg.cluster.prefix;
  o.topic = cfg.cluster.kafka_topic;
  o.consumer.group_id = cfg.cluster.kafka_group;
  o.consumer.instance_id = cfg.cluster.persist_instance;
  cluster::persistence_worker worker(o, *storage);

  realtime::shards shards(1);
  http::server_handlers handlers;
  std::atomic<bool> stop{false};
  handlers.rest = [&](http::request req, std::function<void(http::response)> done) {
    if (req.path == "/metrics") return done(metrics_of(worker));
    if (req.path == "/healthz" || req.path == "/readyz") {
      http::response res;
      res.status = stop.load() ? 503 : 200;
      res.body = stop.load() ? R"({"status":"stopping"})" : R"({"status":"ok"})";
      return done(res);
    }
    http::response res;
    res.status = 404;
    res.body = R"({"status":404,"message":"Not found"})";
    done(res);
  };
  handlers.stomp = [](std::shared_ptr<realtime::connection> conn) {
    conn->close();
    return std::make_shared<no_session>();
  };
  http::server_options hopt;
  std::tie(hopt.address, hopt.port) = split_listen(cfg.cluster.persist_listen,
                                                   "cluster.persist_listen");
  boost::asio::io_context main_ctx;
  boost::asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("signal {}: stopping the worker", sig);
    stop = true;
  });
  http::server srv(shards, hopt, handlers);
  srv.start();
  shards.run();
  spdlog::info(
      "parley persist {} on Kafka {} ({}, group {}{}{}), MariaDB {}, Redis {}; metrics on {}:{}",
      member, cfg.cluster.kafka, cfg.cluster.kafka_topic, cfg.cluster.kafka_group,
      o.consumer.instance_id.empty() ? "" : ", instance ", o.consumer.instance_id,
      describe_storage(cfg), cfg.cluster.redis, hopt.address, srv.port());
  std::thread runner([&] {
    try {
      worker.run(stop);
    } catch (const std::exception& e) {
      spdlog::error("persist: {}", e.what());
    }
    stop = true;
    boost::asio::post(main_ctx, [&] { signals.cancel(); });
  });
  main_ctx.run();
  stop = true;
  runner.join();
  storage->close();
  srv.stop_accepting();
  srv.close_all();
  shards.stop();
  shards.join();
  spdlog::info("parley persist stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace parley::server
