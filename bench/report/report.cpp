// parley_bench_report: turns one run-all.sh run into docs/benchmarks.md and the gnuplot inputs
// for docs/bench/*.png. Inputs: the JSON lines parley_bench and raw_fanout appended (one per
// measured phase), Google Benchmark's JSON, the machine facts the script gathered, the top of the
// perf profile, and bench/analysis.md (the hand-written reading of the profile). Repeated phases
// are reduced to their median, and every ratio compares numbers taken in this same run. The
// MariaDB and baseline passes run the durable and fan-out scenarios under labels with a suffix
// (durable-mariadb, fanout-10-baseline, ...); their sections compare them with the plain labels.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;

struct inputs {
  std::string results, micro, facts, profile, syscalls, analysis, out_md, plot_dir, png_dir;
  std::string mariadb_parley_profile, mariadb_server_profile;  // the MariaDB pass's durable run
  double syscalls_seconds = 4;  // how long perf stat counted (bench/run-all.sh)
  double fixed_deliveries = 5000;
  unsigned window = 8;
};

std::string slurp(const std::string& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

double num(const json::object& o, std::string_view key, double fallback = NAN) {
  auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : fallback;
}
std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Every result line, and lookups that take the median over repeated phases.
class results {
 public:
  explicit results(const std::string& file) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line.front() == '{') rows_.push_back(json::parse(line).as_object());
  }

  using pred = std::function<bool(const json::object&)>;

  std::vector<const json::object*> select(const pred& p) const {
    std::vector<const json::object*> out;
    for (auto& r : rows_)
      if (p(r)) out.push_back(&r);
    return out;
  }

  // Median of `path` ("a" or "a.b") over the rows matching `p`; NaN when none.
  double med(const pred& p, const std::string& path) const {
    std::vector<double> v;
    for (auto* r : select(p)) v.push_back(get(*r, path));
    return median(v);
  }
  std::size_t count(const pred& p) const { return select(p).size(); }

  static double get(const json::object& r, const std::string& path) {
    auto dot = path.find('.');
    if (dot == std::string::npos) return num(r, path);
    auto* inner = r.if_contains(path.substr(0, dot));
    return inner && inner->is_object() ? num(inner->as_object(), path.substr(dot + 1)) : NAN;
  }

 private:
  std::vector<json::object> rows_;
};

// `connections` matches an idle result's ladder step (a broker may accept fewer) or else the count.
results::pred is(std::string target, std::string label, std::optional<double> rate = std::nullopt,
                 std::optional<double> connections = std::nullopt) {
  return [=](const json::object& r) {
    return str(r, "target") == target && str(r, "label") == label &&
           (!rate || std::abs(num(r, "rate_offered") - *rate) < 1e-6) &&
           (!connections || std::abs(num(r, "step", num(r, "connections")) - *connections) < 0.5);
  };
}

// ---- formatting ----------------------------------------------------------------------------

std::string fmt(double v, int digits = 0) {
  if (std::isnan(v)) return "–";
  char buf[64];
  if (std::abs(v) >= 10000 && digits == 0) {
    std::string s = std::to_string(static_cast<long long>(std::llround(v)));
    for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3)
      s.insert(static_cast<std::size_t>(i), ",");
    return s;
  }
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string ms(double us) { return std::isnan(us) ? "–" : fmt(us / 1000.0, us < 10000 ? 2 : 1); }
std::string ratio(double a, double b) {
  if (std::isnan(a) || std::isnan(b) || b == 0) return "–";
  double r = a / b;
  return fmt(r, r < 10 ? 2 : 1) + "×";
}
std::string met(std::optional<bool> ok) {
  return !ok ? "not measured" : *ok ? "**met**" : "**not met**";
}
// The change from `before` to `after` in percent, signed.
std::string change(double before, double after) {
  if (std::isnan(before) || std::isnan(after) || before == 0) return "–";
  double pct = (after / before - 1) * 100;
  return (pct > 0 ? "+" : pct < 0 ? "−" : "") + fmt(std::abs(pct), 1) + " %";
}
std::string table_cell(std::string s) {
  std::replace(s.begin(), s.end(), '|', '/');
  return s;
}

// A flat perf profile ("  12.34%  dso  [k] symbol" lines from `perf report --sort dso,symbol`),
// hottest first; empty when the file is missing.
struct sample {
  double pct;
  std::string dso, sym;
};
std::vector<sample> read_profile(const std::string& file) {
  std::ifstream in(file);
  std::vector<sample> samples;
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::string pct, dso, kind;
    if (!(l >> pct >> dso >> kind) || pct.back() != '%') continue;
    std::string sym;
    std::getline(l, sym);
    sym.erase(0, sym.find_first_not_of(' '));
    sym = sym.substr(0, sym.find("  "));  // perf pads the symbol column and appends more
    samples.push_back({std::stod(pct), dso, kind == "[k]" ? "[k] " + sym : sym});
  }
  return samples;
}

std::map<std::string, std::string> read_facts(const std::string& file) {
  std::map<std::string, std::string> facts;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto tab = line.find('\t');
    if (tab != std::string::npos)
      facts[line.substr(0, tab)] +=
          (facts.count(line.substr(0, tab)) ? "\n" : "") + line.substr(tab + 1);
  }
  return facts;
}

// ---- the document --------------------------------------------------------------------------

// The passes that run the durable and fan-out scenarios again: label suffix, name in the tables.
const std::pair<std::string, std::string> other_passes[] = {{"-mariadb", "parley on MariaDB"},
                                                             {"-baseline", "parley at baseline"}};

struct writer {
  const inputs& in;
  const results& r;
  std::map<std::string, std::string> facts;
  std::ostringstream md;
  std::vector<std::string> targets_rows;

