#pragma once
// The adapters implement the domain's storage ports (src/chat/storage.hpp) in the domain's own
// terms: these names, declared once, let adapter code say `message` rather than `chat::message`.
#include "chat/storage.hpp"

namespace parley::store {

using chat::append_verdict;
using chat::appended;
using chat::callback;
using chat::member;
using chat::message;
using chat::message_log;
using chat::message_status;
using chat::message_type;
using chat::new_message;
using chat::outcome;
using chat::page;
using chat::parse_message_status;
using chat::parse_message_type;
using chat::parse_room_type;
using chat::presence_row;
using chat::read_change;
using chat::read_verdict;
using chat::refresh_grant;
using chat::repositories;
using chat::room;
using chat::room_patch;
using chat::room_summary;
using chat::room_type;
using chat::slice;
using chat::status_change;
using chat::status_verdict;
using chat::time_point;
using chat::to_string;
using chat::user;
using chat::user_patch;

}  // namespace parley::store
