#include "cluster/log_record.hpp"

#include "chat/limits.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

#include <type_traits>

namespace parley::cluster {

namespace json = boost::json;

namespace {

using decoded = boost::system::result<log_record, std::string>;

std::int64_t chat_of(const log_record& r) {
  return std::visit(
      [](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, append_record>)
          return x.msg.chat_id;
        else
          return x.chat_id;
      },
      r);
}

// Reads the fields of one record; the first problem wins, as a reason for the dead letter.
class reader {
 public:
  explicit reader(const json::object& o) : o_(o) {}

  std::string string(std::string_view key, std::size_t max_chars) {
    auto v = core::get_string(o_, key);
    if (!v) return fail(std::string(key) + " is not a string");
    if (!*v || (*v)->empty()) return fail(std::string(key) + " is missing");
    if ((*v)->size() > max_chars) return fail(std::string(key) + " is too long");
    return std::move(**v);
  }
  std::optional<std::string> optional_string(std::string_view key, std::size_t max_chars) {
    auto v = core::get_string(o_, key);
    if (!v) {
      fail(std::string(key) + " is not a string");
      return std::nullopt;
    }
    if (*v && (*v)->empty()) {
      fail(std::string(key) + " is empty");  // absent is null; the API refuses "" too
      return std::nullopt;
    }
    if (*v && (*v)->size() > max_chars) {
      fail(std::string(key) + " is too long");
      return std::nullopt;
    }
    return std::move(*v);
  }
  std::string ulid(std::string_view key) {
    auto s = string(key, 26);
    if (error_.empty() && !core::is_ulid(s)) fail(std::string(key) + " is not a ULID");
    return s;
  }
  std::string uuid(std::string_view key) {
    auto s = string(key, 36);
    if (error_.empty() && !core::is_uuid(s)) fail(std::string(key) + " is not a UUID");
    return s;
  }
  std::int64_t room(std::string_view key) {
    // Strictly a JSON integer: the API's lenient reading of "42" has no place in our own records.
    const json::value* v = o_.if_contains(key);
    if (!v || !v->is_int64() || v->get_int64() < 1) {
      fail(std::string(key) + " is not a room id");
      return 0;
    }
    return v->get_int64();
  }
  std::string fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return {};
  }
  const std::string& error() const { return error_; }

 private:
  const json::object& o_;
  std::string error_;
};

json::object head(std::string_view kind, const std::string& record_id, const std::string& origin,
                  std::int64_t chat_id) {
  return {{"v", 1}, {"kind", kind}, {"recordId", record_id}, {"origin", origin},
          {"chatId", chat_id}};
}

}  // namespace

bool append_record::operator==(const append_record& o) const {
  return record_id == o.record_id && origin == o.origin && msg.chat_id == o.msg.chat_id &&
         msg.user_id == o.msg.user_id && msg.content == o.msg.content && msg.type == o.msg.type &&
         msg.client_message_id == o.msg.client_message_id;
}

std::string record_key(const log_record& r) { return std::to_string(chat_of(r)); }

std::string encode(const log_record& r) {
  json::object o = std::visit(
      [](const auto& x) -> json::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, append_record>) {
          auto o = head("append", x.record_id, x.origin, x.msg.chat_id);
          o["userId"] = x.msg.user_id;
          o["content"] = x.msg.content;
          o["type"] = chat::to_string(x.msg.type);
          o["clientMessageId"] = core::nullable(x.msg.client_message_id);
          return o;
        } else if constexpr (std::is_same_v<T, status_record>) {
          auto o = head("status", x.record_id, x.origin, x.chat_id);
          o["messageId"] = x.message_id;
          o["userId"] = x.caller;
          o["status"] = chat::to_string(x.status);
          return o;
        } else {
          auto o = head("read", x.record_id, x.origin, x.chat_id);
          o["messageId"] = x.message_id;
          o["userId"] = x.user_id;
          return o;
        }
      },
      r);
  return json::serialize(o);
}

decoded decode(std::string_view value) {
  if (value.size() > max_record_bytes)
    return decoded(boost::system::in_place_error, "record too large");
  auto parsed = core::parse_json(value, 4);
  if (!parsed) return decoded(boost::system::in_place_error, "not JSON");
  if (!parsed->is_object()) return decoded(boost::system::in_place_error, "not a JSON object");
  const auto& o = parsed->as_object();
  const json::value* v = o.if_contains("v");
  if (!v || !v->is_int64() || v->get_int64() != 1)
    return decoded(boost::system::in_place_error, "unknown version");
  reader in(o);
  auto kind = in.string("kind", 16);
  auto record_id = in.ulid("recordId");
  auto origin = in.string("origin", max_node_id_chars);
  auto chat_id = in.room("chatId");
  log_record out;
  if (kind == "append") {
    append_record a{record_id, origin, {chat_id, in.uuid("userId"), {}, {}, {}}};
    // Bounds, not the content rules: the producing node applied those (a TEXT's 4,000
    // characters, a URL's 2,048); the record cap bounds the rest.
    a.msg.content = in.string("content", max_record_bytes);
    auto type = chat::parse_message_type(in.string("type", 8));
    if (!type) in.fail("type is unknown");
    a.msg.type = type.value_or(chat::message_type::text);
    a.msg.client_message_id =
        in.optional_string("clientMessageId", chat::limits{}.max_client_message_id);
    out = std::move(a);
  } else if (kind == "status") {
    status_record s{record_id, origin, chat_id, in.ulid("messageId"), in.uuid("userId"), {}};
    auto status = chat::parse_message_status(in.string("status", 16));
    if (!status) in.fail("status is unknown");
    s.status = status.value_or(chat::message_status::delivered);
    out = std::move(s);
  } else if (kind == "read") {
    out = read_record{record_id, origin, chat_id, in.uuid("userId"), in.ulid("messageId")};
  } else {
    in.fail("kind is unknown");
  }
  if (!in.error().empty()) return decoded(boost::system::in_place_error, in.error());
  return out;
}

}  // namespace parley::cluster
