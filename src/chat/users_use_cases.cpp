// Chat use cases: the caller's profile, user lookup and search, presence status in batches.
#include "chat/service.hpp"
#include "chat/use_case_support.hpp"

#include "auth/tokens.hpp"
#include "auth/validation.hpp"
#include "chat/views.hpp"
#include "core/ids.hpp"

#include <algorithm>

namespace parley::chat {

using namespace detail;

outcome<reply> service::me(const identity& who) {
  auto u = d_.store.user_by_id(who.user_id);
  if (!u) return problem::not_found("No user found with id: " + who.user_id);
  return reply{views::user(*u, true)};
}

outcome<reply> service::patch_me(const identity& who, std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  std::map<std::string, std::string> errors;
  user_patch p;
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
  auto rows = d_.store.last_seen(ids);
  ids.clear();
  for (auto& row : rows) ids.push_back(row.user_id);
  // Two round trips for the whole batch in a cluster, not two per user.
  auto seen = d_.online.last_seen_of(ids);
  auto online = d_.online.online_among(ids);
  std::sort(online.begin(), online.end());
  json::object out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& row = rows[i];
    bool on = std::binary_search(online.begin(), online.end(), row.user_id);
    if (auto& mem = seen[i]; mem && (!row.last_seen || *mem > *row.last_seen)) row.last_seen = mem;
    out[row.user_id] =
        json::object{{"userId", row.user_id},
                     {"status", on ? "ONLINE" : "OFFLINE"},
                     {"lastSeen", row.last_seen ? json::value(core::iso8601(*row.last_seen))
                                                : json::value(nullptr)}};
  }
  return reply{std::move(out)};
}

}  // namespace parley::chat
