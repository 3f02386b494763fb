#include "load/worker.hpp"

#include "common/sys.hpp"
#include "stomp/serializer.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>

namespace parley::bench {

namespace {

// One recv() reads at most this much; a socket gets a few reads per wake-up before the loop moves
// on, so one busy connection cannot starve the others.
constexpr std::size_t read_chunk = 256 * 1024;
constexpr int max_reads_per_event = 4;
// An empty per-connection buffer larger than this gives its memory back: 19 k idle connections
// must not each keep a burst's worth of capacity.
constexpr std::size_t idle_buffer_bytes = 4096;
constexpr std::uint64_t wake_token = ~std::uint64_t{0};
constexpr std::int64_t max_sleep_ns = 100'000'000;
// The first few failures per process are printed; the rest are only counted.
constexpr int max_logged = 8;
std::atomic<int> logged{0};

constexpr std::string_view marker = "@b c=";
constexpr std::string_view errors_subscription = "e";

enum class conn_state : std::uint8_t {
  tcp_connecting,
  upgrading,
  stomp_connecting,
  subscribing,
  ready,
  closed
};

void log_once(const std::string& what) {
  if (logged.fetch_add(1) < max_logged) std::cerr << "parley_bench: " << what << "\n";
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  return std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc{};
}

void release(std::string& s) {
  if (s.empty() && s.capacity() > idle_buffer_bytes) std::string().swap(s);
}

}  // namespace

struct worker::conn {
  int fd = -1;
  std::uint32_t index = 0;  // connection number = user index in the plan
  std::uint32_t slot = 0;   // position in conns_, the epoll cookie
  conn_state st = conn_state::tcp_connecting;
  bool sender = false;
  bool want_out = false;
  std::uint32_t subs_pending = 0;
  std::uint32_t in_flight = 0;
  std::uint64_t seq = 0;
  std::string in;      // undecoded bytes: the HTTP response head, then a partial WebSocket frame
  std::string stream;  // STOMP bytes not yet forming a whole frame
  std::string out;     // bytes the socket would not take yet
  std::string accept;  // expected Sec-WebSocket-Accept while upgrading
};

void counters::merge(const counters& o) {
  connected += o.connected;
  failed += o.failed;
  sent += o.sent;
  skipped += o.skipped;
  delivered += o.delivered;
  delivered_bytes += o.delivered_bytes;
  receipts += o.receipts;
  app_errors += o.app_errors;
  stomp_errors += o.stomp_errors;
  dropped += o.dropped;
  delivery_latency.merge(o.delivery_latency);
  receipt_latency.merge(o.receipt_latency);
}

worker::worker(const plan& p, unsigned id)
    : plan_(p),
      id_(id),
      rng_(0x9E3779B97F4A7C15ull * (now_ns() ^ (std::uint64_t{id} << 32) ^ ::getpid())) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = wake_token;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  read_buf_.resize(read_chunk);
  thread_ = std::thread([this] { loop(); });
}

