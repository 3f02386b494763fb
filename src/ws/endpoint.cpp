#include "ws/endpoint.hpp"

#include "core/forwarded.hpp"
#include "core/ids.hpp"
#include "ws/sockjs_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <vector>

namespace parley::ws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// SockJS responses that carry session data must never be cached (iOS caches POSTs).
constexpr std::string_view no_cache =
    "no-store, no-cache, no-transform, must-revalidate, max-age=0";
// Preflight answers may be cached by the browser for a year, as the protocol recommends.
constexpr std::string_view one_year = "31536000";
// xhr_streaming opens with 2 KiB of `h` and a newline: some browsers deliver nothing of a
// streamed response before its first ~2 KiB.
const std::string streaming_prelude = std::string(2048, 'h') + '\n';

using string_response = http::response<http::string_body>;

// CORS as SockJS wants it: echo the origin (`*` for none or "null"), allow credentials.
void set_cors(http::fields& res, const upgrade_request& req) {
  auto origin = req[http::field::origin];
  if (origin.empty() || origin == "null")
    res.set(http::field::access_control_allow_origin, "*");
  else
    res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::access_control_allow_credentials, "true");
  if (auto headers = req[http::field::access_control_request_headers]; !headers.empty())
    res.set(http::field::access_control_allow_headers, headers);
  res.set(http::field::vary, "Origin");
}

std::string http_date(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return {buf, n};
}

