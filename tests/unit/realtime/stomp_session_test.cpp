// stomp_session driven with raw STOMP bytes over a fake connection, on top of the real domain:
// chat::service over SQLite, the real local_bus and hub on one shard whose io_context the test
// runs, and one worker thread. What is asserted is what a client would read off the socket.
#include "realtime/stomp_session.hpp"

#include "chat_harness.hpp"
#include "realtime/local_bus.hpp"
#include "realtime/shard_dispatcher.hpp"
#include "realtime/shards.hpp"
#include "stomp/parser.hpp"

#include <gtest/gtest.h>
#include <boost/asio/post.hpp>
#include <sqlite3.h>

namespace parley::realtime {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace json = boost::json;

// A transport that keeps what the session sends. close() behaves like the real transports: it is
// idempotent, refuses further frames and reports on_close() later, from the event loop, or (as
// the SockJS transport does when nothing is left to flush) at once, dropping its reference to
// the handler first.
class fake_connection final : public connection {
 public:
  explicit fake_connection(asio::io_context& io) : io_(io) {}

  bool send(outbound frame) override {
    if (closed || !accept) return false;
    frames.push_back(std::move(frame));
    return true;
  }
  void close(std::optional<outbound> last, bool drop_queued) override {
    if (closed) return;
    closed = true;
    dropped_queued = drop_queued;
    last_frame = std::move(last);
    if (close_synchronously) {
      if (auto h = std::move(owner)) h->on_close();
      return;
    }
    asio::post(io_, [h = handler.lock()] {
      if (h) h->on_close();
    });
  }
  // Input as a transport hands it over: through its own (possibly only) reference.
  void receive(std::string_view bytes) { owner->on_data(bytes); }
  boost::asio::any_io_executor executor() override { return io_.get_executor(); }
  std::string remote_address() const override { return "192.0.2.1:40000"; }
  std::string_view transport() const override { return "fake"; }

  bool accept = true;  // false: the outbound budget is exhausted (slow consumer)
  bool closed = false;
  bool dropped_queued = false;
  std::vector<outbound> frames;
  std::optional<outbound> last_frame;
  std::weak_ptr<session_handler> handler;
  std::shared_ptr<session_handler> owner;  // the transport's reference, when the test hands it over
  bool close_synchronously = false;

 private:
  asio::io_context& io_;
};

// Parses a server-to-client byte stream; heart-beats are counted, not returned.
struct decoded {
  std::vector<stomp::frame> frames;
  int heart_beats = 0;
};

decoded decode(const std::vector<outbound>& out) {
  stomp::parser p({}, stomp::direction::server_to_client);
  std::string bytes;
  for (auto& o : out) bytes += (o.prefix ? *o.prefix : std::string()) + *o.body;
  p.feed(bytes);
  decoded d;
  while (auto ev = p.next()) {
    if (auto* f = std::get_if<stomp::frame>(&*ev))
      d.frames.push_back(std::move(*f));
    else if (std::holds_alternative<stomp::heart_beat>(*ev))
      ++d.heart_beats;
    else
      ADD_FAILURE() << "the server sent an unparsable stream: " << bytes;
  }
  return d;
}

struct client {
  std::shared_ptr<fake_connection> conn;
  std::shared_ptr<stomp_session> session;

  void send(std::string_view bytes) { session->on_data(bytes); }
  std::vector<stomp::frame> frames() const { return decode(conn->frames).frames; }
  int heart_beats() const { return decode(conn->frames).heart_beats; }
  std::vector<stomp::frame> with(std::string_view command) const {
    std::vector<stomp::frame> out;
    for (auto& f : frames())
      if (f.command == command) out.push_back(f);
    return out;
  }
  std::optional<stomp::frame> receipt(std::string_view id) const {
    for (auto& f : with("RECEIPT"))
      if (f.header("receipt-id") == id) return f;
    return std::nullopt;
  }
  // MESSAGE frames of one subscription.
  std::vector<stomp::frame> messages(std::string_view subscription) const {
    std::vector<stomp::frame> out;
    for (auto& f : with("MESSAGE"))
      if (f.header("subscription") == subscription) out.push_back(f);
    return out;
  }
  // The ERROR frame the connection was closed with.
  std::optional<stomp::frame> error() const {
    if (!conn->last_frame) return std::nullopt;
    auto d = decode({*conn->last_frame});
    if (d.frames.size() != 1 || d.frames[0].command != "ERROR") return std::nullopt;
    return d.frames[0];
  }
  std::string error_code() const {
    auto e = error();
    return e && e->header("code") ? std::string(*e->header("code")) : std::string("<no ERROR>");
  }
};

std::string frame(std::string_view command,
                  std::vector<std::pair<std::string, std::string>> headers,
                  std::string_view body = {}) {
  std::string out(command);
  out += '\n';
  for (auto& [k, v] : headers) out += k + ":" + v + "\n";
  out += '\n';
  out += body;
  out += '\0';
  return out;
}

class stomp_session_test : public ::testing::Test {
 protected:
  void SetUp() override {
    alice = env.register_user("alice");
    bob = env.register_user("bob");
    carol = env.register_user("carol");
    room = env.create_room(alice.who, "PRIVATE", "team", {bob.who.user_id});
  }

