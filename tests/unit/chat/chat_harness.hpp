#pragma once
// A real chat::service for unit tests: SQLite on a temp file, Argon2 at its minimum cost, one RSA
// key shared by the whole test binary (generating one costs more than most tests), a manual clock,
// and a fanout the caller chooses (a recorder here, the real local_bus in the realtime tests).
#include "support/temp_dir.hpp"
#include "auth/jwt.hpp"
#include "auth/key_ring.hpp"
#include "auth/password.hpp"
#include "chat/memory_presence.hpp"
#include "chat/service.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace parley::chat::test {

namespace json = boost::json;

// Thread-safe: the store's writer thread reads it while a test moves it.
class manual_clock final : public core::clock {
 public:
  core::time_point now() const override { return core::from_epoch_ms(ms_.load()); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_{1'800'000'000'000};
};

using parley::test_support::temp_dir;

inline const auth::key_ring& shared_keys() {
  static temp_dir dir;
  static auth::key_ring keys = auth::key_ring::load_or_create(dir.path() / "keys");
  return keys;
}

// Records what the domain publishes; the writer thread publishes too, hence the lock.
class recording_fanout final : public fanout {
 public:
  struct publication {
    std::string destination;
    json::object payload;
    std::string message_id;
  };
  struct revocation {
    std::int64_t chat_id;
    std::string user_id;
  };

  void publish(std::string destination, std::string payload, std::string message_id) override {
    std::lock_guard lock(mutex_);
    published_.push_back(
        {std::move(destination), json::parse(payload).as_object(), std::move(message_id)});
  }
  void publish_to_users(std::vector<std::string> user_ids, std::string payload) override {
    for (auto& u : user_ids) publish(destinations::user_events(u), payload, {});
  }
  void revoke(std::int64_t chat_id, std::string user_id) override {
    std::lock_guard lock(mutex_);
    revoked_.push_back({chat_id, std::move(user_id)});
  }

  std::vector<publication> published() const {
    std::lock_guard lock(mutex_);
    return published_;
  }
  std::vector<revocation> revoked() const {
    std::lock_guard lock(mutex_);
    return revoked_;
  }
  // Publications to `destination` (all when empty) whose payload `type` is `type` (any if empty).
  std::vector<publication> to(const std::string& destination, std::string_view type = {}) const {
    std::vector<publication> out;
    for (auto& p : published())
      if (p.destination == destination &&
          (type.empty() || (p.payload.contains("type") && p.payload.at("type").is_string() &&
                            p.payload.at("type").get_string() == type)))
        out.push_back(p);
    return out;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    published_.clear();
    revoked_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<publication> published_;
  std::vector<revocation> revoked_;
};

struct account {
  identity who;
  std::string access_token;
  std::string refresh_token;
};

// The service and everything it stands on, in construction order. `out` must outlive it.
struct chat_env {
  explicit chat_env(fanout& out, limits lim = {})
      : db(store::sqlite::options{.file = dir.path() / "parley.db"}, clock),
        jwt(shared_keys(), clock),
        passwords(auth::argon2_limits::minimum()),
        chat(deps{db, db, out, presence, shared_keys(), jwt, passwords, clock, lim}) {}
  ~chat_env() { db.close(); }

  // Registers through the public use case, as a client would.
  account register_user(const std::string& username) {
    json::object body{{"fullName", "User " + username},
                      {"username", username},
                      {"email", username + "@example.com"},
                      {"password", "Secret#123"}};
    auto r = chat.register_user(json::serialize(body));
    if (!r) {
      ADD_FAILURE() << "register " << username << ": " << r.error().message;
      return {};
    }
    auto& o = r->body.as_object();
    account a{{},
              std::string(o.at("accessToken").as_string()),
              std::string(o.at("refreshToken").as_string())};
    auto who = chat.authenticate(a.access_token);
    if (!who)
      ADD_FAILURE() << "authenticate: " << who.error().message;
    else
      a.who = *who;
    return a;
  }

  // Creates a room through the public use case and returns its id.
  std::int64_t create_room(const identity& creator, std::string_view type, const std::string& name,
                           const std::vector<std::string>& member_ids) {
    json::array ids;
    for (auto& id : member_ids) ids.push_back(json::value(id));
    json::object body{{"type", type}, {"name", name}, {"description", "d"}, {"memberIds", ids}};
    auto r = chat.create_room(creator, json::serialize(body));
    if (!r) {
      ADD_FAILURE() << "create_room: " << r.error().message;
      return 0;
    }
    return r->body.as_object().at("chatId").as_int64();
  }

  temp_dir dir;
  manual_clock clock;
  store::sqlite::sqlite_store db;
  memory_presence presence;
  auth::jwt_service jwt;
  auth::password_hasher passwords;
  service chat;
};

}  // namespace parley::chat::test
