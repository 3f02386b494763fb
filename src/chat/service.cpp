#include "chat/service.hpp"

#include "auth/tokens.hpp"
#include "auth/validation.hpp"
#include "chat/views.hpp"
#include "core/ids.hpp"
#include "obs/metrics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <future>
#include <set>

namespace parley::chat {

namespace {

using store::message_type;
using store::room_type;

outcome<json::object> parse_object(std::string_view body) {
  auto v = core::parse_json(body);
  if (!v) return v.error();
  if (!v->is_object()) return problem::bad_request("Request body must be a JSON object");
  return std::move(v->as_object());
}

problem validation(std::map<std::string, std::string> errors) {
  return problem(400, "INVALID_BODY", "Validation failed", std::move(errors));
}

problem field_error(const std::string& field, const std::string& msg) {
  return validation({{field, msg}});
}

// Reads an optional string field, recording a type error in `errors`.
std::optional<std::string> string_field(const json::object& o, std::string_view key,
                                        std::map<std::string, std::string>& errors) {
  auto r = core::get_string(o, key);
  if (!r) {
    for (auto& [k, v] : r.error().errors) errors[k] = v;
    return std::nullopt;
  }
  return *r;
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// page from 0; size defaults and is clamped (API.md); garbage is a 400, not a silent default.
outcome<std::pair<int, int>> parse_page(std::string_view page, std::string_view size,
                                        const limits& lim) {
  int p = 0, s = lim.default_page_size;
  if (!page.empty()) {
    auto v = parse_int(page);
    if (!v || *v < 0 || *v > 1'000'000) return field_error("page", "must be an integer >= 0");
    p = *v;
  }
  if (!size.empty()) {
    auto v = parse_int(size);
    if (!v) return field_error("size", "must be an integer");
    s = std::clamp(*v, 1, lim.max_page_size);
  }
  return std::pair{p, s};
}

std::size_t chars(std::string_view s) { return auth::count_code_points(s).value_or(SIZE_MAX); }

// A media reference is the `viewUrl` parley handed out: `/media/<key>`, relative or absolute
// (API.md). Arbitrary external links are refused so a message cannot make every reader's client
// fetch from a third party.
bool is_media_url(std::string_view s) {
  if (s.starts_with("http://") || s.starts_with("https://")) {
    auto host_start = s.find("//") + 2;
    auto path = s.find('/', host_start);
    if (path == std::string_view::npos) return false;
    s = s.substr(path);
  }
  if (!s.starts_with("/media/") || s.size() == 7) return false;
  for (char c : s.substr(7))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '/'))
      return false;
  return s.find("..") == std::string_view::npos;
}

std::string json_string(const json::object& o) { return json::serialize(o); }

// Accepts {"refreshToken": "..."}, a JSON string, or the bare token (the original's form).
std::string extract_refresh(std::string_view body) {
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  body = body.substr(first);
  body = body.substr(0, body.find_last_not_of(" \t\r\n") + 1);
  if (body.starts_with("{") || body.starts_with("\"")) {
    auto v = core::parse_json(body);
    if (!v) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_object()) {
      auto t = core::get_string(v->as_object(), "refreshToken");
      if (t && *t) return **t;
    }
    return {};
  }
  return std::string(body);
}

constexpr const char* not_member_room = "Chat room not found";

}  // namespace

namespace destinations {
std::string room(std::int64_t chat_id) { return "/topic/rooms/" + std::to_string(chat_id); }
std::string typing(std::int64_t chat_id) { return room(chat_id) + "/typing"; }
std::string receipts(std::int64_t chat_id) { return room(chat_id) + "/receipts"; }
std::string user_events(const std::string& user_id) { return "/user/" + user_id + "/queue/events"; }
}  // namespace destinations

service::service(deps d) : d_(std::move(d)) {
  for (auto& name : d_.store.all_usernames()) usernames_.add(name);
}

// ---- auth ----------------------------------------------------------------------------------

reply service::issue_pair(const store::user& u, const std::string& family) {
  auto access = d_.jwt.new_claims(u.user_id, u.username, auth::token_use::access);
  auto refresh = d_.jwt.new_claims(u.user_id, u.username, auth::token_use::refresh);
  d_.store.insert_refresh(auth::hash_token(refresh.jti), family, u.user_id,
                          core::from_epoch_ms(refresh.exp * 1000));
  return {json::object{{"accessToken", d_.jwt.issue(access)},
                       {"refreshToken", d_.jwt.issue(refresh)},
                       {"tokenType", "Bearer"},
                       {"expiresIn", access.exp - access.iat}},
          200};
}

