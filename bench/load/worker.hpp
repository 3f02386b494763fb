#pragma once
// One event-loop thread of the load generator: an epoll loop that owns a set of client
// connections (TCP → WebSocket upgrade → STOMP CONNECT → SUBSCRIBE with receipts → ready), opens
// them a few dozen at a time, and drives the send schedule of its senders. Nothing is shared
// between workers but the read-only plan; the process's main thread hands each worker a command
// through post() and polls done() for the end of a phase.
//
// Latency: every sent message carries CLOCK_MONOTONIC nanoseconds in its content
// ("@b c=<connection> t=<ns>"); a receiver subtracts it from its own clock on arrival. A receipt
// id carries the same stamp, so durable sends are timed without per-message state.
#include "common/histogram.hpp"
#include "load/plan.hpp"
#include "load/wire.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::bench {

struct traffic {
  std::int64_t start_ns = 0;              // senders begin
  std::int64_t measure_ns = 0;            // counting begins (after the warm-up)
  std::int64_t end_ns = 0;                // senders stop; counting ends
  std::int64_t interval_ns = 0;           // per sender between sends; 0 = keep `window` in flight
  std::int64_t drain_ns = 3'000'000'000;  // wait for messages in flight after end_ns
};

struct counters {
  std::uint64_t connected = 0, failed = 0;
  std::uint64_t sent = 0, skipped = 0;  // skipped: the window was full when a send was due
  std::uint64_t delivered = 0, delivered_bytes = 0, receipts = 0;
  std::uint64_t app_errors = 0, stomp_errors = 0, dropped = 0;
  histogram delivery_latency;  // ns, send → MESSAGE at each receiver
  histogram receipt_latency;   // ns, send → RECEIPT at the sender

  void merge(const counters& o);
};

class worker {
 public:
  worker(const plan& p, unsigned id);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Phases. Each runs on the worker thread; done() turns true when it is over.
  void connect(std::vector<std::uint32_t> indices);
  void run_traffic(traffic t);
  void close_all();

  bool done() const { return done_.load(std::memory_order_acquire); }
  // The phase's counters (call once done()).
  counters take();

 private:
  struct conn;
  enum class phase { idle, connecting, traffic };

  void post(std::function<void()> cmd);
  void loop();
  void run_commands();
  void on_event(conn& c, std::uint32_t events);
  void on_readable(conn& c);
  void on_input(conn& c, std::string_view data);
  std::size_t on_ws_bytes(conn& c, std::string_view bytes);
  void on_stream(conn& c, std::string_view payload);
  void on_frame(conn& c, const stomp_view& f);
  void on_message(conn& c, const stomp_view& f);
  void complete_one(conn& c);
  void send_text(conn& c, std::string_view stomp_frame);
  void send_raw(conn& c, std::string_view bytes);
  void flush(conn& c);
  void send_message(conn& c, std::int64_t now);
  void subscribe_all(conn& c);
  void became_ready(conn& c);
  void fail(conn& c, const std::string& why, bool count_error = true);
  void start_more_connects();
  void tick(std::int64_t now);
  std::int64_t next_wakeup(std::int64_t now) const;
  void finish_phase();
  bool measuring(std::int64_t t) const { return t >= traffic_.measure_ns && t < traffic_.end_ns; }

  const plan& plan_;
  unsigned id_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::uint64_t rng_;

  std::vector<std::unique_ptr<conn>> conns_;
  std::vector<std::uint32_t> to_open_;
  std::size_t next_to_open_ = 0;
  std::size_t opening_ = 0;
  std::int64_t connect_deadline_ = 0;

  phase phase_ = phase::idle;
  traffic traffic_;
  bool sending_ = false;
  bool ended_ = false;
  std::uint64_t in_flight_ = 0;
  std::vector<std::pair<std::int64_t, std::uint32_t>> due_;  // min-heap of (time, conn slot)
  counters c_;

  std::string read_buf_;
  std::string frame_buf_;
  std::string ws_buf_;

  std::mutex commands_mutex_;
  std::vector<std::function<void()>> commands_;
  std::atomic<bool> done_{true};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace parley::bench
