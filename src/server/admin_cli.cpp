// `parley admin mint-users`: bulk users, rooms and access tokens for the load generator
// (docs/benchmarks.md). Users are written through the store port with one password hash computed
// up front (the bench password at Argon2's minimum cost), so a user costs one INSERT instead of an
// Argon2 hash; tokens are signed with the data directory's key ring, exactly as login signs them.
//
// Concurrency: the store has one writer thread that commits whatever is queued as one
// transaction, so several minting threads turn thousands of inserts into a few hundred commits.
// Run it with the server stopped. SQLite WAL would let it write beside a running server, but the
// server's writer connection keeps stepped statements (and so an old read snapshot) open between
// batches; after another process commits, its BEGIN IMMEDIATE then fails with SQLITE_BUSY_SNAPSHOT
// on every batch until restart (docs/benchmarks.md). A server started afterwards also sees the
// users in its username Bloom filter, which GET /auth/exists relies on.
#include "server/admin_cli.hpp"

#include "auth/jwt.hpp"
#include "auth/key_ring.hpp"
#include "auth/password.hpp"
#include "chat/limits.hpp"
#include "config/config.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "server/storage.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace parley::server {
namespace {

namespace json = boost::json;

struct mint_flags {
  std::string config_file;
  std::string data_dir;
  std::size_t count = 0;
  std::string prefix = "bench_";
  std::size_t room_size = 0;  // 0: no rooms
  std::size_t rooms_per_user = 1;
  std::string password = "bench-password";
  long long access_ttl_seconds = 0;  // 0: auth.access_ttl_seconds
  unsigned threads = 0;              // 0: four per core (they mostly wait for commits)
};

// Runs `work(i)` for i in [0, n) on `threads` threads; the first exception is rethrown here.
template <class Work>
void parallel_for(std::size_t n, unsigned threads, Work work) {
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) {
        try {
          work(i);
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
          next = n;
        }
      }
    });
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Layer `layer` of rooms groups `room_size` consecutive users, shifted by a fraction of a room
// per layer so that every layer's rooms have other members: user i is in room
// ((i + n - shift) % n) / room_size of each layer, the last room of a layer wrapping to the start.
std::vector<std::size_t> room_members(std::size_t n, std::size_t room_size, std::size_t layers,
                                      std::size_t layer, std::size_t room) {
  std::size_t shift = room_size * layer / layers;
  std::vector<std::size_t> out;
  for (std::size_t m = 0; m < room_size; ++m) out.push_back((room * room_size + m + shift) % n);
  return out;
}

