#pragma once
// REST routing: maps each API.md path to a chat::service use case. Thin by design: parse the path,
// authenticate, call the domain, turn a problem into the API's error JSON. Runs on worker threads.
#include "chat/service.hpp"
#include "http/message.hpp"

#include <atomic>
#include <functional>

namespace parley::media {
class service;
}

namespace parley::server {

struct rest_probes {
  std::function<bool()> ready;           // /readyz
  std::function<std::string()> metrics;  // /metrics body (Prometheus text)
};

class rest_api {
 public:
  // `media` serves /storage/presigned-url and /media/{key}; without it they answer 501/404.
  rest_api(chat::service& chat, rest_probes probes, media::service* media = nullptr)
      : chat_(chat), probes_(std::move(probes)), media_(media) {}
  http::response handle(const http::request& req);

 private:
  http::response route(const http::request& req);
  chat::service& chat_;
  rest_probes probes_;
  media::service* media_;
};

http::response error_response(const core::problem& p);

}  // namespace parley::server