  void TearDown() override {
    workers.join();  // every hop to the workers has run
    env.db.close();  // every write is committed and its callback has posted to the shard
    io().poll();
  }

  asio::io_context& io() { return shards_.at(0); }

  client open() {
    client c;
    c.conn = std::make_shared<fake_connection>(io());
    c.session = std::make_shared<stomp_session>(c.conn, hub_, ctx);
    c.conn->handler = c.session;
    c.session->start();
    return c;
  }

  client connect(const chat::test::account& who, std::string heart_beat = "0,0") {
    auto c = open();
    c.send(frame("CONNECT", {{"accept-version", "1.2"},
                             {"host", "parley"},
                             {"Authorization", "Bearer " + who.access_token},
                             {"heart-beat", heart_beat}}));
    wait_connected(c);
    EXPECT_EQ(c.with("CONNECTED").size(), 1u) << c.error_code();
    return c;
  }

  // CONNECTED goes out after a hop to the workers (presence counts the session first).
  void wait_connected(client& c) {
    EXPECT_TRUE(run_until([&] { return !c.with("CONNECTED").empty() || c.conn->closed; }));
  }

  // Runs the shard's loop until `done` holds or a generous deadline passes.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds deadline = 10s) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      io().run_one_for(5ms);
    }
    return true;
  }

  // Runs the shard until every task queued on the (single, FIFO) worker so far has run.
  void settle() {
    auto done = std::make_shared<std::atomic<bool>>(false);
    asio::post(workers, [done] { *done = true; });
    ASSERT_TRUE(run_until([&] { return done->load(); }));
    io().poll();
  }

  void subscribe(client& c, const std::string& destination, const std::string& id) {
    c.send(
        frame("SUBSCRIBE", {{"destination", destination}, {"id", id}, {"receipt", "sub-" + id}}));
    ASSERT_TRUE(run_until([&] { return c.receipt("sub-" + id) || c.conn->closed; }))
        << "no RECEIPT for " << destination;
    ASSERT_FALSE(c.conn->closed) << c.error_code();
  }

  std::string send_message(client& c, std::string_view body, const std::string& receipt) {
    c.send(frame("SEND",
                 {{"destination", "/app/chat.sendMessage"},
                  {"content-type", "application/json"},
                  {"receipt", receipt}},
                 body));
    return receipt;
  }

  std::string message_json(std::string_view content) const {
    return json::serialize(json::object{{"chatRoomId", room}, {"content", content}});
  }

  shards shards_{1};
  hub hub_;
  shard_dispatcher dispatcher_{shards_, {&hub_}};
  local_bus bus{dispatcher_};
  chat::test::chat_env env{bus};
  asio::thread_pool workers{1};
  session_context ctx{env.chat, workers, session_options{}};
  chat::test::account alice, bob, carol;
  std::int64_t room = 0;
};

TEST_F(stomp_session_test, connect_without_a_token_gets_error_unauthorized_and_closes) {
  auto c = open();
  c.send(frame("CONNECT", {{"accept-version", "1.2"}, {"host", "parley"}}));
  EXPECT_TRUE(c.conn->closed);
  EXPECT_EQ(c.error_code(), "UNAUTHORIZED");
  EXPECT_TRUE(c.error()->header("message"));
  EXPECT_TRUE(c.with("CONNECTED").empty());
}

TEST_F(stomp_session_test, connect_with_a_bad_or_refresh_token_gets_unauthorized) {
  for (auto token : {"Bearer not.a.token"s, "Bearer " + alice.refresh_token}) {
    auto c = open();
    c.send(frame("CONNECT", {{"accept-version", "1.2"}, {"Authorization", token}}));
    EXPECT_TRUE(c.conn->closed);
    EXPECT_EQ(c.error_code(), "UNAUTHORIZED") << token;
  }
}

