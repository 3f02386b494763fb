#include "chat/sequencer.hpp"

namespace parley::chat {

void room_sequencer::start(std::int64_t chat_id, std::int64_t last_seq,
                           std::string_view last_message_id) {
  rooms_[chat_id] = room_state{last_seq, 0, false};
  if (!last_message_id.empty()) ids_.resume_after(last_message_id);
}

std::optional<message> room_sequencer::place(const new_message& m,
                                                    core::time_point now) {
  auto it = rooms_.find(m.chat_id);
  if (it == rooms_.end()) return std::nullopt;
  auto now_ms = core::epoch_ms(now);
  auto& r = it->second;
  r.last_activity_ms = now_ms;
  r.placed = true;
  message msg;
  msg.message_id = ids_.next(now);
  msg.chat_id = m.chat_id;
  msg.seq = ++r.last_seq;
  msg.user_id = m.user_id;
  msg.content = m.content;
  msg.type = m.type;
  msg.status = message_status::sent;
  msg.timestamp = core::from_epoch_ms(now_ms);
  msg.client_message_id = m.client_message_id;
  return msg;
}

}  // namespace parley::chat
