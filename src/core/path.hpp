#pragma once
// The non-empty segments of a URL path: "/chat//rooms/7" → {"chat", "rooms", "7"}. Views into
// `path`, which must outlive them.
#include <string_view>
#include <vector>

namespace parley::core {

std::vector<std::string_view> path_segments(std::string_view path);

}  // namespace parley::core