TEST_F(stomp_session_test, connect_with_a_valid_token_gets_connected_with_version_and_heart_beat) {
  auto c = connect(alice);
  auto connected = c.with("CONNECTED");
  ASSERT_EQ(connected.size(), 1u);
  EXPECT_EQ(connected[0].header("version"), "1.2");
  EXPECT_EQ(connected[0].header("heart-beat"), "10000,10000");
  EXPECT_EQ(connected[0].header("server"), "parley/0.1");
  EXPECT_FALSE(c.conn->closed);
}

TEST_F(stomp_session_test, a_token_in_the_passcode_header_is_accepted) {
  auto c = open();
  c.send(
      frame("STOMP",
            {{"accept-version", "1.1,1.2"}, {"login", "alice"}, {"passcode", alice.access_token}}));
  wait_connected(c);
  EXPECT_EQ(c.with("CONNECTED").size(), 1u) << c.error_code();
}

TEST_F(stomp_session_test, connect_negotiates_the_highest_common_version) {
  auto c = open();
  c.send(frame("CONNECT",
               {{"accept-version", "1.0,1.1"}, {"Authorization", "Bearer " + alice.access_token}}));
  wait_connected(c);
  auto connected = c.with("CONNECTED");
  ASSERT_EQ(connected.size(), 1u);
  EXPECT_EQ(connected[0].header("version"), "1.1");
  auto bad = open();
  bad.send(frame("CONNECT",
                 {{"accept-version", "2.0"}, {"Authorization", "Bearer " + alice.access_token}}));
  EXPECT_EQ(bad.error_code(), "UNSUPPORTED_VERSION");
}

TEST_F(stomp_session_test, a_frame_before_connect_gets_not_connected) {
  auto c = open();
  c.send(frame("SEND", {{"destination", "/app/chat.sendMessage"}}, message_json("hi")));
  EXPECT_TRUE(c.conn->closed);
  EXPECT_EQ(c.error_code(), "NOT_CONNECTED");
}

TEST_F(stomp_session_test, a_second_connect_gets_already_connected) {
  auto c = connect(alice);
  c.send(frame("CONNECT",
               {{"accept-version", "1.2"}, {"Authorization", "Bearer " + alice.access_token}}));
  EXPECT_EQ(c.error_code(), "ALREADY_CONNECTED");
}

TEST_F(stomp_session_test, no_connect_in_time_gets_connect_timeout) {
  ctx.options.connect_timeout = 50ms;
  auto c = open();
  ASSERT_TRUE(run_until([&] { return c.conn->closed; }));
  EXPECT_EQ(c.error_code(), "CONNECT_TIMEOUT");
}

TEST_F(stomp_session_test, subscribe_to_a_room_the_user_is_not_in_gets_error_forbidden_and_closes) {
  auto c = connect(carol);
  c.send(frame("SUBSCRIBE",
               {{"destination", chat::destinations::room(room)}, {"id", "0"}, {"receipt", "r-1"}}));
  ASSERT_TRUE(run_until([&] { return c.conn->closed; }));
  EXPECT_EQ(c.error_code(), "FORBIDDEN");
  EXPECT_EQ(c.error()->header("receipt-id"), "r-1");
  EXPECT_FALSE(c.receipt("r-1"));
  EXPECT_EQ(hub_.destinations(), 0u);
}

TEST_F(stomp_session_test, a_database_failure_under_a_subscribe_gets_error_internal_not_a_crash) {
  auto c = connect(bob);
  // Another connection breaks the schema under the running server: the membership read throws.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((env.dir.path() / "parley.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "ALTER TABLE room_members RENAME TO gone", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  c.send(frame("SUBSCRIBE",
               {{"destination", chat::destinations::room(room)}, {"id", "0"}, {"receipt", "r-1"}}));
  ASSERT_TRUE(run_until([&] { return c.conn->closed; }));
  EXPECT_EQ(c.error_code(), "INTERNAL");
  EXPECT_EQ(hub_.destinations(), 0u);
  // The worker pool survived: later work still runs.
  settle();
}

TEST_F(stomp_session_test, subscribe_to_an_unknown_destination_gets_error_forbidden) {
  auto c = connect(alice);
  c.send(frame("SUBSCRIBE", {{"destination", "/topic/everything"}, {"id", "0"}}));
  ASSERT_TRUE(run_until([&] { return c.conn->closed; }));
  EXPECT_EQ(c.error_code(), "FORBIDDEN");
}

