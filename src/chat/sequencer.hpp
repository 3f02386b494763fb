#pragma once
// The room's ordering point: where a message gets its id and its `seq` (docs/adr/0007).
//
// A message log runs this at the one place where a room's order is decided, inside the commit
// that makes the message durable: the SQLite writer thread, the MariaDB transaction that holds the
// room's row lock, and in a cluster the persistence worker that owns the room's Kafka partition.
// The rules are the domain's and live here, not in the adapters:
// - `seq` is dense per room, from 1: a number is taken only inside the commit, and a commit that
//   rolls back gives back every number it took (abandon()), so a refusal or a failure never
//   leaves a gap;
// - `message_id` (a ULID) is strictly increasing in the room's order (API.md), across restarts
//   and across nodes: numbering a room continues after the room's stored last id, even when the
//   clock reads earlier;
// - the message's timestamp is the time it was placed, the same instant as its id's time part.
// One sequencer per ordering point, used by one thread at a time (not thread-safe).
#include "chat/storage.hpp"
#include "core/ids.hpp"

#include <optional>
#include <string_view>
#include <unordered_map>

namespace parley::chat {

class room_sequencer {
 public:
  // Starts numbering `chat_id` after its stored position: the last `seq` and, when known, the
  // last message id (another writer may have placed it with a clock ahead of ours).
  void start(std::int64_t chat_id, std::int64_t last_seq, std::string_view last_message_id = {});
  bool started(std::int64_t chat_id) const { return rooms_.contains(chat_id); }
  bool idle() const { return rooms_.empty(); }  // no room started since the last settle
  // Ids continue after `id` (the newest stored id, when the log opens).
  void continue_after(std::string_view id) { ids_.resume_after(id); }

  // The next message of a started room: the draft with its id, seq, timestamp and status SENT.
  // nullopt when the room was not started (it does not exist).
  std::optional<message> place(const new_message& m, core::time_point now);

  // A room whose position moved since it was started: what the adapter writes in the commit.
  struct moved {
    std::int64_t chat_id;
    std::int64_t last_seq;
    std::int64_t last_activity_ms;
  };
  // Calls write(moved) for every room placed into since it was started, then forgets every room:
  // the next place() needs a start() again (the adapter re-reads the stored position).
  template <class F>
  void settle(F&& write) {
    for (auto& [id, r] : rooms_)
      if (r.placed) write(moved{id, r.last_seq, r.last_activity_ms});
    rooms_.clear();
  }
  // Forgets every room without writing: the commit rolled back and its numbers are given back.
  void abandon() { rooms_.clear(); }

 private:
  struct room_state {
    std::int64_t last_seq = 0;
    std::int64_t last_activity_ms = 0;
    bool placed = false;
  };
  core::ulid_generator ids_;
  std::unordered_map<std::int64_t, room_state> rooms_;
};

}  // namespace parley::chat
