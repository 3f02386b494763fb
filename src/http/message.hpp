#pragma once
// Transport-neutral HTTP request/response for the REST layer, so handlers (and their tests) never
// see Beast types.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace parley::http {

struct request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request-target, e.g. "/users/search?q=al&page=0"
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;  // percent-decoded; last value wins
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote_address;

  std::optional<std::string> header(std::string_view name) const {
    for (auto& [k, v] : headers)
      if (k == name) return v;
    return std::nullopt;
  }
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

// Asynchronous REST handler: called on the connection's thread; must call `done` exactly once,
// from any thread (the transport posts it back to the connection).
using rest_handler = std::function<void(request, std::function<void(response)> done)>;

}  // namespace parley::http