outcome<reply> service::register_user(std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  std::map<std::string, std::string> errors;
  auto full_name = string_field(*obj, "fullName", errors);
  auto username = string_field(*obj, "username", errors);
  auto email = string_field(*obj, "email", errors);
  auto password = string_field(*obj, "password", errors);
  auto bio = string_field(*obj, "bio", errors);
  auto check = [&](const char* field, const std::optional<std::string>& v, auto validate) {
    if (errors.count(field)) return;
    if (!v) {
      errors[field] = std::string("'") + field + "' is required";
      return;
    }
    if (auto e = validate(*v)) errors[field] = *e;
  };
  check("fullName", full_name, auth::validate_full_name);
  check("username", username, auth::validate_username);
  check("email", email, auth::validate_email);
  check("password", password, auth::validate_password);
  if (bio && !errors.count("bio"))
    if (auto e = auth::validate_bio(*bio)) errors["bio"] = *e;
  if (!errors.empty()) return validation(std::move(errors));
  // `role` is ignored on purpose: nobody makes themselves an admin (original bug 5).
  if (usernames_.maybe_contains(*username) && d_.store.user_by_username(*username))
    return problem::conflict("Username already exists");
  store::user u{core::make_uuid(), *username, *email, *full_name, d_.passwords.hash(*password),
                std::nullopt,      bio};
  auto created = d_.store.create_user(u);
  if (!created) return created.error();
  usernames_.add(u.username);
  auto r = issue_pair(u, core::make_uuid());
  r.status = 201;
  return r;
}

bool service::login_allowed(const std::string& username) {
  std::lock_guard lock(login_mutex_);
  auto it = failed_logins_.find(username);
  if (it == failed_logins_.end()) return true;
  auto cutoff = d_.clock.now() - d_.lim.failed_login_window;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(), [&](auto t) { return t < cutoff; }), v.end());
  if (v.empty()) {
    failed_logins_.erase(it);
    return true;
  }
  return static_cast<int>(v.size()) < d_.lim.max_failed_logins;
}

void service::record_failed_login(const std::string& username) {
  std::lock_guard lock(login_mutex_);
  // Bound the map: drop expired entries first; only a flood of distinct usernames within one
  // window reaches the hard cap, and then forgetting is the lesser harm than unbounded memory.
  if (failed_logins_.size() > 100'000) {
    auto cutoff = d_.clock.now() - d_.lim.failed_login_window;
    std::erase_if(failed_logins_,
                  [&](auto& kv) { return kv.second.empty() || kv.second.back() < cutoff; });
    if (failed_logins_.size() > 1'000'000) failed_logins_.clear();
  }
  failed_logins_[username].push_back(d_.clock.now());
}

outcome<reply> service::login(std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  std::map<std::string, std::string> errors;
  auto username = string_field(*obj, "username", errors);
  auto password = string_field(*obj, "password", errors);
  if (!errors.count("username") && (!username || username->empty()))
    errors["username"] = "'username' is required";
  if (!errors.count("password") && (!password || password->empty()))
    errors["password"] = "'password' is required";
  if (!errors.empty()) return validation(std::move(errors));
  if (username->size() > 256 || password->size() > 1024)
    return problem::unauthorized("Invalid username or password");
  if (!login_allowed(*username))
    return problem::rate_limited("Too many failed logins for this username; try again later");
  auto u = d_.store.user_by_username(*username);
  // One message and the same work for an unknown user and a wrong password (original bug 6).
  if (!u) {
    d_.passwords.dummy_verify(*password);
    record_failed_login(*username);
    return problem::unauthorized("Invalid username or password");
  }
  if (!d_.passwords.verify(*password, u->password_hash)) {
    record_failed_login(*username);
    return problem::unauthorized("Invalid username or password");
  }
  {
    std::lock_guard lock(login_mutex_);
    failed_logins_.erase(*username);
  }
  return issue_pair(*u, core::make_uuid());
}

