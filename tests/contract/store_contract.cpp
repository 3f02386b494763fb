// The storage port's contract: every guarantee in src/chat/storage.hpp and every storage-side rule
// of docs/API.md ("Rules that hold everywhere"), checked against each adapter through the port
// only. Not covered: a failed COMMIT must fail every job of its batch; no adapter-neutral way to
// force one exists here.
#include "store_contract.hpp"

#include "core/ids.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace parley::store::contract {

using namespace std::chrono_literals;

namespace {

template <class T>
std::string why(const outcome<T>& r) {
  if (r) return "ok";
  return std::to_string(r.error().status()) + " " + std::string(core::code_name(r.error().code)) + ": " +
         r.error().message;
}

// The outcome is a problem with this status and, when given, this code.
template <class T>
::testing::AssertionResult is_problem(const outcome<T>& r, int status, std::string_view code = {}) {
  if (r) return ::testing::AssertionFailure() << "succeeded; expected a " << status << " problem";
  if (r.error().status() != status || (!code.empty() && core::code_name(r.error().code) != code))
    return ::testing::AssertionFailure()
           << "got " << why(r) << "; expected " << status << " " << code;
  return ::testing::AssertionSuccess();
}

// The outcome succeeded (the engine worked) with this verdict of the conditional write.
template <class T, class V>
::testing::AssertionResult verdict_is(const outcome<T>& r, V want) {
  if (!r) return ::testing::AssertionFailure() << "failed: " << why(r);
  if (r->verdict != want)
    return ::testing::AssertionFailure() << "verdict " << static_cast<int>(r->verdict)
                                         << ", expected " << static_cast<int>(want);
  return ::testing::AssertionSuccess();
}

std::vector<std::int64_t> seqs(const std::vector<message>& ms) {
  std::vector<std::int64_t> out;
  for (auto& m : ms) out.push_back(m.seq);
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> usernames(const std::vector<user>& us) {
  std::vector<std::string> out;
  for (auto& u : us) out.push_back(u.username);
  return out;
}

std::vector<std::int64_t> chat_ids(const std::vector<room_summary>& rs) {
  std::vector<std::int64_t> out;
  for (auto& r : rs) out.push_back(r.info.chat_id);
  return out;
}

const room_summary* summary_of(const page<room_summary>& p, std::int64_t chat_id) {
  for (auto& r : p.content)
    if (r.info.chat_id == chat_id) return &r;
  return nullptr;
}

constexpr const char* unknown_ulid = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

}  // namespace

user store_contract::add_user(const std::string& username, const std::string& full_name) {
  user u{core::make_uuid(),
         username,
         username + "@example.com",
         full_name.empty() ? username : full_name,
         "hash-of-" + username,
         std::nullopt,
         std::nullopt};
  return db().create_user(u).value();
}

room store_contract::add_room(const std::string& creator, const std::vector<std::string>& others,
                              const std::string& name) {
  room r;
  r.name = name;
  r.type = room_type::private_room;
  return db().create_room(r, creator, others).value();
}

message store_contract::send(std::int64_t chat_id, const std::string& user_id,
                             std::string content) {
  return append(chat_id, user_id, std::move(content)).value().msg;
}

// ---- users -------------------------------------------------------------------------------

TEST_P(store_contract, created_user_is_found_by_id_and_username) {
  user u{core::make_uuid(), "alice", "alice@example.com", "Alice Liddell", "hash", "a.png", "hi"};
  auto created = db().create_user(u);
  ASSERT_TRUE(created) << why(created);

  for (auto found : {db().user_by_id(u.user_id), db().user_by_username("alice")}) {
    ASSERT_TRUE(found);
    EXPECT_EQ(found->user_id, u.user_id);
    EXPECT_EQ(found->username, "alice");
    EXPECT_EQ(found->email, "alice@example.com");
    EXPECT_EQ(found->full_name, "Alice Liddell");
    EXPECT_EQ(found->password_hash, "hash");
    EXPECT_EQ(found->avatar, "a.png");
    EXPECT_EQ(found->bio, "hi");
  }
}

TEST_P(store_contract, unknown_user_lookups_find_nothing) {
  add_user("alice");
  EXPECT_FALSE(db().user_by_id(core::make_uuid()));
  EXPECT_FALSE(db().user_by_username("nobody"));
}

TEST_P(store_contract, taken_username_is_a_409) {
  add_user("alice");
  user again{core::make_uuid(), "alice", "other@example.com", "Other", "hash", {}, {}};
  EXPECT_TRUE(is_problem(db().create_user(again), 409));
  EXPECT_FALSE(db().user_by_id(again.user_id));
}

TEST_P(store_contract, taken_email_is_a_409_whatever_its_case) {
  add_user("alice");  // alice@example.com
  user again{core::make_uuid(), "alice2", "ALICE@Example.COM", "Other", "hash", {}, {}};
  EXPECT_TRUE(is_problem(db().create_user(again), 409));
  EXPECT_FALSE(db().user_by_username("alice2"));
}

TEST_P(store_contract, update_user_changes_only_the_given_fields) {
  auto alice = add_user("alice", "Alice Liddell");
  user_patch p;
  p.bio = "curious";
  auto r = db().update_user(alice.user_id, p);
  ASSERT_TRUE(r) << why(r);
  EXPECT_EQ(r->bio, "curious");
  EXPECT_EQ(r->full_name, "Alice Liddell");
  EXPECT_EQ(r->email, "alice@example.com");

  p = {};
  p.email = "liddell@example.com";
  p.full_name = "Alice L.";
  ASSERT_TRUE(db().update_user(alice.user_id, p));
  auto stored = db().user_by_id(alice.user_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->email, "liddell@example.com");
  EXPECT_EQ(stored->full_name, "Alice L.");
  EXPECT_EQ(stored->bio, "curious");
  EXPECT_EQ(stored->password_hash, "hash-of-alice");
}

TEST_P(store_contract, update_to_a_taken_email_is_a_409_whatever_its_case) {
  add_user("alice");
  auto bob = add_user("bob");
  user_patch p;
  p.email = "Alice@EXAMPLE.com";
  EXPECT_TRUE(is_problem(db().update_user(bob.user_id, p), 409));
  EXPECT_EQ(db().user_by_id(bob.user_id)->email, "bob@example.com");
}

TEST_P(store_contract, update_of_an_unknown_user_is_a_404) {
  user_patch p;
  p.bio = "x";
  EXPECT_TRUE(is_problem(db().update_user(core::make_uuid(), p), 404));
}

TEST_P(store_contract, search_matches_username_or_full_name_case_insensitively_except_caller) {
  auto alice = add_user("alice", "Alice Liddell");
  add_user("malik", "Malik Stone");  // username contains "ali"
  add_user("bob", "Bob Kalinski");   // full name contains "ali"
  add_user("dave", "Dave Smith");    // no match

  auto r = db().search_users("ALI", alice.user_id, 0, 10);
  EXPECT_EQ(sorted(usernames(r.content)), (std::vector<std::string>{"bob", "malik"}));
  EXPECT_EQ(r.total_elements, 2);

  auto by_dave = db().search_users("aLi", core::make_uuid(), 0, 10);
  EXPECT_EQ(by_dave.total_elements, 3);  // alice, malik, bob: no caller to exclude
  EXPECT_EQ(db().search_users("zzz", alice.user_id, 0, 10).total_elements, 0);
}

TEST_P(store_contract, search_pages_share_one_total_and_never_overlap) {
  auto caller = add_user("caller");
  for (auto name : {"anna", "annabel", "joanna", "hannah", "bob"}) add_user(name);

  auto p0 = db().search_users("ann", caller.user_id, 0, 2);
  auto p1 = db().search_users("ann", caller.user_id, 1, 2);
  auto p2 = db().search_users("ann", caller.user_id, 2, 2);
  EXPECT_EQ(p0.content.size(), 2u);
  EXPECT_EQ(p1.content.size(), 2u);
  EXPECT_TRUE(p2.content.empty());
  for (auto* p : {&p0, &p1, &p2}) EXPECT_EQ(p->total_elements, 4);
  EXPECT_EQ(p1.number, 1);
  EXPECT_EQ(p1.size, 2);

  auto all = usernames(p0.content);
  for (auto& n : usernames(p1.content)) all.push_back(n);
  EXPECT_EQ(sorted(all), (std::vector<std::string>{"anna", "annabel", "hannah", "joanna"}));
}

TEST_P(store_contract, all_usernames_lists_every_user) {
  for (auto name : {"alice", "bob", "carol"}) add_user(name);
  EXPECT_EQ(sorted(db().all_usernames()), (std::vector<std::string>{"alice", "bob", "carol"}));
}

TEST_P(store_contract, last_seen_is_null_until_set_and_for_unknown_ids) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto stranger = core::make_uuid();
  auto seen_at = clock_.now() - 5min;
  db().set_last_seen(alice.user_id, seen_at);

