// Loopback tests of the network edge: a real server on an ephemeral port, a REST handler that
// echoes, a session factory whose handler echoes, and blocking Beast clients.
#include "http/server.hpp"

#include "ws/sockjs_session.hpp"
#include "ws/websocket_session.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <malloc.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

namespace parley::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

std::atomic<int> handler_closes{0};

// Echoes each message back, with a few commands to drive the transport from the test.
class echo_handler final : public realtime::session_handler {
 public:
  explicit echo_handler(std::shared_ptr<realtime::connection> c) : conn_(std::move(c)) {}

  void on_data(std::string_view bytes) override {
    if (bytes.starts_with("burst:")) {
      int n = std::stoi(std::string(bytes.substr(6)));
      for (int i = 0; i < n; ++i)
        conn_->send(realtime::make_outbound("f" + std::to_string(i) + std::string(1, '\0')));
    } else if (bytes.starts_with("flood:")) {
      auto spec = std::string(bytes.substr(6));
      auto colon = spec.find(':');
      int n = std::stoi(spec.substr(0, colon));
      auto size = std::stoul(spec.substr(colon + 1));
      int accepted = 0;
      for (int i = 0; i < n; ++i)
        if (conn_->send(realtime::make_outbound(std::string(size, 'x')))) ++accepted;
      conn_->close(realtime::make_outbound("accepted=" + std::to_string(accepted)), true);
    } else if (bytes == "whoami") {
      conn_->send(realtime::make_outbound(std::string(conn_->transport())));
    } else {
      conn_->send(realtime::make_outbound(std::string(bytes)));
    }
  }
  void on_close() override {
    ++handler_closes;
    conn_.reset();
  }

 private:
  std::shared_ptr<realtime::connection> conn_;
};

template <class Predicate>
bool eventually(Predicate p, std::chrono::milliseconds deadline = 5000ms) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!p()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::string unique_id() { return "s" + std::to_string(std::random_device{}()); }

class server_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-server-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "web");
    std::ofstream(dir_ / "web" / "index.html") << "<html>app</html>";
    std::ofstream(dir_ / "web" / "main-ABC123.js") << "console.log(1)";
    std::ofstream(dir_ / "secret.txt") << "secret";

    server_options o;
    o.port = 0;
    o.max_body_bytes = 4096;
    o.max_header_bytes = 2048;
    o.max_outbound_bytes = 10000;
    o.sockjs_heartbeat = 1s;
    o.sockjs_disconnect_delay = 2s;
    o.sockjs_streaming_bytes = 4096;
    o.static_dir = dir_ / "web";

    server_handlers h;
    h.rest = [this](request r, std::function<void(response)> done) {
      // Answer from another shard's thread, as a handler waiting on storage would.
      asio::post(shards_.at(1), [r = std::move(r), done = std::move(done)] {
        boost::json::object o;
        o["method"] = r.method;
        o["path"] = r.path;
        o["query"] = boost::json::object();
        for (auto& [k, v] : r.query) o["query"].as_object()[k] = v;
        o["xTest"] = r.header("x-test").value_or("");
        o["body"] = r.body;
        o["remote"] = r.remote_address;
        done(response{201, "application/json", {{"X-Reply", "1"}}, boost::json::serialize(o)});
      });
    };
    h.stomp = [](std::shared_ptr<realtime::connection> c) {
      return std::make_shared<echo_handler>(std::move(c));
    };
    server_ = std::make_unique<server>(shards_, o, std::move(h));
    server_->start();
    shards_.run();
  }

  void TearDown() override {
    server_->stop_accepting();
    server_->close_all("test over");
    EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
    server_.reset();
    shards_.stop();
    shards_.join();
    fs::remove_all(dir_);
  }

  tcp::socket connect() {
    tcp::socket s(client_);
    s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    return s;
  }

  bhttp::response<bhttp::string_body> send(
      tcp::socket& s, bhttp::verb method, std::string target, std::string body = {},
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    bhttp::request<bhttp::string_body> req{method, target, 11, std::move(body)};
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    req.prepare_payload();
    bhttp::write(s, req);
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(s, buf, res);
    return res;
  }

  bhttp::response<bhttp::string_body> send(
      bhttp::verb method, std::string target, std::string body = {},
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto s = connect();
    return send(s, method, std::move(target), std::move(body), std::move(headers));
  }

  websocket::stream<tcp::socket> open_ws(const std::string& target, const std::string& offer,
                                         websocket::response_type* res = nullptr) {
    websocket::stream<tcp::socket> ws(connect());
    ws.set_option(websocket::stream_base::decorator([offer](websocket::request_type& r) {
      if (!offer.empty()) r.set(bhttp::field::sec_websocket_protocol, offer);
    }));
    websocket::response_type ignored;
    ws.handshake(res ? *res : ignored, "127.0.0.1", target);
    return ws;
  }

  static std::string read_message(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buf;
    ws.read(buf);
    return beast::buffers_to_string(buf.data());
  }

  // Next SockJS message that is not a heartbeat.
  static std::string read_sockjs(websocket::stream<tcp::socket>& ws) {
    for (;;) {
      auto m = read_message(ws);
      if (m != "h") return m;
    }
  }

  fs::path dir_;
  realtime::shards shards_{2};
  std::unique_ptr<server> server_;
  asio::io_context client_;
};

