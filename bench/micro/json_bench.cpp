// JSON costs on the message path: decoding a SEND body with the server's limits and typed
// accessors, and encoding the stored message once for fan-out (chat::views::message_text).
#include "chat/views.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace parley;

const std::string send_body =
    R"({"chatRoomId":4242,"content":"@b c=17 t=123456789012345 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","clientMessageId":"91-17-12345"})";

chat::message sample_message() {
  chat::message m;
  m.message_id = "01JDZ6Y9N3S1D8Q4K2X7V5B0M9";
  m.chat_id = 4242;
  m.seq = 12345;
  m.user_id = "5b0c4d2e-8f1a-4c3b-9d7e-6a5f4e3d2c1b";
  m.content =
      "@b c=17 t=123456789012345 "
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  m.timestamp = core::from_epoch_ms(1'795'000'000'123);
  m.client_message_id = "91-17-12345";
  return m;
}

void json_decode_send_body(benchmark::State& state) {
  for (auto _ : state) {
    auto v = core::parse_json(send_body);
    const auto& o = v->as_object();
    auto room = core::get_int(o, "chatRoomId");
    auto content = core::get_string(o, "content");
    auto cmid = core::get_string(o, "clientMessageId");
    benchmark::DoNotOptimize(room);
    benchmark::DoNotOptimize(content);
    benchmark::DoNotOptimize(cmid);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * send_body.size()));
}
BENCHMARK(json_decode_send_body);

void json_encode_message(benchmark::State& state) {
  auto m = sample_message();
  for (auto _ : state) {
    auto text = chat::views::message_text(m);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(json_encode_message);

}  // namespace