  // set_last_seen promises no completion point, so poll (with a deadline) until it shows.
  std::vector<presence_row> rows;
  for (auto deadline = std::chrono::steady_clock::now() + async_deadline;
       std::chrono::steady_clock::now() < deadline; std::this_thread::yield()) {
    rows = db().last_seen({alice.user_id, bob.user_id, stranger});
    if (rows.size() == 3 && rows[0].last_seen) break;
  }
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].user_id, alice.user_id);
  EXPECT_EQ(rows[0].last_seen, seen_at);
  EXPECT_EQ(rows[1].user_id, bob.user_id);
  EXPECT_FALSE(rows[1].last_seen);
  EXPECT_EQ(rows[2].user_id, stranger);
  EXPECT_FALSE(rows[2].last_seen);
}

TEST_P(store_contract, a_read_sees_writes_committed_after_an_earlier_read) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  // Reads that leave a result half-consumed must not pin the reader to an old snapshot.
  ASSERT_TRUE(db().user_by_id(alice.user_id));
  ASSERT_EQ(db().search_users("a", "", 0, 10).total_elements, 1);
  ASSERT_EQ(db().history_page(room.chat_id, 0, 10).total_elements, 0);

  add_user("bob");
  EXPECT_TRUE(db().user_by_username("bob"));
  EXPECT_EQ(db().search_users("b", "", 0, 10).total_elements, 1);
  for (int i = 1; i <= 3; ++i) {
    auto m = send(room.chat_id, alice.user_id);
    EXPECT_EQ(db().history_page(room.chat_id, 0, 10).total_elements, i);
    EXPECT_TRUE(db().message_by_id(m.message_id));
    EXPECT_EQ(db().room_by_id(room.chat_id)->last_seq, i);
  }
}

// ---- refresh tokens ----------------------------------------------------------------------

TEST_P(store_contract, rotating_a_refresh_token_grants_its_user_and_family) {
  auto alice = add_user("alice");
  db().insert_refresh("h1", "fam1", alice.user_id, clock_.now() + 1h);

  auto g = db().rotate_refresh("h1", "h2", clock_.now() + 2h, clock_.now());
  ASSERT_TRUE(g) << why(g);
  EXPECT_EQ(g->user_id, alice.user_id);
  EXPECT_EQ(g->family_id, "fam1");

  auto next = db().rotate_refresh("h2", "h3", clock_.now() + 2h, clock_.now());
  ASSERT_TRUE(next) << why(next);
  EXPECT_EQ(next->family_id, "fam1");
}

TEST_P(store_contract, reusing_a_rotated_refresh_token_revokes_its_whole_family) {
  auto alice = add_user("alice");
  db().insert_refresh("h1", "fam1", alice.user_id, clock_.now() + 1h);
  db().insert_refresh("other", "fam2", alice.user_id, clock_.now() + 1h);
  ASSERT_TRUE(db().rotate_refresh("h1", "h2", clock_.now() + 1h, clock_.now()));

  EXPECT_TRUE(is_problem(db().rotate_refresh("h1", "h3", clock_.now() + 1h, clock_.now()), 401));
  EXPECT_TRUE(is_problem(db().rotate_refresh("h2", "h4", clock_.now() + 1h, clock_.now()), 401));
  EXPECT_TRUE(db().rotate_refresh("other", "other2", clock_.now() + 1h, clock_.now()));
}

TEST_P(store_contract, expired_refresh_token_is_a_401) {
  auto alice = add_user("alice");
  db().insert_refresh("h1", "fam1", alice.user_id, clock_.now() + 1s);
  clock_.advance(2s);
  EXPECT_TRUE(is_problem(db().rotate_refresh("h1", "h2", clock_.now() + 1h, clock_.now()), 401));
  EXPECT_TRUE(is_problem(db().rotate_refresh("h2", "h3", clock_.now() + 1h, clock_.now()), 401));
}