outcome<reply> service::refresh(std::string_view body) {
  auto token = extract_refresh(body);
  if (token.empty()) return problem::bad_request("A refresh token is required");
  auto old = d_.jwt.verify(token, auth::token_use::refresh);
  if (!old) return old.error();
  auto next = d_.jwt.new_claims(old->user_id, old->username, auth::token_use::refresh);
  auto grant = d_.store.rotate_refresh(auth::hash_token(old->jti), auth::hash_token(next.jti),
                                       core::from_epoch_ms(next.exp * 1000), d_.clock.now());
  if (!grant) return grant.error();
  auto u = d_.store.user_by_id(grant->user_id);
  if (!u) return problem::unauthorized("Invalid refresh token");
  auto access = d_.jwt.new_claims(u->user_id, u->username, auth::token_use::access);
  return reply{json::object{{"accessToken", d_.jwt.issue(access)},
                            {"refreshToken", d_.jwt.issue(next)},
                            {"tokenType", "Bearer"},
                            {"expiresIn", access.exp - access.iat}},
               200};
}

outcome<reply> service::logout(std::string_view body) {
  auto token = extract_refresh(body);
  if (token.empty()) return problem::bad_request("A refresh token is required");
  auto c = d_.jwt.verify(token, auth::token_use::refresh);
  if (!c) return c.error();
  d_.store.revoke_family(auth::hash_token(c->jti));
  return reply{nullptr, 204};
}

reply service::jwks() const { return {core::parse_json(d_.keys.jwks_json()).value(), 200}; }

outcome<reply> service::exists(std::string_view username_in) {
  std::string username(username_in);
  auto b = username.find_first_not_of(" \t");
  username =
      b == std::string::npos ? "" : username.substr(b, username.find_last_not_of(" \t") - b + 1);
  if (username.empty()) return problem::bad_request("Required parameter 'username' is missing");
  bool found =
      usernames_.maybe_contains(username) && d_.store.user_by_username(username).has_value();
  return reply{json::object{{"exists", found}}, 200};
}

outcome<identity> service::authenticate(std::string_view authorization) const {
  auto v = authorization;
  if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer "))
    v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.empty()) return problem::unauthorized("Missing access token");
  auto c = d_.jwt.verify(v, auth::token_use::access);
  if (!c) return c.error();
  return identity{c->user_id, c->username};
}

// ---- users ---------------------------------------------------------------------------------

outcome<reply> service::me(const identity& who) {
  auto u = d_.store.user_by_id(who.user_id);
  if (!u) return problem::not_found("No user found with id: " + who.user_id);
  return reply{views::user(*u, true)};
}

outcome<reply> service::patch_me(const identity& who, std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  std::map<std::string, std::string> errors;
  store::user_patch p;
  p.email = string_field(*obj, "email", errors);
  p.full_name = string_field(*obj, "fullName", errors);
  p.avatar = string_field(*obj, "avatar", errors);
  p.bio = string_field(*obj, "bio", errors);
  if (p.email)
    if (auto e = auth::validate_email(*p.email)) errors["email"] = *e;
  if (p.full_name)
    if (auto e = auth::validate_full_name(*p.full_name)) errors["fullName"] = *e;
  if (p.bio)
    if (auto e = auth::validate_bio(*p.bio)) errors["bio"] = *e;
  if (p.avatar && (p.avatar->size() > d_.lim.max_url_chars || !is_media_url(*p.avatar)))
    errors["avatar"] = "must be an http(s) or /media/ URL of at most 2048 characters";
  if (!errors.empty()) return validation(std::move(errors));
  if (!p.email && !p.full_name && !p.avatar && !p.bio)
    return problem::bad_request("Provide at least one: email, fullName, avatar, bio.");
  auto u = d_.store.update_user(who.user_id, p);
  if (!u) return u.error();
  return reply{views::user(*u, true)};
}

outcome<reply> service::lookup(const identity& who, std::string_view username) {
  if (username.empty()) return problem::bad_request("Username must not be empty or null");
  auto u = d_.store.user_by_username(std::string(username));
  if (!u) return problem::not_found("No user found with username: " + std::string(username));
  return reply{views::user(*u, u->user_id == who.user_id)};
}

outcome<reply> service::search(const identity& who, std::string_view q, std::string_view page,
                               std::string_view size) {
  if (q.empty()) return problem::bad_request("Search query must not be empty");
  if (chars(q) > d_.lim.max_search_chars)
    return problem::bad_request("Search query must be at most 64 characters");
  auto pg = parse_page(page, size, d_.lim);
  if (!pg) return pg.error();
  auto r = d_.store.search_users(std::string(q), who.user_id, pg->first, pg->second);
  json::array content;
  for (auto& u : r.content) content.push_back(views::user_summary(u));
  return reply{views::page(std::move(content), r.total_elements, r.number, r.size)};
}

