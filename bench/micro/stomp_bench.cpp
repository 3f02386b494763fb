// STOMP codec costs on the message path: the server parsing a client's SEND, building the shared
// part of a MESSAGE and its per-subscription prefix, and a client parsing a MESSAGE (the full
// parser, as a server-grade client would, against parley_bench's in-place scanner).
#include "load/wire.hpp"
#include "stomp/parser.hpp"
#include "stomp/serializer.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace parley;

const std::string send_body =
    R"({"chatRoomId":4242,"content":"@b c=17 t=123456789012345 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","clientMessageId":"91-17-12345"})";
const std::string message_json =
    R"({"id":"01JDZ6Y9N3S1D8Q4K2X7V5B0M9","chatRoomId":4242,"senderId":"5b0c4d2e-8f1a-4c3b-9d7e-6a5f4e3d2c1b","senderUsername":"bench_00017","content":"@b c=17 t=123456789012345 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","type":"TEXT","status":"SENT","timestamp":"2026-11-27T10:00:00.123Z","edited":false,"clientMessageId":"91-17-12345"})";

std::string send_frame() {
  return stomp::serialize({"SEND",
                           {{"destination", "/app/chat.sendMessage"},
                            {"content-type", "application/json"},
                            {"receipt", "r123456789012345"}},
                           send_body});
}

std::string message_frame() {
  return stomp::message_prefix("0") + stomp::message_body("/topic/rooms/4242",
                                                          "01JDZ6Y9N3S1D8Q4K2X7V5B0M9",
                                                          "application/json", message_json);
}

void stomp_parse_send(benchmark::State& state) {
  auto wire = send_frame();
  stomp::parser p;
  for (auto _ : state) {
    p.feed(wire);
    auto ev = p.next();
    benchmark::DoNotOptimize(ev);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(stomp_parse_send);

void stomp_parse_message_full_parser(benchmark::State& state) {
  auto wire = message_frame();
  stomp::parser p({}, stomp::direction::server_to_client);
  for (auto _ : state) {
    p.feed(wire);
    auto ev = p.next();
    benchmark::DoNotOptimize(ev);
  }
}
BENCHMARK(stomp_parse_message_full_parser);

void stomp_scan_message_bench_client(benchmark::State& state) {
  auto wire = message_frame();
  for (auto _ : state) {
    bench::stomp_view v;
    auto n = bench::scan_stomp_frame(wire, v);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(stomp_scan_message_bench_client);

void stomp_serialize_message_body(benchmark::State& state) {
  for (auto _ : state) {
    auto body = stomp::message_body("/topic/rooms/4242", "01JDZ6Y9N3S1D8Q4K2X7V5B0M9",
                                    "application/json", message_json);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(stomp_serialize_message_body);

void stomp_serialize_prefix(benchmark::State& state) {
  for (auto _ : state) {
    auto prefix = stomp::message_prefix("17");
    benchmark::DoNotOptimize(prefix);
  }
}
BENCHMARK(stomp_serialize_prefix);

void stomp_serialize_receipt(benchmark::State& state) {
  for (auto _ : state) {
    auto r = stomp::receipt("r123456789012345", {{"message-id", "01JDZ6Y9N3S1D8Q4K2X7V5B0M9"}});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(stomp_serialize_receipt);

void stomp_serialize_generic_send(benchmark::State& state) {
  stomp::frame f{"SEND",
                 {{"destination", "/app/chat.sendMessage"}, {"content-type", "application/json"}},
                 send_body};
  for (auto _ : state) {
    auto wire = stomp::serialize(f);
    benchmark::DoNotOptimize(wire);
  }
}
BENCHMARK(stomp_serialize_generic_send);

}  // namespace