TEST_P(store_contract, unknown_refresh_token_is_a_401) {
  EXPECT_TRUE(is_problem(db().rotate_refresh("nope", "h2", clock_.now() + 1h, clock_.now()), 401));
}

TEST_P(store_contract, revoke_family_ends_every_token_of_that_family_only) {
  auto alice = add_user("alice");
  db().insert_refresh("h1", "fam1", alice.user_id, clock_.now() + 1h);
  db().insert_refresh("other", "fam2", alice.user_id, clock_.now() + 1h);
  ASSERT_TRUE(db().rotate_refresh("h1", "h2", clock_.now() + 1h, clock_.now()));

  db().revoke_family("h1");  // any token of the family names it, even a used one
  EXPECT_TRUE(is_problem(db().rotate_refresh("h2", "h3", clock_.now() + 1h, clock_.now()), 401));
  EXPECT_TRUE(db().rotate_refresh("other", "other2", clock_.now() + 1h, clock_.now()));
}

// ---- rooms and membership ----------------------------------------------------------------

TEST_P(store_contract, create_room_makes_the_creator_admin_and_the_others_members) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto carol = add_user("carol");
  room r;
  r.name = "Tea party";
  r.type = room_type::public_room;
  r.description = "every day";
  auto created = db().create_room(r, alice.user_id, {bob.user_id, carol.user_id, alice.user_id});
  ASSERT_TRUE(created) << why(created);
  EXPECT_GT(created->chat_id, 0);
  EXPECT_EQ(created->last_seq, 0);

  auto stored = db().room_by_id(created->chat_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "Tea party");
  EXPECT_EQ(stored->type, room_type::public_room);
  EXPECT_EQ(stored->description, "every day");
  EXPECT_FALSE(stored->icon);
  EXPECT_EQ(stored->created_at, clock_.now());

  EXPECT_TRUE(db().membership(created->chat_id, alice.user_id)->admin);
  EXPECT_FALSE(db().membership(created->chat_id, bob.user_id)->admin);
  EXPECT_FALSE(db().membership(created->chat_id, carol.user_id)->admin);
  EXPECT_EQ(db().members(created->chat_id).size(), 3u);  // the creator listed twice joins once
}

TEST_P(store_contract, create_room_with_an_unknown_member_is_a_404_and_creates_nothing) {
  auto alice = add_user("alice");
  room r;
  r.name = "ghosts";
  EXPECT_TRUE(is_problem(db().create_room(r, alice.user_id, {core::make_uuid()}), 404));
  EXPECT_EQ(db().room_count_of(alice.user_id), 0);
}

TEST_P(store_contract, direct_message_room_is_the_same_from_either_side) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");

  auto first = db().find_or_create_dm(alice.user_id, bob.user_id);
  ASSERT_TRUE(first) << why(first);
  EXPECT_TRUE(first->second);
  EXPECT_EQ(first->first.type, room_type::direct_message);

  auto second = db().find_or_create_dm(bob.user_id, alice.user_id);
  ASSERT_TRUE(second) << why(second);
  EXPECT_FALSE(second->second);
  EXPECT_EQ(second->first.chat_id, first->first.chat_id);

  auto again = db().find_or_create_dm(alice.user_id, bob.user_id);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->second);
  EXPECT_EQ(again->first.chat_id, first->first.chat_id);

  auto ms = db().members(first->first.chat_id);
  std::vector<std::string> ids;
  for (auto& m : ms) ids.push_back(m.user_id);
  EXPECT_EQ(sorted(ids), sorted({alice.user_id, bob.user_id}));
  EXPECT_EQ(db().room_count_of(alice.user_id), 1);
  EXPECT_EQ(db().room_count_of(bob.user_id), 1);
}

TEST_P(store_contract, direct_message_with_an_unknown_user_is_a_404) {
  auto alice = add_user("alice");
  EXPECT_TRUE(is_problem(db().find_or_create_dm(alice.user_id, core::make_uuid()), 404));
  EXPECT_EQ(db().room_count_of(alice.user_id), 0);
}

TEST_P(store_contract, update_room_changes_only_the_given_fields) {
  auto alice = add_user("alice");
  room r;
  r.name = "old";
  r.description = "desc";
  auto created = db().create_room(r, alice.user_id, {}).value();

  room_patch p;
  p.name = "new";
  p.type = room_type::public_room;
  auto updated = db().update_room(created.chat_id, p);
  ASSERT_TRUE(updated) << why(updated);
  EXPECT_EQ(updated->name, "new");
  EXPECT_EQ(updated->type, room_type::public_room);
  EXPECT_EQ(updated->description, "desc");
  EXPECT_EQ(db().room_by_id(created.chat_id)->name, "new");

  EXPECT_TRUE(is_problem(db().update_room(created.chat_id + 1000, p), 404));
}

TEST_P(store_contract, unknown_room_is_not_found) {
  EXPECT_FALSE(db().room_by_id(424242));
  EXPECT_TRUE(db().members(424242).empty());
}

TEST_P(store_contract, members_carry_the_profile_without_the_password_hash) {
  auto alice = add_user("alice", "Alice Liddell");
  auto bob = add_user("bob", "Bob Builder");
  auto room = add_room(alice.user_id, {bob.user_id});

  auto ms = db().members(room.chat_id);
  ASSERT_EQ(ms.size(), 2u);
  for (auto& m : ms) {
    EXPECT_EQ(m.chat_id, room.chat_id);
    EXPECT_EQ(m.profile.user_id, m.user_id);
    EXPECT_TRUE(m.profile.password_hash.empty()) << m.user_id;
    const auto& expected = m.user_id == alice.user_id ? alice : bob;
    EXPECT_EQ(m.profile.username, expected.username);
    EXPECT_EQ(m.profile.full_name, expected.full_name);
    EXPECT_EQ(m.profile.email, expected.email);
    EXPECT_EQ(m.admin, m.user_id == alice.user_id);
  }
}

TEST_P(store_contract, membership_of_a_non_member_is_empty) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id);
  auto m = db().membership(room.chat_id, alice.user_id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->user_id, alice.user_id);
  EXPECT_EQ(m->chat_id, room.chat_id);
  EXPECT_FALSE(m->last_read_message_id);
  EXPECT_FALSE(db().membership(room.chat_id, bob.user_id));
}