TEST_F(stomp_session_test, subscribe_with_a_receipt_gets_a_receipt_once_active) {
  auto c = connect(bob);
  c.send(frame("SUBSCRIBE",
               {{"destination", chat::destinations::room(room)}, {"id", "7"}, {"receipt", "r-7"}}));
  ASSERT_TRUE(run_until([&] { return c.receipt("r-7").has_value(); }));
  EXPECT_EQ(hub_.destinations(), 1u) << "the subscription is in the hub when the RECEIPT goes out";
  EXPECT_FALSE(c.conn->closed);
}

TEST_F(stomp_session_test, a_duplicate_subscription_id_gets_an_error) {
  auto c = connect(bob);
  subscribe(c, chat::destinations::room(room), "s");
  c.send(frame("SUBSCRIBE", {{"destination", "/user/queue/events"}, {"id", "s"}}));
  EXPECT_EQ(c.error_code(), "DUPLICATE_SUBSCRIPTION");
}

TEST_F(stomp_session_test, a_sent_message_gets_a_receipt_with_its_id_and_reaches_every_subscriber) {
  auto a = connect(alice);
  auto b = connect(bob);
  subscribe(a, chat::destinations::room(room), "a-room");
  subscribe(b, chat::destinations::room(room), "b-room");
  send_message(a, message_json("hello bob"), "m-1");
  ASSERT_TRUE(run_until([&] {
    return a.receipt("m-1") && !b.messages("b-room").empty() && !a.messages("a-room").empty();
  }));
  auto receipt = *a.receipt("m-1");
  auto id = receipt.header("message-id");
  ASSERT_TRUE(id);
  EXPECT_TRUE(core::is_ulid(*id)) << *id;

  auto got = b.messages("b-room");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("destination"), chat::destinations::room(room));
  EXPECT_EQ(got[0].header("message-id"), *id);
  auto body = json::parse(got[0].body).as_object();
  EXPECT_EQ(body.at("content").as_string(), "hello bob");
  EXPECT_EQ(body.at("userId").as_string(), alice.who.user_id);
  EXPECT_EQ(body.at("messageId").as_string(), *id);
  EXPECT_EQ(a.messages("a-room")[0].header("message-id"), *id) << "the sender's subscription too";

  // Durable when the RECEIPT was sent: a read already finds it.
  EXPECT_TRUE(env.chat.get_message(bob.who, std::string(*id)));
}

TEST_F(stomp_session_test,
       a_resend_with_the_same_client_message_id_is_acknowledged_with_the_original_id) {
  auto a = connect(alice);
  auto body = json::serialize(
      json::object{{"chatRoomId", room}, {"content", "once"}, {"clientMessageId", "k1"}});
  send_message(a, body, "first");
  send_message(a, body, "again");
  ASSERT_TRUE(run_until([&] { return a.receipt("first") && a.receipt("again"); }));
  EXPECT_EQ(a.receipt("first")->header("message-id"), a.receipt("again")->header("message-id"));
}

TEST_F(stomp_session_test,
       a_bad_json_body_gets_invalid_body_on_the_errors_queue_and_the_session_stays_open) {
  auto a = connect(alice);
  subscribe(a, "/user/queue/errors", "errs");
  send_message(a, "{not json", "bad-1");
  ASSERT_TRUE(run_until([&] { return !a.messages("errs").empty(); }));
  auto err = a.messages("errs")[0];
  EXPECT_EQ(err.header("destination"), "/user/queue/errors");
  auto e = json::parse(err.body).as_object();
  EXPECT_EQ(e.at("code").as_string(), "INVALID_BODY");
  EXPECT_EQ(e.at("destination").as_string(), "/app/chat.sendMessage");
  EXPECT_EQ(e.at("receiptId").as_string(), "bad-1");
  EXPECT_FALSE(a.receipt("bad-1")) << "a refused SEND gets no RECEIPT";
  EXPECT_FALSE(a.conn->closed);

  // The session goes on.
  send_message(a, message_json("fine"), "good-1");
  ASSERT_TRUE(run_until([&] { return a.receipt("good-1").has_value(); }));
}

