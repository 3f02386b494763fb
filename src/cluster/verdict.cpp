#include "cluster/verdict.hpp"

#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

#include <type_traits>

namespace parley::cluster {

namespace json = boost::json;

namespace {

using decoded = boost::system::result<verdict, std::string>;

template <class E>
struct names;
template <>
struct names<chat::append_verdict> {
  static constexpr std::pair<chat::append_verdict, std::string_view> all[] = {
      {chat::append_verdict::appended, "appended"},
      {chat::append_verdict::duplicate, "duplicate"},
      {chat::append_verdict::not_a_member, "not_a_member"}};
};
template <>
struct names<chat::status_verdict> {
  static constexpr std::pair<chat::status_verdict, std::string_view> all[] = {
      {chat::status_verdict::changed, "changed"},
      {chat::status_verdict::unchanged, "unchanged"},
      {chat::status_verdict::not_a_member, "not_a_member"},
      {chat::status_verdict::no_such_message, "no_such_message"},
      {chat::status_verdict::not_a_recipient, "not_a_recipient"}};
};
template <>
struct names<chat::read_verdict> {
  static constexpr std::pair<chat::read_verdict, std::string_view> all[] = {
      {chat::read_verdict::advanced, "advanced"},
      {chat::read_verdict::unchanged, "unchanged"},
      {chat::read_verdict::not_a_member, "not_a_member"},
      {chat::read_verdict::no_such_message, "no_such_message"}};
};

template <class E>
std::string_view name_of(E e) {
  for (auto& [v, n] : names<E>::all)
    if (v == e) return n;
  return "?";
}
template <class E>
std::optional<E> parse_name(std::string_view s) {
  for (auto& [v, n] : names<E>::all)
    if (n == s) return v;
  return std::nullopt;
}

json::object message_json(const chat::message& m) {
  return {{"messageId", m.message_id},
          {"chatId", m.chat_id},
          {"seq", m.seq},
          {"userId", m.user_id},
          {"content", m.content},
          {"type", chat::to_string(m.type)},
          {"status", chat::to_string(m.status)},
          {"timestamp", core::epoch_ms(m.timestamp)},
          {"edited", m.edited},
          {"clientMessageId", core::nullable(m.client_message_id)}};
}

// The fields of one object; the first problem wins.
class reader {
 public:
  explicit reader(const json::object& o) : o_(o) {}
  std::string string(std::string_view key) {
    auto v = core::get_string(o_, key);
    if (!v || !*v) fail(std::string(key) + " is not a string");
    return v && *v ? std::move(**v) : std::string();
  }
  std::optional<std::string> optional_string(std::string_view key) {
    auto v = core::get_string(o_, key);
    if (!v) fail(std::string(key) + " is not a string");
    return v ? std::move(*v) : std::nullopt;
  }
  std::int64_t integer(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v || !v->is_int64()) fail(std::string(key) + " is not an integer");
    return v && v->is_int64() ? v->get_int64() : 0;
  }
  const json::object* object(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v || !v->is_object()) fail(std::string(key) + " is not an object");
    return v && v->is_object() ? &v->get_object() : nullptr;
  }
  template <class E>
  E named(std::string_view key) {
    auto e = parse_name<E>(string(key));
    if (!e) fail(std::string(key) + " is unknown");
    return e.value_or(E{});
  }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }
  std::string& error() { return error_; }

 private:
  const json::object& o_;
  std::string error_;
};

chat::message read_message(const json::object& o, std::string& error) {
  reader in(o);
  chat::message m;
  m.message_id = in.string("messageId");
  m.chat_id = in.integer("chatId");
  m.seq = in.integer("seq");
  m.user_id = in.string("userId");
  m.content = in.string("content");
  auto type = chat::parse_message_type(in.string("type"));
  auto status = chat::parse_message_status(in.string("status"));
  if (!type || !status) in.fail("type or status is unknown");
  m.type = type.value_or(chat::message_type::text);
  m.status = status.value_or(chat::message_status::sent);
  m.timestamp = core::from_epoch_ms(in.integer("timestamp"));
  const json::value* edited = o.if_contains("edited");
  if (!edited || !edited->is_bool()) in.fail("edited is not a boolean");
  m.edited = edited && edited->is_bool() && edited->get_bool();
  m.client_message_id = in.optional_string("clientMessageId");
  if (in.error().empty() && !core::is_ulid(m.message_id)) in.fail("messageId is not a ULID");
  if (!in.error().empty() && error.empty()) error = "message: " + in.error();
  return m;
}

}  // namespace

std::string verdict_channel(std::string_view prefix, std::string_view node_id) {
  return std::string(prefix) + "verdicts:" + std::string(node_id);
}

std::string encode(const verdict& v) {
  json::object o{{"v", 1}, {"recordId", v.record_id}};
  std::visit(
      [&o](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, chat::appended>) {
          o["kind"] = "append";
          o["verdict"] = name_of(x.verdict);
          if (x.verdict != chat::append_verdict::not_a_member) o["message"] = message_json(x.msg);
        } else if constexpr (std::is_same_v<T, chat::status_change>) {
          o["kind"] = "status";
          o["verdict"] = name_of(x.verdict);
          if (!x.msg.message_id.empty()) o["message"] = message_json(x.msg);
        } else if constexpr (std::is_same_v<T, chat::read_change>) {
          o["kind"] = "read";
          o["verdict"] = name_of(x.verdict);
          o["lastReadMessageId"] = x.last_read_message_id;
        } else {
          o["kind"] = "failed";
          o["code"] = core::code_name(x.code);
          o["message"] = x.message;
        }
      },
      v.outcome);
  return json::serialize(o);
}

decoded decode_verdict(std::string_view value) {
  auto parsed = core::parse_json(value, 4);
  if (!parsed || !parsed->is_object())
    return decoded(boost::system::in_place_error, "not a JSON object");
  const auto& o = parsed->as_object();
  const json::value* ver = o.if_contains("v");
  if (!ver || !ver->is_int64() || ver->get_int64() != 1)
    return decoded(boost::system::in_place_error, "unknown version");
  reader in(o);
  verdict out;
  out.record_id = in.string("recordId");
  auto kind = in.string("kind");
  if (kind == "append") {
    chat::appended a;
    a.verdict = in.named<chat::append_verdict>("verdict");
    if (a.verdict != chat::append_verdict::not_a_member)
      if (auto* m = in.object("message")) a.msg = read_message(*m, in.error());
    out.outcome = std::move(a);
  } else if (kind == "status") {
    chat::status_change s;
    s.verdict = in.named<chat::status_verdict>("verdict");
    if (o.contains("message"))
      if (auto* m = in.object("message")) s.msg = read_message(*m, in.error());
    out.outcome = std::move(s);
  } else if (kind == "read") {
    chat::read_change r;
    r.verdict = in.named<chat::read_verdict>("verdict");
    r.last_read_message_id = in.optional_string("lastReadMessageId").value_or("");
    out.outcome = std::move(r);
  } else if (kind == "failed") {
    // A failure the worker gave up on: the node reports it as what it is, an internal error.
    out.outcome = core::problem::internal(in.string("message"));
  } else {
    in.fail("kind is unknown");
  }
  if (!in.error().empty()) return decoded(boost::system::in_place_error, in.error());
  if (!core::is_ulid(out.record_id))
    return decoded(boost::system::in_place_error, "recordId is not a ULID");
  return out;
}

}  // namespace parley::cluster