outcome<reply> service::user_status_batch(const identity&, std::string_view body) {
  auto v = core::parse_json(body);
  if (!v) return v.error();
  if (!v->is_array()) return problem::bad_request("Body must be a JSON array of user ids");
  auto& arr = v->as_array();
  if (arr.size() > d_.lim.max_status_batch)
    return problem::bad_request("At most 500 user ids per request");
  std::vector<std::string> ids;
  for (auto& e : arr) {
    if (!e.is_string()) return problem::bad_request("Body must be a JSON array of user ids");
    ids.emplace_back(e.get_string());
  }
  json::object out;
  for (auto& row : d_.store.last_seen(ids)) {
    bool on = d_.online.online(row.user_id);
    if (auto mem = d_.online.last_seen(row.user_id);
        mem && (!row.last_seen || *mem > *row.last_seen))
      row.last_seen = mem;
    out[row.user_id] =
        json::object{{"userId", row.user_id},
                     {"status", on ? "ONLINE" : "OFFLINE"},
                     {"lastSeen", row.last_seen ? json::value(core::iso8601(*row.last_seen))
                                                : json::value(nullptr)}};
  }
  return reply{std::move(out)};
}

// ---- rooms ---------------------------------------------------------------------------------

outcome<store::member> service::require_member(const identity& who, std::int64_t chat_id) {
  auto m = d_.store.membership(chat_id, who.user_id);
  // A non-member learns nothing, not even that the room exists: the same 404 as a missing room.
  if (!m) return problem::not_found(not_member_room, "NOT_MEMBER");
  return *m;
}

outcome<store::member> service::require_admin(const identity& who, std::int64_t chat_id) {
  auto m = require_member(who, chat_id);
  if (!m) return m;
  if (!m->admin) return problem::forbidden("Only admins can perform this action.");
  return m;
}

json::value service::room_with_members(const store::room& r, const identity& viewer) {
  auto o = views::room(r);
  json::array ms;
  for (auto& m : d_.store.members(r.chat_id))
    ms.push_back(views::member(m, m.user_id == viewer.user_id));
  o["members"] = std::move(ms);
  return o;
}

void service::notify_user(const std::string& user_id, std::string_view type, std::int64_t chat_id,
                          json::value room, const std::string& subject_user) {
  json::object e{
      {"type", type},
      {"chatId", chat_id},
      {"room", std::move(room)},
      {"userId", subject_user.empty() ? json::value(nullptr) : json::value(subject_user)},
      {"status", nullptr},
      {"lastSeen", nullptr}};
  d_.out.publish(destinations::user_events(user_id), json_string(e), {});
}

outcome<reply> service::create_room(const identity& who, std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  std::map<std::string, std::string> errors;
  auto type_s = string_field(*obj, "type", errors);
  auto name = string_field(*obj, "name", errors);
  auto description = string_field(*obj, "description", errors);
  auto icon = string_field(*obj, "icon", errors);
  std::optional<room_type> type;
  if (!errors.count("type")) {
    if (!type_s)
      errors["type"] = "'type' is required!";
    else if (!(type = store::parse_room_type(*type_s)))
      errors["type"] = "must be PUBLIC, PRIVATE or DIRECT_MESSAGE";
  }
  std::set<std::string> others;
  auto ids = obj->find("memberIds");
  if (ids != obj->end() && !ids->value().is_null()) {
    if (!ids->value().is_array()) {
      errors["memberIds"] = "must be an array of user ids";
    } else {
      for (auto& e : ids->value().as_array()) {
        if (!e.is_string() || !core::is_uuid(e.get_string())) {
          errors["memberIds"] = "must be an array of user ids";
          break;
        }
        if (e.get_string() != who.user_id) others.emplace(e.get_string());
      }
      if (others.size() > d_.lim.max_initial_members) errors["memberIds"] = "too many members";
    }
  }
  if (type && *type != room_type::direct_message) {
    if (!errors.count("name") &&
        (!name || name->empty() || chars(*name) > d_.lim.max_room_name_chars))
      errors["name"] = "'name' is required (1-100 characters)";
    if (description && chars(*description) > d_.lim.max_description_chars)
      errors["description"] = "at most 1000 characters";
  }
  if (icon && (icon->size() > d_.lim.max_url_chars || !is_media_url(*icon)))
    errors["icon"] = "must be an http(s) or /media/ URL of at most 2048 characters";
  if (!errors.empty()) return validation(std::move(errors));
  if (static_cast<std::size_t>(d_.store.room_count_of(who.user_id)) >= d_.lim.max_rooms_per_user)
    return problem::conflict("Room limit reached (1000 rooms per user)");
  if (*type != room_type::direct_message)  // an existing DM must stay reachable
    for (auto& uid : others)
      if (static_cast<std::size_t>(d_.store.room_count_of(uid)) >= d_.lim.max_rooms_per_user)
        return problem::conflict("A listed member has reached the room limit: " + uid);

  if (*type == room_type::direct_message) {
    if (others.size() != 1)
      return problem::bad_request("Direct message must have exactly one recipient.");
    auto dm = d_.store.find_or_create_dm(who.user_id, *others.begin());
    if (!dm) return dm.error();
    auto body_json = room_with_members(dm->first, who);
    if (dm->second)
      notify_user(*others.begin(), "ROOM_ADDED", dm->first.chat_id,
                  room_with_members(dm->first, {*others.begin(), ""}), who.user_id);
    return reply{std::move(body_json), dm->second ? 201 : 200};
  }
  store::room r;
  r.name = *name;
  r.type = *type;
  r.description = description;
  r.icon = icon;
  auto created = d_.store.create_room(r, who.user_id, {others.begin(), others.end()});
  if (!created) return created.error();
  auto body_json = room_with_members(*created, who);
  for (auto& uid : others)
    notify_user(uid, "ROOM_ADDED", created->chat_id, room_with_members(*created, {uid, ""}),
                who.user_id);
  return reply{std::move(body_json), 201};
}