  std::string fact(const std::string& k) const {
    auto it = facts.find(k);
    return it == facts.end() ? "?" : it->second;
  }
  bool has(const std::string& k) const { return facts.count(k) != 0; }
  double fact_num(const std::string& k) const {
    try {
      return has(k) ? std::stod(fact(k)) : NAN;
    } catch (const std::exception&) {
      return NAN;
    }
  }

  // Every ladder step of an idle run, ascending.
  std::vector<double> idle_steps() const {
    std::vector<double> steps;
    for (auto* row : r.select([](const json::object& o) { return str(o, "label") == "idle"; }))
      steps.push_back(num(*row, "step", num(*row, "connections")));
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
    return steps;
  }

  void target_row(const std::string& target, const std::string& measured, std::optional<bool> ok) {
    targets_rows.push_back("| " + target + " | " + measured + " | " + met(ok) + " |");
  }

  void machine() {
    md << "## Machine and run\n\n"
       << "| | |\n|---|---|\n"
       << "| date | " << fact("date") << " |\n"
       << "| CPU | " << fact("cpu") << " (" << fact("cores") << " cores) |\n"
       << "| memory | " << fact("memory") << " |\n"
       << "| kernel | " << fact("kernel") << " |\n"
       << "| fd limit per process | " << fact("fd_limit") << " |\n"
       << "| Parley | " << fact("parley") << " (" << fact("parley_threads") << " shards) |\n"
       << "| RabbitMQ | " << fact("rabbitmq") << " |\n";
    if (has("mariadb")) md << "| MariaDB | " << fact("mariadb") << " |\n";
    if (has("baseline")) md << "| baseline revision | " << table_cell(fact("baseline")) << " |\n";
    md << "| load average before / after | " << fact("load_before") << " / " << fact("load_after")
       << " |\n"
       << "| repetitions | " << fact("reps") << " per small scenario (medians below) |\n\n";
    if (fact("shared") == "yes")
      md << "**This run was on a shared, loaded machine** (other engineers' builds were running: "
            "see "
            "the load averages), with the load generator, the server and the other work on the "
            "same "
            "2 cores. Absolute numbers are noisy (±30 % run to run is normal here); the ratios "
            "compare numbers taken minutes apart in the same run.\n\n";
    md << "Reproduce: `" << fact("command") << "` (about " << fact("minutes")
       << " minutes). The script's steps, each a plain command:\n\n```\n"
       << fact("commands") << "\n```\n\n";
  }

