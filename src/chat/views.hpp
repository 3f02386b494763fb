#pragma once
// The API's JSON shapes (API.md), built in one place so REST and STOMP always agree.
#include "chat/model.hpp"
#include "core/json.hpp"

#include <string>

namespace parley::chat::views {

namespace json = boost::json;

json::object user(const chat::user& u, bool with_email);
json::object user_summary(const chat::user& u);  // search results
json::object message(const chat::message& m);
std::string message_text(const chat::message& m);  // serialized once for fan-out
json::object room(const chat::room& r);            // without members / latestMessage
json::object member(const chat::member& m, bool with_email);
json::object page(json::array content, std::int64_t total, int number, int size);
json::object error(int status, const std::string& message);

}  // namespace parley::chat::views
