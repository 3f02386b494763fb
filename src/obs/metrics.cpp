#include "obs/metrics.hpp"

#include "core/path.hpp"

#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley::obs {

counters& global() {
  static counters c;
  return c;
}

namespace {

constexpr std::array<std::string_view, 21> routes = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/.well-known/jwks.json",
    "/auth/{action}",
    "/media/{key}",
    "/users/me",
    "/users/lookup",
    "/users/search",
    "/storage/presigned-url",
    "/chat/user-status/batch",
    "/chat/messages/{id}",
    "/chat/rooms",
    "/chat/rooms/my",
    "/chat/rooms/{id}",
    "/chat/rooms/{id}/members",
    "/chat/rooms/{id}/members/{user}",
    "/chat/rooms/{id}/members/{user}/admin",
    "/chat/rooms/{id}/messages",
    "/chat/rooms/{id}/read",
    "other"};
constexpr std::array<std::string_view, 4> status_classes = {"2xx", "3xx", "4xx", "5xx"};

struct request_timings {
  std::vector<histogram> http;  // routes x status classes
  histogram argon2_hash{latency_buckets()};
  histogram argon2_verify{latency_buckets()};
  request_timings() {
    http.reserve(routes.size() * status_classes.size());
    for (std::size_t i = 0; i < routes.size() * status_classes.size(); ++i)
      http.emplace_back(latency_buckets());
  }
};

request_timings& timing() {
  static request_timings t;
  return t;
}

// CPU seconds, resident bytes and open descriptors of this process, from /proc (Linux).
void process_metrics(std::string& out) {
  auto gauge = [&](const char* name, const char* type, const char* help, double v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + sample_value(v) + "\n";
  };
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  gauge("process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds.",
        double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
  long pages = 0, resident = 0;
  if (std::ifstream statm("/proc/self/statm"); statm >> pages >> resident)
    gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
          double(resident) * double(::sysconf(_SC_PAGESIZE)));
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  gauge("process_open_fds", "gauge", "Number of open file descriptors.", double(fds));
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0)
    gauge("process_max_fds", "gauge", "Maximum number of open file descriptors.",
          double(rl.rlim_cur));
  static const double started = [] {
    // Field 22 of /proc/self/stat: start time in clock ticks after boot.
    std::ifstream stat("/proc/self/stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 22 && rest >> field; ++i) {
    }
    double ticks = 0;
    rest >> ticks;
    double boot = 0;
    std::ifstream uptime("/proc/uptime");
    uptime >> boot;
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return double(now.tv_sec) - boot + ticks / double(::sysconf(_SC_CLK_TCK));
  }();
  gauge("process_start_time_seconds", "gauge", "Start time of the process since unix epoch.",
        started);
}

// HELP text of the gauges and counters a caller passes to render() (docs/metrics.md).
std::string help_of(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> known[] = {
      {"parley_up", "1 while the process answers"},
      {"parley_connections", "TCP connections open (HTTP, WebSocket, SockJS)"},
      {"parley_rooms_local_interest", "rooms with at least one subscriber on this node"},
      {"parley_sqlite_wal_bytes", "size of the SQLite write-ahead log"},
      {"parley_sqlite_db_bytes", "size of the SQLite database file"},
      {"parley_data_dir_free_bytes",
       "free space for unprivileged users on the data directory's file system"},
      {"parley_data_dir_capacity_bytes", "size of the data directory's file system"},
      {"parley_redis_connected", "1 while the node's Redis connections are up"},
      {"parley_kafka_producer_queue", "records queued or in flight in the Kafka producer"},
      {"parley_persist_records_total", "records of the log applied to MariaDB"},
      {"parley_persist_poison_total", "records sent to the dead-letter topic"},
      {"parley_persist_retries_total", "batches retried after a MariaDB failure"},
      {"parley_persist_unpublished_total", "verdicts that could not be published on Redis"},
      {"parley_persist_batches_total", "MariaDB transactions that applied records"},
      {"parley_persist_partition_lag_records", "records of the partition not yet applied"},
      {"parley_persist_lag_records", "records not yet applied, over every partition"}};
  for (auto& [n, h] : known)
    if (n == name) return std::string(h);
  std::string words(name);  // a name nobody described: its words
  for (auto& c : words)
    if (c == '_') c = ' ';
  return words;
}

