#include "server/startup.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <stdexcept>

#include <unistd.h>

extern char** environ;

namespace parley::server {

namespace {

// `%j`: the log message escaped for a JSON string, so every line stays valid JSON whatever the
// message contains.
class json_message_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char hex[] = "0123456789abcdef";
    for (char ch : std::string_view(msg.payload.data(), msg.payload.size())) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(ch);
      } else if (c < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        dest.append(esc, esc + 6);
      } else {
        dest.push_back(ch);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message_flag>();
  }
};

}  // namespace

config::config load_config(const std::string& file) {
  config::config cfg;
  if (!file.empty())
    if (auto err = config::load_file(cfg, file)) throw std::runtime_error(*err);
  if (auto err = config::load_env(cfg, environ)) throw std::runtime_error(*err);
  return cfg;
}

void setup_logging(const config::log_config& c) {
  auto logger = spdlog::stdout_logger_mt("parley");
  if (c.format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<json_message_flag>('j').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","thread":%t,"msg":"%j"})");
    logger->set_formatter(std::move(f));
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(c.level));
  spdlog::flush_every(std::chrono::seconds(1));
}

std::pair<std::string, unsigned short> split_listen(const std::string& listen, const char* key) {
  auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* end = listen.data() + listen.size();
    auto [p, ec] = std::from_chars(listen.data() + colon + 1, end, port);
    if (ec != std::errc{} || p != end) port = -1;
  }
  if (colon == std::string::npos || port < 0 || port > 65535)
    throw std::runtime_error(std::string(key) + " must be host:port (port 0-65535)");
  return {listen.substr(0, colon), static_cast<unsigned short>(port)};
}

redis::options redis_options(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw std::runtime_error("cluster.redis must be host:port");
  redis::options o;
  o.host = address.substr(0, colon);
  int port = std::stoi(address.substr(colon + 1));
  if (port <= 0 || port > 65535) throw std::runtime_error("cluster.redis port out of range");
  o.port = static_cast<std::uint16_t>(port);
  return o;
}

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::string default_node_id(const std::string& listen) {
  return host_name() + "-" + listen.substr(listen.rfind(':') + 1);
}

}  // namespace parley::server