TEST_P(store_contract, add_member_adds_once_then_is_a_409) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id);

  auto added = db().add_member(room.chat_id, bob.user_id, false);
  ASSERT_TRUE(added) << why(added);
  EXPECT_EQ(added->user_id, bob.user_id);
  EXPECT_FALSE(added->admin);
  EXPECT_TRUE(db().membership(room.chat_id, bob.user_id));

  EXPECT_TRUE(is_problem(db().add_member(room.chat_id, bob.user_id, true), 409));
  EXPECT_FALSE(db().membership(room.chat_id, bob.user_id)->admin);
}

TEST_P(store_contract, add_member_of_an_unknown_user_or_room_is_a_404) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  EXPECT_TRUE(is_problem(db().add_member(room.chat_id, core::make_uuid(), false), 404));
  EXPECT_TRUE(is_problem(db().add_member(room.chat_id + 1000, alice.user_id, false), 404));
}

TEST_P(store_contract, remove_member_and_set_admin_tell_whether_a_member_was_there) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto carol = add_user("carol");
  auto room = add_room(alice.user_id, {bob.user_id});

  EXPECT_TRUE(db().set_admin(room.chat_id, bob.user_id, true));
  EXPECT_TRUE(db().membership(room.chat_id, bob.user_id)->admin);
  EXPECT_TRUE(db().set_admin(room.chat_id, bob.user_id, false));
  EXPECT_FALSE(db().membership(room.chat_id, bob.user_id)->admin);
  EXPECT_FALSE(db().set_admin(room.chat_id, carol.user_id, true));
  EXPECT_FALSE(db().membership(room.chat_id, carol.user_id));

  EXPECT_TRUE(db().remove_member(room.chat_id, bob.user_id));
  EXPECT_FALSE(db().membership(room.chat_id, bob.user_id));
  EXPECT_FALSE(db().remove_member(room.chat_id, bob.user_id));
  EXPECT_FALSE(db().remove_member(room.chat_id, carol.user_id));
  EXPECT_EQ(db().members(room.chat_id).size(), 1u);
}

TEST_P(store_contract, co_members_lists_each_user_sharing_a_room_once) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto carol = add_user("carol");
  auto dave = add_user("dave");
  add_room(alice.user_id, {bob.user_id, carol.user_id});
  add_room(bob.user_id, {alice.user_id});
  add_room(dave.user_id);

  EXPECT_EQ(sorted(db().co_members(alice.user_id)), sorted({bob.user_id, carol.user_id}));
  EXPECT_EQ(sorted(db().co_members(carol.user_id)), sorted({alice.user_id, bob.user_id}));
  EXPECT_TRUE(db().co_members(dave.user_id).empty());
}

TEST_P(store_contract, rooms_of_orders_by_latest_activity_with_the_latest_message) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto a = add_room(alice.user_id, {bob.user_id}, "a");
  clock_.advance(1s);
  auto b = add_room(alice.user_id, {}, "b");
  clock_.advance(1s);
  auto c = add_room(alice.user_id, {}, "c");
  clock_.advance(1s);

  auto before = db().rooms_of(alice.user_id, 0, 10);
  EXPECT_EQ(chat_ids(before.content), (std::vector<std::int64_t>{c.chat_id, b.chat_id, a.chat_id}));
  for (auto& s : before.content) EXPECT_FALSE(s.latest);

  send(a.chat_id, bob.user_id, "first");
  clock_.advance(1s);
  auto latest = send(a.chat_id, bob.user_id, "second");
  auto after = db().rooms_of(alice.user_id, 0, 10);
  EXPECT_EQ(after.total_elements, 3);
  EXPECT_EQ(chat_ids(after.content), (std::vector<std::int64_t>{a.chat_id, c.chat_id, b.chat_id}));
  ASSERT_TRUE(after.content[0].latest);
  EXPECT_EQ(after.content[0].latest->message_id, latest.message_id);
  EXPECT_EQ(after.content[0].latest->content, "second");
  EXPECT_EQ(after.content[0].info.last_seq, 2);
  EXPECT_EQ(after.content[0].info.name, "a");
}

TEST_P(store_contract, rooms_of_pages_share_one_total) {
  auto alice = add_user("alice");
  for (auto name : {"a", "b", "c"}) {
    add_room(alice.user_id, {}, name);
    clock_.advance(1s);
  }
  auto p0 = db().rooms_of(alice.user_id, 0, 2);
  auto p1 = db().rooms_of(alice.user_id, 1, 2);
  EXPECT_EQ(p0.content.size(), 2u);
  EXPECT_EQ(p1.content.size(), 1u);
  EXPECT_EQ(p0.total_elements, 3);
  EXPECT_EQ(p1.total_elements, 3);
  EXPECT_EQ(p0.content[0].info.name, "c");
  EXPECT_EQ(p1.content[0].info.name, "a");
  EXPECT_EQ(db().room_count_of(alice.user_id), 3);
  EXPECT_TRUE(db().rooms_of(core::make_uuid(), 0, 2).content.empty());
}

TEST_P(store_contract, unread_count_counts_others_messages_after_the_read_marker) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});
  send(room.chat_id, bob.user_id, "b1");
  auto b2 = send(room.chat_id, bob.user_id, "b2");
  send(room.chat_id, alice.user_id, "a1");
  auto b3 = send(room.chat_id, bob.user_id, "b3");

  auto unread = [&](const user& u) {
    auto rooms = db().rooms_of(u.user_id, 0, 10);
    auto* s = summary_of(rooms, room.chat_id);
    return s ? s->unread_count : -1;
  };
  EXPECT_EQ(unread(alice), 3);  // b1 b2 b3; her own a1 never counts
  EXPECT_EQ(unread(bob), 1);

  ASSERT_TRUE(mark_read(room.chat_id, alice.user_id, b2.message_id));
  EXPECT_EQ(unread(alice), 1);  // b3
  ASSERT_TRUE(mark_read(room.chat_id, alice.user_id, b3.message_id));
  EXPECT_EQ(unread(alice), 0);
  EXPECT_EQ(unread(bob), 1);
}

