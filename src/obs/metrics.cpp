#include "obs/metrics.hpp"

#include <cstdio>

namespace parley::obs {

counters& global() {
  static counters c;
  return c;
}

std::string render(const std::vector<std::pair<std::string, double>>& gauges,
                   const std::vector<std::pair<std::string, double>>& counters) {
  auto& c = global();
  std::string out;
  auto counter = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
    out += "# HELP " + std::string(name) + " " + help + "\n# TYPE " + name + " counter\n" + name +
           " " + std::to_string(v.load(std::memory_order_relaxed)) + "\n";
  };
  counter("parley_http_requests_total", "REST requests answered", c.http_requests);
  counter("parley_http_client_errors_total", "REST answers with a 4xx status",
          c.http_client_errors);
  counter("parley_http_server_errors_total", "REST answers with a 5xx status",
          c.http_server_errors);
  counter("parley_stomp_sessions_opened_total", "STOMP sessions opened", c.stomp_sessions_opened);
  counter("parley_stomp_sessions_closed_total", "STOMP sessions closed", c.stomp_sessions_closed);
  counter("parley_stomp_errors_total", "STOMP ERROR frames sent", c.stomp_errors);
  counter("parley_slow_consumers_total", "sessions dropped for a full outbound queue",
          c.slow_consumers);
  counter("parley_messages_committed_total", "messages durably committed", c.messages_committed);
  counter("parley_deliveries_total", "MESSAGE frames queued to subscribers", c.deliveries);
  counter("parley_store_commits_total", "write transactions committed (one fsync each)",
          c.store_commits);
  counter("parley_store_jobs_total", "write jobs committed in them (divide for the batch size)",
          c.store_jobs);
  auto samples = [&](const std::vector<std::pair<std::string, double>>& values,
                     const char* type) {
    std::string_view family;  // a name's part before its labels: one TYPE line per family
    for (auto& [name, v] : values) {
      std::string_view base = std::string_view(name).substr(0, name.find('{'));
      if (base != family) out += "# TYPE " + std::string(base) + " " + type + "\n";
      family = base;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      out += name + " " + buf + "\n";
    }
  };
  samples(counters, "counter");
  samples(gauges, "gauge");
  return out;
}

}  // namespace parley::obs
