#pragma once
// The fixture every service test shares: alice, bob and carol registered on a fresh store.
#include "chat_harness.hpp"

#include <future>
#include <map>

namespace parley::chat::test {

class chat_service : public ::testing::Test {
 protected:
  void SetUp() override {
    alice = env.register_user("alice");
    bob = env.register_user("bob");
    carol = env.register_user("carol");
  }

  // The JSON of a successful call; fails the test otherwise.
  static json::value ok(const outcome<reply>& r, int status = 200) {
    if (!r) {
      ADD_FAILURE() << "expected " << status << ", got " << r.error().status() << " "
                    << r.error().message;
      return nullptr;
    }
    EXPECT_EQ(r->status, status);
    return r->body;
  }
  static int status_of(const outcome<reply>& r) { return r ? r->status : r.error().status(); }

  json::object post(const identity& who, std::int64_t chat_id, const std::string& content,
                    std::optional<std::string> client_id = std::nullopt, int status = 201) {
    json::object body{{"content", content}};
    if (client_id) body["clientMessageId"] = *client_id;
    auto v = ok(chat.post_message(who, chat_id, json::serialize(body)), status);
    return v.is_object() ? v.as_object() : json::object{};
  }
  static std::string id_of(const json::object& message) {
    return std::string(message.at("messageId").as_string());
  }

  // The STOMP path, waited for: what the RECEIPT (or the error event) would carry.
  outcome<std::string> send_stomp(const identity& who, const json::object& body) {
    return send_raw(who, json::serialize(body));
  }
  outcome<std::string> send_raw(const identity& who, std::string_view body) {
    std::promise<outcome<std::string>> p;
    auto f = p.get_future();
    chat.on_send(who, body, [&p](outcome<std::string> r) { p.set_value(std::move(r)); });
    return f.get();
  }

  json::object history(const identity& who, std::int64_t chat_id,
                       std::map<std::string, std::string> query, int status = 200) {
    auto v = ok(chat.history(who, chat_id, query), status);
    return v.is_object() ? v.as_object() : json::object{};
  }
  static std::vector<std::string> ids_in(const json::object& page) {
    std::vector<std::string> out;
    for (auto& m : page.at("content").as_array()) out.emplace_back(m.at("messageId").as_string());
    return out;
  }

  recording_fanout out;
  chat_env env{out};
  service& chat = env.chat;
  account alice, bob, carol;
};

}  // namespace parley::chat::test