  void headline() {
    md << "## Parley vs RabbitMQ Web-STOMP vs the raw-socket limit\n\n"
       << "Fan-out: rooms of K members, 2,000 connections, one sender per room keeping "
       << in.window
       << " messages in flight (closed loop, \"max\"); deliveries/s counted at the receivers. "
       << "The raw limit writes Parley's MESSAGE frame (same size on the wire) to the same number "
          "of "
       << "loopback sockets: `writev` ×" << in.window
       << " = the same batching a server can do with " << in.window
       << " messages in flight, `write` ×1 = one system call per delivery.\n\n"
       << "| measurement | Parley | RabbitMQ | raw writev ×" << in.window
       << " | raw write ×1 | Parley / RabbitMQ | Parley / raw writev "
          "|\n|---|---|---|---|---|---|---|\n";
    double raw_b = r.med(is("raw", "raw-2000-b" + std::to_string(in.window)), "deliveries_per_s");
    double raw_1 = r.med(is("raw", "raw-2000-b1"), "deliveries_per_s");
    for (int k : {10, 100, 1000}) {
      auto label = "fanout-" + std::to_string(k);
      double p = r.med(is("parley", label, 0.0, 2000.0), "deliveries_per_s");
      double q = r.med(is("rabbitmq", label, 0.0, 2000.0), "deliveries_per_s");
      md << "| fan-out K=" << k << ", deliveries/s | " << fmt(p) << " | " << fmt(q) << " | "
         << fmt(raw_b) << " | " << fmt(raw_1) << " | " << ratio(p, q) << " | " << ratio(p, raw_b)
         << " |\n";
      target_row("fan-out K=" + std::to_string(k) + ": ≥ 10× RabbitMQ", ratio(p, q),
                 std::isnan(p) || std::isnan(q) ? std::nullopt : std::optional<bool>(p >= 10 * q));
      target_row("fan-out K=" + std::to_string(k) + ": ≥ 0.7× raw limit (writev ×" +
                     std::to_string(in.window) + ")",
                 ratio(p, raw_b),
                 std::isnan(p) || std::isnan(raw_b) ? std::nullopt
                                                    : std::optional<bool>(p >= 0.7 * raw_b));
    }
    for (int k : {10, 100, 1000}) {
      auto label = "fanout-" + std::to_string(k);
      double rate = in.fixed_deliveries / k;
      double p50 = r.med(is("parley", label, rate, 2000.0), "delivery_latency_us.p50");
      double q50 = r.med(is("rabbitmq", label, rate, 2000.0), "delivery_latency_us.p50");
      double p99 = r.med(is("parley", label, rate, 2000.0), "delivery_latency_us.p99");
      double q99 = r.med(is("rabbitmq", label, rate, 2000.0), "delivery_latency_us.p99");
      md << "| fan-out K=" << k << " at " << fmt(in.fixed_deliveries)
         << " deliveries/s offered, latency p50 / p99 ms | " << ms(p50) << " / " << ms(p99) << " | "
         << ms(q50) << " / " << ms(q99) << " | | | " << ratio(p50, q50) << " (p50) | |\n";
      target_row(
          "latency p50 ≤ 1/5 of RabbitMQ's, fan-out K=" + std::to_string(k) +
              " at the same load (p99 beside)",
          ms(p50) + " vs " + ms(q50) + " ms (p99 " + ms(p99) + " vs " + ms(q99) + ")",
          std::isnan(p50) || std::isnan(q50) ? std::nullopt : std::optional<bool>(p50 * 5 <= q50));
    }
    {
      auto dm = [&](const std::string& t, const std::string& f) { return r.med(is(t, "dm"), f); };
      md << "| DMs: 2,000 pairs at " << fmt(dm("parley", "rate_offered"))
         << " messages/s, latency p50 / p99 ms | " << ms(dm("parley", "delivery_latency_us.p50"))
         << " / " << ms(dm("parley", "delivery_latency_us.p99")) << " | "
         << ms(dm("rabbitmq", "delivery_latency_us.p50")) << " / "
         << ms(dm("rabbitmq", "delivery_latency_us.p99")) << " | | | "
         << ratio(dm("parley", "delivery_latency_us.p50"),
                  dm("rabbitmq", "delivery_latency_us.p50"))
         << " (p50) | |\n";
      double p50 = dm("parley", "delivery_latency_us.p50"),
             q50 = dm("rabbitmq", "delivery_latency_us.p50");
      target_row(
          "latency p50 ≤ 1/5 of RabbitMQ's, DMs at the same load (p99 beside)",
          ms(p50) + " vs " + ms(q50) + " ms (p99 " + ms(dm("parley", "delivery_latency_us.p99")) +
              " vs " + ms(dm("rabbitmq", "delivery_latency_us.p99")) + ")",
          std::isnan(p50) || std::isnan(q50) ? std::nullopt : std::optional<bool>(p50 * 5 <= q50));
    }
    double pd = r.med(is("parley", "durable"), "receipts_per_s");
    double qd = r.med(is("rabbitmq", "durable"), "receipts_per_s");
    md << "| durable sends, RECEIPTs/s (after the commit / the broker's confirm) | " << fmt(pd)
       << " | " << fmt(qd) << " | | | " << ratio(pd, qd) << " | |\n";
    target_row("durable sends ≥ 50,000 RECEIPTs/s, each after the commit", fmt(pd) + "/s",
               std::isnan(pd) ? std::nullopt : std::optional<bool>(pd >= 50000));
    // Idle memory: the largest ladder step both reached.
    // The largest step both servers fully reached (a broker may refuse part of a step).
    double n_both = NAN, n_parley = NAN;
    auto reached = [&](const std::string& t, double n) {
      return r.count(is(t, "idle", std::nullopt, n)) &&
             r.med(is(t, "idle", std::nullopt, n), "connections") >= n - 0.5;
    };
    for (double n : idle_steps()) {
      if (reached("parley", n) && reached("rabbitmq", n)) n_both = n;
      if (r.count(is("parley", "idle", std::nullopt, n))) n_parley = n;
    }
    double pm =
        r.med(is("parley", "idle", std::nullopt, n_parley), "server_rss_bytes_per_connection");
    double pmb =
        r.med(is("parley", "idle", std::nullopt, n_both), "server_rss_bytes_per_connection");
    double qm =
        r.med(is("rabbitmq", "idle", std::nullopt, n_both), "server_rss_bytes_per_connection");
    md << "| idle session, server RSS bytes per connection (" << fmt(n_both)
       << " sessions, 3 rooms each) | " << fmt(pmb) << " | " << fmt(qm) << " | | | "
       << ratio(pmb, qm) << " | |\n";
    md << "| idle sessions, connects/s (TCP + upgrade + CONNECT + 3 SUBSCRIBE receipts) | "
       << fmt(r.med(is("parley", "idle", std::nullopt, n_both), "connect_per_s")) << " | "
       << fmt(r.med(is("rabbitmq", "idle", std::nullopt, n_both), "connect_per_s")) << " | | | "
       << ratio(r.med(is("parley", "idle", std::nullopt, n_both), "connect_per_s"),
                r.med(is("rabbitmq", "idle", std::nullopt, n_both), "connect_per_s"))
       << " | |\n\n";
    target_row("idle session ≤ 4 KB user space (" + fmt(n_parley) + " sessions)", fmt(pm) + " B",
               std::isnan(pm) ? std::nullopt : std::optional<bool>(pm <= 4096));
    target_row(
        "idle session ≤ 1/20 of RabbitMQ's (" + fmt(n_both) + " sessions)", ratio(pmb, qm),
        std::isnan(pmb) || std::isnan(qm) ? std::nullopt : std::optional<bool>(pmb * 20 <= qm));

    md << "## The issue's targets\n\nEach is a ratio of numbers measured in this run.\n\n| target "
          "| measured | status |\n|---|---|---|\n";
    for (auto& row : targets_rows) md << row << "\n";
    md << "\n";
  }

  // ---- the MariaDB and baseline passes ------------------------------------------------------