TEST_F(stomp_session_test, a_field_error_names_the_fields) {
  auto a = connect(alice);
  subscribe(a, "/user/queue/errors", "errs");
  send_message(a, json::serialize(json::object{{"chatRoomId", room}}), "r");
  ASSERT_TRUE(run_until([&] { return !a.messages("errs").empty(); }));
  auto e = json::parse(a.messages("errs")[0].body).as_object();
  EXPECT_EQ(e.at("code").as_string(), "INVALID_BODY");
  EXPECT_TRUE(e.at("errors").as_object().contains("content"));
}

TEST_F(stomp_session_test, a_send_to_a_room_the_user_is_not_in_gets_not_member) {
  auto c = connect(carol);
  subscribe(c, "/user/queue/errors", "errs");
  send_message(c, message_json("let me in"), "r");
  ASSERT_TRUE(run_until([&] { return !c.messages("errs").empty(); }));
  EXPECT_EQ(json::parse(c.messages("errs")[0].body).at("code").as_string(), "NOT_MEMBER");
  EXPECT_FALSE(c.conn->closed);
}

TEST_F(stomp_session_test, a_send_to_an_unknown_destination_gets_unknown_destination) {
  auto a = connect(alice);
  subscribe(a, "/user/queue/errors", "errs");
  a.send(frame("SEND", {{"destination", "/app/nope"}}, "{}"));
  ASSERT_TRUE(run_until([&] { return !a.messages("errs").empty(); }));
  EXPECT_EQ(json::parse(a.messages("errs")[0].body).at("code").as_string(), "UNKNOWN_DESTINATION");
  EXPECT_FALSE(a.conn->closed);
}

TEST_F(stomp_session_test, sending_faster_than_the_burst_gets_rate_limited) {
  ctx.options.send_burst = 2;
  ctx.options.send_rate_per_second = 0.001;  // no refill within the test
  auto a = connect(alice);
  subscribe(a, "/user/queue/errors", "errs");
  for (int i = 0; i < 3; ++i)
    send_message(a, message_json("m" + std::to_string(i)), "r" + std::to_string(i));
  ASSERT_TRUE(
      run_until([&] { return a.receipt("r0") && a.receipt("r1") && !a.messages("errs").empty(); }));
  auto e = json::parse(a.messages("errs")[0].body).as_object();
  EXPECT_EQ(e.at("code").as_string(), "RATE_LIMITED");
  EXPECT_EQ(e.at("receiptId").as_string(), "r2");
  EXPECT_FALSE(a.receipt("r2"));
  EXPECT_FALSE(a.conn->closed);
}

TEST_F(stomp_session_test, a_frame_split_across_reads_is_assembled) {
  auto c = open();
  auto bytes = frame(
      "CONNECT", {{"accept-version", "1.2"}, {"Authorization", "Bearer " + alice.access_token}});
  for (char ch : bytes) c.send(std::string_view(&ch, 1));
  auto sub =
      frame("SUBSCRIBE", {{"destination", "/user/queue/errors"}, {"id", "e"}, {"receipt", "r"}});
  // The first part arrives while CONNECTED is still on its way: it waits in the parser, which
  // must own those bytes once the read that brought them is gone.
  std::string part = sub.substr(0, 10);
  c.send(part);
  part.assign(part.size(), '#');
  wait_connected(c);
  EXPECT_EQ(c.with("CONNECTED").size(), 1u) << c.error_code();
  EXPECT_FALSE(c.receipt("r"));
  c.send(sub.substr(10));
  EXPECT_TRUE(c.receipt("r")) << c.error_code();
}

TEST_F(stomp_session_test, frames_sent_with_connect_are_answered_after_connected_in_order) {
  auto c = open();
  c.send(
      frame("CONNECT",
            {{"accept-version", "1.2"}, {"Authorization", "Bearer " + alice.access_token}}) +
      "\n" +
      frame("SUBSCRIBE", {{"destination", "/user/queue/errors"}, {"id", "e"}, {"receipt", "r1"}}) +
      frame("UNSUBSCRIBE", {{"id", "e"}, {"receipt", "r2"}}));
  ASSERT_TRUE(run_until([&] { return c.receipt("r2") || c.conn->closed; })) << c.error_code();
  auto frames = c.frames();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].command, "CONNECTED");
  EXPECT_EQ(frames[1].header("receipt-id"), "r1");
  EXPECT_EQ(frames[2].header("receipt-id"), "r2");
}

TEST_F(stomp_session_test, more_than_a_frame_of_input_before_connected_gets_frame_too_large) {
  ctx.options.frame_limits.max_frame_bytes = 4096;
  auto c = open();
  c.send(frame("CONNECT",
               {{"accept-version", "1.2"}, {"Authorization", "Bearer " + alice.access_token}}) +
         std::string(5000, '\n'));
  ASSERT_TRUE(run_until([&] { return c.conn->closed; }));
  EXPECT_EQ(c.error_code(), "FRAME_TOO_LARGE");
}

