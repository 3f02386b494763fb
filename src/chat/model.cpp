#include "chat/model.hpp"

namespace parley::chat {

const char* to_string(room_type t) {
  switch (t) {
    case room_type::public_room: return "PUBLIC";
    case room_type::private_room: return "PRIVATE";
    case room_type::direct_message: return "DIRECT_MESSAGE";
  }
  return "PRIVATE";
}

std::optional<room_type> parse_room_type(std::string_view s) {
  if (s == "PUBLIC") return room_type::public_room;
  if (s == "PRIVATE") return room_type::private_room;
  if (s == "DIRECT_MESSAGE") return room_type::direct_message;
  return std::nullopt;
}

const char* to_string(message_status s) {
  switch (s) {
    case message_status::sent: return "SENT";
    case message_status::delivered: return "DELIVERED";
    case message_status::read: return "READ";
  }
  return "SENT";
}

std::optional<message_status> parse_message_status(std::string_view s) {
  if (s == "SENT") return message_status::sent;
  if (s == "DELIVERED") return message_status::delivered;
  if (s == "READ") return message_status::read;
  return std::nullopt;
}

const char* to_string(message_type t) {
  switch (t) {
    case message_type::text: return "TEXT";
    case message_type::image: return "IMAGE";
    case message_type::file: return "FILE";
  }
  return "TEXT";
}

std::optional<message_type> parse_message_type(std::string_view s) {
  if (s == "TEXT") return message_type::text;
  if (s == "IMAGE") return message_type::image;
  if (s == "FILE") return message_type::file;
  return std::nullopt;
}

}  // namespace parley::chat
