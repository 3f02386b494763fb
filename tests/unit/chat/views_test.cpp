// views::message_text writes the message JSON by hand for speed; it must stay byte-identical to
// serializing views::message with Boost.JSON, for every content a client can send.
#include "chat/views.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <random>
#include <string>

namespace parley::chat {
namespace {

chat::message sample(std::string content, std::optional<std::string> client_id) {
  chat::message m;
  m.message_id = "01JDZ6Y9N3S1D8Q4K2X7V5B0M9";
  m.chat_id = 4242;
  m.seq = 17;
  m.user_id = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
  m.content = std::move(content);
  m.type = chat::message_type::text;
  m.status = chat::message_status::delivered;
  m.timestamp = core::from_epoch_ms(1795773600123);
  m.edited = false;
  m.client_message_id = std::move(client_id);
  return m;
}

void expect_same(const chat::message& m) {
  EXPECT_EQ(views::message_text(m), boost::json::serialize(views::message(m)));
}

TEST(views, message_text_matches_boost_json_for_tricky_content) {
  expect_same(sample("hello", "c-1"));
  expect_same(sample("", std::nullopt));
  expect_same(sample("quote \" backslash \\ slash / tab \t newline \n cr \r", "a\"b"));
  expect_same(sample("ünïcödé → 日本語 😀 \u2028 \u2029", "ключ"));
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
  controls += '\x7f';
  expect_same(sample(controls, controls));
  auto edited = sample("x", std::nullopt);
  edited.edited = true;
  edited.type = chat::message_type::image;
  edited.status = chat::message_status::read;
  expect_same(edited);
}

TEST(views, message_text_matches_boost_json_for_random_ascii_and_utf8) {
  std::mt19937 rng(7);
  const std::string pieces[] = {"a", "Z", "0", " ", "\"", "\\", "\n", "\x01", "\x1f", "é", "€",
                                "😀", "/", "{", "}", ":"};
  for (int i = 0; i < 2000; ++i) {
    std::string content;
    auto n = rng() % 40;
    for (unsigned j = 0; j < n; ++j) content += pieces[rng() % std::size(pieces)];
    expect_same(sample(content, i % 2 ? std::optional<std::string>(content) : std::nullopt));
  }
}

}  // namespace
}  // namespace parley::chat
