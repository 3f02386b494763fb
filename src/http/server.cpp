#include "http/server.hpp"

#include "core/forwarded.hpp"
#include "core/time.hpp"
#include "http/static_files.hpp"
#include "ws/endpoint.hpp"
#include "ws/live_set.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace parley::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// After refusing a request whose body is still arriving (413), keep reading and discarding for
// this long before closing, so the client gets to read the answer instead of a reset.
constexpr auto linger_time = 2s;
// A read buffer that grew past this for a large request is given back before the connection
// idles: keep-alive connections then hold only small buffers.
constexpr std::size_t kept_buffer_bytes = 16 * 1024;
// When accept() fails for lack of descriptors, wait this long before trying again.
constexpr auto accept_backoff = 50ms;

using beast_request = bhttp::request<bhttp::string_body>;
using string_response = bhttp::response<bhttp::string_body>;

enum class after { keep_alive, close, linger, upgraded };

bool is_rest_path(std::string_view path) {
  static constexpr std::string_view prefixes[] = {"/auth/",    "/users/", "/chat/",
                                                  "/storage/", "/media/", "/.well-known/"};
  static constexpr std::string_view exact[] = {"/healthz", "/readyz", "/metrics"};
  for (auto p : prefixes)
    if (path.starts_with(p)) return true;
  return std::find(std::begin(exact), std::end(exact), path) != std::end(exact);
}

std::string error_json(int status, std::string_view message) {
  boost::json::object o;
  o["timestamp"] = core::iso8601(std::chrono::system_clock::now());
  o["status"] = status;
  o["message"] = message;
  return boost::json::serialize(o);
}

// Any origin may call the REST API, as in the original. Authentication is a Bearer token that the
// calling script attaches itself, never a cookie the browser adds on its own, so a foreign page
// gains nothing by being allowed: echoing Origin is safe, and credentials are not enabled.
void add_cors(bhttp::fields& res, const beast_request& req) {
  if (auto origin = req[bhttp::field::origin]; !origin.empty()) {
    res.set(bhttp::field::access_control_allow_origin, origin);
    res.set(bhttp::field::access_control_expose_headers, "Location, Retry-After");
    res.set(bhttp::field::vary, "Origin");
  }
}

template <class Response>
void finish(Response& res, bool keep_alive) {
  res.set(bhttp::field::server, "parley");
  res.keep_alive(keep_alive);
  res.prepare_payload();
}

string_response json_error(const beast_request& req, int status, std::string_view message,
                           bool keep_alive) {
  string_response res{static_cast<bhttp::status>(status), req.version(),
                      error_json(status, message)};
  res.set(bhttp::field::content_type, "application/json");
  add_cors(res, req);
  finish(res, keep_alive);
  return res;
}

// Starts `rest` and completes with its response on the caller's executor, whichever thread calls
// `done`. A second call of `done` is ignored; a handler that never calls it frees the waiting
// coroutine (and so the connection) when it drops `done`.
template <class Token>
auto async_call(const rest_handler& rest, request req, Token&& token) {
  return asio::async_initiate<Token, void(response)>(
      [&rest](auto handler, request req) {
        using handler_type = decltype(handler);
        auto ex = asio::get_associated_executor(handler);
        auto slot = std::make_shared<std::optional<handler_type>>(std::move(handler));
        auto complete = [slot, ex](response res) {
          asio::post(ex, [slot, res = std::move(res)]() mutable {
            if (!*slot) return;
            auto h = std::move(**slot);
            slot->reset();
            std::move(h)(std::move(res));
          });
        };
        try {
          rest(std::move(req), complete);
        } catch (const std::exception& e) {
          spdlog::error("rest handler threw: {}", e.what());
          complete(
              response{500, "application/json", {}, error_json(500, "Unexpected server error")});
        }
      },
      token, std::move(req));
}

}  // namespace

namespace detail {

struct server_state {
  server_state(realtime::shards& s, server_options o, server_handlers h)
      : shards(s),
        opts(std::move(o)),
        rest(std::move(h.rest)),
        ws(ws::options{opts.max_outbound_bytes, opts.max_ws_message_bytes,
                       opts.ws_handshake_timeout, opts.ws_close_timeout, opts.idle_timeout,
                       opts.sockjs_heartbeat, opts.sockjs_disconnect_delay,
                       opts.sockjs_streaming_bytes, opts.sockjs_max_session_id,
                       opts.trusted_proxies},
           std::move(h.stomp)),
        acceptor(shards.at(0)) {
    if (!opts.static_dir.empty()) files.emplace(opts.static_dir);
    largest_body = opts.max_body_bytes;
    for (auto& [_, limit] : opts.body_limit_overrides) largest_body = std::max(largest_body, limit);
  }

  std::size_t body_limit_for(std::string_view target) const {
    for (auto& [prefix, limit] : opts.body_limit_overrides)
      if (target.starts_with(prefix)) return limit;
    return opts.max_body_bytes;
  }