  // A figure both comparisons show: the median of `field` over the runs labelled `label` plus a
  // pass's suffix ("" for the main runs).
  struct figure {
    std::string name, label, field;
    std::optional<double> rate;  // fan-out: offered messages/s (0 = max); durable: none
  };
  std::vector<figure> figures() const {
    std::vector<figure> out = {
        {"durable sends, RECEIPTs/s", "durable", "receipts_per_s", std::nullopt},
        {"durable sends, SEND → RECEIPT p50 ms", "durable", "receipt_latency_us.p50", std::nullopt},
        {"durable sends, SEND → RECEIPT p99 ms", "durable", "receipt_latency_us.p99", std::nullopt}};
    for (int k : {10, 100, 1000}) {
      auto label = "fanout-" + std::to_string(k), name = "fan-out K=" + std::to_string(k);
      auto fixed = name + " at " + fmt(in.fixed_deliveries) + " deliveries/s offered, latency ";
      out.push_back({name + ", deliveries/s", label, "deliveries_per_s", 0.0});
      out.push_back({fixed + "p50 ms", label, "delivery_latency_us.p50", in.fixed_deliveries / k});
      out.push_back({fixed + "p99 ms", label, "delivery_latency_us.p99", in.fixed_deliveries / k});
    }
    return out;
  }
  double value(const figure& f, const std::string& target, const std::string& suffix) const {
    auto label = f.label + suffix;
    return r.med(f.rate ? is(target, label, *f.rate, 2000.0) : is(target, label), f.field);
  }
  static std::string show(const figure& f, double v) {
    return f.field.find("latency_us") != std::string::npos ? ms(v) : fmt(v);
  }
  bool pass_ran(const std::string& suffix) const {
    return r.count([&](const json::object& o) {
      auto label = str(o, "label");
      return str(o, "target") == "parley" && label.ends_with(suffix) &&
             (label.starts_with("durable") || label.starts_with("fanout-"));
    }) != 0;
  }

  void storage_engines() {
    md << "## Storage engines\n\n";
    if (!pass_ran("-mariadb")) {
      md << "Not measured in this run: "
         << (has("mariadb_skipped") ? fact("mariadb_skipped") : "no MariaDB results") << ".\n\n";
      return;
    }
    md << "The same Parley with its store on SQLite (the default, `synchronous=FULL`) and on a "
          "private MariaDB "
       << fact("mariadb")
       << " started by `scripts/mariadb.sh` (its own server, database and users, minted the same "
          "way), and RabbitMQ: same scenarios, same load generator, same run. Durable: 200 "
          "connections each keeping 64 SENDs with a receipt in flight; fan-out: 2,000 connections, "
          "max and at a fixed rate.\n\n"
       << "| measurement | Parley on SQLite | Parley on MariaDB | RabbitMQ | MariaDB / SQLite "
          "|\n|---|---|---|---|---|\n";
    for (auto& f : figures()) {
      double sqlite = value(f, "parley", ""), mariadb = value(f, "parley", "-mariadb");
      md << "| " << f.name << " | " << show(f, sqlite) << " | " << show(f, mariadb) << " | "
         << show(f, value(f, "rabbitmq", "")) << " | " << ratio(mariadb, sqlite) << " |\n";
    }
    md << "\n";
    mariadb_profile();
  }

  // The MariaDB pass's second durable run: the CPU parley and mariadbd used over the same seconds
  // (from /proc, counted window only), and where each spent it (perf, self time).
  void mariadb_profile() {
    md << "### Where the time goes on MariaDB\n\n";
    double secs = fact_num("mariadb_cpu_seconds");
    double parley_s = fact_num("mariadb_cpu_parley_s"), db_s = fact_num("mariadb_cpu_mariadbd_s");
    auto parley = read_profile(in.mariadb_parley_profile);
    auto db = read_profile(in.mariadb_server_profile);
    if (std::isnan(secs) && parley.empty() && db.empty()) {
      md << "Not measured in this run: the profiled durable run left no CPU times or profile.\n\n";
      return;
    }
    double rate = r.med(is("parley", "profile-mariadb"), "receipts_per_s");
    auto us_per_receipt = [&](double cpu) { return cpu / (rate * secs) * 1e6; };
    md << "A second durable run on MariaDB (" << fmt(rate)
       << " RECEIPTs/s) with `perf record -e cpu-clock -F 999 -g` on each process, and the CPU "
          "time each used (`/proc/<pid>/stat` utime + stime) over the same "
       << fmt(secs, 1) << " s inside the counted window: **parley " << fmt(parley_s / secs, 2)
       << " core, mariadbd " << fmt(db_s / secs, 2) << " core** of the machine's " << fact("cores")
       << " (" << fmt(us_per_receipt(parley_s), 1) << " and " << fmt(us_per_receipt(db_s), 1)
       << " µs of CPU per RECEIPT).\n\n";
    auto top = [&](const std::string& who, const std::vector<sample>& samples, double cpu) {
      if (samples.empty()) {
        md << who << ": no profile in this run (perf missing or failed).\n\n";
        return;
      }
      std::map<std::string, double> by_dso;
      for (auto& smp : samples) by_dso[smp.dso] += smp.pct;
      std::vector<std::pair<std::string, double>> dsos(by_dso.begin(), by_dso.end());
      std::sort(dsos.begin(), dsos.end(), [](auto& a, auto& b) { return a.second > b.second; });
      md << "Hottest symbols of " << who << " (self time; by binary:";
      for (std::size_t i = 0; i < dsos.size() && i < 4; ++i)
        md << (i ? "," : "") << " " << dsos[i].first << " " << fmt(dsos[i].second, 1) << " %";
      md << "):\n\n| share | ns per RECEIPT | where | symbol |\n|---|---|---|---|\n";
      for (std::size_t i = 0; i < samples.size() && i < 15; ++i)
        md << "| " << fmt(samples[i].pct, 2) << " % | "
           << fmt(samples[i].pct / 100.0 * us_per_receipt(cpu) * 1000.0) << " | " << samples[i].dso
           << " | `" << table_cell(samples[i].sym.substr(0, 110)) << "` |\n";
      md << "\n";
    };
    top("parley", parley, parley_s);
    top("mariadbd", db, db_s);
  }

