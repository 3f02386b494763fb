#pragma once
// A SockJS session of the HTTP transports (xhr-streaming, xhr-polling).
//
// The session lives on the shard where its first request arrived; later requests of the same
// session (receiving legs and xhr_send) may land on any shard, find it in the registry and post to
// it. All session state is touched only on its home shard. A receiving request is a `receiver` on
// its own connection's shard: the session hands it one chunk at a time by posting, and the request
// posts back when it has written it (pull), so at most one chunk is in flight per session and the
// byte budget applies to the session's queue alone. One timer per session serves the heartbeat
// (while a receiver waits), the disconnect delay (while none is attached) and the lingering of a
// closed session (which answers every later receiving request with its close frame).
#include "realtime/connection.hpp"
#include "ws/context.hpp"
#include "ws/live_set.hpp"
#include "ws/outbound_queue.hpp"
#include "ws/session_binding.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::ws {

enum class receive_kind : std::uint8_t { polling, streaming };

// One receiving HTTP request (xhr or xhr_streaming), owned by the request's coroutine and living
// on its connection's shard; the session reaches it only by posting hand() there.
struct receiver {
  explicit receiver(boost::asio::any_io_executor ex) : executor(ex), wake(ex) {
    wake.expires_at(boost::asio::steady_timer::time_point::max());
  }
  void hand(std::string data, bool last) {
    chunk += data;
    final = final || last;
    wake.cancel();
  }

  const boost::asio::any_io_executor executor;
  boost::asio::steady_timer wake;  // never expires; cancelled to wake the waiting request
  std::string chunk;               // handed over, not yet written
  bool final = false;              // end the response once `chunk` is written
};

class sockjs_session final : public realtime::connection,
                             public closable,
                             public std::enable_shared_from_this<sockjs_session> {
 public:
  sockjs_session(boost::asio::any_io_executor home, std::shared_ptr<context> ctx, std::string id,
                 receive_kind kind, std::string remote, std::string binding_key,
                 bool key_presented);
  ~sockjs_session() override;

  // Any thread: who may make later requests of this session (see session_binding.hpp).
  session_binding& binding() { return binding_; }

  // Called on the session's executor, posted there by the requests.
  void attach(std::shared_ptr<receiver> r, receive_kind kind);  // a receiving request arrived
  void ready(const std::shared_ptr<receiver>& r);    // it wrote its chunk and wants the next
  void aborted(const std::shared_ptr<receiver>& r);  // its client went away mid-request
  void receive(std::vector<std::string> messages);   // one xhr_send batch

  bool send(realtime::outbound frame) override;
  void close(std::optional<realtime::outbound> last, bool drop_queued) override;
  boost::asio::any_io_executor executor() override { return timer_.get_executor(); }
  std::string remote_address() const override { return binding_.opener(); }
  std::string_view transport() const override;
  void go_away(std::string_view reason) override;

 private:
  enum class state : std::uint8_t { fresh, open, closing, closed };

  void pump();
  void hand(std::string chunk, bool last);
  void close_now(int code, std::string_view reason);
  void arm_timer(std::chrono::steady_clock::duration after);
  void on_timer();

  std::shared_ptr<context> ctx_;
  std::string id_;
  session_binding binding_;  // also holds the opener's address
  std::shared_ptr<realtime::session_handler> handler_;
  outbound_queue queue_;
  std::shared_ptr<receiver> receiver_;  // the attached receiving request, if any
  boost::asio::steady_timer timer_;     // its executor is the session's home shard
  std::string close_frame_;             // once closed: `c[...]\n` for every later request
  std::size_t receiver_bytes_ = 0;      // handed to the current receiver
  receive_kind kind_;
  state state_ = state::fresh;
  bool receiver_waiting_ = false;  // the receiver has no chunk in flight
  bool pump_scheduled_ = false;
  bool server_stopping_ = false;  // go_away(): nobody will ask for the close frame again
};

}  // namespace parley::ws
