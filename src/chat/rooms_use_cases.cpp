// Chat use cases: rooms and membership (create, with DMs deduplicated; read, update, delete;
// members and admins).
#include "chat/service.hpp"
#include "chat/use_case_support.hpp"

#include "auth/tokens.hpp"
#include "auth/validation.hpp"
#include "chat/views.hpp"
#include "core/ids.hpp"

#include <algorithm>
#include <set>

namespace parley::chat {

using namespace detail;

outcome<member> service::require_member(const identity& who, std::int64_t chat_id) {
  auto m = d_.store.membership(chat_id, who.user_id);
  // A non-member learns nothing, not even that the room exists: the same 404 as a missing room.
  if (!m) return problem::not_found(not_member_room, core::errc::not_member);
  return *m;
}

outcome<member> service::require_admin(const identity& who, std::int64_t chat_id) {
  auto m = require_member(who, chat_id);
  if (!m) return m;
  if (!m->admin) return problem::forbidden("Only admins can perform this action.");
  return m;
}

json::value service::room_with_members(const room& r, const identity& viewer) {
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
    else if (!(type = parse_room_type(*type_s)))
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
  room r;
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
  room_patch p;
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
    p.type = parse_room_type(*type_s);
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

}  // namespace parley::chat