// Reads a chunked streaming response piece by piece.
class stream_reader {
 public:
  explicit stream_reader(tcp::socket& s) : s_(s) {
    parser_.body_limit(boost::none);
    on_chunk_ = [this](std::uint64_t, std::string_view body, boost::system::error_code&) {
      got_.append(body);
      return body.size();
    };
    parser_.on_chunk_body(on_chunk_);
    bhttp::read_header(s_, buf_, parser_);
  }
  const bhttp::response<bhttp::string_body>& head() { return parser_.get(); }
  // Reads until `needle` has arrived; false if the response ended first.
  bool read_until(std::string_view needle) {
    while (got_.find(needle, pos_) == std::string::npos) {
      if (parser_.is_done()) return false;
      bhttp::read_some(s_, buf_, parser_);
    }
    pos_ = got_.find(needle, pos_) + needle.size();
    return true;
  }
  bool ended() {
    while (!parser_.is_done()) bhttp::read_some(s_, buf_, parser_);
    return true;
  }
  const std::string& text() const { return got_; }

 private:
  tcp::socket& s_;
  beast::flat_buffer buf_;
  bhttp::response_parser<bhttp::string_body> parser_;
  std::function<std::size_t(std::uint64_t, std::string_view, boost::system::error_code&)> on_chunk_;
  std::string got_;
  std::size_t pos_ = 0;
};

TEST_F(server_test, round_trips_a_rest_request_with_decoded_path_query_and_headers) {
  auto res = send(bhttp::verb::post, "/users/look%20up?q=a%20b&x=1&x=2&plus=c+d", R"({"a":1})",
                  {{"X-Test", "yes"}, {"Origin", "http://app.example"}});
  EXPECT_EQ(res.result_int(), 201);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res["X-Reply"], "1");
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "http://app.example");
  auto body = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["path"], "/users/look up");
  EXPECT_EQ(body["query"].as_object()["q"], "a b");
  EXPECT_EQ(body["query"].as_object()["x"], "2");
  EXPECT_EQ(body["query"].as_object()["plus"], "c d");
  EXPECT_EQ(body["xTest"], "yes");
  EXPECT_EQ(body["body"], R"({"a":1})");
  EXPECT_EQ(body["remote"], "127.0.0.1");
}

TEST_F(server_test, keeps_a_connection_alive_across_requests) {
  auto s = connect();
  EXPECT_EQ(send(s, bhttp::verb::get, "/healthz").result_int(), 201);
  EXPECT_EQ(send(s, bhttp::verb::get, "/chat/rooms/1").result_int(), 201);
}