TEST_P(store_contract, delete_room_removes_its_messages_and_members) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto doomed = add_room(alice.user_id, {bob.user_id});
  auto kept = add_room(alice.user_id, {bob.user_id});
  auto gone = send(doomed.chat_id, alice.user_id);
  send(doomed.chat_id, bob.user_id);
  auto stays = send(kept.chat_id, bob.user_id);

  db().delete_room(doomed.chat_id);
  EXPECT_FALSE(db().room_by_id(doomed.chat_id));
  EXPECT_TRUE(db().members(doomed.chat_id).empty());
  EXPECT_FALSE(db().membership(doomed.chat_id, alice.user_id));
  EXPECT_EQ(db().history_page(doomed.chat_id, 0, 10).total_elements, 0);
  EXPECT_FALSE(db().message_by_id(gone.message_id));
  EXPECT_EQ(chat_ids(db().rooms_of(alice.user_id, 0, 10).content),
            std::vector<std::int64_t>{kept.chat_id});
  EXPECT_EQ(db().room_count_of(bob.user_id), 1);
  EXPECT_TRUE(db().message_by_id(stays.message_id));
  EXPECT_TRUE(verdict_is(append(doomed.chat_id, alice.user_id, "late"), append_verdict::not_a_member));
}

// ---- messages ----------------------------------------------------------------------------

TEST_P(store_contract, appends_get_contiguous_seq_per_room) {
  auto alice = add_user("alice");
  auto r1 = add_room(alice.user_id);
  auto r2 = add_room(alice.user_id);
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(send(r1.chat_id, alice.user_id).seq, i);
    EXPECT_EQ(send(r2.chat_id, alice.user_id).seq, i);
  }
  EXPECT_EQ(send(r1.chat_id, alice.user_id).seq, 5);
  EXPECT_EQ(db().room_by_id(r1.chat_id)->last_seq, 5);
  EXPECT_EQ(db().room_by_id(r2.chat_id)->last_seq, 4);
}

TEST_P(store_contract, appended_message_is_stored_as_sent) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  clock_.advance(1234ms);
  auto r = append(room.chat_id, alice.user_id, "hello", "c-1");
  ASSERT_TRUE(r) << why(r);
  EXPECT_FALSE(r->duplicate());
  EXPECT_TRUE(core::is_ulid(r->msg.message_id));
  EXPECT_EQ(r->msg.status, message_status::sent);
  EXPECT_EQ(r->msg.timestamp, clock_.now());

  auto stored = db().message_by_id(r->msg.message_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->chat_id, room.chat_id);
  EXPECT_EQ(stored->seq, 1);
  EXPECT_EQ(stored->user_id, alice.user_id);
  EXPECT_EQ(stored->content, "hello");
  EXPECT_EQ(stored->type, message_type::text);
  EXPECT_EQ(stored->status, message_status::sent);
  EXPECT_EQ(stored->timestamp, clock_.now());
  EXPECT_FALSE(stored->edited);
  EXPECT_EQ(stored->client_message_id, "c-1");
  EXPECT_FALSE(db().message_by_id(unknown_ulid));
}

TEST_P(store_contract, message_ids_increase_strictly_within_a_room) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  std::string last;
  for (int i = 0; i < 20; ++i) {
    if (i % 5 == 0) clock_.advance(1ms);  // several ids per millisecond, and across milliseconds
    auto m = send(room.chat_id, alice.user_id);
    EXPECT_GT(m.message_id, last);
    last = m.message_id;
  }
}

TEST_P(store_contract, concurrent_appends_keep_each_room_contiguous_with_callbacks_in_seq_order) {
  constexpr int senders = 4;
  constexpr int per_sender_per_room = 40;
  std::vector<user> users;
  for (int i = 0; i < senders; ++i) users.push_back(add_user("user" + std::to_string(i)));
  std::vector<std::string> others;
  for (auto& u : users) others.push_back(u.user_id);
  std::vector<room> rooms;
  for (int i = 0; i < 3; ++i) rooms.push_back(add_room(users[0].user_id, others));

  constexpr int total = senders * per_sender_per_room * 3;
  std::mutex mu;
  std::map<std::int64_t, std::vector<message>> delivered;  // per room, in callback order
  std::vector<std::string> failures;
  int pending = total;
  std::promise<void> all_done;

  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_sender_per_room; ++i)
        for (auto& r : rooms) {
          new_message m{
              r.chat_id, users[t].user_id, "m" + std::to_string(i), message_type::text, {}};
          db().append(m, [&](outcome<appended> res) {
            std::lock_guard lock(mu);
            if (res)
              delivered[res->msg.chat_id].push_back(res->msg);
            else
              failures.push_back(why(res));
            if (--pending == 0) all_done.set_value();
          });
        }
    });
  for (auto& th : threads) th.join();
  if (all_done.get_future().wait_for(async_deadline) != std::future_status::ready) {
    db().close();  // the callbacks touch this frame: let them finish before it goes
    FAIL() << "not every append was acknowledged within " << async_deadline.count() << " s";
  }

  std::lock_guard lock(mu);
  EXPECT_TRUE(failures.empty()) << failures.front();
  for (auto& r : rooms) {
    auto& got = delivered[r.chat_id];
    ASSERT_EQ(got.size(), static_cast<std::size_t>(senders * per_sender_per_room));
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].seq, static_cast<std::int64_t>(i + 1)) << "room " << r.chat_id;
      if (i > 0) {
        ASSERT_GT(got[i].message_id, got[i - 1].message_id) << "room " << r.chat_id;
      }
    }
    auto stored = db().history_after(r.chat_id, got.front().message_id, 1000);
    ASSERT_TRUE(stored) << why(stored);
    EXPECT_EQ(stored->content.size(), got.size() - 1);
    EXPECT_EQ(db().room_by_id(r.chat_id)->last_seq, senders * per_sender_per_room);
  }
}

TEST_P(store_contract, repeated_client_message_id_returns_the_original_as_duplicate) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});

  auto first = append(room.chat_id, alice.user_id, "hello", "c-1");
  ASSERT_TRUE(first) << why(first);
  send(room.chat_id, bob.user_id);
  auto again = append(room.chat_id, alice.user_id, "hello again", "c-1");
  ASSERT_TRUE(again) << why(again);
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->msg.message_id, first->msg.message_id);
  EXPECT_EQ(again->msg.seq, 1);
  EXPECT_EQ(again->msg.content, "hello");

  // The key is (sender, client_message_id): another sender's c-1 is a new message.
  auto bobs = append(room.chat_id, bob.user_id, "mine", "c-1");
  ASSERT_TRUE(bobs) << why(bobs);
  EXPECT_FALSE(bobs->duplicate());
  EXPECT_EQ(bobs->msg.seq, 3);
  EXPECT_EQ(db().history_page(room.chat_id, 0, 10).total_elements, 3);
  EXPECT_EQ(db().room_by_id(room.chat_id)->last_seq, 3);
}

