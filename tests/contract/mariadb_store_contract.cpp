// Runs the storage contract against the MariaDB adapter, each test in a fresh database
// `parley_t_<random hex>` on one shared server, plus what only a shared server can show: two
// store instances (two nodes) on one database, and the server going away and coming back.
//
// The server: PARLEY_TEST_MARIADB_DSN (its database part is ignored) or, when unset, the one the
// ctest fixture started (its DSN in PARLEY_TEST_MARIADB_DSN_FILE). Without either the tests fail,
// saying so: a skipped storage test passes nothing.
#include "support/temp_dir.hpp"
#include "store_contract.hpp"

#include "core/ids.hpp"
#include "store/mariadb/connection.hpp"
#include "store/mariadb/mariadb_store.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

namespace parley::store::contract {
namespace {

using namespace std::chrono_literals;
using mariadb::dsn_parts;
using mariadb::mariadb_store;
using parley::test_support::temp_dir;

std::string read_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

dsn_parts test_server() {
  if (const char* env = std::getenv("PARLEY_TEST_MARIADB_DSN"); env && *env)
    return mariadb::parse_dsn(env);
  auto dsn = read_line(PARLEY_TEST_MARIADB_DSN_FILE);
  if (dsn.empty())
    throw std::runtime_error(
        "no MariaDB server for these tests: set PARLEY_TEST_MARIADB_DSN=mariadb://user:pw@host:"
        "port/any, or run them through ctest, whose fixture starts one (scripts/mariadb.sh start) "
        "and writes " PARLEY_TEST_MARIADB_DSN_FILE);
  return mariadb::parse_dsn(dsn);
}

std::string to_dsn(const dsn_parts& p) {
  return "mariadb://" + p.user + ":" + p.password + "@" + p.host + ":" + std::to_string(p.port) +
         "/" + p.database;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  core::secure_random(b.data(), b.size());
  std::string out;
  for (auto c : b) {
    out += "0123456789abcdef"[c >> 4];
    out += "0123456789abcdef"[c & 15];
  }
  return out;
}

// A database of its own on the test server, dropped when it goes.
class scratch_database {
 public:
  explicit scratch_database(dsn_parts server = test_server()) : where_(std::move(server)) {
    where_.database = "parley_t_" + random_hex(8);
  }
  ~scratch_database() {
    try {
      mariadb::connection(where_, 3s, /*use_database=*/false)
          .exec("DROP DATABASE IF EXISTS `" + where_.database + "`");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "could not drop %s: %s\n", where_.database.c_str(), e.what());
    }
  }
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  std::string dsn() const { return to_dsn(where_); }
  std::unique_ptr<mariadb_store> open(const core::clock& clock) const {
    return std::make_unique<mariadb_store>(mariadb::options{.dsn = dsn(), .pool_size = 4}, clock);
  }

