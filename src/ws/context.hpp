#pragma once
// State shared by the /ws endpoint and every session it starts. Sessions hold it by shared_ptr, so
// it outlives the last of them even when the server object goes first at shutdown.
#include "realtime/connection.hpp"
#include "ws/live_set.hpp"
#include "ws/options.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace parley::ws {

class sockjs_session;

// SockJS sessions of the HTTP transports by id. Successive requests of one session may arrive on
// any shard, so lookups lock; the session itself lives on the shard that created it.
class sockjs_registry {
 public:
  std::shared_ptr<sockjs_session> find(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }
  // Returns the session with this id, creating it with `make()` if there is none (and then true).
  template <class Make>
  std::pair<std::shared_ptr<sockjs_session>, bool> find_or_create(const std::string& id,
                                                                  Make&& make) {
    std::lock_guard lock(mu_);
    auto [it, fresh] = sessions_.try_emplace(id);
    if (fresh) it->second = make();
    return {it->second, fresh};
  }
  // Removes `id` only while it still maps to `s` (the id may have been reused since).
  void erase(const std::string& id, const sockjs_session* s) {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it != sessions_.end() && it->second.get() == s) sessions_.erase(it);
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<sockjs_session>> sessions_;
};

struct context {
  options opts;
  realtime::session_factory factory;
  live_set live;           // every WebSocket and SockJS session, for close_all()
  sockjs_registry sockjs;  // SockJS sessions of the xhr transports
  std::string going_away;  // close reason of close_all(); written once before it posts
};

}  // namespace parley::ws