// The index in `routes` of the template `path` matches.
std::size_t route_index(std::string_view path) {
  auto seg = core::path_segments(path);
  auto n = seg.size();
  auto at = [&](std::size_t i) { return i < n ? seg[i] : std::string_view(); };
  if (n == 1 && (seg[0] == "healthz" || seg[0] == "readyz" || seg[0] == "metrics"))
    return seg[0] == "healthz" ? 0 : seg[0] == "readyz" ? 1 : 2;
  if ((n == 2 && at(0) == ".well-known" && at(1) == "jwks.json") ||
      (n == 3 && at(0) == "auth" && at(1) == ".well-known" && at(2) == "jwks.json"))
    return 3;
  if (n == 2 && at(0) == "auth") return 4;
  if (n >= 1 && at(0) == "media") return 5;
  if (n == 2 && at(0) == "users") {
    if (at(1) == "me") return 6;
    if (at(1) == "lookup") return 7;
    if (at(1) == "search") return 8;
  }
  if (n == 2 && at(0) == "storage" && at(1) == "presigned-url") return 9;
  if (n < 2 || at(0) != "chat") return 20;
  if (n == 3 && at(1) == "user-status" && at(2) == "batch") return 10;
  if (n == 3 && at(1) == "messages") return 11;
  if (at(1) != "rooms") return 20;
  if (n == 2) return 12;
  if (n == 3) return at(2) == "my" ? 13 : 14;
  if (n == 4 && at(3) == "members") return 15;
  if (n == 5 && at(3) == "members") return 16;
  if (n == 6 && at(3) == "members" && at(5) == "admin") return 17;
  if (n == 4 && at(3) == "messages") return 18;
  if (n == 4 && at(3) == "read") return 19;
  return 20;
}

}  // namespace

std::string_view http_route(std::string_view path) { return routes[route_index(path)]; }

void observe_http(std::string_view path, int status, double seconds) {
  std::size_t r = route_index(path);
  std::size_t c = status >= 500 ? 3 : status >= 400 ? 2 : status >= 300 ? 1 : 0;
  timing().http[r * status_classes.size() + c].observe(seconds);
}

void observe_argon2(bool hash, double seconds) {
  (hash ? timing().argon2_hash : timing().argon2_verify).observe(seconds);
}

histograms& timings() {
  static histograms h;
  return h;
}

void add_disk_gauges(samples& gauges, const std::string& dir) {
  struct statvfs fs{};
  if (::statvfs(dir.c_str(), &fs) != 0) return;
  auto unit = double(fs.f_frsize);
  gauges.push_back({"parley_data_dir_free_bytes", double(fs.f_bavail) * unit});
  gauges.push_back({"parley_data_dir_capacity_bytes", double(fs.f_blocks) * unit});
}

double file_bytes(const std::string& file) {
  std::error_code ec;
  auto n = std::filesystem::file_size(file, ec);
  return ec ? 0 : double(n);
}