outcome<reply> service::get_room(const identity& who, std::int64_t chat_id) {
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  auto r = d_.store.room_by_id(chat_id);
  if (!r) return problem::not_found(not_member_room);
  return reply{room_with_members(*r, who)};
}

outcome<reply> service::update_room(const identity& who, std::int64_t chat_id,
                                    std::string_view body) {
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  auto r = d_.store.room_by_id(chat_id);
  if (!r) return problem::not_found(not_member_room);
  if (r->type == room_type::direct_message)
    return problem::bad_request("A direct message cannot be edited.");
  if (!m->admin) return problem::forbidden("Only admins can perform this action.");
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  std::map<std::string, std::string> errors;
  store::room_patch p;
  p.name = string_field(*obj, "name", errors);
  p.description = string_field(*obj, "description", errors);
  p.icon = string_field(*obj, "icon", errors);
  auto type_s = string_field(*obj, "type", errors);
  if (p.name && (p.name->empty() || chars(*p.name) > d_.lim.max_room_name_chars))
    errors["name"] = "1-100 characters";
  if (p.description && chars(*p.description) > d_.lim.max_description_chars)
    errors["description"] = "at most 1000 characters";
  if (p.icon && (p.icon->size() > d_.lim.max_url_chars || !is_media_url(*p.icon)))
    errors["icon"] = "must be an http(s) or /media/ URL of at most 2048 characters";
  if (type_s) {
    p.type = store::parse_room_type(*type_s);
    if (!p.type || *p.type == room_type::direct_message)
      errors["type"] = "must be PUBLIC or PRIVATE";
  }
  if (!errors.empty()) return validation(std::move(errors));
  auto updated = d_.store.update_room(chat_id, p);
  if (!updated) return updated.error();
  for (auto& mem : d_.store.members(chat_id))
    notify_user(mem.user_id, "ROOM_UPDATED", chat_id, views::room(*updated), who.user_id);
  return reply{room_with_members(*updated, who)};
}

outcome<reply> service::delete_room(const identity& who, std::int64_t chat_id) {
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  auto r = d_.store.room_by_id(chat_id);
  if (!r) return problem::not_found(not_member_room);
  if (r->type == room_type::direct_message)
    return problem::bad_request("Cannot delete a direct message chatroom.");
  if (!m->admin) return problem::forbidden("Only admins can perform this action.");
  auto members = d_.store.members(chat_id);
  d_.store.delete_room(chat_id);
  d_.out.revoke(chat_id, {});
  for (auto& mem : members) notify_user(mem.user_id, "ROOM_DELETED", chat_id, nullptr, who.user_id);
  return reply{json::object{{"message", "Chat room deleted successfully"}}};
}