int mint_users(const mint_flags& f) {
  config::config cfg;
  if (!f.config_file.empty())
    if (auto err = config::load_file(cfg, f.config_file)) throw std::runtime_error(*err);
  if (auto err = config::load_env(cfg, environ)) throw std::runtime_error(*err);
  chat::limits lim;
  if (f.count == 0) throw std::runtime_error("--count must be positive");
  if (f.room_size) {
    if (f.room_size < 2 || f.room_size > f.count || f.room_size > lim.max_members_per_room)
      throw std::runtime_error("--room-size must be within 2..min(count, " +
                               std::to_string(lim.max_members_per_room) + ")");
    if (f.rooms_per_user < 1 || f.rooms_per_user > f.room_size ||
        f.rooms_per_user > lim.max_rooms_per_user)
      throw std::runtime_error("--rooms-per-user must be within 1..room size");
  }

  // stdout carries the JSON lines; the store's log lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("parley-admin"));
  std::filesystem::path dir = f.data_dir;
  std::filesystem::create_directories(dir);
  cfg.server.data_dir = dir;
  core::system_clock clock;
  auto keys = auth::key_ring::load_or_create(config::keys_dir(cfg));
  auto ttl =
      f.access_ttl_seconds > 0 ? std::chrono::seconds(f.access_ttl_seconds) : cfg.auth.access_ttl;
  auth::jwt_service jwt(keys, clock, {cfg.auth.issuer, ttl, cfg.auth.refresh_ttl});
  // One hash for every user: the bench password at Argon2's minimum cost (a bench user can still
  // log in normally; the login path rehashes it to the server's cost on success).
  const std::string hash = auth::password_hasher(auth::argon2_limits::minimum()).hash(f.password);
  auto storage = open_storage(cfg, clock);
  chat::storage& db = *storage;
  unsigned threads = f.threads ? f.threads : 4 * std::max(1u, std::thread::hardware_concurrency());

  auto t0 = std::chrono::steady_clock::now();
  std::vector<chat::user> users(f.count);
  std::vector<std::string> tokens(f.count);
  int width = static_cast<int>(std::to_string(f.count - 1).size());
  parallel_for(f.count, threads, [&](std::size_t i) {
    char name[64];
    std::snprintf(name, sizeof name, "%s%0*zu", f.prefix.c_str(), width, i);
    chat::user u{
        core::make_uuid(), name,        std::string(name) + "@bench.parley.invalid", name, hash,
        std::nullopt,      std::nullopt};
    auto created = db.create_user(u);
    if (!created) throw std::runtime_error("user " + u.username + ": " + created.error().message);
    tokens[i] = jwt.issue(jwt.new_claims(u.user_id, u.username, auth::token_use::access));
    users[i] = std::move(u);
  });
  std::cerr << "mint-users: " << f.count << " users in " << seconds_since(t0) << " s\n";

  std::vector<std::vector<std::int64_t>> rooms_of(f.count);
  if (f.room_size) {
    auto t1 = std::chrono::steady_clock::now();
    std::size_t per_layer = (f.count + f.room_size - 1) / f.room_size;
    std::vector<std::vector<std::size_t>> plan;
    for (std::size_t layer = 0; layer < f.rooms_per_user; ++layer)
      for (std::size_t r = 0; r < per_layer; ++r)
        plan.push_back(room_members(f.count, f.room_size, f.rooms_per_user, layer, r));
    std::vector<std::int64_t> ids(plan.size());
    parallel_for(plan.size(), threads, [&](std::size_t k) {
      const auto& m = plan[k];
      if (m.size() == 2 && f.rooms_per_user == 1) {
        auto dm = db.find_or_create_dm(users[m[0]].user_id, users[m[1]].user_id);
        if (!dm) throw std::runtime_error("DM: " + dm.error().message);
        ids[k] = dm->first.chat_id;
        return;
      }
      chat::room r;
      r.name = f.prefix + "room_" + std::to_string(k);
      r.type = chat::room_type::private_room;
      std::vector<std::string> others;
      for (std::size_t j = 1; j < m.size(); ++j) others.push_back(users[m[j]].user_id);
      auto created = db.create_room(r, users[m[0]].user_id, others);
      if (!created) throw std::runtime_error("room: " + created.error().message);
      ids[k] = created->chat_id;
    });
    // Each member's rooms in layer order, so a client's first room is its layer-0 room.
    for (std::size_t k = 0; k < plan.size(); ++k)
      for (auto i : plan[k]) rooms_of[i].push_back(ids[k]);
    std::cerr << "mint-users: " << plan.size() << " rooms of " << f.room_size << " in "
              << seconds_since(t1) << " s\n";
  }
  db.close();

  std::string out;
  for (std::size_t i = 0; i < f.count; ++i) {
    json::array rooms(rooms_of[i].begin(), rooms_of[i].end());
    out += json::serialize(json::object{{"userId", users[i].user_id},
                                        {"username", users[i].username},
                                        {"accessToken", tokens[i]},
                                        {"rooms", std::move(rooms)}});
    out += '\n';
  }
  std::cout << out << std::flush;
  return 0;
}

}  // namespace

struct admin_cli::impl {
  CLI::App* admin = nullptr;
  CLI::App* mint = nullptr;
  mint_flags flags;
};

admin_cli::admin_cli(CLI::App& app) : impl_(std::make_unique<impl>()) {
  auto& f = impl_->flags;
  impl_->admin = app.add_subcommand("admin", "Operator commands on a data directory");
  impl_->admin->require_subcommand(1);
  auto* m = impl_->mint = impl_->admin->add_subcommand(
      "mint-users",
      "Create N users (and rooms) and print {userId, username, accessToken, rooms} "
      "JSON lines: the load generator's fast path (docs/benchmarks.md)");
  m->add_option("--config", f.config_file, "TOML configuration file (auth.issuer, storage.sync)");
  m->add_option("--data-dir", f.data_dir, "the server's data directory (database and keys)")
      ->required();
  m->add_option("--count", f.count, "number of users")->required();
  m->add_option("--prefix", f.prefix, "username prefix; names are <prefix><index>");
  m->add_option("--room-size", f.room_size,
                "also group the users into rooms of this size (2 = DMs)");
  m->add_option("--rooms-per-user", f.rooms_per_user, "rooms each user is in (layers of rooms)");
  m->add_option("--password", f.password, "every minted user's password");
  m->add_option("--access-ttl-seconds", f.access_ttl_seconds,
                "lifetime of the printed access tokens (default auth.access_ttl_seconds)");
  m->add_option("--threads", f.threads, "minting threads (default 4 per core)");
}

admin_cli::~admin_cli() = default;

bool admin_cli::parsed() const { return impl_->admin->parsed(); }

int admin_cli::run() const {
  if (impl_->mint->parsed()) return mint_users(impl_->flags);
  return 1;
}

}  // namespace parley::server
