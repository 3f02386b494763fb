// parley_bench: the load generator (docs/benchmarks.md). It speaks STOMP 1.2 over RFC 6455
// WebSocket to Parley or to RabbitMQ Web-STOMP with the same code, so the two are measured alike.
//
// Process layout: this process is the coordinator; it holds no sockets. It forks one child per
// max_conns_per_process connections (the machine's hard limit is 20,000 descriptors per
// process); each child runs `threads` event loops (worker.hpp). Connection i belongs to child
// i % processes, so every ladder step is shared evenly. Coordinator and children talk in lines
// over pipes: "connect <n>" → "connected ...", "traffic <times>" → "result ...", "quit".
// Results are printed and appended as one JSON line per measurement to --out, which
// bench/report turns into docs/benchmarks.md.
#include "common/histogram.hpp"
#include "common/sys.hpp"
#include "load/plan.hpp"
#include "load/worker.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace parley::bench {
namespace {

namespace json = boost::json;

struct child {
  pid_t pid = 0;
  FILE* to = nullptr;
  FILE* from = nullptr;
};

void sleep_until(std::int64_t t) {
  auto d = t - now_ns();
  if (d > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(d));
}

std::string read_line(FILE* f) {
  std::string line;
  for (int ch; (ch = std::fgetc(f)) != EOF && ch != '\n';) line.push_back(static_cast<char>(ch));
  return line;
}

// ---- the child: event loops over this process's share of the connections ---------------------

std::string encode(const counters& c) {
  std::ostringstream out;
  out << c.connected << ' ' << c.failed << ' ' << c.sent << ' ' << c.skipped << ' ' << c.delivered
      << ' ' << c.delivered_bytes << ' ' << c.receipts << ' ' << c.app_errors << ' '
      << c.stomp_errors << ' ' << c.dropped << '|' << c.delivery_latency.encode() << '|'
      << c.receipt_latency.encode();
  return out.str();
}

counters decode(const std::string& s) {
  counters c;
  auto bar1 = s.find('|'), bar2 = s.find('|', bar1 + 1);
  std::istringstream in(s.substr(0, bar1));
  in >> c.connected >> c.failed >> c.sent >> c.skipped >> c.delivered >> c.delivered_bytes >>
      c.receipts >> c.app_errors >> c.stomp_errors >> c.dropped;
  c.delivery_latency = histogram::decode(s.substr(bar1 + 1, bar2 - bar1 - 1));
  c.receipt_latency = histogram::decode(s.substr(bar2 + 1));
  return c;
}

counters wait_all(std::vector<std::unique_ptr<worker>>& workers) {
  for (auto& w : workers)
    while (!w->done()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  counters sum;
  for (auto& w : workers) sum.merge(w->take());
  return sum;
}

int child_main(const plan& p, std::size_t proc, std::size_t procs, FILE* in, FILE* out) {
  std::vector<std::unique_ptr<worker>> workers;
  for (unsigned t = 0; t < p.opt.threads; ++t) workers.push_back(std::make_unique<worker>(p, t));
  std::uint32_t opened = 0;  // connections [0, opened) of the plan have been handed out
  std::size_t round_robin = 0;
  for (std::string cmd; !(cmd = read_line(in)).empty();) {
    std::istringstream args(cmd);
    std::string verb;
    args >> verb;
    std::string reply;
    if (verb == "connect") {
      std::uint32_t upto = 0;
      args >> upto;
      std::vector<std::vector<std::uint32_t>> share(workers.size());
      for (auto i = opened; i < upto; ++i)
        if (i % procs == proc) share[round_robin++ % workers.size()].push_back(i);
      opened = std::max(opened, upto);
      for (std::size_t w = 0; w < workers.size(); ++w) workers[w]->connect(std::move(share[w]));
      reply = "connected " + encode(wait_all(workers));
    } else if (verb == "traffic") {
      traffic t;
      args >> t.start_ns >> t.measure_ns >> t.end_ns >> t.interval_ns;
      for (auto& w : workers) w->run_traffic(t);
      reply = "result " + encode(wait_all(workers));
    } else if (verb == "quit") {
      for (auto& w : workers) w->close_all();
      wait_all(workers);
      break;
    }
    std::fprintf(out, "%s\n", reply.c_str());
    std::fflush(out);
  }
  return 0;
}

// ---- the coordinator ---------------------------------------------------------------------------

std::vector<child> spawn(const plan& p, std::size_t procs) {
  std::vector<child> kids;
  for (std::size_t k = 0; k < procs; ++k) {
    int down[2], up[2];
    if (::pipe(down) != 0 || ::pipe(up) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(down[1]);
      ::close(up[0]);
      for (auto& kid : kids) std::fclose(kid.to), std::fclose(kid.from);
      FILE* in = ::fdopen(down[0], "r");
      FILE* out = ::fdopen(up[1], "w");
      std::_Exit(child_main(p, k, procs, in, out));
    }
    ::close(down[0]);
    ::close(up[1]);
    kids.push_back({pid, ::fdopen(down[1], "w"), ::fdopen(up[0], "r")});
  }
  return kids;
}

counters command_all(std::vector<child>& kids, const std::string& cmd, const std::string& expect) {
  for (auto& k : kids) std::fprintf(k.to, "%s\n", cmd.c_str()), std::fflush(k.to);
  counters sum;
  for (auto& k : kids) {
    auto line = read_line(k.from);
    if (line.rfind(expect + " ", 0) != 0)
      throw std::runtime_error("a load process died (" + line + ")");
    sum.merge(decode(line.substr(expect.size() + 1)));
  }
  return sum;
}

// The server processes' samples, each and summed (-1 fields when there are none).
struct servers_sample {
  proc_sample total;
  std::vector<proc_sample> each;
};
servers_sample sample_servers(const std::vector<long>& pids) {
  servers_sample s;
  if (pids.empty()) return s;
  s.total = {0, 0};
  for (long pid : pids) {
    auto one = sample_process(pid);
    s.total.rss_kb += one.rss_kb;
    s.total.cpu_seconds += one.cpu_seconds;
    s.each.push_back(one);
  }
  return s;
}

double generator_cpu(const std::vector<child>& kids) {
  double s = 0;
  for (auto& k : kids) s += sample_process(k.pid).cpu_seconds;
  return s;
}

json::object latency_json(const histogram& h) {
  auto us = [&](double q) { return static_cast<double>(h.percentile(q)) / 1000.0; };
  return {{"count", h.count()}, {"p50", us(0.5)},
          {"p90", us(0.9)},     {"p99", us(0.99)},
          {"p999", us(0.999)},  {"max", static_cast<double>(h.max()) / 1000.0}};
}

void emit(const plan& p, json::object r) {
  r.emplace("target", p.opt.target == target_kind::parley ? "parley" : "rabbitmq");
  r.emplace("scenario", p.opt.scenario);
  r.emplace("label", p.opt.label.empty() ? p.opt.scenario : p.opt.label);
  auto line = json::serialize(r);
  std::cout << line << std::endl;
  if (!p.opt.out_file.empty()) std::ofstream(p.opt.out_file, std::ios::app) << line << "\n";
}

// One traffic phase on the open connections: warm up, count for the duration, drain; one result.
void measure_traffic(const plan& p, std::vector<child>& kids, std::size_t connected,
                     std::size_t senders, double rate, unsigned rep) {
  const auto& opt = p.opt;
  traffic t;
  t.start_ns = now_ns() + 300'000'000;
  t.measure_ns = t.start_ns + static_cast<std::int64_t>(opt.warmup_s * 1e9);
  t.end_ns = t.measure_ns + static_cast<std::int64_t>(opt.duration_s * 1e9);
  t.interval_ns =
      rate > 0 ? static_cast<std::int64_t>(1e9 * static_cast<double>(senders) / rate) : 0;
  std::ostringstream cmd;
  cmd << "traffic " << t.start_ns << ' ' << t.measure_ns << ' ' << t.end_ns << ' ' << t.interval_ns;
  for (auto& k : kids) std::fprintf(k.to, "%s\n", cmd.str().c_str()), std::fflush(k.to);
  sleep_until(t.measure_ns);
  auto s0 = sample_servers(opt.server_pids);
  auto g0 = generator_cpu(kids);
  sleep_until(t.end_ns);
  auto s1 = sample_servers(opt.server_pids);
  auto g1 = generator_cpu(kids);
  counters c;
  for (auto& k : kids) {
    auto line = read_line(k.from);
    if (line.rfind("result ", 0) != 0) throw std::runtime_error("a load process died");
    c.merge(decode(line.substr(7)));
  }
  double d = opt.duration_s;
  double server_cpu = s1.total.cpu_seconds - s0.total.cpu_seconds;
  json::array server_cpu_each;
  for (std::size_t i = 0; i < s1.each.size(); ++i)
    server_cpu_each.push_back(s1.each[i].cpu_seconds - s0.each[i].cpu_seconds);
  json::object r{
      {"connections", connected},
      {"senders", senders},
      {"rate_offered", rate},
      {"rep", rep},
      {"window", opt.window},
      {"receipts", opt.receipts},
      {"payload", opt.payload},
      {"duration_s", d},
      {"sent_per_s", static_cast<double>(c.sent) / d},
      {"skipped", c.skipped},
      {"deliveries_per_s", static_cast<double>(c.delivered) / d},
      {"receipts_per_s", static_cast<double>(c.receipts) / d},
      {"frame_bytes",
       c.delivered ? static_cast<double>(c.delivered_bytes) / static_cast<double>(c.delivered) : 0},
      {"delivery_latency_us", latency_json(c.delivery_latency)},
      {"receipt_latency_us", latency_json(c.receipt_latency)},
      {"app_errors", c.app_errors},
      {"stomp_errors", c.stomp_errors},
      {"dropped", c.dropped},
      {"server_cpu_s", opt.server_pids.empty() ? -1.0 : server_cpu},
      {"server_cpu_s_each", std::move(server_cpu_each)},
      {"generator_cpu_s", g1 - g0}};
  auto units = c.delivered ? c.delivered : c.receipts;
  if (!opt.server_pids.empty() && units)
    r.emplace("server_us_per_unit", 1e6 * server_cpu / static_cast<double>(units));
  emit(p, std::move(r));
}

int coordinate(const plan& p) {
  const auto& opt = p.opt;
  std::size_t total = opt.steps.back();
  std::size_t procs = (total + opt.max_conns_per_process - 1) / opt.max_conns_per_process;
  auto kids = spawn(p, procs);
  auto base = sample_servers(opt.server_pids).total;
  auto base_kernel = sample_kernel();
  std::size_t connected = 0;
  int status = 0;
  try {
    for (auto step : opt.steps) {
      auto t0 = now_ns();
      auto c = command_all(kids, "connect " + std::to_string(step), "connected");
      double secs = static_cast<double>(now_ns() - t0) / 1e9;
      auto added = c.connected;
      connected += c.connected;
      std::cerr << "connected " << connected << " (+" << added << " in " << secs << " s, "
                << c.failed << " failed)\n";
      if (opt.scenario != "idle") continue;
      std::this_thread::sleep_for(std::chrono::duration<double>(opt.settle_s));
      auto s = sample_servers(opt.server_pids).total;
      auto k = sample_kernel();
      double per_conn =
          connected ? 1024.0 * static_cast<double>(s.rss_kb - base.rss_kb) / connected : 0;
      emit(p,
           {{"connections", connected},
            {"step", step},
            {"failed", c.failed},
            {"subscriptions_per_connection", opt.subscriptions},
            {"connect_per_s", static_cast<double>(added) / secs},
            {"server_rss_kb", s.rss_kb},
            {"server_rss_bytes_per_connection", per_conn},
            {"kernel_slab_bytes_per_connection",
             connected ? 1024.0 * static_cast<double>(k.slab_kb - base_kernel.slab_kb) / connected
                       : 0},
            {"tcp_mem_pages", k.tcp_mem_pages}});
    }
    if (opt.scenario != "idle") {
      std::size_t senders = 0;
      for (std::size_t i = 0; i < total; ++i) senders += p.sender[i];
      for (double rate : opt.rates)
        for (unsigned rep = 0; rep < opt.repeat; ++rep)
          measure_traffic(p, kids, connected, senders, rate, rep);
    }
    for (auto& k : kids) std::fprintf(k.to, "quit\n"), std::fflush(k.to);
  } catch (const std::exception& e) {
    std::cerr << "parley_bench: " << e.what() << "\n";
    status = 1;
  }
  for (auto& k : kids) {
    std::fclose(k.to);
    int ws = 0;
    ::waitpid(k.pid, &ws, 0);
  }
  return status;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  using namespace parley::bench;
  CLI::App app{
      "parley_bench: STOMP-over-WebSocket load generator for Parley and RabbitMQ Web-STOMP"};
  plan p;
  auto& o = p.opt;
  std::string target = "parley", senders = "auto";
  std::vector<std::string> urls;
  std::size_t connections = 1000;
  app.add_option("--target", target, "parley | rabbitmq")
      ->check(CLI::IsMember({"parley", "rabbitmq"}));
  app.add_option("--url", urls,
                 "ws://127.0.0.1:PORT/path (Parley: /ws/websocket; RabbitMQ: /ws); several "
                 "(a cluster's nodes): connection i goes to the (i mod n)th, same path")
      ->required();
  app.add_option("--users", o.users_file,
                 "JSON lines from `parley admin mint-users` (tokens and rooms)")
      ->required();
  app.add_option("--scenario", o.scenario, "idle | fanout | dm | durable")
      ->check(CLI::IsMember({"idle", "fanout", "dm", "durable"}));
  app.add_option("--label", o.label, "name of this measurement in the results");
  app.add_option("--connections", connections, "connections (users 0..N-1 of the file)");
  app.add_option("--steps", o.steps, "idle: connection counts to stop at and measure (ladder)")
      ->delimiter(',');
  app.add_option("--subscriptions", o.subscriptions,
                 "rooms each connection subscribes to (its first N)");
  app.add_option("--senders", senders, "auto | none | room-first | all");
  app.add_option(
         "--rate", o.rates,
         "messages/s offered in total, one phase per value (0 = as fast as the window allows)")
      ->delimiter(',');
  app.add_option("--repeat", o.repeat, "phases per rate on the same connections");
  app.add_option("--window", o.window, "messages in flight per sender at most");
  app.add_flag("--receipts", o.receipts, "ask a RECEIPT for every SEND (durable scenario)");
  app.add_option("--payload", o.payload, "message content characters");
  app.add_option("--warmup", o.warmup_s, "seconds of traffic before counting");
  app.add_option("--duration", o.duration_s, "seconds counted");
  app.add_option("--settle", o.settle_s, "idle: seconds before reading the server's memory");
  app.add_option("--threads", o.threads, "event loops per process");
  app.add_option("--max-conns-per-process", o.max_conns_per_process,
                 "fork another process past this");
  app.add_option("--connect-concurrency", o.connect_concurrency,
                 "handshakes in flight per event loop");
  app.add_option("--server-pid", o.server_pids,
                 "server process (several: a cluster's): RSS and CPU are read from /proc");
  app.add_option("--out", o.out_file, "append the results as JSON lines to this file");
  CLI11_PARSE(app, argc, argv);
  try {
    o.target = target == "rabbitmq" ? target_kind::rabbitmq : target_kind::parley;
    for (std::size_t i = 0; i < urls.size(); ++i) {
      auto rest = urls[i].substr(urls[i].find("://") + 3);
      auto slash = rest.find('/');
      endpoint e;
      e.host_header = rest.substr(0, slash);
      auto path = slash == std::string::npos ? "/" : rest.substr(slash);
      if (i == 0) o.path = path;
      if (path != o.path) throw std::runtime_error("every --url needs the same path");
      auto colon = e.host_header.rfind(':');
      e.host = e.host_header.substr(0, colon);
      if (!parse_ipv4(e.host, std::stoi(e.host_header.substr(colon + 1)), e.address))
        throw std::runtime_error("--url needs a numeric IPv4 host");
      p.servers.push_back(std::move(e));
    }
    if (o.steps.empty()) o.steps.push_back(connections);
    if (o.rates.empty()) o.rates.push_back(0);
    std::sort(o.steps.begin(), o.steps.end());
    if (senders == "auto")
      senders = o.scenario == "idle" ? "none" : o.scenario == "fanout" ? "room-first" : "all";
    o.senders = senders == "none"  ? sender_rule::none
                : senders == "all" ? sender_rule::all
                                   : sender_rule::room_first;
    if (o.scenario == "durable") o.receipts = true;
    p.users = load_users(o.users_file, o.steps.back());
    p.sender = choose_senders(p.users, o.senders);
    p.nonce = std::to_string(now_ns() % 1'000'000'007);
    auto limit = raise_fd_limit();
    if (std::min(o.max_conns_per_process, o.steps.back()) + 64 > limit)
      std::cerr << "parley_bench: fd limit " << limit << " is below --max-conns-per-process\n";
    std::signal(SIGPIPE, SIG_IGN);
    return coordinate(p);
  } catch (const std::exception& e) {
    std::cerr << "parley_bench: " << e.what() << "\n";
    return 2;
  }
}