TEST_P(store_contract, a_burst_of_appends_retries_refusals_and_a_status_change_keeps_each_verdict) {
  // Submitted without waiting, so adapters that group commit see them in shared batches.
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto carol = add_user("carol");  // not a member
  auto room = add_room(alice.user_id, {bob.user_id});
  auto old = append(room.chat_id, alice.user_id, "before", "c-old");
  ASSERT_TRUE(old) << why(old);

  constexpr int n = 300;
  std::mutex mu;
  std::vector<std::optional<outcome<appended>>> got(n);
  std::optional<outcome<status_change>> status;
  int pending = n + 1;
  std::promise<void> all_done;
  auto one_done = [&] {
    if (--pending == 0) all_done.set_value();
  };
  for (int i = 0; i < n; ++i) {
    if (i == n / 2)
      db().set_status_if_forward(room.chat_id, old->msg.message_id, bob.user_id,
                                 message_status::delivered, [&](outcome<status_change> r) {
                                   std::lock_guard lock(mu);
                                   status = std::move(r);
                                   one_done();
                                 });
    new_message m{room.chat_id, i % 2 ? bob.user_id : alice.user_id, "m" + std::to_string(i),
                  message_type::text, "c-" + std::to_string(i)};
    if (i % 10 == 3) m.user_id = carol.user_id;
    // i - 1 is even, so Alice's: her retry of it (5), and Bob's own message with her key (9).
    if (i % 10 == 5) m = {room.chat_id, alice.user_id, "retry", message_type::text, {}};
    if (i % 10 == 5 || i % 10 == 9) m.client_message_id = "c-" + std::to_string(i - 1);
    if (i % 10 == 7) m = {room.chat_id, alice.user_id, "again", message_type::text, "c-old"};
    db().append(m, [&, i](outcome<appended> r) {
      std::lock_guard lock(mu);
      got[static_cast<std::size_t>(i)] = std::move(r);
      one_done();
    });
  }
  if (all_done.get_future().wait_for(async_deadline) != std::future_status::ready) {
    db().close();
    FAIL() << "not every write was acknowledged within " << async_deadline.count() << " s";
  }
  std::lock_guard lock(mu);
  ASSERT_TRUE(status && *status) << "status change failed";
  EXPECT_EQ((*status)->verdict, status_verdict::changed);
  std::int64_t next_seq = 2;  // 1 is `old`
  for (int i = 0; i < n; ++i) {
    auto& r = *got[static_cast<std::size_t>(i)];
    ASSERT_TRUE(r) << "append " << i << ": " << why(r);
    if (i % 10 == 3) {
      EXPECT_EQ(r->verdict, append_verdict::not_a_member) << i;
    } else if (i % 10 == 7) {
      EXPECT_EQ(r->verdict, append_verdict::duplicate) << i;
      EXPECT_EQ(r->msg.message_id, old->msg.message_id) << i;
      EXPECT_EQ(r->msg.content, "before") << i;
    } else if (i % 10 == 5) {
      auto& original = *got[static_cast<std::size_t>(i - 1)];
      EXPECT_EQ(r->verdict, append_verdict::duplicate) << i;
      EXPECT_EQ(r->msg.message_id, original->msg.message_id) << i;
      EXPECT_EQ(r->msg.content, "m" + std::to_string(i - 1)) << i;
    } else {
      EXPECT_EQ(r->verdict, append_verdict::appended) << i;
      EXPECT_EQ(r->msg.seq, next_seq++) << i;
    }
  }
  EXPECT_EQ(db().room_by_id(room.chat_id)->last_seq, next_seq - 1);
  EXPECT_EQ(db().history_page(room.chat_id, 0, 1).total_elements, next_seq - 1);
  EXPECT_EQ(db().message_by_id(old->msg.message_id)->status, message_status::delivered);
}

TEST_P(store_contract, non_member_cannot_append) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id);
  EXPECT_TRUE(verdict_is(append(room.chat_id, bob.user_id, "let me in"), append_verdict::not_a_member));
  EXPECT_TRUE(verdict_is(append(room.chat_id + 1000, alice.user_id, "anyone?"), append_verdict::not_a_member));
  EXPECT_EQ(db().history_page(room.chat_id, 0, 10).total_elements, 0);
  EXPECT_EQ(db().room_by_id(room.chat_id)->last_seq, 0);
  EXPECT_EQ(send(room.chat_id, alice.user_id).seq, 1);  // the refusal used no seq
}

TEST_P(store_contract, status_moves_only_forward) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});
  auto m = send(room.chat_id, bob.user_id);

  auto delivered = set_status(room.chat_id, m.message_id, alice.user_id, message_status::delivered);
  ASSERT_TRUE(delivered) << why(delivered);
  EXPECT_EQ(delivered->verdict, status_verdict::changed);
  EXPECT_EQ(delivered->msg.status, message_status::delivered);

  auto back = set_status(room.chat_id, m.message_id, alice.user_id, message_status::sent);
  ASSERT_TRUE(back) << why(back);
  EXPECT_EQ(back->verdict, status_verdict::unchanged);
  EXPECT_EQ(back->msg.status, message_status::delivered);

  auto same = set_status(room.chat_id, m.message_id, alice.user_id, message_status::delivered);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->verdict, status_verdict::unchanged);

  auto read = set_status(room.chat_id, m.message_id, alice.user_id, message_status::read);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->verdict, status_verdict::changed);
  EXPECT_EQ(read->msg.status, message_status::read);
  EXPECT_EQ(read->msg.message_id, m.message_id);

  auto late = set_status(room.chat_id, m.message_id, alice.user_id, message_status::delivered);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->verdict, status_verdict::unchanged);
  EXPECT_EQ(db().message_by_id(m.message_id)->status, message_status::read);
}

TEST_P(store_contract, status_may_skip_straight_to_read) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});
  auto m = send(room.chat_id, bob.user_id);
  auto r = set_status(room.chat_id, m.message_id, alice.user_id, message_status::read);
  ASSERT_TRUE(r) << why(r);
  EXPECT_EQ(r->verdict, status_verdict::changed);
  EXPECT_EQ(db().message_by_id(m.message_id)->status, message_status::read);
}

