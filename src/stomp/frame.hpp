#pragma once
// One STOMP frame as the parser produces it and the serializer consumes it. Header names and
// values are stored unescaped; repeated headers are all kept, in wire order.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::stomp {

struct frame {
  std::string command;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first occurrence wins, as STOMP 1.2 requires for repeated headers.
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return std::string_view{v};
    return std::nullopt;
  }

  bool operator==(const frame&) const = default;
};

}  // namespace parley::stomp
