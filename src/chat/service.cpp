// chat::service: construction and the destination names. The use cases live by area in
// *_use_cases.cpp (auth, users, rooms, messages, presence, demo).
#include "chat/service.hpp"

#include "chat/memory_username_filter.hpp"

#include <charconv>

namespace parley::chat {

namespace destinations {
std::string room(std::int64_t chat_id) { return "/topic/rooms/" + std::to_string(chat_id); }
std::string typing(std::int64_t chat_id) { return room(chat_id) + "/typing"; }
std::string receipts(std::int64_t chat_id) { return room(chat_id) + "/receipts"; }
std::string user_events(const std::string& user_id) { return "/user/" + user_id + "/queue/events"; }
std::optional<std::int64_t> room_id(std::string_view destination) {
  constexpr std::string_view prefix = "/topic/rooms/";
  if (!destination.starts_with(prefix)) return std::nullopt;
  destination.remove_prefix(prefix.size());
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(destination.data(), destination.data() + destination.size(), id);
  if (ec != std::errc{} || end != destination.data() + destination.size() || id <= 0)
    return std::nullopt;
  return id;
}
}  // namespace destinations

service::service(deps d)
    : d_(std::move(d)),
      own_failed_logins_(d_.failed_logins
                             ? nullptr
                             : std::make_unique<core::memory_rate_limit>(
                                   static_cast<unsigned>(d_.lim.max_failed_logins),
                                   d_.lim.failed_login_window, d_.clock)),
      failed_logins_(d_.failed_logins ? *d_.failed_logins : *own_failed_logins_),
      own_usernames_(d_.usernames ? nullptr
                                  : std::make_unique<memory_username_filter>(
                                        d_.store.all_usernames())),
      usernames_(d_.usernames ? *d_.usernames : *own_usernames_) {}

}  // namespace parley::chat
