// Chat use cases: register, login, token refresh and logout, JWKS, username checks, and the
// failed-login limit.
#include "chat/service.hpp"
#include "chat/use_case_support.hpp"

#include "auth/tokens.hpp"
#include "auth/validation.hpp"
#include "chat/views.hpp"
#include "core/ids.hpp"

#include <algorithm>

namespace parley::chat {

using namespace detail;

reply service::issue_pair(const user& u, const std::string& family) {
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
  if (usernames_.maybe_taken(*username) && d_.store.user_by_username(*username))
    return problem::conflict("Username already exists");
  user u{core::make_uuid(), *username, *email, *full_name, d_.passwords.hash(*password),
                std::nullopt,      bio};
  auto created = d_.store.create_user(u);
  if (!created) return created.error();
  usernames_.add(u.username);
  auto r = issue_pair(u, core::make_uuid());
  r.status = 201;
  return r;
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
  if (!failed_logins_.allowed(*username))
    return problem::rate_limited("Too many failed logins for this username; try again later");
  auto u = d_.store.user_by_username(*username);
  // One message and the same work for an unknown user and a wrong password (original bug 6).
  if (!u) {
    d_.passwords.dummy_verify(*password);
    failed_logins_.record(*username);
    return problem::unauthorized("Invalid username or password");
  }
  if (!d_.passwords.verify(*password, u->password_hash)) {
    failed_logins_.record(*username);
    return problem::unauthorized("Invalid username or password");
  }
  failed_logins_.reset(*username);
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
      usernames_.maybe_taken(username) && d_.store.user_by_username(username).has_value();
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

}  // namespace parley::chat