TEST_F(stomp_session_test, a_user_is_online_once_connected_is_received) {
  auto c = connect(bob);
  EXPECT_TRUE(env.presence.online(bob.who.user_id));
}

TEST_F(stomp_session_test, a_frame_over_the_limit_gets_frame_too_large_and_closes) {
  ctx.options.frame_limits.max_frame_bytes = 4096;
  auto a = connect(alice);
  send_message(a, message_json(std::string(5000, 'x')), "big");
  EXPECT_TRUE(a.conn->closed);
  EXPECT_EQ(a.error_code(), "FRAME_TOO_LARGE");
}

TEST_F(stomp_session_test, a_malformed_frame_gets_malformed_frame_and_closes) {
  auto a = connect(alice);
  a.send("SEND\ndestination:/app/chat.sendMessage\ncontent-length:zz\n\n{}\0"s);
  EXPECT_TRUE(a.conn->closed);
  EXPECT_EQ(a.error_code(), "MALFORMED_FRAME");
}

TEST_F(stomp_session_test, transactions_are_not_offered) {
  auto a = connect(alice);
  a.send(frame("BEGIN", {{"transaction", "t1"}}));
  EXPECT_EQ(a.error_code(), "UNSUPPORTED_COMMAND");
}

TEST_F(stomp_session_test, a_silent_client_is_disconnected_after_the_heart_beat_timeout) {
  ctx.options.heart_beat_expect = 50ms;
  auto c = connect(alice, "50,0");  // the client promises a beat every 50 ms
  ASSERT_TRUE(run_until([&] { return c.conn->closed; }, 5s));
  EXPECT_EQ(c.error_code(), "HEARTBEAT_TIMEOUT");
}

TEST_F(stomp_session_test, client_heart_beats_keep_the_session_open) {
  ctx.options.heart_beat_expect = 50ms;
  auto c = connect(alice, "50,0");
  // Beat well inside the 125 ms tolerance for several timeouts' worth of time.
  auto until = std::chrono::steady_clock::now() + 400ms;
  while (std::chrono::steady_clock::now() < until) {
    c.send("\n");
    io().run_for(10ms);
  }
  EXPECT_FALSE(c.conn->closed) << c.error_code();
}

TEST_F(stomp_session_test, deadlines_of_many_sessions_fire_each_at_its_own_time) {
  // All sessions of a shard share one deadline queue; each must still be judged on its own.
  ctx.options.heart_beat_expect = 50ms;
  ctx.options.connect_timeout = 100ms;
  auto silent = connect(alice, "50,0");
  auto beating = connect(bob, "50,0");
  auto quiet = connect(carol);  // no heart-beats: nothing to watch
  auto never_connects = open();
  { auto gone = open(); }  // destroyed before its CONNECT deadline: must not be called
  auto until = std::chrono::steady_clock::now() + 400ms;
  while (std::chrono::steady_clock::now() < until) {
    beating.send("\n");
    io().run_for(10ms);
  }
  EXPECT_EQ(silent.error_code(), "HEARTBEAT_TIMEOUT");
  EXPECT_EQ(never_connects.error_code(), "CONNECT_TIMEOUT");
  EXPECT_FALSE(beating.conn->closed) << beating.error_code();
  EXPECT_FALSE(quiet.conn->closed) << quiet.error_code();
}

TEST_F(stomp_session_test, the_server_sends_heart_beats_when_the_client_asks) {
  ctx.options.heart_beat_send = 30ms;
  auto c = connect(alice, "0,30");
  ASSERT_TRUE(run_until([&] { return c.heart_beats() >= 2; }, 5s));
  EXPECT_FALSE(c.conn->closed);
}

TEST_F(stomp_session_test, a_slow_consumer_is_closed_with_slow_consumer_dropping_queued_frames) {
  auto c = connect(alice);
  c.conn->accept = false;  // the outbound budget is spent
  c.send(
      frame("SUBSCRIBE", {{"destination", "/user/queue/errors"}, {"id", "e"}, {"receipt", "r"}}));
  EXPECT_TRUE(c.conn->closed);
  EXPECT_TRUE(c.conn->dropped_queued);
  EXPECT_EQ(c.error_code(), "SLOW_CONSUMER");
}