  void before_after() {
    md << "## Before and after\n\n";
    if (!pass_ran("-baseline")) {
      md << (has("baseline") ? "Not measured in this run: the baseline pass left no results."
                             : "No baseline in this run (`BASELINE=<rev> bench/run-all.sh` adds "
                               "one).")
         << "\n\n";
      return;
    }
    md << "The durable and fan-out scenarios against Parley at the baseline **"
       << fact("baseline")
       << "** (`git archive` of the revision, built with the same flags; its own fresh server and "
          "users, minted the same way) and against this tree ("
       << fact("parley")
       << "), both on SQLite, in the same run (the baseline a few minutes after this tree). For "
          "latencies a negative change is an improvement.\n\n"
       << "| measurement | baseline | this tree | change |\n|---|---|---|---|\n";
    for (auto& f : figures()) {
      double before = value(f, "parley", "-baseline"), after = value(f, "parley", "");
      md << "| " << f.name << " | " << show(f, before) << " | " << show(f, after) << " | "
         << change(before, after) << " |\n";
    }
    md << "\n";
  }

  void latency_table(const std::string& title,
                     const std::vector<std::pair<std::string, results::pred>>& rows,
                     const std::string& field) {
    md << "### " << title
       << "\n\n| run | n | offered msg/s | sent msg/s | deliveries/s | receipts/s | p50 ms | p90 "
          "ms | p99 ms | "
          "p99.9 ms | max ms | server CPU µs per delivery (or receipt) | generator CPU s/s | "
          "dropped | errors |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (auto& [name, p] : rows) {
      auto n = r.count(p);
      if (!n) continue;
      md << "| " << name << " | " << n << " | "
         << (r.med(p, "rate_offered") > 0 ? fmt(r.med(p, "rate_offered")) : "max") << " | "
         << fmt(r.med(p, "sent_per_s")) << " | " << fmt(r.med(p, "deliveries_per_s")) << " | "
         << fmt(r.med(p, "receipts_per_s")) << " | " << ms(r.med(p, field + ".p50")) << " | "
         << ms(r.med(p, field + ".p90")) << " | " << ms(r.med(p, field + ".p99")) << " | "
         << ms(r.med(p, field + ".p999")) << " | " << ms(r.med(p, field + ".max")) << " | "
         << fmt(r.med(p, "server_us_per_unit"), 1) << " | "
         << fmt(r.med(p, "generator_cpu_s") / r.med(p, "duration_s"), 2) << " | "
         << fmt(r.med(p, "dropped")) << " | "
         << fmt(r.med(p, "app_errors") + r.med(p, "stomp_errors")) << " |\n";
    }
    md << "\n";
  }

  void details() {
    md << "## Details (medians)\n\n";
    std::vector<std::pair<std::string, results::pred>> rows;
    for (std::string t : {"parley", "rabbitmq"})
      for (int k : {10, 100, 1000})
        for (double rate : {0.0, in.fixed_deliveries / k})
          rows.emplace_back(t + " fan-out K=" + std::to_string(k),
                            is(t, "fanout-" + std::to_string(k), rate, 2000.0));
    for (auto& [suffix, name] : other_passes)
      for (int k : {10, 100, 1000})
        for (double rate : {0.0, in.fixed_deliveries / k})
          rows.emplace_back(name + " fan-out K=" + std::to_string(k),
                            is("parley", "fanout-" + std::to_string(k) + suffix, rate, 2000.0));
    for (std::string t : {"parley", "rabbitmq"})
      for (double n : {5000.0, 19000.0})
        rows.emplace_back(t + " fan-out K=100, " + fmt(n) + " connections",
                          is(t, "fanout-100", 0.0, n));
    latency_table("Fan-out (end-to-end latency: send → each receiver)", rows,
                  "delivery_latency_us");
    latency_table("Many DMs (2,000 pairs; both members subscribed, the sender counts too)",
                  {{"parley dm", is("parley", "dm")}, {"rabbitmq dm", is("rabbitmq", "dm")}},
                  "delivery_latency_us");
    std::vector<std::pair<std::string, results::pred>> durable = {
        {"parley durable", is("parley", "durable")},
        {"rabbitmq durable", is("rabbitmq", "durable")}};
    for (auto& [suffix, name] : other_passes)
      durable.emplace_back(name + " durable", is("parley", "durable" + suffix));
    latency_table("Durable sends (latency: SEND → RECEIPT)", durable, "receipt_latency_us");

    md << "### Idle sessions (each subscribed to 3 rooms of 10)\n\nServer RSS is user-space memory "
          "(`VmRSS`); kernel socket memory is not in it and is shown separately as the growth of "
          "`Slab` per connection, which covers both ends of each loopback connection (the "
          "generator's socket and the server's).\n\n"
          "| target | sessions | runs | connects/s | server RSS | RSS bytes per session | kernel "
          "slab bytes per connection pair |\n"
          "|---|---|---|---|---|---|---|\n";
    for (std::string t : {"parley", "rabbitmq"})
      for (double n : idle_steps()) {
        auto p = is(t, "idle", std::nullopt, n);
        if (!r.count(p)) continue;
        md << "| " << t << " | " << fmt(r.med(p, "connections")) << " | " << r.count(p) << " | "
           << fmt(r.med(p, "connect_per_s")) << " | " << fmt(r.med(p, "server_rss_kb") / 1024.0, 1)
           << " MiB | " << fmt(r.med(p, "server_rss_bytes_per_connection")) << " | "
           << fmt(r.med(p, "kernel_slab_bytes_per_connection")) << " |\n";
      }
    md << "\n### Raw-socket limit (`raw_fanout`)\n\n| sockets | frame bytes | frames per system "
          "call | "
          "writer threads | runs | deliveries/s | writer CPU µs per delivery "
          "|\n|---|---|---|---|---|---|---|\n";
    for (auto* row : r.select([](const json::object& o) { return str(o, "target") == "raw"; })) {
      auto label = str(*row, "label");
      if (&*row != r.select(is("raw", label)).front()) continue;  // one line per label
      auto p = is("raw", label);
      md << "| " << fmt(num(*row, "connections")) << " | " << fmt(num(*row, "frame_bytes")) << " | "
         << fmt(num(*row, "batch")) << " | " << fmt(num(*row, "threads")) << " | " << r.count(p)
         << " | " << fmt(r.med(p, "deliveries_per_s")) << " | "
         << fmt(r.med(p, "writer_cpu_us_per_delivery"), 2) << " |\n";
    }
    md << "\n";
  }

  void micro() {
    auto text = slurp(in.micro);
    if (text.empty()) return;
    auto doc = json::parse(text).as_object();
    md << "## Micro-benchmarks (`parley_micro`, Google Benchmark)\n\nCPU time per iteration (less "
          "disturbed by other work on the machine than wall time), except for benchmarks whose "
          "work runs on other threads (`/real_time`: the store's writer), which show wall time."
          "\n\n| benchmark | time per iteration | note |\n|---|---|---|\n";
    for (auto& b : doc.at("benchmarks").as_array()) {
      auto& o = b.as_object();
      if (str(o, "run_type") == "aggregate") continue;
      bool wall = str(o, "name").find("/real_time") != std::string::npos;
      md << "| `" << str(o, "name") << "` | " << fmt(num(o, wall ? "real_time" : "cpu_time"), 1)
         << " " << str(o, "time_unit") << (wall ? " (wall)" : "") << " | ";
      if (o.contains("per_delivery"))
        md << fmt(num(o, "per_delivery") * 1e9, 1) << " ns per delivery";
      if (o.contains("per_message"))
        md << fmt(num(o, "per_message") * 1e6, 1) << " µs per message";
      md << " |\n";
    }
    md << "\n";
  }

  void plots() {
    // Data files and one gnuplot script; run-all.sh runs gnuplot on it.
    auto dat = [&](const std::string& name) { return std::ofstream(in.plot_dir + "/" + name); };
    {
      auto f = dat("fanout.dat");
      f << "# K parley rabbitmq raw_writev raw_write\n";
      for (int k : {10, 100, 1000}) {
        auto label = "fanout-" + std::to_string(k);
        auto z = [](double v) { return std::isnan(v) ? 0 : v; };
        f << k << " " << z(r.med(is("parley", label, 0.0, 2000.0), "deliveries_per_s")) << " "
          << z(r.med(is("rabbitmq", label, 0.0, 2000.0), "deliveries_per_s")) << " "
          << z(r.med(is("raw", "raw-2000-b" + std::to_string(in.window)), "deliveries_per_s"))
          << " " << z(r.med(is("raw", "raw-2000-b1"), "deliveries_per_s")) << "\n";
      }
    }
    {
      auto f = dat("latency.dat");
      f << "# percentile then one column per series (ms)\n";
      std::vector<std::pair<std::string, results::pred>> series;
      for (std::string t : {"parley", "rabbitmq"}) {
        for (int k : {10, 100, 1000})
          series.emplace_back(
              t, is(t, "fanout-" + std::to_string(k), in.fixed_deliveries / k, 2000.0));
        series.emplace_back(t, is(t, "dm"));
      }
      const std::pair<const char*, double> pcts[] = {
          {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}};
      for (auto& [field, x] : pcts) {
        f << x;
        for (auto& [t, p] : series) {
          double v = r.med(p, std::string("delivery_latency_us.") + field);
          f << " " << (std::isnan(v) ? NAN : v / 1000.0);
        }
        f << "\n";
      }
    }
    {
      auto f = dat("connections.dat");
      f << "# connections parley rabbitmq raw_writev raw_write\n";
      for (double n : {2000.0, 5000.0, 19000.0}) {
        auto z = [](double v) { return std::isnan(v) ? NAN : v; };
        auto nn = std::to_string(static_cast<int>(n));
        f << n << " " << z(r.med(is("parley", "fanout-100", 0.0, n), "deliveries_per_s")) << " "
          << z(r.med(is("rabbitmq", "fanout-100", 0.0, n), "deliveries_per_s")) << " "
          << z(r.med(is("raw", "raw-" + nn + "-b" + std::to_string(in.window)), "deliveries_per_s"))
          << " " << z(r.med(is("raw", "raw-" + nn + "-b1"), "deliveries_per_s")) << "\n";
      }
    }
    {
      auto f = dat("memory.dat");
      f << "# sessions parley_bytes rabbitmq_bytes\n";
      for (double n : idle_steps())
        f << n << " "
          << r.med(is("parley", "idle", std::nullopt, n), "server_rss_bytes_per_connection") << " "
          << r.med(is("rabbitmq", "idle", std::nullopt, n), "server_rss_bytes_per_connection")
          << "\n";
    }
    auto png = [&](const std::string& n) { return "'" + in.png_dir + "/" + n + "'"; };
    std::ofstream gp(in.plot_dir + "/plots.gp");
    gp << "set terminal pngcairo size 900,540 font 'DejaVu Sans,10'\nset datafile missing "
          "'nan'\nset grid ytics\nset key top left\n"
       << "set output " << png("fanout_throughput.png") << "\n"
       << "set title 'Fan-out deliveries/s, 2,000 connections, rooms of K (higher is better)'\n"
       << "set style data histograms\nset style histogram clustered gap 1\nset style fill solid "
          "0.8 border -1\n"
       << "set logscale y\nset ylabel 'deliveries/s'\nset xlabel 'room size K'\n"
       << "plot 'fanout.dat' using 2:xtic(1) title 'Parley', '' using 3 title 'RabbitMQ "
          "Web-STOMP', "
       << "'' using 4 title 'raw writev x" << in.window << "', '' using 5 title 'raw write x1'\n"
       << "unset style\nset style data linespoints\nunset logscale\n"
       << "set output " << png("latency.png") << "\n"
       << "set title 'End-to-end latency at the same offered load (" << fmt(in.fixed_deliveries)
       << " deliveries/s for fan-out; DMs at a fixed rate)'\n"
       << "set logscale y\nset ylabel 'ms'\nset xlabel 'percentile'\nset xtics ('p50' 1, 'p90' 2, "
          "'p99' 3, 'p99.9' 4)\n"
       << "plot 'latency.dat' using ($0+1):2 title 'Parley K=10' lw 2, '' using ($0+1):3 title "
          "'Parley K=100' lw 2, "
       << "'' using ($0+1):4 title 'Parley K=1000' lw 2, '' using ($0+1):5 title 'Parley DMs' lw "
          "2, "
       << "'' using ($0+1):6 title 'RabbitMQ K=10' dt 2, '' using ($0+1):7 title 'RabbitMQ K=100' "
          "dt 2, "
       << "'' using ($0+1):8 title 'RabbitMQ K=1000' dt 2, '' using ($0+1):9 title 'RabbitMQ DMs' "
          "dt 2\n"
       << "set xtics auto\nset output " << png("throughput_vs_connections.png") << "\n"
       << "set title 'Fan-out deliveries/s vs connections (rooms of 100, max)'\nset xlabel "
          "'connections'\n"
       << "set ylabel 'deliveries/s'\nset logscale xy\n"
       << "plot 'connections.dat' using 1:2 title 'Parley' lw 2, '' using 1:3 title 'RabbitMQ "
          "Web-STOMP' lw 2, "
       << "'' using 1:4 title 'raw writev x" << in.window
       << "' dt 2, '' using 1:5 title 'raw write x1' dt 2\n"
       << "set output " << png("memory_per_session.png") << "\n"
       << "set title 'Server memory per idle session (RSS growth / sessions; 3 rooms each)'\nset "
          "xlabel 'sessions'\n"
       << "set ylabel 'bytes per session'\n"
       << "plot 'memory.dat' using 1:2 title 'Parley' lw 2, '' using 1:3 title 'RabbitMQ "
          "Web-STOMP' lw 2, "
       << "4096 title '4 KB target' dt 3\n";
    md << "## Plots\n\n![fan-out "
          "throughput](bench/fanout_throughput.png)\n\n![latency](bench/latency.png)\n\n"
       << "![throughput vs connections](bench/throughput_vs_connections.png)\n\n"
       << "![memory per session](bench/memory_per_session.png)\n\n";
  }

  // The flat profile ("  12.34%  dso  [k] symbol" lines): the hottest symbols, and every sample
  // sorted into a few cost centres, each turned into ns per delivery with the CPU the server spent
  // per delivery in the profiled run.
  void profile() {
    md << "## Profile of one fan-out run\n\n";
    auto samples = read_profile(in.profile);
    if (samples.empty()) {
      md << "(no profile in this run)\n\n" << slurp(in.analysis) << "\n";
      return;
    }
    double us = r.med(is("parley", "profile"), "server_us_per_unit");
    double rate = r.med(is("parley", "profile"), "deliveries_per_s");
    md << "`perf record -e cpu-clock -F 999 -g` on the Parley server (all threads) while "
          "`parley_bench` "
          "ran fan-out to rooms of 100, 2,000 connections, max ("
       << fmt(rate) << " deliveries/s, " << fmt(us, 1)
       << " µs of server CPU per delivery during the profile). Cost centres, summed over "
          "every symbol (self time):\n\n| cost centre | share of server CPU | ns per delivery "
          "|\n|---|---|---|\n";
    const std::vector<std::pair<std::string, std::string>> centres = {
        {"kernel: scheduler, wake-ups, futexes (thread hand-offs)",
         "finish_task_switch|schedule|try_to_wake_up|futex|_raw_spin_unlock_irqrestore|exit_to_"
         "user|irqentry|"
         "select_task|enqueue_task|dequeue_task|update_curr|pick_next|__switch_to|psi_|ttwu"},
        {"kernel: epoll", "ep_|epoll"},
        {"kernel: system calls, TCP send and the loopback receive it runs (skb memory included)",
         "tcp|ip_|inet|skb|sock|dev_|netif|net_rx|copy_from_iter|copy_to_iter|csum|loopback|"
         "sendmsg|recvmsg|"
         "fdget|fput|__sys_|syscall|softirq|local_bh|nf_|rcu|mem_cgroup|memcg|kmem_cache|slab|"
         "kfree|kmalloc|"
         "bbr|dst_|raw_local|process_backlog|xfrm|sk_filter|check_object_size|virt_addr_valid"},
        {"kernel: disk writes and fsync (SQLite)",
         "iowrite|blk_|ext4|jbd2|virtio|bio_|submit_|filemap|folio|fsync|"
         "page_cache|xa_|find_get|vfs_write|generic_perform|iomap"},
        {"kernel: other", "\\[k\\]"},
        {"malloc / free",
         "malloc|_int_free|cfree|unlink_chunk|tcache|operator new|operator delete|^free$"},
        {"SQLite (user space)", "sqlite"},
        {"Boost.Asio scheduler and reactor", "boost::asio"},
        {"Boost.Beast WebSocket framing", "boost::beast"},
        {"STOMP, JSON, chat domain", "parley::stomp|boost::json|parley::chat|parley::core"},
        {"hub, STOMP session, WebSocket session and queue",
         "parley::realtime|parley::ws|parley::http"},
        {"libc other (memcpy, memmove, ...)", "libc"},
    };
    std::vector<double> share(centres.size() + 1, 0);
    for (auto& smp : samples) {
      std::size_t c = 0;
      for (; c < centres.size(); ++c) {
        std::regex re(centres[c].second);
        if (std::regex_search(smp.sym, re) || std::regex_search(smp.dso, re)) break;
      }
      share[c] += smp.pct;
    }
    std::vector<std::size_t> order(share.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return share[a] > share[b]; });
    for (auto c : order) {
      if (share[c] < 0.05) continue;
      md << "| " << (c < centres.size() ? centres[c].first : "other") << " | " << fmt(share[c], 1)
         << " % | " << fmt(std::isnan(us) ? NAN : share[c] / 100.0 * us * 1000.0) << " |\n";
    }
    if (!in.syscalls.empty()) {
      // `perf stat --per-thread` lines: "  thread-tid   count   syscalls:sys_enter_x".
      std::ifstream sc(in.syscalls);
      std::map<std::string, double> calls;
      for (std::string line; std::getline(sc, line);) {
        std::istringstream l(line);
        std::string thread, count, event;
        if (!(l >> thread >> count >> event) || !event.starts_with("syscalls:sys_enter_")) continue;
        try {
          calls[event.substr(19)] += std::stod(count);
        } catch (const std::exception&) {  // "<not counted>"
        }
      }
      double secs = in.syscalls_seconds;
      double deliveries = r.med(is("parley", "syscalls"), "deliveries_per_s");
      double sent = r.med(is("parley", "syscalls"), "sent_per_s");
      if (!calls.empty() && secs > 0) {
        auto per_s = [&](const char* e) { return calls[e] / secs; };
        md << "\nSystem calls of the server in a second run of the same fan-out (`perf stat "
              "--per-thread -e syscalls:sys_enter_*`, counted window only): "
           << fmt(per_s("sendmsg")) << " `sendmsg`/s for " << fmt(deliveries)
           << " deliveries/s = **" << fmt(deliveries / per_s("sendmsg"), 2)
           << " deliveries per socket write**; " << fmt(per_s("fdatasync"))
           << " `fdatasync`/s for " << fmt(sent) << " messages/s = **"
           << fmt(sent / std::max(1.0, per_s("fdatasync")), 1) << " messages per group commit**; "
           << (per_s("recvmsg") + per_s("recvfrom") > 0
                   ? fmt(per_s("recvmsg") + per_s("recvfrom")) + " reads (`recvmsg` + `recvfrom`)/s, "
                   : std::string())
           << fmt(per_s("epoll_wait"))
           << " `epoll_wait`/s, " << fmt(per_s("futex")) << " `futex`/s.\n";
      }
    }
    md << "\nHottest symbols (self time; `perf report --no-children -g none --sort "
          "dso,symbol`):\n\n"
          "| share | ns per delivery | where | symbol |\n|---|---|---|---|\n";
    for (std::size_t i = 0; i < samples.size() && i < 30; ++i)
      md << "| " << fmt(samples[i].pct, 2) << " % | "
         << fmt(std::isnan(us) ? NAN : samples[i].pct / 100.0 * us * 1000.0) << " | "
         << samples[i].dso << " | `" << table_cell(samples[i].sym.substr(0, 110)) << "` |\n";
    md << "\n" << slurp(in.analysis) << "\n";
  }
};

}  // namespace

