// Chat use cases: the `--demo` seed data.
#include "chat/service.hpp"
#include "chat/use_case_support.hpp"

#include "auth/tokens.hpp"
#include "auth/validation.hpp"
#include "chat/views.hpp"
#include "core/ids.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

namespace parley::chat {

using namespace detail;

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
  std::vector<user> users;
  for (auto& p : people) {
    user u{core::make_uuid(),
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
  auto say = [&](std::int64_t chat, const user& u, const char* text) {
    std::promise<void> done;
    auto f = done.get_future();
    d_.log.append({chat, u.user_id, text, message_type::text, std::nullopt},
                  [&](outcome<appended>) { done.set_value(); });
    f.get();
  };
  auto dm = d_.store.find_or_create_dm(users[0].user_id, users[1].user_id);
  if (dm) {
    say(dm->first.chat_id, users[0], "Hi Bob! Did the deploy go out?");
    say(dm->first.chat_id, users[1], "It did, 10 minutes ago. Metrics look clean.");
    say(dm->first.chat_id, users[0], "Great, thanks!");
  }
  room g;
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
