// Registration, login, refresh rotation and token types (API.md "Auth").
#include "service_fixture.hpp"

namespace parley::chat::test {
namespace {

using namespace std::chrono_literals;

std::string login_body(std::string_view username, std::string_view password) {
  return json::serialize(json::object{{"username", username}, {"password", password}});
}

std::string refresh_body(std::string_view token) {
  return json::serialize(json::object{{"refreshToken", token}});
}

std::string refresh_of(const outcome<reply>& r) {
  return r ? std::string(r->body.at("refreshToken").as_string()) : std::string();
}

TEST_F(chat_service, register_answers_201_with_an_access_and_a_refresh_token) {
  auto r =
      chat.register_user(R"({"fullName":"Dan Doe","username":"dan_1","email":"dan@example.com",)"
                         R"("password":"Secret#123","bio":"hi"})");
  auto body = ok(r, 201);
  ASSERT_TRUE(body.is_object());
  auto who = chat.authenticate(std::string(body.at("accessToken").as_string()));
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->username, "dan_1");
  EXPECT_TRUE(core::is_uuid(who->user_id));
  auto me = ok(chat.me(*who));
  EXPECT_EQ(me.at("bio").as_string(), "hi");
  EXPECT_EQ(me.at("email").as_string(), "dan@example.com");
}

TEST_F(chat_service, register_ignores_a_role_field) {
  auto r = chat.register_user(R"({"fullName":"Eve Doe","username":"eve","email":"eve@example.com",)"
                              R"("password":"Secret#123","role":"ADMIN"})");
  auto body = ok(r, 201);
  ASSERT_TRUE(body.is_object());
  auto who = chat.authenticate(std::string(body.at("accessToken").as_string()));
  ASSERT_TRUE(who);
  auto me = ok(chat.me(*who));
  EXPECT_FALSE(me.as_object().contains("role"));
  EXPECT_FALSE(me.as_object().contains("admin"));
}

TEST_F(chat_service, register_names_each_invalid_field) {
  auto r = chat.register_user(R"({"fullName":"X","username":"a b","email":"nope",)"
                              R"("password":"short","bio":5})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status(), 400);
  for (const char* field : {"fullName", "username", "email", "password", "bio"})
    EXPECT_EQ(r.error().errors.count(field), 1u) << field;
}

TEST_F(chat_service, register_requires_every_mandatory_field) {
  auto r = chat.register_user("{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status(), 400);
  for (const char* field : {"fullName", "username", "email", "password"})
    EXPECT_EQ(r.error().errors.count(field), 1u) << field;
}

TEST_F(chat_service, register_refuses_malformed_json_and_non_objects) {
  EXPECT_EQ(status_of(chat.register_user("{")), 400);
  EXPECT_EQ(status_of(chat.register_user("[]")), 400);
  EXPECT_EQ(status_of(chat.register_user("")), 400);
}

TEST_F(chat_service, register_answers_409_for_a_taken_username_or_email) {
  auto taken_name = chat.register_user(R"({"fullName":"Alice Two","username":"alice",)"
                                       R"("email":"other@example.com","password":"Secret#123"})");
  EXPECT_EQ(status_of(taken_name), 409);
  auto taken_email = chat.register_user(R"({"fullName":"Alice Two","username":"alice2",)"
                                        R"("email":"alice@example.com","password":"Secret#123"})");
  EXPECT_EQ(status_of(taken_email), 409);
}

TEST_F(chat_service, login_returns_a_new_token_pair) {
  auto r = chat.login(login_body("alice", "Secret#123"));
  auto body = ok(r);
  ASSERT_TRUE(body.is_object());
  auto who = chat.authenticate(std::string(body.at("accessToken").as_string()));
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user_id, alice.who.user_id);
}

TEST_F(chat_service, login_gives_the_same_401_for_an_unknown_user_and_a_wrong_password) {
  auto unknown = chat.login(login_body("nobody", "Secret#123"));
  auto wrong = chat.login(login_body("alice", "Wrong#1234"));
  ASSERT_FALSE(unknown);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(unknown.error().status(), 401);
  EXPECT_EQ(wrong.error().status(), 401);
  EXPECT_EQ(unknown.error().message, wrong.error().message);
  EXPECT_EQ(unknown.error().code, wrong.error().code);
}

TEST_F(chat_service, login_locks_a_username_after_five_failures_with_429) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(status_of(chat.login(login_body("alice", "Wrong#1234"))), 401) << i;
  auto locked = chat.login(login_body("alice", "Secret#123"));  // even the right password
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().status(), 429);
  EXPECT_EQ(locked.error().code, parley::core::errc::rate_limited);
  // Other usernames are not affected.
  EXPECT_EQ(status_of(chat.login(login_body("bob", "Secret#123"))), 200);
  // The window is one minute.
  env.clock.advance(61s);
  EXPECT_EQ(status_of(chat.login(login_body("alice", "Secret#123"))), 200);
}

TEST_F(chat_service, login_locks_unknown_usernames_too) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(status_of(chat.login(login_body("ghost", "Wrong#1234"))), 401);
  EXPECT_EQ(status_of(chat.login(login_body("ghost", "Wrong#1234"))), 429);
}

TEST_F(chat_service, a_successful_login_forgets_earlier_failures) {
  for (int i = 0; i < 4; ++i) chat.login(login_body("alice", "Wrong#1234"));
  EXPECT_EQ(status_of(chat.login(login_body("alice", "Secret#123"))), 200);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(status_of(chat.login(login_body("alice", "Wrong#1234"))), 401);
  EXPECT_EQ(status_of(chat.login(login_body("alice", "Secret#123"))), 200);
}

TEST_F(chat_service, login_requires_username_and_password) {
  auto r = chat.login(R"({"username":""})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status(), 400);
  EXPECT_EQ(r.error().errors.count("username"), 1u);
  EXPECT_EQ(r.error().errors.count("password"), 1u);
}

TEST_F(chat_service, refresh_rotates_the_refresh_token) {
  auto r1 = chat.refresh(refresh_body(alice.refresh_token));
  auto body = ok(r1);
  auto next = refresh_of(r1);
  EXPECT_NE(next, alice.refresh_token);
  ASSERT_TRUE(chat.authenticate(std::string(body.at("accessToken").as_string())));
  EXPECT_EQ(status_of(chat.refresh(refresh_body(next))), 200);
}

TEST_F(chat_service, reusing_a_rotated_refresh_token_is_401_and_revokes_its_family) {
  auto r1 = chat.refresh(refresh_body(alice.refresh_token));
  ASSERT_TRUE(r1);
  auto next = refresh_of(r1);
  auto reuse = chat.refresh(refresh_body(alice.refresh_token));
  ASSERT_FALSE(reuse);
  EXPECT_EQ(reuse.error().status(), 401);
  // The thief's copy and the victim's current token are both dead now.
  EXPECT_EQ(status_of(chat.refresh(refresh_body(next))), 401);
  // Another device's session (another family) is unaffected.
  auto other = chat.login(login_body("alice", "Secret#123"));
  ASSERT_TRUE(other);
  EXPECT_EQ(status_of(chat.refresh(refresh_body(refresh_of(other)))), 200);
}

TEST_F(chat_service, refresh_accepts_a_bare_token_or_a_json_string) {
  auto bare = chat.refresh(bob.refresh_token);
  ASSERT_TRUE(bare) << bare.error().message;
  auto quoted = chat.refresh(json::serialize(json::value(refresh_of(bare))));
  EXPECT_TRUE(quoted) << quoted.error().message;
  EXPECT_EQ(status_of(chat.refresh("")), 400);
  EXPECT_EQ(status_of(chat.refresh("{}")), 400);
}

TEST_F(chat_service, an_access_token_is_not_a_refresh_token_and_vice_versa) {
  EXPECT_EQ(status_of(chat.refresh(refresh_body(alice.access_token))), 401);
  auto as_access = chat.authenticate("Bearer " + alice.refresh_token);
  ASSERT_FALSE(as_access);
  EXPECT_EQ(as_access.error().status(), 401);
}

TEST_F(chat_service, authenticate_accepts_a_bearer_header_or_a_bare_token) {
  EXPECT_TRUE(chat.authenticate("Bearer " + alice.access_token));
  EXPECT_TRUE(chat.authenticate(alice.access_token));
  EXPECT_FALSE(chat.authenticate("Bearer "));
  EXPECT_FALSE(chat.authenticate(""));
  EXPECT_FALSE(chat.authenticate("Bearer not.a.jwt"));
}

TEST_F(chat_service, an_expired_access_token_is_refused) {
  env.clock.advance(16min);
  auto r = chat.authenticate(alice.access_token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status(), 401);
}

TEST_F(chat_service, logout_revokes_the_refresh_family) {
  auto r = chat.logout(refresh_body(alice.refresh_token));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(status_of(chat.refresh(refresh_body(alice.refresh_token))), 401);
}

TEST_F(chat_service, exists_reports_registered_usernames) {
  EXPECT_EQ(ok(chat.exists("alice")).at("exists").as_bool(), true);
  EXPECT_EQ(ok(chat.exists("nobody")).at("exists").as_bool(), false);
  EXPECT_EQ(status_of(chat.exists("  ")), 400);
}

}  // namespace
}  // namespace parley::chat::test