 private:
  dsn_parts where_;
};

store_factory fresh_mariadb_database() {
  auto db = std::make_shared<scratch_database>();
  return [db](const core::clock& clock) -> std::unique_ptr<chat::storage> {
    return db->open(clock);
  };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(mariadb, store_contract,
                         ::testing::Values(store_adapter{"mariadb", fresh_mariadb_database}),
                         adapter_name);

namespace {

outcome<appended> append_now(chat::storage& db, chat::new_message m) {
  auto p = std::make_shared<std::promise<outcome<appended>>>();
  auto f = p->get_future();
  db.append(std::move(m), [p](outcome<appended> r) { p->set_value(std::move(r)); });
  if (f.wait_for(20s) != std::future_status::ready)
    return core::problem::internal("no callback within 20 s");
  return f.get();
}

outcome<appended> append_now(chat::storage& db, std::int64_t chat, const std::string& user,
                             const std::string& text, std::optional<std::string> client_id = {}) {
  return append_now(db, {chat, user, text, message_type::text, std::move(client_id)});
}

user new_user(chat::storage& db, const std::string& name, const std::string& full_name = "") {
  user u{core::make_uuid(), name, name + "@example.com", full_name.empty() ? name : full_name,
         "h", {}, {}};
  return db.create_user(u).value();
}

TEST(mariadb_store, emoji_and_other_4_byte_utf8_round_trip) {
  scratch_database scratch;
  manual_clock clock;
  auto db = scratch.open(clock);
  // 4-byte sequences (emoji, a musical symbol, a flag's two regional indicators) next to 2- and
  // 3-byte ones: utf8mb4 end to end, or these fail or come back as '?'.
  const std::string fox = "Zoë 🦊";
  const std::string text = "tea 🍵 𝄞 漢 🇫🇷";
  const std::string client_id = "c-😀";
  auto alice = new_user(*db, "alice", fox);
  room r;
  r.name = "🍵 party";
  r.description = text;
  auto chat = db->create_room(r, alice.user_id, {}).value();

  auto sent = append_now(*db, chat.chat_id, alice.user_id, text, client_id);
  ASSERT_TRUE(sent) << sent.error().message;
  auto stored = db->message_by_id(sent->msg.message_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->content, text);
  EXPECT_EQ(stored->client_message_id, client_id);
  EXPECT_EQ(db->user_by_id(alice.user_id)->full_name, fox);
  EXPECT_EQ(db->room_by_id(chat.chat_id)->name, r.name);
  EXPECT_EQ(db->room_by_id(chat.chat_id)->description, text);
  EXPECT_EQ(db->search_users("🦊", "", 0, 10).total_elements, 1);
  auto again = append_now(*db, chat.chat_id, alice.user_id, "other", client_id);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->msg.content, text);
}

// The retry reaching another node: the database's unique key recognises it, not node memory.
TEST(mariadb_store, a_retry_is_recognised_by_another_instance_on_the_same_database) {
  scratch_database scratch;
  manual_clock clock;
  auto node_a = scratch.open(clock);
  auto node_b = scratch.open(clock);
  auto alice = new_user(*node_a, "alice");
  auto chat = node_a->create_room({.name = "r"}, alice.user_id, {}).value();

  auto first = append_now(*node_a, chat.chat_id, alice.user_id, "hello", "c-1");
  ASSERT_TRUE(first) << first.error().message;
  auto retry = append_now(*node_b, chat.chat_id, alice.user_id, "hello", "c-1");
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->msg.message_id, first->msg.message_id);
  EXPECT_EQ(retry->msg.seq, 1);
  auto next = append_now(*node_b, chat.chat_id, alice.user_id, "next", "c-2");
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->duplicate());
  EXPECT_EQ(next->msg.seq, 2);
  EXPECT_EQ(node_a->history_page(chat.chat_id, 0, 10).total_elements, 2);
}

// A persistence worker that crashed between its COMMIT and its Kafka offset commit replays the
// record, possibly from another worker: the record id finds the stored message and the append
// answers as it did the first time, even though the sender has left the room meanwhile and the
// record carries no clientMessageId.
TEST(mariadb_store, a_replayed_log_record_gets_its_first_answer_and_is_stored_once) {
  scratch_database scratch;
  manual_clock clock;
  auto worker_a = scratch.open(clock);
  auto worker_b = scratch.open(clock);
  auto alice = new_user(*worker_a, "alice");
  auto bob = new_user(*worker_a, "bob");
  auto chat = worker_a->create_room({.name = "r"}, alice.user_id, {bob.user_id}).value();
  core::ulid_generator ids;
  const auto record = ids.next(std::chrono::system_clock::now());
  chat::new_message m{chat.chat_id, bob.user_id, "hello", message_type::text, std::nullopt, record};

  auto first = append_now(*worker_a, m);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->verdict, append_verdict::appended);
  ASSERT_TRUE(worker_a->remove_member(chat.chat_id, bob.user_id));
  auto replay = append_now(*worker_b, m);
  ASSERT_TRUE(replay) << replay.error().message;
  EXPECT_EQ(replay->verdict, append_verdict::appended);
  EXPECT_EQ(replay->msg.message_id, first->msg.message_id);
  EXPECT_EQ(replay->msg.seq, 1);
  // Another record from the same sender is a new append, refused now that bob has left.
  m.record_id = ids.next(std::chrono::system_clock::now());
  auto other = append_now(*worker_b, m);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->verdict, append_verdict::not_a_member);

  // The same record twice in one batch (submitted without waiting): one row.
  m = {chat.chat_id, alice.user_id, "twice", message_type::text, std::nullopt,
       ids.next(std::chrono::system_clock::now())};
  std::vector<std::future<outcome<appended>>> answers;
  for (int i = 0; i < 2; ++i) {
    auto p = std::make_shared<std::promise<outcome<appended>>>();
    answers.push_back(p->get_future());
    worker_b->append(m, [p](outcome<appended> r) { p->set_value(std::move(r)); });
  }
  auto a = answers[0].get(), b = answers[1].get();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->msg.message_id, b->msg.message_id);
  EXPECT_EQ(b->verdict, append_verdict::appended);
  EXPECT_EQ(worker_a->history_page(chat.chat_id, 0, 10).total_elements, 2);
  EXPECT_EQ(worker_a->room_by_id(chat.chat_id)->last_seq, 2);
}