TEST_F(stomp_session_test,
       a_subscriber_too_slow_for_the_fan_out_is_closed_and_the_others_are_served) {
  auto a = connect(alice);
  auto b = connect(bob);
  subscribe(a, chat::destinations::room(room), "a-room");
  subscribe(b, chat::destinations::room(room), "b-room");
  b.conn->accept = false;
  send_message(a, message_json("anyone?"), "m");
  ASSERT_TRUE(run_until([&] { return b.conn->closed && !a.messages("a-room").empty(); }));
  EXPECT_EQ(b.error_code(), "SLOW_CONSUMER");
  EXPECT_TRUE(b.conn->dropped_queued);
  EXPECT_FALSE(a.conn->closed);
  // The fan-out goes on for the others after b is gone.
  send_message(a, message_json("again"), "m2");
  ASSERT_TRUE(run_until([&] { return a.messages("a-room").size() == 2; }));
}

TEST_F(stomp_session_test, unsubscribe_stops_delivery) {
  auto a = connect(alice);
  auto b = connect(bob);
  subscribe(b, chat::destinations::room(room), "b-room");
  b.send(frame("UNSUBSCRIBE", {{"id", "b-room"}, {"receipt", "u"}}));
  EXPECT_TRUE(b.receipt("u"));
  EXPECT_EQ(hub_.destinations(), 0u);
  send_message(a, message_json("gone"), "m");
  ASSERT_TRUE(run_until([&] { return a.receipt("m").has_value(); }));
  io().poll();
  EXPECT_TRUE(b.messages("b-room").empty());
}

TEST_F(stomp_session_test, removal_from_a_room_ends_the_removed_members_subscriptions) {
  auto a = connect(alice);
  auto b = connect(bob);
  subscribe(a, chat::destinations::room(room), "a-room");
  subscribe(b, chat::destinations::room(room), "b-room");
  ASSERT_TRUE(env.chat.remove_member(alice.who, room, bob.who.user_id));
  send_message(a, message_json("bob is gone"), "m");
  ASSERT_TRUE(run_until([&] { return !a.messages("a-room").empty(); }));
  EXPECT_TRUE(b.messages("b-room").empty());
  EXPECT_FALSE(b.conn->closed) << "the session stays; only the subscription ends";
}

TEST_F(stomp_session_test, room_events_arrive_on_the_user_events_queue) {
  auto c = connect(carol);
  subscribe(c, "/user/queue/events", "ev");
  ASSERT_TRUE(env.chat.add_member(alice.who, room,
                                  json::serialize(json::object{{"userId", carol.who.user_id}})));
  ASSERT_TRUE(run_until([&] { return !c.messages("ev").empty(); }));
  auto e = c.messages("ev")[0];
  EXPECT_EQ(e.header("destination"), "/user/queue/events");
  auto body = json::parse(e.body).as_object();
  EXPECT_EQ(body.at("type").as_string(), "ROOM_ADDED");
  EXPECT_EQ(body.at("chatId").as_int64(), room);
}

TEST_F(stomp_session_test, a_status_update_and_a_read_marker_get_receipts_and_reach_their_topics) {
  auto a = connect(alice);
  auto b = connect(bob);
  subscribe(a, chat::destinations::room(room), "a-room");
  subscribe(a, chat::destinations::receipts(room), "a-receipts");
  send_message(a, message_json("read me"), "m");
  ASSERT_TRUE(run_until([&] { return a.receipt("m").has_value(); }));
  auto id = std::string(*a.receipt("m")->header("message-id"));

  send_message(
      b, json::serialize(json::object{{"messageId", id}, {"chatRoomId", room}, {"status", "READ"}}),
      "s");
  b.send(frame("SEND", {{"destination", "/app/chat.read"}, {"receipt", "r"}},
               json::serialize(json::object{{"chatRoomId", room}, {"messageId", id}})));
  ASSERT_TRUE(run_until([&] {
    return b.receipt("s") && b.receipt("r") && a.messages("a-room").size() == 2 &&
           !a.messages("a-receipts").empty();
  }));
  EXPECT_EQ(b.receipt("s")->header("message-id"), id);
  EXPECT_EQ(json::parse(a.messages("a-room")[1].body).at("status").as_string(), "READ");
  auto marker = json::parse(a.messages("a-receipts")[0].body).as_object();
  EXPECT_EQ(marker.at("userId").as_string(), bob.who.user_id);
  EXPECT_EQ(marker.at("lastReadMessageId").as_string(), id);
}

