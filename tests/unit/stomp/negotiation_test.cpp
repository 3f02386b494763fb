#include "stomp/negotiation.hpp"

#include <gtest/gtest.h>

namespace parley::stomp {
namespace {

using std::chrono::milliseconds;

TEST(stomp_negotiation, treats_absent_accept_version_as_1_0) {
  EXPECT_EQ(negotiate_version(std::nullopt).value(), version::v1_0);
}

TEST(stomp_negotiation, picks_the_highest_supported_version) {
  EXPECT_EQ(negotiate_version("1.0,1.1,1.2").value(), version::v1_2);
  EXPECT_EQ(negotiate_version("1.1,1.0").value(), version::v1_1);
  EXPECT_EQ(negotiate_version("1.0").value(), version::v1_0);
  EXPECT_EQ(negotiate_version("1.3,1.2").value(), version::v1_2);
}

TEST(stomp_negotiation, rejects_accept_version_without_a_supported_version) {
  for (const char* header : {"", "2.0", "1.3,9", "1.2 "}) {
    const auto r = negotiate_version(header);
    ASSERT_TRUE(r.has_error()) << header;
    EXPECT_EQ(r.error().code, errc::unsupported_version);
    EXPECT_EQ(code(r.error().code), "UNSUPPORTED_VERSION");
  }
}

TEST(stomp_negotiation, parses_heart_beat_header) {
  EXPECT_EQ(parse_heart_beat("10000,5000").value(),
            (heart_beat_offer{milliseconds{10000}, milliseconds{5000}}));
  EXPECT_EQ(parse_heart_beat("0,0").value(), heart_beat_offer{});
  EXPECT_EQ(parse_heart_beat("4294967295,0").value().outgoing, milliseconds{4294967295});
}

TEST(stomp_negotiation, rejects_malformed_heart_beat_header) {
  for (const char* header : {"", "10", ",", "1,", ",1", "a,b", "1,2,3", "-1,5", " 1,2", "1, 2",
                             "4294967296,0"}) {
    const auto r = parse_heart_beat(header);
    ASSERT_TRUE(r.has_error()) << header;
    EXPECT_EQ(r.error().code, errc::malformed_frame);
  }
}

TEST(stomp_negotiation, agrees_on_the_larger_interval_in_each_direction) {
  const auto i = negotiate({milliseconds{5000}, milliseconds{20000}},
                           {milliseconds{10000}, milliseconds{10000}});
  EXPECT_EQ(i.send, milliseconds{20000});   // server can every 10 s, client wants every 20 s
  EXPECT_EQ(i.expect, milliseconds{10000});  // client can every 5 s, server wants every 10 s
}

TEST(stomp_negotiation, has_no_heart_beats_where_one_side_declines) {
  const heart_beat_offer server{milliseconds{10000}, milliseconds{10000}};
  EXPECT_EQ(negotiate({}, server), heart_beat_intervals{});
  EXPECT_EQ(negotiate({milliseconds{0}, milliseconds{3000}}, server),
            (heart_beat_intervals{milliseconds{10000}, milliseconds{0}}));
  EXPECT_EQ(negotiate({milliseconds{3000}, milliseconds{0}}, server),
            (heart_beat_intervals{milliseconds{0}, milliseconds{10000}}));
  EXPECT_EQ(negotiate({milliseconds{3000}, milliseconds{3000}}, {}), heart_beat_intervals{});
}

}  // namespace
}  // namespace parley::stomp
