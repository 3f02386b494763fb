// Fuzz target for the cluster's log record decoder (src/cluster/log_record): the input is a
// Kafka record value, as hostile as any client input (a buggy or older node, a hand-made record).
// Invariants, beyond "no crash, no sanitizer report":
//  1. A refusal has a reason (it becomes the dead-letter record's).
//  2. A record that decodes encodes to a value that decodes to the same record, with the same key.
#include "cluster/log_record.hpp"

#include "fuzz_check.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::cluster;
  const std::string_view value{reinterpret_cast<const char*>(data), size};
  auto r = decode(value);
  if (!r) {
    FUZZ_CHECK(!r.error().empty());
    return 0;
  }
  auto again = decode(encode(*r));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *r);
  FUZZ_CHECK(record_key(*again) == record_key(*r));
  return 0;
}
