#include "core/time.hpp"

#include <cstdio>
#include <ctime>

namespace parley::core {

std::int64_t epoch_ms(time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

time_point from_epoch_ms(std::int64_t ms) { return time_point{std::chrono::milliseconds{ms}}; }

std::string iso8601(time_point t) {
  auto ms = epoch_ms(t);
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999) {  // outside the fixed-width form: let printf widen it
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
  }
  // Formatted by hand: snprintf showed up on the per-message path.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&](std::size_t at, int v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) out[at + static_cast<std::size_t>(i)] = char('0' + v % 10);
  };
  put(0, year, 4);
  put(5, tm.tm_mon + 1, 2);
  put(8, tm.tm_mday, 2);
  put(11, tm.tm_hour, 2);
  put(14, tm.tm_min, 2);
  put(17, tm.tm_sec, 2);
  put(20, frac, 3);
  return out;
}

std::optional<time_point> parse_iso8601(std::string_view s) {
  int y, mo, d, h, mi, sec, used = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) <
          6 ||
      used == 0)
    return std::nullopt;
  // The fraction is decimal: ".5" is 500 ms. Digits past milliseconds are truncated.
  std::string_view rest = s.substr(static_cast<std::size_t>(used));
  int frac = 0;
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
      if (digits < 3) frac = frac * 10 + (rest[digits] - '0');
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 3; ++i) frac *= 10;
    rest.remove_prefix(digits);
  }
  if (rest != "Z") return std::nullopt;  // UTC only: an offset must not be read as Z
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t secs = timegm(&tm);
  return from_epoch_ms(static_cast<std::int64_t>(secs) * 1000 + frac);
}

}  // namespace parley::core
