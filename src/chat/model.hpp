#pragma once
// Plain data the store hands to the domain. No behaviour, no storage types.
#include "core/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::chat {

using core::time_point;

struct user {
  std::string user_id;  // UUID
  std::string username;
  std::string email;
  std::string full_name;
  std::string password_hash;
  std::optional<std::string> avatar;
  std::optional<std::string> bio;
};

struct user_patch {
  std::optional<std::string> email, full_name, avatar, bio;
};

enum class room_type { public_room, private_room, direct_message };

struct room {
  std::int64_t chat_id = 0;
  std::string name;
  room_type type = room_type::private_room;
  std::optional<std::string> description;
  std::optional<std::string> icon;
  time_point created_at;
  std::int64_t last_seq = 0;
};

struct room_patch {
  std::optional<std::string> name, description, icon;
  std::optional<room_type> type;
};

struct member {
  std::int64_t chat_id = 0;
  std::string user_id;
  bool admin = false;
  std::optional<std::string> last_read_message_id;
  user profile;  // filled by members(); password_hash left empty
};

enum class message_status { sent = 0, delivered = 1, read = 2 };
enum class message_type { text, image, file };

struct message {
  std::string message_id;  // ULID, strictly increasing in commit order
  std::int64_t chat_id = 0;
  std::int64_t seq = 0;  // 1, 2, 3 ... per room, contiguous
  std::string user_id;
  std::string content;
  message_type type = message_type::text;
  message_status status = message_status::sent;
  time_point timestamp;
  bool edited = false;
  std::optional<std::string> client_message_id;
};

struct room_summary {
  room info;
  std::optional<message> latest;
  std::int64_t unread_count = 0;
};

template <class T>
struct page {
  std::vector<T> content;
  std::int64_t total_elements = 0;
  int number = 0;
  int size = 0;
};

struct slice {
  std::vector<message> content;  // oldest first
  bool has_more = false;
};

struct presence_row {
  std::string user_id;
  std::optional<time_point> last_seen;
};

const char* to_string(room_type t);
std::optional<room_type> parse_room_type(std::string_view s);
const char* to_string(message_status s);
std::optional<message_status> parse_message_status(std::string_view s);
const char* to_string(message_type t);
std::optional<message_type> parse_message_type(std::string_view s);

}  // namespace parley::chat
