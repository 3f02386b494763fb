// raw_fanout: the machine's own limit for a fan-out, with nothing but sockets. A writer process
// (--threads threads, as many as Parley's shards) writes the same frame to each of N loopback
// sockets in turn, one write() per frame, or with --batch B one writev() of B frames per socket
// (what a server can do when several frames are queued for one socket). A drainer process (the
// stand-in for the clients, --reader-threads epoll loops) reads everything and counts bytes; the
// frames it received per second are the deliveries/s. The frame is --frame-bytes long: pass the
// size Parley's MESSAGE frames have on the wire (parley_bench reports it), so both move the same
// bytes. No WebSocket, STOMP or JSON work is done: this is the ceiling, not a competitor.
#include "common/sys.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace parley::bench {
namespace {

struct flags {
  std::size_t connections = 1000;
  std::size_t frame_bytes = 400;
  std::size_t batch = 1;
  unsigned threads = 2;
  unsigned reader_threads = 2;
  double warmup_s = 1, duration_s = 5;
  std::string label = "raw";
  std::string out_file;
};

// The drainer: accepts `n` connections, then reads until the writer closes them, reporting the
// bytes read between the two marks the parent sends (a byte on `control`).
[[noreturn]] void drainer(int listen_fd, const flags& f, int control, int report) {
  std::vector<int> fds;
  while (fds.size() < f.connections) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) fds.push_back(fd);
  }
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (unsigned t = 0; t < f.reader_threads; ++t)
    readers.emplace_back([&, t] {
      int ep = ::epoll_create1(0);
      for (std::size_t i = t; i < fds.size(); i += f.reader_threads) {
        epoll_event ev{EPOLLIN, {.fd = fds[i]}};
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
      }
      std::vector<char> buf(256 * 1024);
      std::vector<epoll_event> evs(1024);
      std::uint64_t local = 0;
      while (!stop) {
        int n = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 50);
        for (int i = 0; i < n; ++i)
          for (ssize_t r; (r = ::read(evs[i].data.fd, buf.data(), buf.size())) > 0;)
            local += static_cast<std::uint64_t>(r);
        bytes.fetch_add(local, std::memory_order_relaxed);
        local = 0;
      }
      ::close(ep);
    });
  char mark;
  std::uint64_t at[2];
  for (auto& a : at) {
    if (::read(control, &mark, 1) != 1) break;
    a = bytes.load();
  }
  std::uint64_t got = at[1] - at[0];
  [[maybe_unused]] auto w = ::write(report, &got, sizeof got);
  stop = true;
  for (auto& r : readers) r.join();
  std::_Exit(0);
}

int run(const flags& f) {
  raise_fd_limit();
  std::signal(SIGPIPE, SIG_IGN);
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  parse_ipv4("127.0.0.1", 0, addr);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 4096) != 0)
    throw std::runtime_error("listen failed");
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  int control[2], report[2];
  if (::pipe(control) != 0 || ::pipe(report) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) drainer(lfd, f, control[0], report[1]);
  ::close(lfd);

  // The writer's sockets are the server side of a real deployment: connect them from 127.0.0.x.
  std::vector<int> fds;
  for (std::size_t i = 0; i < f.connections; ++i) {
    int fd = connect_from_loopback(addr, static_cast<std::uint32_t>(i));
    if (fd < 0) throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    fds.push_back(fd);
  }
  for (int fd : fds) {  // wait for each connect to complete
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 5000);
  }

  std::string frame(f.frame_bytes, 'x');
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> eagain{0};
  std::vector<std::thread> writers;
  for (unsigned t = 0; t < f.threads; ++t)
    writers.emplace_back([&, t] {
      // Write to every writable socket in turn; a socket whose buffer is full waits in epoll
      // for EPOLLOUT (one-shot) instead of being retried, as an event-driven server does.
      std::vector<iovec> iov(f.batch, iovec{frame.data(), frame.size()});
      std::vector<int> ready, next;
      for (std::size_t i = t; i < fds.size(); i += f.threads) ready.push_back(fds[i]);
      int ep = ::epoll_create1(0);
      std::vector<char> registered(
          fds.size() ? static_cast<std::size_t>(*std::max_element(fds.begin(), fds.end())) + 1 : 0);
      std::vector<epoll_event> evs(1024);
      std::uint64_t full = 0;
      while (!stop) {
        next.clear();
        for (int fd : ready) {
          ssize_t r = f.batch == 1 ? ::write(fd, frame.data(), frame.size())
                                   : ::writev(fd, iov.data(), static_cast<int>(iov.size()));
          if (r >= 0) {
            next.push_back(fd);
            continue;
          }
          ++full;
          epoll_event ev{EPOLLOUT | EPOLLONESHOT, {.fd = fd}};
          ::epoll_ctl(ep, registered[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
          registered[fd] = 1;
        }
        ready.swap(next);
        int n = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), ready.empty() ? 50 : 0);
        for (int i = 0; i < n; ++i) ready.push_back(evs[i].data.fd);
      }
      ::close(ep);
      eagain += full;
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(f.warmup_s));
  auto cpu0 = sample_process(::getpid()).cpu_seconds;
  [[maybe_unused]] auto w1 = ::write(control[1], "m", 1);
  std::this_thread::sleep_for(std::chrono::duration<double>(f.duration_s));
  [[maybe_unused]] auto w2 = ::write(control[1], "m", 1);
  auto cpu1 = sample_process(::getpid()).cpu_seconds;
  stop = true;
  for (auto& w : writers) w.join();
  std::uint64_t bytes = 0;
  [[maybe_unused]] auto r = ::read(report[0], &bytes, sizeof bytes);
  for (int fd : fds) ::close(fd);
  ::waitpid(pid, nullptr, 0);

  double deliveries =
      static_cast<double>(bytes) / static_cast<double>(f.frame_bytes) / f.duration_s;
  boost::json::object out{{"target", "raw"},
                          {"scenario", "raw"},
                          {"label", f.label},
                          {"connections", f.connections},
                          {"frame_bytes", f.frame_bytes},
                          {"batch", f.batch},
                          {"threads", f.threads},
                          {"deliveries_per_s", deliveries},
                          {"writer_cpu_us_per_delivery",
                           deliveries > 0 ? 1e6 * (cpu1 - cpu0) / (deliveries * f.duration_s) : 0},
                          {"socket_full_waits", eagain.load()}};
  auto line = boost::json::serialize(out);
  std::cout << line << std::endl;
  if (!f.out_file.empty()) std::ofstream(f.out_file, std::ios::app) << line << "\n";
  return 0;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  parley::bench::flags f;
  CLI::App app{"raw_fanout: the same frame to N loopback sockets with epoll, write or writev"};
  app.add_option("--connections", f.connections, "sockets written to (and drained)");
  app.add_option("--frame-bytes", f.frame_bytes,
                 "bytes of one frame (Parley's MESSAGE on the wire)");
  app.add_option("--batch", f.batch, "frames per socket per system call (writev when > 1)");
  app.add_option("--threads", f.threads, "writer threads (Parley's shard count)");
  app.add_option("--reader-threads", f.reader_threads, "drainer event loops (the clients)");
  app.add_option("--warmup", f.warmup_s, "seconds before counting");
  app.add_option("--duration", f.duration_s, "seconds counted");
  app.add_option("--label", f.label, "name of this measurement in the results");
  app.add_option("--out", f.out_file, "append the result as a JSON line to this file");
  CLI11_PARSE(app, argc, argv);
  try {
    return parley::bench::run(f);
  } catch (const std::exception& e) {
    std::cerr << "raw_fanout: " << e.what() << "\n";
    return 1;
  }
}