TEST_F(server_test, answers_413_json_for_a_body_over_the_limit) {
  auto res = send(bhttp::verb::post, "/chat/rooms", std::string(5000, 'x'));
  EXPECT_EQ(res.result_int(), 413);
  auto body = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(body["status"], 413);
  EXPECT_EQ(body["message"], "Request body too large");
  EXPECT_EQ(body["timestamp"].as_string().size(), 24u);
}

TEST_F(server_test, answers_413_for_a_chunked_body_over_the_limit) {
  auto s = connect();
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/chat/rooms", 11,
                                         std::string(5000, 'x')};
  req.set(bhttp::field::host, "127.0.0.1");
  req.chunked(true);
  bhttp::write(s, req);
  beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buf, res);
  EXPECT_EQ(res.result_int(), 413);
}

TEST_F(server_test, answers_431_for_oversized_headers_and_400_for_garbage) {
  EXPECT_EQ(
      send(bhttp::verb::get, "/healthz", {}, {{"X-Big", std::string(3000, 'h')}}).result_int(),
      431);
  auto s = connect();
  asio::write(s, asio::buffer(std::string_view("NOT HTTP AT ALL\r\n\r\n")));
  beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buf, res);
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_EQ(boost::json::parse(res.body()).as_object()["status"], 400);
}

TEST_F(server_test, answers_cors_preflight_for_rest_paths) {
  auto res = send(bhttp::verb::options, "/chat/rooms", {},
                  {{"Origin", "http://app.example"},
                   {"Access-Control-Request-Method", "POST"},
                   {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "http://app.example");
  EXPECT_EQ(res[bhttp::field::access_control_allow_methods],
            "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(res[bhttp::field::access_control_allow_headers], "authorization, content-type");
  EXPECT_EQ(res[bhttp::field::access_control_max_age], "600");
  EXPECT_TRUE(res[bhttp::field::access_control_allow_credentials].empty());
}

TEST_F(server_test, negotiates_the_newest_stomp_subprotocol_and_echoes) {
  websocket::response_type res;
  auto ws = open_ws("/ws/websocket", "v10.stomp, v12.stomp, v11.stomp", &res);
  EXPECT_EQ(res[bhttp::field::sec_websocket_protocol], "v12.stomp");
  ws.write(asio::buffer(std::string_view("CONNECT\n\n\0", 10)));
  EXPECT_EQ(read_message(ws), std::string("CONNECT\n\n\0", 10));
  ws.binary(true);
  ws.write(asio::buffer(std::string_view("whoami")));
  EXPECT_EQ(read_message(ws), "websocket");
  ws.close(websocket::close_code::normal);
}

TEST_F(server_test, accepts_websocket_without_a_subprotocol) {
  websocket::response_type res;
  auto ws = open_ws("/ws/websocket", "", &res);
  EXPECT_TRUE(res[bhttp::field::sec_websocket_protocol].empty());
  websocket::response_type res2;
  auto other = open_ws("/ws/websocket", "mqtt", &res2);
  EXPECT_TRUE(res2[bhttp::field::sec_websocket_protocol].empty());
}

TEST_F(server_test, sends_frames_queued_in_one_burst_as_one_websocket_message) {
  auto ws = open_ws("/ws/websocket", "v12.stomp");
  ws.write(asio::buffer(std::string_view("burst:5")));
  std::string expected;
  for (int i = 0; i < 5; ++i) expected += "f" + std::to_string(i) + std::string(1, '\0');
  EXPECT_EQ(read_message(ws), expected);
}

TEST_F(server_test, refuses_frames_past_the_outbound_byte_budget) {
  auto ws = open_ws("/ws/websocket", "v12.stomp");
  ws.write(asio::buffer(std::string_view("flood:100:1000")));
  // Budget 10000 bytes: ten 1000-byte frames fit, the rest are refused; close() then drops the
  // queue and sends only its last frame.
  EXPECT_EQ(read_message(ws), "accepted=10");
  beast::flat_buffer buf;
  boost::system::error_code ec;
  ws.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::normal);
}

TEST_F(server_test, tells_the_handler_once_when_the_peer_leaves) {
  int before = handler_closes;
  {
    auto ws = open_ws("/ws/websocket", "");
    ws.write(asio::buffer(std::string_view("hi")));
    EXPECT_EQ(read_message(ws), "hi");
    ws.next_layer().close();  // abrupt: no close frame
  }
  EXPECT_TRUE(eventually([&] { return handler_closes == before + 1; }));
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
  EXPECT_EQ(handler_closes, before + 1);
}

TEST_F(server_test, close_all_sends_going_away_with_the_reason) {
  auto ws = open_ws("/ws/websocket", "v12.stomp");
  ws.write(asio::buffer(std::string_view("ping")));
  EXPECT_EQ(read_message(ws), "ping");
  server_->close_all("maintenance");
  beast::flat_buffer buf;
  boost::system::error_code ec;
  ws.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::going_away);
  EXPECT_EQ(ws.reason().reason, "maintenance");
}

TEST_F(server_test, serves_sockjs_info_with_cors_and_no_caching) {
  auto res = send(bhttp::verb::get, "/ws/info?t=1", {}, {{"Origin", "http://app.example"}});
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json;charset=UTF-8");
  EXPECT_EQ(res[bhttp::field::cache_control],
            "no-store, no-cache, no-transform, must-revalidate, max-age=0");
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "http://app.example");
  EXPECT_EQ(res[bhttp::field::access_control_allow_credentials], "true");
  auto info = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(info["websocket"], true);
  EXPECT_EQ(info["cookie_needed"], false);
  EXPECT_EQ(info["origins"].as_array()[0], "*:*");
  EXPECT_TRUE(info["entropy"].is_number());

  auto pre = send(bhttp::verb::options, "/ws/info", {}, {{"Origin", "null"}});
  EXPECT_EQ(pre.result_int(), 204);
  EXPECT_EQ(pre[bhttp::field::access_control_allow_methods], "OPTIONS, GET");
  EXPECT_EQ(pre[bhttp::field::access_control_allow_origin], "*");
  EXPECT_EQ(pre[bhttp::field::access_control_max_age], "31536000");
  EXPECT_EQ(send(bhttp::verb::get, "/ws").body(), "Welcome to SockJS!\n");
}

