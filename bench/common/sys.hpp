#pragma once
// Small Linux helpers shared by the load generator and the raw baseline: the monotonic clock the
// latency stamps use (one clock for every process on the machine), the file-descriptor limit,
// loopback client sockets spread over 127.0.0.x, and the /proc readings a run reports.
#include <cstdint>
#include <string>

struct sockaddr_in;

namespace parley::bench {

// CLOCK_MONOTONIC in nanoseconds: comparable across the processes of one machine.
std::int64_t now_ns();

// Raises the soft RLIMIT_NOFILE to the hard limit (20,000 here); returns the new soft limit.
std::uint64_t raise_fd_limit();

// A non-blocking TCP socket with TCP_NODELAY, bound to 127.0.0.<2 + n % 253> with
// IP_BIND_ADDRESS_NO_PORT (the kernel picks the port at connect(), per source address, so one
// process can open far more than 28 k connections to one server port without the bind-time port
// search that costs ~3x the connect rate), and connect() started. Returns the fd or -1 (errno set).
int connect_from_loopback(const sockaddr_in& server, std::uint32_t n);

// Resolves "127.0.0.1:8080" style host:port (numeric IPv4 only).
bool parse_ipv4(const std::string& host, int port, sockaddr_in& out);

struct proc_sample {
  std::int64_t rss_kb = -1;  // VmRSS of the process: user-space memory resident
  double cpu_seconds = -1;   // utime + stime
};
proc_sample sample_process(long pid);

struct kernel_sample {
  std::int64_t slab_kb = -1;        // /proc/meminfo Slab: socket structures live here
  std::int64_t tcp_mem_pages = -1;  // /proc/net/sockstat TCP mem: socket buffers
  std::int64_t tcp_inuse = -1;
};
kernel_sample sample_kernel();

}  // namespace parley::bench
