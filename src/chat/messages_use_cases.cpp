// Chat use cases: history, sending (STOMP and REST), status receipts, read markers, typing, and
// who may subscribe to what.
#include "chat/service.hpp"
#include "chat/use_case_support.hpp"

#include "auth/tokens.hpp"
#include "auth/validation.hpp"
#include "chat/views.hpp"
#include "core/ids.hpp"
#include "obs/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <future>

namespace parley::chat {

using namespace detail;

outcome<reply> service::history(const identity& who, std::int64_t chat_id,
                                const std::map<std::string, std::string>& query) {
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  auto get = [&](const char* k) -> std::string_view {
    auto it = query.find(k);
    return it == query.end() ? std::string_view{} : std::string_view(it->second);
  };
  auto after = get("after"), before = get("before");
  if (!after.empty() || !before.empty()) {
    if (!after.empty() && !before.empty())
      return problem::bad_request("Use either after or before, not both");
    int limit = d_.lim.default_cursor_limit;
    if (auto l = get("limit"); !l.empty()) {
      auto v = parse_int(l);
      if (!v) return field_error("limit", "must be an integer");
      limit = std::clamp(*v, 1, d_.lim.max_cursor_limit);
    }
    auto cursor = std::string(after.empty() ? before : after);
    if (!core::is_ulid(cursor))
      return field_error(after.empty() ? "before" : "after", "must be a message id");
    auto s = after.empty() ? d_.store.history_before(chat_id, cursor, limit)
                           : d_.store.history_after(chat_id, cursor, limit);
    if (!s) return s.error();
    json::array content;
    for (auto& msg : s->content) content.push_back(views::message(msg));
    return reply{json::object{{"content", std::move(content)}, {"hasMore", s->has_more}}};
  }
  auto pg = parse_page(get("page"), get("size"), d_.lim);
  if (!pg) return pg.error();
  auto p = d_.store.history_page(chat_id, pg->first, pg->second);
  json::array content;
  for (auto& msg : p.content) content.push_back(views::message(msg));
  return reply{views::page(std::move(content), p.total_elements, p.number, p.size)};
}

outcome<reply> service::get_message(const identity& who, std::string_view message_id) {
  if (!core::is_ulid(message_id)) return problem::not_found("Message not found");
  auto msg = d_.store.message_by_id(std::string(message_id));
  if (!msg || !d_.store.membership(msg->chat_id, who.user_id))
    return problem::not_found("Message not found");
  return reply{views::message(*msg)};
}

outcome<new_message> service::parse_new(const identity& who, const json::object& body,
                                               std::optional<std::int64_t> path_chat_id) {
  std::map<std::string, std::string> errors;
  new_message m;
  m.user_id = who.user_id;  // identity from the token, never from the body (original bug 2)
  if (path_chat_id) {
    m.chat_id = *path_chat_id;
  } else {
    auto id = core::get_int(body, "chatRoomId");
    if (!id || !*id)
      errors["chatRoomId"] = "'chatRoomId' is required";
    else
      m.chat_id = **id;
  }
  auto content = string_field(body, "content", errors);
  auto type = string_field(body, "type", errors);
  auto cid = string_field(body, "clientMessageId", errors);
  if (type) {
    auto t = parse_message_type(*type);
    if (!t)
      errors["type"] = "must be TEXT, IMAGE or FILE";
    else
      m.type = *t;
  }
  if (!errors.count("content")) {
    if (!content || content->empty()) {
      errors["content"] = "'content' is required";
    } else if (m.type == message_type::text) {
      auto n = chars(*content);
      if (n == SIZE_MAX)
        errors["content"] = "must be valid UTF-8";
      else if (n > d_.lim.max_content_chars)
        errors["content"] = "at most 4000 characters";
    } else if (content->size() > d_.lim.max_url_chars || !is_media_url(*content)) {
      errors["content"] = "must be the media URL of the upload";
    }
  }
  if (cid && (cid->empty() || cid->size() > d_.lim.max_client_message_id))
    errors["clientMessageId"] = "1-64 characters";
  if (!errors.empty()) return validation(std::move(errors));
  m.content = std::move(*content);
  m.client_message_id = std::move(cid);
  return m;
}

namespace {
// What the log's verdicts mean to the caller: the message-path rules, decided here and evaluated
// atomically by the log (chat/storage.hpp).
problem not_a_member() {
  return problem::not_found("You are not a member of this chat room", core::errc::not_member);
}
problem no_such_message() { return problem::not_found("Message not found"); }
}  // namespace

void service::append(new_message m, callback<appended> done) {
  d_.log.append(std::move(m), [this, done = std::move(done)](outcome<appended> r) {
    // Runs on the log's callback thread in commit order: publishing here keeps the room's order.
    if (!r) return done(std::move(r));
    switch (r->verdict) {
      case append_verdict::not_a_member: return done(not_a_member());
      case append_verdict::duplicate: return done(std::move(r));  // published the first time
      case append_verdict::appended: break;
    }
    obs::global().messages_committed.fetch_add(1, std::memory_order_relaxed);
    if (!r->published)
      d_.out.publish_in_order(r->msg.chat_id, r->msg.seq, views::message_text(r->msg),
                              r->msg.message_id);
    done(std::move(r));
  });
}

void service::on_send(const identity& who, std::string_view body, done_fn done) {
  auto obj = parse_object(body);
  if (!obj) return done(obj.error());
  if (obj->contains("messageId")) return send_status(who, *obj, std::move(done));
  auto m = parse_new(who, *obj, std::nullopt);
  if (!m) return done(m.error());
  append(std::move(*m), [done = std::move(done)](outcome<appended> r) {
    if (!r) return done(r.error());
    done(r->msg.message_id);
  });
}

void service::send_status(const identity& who, const json::object& body, done_fn done) {
  std::map<std::string, std::string> errors;
  auto id = string_field(body, "messageId", errors);
  auto chat = core::get_int(body, "chatRoomId");
  auto status = string_field(body, "status", errors);
  if (!id || !core::is_ulid(*id)) errors["messageId"] = "must be a message id";
  if (!chat || !*chat) errors["chatRoomId"] = "'chatRoomId' is required";
  std::optional<message_status> s;
  if (!status || !(s = parse_message_status(*status)))
    errors["status"] = "must be SENT, DELIVERED or READ";
  if (!errors.empty()) return done(validation(std::move(errors)));
  // Only the status is read from the body: content, sender and timestamp never change this way.
  d_.log.set_status_if_forward(
      **chat, *id, who.user_id, *s,
      [this, done = std::move(done)](outcome<status_change> r) {
        if (!r) return done(r.error());
        switch (r->verdict) {
          case status_verdict::not_a_member: return done(not_a_member());
          case status_verdict::no_such_message: return done(no_such_message());
          case status_verdict::not_a_recipient:
            return done(problem::forbidden("Only a recipient may change a message's status",
                                           core::errc::forbidden_status));
          case status_verdict::unchanged: break;  // backwards: a no-op that is answered
          case status_verdict::changed:
            d_.out.publish(destinations::room(r->msg.chat_id), views::message_text(r->msg),
                           r->msg.message_id);
            break;
        }
        done(r->msg.message_id);
      });
}

void service::read_marker(const identity& who, std::int64_t chat_id, std::string message_id,
                          callback<read_change> done) {
  d_.log.advance_read_marker(
      chat_id, who.user_id, message_id,
      [this, who, chat_id, done = std::move(done)](outcome<read_change> r) {
        if (!r) return done(std::move(r));
        switch (r->verdict) {
          case read_verdict::not_a_member: return done(not_a_member());
          case read_verdict::no_such_message: return done(no_such_message());
          case read_verdict::unchanged: break;
          case read_verdict::advanced:
            d_.out.publish(destinations::receipts(chat_id),
                           json_string({{"chatId", chat_id},
                                        {"userId", who.user_id},
                                        {"lastReadMessageId", r->last_read_message_id}}),
                           {});
            break;
        }
        done(std::move(r));
      });
}

void service::on_read(const identity& who, std::string_view body, done_fn done) {
  auto obj = parse_object(body);
  if (!obj) return done(obj.error());
  auto chat = core::get_int(*obj, "chatRoomId");
  auto id = core::get_string(*obj, "messageId");
  if (!chat || !*chat || !id || !*id || !core::is_ulid(**id))
    return done(problem::bad_request("Expected {chatRoomId, messageId}"));
  read_marker(who, **chat, **id, [done = std::move(done)](outcome<read_change> r) {
    if (!r) return done(r.error());
    done(r->last_read_message_id);
  });
}

outcome<reply> service::post_message(const identity& who, std::int64_t chat_id,
                                     std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  auto m = parse_new(who, *obj, chat_id);
  if (!m) return m.error();
  std::promise<outcome<appended>> p;
  auto f = p.get_future();
  append(std::move(*m), [&p](outcome<appended> r) { p.set_value(std::move(r)); });
  auto r = f.get();
  if (!r) {
    if (r.error().code == core::errc::not_member) return problem::not_found(not_member_room, core::errc::not_member);
    return r.error();
  }
  return reply{views::message(r->msg), r->duplicate() ? 200 : 201};
}

outcome<reply> service::post_read(const identity& who, std::int64_t chat_id,
                                  std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  auto id = core::get_string(*obj, "messageId");
  if (!id || !*id || !core::is_ulid(**id)) return field_error("messageId", "must be a message id");
  std::promise<outcome<read_change>> p;
  auto f = p.get_future();
  read_marker(who, chat_id, **id,
              [&p](outcome<read_change> r) { p.set_value(std::move(r)); });
  auto r = f.get();
  if (!r) {
    if (r.error().code == core::errc::not_member) return problem::not_found(not_member_room, core::errc::not_member);
    return r.error();
  }
  return reply{json::object{{"chatId", chat_id},
                            {"userId", who.user_id},
                            {"lastReadMessageId", r->last_read_message_id}}};
}

outcome<std::string> service::on_typing(const identity& who, std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  auto chat = core::get_int(*obj, "chatId");
  auto typing = core::get_bool(*obj, "typing");
  if (!chat || !*chat || !typing || !*typing)
    return problem::bad_request("Expected {chatId, typing}");
  if (!d_.store.membership(**chat, who.user_id))
    return problem::not_found("You are not a member of this chat room", core::errc::not_member);
  // userId comes from the session, never from the body (original bug 3).
  d_.out.publish(destinations::typing(**chat),
                 json_string({{"chatId", **chat}, {"userId", who.user_id}, {"typing", **typing}}),
                 {});
  return std::string();
}

outcome<std::string> service::authorize_subscription(const identity& who, std::string_view dest) {
  if (dest == "/user/queue/events") return destinations::user_events(who.user_id);
  constexpr std::string_view prefix = "/topic/rooms/";
  if (!dest.starts_with(prefix))
    return problem::forbidden("Unknown destination: " + std::string(dest), core::errc::forbidden);
  auto rest = dest.substr(prefix.size());
  auto slash = rest.find('/');
  auto id_part = rest.substr(0, slash);
  auto suffix = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  std::int64_t chat_id = 0;
  auto [p, ec] = std::from_chars(id_part.data(), id_part.data() + id_part.size(), chat_id);
  if (ec != std::errc() || p != id_part.data() + id_part.size() || chat_id <= 0 ||
      !(suffix.empty() || suffix == "/typing" || suffix == "/receipts"))
    return problem::forbidden("Unknown destination: " + std::string(dest), core::errc::forbidden);
  if (!d_.store.membership(chat_id, who.user_id))
    return problem::forbidden("You are not a member of this chat room", core::errc::forbidden);
  return std::string(dest);
}

}  // namespace parley::chat
