// The message log (conditional writes through the writer) and history reads.
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/db.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/writer_jobs.hpp"

namespace parley::store::sqlite {

using core::problem;

// ---- messages ----------------------------------------------------------------------------

void sqlite_store::append(new_message m, callback<appended> done) {
  static const std::string by_row = sql({"SELECT ", msg_cols, " FROM messages WHERE row_id = ?"});
  static const std::string insert =
      sql({"INSERT INTO messages(", msg_cols, ", client_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)"});
  submit_async<appended>(
      std::move(done),
      [this, m = std::move(m)](connection& db) -> outcome<appended> {
        if (!find_member(db, m.chat_id, m.user_id)) return appended{append_verdict::not_a_member, {}};
        std::optional<std::int64_t> key;
        if (m.client_message_id) {
          key = client_key(m.user_id, *m.client_message_id);
          if (auto row = retries_.find(*key)) {
            auto& s = db.cached(by_row);
            s.bind(1, *row);
            // The key is a hash: the stored ids decide.
            if (s.step()) {
              auto original = read_message(s);
              if (original.user_id == m.user_id && original.client_message_id == m.client_message_id)
                return appended{append_verdict::duplicate, std::move(original)};
            }
          }
        }
        auto placed = place(db, m);
        if (!placed) return appended{append_verdict::not_a_member, {}};  // the room is gone
        auto& msg = *placed;
        auto& ins = db.cached(insert);
        ins.bind(1, msg.message_id)
            .bind(2, msg.chat_id)
            .bind(3, msg.seq)
            .bind(4, msg.user_id)
            .bind(5, msg.content)
            .bind(6, to_string(msg.type))
            .bind(7, static_cast<std::int64_t>(msg.status))
            .bind(8, core::epoch_ms(msg.timestamp))
            .bind(9, false)
            .bind(10, msg.client_message_id);
        if (key)
          ins.bind(11, *key);
        else
          ins.bind_null(11);
        ins.run();
        if (key) retries_.insert(*key, db.last_insert_rowid());
        return appended{append_verdict::appended, std::move(msg)};
      },
      /*reads_rooms=*/false);
}

void sqlite_store::set_status_if_forward(std::int64_t chat_id, const std::string& message_id,
                                         const std::string& user_id, message_status s,
                                         callback<status_change> done) {
  submit_async<status_change>(std::move(done), [=](connection& db) -> outcome<status_change> {
    if (!find_member(db, chat_id, user_id)) return status_change{status_verdict::not_a_member, {}};
    auto msg = find_message(db, message_id);
    if (!msg || msg->chat_id != chat_id) return status_change{status_verdict::no_such_message, {}};
    if (msg->user_id == user_id) return status_change{status_verdict::not_a_recipient, *msg};
    if (s <= msg->status) return status_change{status_verdict::unchanged, *msg};
    db.cached("UPDATE messages SET status = ? WHERE message_id = ?")
        .bind(1, static_cast<std::int64_t>(s))
        .bind(2, message_id)
        .run();
    msg->status = s;
    return status_change{status_verdict::changed, *msg};
  }, /*reads_rooms=*/false);
}

void sqlite_store::advance_read_marker(std::int64_t chat_id, const std::string& user_id,
                                       const std::string& message_id,
                                       callback<read_change> done) {
  submit_async<read_change>(std::move(done), [=](connection& db) -> outcome<read_change> {
    auto& s = db.cached(
        "SELECT last_read_message_id, last_read_seq FROM room_members "
        "WHERE chat_id = ? AND user_id = ?");
    s.bind(1, chat_id).bind(2, user_id);
    if (!s.step()) return read_change{read_verdict::not_a_member, {}};
    auto current = s.opt_text(0);
    auto current_seq = s.int64(1);
    s.reset();
    auto msg = find_message(db, message_id);
    if (!msg || msg->chat_id != chat_id) return read_change{read_verdict::no_such_message, {}};
    if (msg->seq <= current_seq) return read_change{read_verdict::unchanged, current.value_or("")};
    db.cached(
          "UPDATE room_members SET last_read_message_id = ?, last_read_seq = ? "
          "WHERE chat_id = ? AND user_id = ?")
        .bind(1, message_id)
        .bind(2, msg->seq)
        .bind(3, chat_id)
        .bind(4, user_id)
        .run();
    return read_change{read_verdict::advanced, message_id};
  }, /*reads_rooms=*/false);
}

page<message> sqlite_store::history_page(std::int64_t chat_id, int pg, int size) {
  auto db = read();
  page<message> out;
  out.number = pg;
  out.size = size;
  auto& c = db->cached("SELECT count(*) FROM messages WHERE chat_id = ?");
  c.bind(1, chat_id);
  c.step();
  out.total_elements = c.int64(0);
  auto& s =
      db->cached(sql({"SELECT ", msg_cols,
                      " FROM messages WHERE chat_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?"}));
  s.bind(1, chat_id).bind(2, size).bind(3, static_cast<std::int64_t>(pg) * size);
  while (s.step()) out.content.push_back(read_message(s));
  return out;
}

namespace {
outcome<std::int64_t> cursor_seq(connection& db, std::int64_t chat_id, const std::string& id) {
  auto& s = db.cached("SELECT chat_id, seq FROM messages WHERE message_id = ?");
  s.bind(1, id);
  if (!s.step() || s.int64(0) != chat_id)
    return problem::bad_request("Unknown cursor: not a message of this room");
  return s.int64(1);
}
}  // namespace

outcome<slice> sqlite_store::history_after(std::int64_t chat_id, const std::string& after_id,
                                           int limit) {
  auto db = read();
  auto from = cursor_seq(*db, chat_id, after_id);
  if (!from) return from.error();
  auto& s = db->cached(sql(
      {"SELECT ", msg_cols, " FROM messages WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?"}));
  s.bind(1, chat_id).bind(2, *from).bind(3, limit + 1);
  slice out;
  while (s.step()) out.content.push_back(read_message(s));
  if (out.content.size() > static_cast<std::size_t>(limit)) {
    out.content.pop_back();
    out.has_more = true;
  }
  return out;
}

outcome<slice> sqlite_store::history_before(std::int64_t chat_id, const std::string& before_id,
                                            int limit) {
  auto db = read();
  auto to = cursor_seq(*db, chat_id, before_id);
  if (!to) return to.error();
  auto& s = db->cached(sql({"SELECT ", msg_cols,
                            " FROM messages WHERE chat_id = ? AND seq < ? ORDER BY seq DESC "
                            "LIMIT ?"}));
  s.bind(1, chat_id).bind(2, *to).bind(3, limit + 1);
  slice out;
  while (s.step()) out.content.push_back(read_message(s));
  if (out.content.size() > static_cast<std::size_t>(limit)) {
    out.content.pop_back();
    out.has_more = true;
  }
  std::reverse(out.content.begin(), out.content.end());
  return out;
}

std::optional<message> sqlite_store::message_by_id(const std::string& message_id) {
  auto db = read();
  return find_message(*db, message_id);
}

}  // namespace parley::store::sqlite