int main(int argc, char** argv) {
  inputs in;
  CLI::App app{
      "parley_bench_report: results of bench/run-all.sh → docs/benchmarks.md and plot inputs"};
  app.add_option("--results", in.results, "JSON lines from parley_bench and raw_fanout")
      ->required();
  app.add_option("--micro", in.micro, "Google Benchmark JSON output");
  app.add_option("--facts", in.facts, "key<TAB>value lines about the machine and the run");
  app.add_option("--profile", in.profile, "perf report text");
  app.add_option("--syscalls", in.syscalls, "perf stat --per-thread output (system calls)");
  app.add_option("--syscalls-seconds", in.syscalls_seconds, "seconds perf stat counted");
  app.add_option("--analysis", in.analysis, "hand-written reading of the profile (markdown)");
  app.add_option("--mariadb-parley-profile", in.mariadb_parley_profile,
                 "perf report text: parley during the MariaDB pass's profiled durable run");
  app.add_option("--mariadb-server-profile", in.mariadb_server_profile,
                 "perf report text: mariadbd during the same run");
  app.add_option("--fixed-deliveries", in.fixed_deliveries,
                 "offered deliveries/s of the fixed-rate fan-out");
  app.add_option("--window", in.window, "messages in flight per sender in the max runs");
  app.add_option("--plot-dir", in.plot_dir, "where the .dat files and plots.gp go")->required();
  app.add_option("--png-dir", in.png_dir, "where plots.gp writes the PNGs")->required();
  app.add_option("--out", in.out_md, "the markdown file")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    results r(in.results);
    writer w{in, r, read_facts(in.facts), {}, {}};
    w.md
        << "# Parley benchmarks\n\n"
        << "Generated by `bench/run-all.sh` from one run (the profile reading at the end is "
           "`bench/analysis.md`, written by hand). Instruments: `bench/load` (parley_bench, the "
           "STOMP-over-WebSocket load generator), `bench/raw_fanout.cpp`, `bench/micro`. How users "
           "are minted: `parley admin mint-users` (see *Method* below).\n\n";
    w.machine();
    w.headline();
    w.storage_engines();
    w.before_after();
    w.details();
    w.micro();
    w.plots();
    w.profile();
    std::ofstream(in.out_md) << w.md.str();
  } catch (const std::exception& e) {
    std::cerr << "parley_bench_report: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