// Two nodes appending to one room at once: seq stays dense and ids increase with it, because
// each batch locks the room and continues after whatever the other node committed.
TEST(mariadb_store, two_instances_appending_to_one_room_keep_it_contiguous) {
  scratch_database scratch;
  manual_clock clock;
  std::unique_ptr<mariadb_store> nodes[] = {scratch.open(clock), scratch.open(clock)};
  auto alice = new_user(*nodes[0], "alice");
  auto chat = nodes[0]->create_room({.name = "r"}, alice.user_id, {}).value();
  constexpr int per_node = 150;
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> senders;
  for (auto& node : nodes)
    senders.emplace_back([&, n = node.get()] {
      std::vector<std::future<void>> pending;
      for (int i = 0; i < per_node; ++i) {
        auto p = std::make_shared<std::promise<void>>();
        pending.push_back(p->get_future());
        n->append({chat.chat_id, alice.user_id, "m", message_type::text, {}},
                          [&, p](outcome<appended> r) {
                            if (!r) {
                              std::lock_guard lock(mu);
                              failures.push_back(r.error().message);
                            }
                            p->set_value();
                          });
        if (i % 10 == 0) clock.advance(1ms);
      }
      for (auto& f : pending) f.wait();
    });
  for (auto& t : senders) t.join();
  ASSERT_TRUE(failures.empty()) << failures.front();

  auto first = nodes[1]->history_page(chat.chat_id, 0, 1);
  ASSERT_EQ(first.total_elements, 2 * per_node);
  auto all = nodes[1]->history_before(chat.chat_id, first.content[0].message_id, 1000);
  ASSERT_TRUE(all);
  all->content.push_back(first.content[0]);
  for (std::size_t i = 0; i < all->content.size(); ++i) {
    ASSERT_EQ(all->content[i].seq, static_cast<std::int64_t>(i + 1));
    if (i > 0) {
      ASSERT_GT(all->content[i].message_id, all->content[i - 1].message_id) << "seq " << i + 1;
    }
  }
  EXPECT_EQ(nodes[0]->room_by_id(chat.chat_id)->last_seq, 2 * per_node);
}

// A private server for the outage test, started and stopped with scripts/mariadb.sh.
class private_server {
 public:
  private_server() {
    script("start");
    where_ = mariadb::parse_dsn(read_line(dir_.path() / "dsn"));
    where_.database = "parley_outage";
  }
  ~private_server() { script("stop"); }
  void script(const char* cmd) {
    auto line = std::string(PARLEY_MARIADB_SCRIPT) + " " + cmd + " '" + dir_.path().string() +
                "' >/dev/null";
    if (std::system(line.c_str()) != 0) ADD_FAILURE() << "failed: " << line;
  }
  std::string dsn() const { return to_dsn(where_); }

 private:
  temp_dir dir_{"parley-mariadb-"};
  dsn_parts where_;
};

