#pragma once
// Binds a SockJS session of the HTTP transports to the client that opened it.
//
// The session id is chosen by the client and travels in every URL of the session
// (`/ws/{server}/{session}/xhr_send`), so access logs, proxies and shared machines learn it.
// Knowing it must not be enough to send frames as the session's user (xhr_send) or to read its
// frames (a receiving request). Every request after the opening one must prove it comes from the
// opener, with the strongest proof the client can give:
//
// - A client with a cookie jar (every browser) holds `parley_sockjs`, a random 128-bit key per
//   browser (HttpOnly, SameSite=Strict, Path=/ws), set on the first opening request that lacked
//   one. A session opened with the key, or later reached by a request that carries it, admits
//   only requests carrying that key, whatever their address.
// - A client without one (sockjs-client on Node.js, curl) is admitted only from the opener's
//   address, for as long as no request has presented the key.
//
// Rejected: the address alone (one NAT, proxy or shared host gives many users the same address;
// a browser would lose its session when its address changes); a token on each request
// (sockjs-client cannot add headers to xhr_send); Spring's rule that the HTTP principal must
// match (Parley authenticates in the STOMP CONNECT, not on the HTTP request). Behind a reverse
// proxy every client has the proxy's address, so there only the cookie binds a session.
//
// Thread safety: the key and the opener never change; `confirmed` is atomic, because requests of
// one session may arrive on every shard at once.
#include <atomic>
#include <string>
#include <string_view>

namespace parley::ws {

class session_binding {
 public:
  // Name of the cookie and length of its value (hex digits of 16 random bytes).
  static constexpr std::string_view cookie_name = "parley_sockjs";
  static constexpr std::size_t key_length = 32;

  // `key` is the browser's key (from its cookie, or freshly made); `presented` says whether the
  // opening request carried it, in which case the session is bound to the key from the start.
  session_binding(std::string key, std::string opener_address, bool presented)
      : key_(std::move(key)), opener_(std::move(opener_address)), confirmed_(presented) {}

  // A fresh random key.
  static std::string make_key();
  // The well-formed key in a Cookie header, or empty when there is none.
  static std::string_view key_in(std::string_view cookie_header);
  // The Set-Cookie value that hands a browser its key.
  static std::string set_cookie(std::string_view key);

  // Whether a later request of the session, from `address` with the key `presented` (empty for
  // none), comes from the opener. A request with the key binds the session to the key for good.
  bool admits(std::string_view address, std::string_view presented);

  const std::string& key() const { return key_; }
  const std::string& opener() const { return opener_; }

 private:
  const std::string key_;
  const std::string opener_;
  std::atomic<bool> confirmed_;
};

}  // namespace parley::ws
