#pragma once
// Domain limits: each named, with its reason. Documented in docs/protocol.md.
#include <chrono>
#include <cstddef>

namespace parley::chat {

struct limits {
  std::size_t max_content_chars = 4000;      // API.md: TEXT content 1-4,000 characters
  std::size_t max_client_message_id = 64;    // API.md: idempotency key length
  std::size_t max_room_name_chars = 100;     // fits a header line in every client layout
  std::size_t max_description_chars = 1000;  // a paragraph, not a document
  std::size_t max_url_chars = 2048;          // media URLs (avatar, icon, IMAGE/FILE content)
  std::size_t max_rooms_per_user = 1000;     // bounds the room list and per-session subscriptions
  std::size_t max_members_per_room = 10000;  // bounds one fan-out; large rooms are benchmarked
  std::size_t max_initial_members = 500;     // memberIds in one create request
  std::size_t max_status_batch = 500;        // ids in one presence batch request
  int default_page_size = 20;                // API.md
  int max_page_size = 100;                   // API.md: size clamped to 100
  int default_cursor_limit = 50;             // API.md: after/before default
  int max_cursor_limit = 200;                // API.md: after/before maximum
  int max_failed_logins = 5;                 // per username per window (brute force)
  std::chrono::seconds failed_login_window{60};
  std::size_t max_search_chars = 64;  // API.md: q is 1-64 chars
};

}  // namespace parley::chat