std::string render(const exposition& e) {
  const bool node = e.who == exposition::role::serve;
  auto& c = global();
  std::string out;
  auto head = [&](std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name);
    out.append(" ").append(type).append("\n");
  };
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    head(name, "counter", help);
    out.append(name).append(" ").append(std::to_string(v)).append("\n");
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    head(name, "gauge", help);
    out.append(name).append(" ").append(sample_value(v)).append("\n");
  };
  auto hist = [&](const char* name, const char* help, const histogram& h) {
    head(name, "histogram", help);
    render_histogram(out, name, "", h.read());
  };
  auto load = [](const auto& v) { return v.load(std::memory_order_relaxed); };
  gauge("parley_up", "1 while the process answers", 1);
  head("parley_build_info", "gauge", "always 1; the version and role of the process");
  out.append("parley_build_info{version=\"").append(e.version).append("\",role=\"");
  out.append(node ? "serve" : "persist").append("\"} 1\n");
  auto& t = timing();
  auto& h = timings();
  if (node) {
    counter("parley_http_requests_total", "REST requests answered", load(c.http_requests));
    counter("parley_http_client_errors_total", "REST answers with a 4xx status",
            load(c.http_client_errors));
    counter("parley_http_server_errors_total", "REST answers with a 5xx status",
            load(c.http_server_errors));
    counter("parley_stomp_sessions_opened_total", "STOMP sessions opened",
            load(c.stomp_sessions_opened));
    counter("parley_stomp_sessions_closed_total", "STOMP sessions closed",
            load(c.stomp_sessions_closed));
    counter("parley_stomp_errors_total", "STOMP ERROR frames sent", load(c.stomp_errors));
    counter("parley_slow_consumers_total", "sessions dropped for a full outbound queue",
            load(c.slow_consumers));
    counter("parley_messages_committed_total", "messages durably committed",
            load(c.messages_committed));
    counter("parley_deliveries_total", "MESSAGE frames queued to subscribers", load(c.deliveries));
    counter("parley_store_commits_total", "write transactions committed (one fsync each)",
            load(c.store_commits));
    counter("parley_store_jobs_total", "write jobs committed in them (divide for the batch size)",
            load(c.store_jobs));
    auto opened = load(c.stomp_sessions_opened), closed = load(c.stomp_sessions_closed);
    gauge("parley_stomp_sessions", "STOMP sessions open",
          double(opened - std::min(opened, closed)));
    gauge("parley_subscriptions", "STOMP subscriptions open",
          double(std::max<std::int64_t>(0, load(c.subscriptions))));
    gauge("parley_store_writer_queue_depth", "write jobs waiting for the writer",
          double(std::max<std::int64_t>(0, load(c.writer_queue_depth))));
    head("parley_http_request_duration_seconds", "histogram",
         "REST request received to answer handed to the connection");
    for (std::size_t r = 0; r < routes.size(); ++r)
      for (std::size_t k = 0; k < status_classes.size(); ++k) {
        auto snap = t.http[r * status_classes.size() + k].read();
        if (snap.cumulative.back() == 0) continue;  // only the pairs that were seen
        render_histogram(out, "parley_http_request_duration_seconds",
                         "route=\"" + std::string(routes[r]) + "\",status=\"" +
                             std::string(status_classes[k]) + "\"",
                         snap);
      }
    head("parley_argon2_seconds", "histogram", "one password hash or verification");
    render_histogram(out, "parley_argon2_seconds", "op=\"hash\"", t.argon2_hash.read());
    render_histogram(out, "parley_argon2_seconds", "op=\"verify\"", t.argon2_verify.read());
    hist("parley_send_receipt_seconds",
         "a SEND frame parsed to its message durable and its RECEIPT queued", h.send_receipt);
    hist("parley_fanout_message_seconds", "one message queued to a shard's subscribers of it",
         h.fanout_message);
    hist("parley_fanout_delivery_seconds", "the same time shared out per delivery",
         h.fanout_delivery);
    hist("parley_outbound_queue_bytes", "bytes waiting on a connection when a socket write starts",
         h.outbound_queue);
    hist("parley_store_commit_seconds", "one write transaction of the node's store",
         h.store_commit);
    hist("parley_store_commit_jobs", "write jobs in that transaction", h.store_commit_jobs);
    if (e.cluster)
      hist("parley_kafka_delivery_seconds", "a record produced to its delivery report",
           h.kafka_delivery);
  } else {
    hist("parley_persist_batch_seconds", "one batch: decode, MariaDB transaction, offset commit",
         h.persist_batch);
    hist("parley_persist_batch_records", "records in that batch", h.persist_batch_records);
  }
  if (e.cluster || !node) {
    counter("parley_redis_reconnects_total", "Redis connections re-established",
            load(c.redis_reconnects));
    hist("parley_redis_round_trip_seconds", "a Redis command sent to its reply",
         h.redis_round_trip);
    hist("parley_mariadb_pool_wait_seconds", "waiting for a pooled MariaDB connection",
         h.mariadb_pool_wait);
  }
  process_metrics(out);
  auto samples = [&](const obs::samples& values, std::string_view type) {
    std::string_view family;  // a name's part before its labels: one TYPE line per family
    for (auto& [name, v] : values) {
      std::string_view base = std::string_view(name).substr(0, name.find('{'));
      if (base != family) head(base, type, help_of(base));
      family = base;
      out.append(name).append(" ").append(sample_value(v)).append("\n");
    }
  };
  samples(e.counters, "counter");
  samples(e.gauges, "gauge");
  return out;
}

}  // namespace parley::obs
