#pragma once
// One connection to a Redis server, over Asio, with hiredis's RESP reader.
//
// Pipelined: commands queued while a write is in flight go out together in the next write, and
// replies come back to their handlers in command order. A connection in subscriber mode also
// hands pub/sub pushes (message, subscribe and unsubscribe confirmations) to its push handler.
//
// Failure policy: when the connection is lost, every command written or queued fails (its handler
// gets nullopt) and the connection retries with a growing delay; after each (re)connect the ready
// handler runs first, before anything else is written (a subscriber resubscribes there). While it
// is down, new commands fail at once: no caller waits on a dead server, and nothing is resent
// behind its back (a resent PUBLISH or INCR would count twice).
//
// Threads: send() may be called from any thread; everything else, handlers included, runs on the
// connection's strand.
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::redis {

struct reply {
  enum class type : std::uint8_t { nil, status, error, integer, string, array };
  type kind = type::nil;
  std::string str;  // status, error or string
  long long integer = 0;
  std::vector<reply> elements;

  bool is_error() const noexcept { return kind == type::error; }
};

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string password;  // AUTH when not empty
  std::chrono::milliseconds connect_timeout{2000};
  // The delay before a reconnect starts here and doubles up to the maximum.
  std::chrono::milliseconds retry_min{50};
  std::chrono::milliseconds retry_max{2000};
  // Bytes written but not yet answered, plus bytes queued: past this, send() fails at once
  // instead of growing without bound while the server is slow.
  std::size_t max_queued_bytes = 64u << 20;
  std::string name;  // CLIENT SETNAME, so an operator can tell the connections apart
};

using command = std::vector<std::string>;
// nullopt: the command was not sent, or the connection was lost before its reply.
using reply_handler = std::function<void(std::optional<reply>)>;

class connection : public std::enable_shared_from_this<connection> {
 public:
  enum class mode : std::uint8_t { commands, subscriber };

  static std::shared_ptr<connection> create(boost::asio::any_io_executor ex, options o,
                                            mode m = mode::commands);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Set before start().
  void on_ready(std::function<void()> f);
  void on_push(std::function<void(reply)> f);
  // When a connection that was up is lost (before the retries start).
  void on_down(std::function<void()> f);
  // After the replies of one read were handled (a bus hands them on as one batch).
  void on_read_done(std::function<void()> f);

  void start();
  // Closes for good; what is pending fails. Returns at once.
  void stop();

  // Thread-safe. An empty handler is allowed: the reply is read and dropped.
  void send(command c, reply_handler h = {});
  // Several commands in one hop to the strand and one write.
  void send(std::vector<command> cs);
  // The same, each with its own reply handler.
  void send(std::vector<std::pair<command, reply_handler>> cs);
  // Subscriber mode: SUBSCRIBE/UNSUBSCRIBE, whose answers come as pushes. Call on the strand
  // (from a handler) or from any thread.
  void send_subscription(command c);

  bool connected() const noexcept;
  boost::asio::any_io_executor executor() const;

 private:
  struct impl;
  connection(boost::asio::any_io_executor ex, options o, mode m);
  std::shared_ptr<impl> p_;  // shared with its own pending handlers, which may outlive us
};

// Sends `c` and waits for its reply, for callers that may block (worker threads; never the
// connection's own thread). nullopt when the connection fails or `timeout` passes.
std::optional<reply> call(connection& conn, command c,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// The same for several commands, pipelined in one write: one reply per command, in order; nullopt
// for each that failed or was not answered within `timeout`.
std::vector<std::optional<reply>> call(
    connection& conn, std::vector<command> cs,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// RESP encoding of one command (an array of bulk strings).
void append_command(std::string& out, const command& c);

}  // namespace parley::redis
