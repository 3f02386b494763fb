#pragma once
// One STOMP session over any transport: CONNECT authentication, SUBSCRIBE authorization,
// SEND dispatch to the chat domain, RECEIPTs, heart-beats, error handling and the slow-consumer
// policy. Lives on its connection's shard; blocking domain calls hop to the worker pool and back.
//
// Error policy (docs/protocol.md): protocol violations get an ERROR frame and the connection
// closes; an application refusal of a SEND keeps the session and answers on /user/queue/errors.
#include "chat/service.hpp"
#include "realtime/connection.hpp"
#include "realtime/hub.hpp"
#include "stomp/negotiation.hpp"
#include "stomp/parser.hpp"

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::realtime {

class session_deadlines;

struct session_options {
  stomp::limits frame_limits;
  // The server's heart-beat offer (API.md: 10000,10000).
  std::chrono::milliseconds heart_beat_send{10000};
  std::chrono::milliseconds heart_beat_expect{10000};
  // Time allowed between connection open and CONNECT: an unauthenticated socket costs memory.
  std::chrono::milliseconds connect_timeout{10000};
  // Subscriptions per session: rooms-per-user limit x 3 topics, plus the private queues.
  std::size_t max_subscriptions = 3 * 1000 + 8;
  // API.md: 20 messages/s sustained per session, burst 50.
  double send_rate_per_second = 20;
  double send_burst = 50;
};

struct session_context {
  chat::service& chat;
  boost::asio::thread_pool& workers;
  session_options options;
  // When set, a SUBSCRIBE's RECEIPT waits until this bus receives the destination
  // (chat::fanout::when_receiving); a bus that cannot tell in time ends the session UNAVAILABLE.
  chat::fanout* bus = nullptr;
};

class stomp_session final : public session_handler,
                            public subscriber,
                            public std::enable_shared_from_this<stomp_session> {
 public:
  // `local_hub` is the hub of the connection's shard, whose executor must be an io_context's.
  stomp_session(std::shared_ptr<connection> conn, hub& local_hub, session_context& ctx);
  ~stomp_session() override;
  void start();

  void on_data(std::string_view bytes) override;
  void on_close() override;
  std::optional<outbound> farewell() override;

  void deliver(const outbound& frame) override;
  void revoked(const std::string& subscription_id) override;
  const std::string& user_id() const override { return who_.user_id; }

 private:
  friend class session_deadlines;

  // One subscription: its id and hub key packed in one allocation ("<id>\0<hub key>\0"; STOMP
  // header values hold no NUL). A session may hold thousands, and a pair of std::strings would
  // be mostly empty inline buffers.
  class sub {
   public:
    sub(std::string_view id, bool errors);
    std::string_view id() const { return text_.get(); }
    // Empty while authorization is in flight, and for /user/queue/errors.
    std::string_view hub_key() const { return text_.get() + id().size() + 1; }
    void set_hub_key(std::string_view key);
    bool errors;  // the subscription app errors are delivered on

   private:
    std::unique_ptr<char[]> text_;
  };

  void on_frame(stomp::frame& f);
  void on_connect(const stomp::frame& f);
  void on_subscribe(const stomp::frame& f);
  void on_unsubscribe(const stomp::frame& f);
  void on_send(stomp::frame& f);
  // Ends the session with an ERROR frame: a protocol violation, or an application refusal that
  // leaves nothing to talk about (no credentials, a forbidden SUBSCRIBE).
  void fail(stomp::errc code, std::string_view message,
            std::optional<std::string_view> receipt = std::nullopt);
  void fail(core::errc code, std::string_view message,
            std::optional<std::string_view> receipt = std::nullopt);
  // drop_queued: discard frames still queued (a slow consumer) instead of flushing them first.
  void close_with_error(std::string_view code, std::string_view message,
                        std::optional<std::string_view> receipt, bool drop_queued);
  void send_frame(std::string frame);
  void send_receipt(const std::optional<std::string>& receipt, std::string_view message_id = {});
  void send_app_error(const core::problem& p, std::string_view destination,
                      const std::optional<std::string>& receipt);
  // Handles the frames parsed from the input so far, unless CONNECTED is still pending.
  void handle_input();
  // Tells the presence use case on a worker that this session closed.
  void post_closed();
  void arm_timer();
  void on_timer();
  bool take_send_token();
  // Runs `work` on the worker pool and `then(result)` back on this session's shard, unless the
  // session closed meanwhile.
  template <class Work, class Then>
  void off_thread(Work work, Then then);
  template <class Then>
  auto on_shard(Then then);
  std::vector<sub>::iterator find_sub(std::string_view id);

  std::shared_ptr<connection> conn_;
  hub& hub_;
  session_context& ctx_;
  stomp::parser parser_;
  stomp::version version_ = stomp::version::v1_2;
  bool connecting_ = false;  // CONNECT accepted, CONNECTED not yet sent (presence is counting)
  bool connected_ = false;
  bool closed_ = false;
  chat::identity who_;
  // A few per session (3 per room the client has open): a vector scanned by id is a fraction of a
  // hash map's memory, and lookups only happen on (UN)SUBSCRIBE.
  std::vector<sub> subs_;
  std::shared_ptr<const std::string> errors_prefix_;  // null: no /user/queue/errors subscription
  // The CONNECT and heart-beat deadline lives in the shard's one deadline queue, not in a timer
  // of its own: a timer and the wait it parks would be ~170 bytes of every idle session.
  session_deadlines& deadlines_;
  std::size_t deadline_slot_;  // position in the queue's heap; session_deadlines::none if absent
  stomp::heart_beat_intervals beats_{};
  std::chrono::steady_clock::time_point last_in_, last_out_;
  double tokens_;
  std::chrono::steady_clock::time_point tokens_at_;
  std::uint64_t error_seq_ = 0;
};

}  // namespace parley::realtime
