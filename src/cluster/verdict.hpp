#pragma once
// What a persistence worker decided for one log record, sent to the node that produced it (the
// record's `origin`) on the Redis channel `<prefix>verdicts:<origin>`. The node is waiting to
// answer its client: a RECEIPT or 201 for an append, the refusal otherwise (ADR 0007).
//
// A verdict is sent after the worker's MariaDB COMMIT, so everything it reports is durable and
// readable from every node. It may be lost (Redis down, the worker dying after the COMMIT): the
// node then answers UNAVAILABLE after its timeout, and the client's retry with the same
// clientMessageId gets the stored original. It may come twice (a replay after a worker crash):
// the node answers on the first and ignores the rest.
//
// The value is one JSON object, `"v":1`, written and read only by parley processes; decode()
// still checks every field, and a verdict it refuses is logged and dropped.
#include "chat/storage.hpp"
#include "core/problem.hpp"

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace parley::cluster {

struct verdict {
  std::string record_id;
  // The log's answer to the record's write, or the failure that made the worker give up on it
  // (INTERNAL: a record the database refuses every time; it went to the dead-letter topic).
  std::variant<chat::appended, chat::status_change, chat::read_change, core::problem> outcome;
};

std::string verdict_channel(std::string_view prefix, std::string_view node_id);
std::string encode(const verdict& v);
boost::system::result<verdict, std::string> decode_verdict(std::string_view value);

}  // namespace parley::cluster