TEST(mariadb_store, survives_a_server_outage_without_losing_an_acknowledged_write) {
  private_server server;
  manual_clock clock;
  mariadb_store db({.dsn = server.dsn(), .pool_size = 2, .connect_timeout = 1s}, clock);
  auto alice = new_user(db, "alice");
  auto chat = db.create_room({.name = "r"}, alice.user_id, {}).value();
  std::vector<std::string> acknowledged;
  auto before = append_now(db, chat.chat_id, alice.user_id, "before");
  ASSERT_TRUE(before) << before.error().message;
  acknowledged.push_back(before->msg.message_id);

  // Kill it with sends in flight: each completes, as success (then durable) or as a 503.
  std::mutex mu;
  std::vector<std::string> other_failures;
  std::vector<std::future<void>> in_flight;
  for (int i = 0; i < 200; ++i) {
    auto p = std::make_shared<std::promise<void>>();
    in_flight.push_back(p->get_future());
    db.append({chat.chat_id, alice.user_id, "in flight", message_type::text, {}},
                      [&, p](outcome<appended> r) {
                        std::lock_guard lock(mu);
                        if (r)
                          acknowledged.push_back(r->msg.message_id);
                        else if (r.error().status() != 503)
                          other_failures.push_back(r.error().message);
                        p->set_value();
                      });
    if (i == 20) server.script("kill");
  }
  for (auto& f : in_flight) ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(other_failures.empty()) << other_failures.front();

  auto during = append_now(db, chat.chat_id, alice.user_id, "during");
  ASSERT_FALSE(during) << "a send succeeded with the server down";
  EXPECT_EQ(during.error().status(), 503);
  EXPECT_THROW(db.user_by_id(alice.user_id), core::unavailable_error);

  server.script("restart");
  auto after = append_now(db, chat.chat_id, alice.user_id, "after");
  ASSERT_TRUE(after) << after.error().message;
  acknowledged.push_back(after->msg.message_id);
  ASSERT_TRUE(db.user_by_id(alice.user_id));
  for (auto& id : acknowledged) EXPECT_TRUE(db.message_by_id(id)) << "lost " << id;
  // seq stays dense: an in-doubt batch either committed whole or not at all.
  auto page = db.history_page(chat.chat_id, 0, 1);
  EXPECT_EQ(page.content.at(0).seq, page.total_elements);
  EXPECT_EQ(page.content.at(0).message_id, after->msg.message_id);
  db.close();
}

// A port nobody listens on: bound, then released.
unsigned unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST(mariadb_store, an_unreachable_server_fails_the_constructor_without_showing_the_password) {
  manual_clock clock;
  auto port = std::to_string(unused_port());
  auto dsn = "mariadb://parley:s3cret-Pa55@127.0.0.1:" + port + "/parley";
  try {
    mariadb_store db({.dsn = dsn, .connect_timeout = 1s}, clock);
    FAIL() << "connected to a port with no server";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find("s3cret-Pa55"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + port + "/parley"), std::string::npos) << what;
  }
}

TEST(mariadb_store, a_wrong_password_is_refused_without_showing_it) {
  auto server = test_server();
  server.password = "not-the-password-42";
  server.database = "parley";
  manual_clock clock;
  try {
    mariadb_store db({.dsn = to_dsn(server)}, clock);
    FAIL() << "logged in with a wrong password";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("not-the-password-42"), std::string::npos) << e.what();
  }
}

TEST(mariadb_dsn, parses_every_part_and_decodes_the_credentials) {
  auto p = mariadb::parse_dsn("mariadb://us%40er:p%3Aw@rd@db.example:3307/parley_1");
  EXPECT_EQ(p.user, "us@er");
  EXPECT_EQ(p.password, "p:w@rd");
  EXPECT_EQ(p.host, "db.example");
  EXPECT_EQ(p.port, 3307u);
  EXPECT_EQ(p.database, "parley_1");
  EXPECT_EQ(mariadb::parse_dsn("mariadb://u:p@[::1]/d").host, "::1");
  EXPECT_EQ(mariadb::parse_dsn("mariadb://u:p@h/d").port, 3306u);
}

TEST(mariadb_dsn, refuses_malformed_dsns_without_showing_the_password) {
  for (const char* bad :
       {"mysql://u:secret@h:1/d", "mariadb://u:secret@h:99999/d", "mariadb://u:secret@h:1",
        "mariadb://u:secret@h:1/d;drop", "mariadb://u:secret%zz@h:1/d", "mariadb://:secret@h/d"}) {
    try {
      mariadb::parse_dsn(bad);
      ADD_FAILURE() << "accepted " << mariadb::redact_dsn(bad);
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    }
  }
}

TEST(mariadb_dsn, redaction_hides_only_the_password) {
  EXPECT_EQ(mariadb::redact_dsn("mariadb://parley:s3cret@127.0.0.1:3306/parley"),
            "mariadb://parley:***@127.0.0.1:3306/parley");
  EXPECT_EQ(mariadb::redact_dsn("mariadb://parley:s3@cret@h/d"), "mariadb://parley:***@h/d");
  EXPECT_EQ(mariadb::redact_dsn("mariadb://parley@h/d"), "mariadb://parley@h/d");
  EXPECT_EQ(mariadb::redact_dsn("mariadb://parley:s3cret/d").find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace parley::store::contract
