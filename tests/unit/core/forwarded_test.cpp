#include "core/forwarded.hpp"

#include <gtest/gtest.h>

namespace parley::core {
namespace {

const std::vector<std::string> proxies = {"127.0.0.1", "::1"};

TEST(client_address, a_trusted_proxy_is_believed_about_the_hop_it_appended) {
  EXPECT_EQ(client_address("127.0.0.1", "192.0.2.7", proxies), "192.0.2.7");
  // Whatever the client put before is its own claim: only the last entry counts.
  EXPECT_EQ(client_address("127.0.0.1", "10.9.9.9, 192.0.2.7", proxies), "192.0.2.7");
  EXPECT_EQ(client_address("::1", " 2001:db8:0:0::1 ", proxies), "2001:db8::1");
  // A dual-stack listener's view of the IPv4 proxy, and a mapped address in the header.
  EXPECT_EQ(client_address("::ffff:127.0.0.1", "192.0.2.7", proxies), "192.0.2.7");
  EXPECT_EQ(client_address("127.0.0.1", "::ffff:192.0.2.7", proxies), "192.0.2.7");
}

TEST(client_address, any_other_peer_or_an_unusable_header_leaves_the_peer) {
  EXPECT_EQ(client_address("192.0.2.50", "127.0.0.2", proxies), "192.0.2.50");
  EXPECT_EQ(client_address("127.0.0.1", "", proxies), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1", "192.0.2.7, unknown", proxies), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1", "192.0.2.7:4711", proxies), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1", "192.0.2.7", {}), "127.0.0.1");
}

TEST(parse_address_list, canonical_addresses_or_a_refusal) {
  std::vector<std::string> out{"kept"};
  EXPECT_TRUE(parse_address_list(" 10.0.0.5, 0:0::1, ::ffff:10.0.0.6 ", out));
  EXPECT_EQ(out, (std::vector<std::string>{"10.0.0.5", "::1", "10.0.0.6"}));
  EXPECT_TRUE(parse_address_list("", out));
  EXPECT_TRUE(out.empty());
  out = {"kept"};
  EXPECT_FALSE(parse_address_list("10.0.0.5,,::1", out));
  EXPECT_FALSE(parse_address_list("10.0.0.0/8", out));
  EXPECT_FALSE(parse_address_list("proxy.example", out));
  EXPECT_EQ(out, std::vector<std::string>{"kept"});
}

}  // namespace
}  // namespace parley::core