outcome<reply> service::my_rooms(const identity& who, std::string_view page,
                                 std::string_view size) {
  auto pg = parse_page(page, size, d_.lim);
  if (!pg) return pg.error();
  auto r = d_.store.rooms_of(who.user_id, pg->first, pg->second);
  json::array content;
  for (auto& s : r.content) {
    auto o = room_with_members(s.info, who).as_object();
    o["latestMessage"] = s.latest ? json::value(views::message(*s.latest)) : json::value(nullptr);
    o["unreadCount"] = s.unread_count;
    content.push_back(std::move(o));
  }
  return reply{views::page(std::move(content), r.total_elements, r.number, r.size)};
}

outcome<reply> service::members(const identity& who, std::int64_t chat_id) {
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  json::array out;
  for (auto& mem : d_.store.members(chat_id))
    out.push_back(views::member(mem, mem.user_id == who.user_id));
  return reply{std::move(out)};
}

outcome<reply> service::add_member(const identity& who, std::int64_t chat_id,
                                   std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  std::map<std::string, std::string> errors;
  auto uid = string_field(*obj, "userId", errors);
  if (!errors.count("userId") && (!uid || !core::is_uuid(*uid)))
    errors["userId"] = "'userId' is required!";
  if (!errors.empty()) return validation(std::move(errors));
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  auto r = d_.store.room_by_id(chat_id);
  if (!r) return problem::not_found(not_member_room);
  // A DM always has exactly two members (original bug 7).
  if (r->type == room_type::direct_message)
    return problem::bad_request("Cannot add members to a direct message.");
  if (r->type == room_type::private_room && !m->admin)
    return problem::forbidden("Only admins can add members to a private room.");
  auto existing = d_.store.members(chat_id);
  if (existing.size() >= d_.lim.max_members_per_room)
    return problem::conflict("Member limit reached (10000 per room)");
  if (static_cast<std::size_t>(d_.store.room_count_of(*uid)) >= d_.lim.max_rooms_per_user)
    return problem::conflict("That user has reached the room limit");
  auto added = d_.store.add_member(chat_id, *uid, false);
  if (!added) return added.error();
  for (auto& mem : existing)
    notify_user(mem.user_id, "MEMBER_ADDED", chat_id, views::room(*r), *uid);
  notify_user(*uid, "ROOM_ADDED", chat_id, room_with_members(*r, {*uid, ""}), who.user_id);
  for (auto& mem : d_.store.members(chat_id))
    if (mem.user_id == *uid) return reply{views::member(mem, mem.user_id == who.user_id), 201};
  return problem::not_found("Membership not found.");
}

outcome<reply> service::remove_member(const identity& who, std::int64_t chat_id,
                                      const std::string& user_id) {
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  auto r = d_.store.room_by_id(chat_id);
  if (!r) return problem::not_found(not_member_room);
  if (r->type == room_type::direct_message)
    return problem::bad_request("A direct message cannot be left or have members removed.");
  bool self = user_id == who.user_id;
  if (!self && !m->admin) return problem::forbidden("Only admins can perform this action.");
  auto all = d_.store.members(chat_id);
  auto target = std::find_if(all.begin(), all.end(), [&](auto& x) { return x.user_id == user_id; });
  if (target == all.end()) return problem::not_found("Membership not found.");
  auto admins = std::count_if(all.begin(), all.end(), [](auto& x) { return x.admin; });
  if (target->admin && admins == 1 && all.size() > 1)
    return problem::conflict(
        "The last admin cannot leave or be removed: promote another member to admin first.");
  if (all.size() == 1) {
    d_.store.delete_room(chat_id);  // the last member leaves: nobody can ever see the room again
  } else {
    d_.store.remove_member(chat_id, user_id);
  }
  d_.out.revoke(chat_id, user_id);
  notify_user(user_id, "ROOM_REMOVED", chat_id, nullptr, who.user_id);
  for (auto& mem : all)
    if (mem.user_id != user_id)
      notify_user(mem.user_id, "MEMBER_REMOVED", chat_id, views::room(*r), user_id);
  return reply{json::object{{"message", "Member removed."}}};
}