worker::~worker() {
  stop_ = true;
  post([] {});
  thread_.join();
  for (auto& c : conns_)
    if (c && c->fd >= 0) ::close(c->fd);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void worker::post(std::function<void()> cmd) {
  {
    std::lock_guard lock(commands_mutex_);
    commands_.push_back(std::move(cmd));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void worker::run_commands() {
  std::uint64_t drained;
  [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
  std::vector<std::function<void()>> cmds;
  {
    std::lock_guard lock(commands_mutex_);
    cmds.swap(commands_);
  }
  for (auto& cmd : cmds) cmd();
}

void worker::connect(std::vector<std::uint32_t> indices) {
  done_.store(false, std::memory_order_release);
  post([this, indices = std::move(indices)]() mutable {
    to_open_ = std::move(indices);
    next_to_open_ = 0;
    phase_ = phase::connecting;
    connect_deadline_ = now_ns() + static_cast<std::int64_t>(plan_.opt.connect_timeout_s * 1e9);
    start_more_connects();
  });
}

void worker::run_traffic(traffic t) {
  done_.store(false, std::memory_order_release);
  post([this, t] {
    traffic_ = t;
    phase_ = phase::traffic;
    sending_ = ended_ = false;
    due_.clear();
    if (t.interval_ns > 0) {
      for (auto& c : conns_) {
        if (!c || c->st != conn_state::ready || !c->sender) continue;
        // Spread the senders' first sends over one interval (golden-ratio hashing).
        auto offset = static_cast<std::int64_t>((c->index * 0x9E3779B97F4A7C15ull) %
                                                static_cast<std::uint64_t>(t.interval_ns));
        due_.emplace_back(t.start_ns + offset, c->slot);
      }
      std::make_heap(due_.begin(), due_.end(), std::greater<>{});
    }
  });
}

void worker::close_all() {
  done_.store(false, std::memory_order_release);
  post([this] {
    for (auto& c : conns_)
      if (c && c->fd >= 0) ::close(c->fd);
    conns_.clear();
    in_flight_ = 0;
    finish_phase();
  });
}

counters worker::take() {
  counters out = std::move(c_);
  c_ = counters{};
  return out;
}

void worker::finish_phase() {
  phase_ = phase::idle;
  done_.store(true, std::memory_order_release);
}

void worker::loop() {
  std::vector<epoll_event> events(1024);
  while (!stop_) {
    auto now = now_ns();
    auto wait = std::clamp<std::int64_t>(next_wakeup(now) - now, 0, max_sleep_ns);
    timespec ts{wait / 1'000'000'000, wait % 1'000'000'000};
    int n = ::epoll_pwait2(epoll_fd_, events.data(), static_cast<int>(events.size()), &ts, nullptr);
    bool commands = false;
    for (int i = 0; i < n; ++i) {
      auto cookie = events[i].data.u64;
      if (cookie == wake_token) {
        commands = true;
        continue;
      }
      if (cookie < conns_.size() && conns_[cookie] && conns_[cookie]->st != conn_state::closed)
        on_event(*conns_[cookie], events[i].events);
    }
    if (commands) run_commands();
    tick(now_ns());
  }
}

std::int64_t worker::next_wakeup(std::int64_t now) const {
  std::int64_t t = now + max_sleep_ns;
  if (phase_ == phase::connecting) t = std::min(t, connect_deadline_);
  if (phase_ == phase::traffic) {
    if (!sending_ && !ended_) t = std::min(t, traffic_.start_ns);
    if (sending_) {
      t = std::min(t, traffic_.end_ns);
      if (!due_.empty()) t = std::min(t, due_.front().first);
    }
    if (ended_) t = std::min(t, traffic_.end_ns + traffic_.drain_ns);
  }
  return t;
}

void worker::tick(std::int64_t now) {
  if (phase_ == phase::connecting && now >= connect_deadline_) {
    for (auto& c : conns_)
      if (c && c->st != conn_state::ready && c->st != conn_state::closed)
        fail(*c, "connect timeout");
    c_.failed += to_open_.size() - next_to_open_;
    next_to_open_ = to_open_.size();
    start_more_connects();
    return;
  }
  if (phase_ != phase::traffic) return;
  if (!sending_ && !ended_ && now >= traffic_.start_ns) {
    sending_ = true;
    if (traffic_.interval_ns == 0)
      for (auto& c : conns_)
        if (c && c->sender && c->st == conn_state::ready)
          while (c->in_flight < plan_.opt.window && c->st == conn_state::ready)
            send_message(*c, now_ns());
  }
  if (sending_ && now >= traffic_.end_ns) {
    sending_ = false;
    ended_ = true;
  }
  while (sending_ && !due_.empty() && due_.front().first <= now) {
    std::pop_heap(due_.begin(), due_.end(), std::greater<>{});
    auto [due, slot] = due_.back();
    due_.pop_back();
    auto& c = *conns_[slot];
    if (c.st != conn_state::ready) continue;
    // Open loop: a late send still goes (no coordinated omission) unless the window is full.
    if (c.in_flight < plan_.opt.window)
      send_message(c, now_ns());
    else if (measuring(now))
      ++c_.skipped;
    due_.emplace_back(due + traffic_.interval_ns, slot);
    std::push_heap(due_.begin(), due_.end(), std::greater<>{});
  }
  if (ended_ && (in_flight_ == 0 || now >= traffic_.end_ns + traffic_.drain_ns)) finish_phase();
}

void worker::start_more_connects() {
  while (opening_ < plan_.opt.connect_concurrency && next_to_open_ < to_open_.size()) {
    auto index = to_open_[next_to_open_++];
    int fd = connect_from_loopback(plan_.server_of(index).address, index);
    if (fd < 0) {
      ++c_.failed;
      log_once(std::string("connect: ") + std::strerror(errno));
      continue;
    }
    auto c = std::make_unique<conn>();
    c->fd = fd;
    c->index = index;
    c->slot = static_cast<std::uint32_t>(conns_.size());
    c->sender = plan_.sender[index];
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = c->slot;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    conns_.push_back(std::move(c));
    ++opening_;
  }
  if (phase_ == phase::connecting && opening_ == 0 && next_to_open_ == to_open_.size())
    finish_phase();
}

void worker::on_event(conn& c, std::uint32_t events) {
  if (c.st == conn_state::tcp_connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return fail(c, std::string("connect: ") + std::strerror(err));
    if (!(events & EPOLLOUT)) return;
    auto key = make_ws_key(rng_ += 0x9E3779B97F4A7C15ull);
    c.accept = std::move(key.accept);
    c.st = conn_state::upgrading;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c.slot;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
    return send_raw(c, upgrade_request(plan_.server_of(c.index).host_header, plan_.opt.path,
                                       key.key, "v12.stomp"));
  }
  if (events & EPOLLOUT) flush(c);
  if (c.st != conn_state::closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(c);
}

void worker::on_readable(conn& c) {
  for (int k = 0; k < max_reads_per_event && c.st != conn_state::closed; ++k) {
    auto n = ::recv(c.fd, read_buf_.data(), read_buf_.size(), 0);
    if (n > 0) {
      on_input(c, std::string_view(read_buf_.data(), static_cast<std::size_t>(n)));
      if (static_cast<std::size_t>(n) < read_buf_.size()) break;
    } else if (n == 0) {
      fail(c, "server closed the connection");
    } else if (errno == EAGAIN || errno == EINTR) {
      break;
    } else {
      fail(c, std::string("recv: ") + std::strerror(errno));
    }
  }
  if (c.st == conn_state::closed) {
    std::string().swap(c.in);
    std::string().swap(c.stream);
    std::string().swap(c.out);
  }
}

void worker::on_input(conn& c, std::string_view data) {
  bool buffered = !c.in.empty();
  if (buffered) c.in.append(data);
  std::string_view buf = buffered ? std::string_view(c.in) : data;
  std::size_t used = 0;
  if (c.st == conn_state::upgrading) {
    std::string why;
    switch (check_upgrade_response(buf, c.accept, used, why)) {
      case http_status::incomplete:
        if (!buffered) c.in.assign(data);
        return;
      case http_status::failed:
        return fail(c, "WebSocket upgrade refused: " + why);
      case http_status::ok:
        break;
    }
    std::string().swap(c.accept);
    c.st = conn_state::stomp_connecting;
    stomp::frame f{"CONNECT", {{"accept-version", "1.2"}, {"heart-beat", "0,0"}}, {}};
    if (plan_.opt.target == target_kind::parley) {
      f.headers.emplace_back("host", plan_.server_of(c.index).host);
      f.headers.emplace_back("Authorization", "Bearer " + plan_.users[c.index].token);
    } else {
      f.headers.emplace_back("host", "/");
      f.headers.emplace_back("login", "guest");
      f.headers.emplace_back("passcode", "guest");
    }
    send_text(c, stomp::serialize(f));
  }
  if (c.st != conn_state::closed) used += on_ws_bytes(c, buf.substr(used));
  if (c.st == conn_state::closed) return;
  if (buffered)
    c.in.erase(0, used);
  else
    c.in.assign(buf.substr(used));
  release(c.in);
}

std::size_t worker::on_ws_bytes(conn& c, std::string_view bytes) {
  std::size_t pos = 0;
  while (c.st != conn_state::closed) {
    ws_frame f{};
    auto r = decode_server_frame(bytes.substr(pos), f);
    if (r == 0) break;
    if (r < 0) {
      fail(c, "malformed WebSocket frame from the server");
      break;
    }
    pos += static_cast<std::size_t>(r);
    switch (f.op) {
      case ws_opcode::text:
      case ws_opcode::binary:
      case ws_opcode::continuation:
        on_stream(c, f.payload);  // STOMP is a byte stream across messages
        break;
      case ws_opcode::ping:
        ws_buf_.clear();
        append_client_frame(ws_buf_, ws_opcode::pong, f.payload,
                            static_cast<std::uint32_t>(rng_ += 0x9E3779B97F4A7C15ull));
        send_raw(c, ws_buf_);
        break;
      case ws_opcode::close:
        fail(c, "server sent a WebSocket close");
        break;
      default:
        break;
    }
  }
  return pos;
}

void worker::on_stream(conn& c, std::string_view payload) {
  bool buffered = !c.stream.empty();
  if (buffered) c.stream.append(payload);
  std::string_view buf = buffered ? std::string_view(c.stream) : payload;
  std::size_t pos = 0;
  while (c.st != conn_state::closed) {
    stomp_view f;
    auto r = scan_stomp_frame(buf.substr(pos), f);
    if (r == 0) break;
    if (r < 0) return fail(c, "malformed STOMP frame from the server");
    pos += static_cast<std::size_t>(r);
    if (!f.command.empty()) on_frame(c, f);
  }
  if (c.st == conn_state::closed) return;
  if (buffered)
    c.stream.erase(0, pos);
  else
    c.stream.assign(buf.substr(pos));
  release(c.stream);
}

void worker::on_frame(conn& c, const stomp_view& f) {
  if (f.command == "MESSAGE") return on_message(c, f);
  if (f.command == "RECEIPT") {
    auto id = f.header("receipt-id");
    if (id.starts_with('s')) {
      if (c.subs_pending && --c.subs_pending == 0 && c.st == conn_state::subscribing)
        became_ready(c);
    } else if (id.starts_with('r')) {
      std::int64_t sent_at = 0;
      auto now = now_ns();
      if (parse_number(id.substr(1), sent_at) && measuring(now)) {
        ++c_.receipts;
        c_.receipt_latency.record(static_cast<std::uint64_t>(now - sent_at));
      }
      complete_one(c);
    }
    return;
  }
  if (f.command == "CONNECTED") {
    if (c.st == conn_state::stomp_connecting) subscribe_all(c);
    return;
  }
  if (f.command == "ERROR") {
    ++c_.stomp_errors;
    return fail(
        c, "ERROR " + std::string(f.header("message")) + " " + std::string(f.body.substr(0, 200)),
        false);
  }
}

void worker::on_message(conn& c, const stomp_view& f) {
  if (f.header("subscription") == errors_subscription) {
    ++c_.app_errors;
    log_once("application error: " + std::string(f.body.substr(0, 200)));
    return complete_one(c);  // the refused SEND will not come back as a MESSAGE
  }
  auto at = f.body.find(marker);
  if (at == std::string_view::npos) return;
  auto rest = f.body.substr(at + marker.size());
  std::uint32_t from = 0;
  std::int64_t sent_at = 0;
  auto t = rest.find(" t=");
  if (t == std::string_view::npos || !parse_number(rest.substr(0, t), from)) return;
  auto ts = rest.substr(t + 3);
  ts = ts.substr(0, ts.find(' '));
  if (!parse_number(ts, sent_at)) return;
  auto now = now_ns();
  if (measuring(now)) {
    ++c_.delivered;
    c_.delivered_bytes += f.wire_bytes;
    c_.delivery_latency.record(
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - sent_at)));
  }
  if (from == c.index && !plan_.opt.receipts) complete_one(c);
}

void worker::complete_one(conn& c) {
  if (c.in_flight == 0) return;
  --c.in_flight;
  --in_flight_;
  if (sending_ && traffic_.interval_ns == 0)
    while (c.st == conn_state::ready && c.in_flight < plan_.opt.window) send_message(c, now_ns());
}

void worker::subscribe_all(conn& c) {
  const auto& rooms = plan_.users[c.index].rooms;
  auto n = std::min(plan_.opt.subscriptions, rooms.size());
  bool parley = plan_.opt.target == target_kind::parley;
  c.st = conn_state::subscribing;
  c.subs_pending = static_cast<std::uint32_t>(n);
  for (std::size_t k = 0; k < n; ++k) {
    auto id = std::to_string(k);
    auto dest = (parley ? "/topic/rooms/" : "/topic/room.") + std::to_string(rooms[k]);
    send_text(c, stomp::serialize(
                     {"SUBSCRIBE",
                      {{"destination", dest}, {"id", id}, {"ack", "auto"}, {"receipt", "s" + id}},
                      {}}));
  }
  // A refused SEND is answered on /user/queue/errors, not with a RECEIPT: listen, so a sender's
  // window does not wait forever for it.
  if (parley && c.sender) {
    ++c.subs_pending;
    send_text(c, stomp::serialize({"SUBSCRIBE",
                                   {{"destination", "/user/queue/errors"},
                                    {"id", std::string(errors_subscription)},
                                    {"receipt", "se"}},
                                   {}}));
  }
  if (c.subs_pending == 0) became_ready(c);
}

void worker::became_ready(conn& c) {
  c.st = conn_state::ready;
  ++c_.connected;
  --opening_;
  start_more_connects();
}

void worker::send_message(conn& c, std::int64_t now) {
  const auto room = plan_.users[c.index].rooms.front();
  const auto& opt = plan_.opt;
  frame_buf_.clear();
  frame_buf_.append(marker)
      .append(std::to_string(c.index))
      .append(" t=")
      .append(std::to_string(now))
      .append(" ");
  if (frame_buf_.size() < opt.payload) frame_buf_.append(opt.payload - frame_buf_.size(), 'x');
  std::string body;
  body.reserve(frame_buf_.size() + 96);
  body.append(R"({"chatRoomId":)")
      .append(std::to_string(room))
      .append(R"(,"content":")")
      .append(frame_buf_);
  body.append(R"(","clientMessageId":")")
      .append(plan_.nonce)
      .append("-")
      .append(std::to_string(c.index));
  body.append("-").append(std::to_string(c.seq++)).append(R"("})");
  stomp::frame f{"SEND", {}, std::move(body)};
  if (opt.target == target_kind::parley) {
    f.headers.emplace_back("destination", "/app/chat.sendMessage");
  } else if (opt.receipts) {
    // Durable on RabbitMQ: a persistent message to a durable queue, confirmed (and so receipted)
    // once it is on disk.
    f.headers.emplace_back("destination", "/queue/bench." + std::to_string(room));
    f.headers.emplace_back("persistent", "true");
  } else {
    f.headers.emplace_back("destination", "/topic/room." + std::to_string(room));
  }
  f.headers.emplace_back("content-type", "application/json");
  if (opt.receipts) f.headers.emplace_back("receipt", "r" + std::to_string(now));
  ++c.in_flight;
  ++in_flight_;
  if (measuring(now)) ++c_.sent;
  send_text(c, stomp::serialize(f));
}

void worker::send_text(conn& c, std::string_view stomp_frame) {
  ws_buf_.clear();
  append_client_frame(ws_buf_, ws_opcode::text, stomp_frame,
                      static_cast<std::uint32_t>((rng_ += 0x9E3779B97F4A7C15ull) >> 17));
  send_raw(c, ws_buf_);
}

void worker::send_raw(conn& c, std::string_view bytes) {
  if (c.st == conn_state::closed) return;
  if (!c.out.empty()) {
    c.out.append(bytes);
    return;
  }
  auto n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(bytes.size())) return;
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR)
      return fail(c, std::string("send: ") + std::strerror(errno));
    n = 0;
  }
  c.out.assign(bytes.substr(static_cast<std::size_t>(n)));
  if (!c.want_out) {
    c.want_out = true;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = c.slot;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }
}

void worker::flush(conn& c) {
  while (!c.out.empty()) {
    auto n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return fail(c, std::string("send: ") + std::strerror(errno));
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  release(c.out);
  if (c.want_out) {
    c.want_out = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c.slot;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }
}

void worker::fail(conn& c, const std::string& why, bool count_error) {
  if (c.st == conn_state::closed) return;
  bool opening = c.st != conn_state::ready;
  ::close(c.fd);
  c.fd = -1;
  c.st = conn_state::closed;
  in_flight_ -= c.in_flight;
  c.in_flight = 0;
  if (opening) {
    ++c_.failed;
    --opening_;
  } else {
    ++c_.dropped;
  }
  if (count_error || opening) log_once("connection " + std::to_string(c.index) + ": " + why);
  if (opening) start_more_connects();
}

}  // namespace parley::bench
