#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace parley::core {

using time_point = std::chrono::system_clock::time_point;

// Injectable clock: production uses the system clock; tests advance a manual one.
class clock {
 public:
  virtual ~clock() = default;
  virtual time_point now() const = 0;
};

class system_clock final : public clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
};

// `2026-11-27T10:00:00.123Z` (always milliseconds, always UTC).
std::string iso8601(time_point t);
std::optional<time_point> parse_iso8601(std::string_view s);
std::int64_t epoch_ms(time_point t);
time_point from_epoch_ms(std::int64_t ms);

}  // namespace parley::core