outcome<reply> service::set_admin(const identity& who, std::int64_t chat_id,
                                  const std::string& user_id, std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  auto admin = core::get_bool(*obj, "admin");
  if (!admin) return admin.error();
  if (!*admin) return field_error("admin", "'admin' is required (true or false)");
  auto m = require_member(who, chat_id);
  if (!m) return m.error();
  auto r = d_.store.room_by_id(chat_id);
  if (!r) return problem::not_found(not_member_room);
  if (r->type == room_type::direct_message)
    return problem::bad_request("A direct message has no admins.");
  if (!m->admin) return problem::forbidden("Only admins can perform this action.");
  auto all = d_.store.members(chat_id);
  auto target = std::find_if(all.begin(), all.end(), [&](auto& x) { return x.user_id == user_id; });
  if (target == all.end()) return problem::not_found("Membership not found.");
  auto admins = std::count_if(all.begin(), all.end(), [](auto& x) { return x.admin; });
  if (!**admin && target->admin && admins == 1 && all.size() > 1)
    return problem::conflict(
        "Cannot remove the last admin: promote another member to admin first.");
  d_.store.set_admin(chat_id, user_id, **admin);
  target->admin = **admin;
  for (auto& mem : all) notify_user(mem.user_id, "ROOM_UPDATED", chat_id, views::room(*r), user_id);
  return reply{views::member(*target, target->user_id == who.user_id)};
}

// ---- messages ------------------------------------------------------------------------------

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