TEST_P(store_contract, sender_cannot_change_the_status_of_their_own_message) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});
  auto m = send(room.chat_id, bob.user_id);
  EXPECT_TRUE(verdict_is(set_status(room.chat_id, m.message_id, bob.user_id, message_status::read), status_verdict::not_a_recipient));
  EXPECT_EQ(db().message_by_id(m.message_id)->status, message_status::sent);
}

TEST_P(store_contract, non_member_cannot_change_a_status) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto eve = add_user("eve");
  auto room = add_room(alice.user_id, {bob.user_id});
  auto m = send(room.chat_id, bob.user_id);
  EXPECT_TRUE(verdict_is(set_status(room.chat_id, m.message_id, eve.user_id, message_status::read), status_verdict::not_a_member));
  EXPECT_EQ(db().message_by_id(m.message_id)->status, message_status::sent);
}

TEST_P(store_contract, status_of_a_message_outside_the_room_is_no_such_message) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});
  auto elsewhere = add_room(bob.user_id, {alice.user_id});
  auto m = send(elsewhere.chat_id, bob.user_id);
  EXPECT_TRUE(
      verdict_is(set_status(room.chat_id, m.message_id, alice.user_id, message_status::read), status_verdict::no_such_message));
  EXPECT_TRUE(
      verdict_is(set_status(room.chat_id, unknown_ulid, alice.user_id, message_status::read), status_verdict::no_such_message));
  EXPECT_EQ(db().message_by_id(m.message_id)->status, message_status::sent);
}

TEST_P(store_contract, status_change_never_alters_content) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});
  auto m = append(room.chat_id, bob.user_id, "exact words", "c-9").value().msg;
  clock_.advance(1min);
  auto r = set_status(room.chat_id, m.message_id, alice.user_id, message_status::read);
  ASSERT_TRUE(r) << why(r);
  auto stored = db().message_by_id(m.message_id);
  ASSERT_TRUE(stored);
  for (auto* x : {&r->msg, &*stored}) {
    EXPECT_EQ(x->content, "exact words");
    EXPECT_EQ(x->user_id, bob.user_id);
    EXPECT_EQ(x->seq, m.seq);
    EXPECT_EQ(x->timestamp, m.timestamp);
    EXPECT_EQ(x->client_message_id, "c-9");
    EXPECT_FALSE(x->edited);
  }
}

TEST_P(store_contract, read_marker_moves_only_forward) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  auto room = add_room(alice.user_id, {bob.user_id});
  auto m1 = send(room.chat_id, bob.user_id);
  auto m2 = send(room.chat_id, bob.user_id);
  auto m3 = send(room.chat_id, alice.user_id);

  auto r = mark_read(room.chat_id, alice.user_id, m2.message_id);
  ASSERT_TRUE(r) << why(r);
  EXPECT_EQ(r->verdict, read_verdict::advanced);
  EXPECT_EQ(r->last_read_message_id, m2.message_id);

  auto back = mark_read(room.chat_id, alice.user_id, m1.message_id);
  ASSERT_TRUE(back) << why(back);
  EXPECT_EQ(back->verdict, read_verdict::unchanged);
  EXPECT_EQ(back->last_read_message_id, m2.message_id);

  auto same = mark_read(room.chat_id, alice.user_id, m2.message_id);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->verdict, read_verdict::unchanged);
  EXPECT_EQ(db().membership(room.chat_id, alice.user_id)->last_read_message_id, m2.message_id);

  auto own = mark_read(room.chat_id, alice.user_id, m3.message_id);  // her own message is fine
  ASSERT_TRUE(own) << why(own);
  EXPECT_EQ(own->verdict, read_verdict::advanced);
  EXPECT_EQ(db().membership(room.chat_id, alice.user_id)->last_read_message_id, m3.message_id);
  EXPECT_FALSE(db().membership(room.chat_id, bob.user_id)->last_read_message_id);
}

TEST_P(store_contract, non_member_cannot_mark_read) {
  auto alice = add_user("alice");
  auto eve = add_user("eve");
  auto room = add_room(alice.user_id);
  auto m = send(room.chat_id, alice.user_id);
  EXPECT_TRUE(verdict_is(mark_read(room.chat_id, eve.user_id, m.message_id), read_verdict::not_a_member));
  EXPECT_FALSE(db().membership(room.chat_id, eve.user_id));
}

TEST_P(store_contract, mark_read_of_a_message_outside_the_room_is_no_such_message) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  auto elsewhere = add_room(alice.user_id);
  send(room.chat_id, alice.user_id);
  auto m = send(elsewhere.chat_id, alice.user_id);
  EXPECT_TRUE(verdict_is(mark_read(room.chat_id, alice.user_id, m.message_id), read_verdict::no_such_message));
  EXPECT_TRUE(verdict_is(mark_read(room.chat_id, alice.user_id, unknown_ulid), read_verdict::no_such_message));
  EXPECT_FALSE(db().membership(room.chat_id, alice.user_id)->last_read_message_id);
}

// ---- history -----------------------------------------------------------------------------

TEST_P(store_contract, history_page_is_newest_first_with_the_total) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  auto other = add_room(alice.user_id);
  for (int i = 1; i <= 5; ++i) send(room.chat_id, alice.user_id, "m" + std::to_string(i));
  send(other.chat_id, alice.user_id);

  auto p0 = db().history_page(room.chat_id, 0, 2);
  EXPECT_EQ(seqs(p0.content), (std::vector<std::int64_t>{5, 4}));
  EXPECT_EQ(p0.content[0].content, "m5");
  EXPECT_EQ(p0.total_elements, 5);
  EXPECT_EQ(p0.size, 2);
  auto p2 = db().history_page(room.chat_id, 2, 2);
  EXPECT_EQ(seqs(p2.content), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(p2.number, 2);
  auto p3 = db().history_page(room.chat_id, 3, 2);
  EXPECT_TRUE(p3.content.empty());
  EXPECT_EQ(p3.total_elements, 5);
}