  realtime::shards& shards;
  const server_options opts;
  const rest_handler rest;
  ws::endpoint ws;
  std::optional<static_files> files;
  std::size_t largest_body = 0;
  tcp::acceptor acceptor;  // used on shard 0 only, after start()
  ws::live_set http_connections;
  std::atomic<unsigned short> port{0};
};

}  // namespace detail

namespace {

using detail::server_state;

// One HTTP/1.1 connection: reads requests one after another (keep-alive) and answers each, until
// the peer closes, a timeout, an error that forbids reuse, or an upgrade hands the socket over.
class http_connection final : public ws::closable,
                              public std::enable_shared_from_this<http_connection> {
 public:
  http_connection(tcp::socket socket, std::shared_ptr<server_state> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    boost::system::error_code ec;
    remote_ = stream_.socket().remote_endpoint(ec);
  }
  ~http_connection() { state_->http_connections.remove(this); }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    after next = after::close;
    try {
      do next = co_await serve_one();
      while (next == after::keep_alive);
      if (next == after::linger) co_await linger();
    } catch (const std::exception& e) {
      spdlog::warn("http connection {}: {}", remote_.address().to_string(), e.what());
    }
    if (next != after::upgraded) {
      boost::system::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.close();
    }
  }

  // Shutdown: an idle keep-alive connection closes now; a busy one after its current response.
  void go_away(std::string_view) override {
    draining_ = true;
    if (idle_) stream_.cancel();
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  asio::awaitable<after> serve_one() {
    const auto& opts = state_->opts;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(
        state_->largest_body);  // the per-route limit is applied once the target is known

    if (draining_) co_return after::close;
    if (buffer_.size() == 0 && buffer_.capacity() > kept_buffer_bytes) buffer_.shrink_to_fit();
    idle_ = true;
    stream_.expires_after(opts.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    idle_ = false;
    if (ec) co_return co_await refuse_unreadable(ec);

    auto& head = parser.get();
    auto limit = state_->body_limit_for(head.target());
    if (parser.content_length() && *parser.content_length() > limit) {
      co_await write(json_error(head, 413, "Request body too large", false));
      co_return after::linger;
    }
    parser.body_limit(limit);
    if (beast::iequals(head[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, head.version()};
      stream_.expires_after(opts.idle_timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream_, cont, use_tuple);
      if (wec) co_return after::close;
    }
    if (!parser.is_done()) {
      stream_.expires_after(opts.idle_timeout);
      std::tie(ec, n) = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
      if (ec) co_return co_await refuse_unreadable(ec);
    }
    auto req = parser.release();
    co_return co_await dispatch(req);
  }

  // The request could not be read: answer what can be answered, then close.
  asio::awaitable<after> refuse_unreadable(boost::system::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == bhttp::error::partial_message)
      co_return after::close;
    beast_request blank;
    blank.version(11);
    if (ec == bhttp::error::body_limit) {
      co_await write(json_error(blank, 413, "Request body too large", false));
      co_return after::linger;
    }
    if (ec == bhttp::error::header_limit)
      co_await write(json_error(blank, 431, "Request header fields too large", false));
    else
      co_await write(json_error(blank, 400, "Malformed request", false));
    co_return after::close;
  }

  asio::awaitable<after> dispatch(beast_request& req) {
    bool keep_alive = req.keep_alive() && !draining_;
    auto target = boost::urls::parse_origin_form(req.target());
    if (!target) co_return co_await write(json_error(req, 400, "Malformed request target", false));
    std::string path = target->path();

    if (path == "/ws" || path.starts_with("/ws/")) {
      switch (co_await state_->ws.serve(stream_, req, std::string_view(path).substr(3))) {
        case ws::after_request::upgraded:
          co_return after::upgraded;
        case ws::after_request::keep_alive:
          co_return draining_ ? after::close : after::keep_alive;
        case ws::after_request::close:
          co_return after::close;
      }
    }
    if (is_rest_path(path)) co_return co_await call_rest(req, *target, std::move(path), keep_alive);
    if (state_->files) co_return co_await serve_static(req, path, keep_alive);
    co_return co_await write(json_error(req, 404, "Not found", keep_alive));
  }

  asio::awaitable<after> call_rest(beast_request& req, const boost::urls::url_view& target,
                                   std::string path, bool keep_alive) {
    if (req.method() == bhttp::verb::options) {
      string_response res{bhttp::status::no_content, req.version()};
      add_cors(res, req);
      res.set(bhttp::field::access_control_allow_methods, "GET, POST, PUT, PATCH, DELETE, OPTIONS");
      if (auto h = req[bhttp::field::access_control_request_headers]; !h.empty())
        res.set(bhttp::field::access_control_allow_headers, h);
      res.set(bhttp::field::access_control_max_age, "600");
      finish(res, keep_alive);
      co_return co_await write(std::move(res));
    }

    request in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.path = std::move(path);
    for (auto param : target.params()) in.query[param.key] = param.value;
    in.headers.reserve(static_cast<std::size_t>(std::distance(req.begin(), req.end())));
    for (auto& field : req) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      in.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    in.body = std::move(req.body());
    in.remote_address = core::client_address(remote_.address().to_string(),
                                             core::last_forwarded_for(req),
                                             state_->opts.trusted_proxies);

    auto out = co_await async_call(state_->rest, std::move(in), asio::use_awaitable);

    string_response res{static_cast<bhttp::status>(out.status), req.version()};
    if (!out.content_type.empty()) res.set(bhttp::field::content_type, out.content_type);
    for (auto& [name, value] : out.headers) res.insert(name, value);
    add_cors(res, req);
    res.body() = std::move(out.body);
    finish(res, keep_alive);
    if (req.method() == bhttp::verb::head) res.body().clear();  // Content-Length stays
    co_return co_await write(std::move(res));
  }

  asio::awaitable<after> serve_static(const beast_request& req, const std::string& path,
                                      bool keep_alive) {
    const bool head = req.method() == bhttp::verb::head;
    if (req.method() != bhttp::verb::get && !head) {
      auto res = json_error(req, 405, "Method not allowed", keep_alive);
      res.set(bhttp::field::allow, "GET, HEAD");
      co_return co_await write(std::move(res));
    }
    auto file = state_->files->resolve(path);
    if (!file) co_return co_await write(json_error(req, 404, "Not found", keep_alive));

    auto set_common = [&](bhttp::fields& f) {
      f.set(bhttp::field::content_type, file->content_type);
      f.set(bhttp::field::cache_control, file->cache_control);
      f.set(bhttp::field::etag, file->etag);
      f.set("X-Content-Type-Options", "nosniff");
    };
    if (req[bhttp::field::if_none_match] == file->etag) {
      bhttp::response<bhttp::empty_body> res{bhttp::status::not_modified, req.version()};
      set_common(res);
      finish(res, keep_alive);
      co_return co_await write(std::move(res));
    }
    if (head) {
      bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
      set_common(res);
      finish(res, keep_alive);
      res.content_length(file->size);
      co_return co_await write(std::move(res));
    }
    bhttp::file_body::value_type body;
    beast::error_code ec;
    body.open(file->path.c_str(), beast::file_mode::scan, ec);
    if (ec) co_return co_await write(json_error(req, 404, "Not found", keep_alive));
    bhttp::response<bhttp::file_body> res{bhttp::status::ok, req.version(), std::move(body)};
    set_common(res);
    finish(res, keep_alive);
    co_return co_await write(std::move(res));
  }

  template <class Response>
  asio::awaitable<after> write(Response res) {
    bool keep_alive = res.keep_alive();
    stream_.expires_after(state_->opts.idle_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, use_tuple);
    co_return ec || !keep_alive ? after::close : after::keep_alive;
  }

  // Half-closes, then reads and discards what the client is still sending for a short while.
  asio::awaitable<void> linger() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(linger_time);
    char sink[4096];
    for (;;) {
      auto [rec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_tuple);
      if (rec) break;
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<server_state> state_;
  tcp::endpoint remote_;
  bool idle_ = false;
  bool draining_ = false;
};

asio::awaitable<void> accept_loop(std::shared_ptr<server_state> state) {
  for (;;) {
    auto& shard = state->shards.next();
    auto [ec, accepted] = co_await state->acceptor.async_accept(shard, use_tuple);
    if (ec) {
      if (!state->acceptor.is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer backoff(co_await asio::this_coro::executor, accept_backoff);
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    tcp::socket socket(std::move(accepted));
    // Frames are small and latency matters more than packet count; writes are already batched.
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<http_connection>(std::move(socket), state);
    state->http_connections.add(connection);
    auto ex = connection->executor();
    asio::co_spawn(
        ex, [connection] { return connection->run(); }, ws::log_failure("http connection"));
  }
}

}  // namespace

server::server(realtime::shards& shards, server_options options, server_handlers handlers)
    : state_(std::make_shared<server_state>(shards, std::move(options), std::move(handlers))) {}

server::~server() { stop_accepting(); }

void server::start() {
  auto& s = *state_;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(s.opts.address, ec);
  auto where = s.opts.address + ":" + std::to_string(s.opts.port);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": invalid address");
  tcp::endpoint endpoint{address, s.opts.port};
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(s.opts.listen_backlog, ec);
  if (ec) {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  }
  s.port = s.acceptor.local_endpoint().port();
  asio::co_spawn(s.acceptor.get_executor(), accept_loop(state_), ws::log_failure("acceptor"));
}

unsigned short server::port() const { return state_->port; }

void server::stop_accepting() {
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    boost::system::error_code ec;
    state->acceptor.close(ec);
  });
}

void server::close_all(std::string reason) {
  state_->ws.close_all(reason);
  state_->http_connections.close_all(reason);
}

std::size_t server::connection_count() const {
  return state_->http_connections.size() + state_->ws.session_count();
}

}  // namespace parley::http
