#pragma once
// The model read from a result row, the same for every SQL adapter: `Row` is an adapter's
// statement positioned on a row, with int64(col), text(col) and opt_text(col). Columns start at
// `c`, in the order of the adapter's column lists (users: user_id, username, email, full_name,
// password_hash, avatar, bio; rooms: chat_id, name, type, description, icon, created_at, last_seq;
// messages: message_id, chat_id, seq, user_id, content, type, status, timestamp, edited,
// client_message_id).
#include "core/time.hpp"
#include "store/domain_types.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace parley::store {

template <class Row>
user read_user(const Row& s, int c = 0) {
  return user{s.text(c),     s.text(c + 1),     s.text(c + 2),    s.text(c + 3),
              s.text(c + 4), s.opt_text(c + 5), s.opt_text(c + 6)};
}

template <class Row>
room read_room(const Row& s, int c = 0) {
  room r;
  r.chat_id = s.int64(c);
  r.name = s.text(c + 1);
  r.type = parse_room_type(s.text(c + 2)).value_or(room_type::private_room);
  r.description = s.opt_text(c + 3);
  r.icon = s.opt_text(c + 4);
  r.created_at = core::from_epoch_ms(s.int64(c + 5));
  r.last_seq = s.int64(c + 6);
  return r;
}

template <class Row>
message read_message(const Row& s, int c = 0) {
  message m;
  m.message_id = s.text(c);
  m.chat_id = s.int64(c + 1);
  m.seq = s.int64(c + 2);
  m.user_id = s.text(c + 3);
  m.content = s.text(c + 4);
  m.type = parse_message_type(s.text(c + 5)).value_or(message_type::text);
  m.status = static_cast<message_status>(std::clamp<std::int64_t>(s.int64(c + 6), 0, 2));
  m.timestamp = core::from_epoch_ms(s.int64(c + 7));
  m.edited = s.int64(c + 8) != 0;
  m.client_message_id = s.opt_text(c + 9);
  return m;
}

// The concatenation of `parts`: SQL built from an adapter's column lists.
inline std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

}  // namespace parley::store