TEST_F(server_test, round_trips_sockjs_xhr_polling) {
  auto base = "/ws/000/" + unique_id();
  auto open = send(bhttp::verb::post, base + "/xhr");
  EXPECT_EQ(open.result_int(), 200);
  EXPECT_EQ(open.body(), "o\n");
  EXPECT_EQ(open[bhttp::field::content_type], "application/javascript;charset=UTF-8");

  auto sent = send(bhttp::verb::post, base + "/xhr_send", R"(["a","b\u0000"])");
  EXPECT_EQ(sent.result_int(), 204);
  EXPECT_TRUE(sent.body().empty());
  EXPECT_EQ(send(bhttp::verb::post, base + "/xhr").body(), "a[\"a\",\"b\\u0000\"]\n");
  // Nothing queued: the poll is held until the heartbeat.
  EXPECT_EQ(send(bhttp::verb::post, base + "/xhr").body(), "h\n");
  auto whoami = send(bhttp::verb::post, base + "/xhr_send", R"(["whoami"])");
  EXPECT_EQ(send(bhttp::verb::post, "/ws/999" + base.substr(7) + "/xhr").body(),
            "a[\"xhr-polling\"]\n");  // the server segment is ignored
}

TEST_F(server_test, refuses_bad_sockjs_sends) {
  auto base = "/ws/000/" + unique_id();
  EXPECT_EQ(send(bhttp::verb::post, base + "/xhr_send", R"(["x"])").result_int(), 404);
  EXPECT_EQ(send(bhttp::verb::post, base + "/xhr").body(), "o\n");
  auto broken = send(bhttp::verb::post, base + "/xhr_send", R"(["x)");
  EXPECT_EQ(broken.result_int(), 500);
  EXPECT_EQ(broken.body(), "Broken JSON encoding.");
  auto empty = send(bhttp::verb::post, base + "/xhr_send", "");
  EXPECT_EQ(empty.result_int(), 500);
  EXPECT_EQ(empty.body(), "Payload expected.");
  EXPECT_EQ(send(bhttp::verb::post, "/ws/000/a.b/xhr").result_int(), 404);
  EXPECT_EQ(send(bhttp::verb::post, "/ws/000/" + std::string(65, 'x') + "/xhr").result_int(), 404);
  EXPECT_EQ(send(bhttp::verb::post, base + "/eventsource").result_int(), 404);
  EXPECT_EQ(send(bhttp::verb::get, base + "/xhr").result_int(), 405);
  auto pre = send(bhttp::verb::options, base + "/xhr_send", {}, {{"Origin", "http://x.example"}});
  EXPECT_EQ(pre.result_int(), 204);
  EXPECT_EQ(pre[bhttp::field::access_control_allow_methods], "OPTIONS, POST");
}