outcome<store::new_message> service::parse_new(const identity& who, const json::object& body,
                                               std::optional<std::int64_t> path_chat_id) {
  std::map<std::string, std::string> errors;
  store::new_message m;
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
    auto t = store::parse_message_type(*type);
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

void service::append(store::new_message m, store::callback<store::appended> done) {
  d_.store.append_message(std::move(m), [this, done = std::move(done)](outcome<store::appended> r) {
    // Runs on the store's callback thread in commit order: publishing here keeps the room's order.
    if (r && !r->duplicate) {
      obs::global().messages_committed.fetch_add(1, std::memory_order_relaxed);
      d_.out.publish(destinations::room(r->msg.chat_id), views::message_text(r->msg),
                     r->msg.message_id);
    }
    done(std::move(r));
  });
}

void service::on_send(const identity& who, std::string_view body, done_fn done) {
  auto obj = parse_object(body);
  if (!obj) return done(obj.error());
  if (obj->contains("messageId")) return send_status(who, *obj, std::move(done));
  auto m = parse_new(who, *obj, std::nullopt);
  if (!m) return done(m.error());
  append(std::move(*m), [done = std::move(done)](outcome<store::appended> r) {
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
  std::optional<store::message_status> s;
  if (!status || !(s = store::parse_message_status(*status)))
    errors["status"] = "must be SENT, DELIVERED or READ";
  if (!errors.empty()) return done(validation(std::move(errors)));
  // Only the status is read from the body: content, sender and timestamp never change this way.
  d_.store.update_status(**chat, *id, who.user_id, *s,
                         [this, done = std::move(done)](outcome<store::status_change> r) {
                           if (!r) return done(r.error());
                           if (r->changed)
                             d_.out.publish(destinations::room(r->msg.chat_id),
                                            views::message_text(r->msg), r->msg.message_id);
                           done(r->msg.message_id);
                         });
}

void service::read_marker(const identity& who, std::int64_t chat_id, std::string message_id,
                          store::callback<store::read_change> done) {
  d_.store.mark_read(chat_id, who.user_id, message_id,
                     [this, who, chat_id, done = std::move(done)](outcome<store::read_change> r) {
                       if (r && r->changed)
                         d_.out.publish(
                             destinations::receipts(chat_id),
                             json_string({{"chatId", chat_id},
                                          {"userId", who.user_id},
                                          {"lastReadMessageId", r->last_read_message_id}}),
                             {});
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
  read_marker(who, **chat, **id, [done = std::move(done)](outcome<store::read_change> r) {
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
  std::promise<outcome<store::appended>> p;
  auto f = p.get_future();
  append(std::move(*m), [&p](outcome<store::appended> r) { p.set_value(std::move(r)); });
  auto r = f.get();
  if (!r) {
    if (r.error().code == "NOT_MEMBER") return problem::not_found(not_member_room, "NOT_MEMBER");
    return r.error();
  }
  return reply{views::message(r->msg), r->duplicate ? 200 : 201};
}

outcome<reply> service::post_read(const identity& who, std::int64_t chat_id,
                                  std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  auto id = core::get_string(*obj, "messageId");
  if (!id || !*id || !core::is_ulid(**id)) return field_error("messageId", "must be a message id");
  std::promise<outcome<store::read_change>> p;
  auto f = p.get_future();
  read_marker(who, chat_id, **id,
              [&p](outcome<store::read_change> r) { p.set_value(std::move(r)); });
  auto r = f.get();
  if (!r) {
    if (r.error().code == "NOT_MEMBER") return problem::not_found(not_member_room, "NOT_MEMBER");
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
    return problem::not_found("You are not a member of this chat room", "NOT_MEMBER");
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
    return problem::forbidden("Unknown destination: " + std::string(dest), "FORBIDDEN");
  auto rest = dest.substr(prefix.size());
  auto slash = rest.find('/');
  auto id_part = rest.substr(0, slash);
  auto suffix = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  std::int64_t chat_id = 0;
  auto [p, ec] = std::from_chars(id_part.data(), id_part.data() + id_part.size(), chat_id);
  if (ec != std::errc() || p != id_part.data() + id_part.size() || chat_id <= 0 ||
      !(suffix.empty() || suffix == "/typing" || suffix == "/receipts"))
    return problem::forbidden("Unknown destination: " + std::string(dest), "FORBIDDEN");
  if (!d_.store.membership(chat_id, who.user_id))
    return problem::forbidden("You are not a member of this chat room", "FORBIDDEN");
  return std::string(dest);
}

// ---- presence ------------------------------------------------------------------------------

void service::announce_presence(const identity& who, bool online) {
  std::optional<core::time_point> seen;
  if (!online) {
    seen = d_.online.last_seen(who.user_id).value_or(d_.clock.now());
    d_.store.set_last_seen(who.user_id, *seen);
  }
  json::object e{{"type", "PRESENCE"},
                 {"chatId", nullptr},
                 {"room", nullptr},
                 {"userId", who.user_id},
                 {"status", online ? "ONLINE" : "OFFLINE"},
                 {"lastSeen", seen ? json::value(core::iso8601(*seen)) : json::value(nullptr)}};
  // Only co-members who are online now have a live queue to tell; the others read presence when
  // they connect. One publication for all of them: a connect in rooms of 1,000 used to post
  // 1,000 events to every shard.
  std::vector<std::string> listeners;
  for (auto& uid : d_.store.co_members(who.user_id))
    if (d_.online.online(uid)) listeners.push_back(std::move(uid));
  d_.out.publish_to_users(std::move(listeners), json_string(e));
}

bool service::session_opened(const identity& who) { return d_.online.connected(who.user_id); }

bool service::session_closed(const identity& who) {
  return d_.online.disconnected(who.user_id, d_.clock.now());
}

// ---- demo ----------------------------------------------------------------------------------

void service::seed_demo() {
  if (d_.store.user_by_username("alice")) return;
  struct person {
    const char* username;
    const char* name;
    const char* bio;
  };
  const person people[] = {{"alice", "Alice Martin", "Product designer. Coffee first."},
                           {"bob", "Bob Okafor", "Backend engineer"},
                           {"carol", "Carol Nguyen", "Ops, on call this week"}};
  std::vector<store::user> users;
  for (auto& p : people) {
    store::user u{core::make_uuid(),
                  p.username,
                  std::string(p.username) + "@demo.parley.chat",
                  p.name,
                  d_.passwords.hash("Parley@demo1"),
                  std::nullopt,
                  std::string(p.bio)};
    if (auto c = d_.store.create_user(u)) {
      usernames_.add(u.username);
      users.push_back(u);
    }
  }
  if (users.size() != 3) return;
  auto say = [&](std::int64_t chat, const store::user& u, const char* text) {
    std::promise<void> done;
    auto f = done.get_future();
    d_.store.append_message({chat, u.user_id, text, message_type::text, std::nullopt},
                            [&](outcome<store::appended>) { done.set_value(); });
    f.get();
  };
  auto dm = d_.store.find_or_create_dm(users[0].user_id, users[1].user_id);
  if (dm) {
    say(dm->first.chat_id, users[0], "Hi Bob! Did the deploy go out?");
    say(dm->first.chat_id, users[1], "It did, 10 minutes ago. Metrics look clean.");
    say(dm->first.chat_id, users[0], "Great, thanks!");
  }
  store::room g;
  g.name = "Parley demo";
  g.type = room_type::private_room;
  g.description = "Say hello: everyone here is a demo user (password Parley@demo1)";
  auto group = d_.store.create_room(g, users[0].user_id, {users[1].user_id, users[2].user_id});
  if (group) {
    say(group->chat_id, users[0], "Welcome to Parley, everyone.");
    say(group->chat_id, users[2], "Hello! Typing indicators and read receipts work here.");
    say(group->chat_id, users[1], "Try logging in as bob in another window.");
  }
  spdlog::info("demo: seeded users alice, bob, carol (password Parley@demo1)");
}

}  // namespace parley::chat