TEST_P(store_contract, history_after_is_oldest_first_and_says_whether_more_follow) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  std::vector<message> ms;
  for (int i = 0; i < 5; ++i) ms.push_back(send(room.chat_id, alice.user_id));

  auto s1 = db().history_after(room.chat_id, ms[0].message_id, 2);
  ASSERT_TRUE(s1) << why(s1);
  EXPECT_EQ(seqs(s1->content), (std::vector<std::int64_t>{2, 3}));
  EXPECT_TRUE(s1->has_more);

  auto s2 = db().history_after(room.chat_id, s1->content.back().message_id, 2);
  ASSERT_TRUE(s2);
  EXPECT_EQ(seqs(s2->content), (std::vector<std::int64_t>{4, 5}));
  EXPECT_FALSE(s2->has_more);

  auto s3 = db().history_after(room.chat_id, ms[4].message_id, 2);
  ASSERT_TRUE(s3);
  EXPECT_TRUE(s3->content.empty());
  EXPECT_FALSE(s3->has_more);

  auto all = db().history_after(room.chat_id, ms[0].message_id, 4);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->content.size(), 4u);
  EXPECT_FALSE(all->has_more);
  EXPECT_EQ(all->content[3].message_id, ms[4].message_id);
}

TEST_P(store_contract, history_before_is_oldest_first_and_says_whether_more_precede) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  std::vector<message> ms;
  for (int i = 0; i < 5; ++i) ms.push_back(send(room.chat_id, alice.user_id));

  auto s1 = db().history_before(room.chat_id, ms[4].message_id, 2);
  ASSERT_TRUE(s1) << why(s1);
  EXPECT_EQ(seqs(s1->content), (std::vector<std::int64_t>{3, 4}));
  EXPECT_TRUE(s1->has_more);

  auto s2 = db().history_before(room.chat_id, s1->content.front().message_id, 2);
  ASSERT_TRUE(s2);
  EXPECT_EQ(seqs(s2->content), (std::vector<std::int64_t>{1, 2}));
  EXPECT_FALSE(s2->has_more);

  auto s3 = db().history_before(room.chat_id, ms[0].message_id, 2);
  ASSERT_TRUE(s3);
  EXPECT_TRUE(s3->content.empty());
  EXPECT_FALSE(s3->has_more);
}

TEST_P(store_contract, history_cursor_that_is_not_a_message_of_the_room_is_a_400) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  auto other = add_room(alice.user_id);
  send(room.chat_id, alice.user_id);
  auto foreign = send(other.chat_id, alice.user_id);
  for (const std::string& cursor :
       {std::string(unknown_ulid), foreign.message_id, std::string("x")}) {
    EXPECT_TRUE(is_problem(db().history_after(room.chat_id, cursor, 10), 400)) << cursor;
    EXPECT_TRUE(is_problem(db().history_before(room.chat_id, cursor, 10), 400)) << cursor;
  }
}

// ---- durability --------------------------------------------------------------------------

TEST_P(store_contract, everything_acknowledged_before_close_survives_reopening) {
  auto alice = add_user("alice", "Alice Liddell");
  auto bob = add_user("bob");
  user_patch p;
  p.bio = "curious";
  ASSERT_TRUE(db().update_user(alice.user_id, p));
  auto room = add_room(alice.user_id, {bob.user_id}, "tea");
  auto dm = db().find_or_create_dm(alice.user_id, bob.user_id).value().first;
  ASSERT_TRUE(db().set_admin(room.chat_id, bob.user_id, true));
  db().insert_refresh("h1", "fam1", alice.user_id, clock_.now() + 1h);
  std::vector<message> sent;
  for (int i = 0; i < 3; ++i)
    sent.push_back(send(room.chat_id, bob.user_id, "m" + std::to_string(i)));
  auto dup = append(dm.chat_id, alice.user_id, "once", "c-1").value().msg;
  ASSERT_TRUE(set_status(room.chat_id, sent[0].message_id, alice.user_id, message_status::read));
  ASSERT_TRUE(mark_read(room.chat_id, alice.user_id, sent[1].message_id));

  reopen();

  auto a = db().user_by_username("alice");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bio, "curious");
  EXPECT_EQ(a->full_name, "Alice Liddell");
  EXPECT_TRUE(db().membership(room.chat_id, bob.user_id)->admin);
  EXPECT_EQ(db().room_by_id(room.chat_id)->name, "tea");
  auto dm_again = db().find_or_create_dm(bob.user_id, alice.user_id);
  ASSERT_TRUE(dm_again);
  EXPECT_FALSE(dm_again->second);
  EXPECT_EQ(dm_again->first.chat_id, dm.chat_id);

  auto history = db().history_page(room.chat_id, 0, 10);
  ASSERT_EQ(history.total_elements, 3);
  EXPECT_EQ(history.content.back().message_id, sent[0].message_id);
  EXPECT_EQ(history.content.back().status, message_status::read);
  EXPECT_EQ(history.content.front().content, "m2");
  EXPECT_EQ(db().membership(room.chat_id, alice.user_id)->last_read_message_id, sent[1].message_id);
  auto rooms = db().rooms_of(alice.user_id, 0, 10);
  auto* summary = summary_of(rooms, room.chat_id);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->unread_count, 1);

  auto again = append(dm.chat_id, alice.user_id, "once more", "c-1");
  ASSERT_TRUE(again) << why(again);
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->msg.message_id, dup.message_id);

  clock_.advance(1s);  // a restart takes time; ids are time-ordered
  auto next = send(room.chat_id, bob.user_id);
  EXPECT_EQ(next.seq, 4);
  EXPECT_GT(next.message_id, sent[2].message_id);

  auto g = db().rotate_refresh("h1", "h2", clock_.now() + 1h, clock_.now());
  ASSERT_TRUE(g) << why(g);
  EXPECT_EQ(g->user_id, alice.user_id);
}

TEST_P(store_contract, close_commits_every_write_submitted_before_it) {
  auto alice = add_user("alice");
  auto room = add_room(alice.user_id);
  constexpr int n = 50;
  std::mutex mu;
  int acknowledged = 0;
  for (int i = 0; i < n; ++i)
    db().append(new_message{room.chat_id, alice.user_id, "m", message_type::text, {}},
                        [&](outcome<appended> r) {
                          std::lock_guard lock(mu);
                          if (r) ++acknowledged;
                        });
  db().close();  // blocks until all of the above are committed and acknowledged
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(acknowledged, n);
  }
  db_.reset();
  db_ = open_(clock_);
  EXPECT_EQ(db().history_page(room.chat_id, 0, 1).total_elements, n);
  EXPECT_EQ(db().room_by_id(room.chat_id)->last_seq, n);
}

}  // namespace parley::store::contract
