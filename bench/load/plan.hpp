#pragma once
// What one parley_bench run does: the options from the command line, the users it connects as,
// and which of them send. Built once in the coordinator before it forks, then read-only in every
// process and thread.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

enum class target_kind { parley, rabbitmq };
// none: nobody sends (idle); room_first: the first member of each connected user's first room
// (fan-out: one publisher per room); all: every connection sends to its first room (DMs, durable).
enum class sender_rule { none, room_first, all };

struct options {
  target_kind target = target_kind::parley;
  std::string path = "/ws/websocket";
  std::string users_file;
  std::string scenario = "fanout";
  std::string label;
  std::vector<std::size_t> steps;    // connection counts: the idle ladder, or one count
  std::size_t subscriptions = 1000;  // rooms each connection subscribes to (its first N)
  sender_rule senders = sender_rule::room_first;
  std::vector<double>
      rates;            // messages/s offered in total, a phase each; 0 = closed loop at the maximum
  unsigned repeat = 1;  // phases per rate, on the same connections
  unsigned window = 8;  // messages in flight per sender at most
  bool receipts = false;      // SEND with `receipt`; a message completes at its RECEIPT
  std::size_t payload = 100;  // characters of message content
  double warmup_s = 2, duration_s = 10;
  double settle_s = 2;                        // idle: pause before reading the server's memory
  unsigned threads = 2;                       // event loops per process
  std::size_t max_conns_per_process = 19000;  // under the 20,000 fd hard limit
  unsigned connect_concurrency = 64;          // handshakes in flight per event loop
  double connect_timeout_s = 180;
  // Server processes (a cluster's nodes and workers): RSS and CPU are their sums, CPU also each.
  std::vector<long> server_pids;
  std::string out_file;
};

struct user_entry {
  std::string token;
  std::vector<std::int64_t> rooms;
};

// One server address (--url): a cluster's nodes each have one.
struct endpoint {
  sockaddr_in address{};
  std::string host;         // the STOMP `host` header
  std::string host_header;  // the HTTP Host header: host:port
};

struct plan {
  options opt;
  std::vector<user_entry> users;  // index = connection number
  std::vector<std::uint8_t> sender;
  std::vector<endpoint> servers;  // connection i goes to servers[i % size]
  std::string nonce;  // makes clientMessageIds unique across runs on one database

  const endpoint& server_of(std::uint32_t connection) const {
    return servers[connection % servers.size()];
  }
};

// Reads `opt.users_file` (JSON lines from `parley admin mint-users`): the first `count` users.
// Throws std::runtime_error when the file is short or malformed.
std::vector<user_entry> load_users(const std::string& file, std::size_t count);

// Which connections send under `rule`.
std::vector<std::uint8_t> choose_senders(const std::vector<user_entry>& users, sender_rule rule);

}  // namespace parley::bench