string_response make_response(const upgrade_request& req, http::status status,
                              std::string_view content_type, std::string body) {
  string_response res{status, req.version()};
  res.set(http::field::server, "parley");
  if (!content_type.empty()) res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

string_response text(const upgrade_request& req, http::status status, std::string body) {
  return make_response(req, status, "text/plain; charset=UTF-8", std::move(body));
}

string_response method_not_allowed(const upgrade_request& req, std::string_view allow) {
  auto res = make_response(req, http::status::method_not_allowed, {}, {});
  res.set(http::field::allow, allow);
  return res;
}

string_response preflight(const upgrade_request& req, std::string_view methods) {
  auto res = make_response(req, http::status::no_content, {}, {});
  res.set(http::field::cache_control, std::string("public, max-age=") + std::string(one_year));
  res.set(http::field::expires,
          http_date(std::chrono::system_clock::now() + std::chrono::hours(24 * 365)));
  res.set(http::field::access_control_max_age, one_year);
  res.set(http::field::access_control_allow_methods, methods);
  set_cors(res, req);
  return res;
}

string_response info(const upgrade_request& req) {
  std::uint32_t entropy;
  core::secure_random(&entropy, sizeof entropy);
  auto res =
      make_response(req, http::status::ok, "application/json;charset=UTF-8",
                    R"({"websocket":true,"origins":["*:*"],"cookie_needed":false,"entropy":)" +
                        std::to_string(entropy) + "}");
  res.set(http::field::cache_control, no_cache);
  set_cors(res, req);
  return res;
}

asio::awaitable<after_request> write(beast::tcp_stream& stream, string_response res,
                                     std::chrono::seconds timeout) {
  bool keep_alive = res.keep_alive();
  stream.expires_after(timeout);
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  co_return ec || !keep_alive ? after_request::close : after_request::keep_alive;
}

// The client's address: the TCP peer, or what a trusted load balancer says it forwarded.
std::string remote_address(beast::tcp_stream& stream, const upgrade_request& req,
                           const options& opts) {
  boost::system::error_code ec;
  return core::client_address(stream.socket().remote_endpoint(ec).address().to_string(),
                              core::last_forwarded_for(req), opts.trusted_proxies);
}

// The binding key a request presents in its Cookie header, or empty.
std::string_view presented_key(const upgrade_request& req) {
  return session_binding::key_in(req[http::field::cookie]);
}

// A session that does not exist and one this request may not use get the same answer, so that
// trying ids tells nothing.
string_response not_found(const upgrade_request& req) {
  return text(req, http::status::not_found, "Not found.\n");
}

std::vector<std::string_view> split_segments(std::string_view rest) {
  std::vector<std::string_view> out;
  while (!rest.empty() && rest.front() == '/') {
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  if (!rest.empty()) out.clear();  // did not start with '/'
  return out;
}

}  // namespace

endpoint::endpoint(options opts, realtime::session_factory factory)
    : ctx_(std::make_shared<context>()) {
  ctx_->opts = opts;
  ctx_->factory = std::move(factory);
  ctx_->going_away = "Go away!";
}

void endpoint::close_all(std::string reason) {
  ctx_->going_away = std::move(reason);
  ctx_->live.close_all(ctx_->going_away);
}

asio::awaitable<after_request> endpoint::serve(beast::tcp_stream& stream, upgrade_request& req,
                                               std::string_view rest) {
  const auto timeout = ctx_->opts.write_timeout;
  const auto method = req.method();
  auto upgrade = [&](framing mode) -> std::optional<string_response> {
    if (method != http::verb::get) return method_not_allowed(req, "GET");
    if (!beast::websocket::is_upgrade(req))
      return text(req, http::status::bad_request, "Can \"Upgrade\" only to \"WebSocket\".");
    if (auto refusal = check_upgrade(req)) {
      auto res = text(req, refusal->status, std::move(refusal->message));
      if (refusal->status == http::status::upgrade_required)
        res.set(http::field::sec_websocket_version, "13");
      res.keep_alive(false);
      return res;
    }
    websocket_session::start(stream.release_socket(), req, mode, ctx_);
    return std::nullopt;
  };

  if (rest.empty() || rest == "/") {
    if (method != http::verb::get)
      co_return co_await write(stream, method_not_allowed(req, "GET"), timeout);
    co_return co_await write(stream, text(req, http::status::ok, "Welcome to SockJS!\n"), timeout);
  }
  if (rest == "/info") {
    if (method == http::verb::options)
      co_return co_await write(stream, preflight(req, "OPTIONS, GET"), timeout);
    if (method != http::verb::get)
      co_return co_await write(stream, method_not_allowed(req, "OPTIONS, GET"), timeout);
    co_return co_await write(stream, info(req), timeout);
  }
  if (rest == "/websocket") {
    auto refused = upgrade(framing::raw);
    if (!refused) co_return after_request::upgraded;
    co_return co_await write(stream, std::move(*refused), timeout);
  }

  auto segments = split_segments(rest);
  const auto max_id = ctx_->opts.sockjs_max_session_id;
  if (segments.size() != 3 || !sockjs::valid_segment(segments[0], max_id) ||
      !sockjs::valid_segment(segments[1], max_id))
    co_return co_await write(stream, not_found(req), timeout);
  const std::string id(segments[1]);
  const auto transport = segments[2];

  if (transport == "websocket") {
    auto refused = upgrade(framing::sockjs);
    if (!refused) co_return after_request::upgraded;
    co_return co_await write(stream, std::move(*refused), timeout);
  }
  if (transport != "xhr" && transport != "xhr_streaming" && transport != "xhr_send")
    co_return co_await write(stream, not_found(req), timeout);
  if (method == http::verb::options)
    co_return co_await write(stream, preflight(req, "OPTIONS, POST"), timeout);
  if (method != http::verb::post)
    co_return co_await write(stream, method_not_allowed(req, "OPTIONS, POST"), timeout);
  if (transport == "xhr_send") co_return co_await xhr_send(stream, req, id);
  co_return co_await receive(stream, req, id,
                             transport == "xhr" ? receive_kind::polling : receive_kind::streaming);
}

asio::awaitable<after_request> endpoint::xhr_send(beast::tcp_stream& stream, upgrade_request& req,
                                                  const std::string& id) {
  const auto timeout = ctx_->opts.write_timeout;
  auto session = ctx_->sockjs.find(id);
  if (!session || !session->binding().admits(remote_address(stream, req, ctx_->opts), presented_key(req)))
    co_return co_await write(stream, not_found(req), timeout);
  auto messages = sockjs::decode_messages(req.body());
  if (!messages) {
    auto why = messages.error() == sockjs::decode_error::payload_expected ? "Payload expected."
                                                                          : "Broken JSON encoding.";
    auto res = text(req, http::status::internal_server_error, why);
    set_cors(res, req);
    co_return co_await write(stream, std::move(res), timeout);
  }
  asio::post(session->executor(),
             [session, m = std::move(*messages)]() mutable { session->receive(std::move(m)); });
  auto res = text(req, http::status::no_content, {});
  res.set(http::field::cache_control, no_cache);
  set_cors(res, req);
  co_return co_await write(stream, std::move(res), timeout);
}

asio::awaitable<after_request> endpoint::receive(beast::tcp_stream& stream, upgrade_request& req,
                                                 const std::string& id, receive_kind kind) {
  using namespace asio::experimental::awaitable_operators;
  const auto timeout = ctx_->opts.write_timeout;
  auto ex = stream.get_executor();
  const auto remote = remote_address(stream, req, ctx_->opts);
  const auto key = presented_key(req);
  auto [session, fresh] = ctx_->sockjs.find_or_create(id, [&] {
    return std::make_shared<sockjs_session>(
        ex, ctx_, id, kind, remote, key.empty() ? session_binding::make_key() : std::string(key),
        !key.empty());
  });
  if (fresh)
    ctx_->live.add(session);
  else if (!session->binding().admits(remote, key))
    co_return co_await write(stream, not_found(req), timeout);

  http::response<http::empty_body> head{http::status::ok, req.version()};
  head.set(http::field::server, "parley");
  head.set(http::field::content_type, "application/javascript;charset=UTF-8");
  head.set(http::field::cache_control, no_cache);
  set_cors(head, req);
  if (fresh && key.empty())
    head.set(http::field::set_cookie, session_binding::set_cookie(session->binding().key()));
  bool keep_alive = req.keep_alive();
  // HTTP/1.0 has no chunked encoding: the streamed response then ends with the connection.
  const bool chunked = kind == receive_kind::streaming && req.version() >= 11;
  if (kind == receive_kind::streaming && !chunked) keep_alive = false;
  head.keep_alive(keep_alive);

  auto write_part = [&](std::string_view data) -> asio::awaitable<bool> {
    stream.expires_after(timeout);
    boost::system::error_code ec;
    if (chunked)
      std::tie(ec, std::ignore) =
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(data)), use_tuple);
    else
      std::tie(ec, std::ignore) = co_await asio::async_write(stream, asio::buffer(data), use_tuple);
    co_return !ec;
  };

  if (kind == receive_kind::streaming) {
    head.chunked(chunked);
    http::response_serializer<http::empty_body> sr{head};
    stream.expires_after(timeout);
    auto [ec, n] = co_await http::async_write_header(stream, sr, use_tuple);
    if (ec || !co_await write_part(streaming_prelude)) co_return after_request::close;
  }

  auto r = std::make_shared<receiver>(ex);
  asio::post(session->executor(), [session, r, kind] { session->attach(r, kind); });
  for (;;) {
    if (r->chunk.empty()) {
      // Wait for the session, and meanwhile notice a client that goes away: it sends nothing
      // more on this connection until the response ends, so a completed read means it left.
      stream.expires_never();
      char probe;
      auto woken = co_await (r->wake.async_wait(use_tuple) ||
                             stream.socket().async_read_some(asio::buffer(&probe, 1), use_tuple));
      if (woken.index() == 1) {
        asio::post(session->executor(), [session, r] { session->aborted(r); });
        co_return after_request::close;
      }
      continue;
    }
    auto chunk = std::move(r->chunk);
    r->chunk.clear();
    if (kind == receive_kind::polling) {
      string_response res{http::status::ok, req.version(), std::move(chunk)};
      for (auto& field : head) res.set(field.name_string(), field.value());
      res.keep_alive(keep_alive);
      res.prepare_payload();
      co_return co_await write(stream, std::move(res), timeout);
    }
    if (!co_await write_part(chunk)) {
      asio::post(session->executor(), [session, r] { session->aborted(r); });
      co_return after_request::close;
    }
    if (r->final) {
      if (chunked) {
        stream.expires_after(timeout);
        auto [ec, n] = co_await asio::async_write(stream, http::make_chunk_last(), use_tuple);
        if (ec) co_return after_request::close;
      }
      co_return keep_alive ? after_request::keep_alive : after_request::close;
    }
    asio::post(session->executor(), [session, r] { session->ready(r); });
  }
}

}  // namespace parley::ws
