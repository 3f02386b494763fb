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

namespace {
json::object presence_event(const std::string& user_id, std::optional<core::time_point> seen) {
  return {{"type", "PRESENCE"},
          {"chatId", nullptr},
          {"room", nullptr},
          {"userId", user_id},
          {"status", seen ? "OFFLINE" : "ONLINE"},
          {"lastSeen", seen ? json::value(core::iso8601(*seen)) : json::value(nullptr)}};
}
}  // namespace

void service::announce_presence(const identity& who, bool online) {
  std::optional<core::time_point> seen;
  if (!online) {
    seen = d_.online.last_seen(who.user_id).value_or(d_.clock.now());
    d_.store.set_last_seen(who.user_id, *seen);
  }
  auto e = presence_event(who.user_id, seen);
  // Only co-members who are online now have a live queue to tell; the others read presence when
  // they connect. One publication for all of them: a connect in rooms of 1,000 used to post
  // 1,000 events to every shard.
  d_.out.publish_to_users(d_.online.online_among(d_.store.co_members(who.user_id)),
                          json_string(e));
}

void service::presence_lost(const std::vector<std::string>& user_ids, core::time_point when) {
  for (auto& u : user_ids) {
    d_.store.set_last_seen(u, when);
    d_.out.publish_to_users(d_.online.online_among(d_.store.co_members(u)),
                            json_string(presence_event(u, when)));
  }
}

void service::session_opened(const identity& who) {
  if (d_.online.connected(who.user_id)) announce_presence(who, true);
}

void service::session_closed(const identity& who) {
  if (d_.online.disconnected(who.user_id, d_.clock.now())) announce_presence(who, false);
}

}  // namespace parley::chat