TEST_F(stomp_session_test, a_status_change_by_the_sender_gets_forbidden_status) {
  auto a = connect(alice);
  subscribe(a, "/user/queue/errors", "errs");
  send_message(a, message_json("mine"), "m");
  ASSERT_TRUE(run_until([&] { return a.receipt("m").has_value(); }));
  auto id = std::string(*a.receipt("m")->header("message-id"));
  send_message(
      a, json::serialize(json::object{{"messageId", id}, {"chatRoomId", room}, {"status", "READ"}}),
      "s");
  ASSERT_TRUE(run_until([&] { return !a.messages("errs").empty(); }));
  EXPECT_EQ(json::parse(a.messages("errs")[0].body).at("code").as_string(), "FORBIDDEN_STATUS");
  EXPECT_FALSE(a.receipt("s"));
}

TEST_F(stomp_session_test, typing_reaches_the_typing_topic_with_the_session_user) {
  auto a = connect(alice);
  auto b = connect(bob);
  subscribe(b, chat::destinations::typing(room), "t");
  a.send(frame(
      "SEND", {{"destination", "/app/chat.typing"}},
      json::serialize(json::object{{"chatId", room}, {"typing", true}, {"userId", "forged"}})));
  ASSERT_TRUE(run_until([&] { return !b.messages("t").empty(); }));
  auto body = json::parse(b.messages("t")[0].body).as_object();
  EXPECT_EQ(body.at("userId").as_string(), alice.who.user_id);
  EXPECT_EQ(body.at("typing").as_bool(), true);
}

TEST_F(stomp_session_test, presence_follows_the_users_sessions) {
  auto b = connect(bob);
  subscribe(b, "/user/queue/events", "ev");
  auto presence = [&] {
    std::vector<std::string> out;
    for (auto& m : b.messages("ev")) {
      auto o = json::parse(m.body).as_object();
      if (o.at("type").as_string() == "PRESENCE" && o.at("userId").as_string() == alice.who.user_id)
        out.emplace_back(o.at("status").as_string());
    }
    return out;
  };
  auto a1 = connect(alice);
  auto a2 = connect(alice);
  ASSERT_TRUE(run_until([&] { return presence().size() == 1; }));
  a1.send(frame("DISCONNECT", {{"receipt", "bye"}}));
  EXPECT_TRUE(a1.receipt("bye"));
  EXPECT_TRUE(a1.conn->closed);
  settle();
  // Not the first session's close: alice is still online through the second.
  EXPECT_TRUE(env.presence.online(alice.who.user_id));
  EXPECT_EQ(presence().size(), 1u);
  a2.send(frame("DISCONNECT", {}));
  ASSERT_TRUE(run_until([&] { return presence().size() == 2; }));
  EXPECT_EQ(presence(), (std::vector<std::string>{"ONLINE", "OFFLINE"}));
}

TEST_F(stomp_session_test,
       disconnect_survives_a_transport_that_reports_on_close_from_inside_close) {
  // Allocated on its own (not make_shared), so that the session's memory is freed as soon as the
  // last owner lets go and ASan sees any use after that.
  client c;
  c.conn = std::make_shared<fake_connection>(io());
  c.session = std::shared_ptr<stomp_session>(new stomp_session(c.conn, hub_, ctx));
  c.conn->handler = c.session;
  c.session->start();
  c.send(frame("CONNECT",
               {{"accept-version", "1.2"}, {"Authorization", "Bearer " + alice.access_token}}));
  subscribe(c, chat::destinations::room(room), "s");
  settle();  // the worker's hold on the session (presence update) is released
  // Only the transport holds the session now, and it lets go of it inside close().
  c.conn->owner = std::move(c.session);
  c.conn->close_synchronously = true;
  c.conn->receive(frame("DISCONNECT", {}) + frame("SEND", {{"destination", "/app/heartbeat"}}));
  EXPECT_TRUE(c.conn->closed);
  EXPECT_EQ(hub_.destinations(), 0u);
}

TEST_F(stomp_session_test, closing_the_connection_leaves_the_hub) {
  auto b = connect(bob);
  subscribe(b, chat::destinations::room(room), "s1");
  subscribe(b, chat::destinations::receipts(room), "s2");
  EXPECT_EQ(hub_.destinations(), 2u);
  b.send(frame("DISCONNECT", {}));
  ASSERT_TRUE(run_until([&] { return hub_.destinations() == 0; }));
}

}  // namespace
}  // namespace parley::realtime
