// Chat use cases: sessions opening and closing, and telling co-members.
#include "chat/service.hpp"
#include "chat/use_case_support.hpp"

#include "auth/tokens.hpp"
#include "auth/validation.hpp"
#include "chat/views.hpp"
#include "core/ids.hpp"

#include <algorithm>

namespace parley::chat {

using namespace detail;

void service::announce_presence(const identity& who, bool online) {
  std::optional<core::time_point> seen;
  if (!online) {
    seen = d_.online.last_seen(who.user_id).value_or(d_.clock.now());
    d_.store.set_last_seen(who.user_id, *seen);
  }
  json::object e{{"type", "PRESENCE"},
                 {"chatId", nullptr},
                 {"room", nullptr},
                 {"userId", who.user_id},
                 {"status", online ? "ONLINE" : "OFFLINE"},
                 {"lastSeen", seen ? json::value(core::iso8601(*seen)) : json::value(nullptr)}};
  // Only co-members who are online now have a live queue to tell; the others read presence when
  // they connect. One publication for all of them: a connect in rooms of 1,000 used to post
  // 1,000 events to every shard.
  std::vector<std::string> listeners;
  for (auto& uid : d_.store.co_members(who.user_id))
    if (d_.online.online(uid)) listeners.push_back(std::move(uid));
  d_.out.publish_to_users(std::move(listeners), json_string(e));
}

void service::session_opened(const identity& who) {
  if (d_.online.connected(who.user_id)) announce_presence(who, true);
}

void service::session_closed(const identity& who) {
  if (d_.online.disconnected(who.user_id, d_.clock.now())) announce_presence(who, false);
}

}  // namespace parley::chat
