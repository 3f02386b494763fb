// parley_sigv4_cli: presigns S3 URLs with parley's code for the AWS SDK comparison in
// tests/e2e/src/sigv4.test.ts. Reads a JSON array of cases on stdin and prints a JSON array of
// URLs, one per case, in order:
//   {"endpoint","bucket","region","accessKey","secretKey","pathStyle","method","key",
//    "amzDate","expires","headers":{name:value},"query":{name:value}}
#include "media/s3_presigner.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <iterator>

namespace json = boost::json;
using namespace parley::media;

namespace {

std::string text(const json::object& o, const char* k) { return std::string(o.at(k).as_string()); }

sigv4::fields pairs(const json::object& o, const char* k) {
  sigv4::fields out;
  if (auto* v = o.if_contains(k))
    for (auto& [name, value] : v->as_object())
      out.emplace_back(name, std::string(value.as_string()));
  return out;
}

}  // namespace

int main() {
  try {
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    json::array out;
    auto cases = json::parse(input);
    for (auto& item : cases.as_array()) {
      auto& c = item.as_object();
      s3_presigner p({text(c, "endpoint"), text(c, "bucket"), text(c, "region"),
                      text(c, "accessKey"), text(c, "secretKey"), c.at("pathStyle").as_bool()});
      auto time = sigv4::parse_amz_date(text(c, "amzDate"));
      if (!time) throw std::invalid_argument("bad amzDate");
      out.emplace_back(p.presign(text(c, "method"), text(c, "key"), pairs(c, "headers"),
                                 pairs(c, "query"), *time,
                                 std::chrono::seconds(c.at("expires").to_number<std::int64_t>())));
    }
    std::cout << json::serialize(out) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "parley_sigv4_cli: " << e.what() << "\n";
    return 2;
  }
}