TEST_F(server_test, streams_sockjs_frames_over_xhr_streaming) {
  auto base = "/ws/000/" + unique_id();
  auto s1 = connect();
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, base + "/xhr_streaming", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.prepare_payload();
  bhttp::write(s1, req);
  stream_reader stream(s1);
  EXPECT_EQ(stream.head().result_int(), 200);
  ASSERT_TRUE(stream.read_until(std::string(2048, 'h') + "\no\n"));
  EXPECT_EQ(stream.text().substr(0, 2049), std::string(2048, 'h') + "\n");

  EXPECT_EQ(send(bhttp::verb::post, base + "/xhr_send", R"(["x"])").result_int(), 204);
  ASSERT_TRUE(stream.read_until("a[\"x\"]\n"));

  // A second receiving request for the same session is refused, the first keeps working.
  auto s2 = connect();
  bhttp::write(s2, req);
  stream_reader second(s2);
  ASSERT_TRUE(second.read_until("c[2010,\"Another connection still open\"]\n"));
  EXPECT_TRUE(second.ended());

  // The response is ended once it carried sockjs_streaming_bytes (4096 here) after the prelude:
  // 9 bytes so far, 1006 per message, so the fifth message is the last.
  std::string big = "[\"" + std::string(1000, 'y') + "\"]";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(send(bhttp::verb::post, base + "/xhr_send", big).result_int(), 204);
    ASSERT_TRUE(stream.read_until(std::string(1000, 'y') + "\"]\n"));
  }
  EXPECT_TRUE(stream.ended());

  // The client reconnects the receiving leg and the session goes on.
  auto s3 = connect();
  bhttp::write(s3, req);
  stream_reader third(s3);
  EXPECT_EQ(send(bhttp::verb::post, base + "/xhr_send", R"(["again"])").result_int(), 204);
  ASSERT_TRUE(third.read_until("a[\"again\"]\n"));
  EXPECT_EQ(third.text().find("o\n", 2049), std::string::npos);
}

TEST_F(server_test, speaks_sockjs_framing_over_websocket) {
  auto ws = open_ws("/ws/000/" + unique_id() + "/websocket", "");
  EXPECT_EQ(read_message(ws), "o");
  ws.write(asio::buffer(std::string_view("")));  // ignored, as the protocol says
  ws.write(asio::buffer(std::string_view(R"(["hello","whoami"])")));
  EXPECT_EQ(read_sockjs(ws), R"(a["hello","sockjs-websocket"])");
  ws.write(asio::buffer(std::string_view("burst:3")));  // not JSON: the session is closed
  EXPECT_EQ(read_sockjs(ws), R"(c[3000,"Go away!"])");
  beast::flat_buffer buf;
  boost::system::error_code ec;
  ws.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
}

TEST_F(server_test, sends_sockjs_heartbeats_on_an_idle_websocket) {
  auto ws = open_ws("/ws/000/" + unique_id() + "/websocket", "");
  EXPECT_EQ(read_message(ws), "o");
  EXPECT_EQ(read_message(ws), "h");
}

