#include "server/rest_api.hpp"

#include "chat/views.hpp"
#include "core/path.hpp"
#include "media/service.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <vector>

namespace parley::server {

namespace json = boost::json;
using core::outcome;
using core::problem;

namespace {

http::response json_response(int status, const json::value& body) {
  http::response r;
  r.status = status;
  if (status != 204) r.body = json::serialize(body);
  return r;
}

std::optional<std::int64_t> room_id(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::string_view query(const http::request& r, const char* k) {
  auto it = r.query.find(k);
  return it == r.query.end() ? std::string_view{} : std::string_view(it->second);
}

http::response from(outcome<chat::reply> r) {
  if (!r) return error_response(r.error());
  return json_response(r->status, r->body);
}

}  // namespace

http::response error_response(const problem& p) {
  auto body = chat::views::error(p.status(), p.message);
  if (!p.errors.empty()) {
    json::object fields;
    for (auto& [k, v] : p.errors) fields[k] = v;
    body["errors"] = std::move(fields);
  }
  auto r = json_response(p.status(), body);
  if (p.status() == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (p.status() == 429) r.headers.emplace_back("Retry-After", "60");
  if (p.status() == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

http::response rest_api::handle(const http::request& req) {
  try {
    return route(req);
  } catch (const core::unavailable_error& e) {
    spdlog::warn("{} {} failed: {}", req.method, req.path, e.what());
    return error_response(problem::unavailable());
  } catch (const std::exception& e) {
    spdlog::error("{} {} failed: {}", req.method, req.path, e.what());
    return error_response(problem::internal());
  }
}

http::response rest_api::route(const http::request& req) {
  const auto& m = req.method;
  auto seg = core::path_segments(req.path);
  auto is = [&](std::initializer_list<std::string_view> want) {
    if (seg.size() != want.size()) return false;
    std::size_t i = 0;
    for (auto w : want) {
      if (w != "*" && seg[i] != w) return false;
      ++i;
    }
    return true;
  };
  auto method_not_allowed = [] {
    return error_response(problem(core::errc::method_not_allowed, "Method not allowed"));
  };

  // Operations and public auth endpoints.
  if (is({"healthz"})) return json_response(200, json::object{{"status", "UP"}});
  if (is({"readyz"})) {
    bool ok = !probes_.ready || probes_.ready();
    return json_response(ok ? 200 : 503, json::object{{"status", ok ? "UP" : "DOWN"}});
  }
  if (is({"metrics"})) {
    http::response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = probes_.metrics ? probes_.metrics() : "";
    return r;
  }
  if (is({".well-known", "jwks.json"}) || is({"auth", ".well-known", "jwks.json"})) {
    auto r = json_response(200, chat_.jwks().body);
    r.headers.emplace_back("Cache-Control", "public, max-age=300");
    return r;
  }
  if (seg.size() == 2 && seg[0] == "auth") {
    auto a = seg[1];
    if (a == "exists") {
      if (m != "GET") return method_not_allowed();
      auto it = req.query.find("username");
      if (it == req.query.end())
        return error_response(problem::bad_request("Required parameter 'username' is missing"));
      return from(chat_.exists(it->second));
    }
    if (m != "POST") return method_not_allowed();
    if (a == "register") return from(chat_.register_user(req.body));
    if (a == "login") return from(chat_.login(req.body));
    if (a == "refresh-token") return from(chat_.refresh(req.body));
    if (a == "logout") return from(chat_.logout(req.body));
    return error_response(problem::not_found("No such endpoint"));
  }

  // Media objects need no token: the unguessable key is the capability (docs/adr/0003); uploads
  // carry their own SigV4 signature.
  if (!seg.empty() && seg[0] == "media") {
    if (!media_) return error_response(problem::not_found("No such endpoint"));
    return media_->handle_object(req);
  }

  bool known = !seg.empty() && (seg[0] == "users" || seg[0] == "chat" || seg[0] == "storage");
  if (!known) return error_response(problem::not_found("No such endpoint"));

  // Everything else needs an access token.
  auto authz = req.header("authorization");
  if (!authz) return error_response(problem::unauthorized("Missing access token"));
  auto who = chat_.authenticate(*authz);
  if (!who) return error_response(who.error());

  if (is({"users", "me"})) {
    if (m == "GET") return from(chat_.me(*who));
    if (m == "PATCH") return from(chat_.patch_me(*who, req.body));
    return method_not_allowed();
  }
  if (is({"users", "lookup"})) {
    if (m != "GET") return method_not_allowed();
    return from(chat_.lookup(*who, query(req, "username")));
  }
  if (is({"users", "search"})) {
    if (m != "GET") return method_not_allowed();
    if (!req.query.count("q"))
      return error_response(problem::bad_request("Required parameter 'q' is missing"));
    return from(chat_.search(*who, query(req, "q"), query(req, "page"), query(req, "size")));
  }
  if (is({"storage", "presigned-url"})) {
    if (m != "POST") return method_not_allowed();
    if (!media_)
      return error_response(problem(core::errc::not_implemented, "Media uploads are not configured"));
    auto r = media_->presign(who->user_id, req.body, req.header("host"));
    if (!r) return error_response(r.error());
    return json_response(200, *r);
  }
  if (is({"chat", "user-status", "batch"})) {
    if (m != "POST") return method_not_allowed();
    return from(chat_.user_status_batch(*who, req.body));
  }
  if (is({"chat", "messages", "*"})) {
    if (m != "GET") return method_not_allowed();
    return from(chat_.get_message(*who, seg[2]));
  }
  if (is({"chat", "rooms"})) {
    if (m != "POST") return method_not_allowed();
    return from(chat_.create_room(*who, req.body));
  }
  if (is({"chat", "rooms", "my"})) {
    if (m != "GET") return method_not_allowed();
    return from(chat_.my_rooms(*who, query(req, "page"), query(req, "size")));
  }
  if (seg.size() >= 3 && seg[0] == "chat" && seg[1] == "rooms") {
    auto id = room_id(seg[2]);
    if (!id) return error_response(problem::not_found("Chat room not found"));
    if (seg.size() == 3) {
      if (m == "GET") return from(chat_.get_room(*who, *id));
      if (m == "PUT" || m == "PATCH") return from(chat_.update_room(*who, *id, req.body));
      if (m == "DELETE") return from(chat_.delete_room(*who, *id));
      return method_not_allowed();
    }
    auto sub = seg[3];
    if (seg.size() == 4 && sub == "members") {
      if (m == "GET") return from(chat_.members(*who, *id));
      if (m == "POST") return from(chat_.add_member(*who, *id, req.body));
      return method_not_allowed();
    }
    if (seg.size() == 5 && sub == "members") {
      if (m != "DELETE") return method_not_allowed();
      return from(chat_.remove_member(*who, *id, std::string(seg[4])));
    }
    if (seg.size() == 6 && sub == "members" && seg[5] == "admin") {
      if (m != "PUT") return method_not_allowed();
      return from(chat_.set_admin(*who, *id, std::string(seg[4]), req.body));
    }
    if (seg.size() == 4 && sub == "messages") {
      if (m == "GET") return from(chat_.history(*who, *id, req.query));
      if (m == "POST") return from(chat_.post_message(*who, *id, req.body));
      return method_not_allowed();
    }
    if (seg.size() == 4 && sub == "read") {
      if (m != "POST") return method_not_allowed();
      return from(chat_.post_read(*who, *id, req.body));
    }
  }
  return error_response(problem::not_found("No such endpoint"));
}

}  // namespace parley::server