TEST_F(server_test, answers_a_ping_with_a_pong_carrying_its_payload) {
  auto ws = open_ws("/ws/websocket", "v12.stomp");
  std::string pong;
  ws.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) pong = std::string(payload);
  });
  ws.ping("are you there");
  ws.write(asio::buffer(std::string_view("after the ping")));
  EXPECT_EQ(read_message(ws), "after the ping");
  EXPECT_EQ(pong, "are you there");
}

TEST_F(server_test, answers_the_peers_close_with_its_code_and_tells_the_handler) {
  int before = handler_closes;
  auto ws = open_ws("/ws/websocket", "");
  ws.write(asio::buffer(std::string_view("hi")));
  EXPECT_EQ(read_message(ws), "hi");
  ws.close(websocket::close_reason(websocket::close_code::policy_error, "leaving"));
  EXPECT_EQ(ws.reason().code, websocket::close_code::policy_error);
  EXPECT_EQ(ws.reason().reason, "leaving");
  EXPECT_TRUE(eventually([&] { return handler_closes == before + 1; }));
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
}

TEST_F(server_test, reassembles_fragmented_and_large_messages) {
  auto ws = open_ws("/ws/websocket", "");
  ws.auto_fragment(true);
  ws.write_buffer_bytes(16);  // the client sends every message in 16-byte fragments
  ws.write(asio::buffer(std::string_view("a message sent in several fragments")));
  EXPECT_EQ(read_message(ws), "a message sent in several fragments");
  ws.auto_fragment(false);
  std::string big(9000, 'x');  // within the echo's outbound budget
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ws.write(asio::buffer(big));  // one frame, written 16 bytes at a time: several reads
  EXPECT_EQ(read_message(ws), big);
  ws.write(asio::buffer(std::string_view("and then a small one")));
  EXPECT_EQ(read_message(ws), "and then a small one");
}

TEST_F(server_test, closes_with_1009_on_a_message_over_the_limit) {
  auto ws = open_ws("/ws/websocket", "");
  ws.write(asio::buffer(std::string(server_options{}.max_ws_message_bytes + 1, 'x')));
  beast::flat_buffer buf;
  boost::system::error_code ec;
  ws.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::too_big);
}

TEST_F(server_test, closes_with_1007_on_text_that_is_not_utf8) {
  auto ws = open_ws("/ws/websocket", "");
  ws.text(true);
  ws.write(asio::buffer(std::string_view("caf\xC3")));
  beast::flat_buffer buf;
  boost::system::error_code ec;
  ws.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::bad_payload);
}

TEST_F(server_test, closes_with_1002_on_an_unmasked_frame_then_ends_the_connection) {
  int before = handler_closes;
  auto s = connect();
  asio::write(s, asio::buffer(std::string_view(
                     "GET /ws/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n")));
  std::string in;
  auto head = asio::read_until(s, asio::dynamic_buffer(in), "\r\n\r\n");
  EXPECT_TRUE(in.starts_with("HTTP/1.1 101"));
  EXPECT_NE(in.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  in.erase(0, head);
  asio::write(s, asio::buffer(std::string_view("\x81\x02hi", 4)));  // clients must mask
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(in), ec);  // until the server ends the connection
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(in, std::string("\x88\x02\x03\xEA", 4));
  s.close();  // the server waits for this EOF (or its close timeout) to let the socket go
  EXPECT_TRUE(eventually([&] { return handler_closes == before + 1; }, 2000ms));
}

TEST_F(server_test, refuses_an_unsupported_websocket_version_with_426) {
  auto res = send(bhttp::verb::get, "/ws/websocket", {},
                  {{"Upgrade", "websocket"},
                   {"Connection", "Upgrade"},
                   {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                   {"Sec-WebSocket-Version", "8"}});
  EXPECT_EQ(res.result_int(), 426);
  EXPECT_EQ(res[bhttp::field::sec_websocket_version], "13");
  auto no_key = send(bhttp::verb::get, "/ws/websocket", {},
                     {{"Upgrade", "websocket"}, {"Connection", "Upgrade"},
                      {"Sec-WebSocket-Version", "13"}});
  EXPECT_EQ(no_key.result_int(), 400);
}

TEST_F(server_test, refuses_a_plain_get_on_websocket_urls) {
  auto res = send(bhttp::verb::get, "/ws/websocket");
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_EQ(res.body(), "Can \"Upgrade\" only to \"WebSocket\".");
  EXPECT_EQ(send(bhttp::verb::post, "/ws/0/0/websocket").result_int(), 405);
}

TEST_F(server_test, serves_static_files_with_spa_fallback) {
  auto index = send(bhttp::verb::get, "/");
  EXPECT_EQ(index.result_int(), 200);
  EXPECT_EQ(index.body(), "<html>app</html>");
  EXPECT_EQ(index[bhttp::field::cache_control], "no-cache");
  EXPECT_EQ(index[bhttp::field::content_type], "text/html; charset=utf-8");

  auto js = send(bhttp::verb::get, "/main-ABC123.js");
  EXPECT_EQ(js.body(), "console.log(1)");
  EXPECT_EQ(js[bhttp::field::cache_control], "public, max-age=31536000, immutable");

  EXPECT_EQ(send(bhttp::verb::get, "/rooms/42").body(), "<html>app</html>");
  auto missing = send(bhttp::verb::get, "/missing.js");
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(boost::json::parse(missing.body()).as_object()["status"], 404);

  auto again =
      send(bhttp::verb::get, "/", {}, {{"If-None-Match", std::string(index[bhttp::field::etag])}});
  EXPECT_EQ(again.result_int(), 304);
  EXPECT_EQ(send(bhttp::verb::post, "/").result_int(), 405);
}

TEST_F(server_test, never_serves_files_outside_the_static_dir) {
  for (auto target : {"/../secret.txt", "/%2e%2e/secret.txt", "/main-ABC123.js/../../secret.txt",
                      "/%2E%2E%2Fsecret.txt"}) {
    auto res = send(bhttp::verb::get, target);
    EXPECT_NE(res.body(), "secret") << target;
    EXPECT_EQ(res.result_int(), 404) << target;
  }
}

TEST_F(server_test, measures_heap_per_idle_websocket_connection) {
  // Client sockets are kept bare (no Beast stream), so the delta is essentially the server's
  // session, its Beast stream and socket state, plus ~0.3 KiB of client-side socket state.
  constexpr std::size_t n = 200;
  const std::string upgrade =
      "GET /ws/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: v12.stomp\r\n\r\n";
  std::vector<tcp::socket> clients;
  clients.reserve(n);
  auto before = mallinfo2().uordblks;
  for (std::size_t i = 0; i < n; ++i) {
    auto s = connect();
    asio::write(s, asio::buffer(upgrade));
    std::string head;
    asio::read_until(s, asio::dynamic_buffer(head), "\r\n\r\n");
    ASSERT_TRUE(head.starts_with("HTTP/1.1 101"));
    clients.push_back(std::move(s));
  }
  ASSERT_TRUE(eventually([&] { return server_->connection_count() == n; }));
  auto after = mallinfo2().uordblks;
  auto per_connection = (after - before) / n;
  std::printf("heap per idle WebSocket connection: %zu bytes\n", per_connection);
  EXPECT_LT(per_connection, 16u * 1024);
}

TEST(session_footprint, stays_small) {
  // Printed for the record; the bounds catch an accidental fat member.
  std::printf("sizeof(websocket_session)=%zu sizeof(sockjs_session)=%zu\n",
              sizeof(ws::websocket_session), sizeof(ws::sockjs_session));
  // The session holds the whole WebSocket protocol state (no Beast stream behind it).
  EXPECT_LE(sizeof(ws::websocket_session), 448u);
  EXPECT_LE(sizeof(ws::sockjs_session), 448u);
}

}  // namespace
}  // namespace parley::http
