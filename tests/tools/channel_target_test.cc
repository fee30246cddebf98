// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "common/channel_target.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute::tools {
namespace {

using ::testing::HasSubstr;

TEST(ChannelTargetTest, OneAddressIsUsedAsGiven) {
  EXPECT_EQ(ChannelTarget("--server", "127.0.0.1:50051").value(), "127.0.0.1:50051");
  EXPECT_EQ(ChannelTarget("--server", "omniroute.internal:50051").value(),
            "omniroute.internal:50051");
  EXPECT_EQ(ChannelTarget("--server", " dns:///omniroute.internal:443 ").value(),
            "dns:///omniroute.internal:443");
}

TEST(ChannelTargetTest, SeveralIpLiteralsBecomeOneStaticListRotatedPerChannel) {
  EXPECT_EQ(ChannelTarget("--target", "10.0.0.5:1,10.0.0.6:2, 10.0.0.7:3").value(),
            "ipv4:10.0.0.5:1,10.0.0.6:2,10.0.0.7:3");
  EXPECT_EQ(ChannelTarget("--target", "10.0.0.5:1,10.0.0.6:2,10.0.0.7:3", 1).value(),
            "ipv4:10.0.0.6:2,10.0.0.7:3,10.0.0.5:1");
  EXPECT_EQ(ChannelTarget("--target", "10.0.0.5:1,10.0.0.6:2,10.0.0.7:3", 5).value(),
            "ipv4:10.0.0.7:3,10.0.0.5:1,10.0.0.6:2");
  EXPECT_EQ(ChannelTarget("--target", "[::1]:1,[fe80::2]:2").value(), "ipv6:[::1]:1,[fe80::2]:2");
}

TEST(ChannelTargetTest, BadListsNameTheFlagAndTheReason) {
  struct Case {
    const char* addresses;
    const char* says;
  };
  const Case cases[] = {
      {"", "has an empty address"},
      {"10.0.0.5:1,,10.0.0.6:2", "has an empty address"},
      {"10.0.0.5:1,10.0.0.6", "\"10.0.0.6\" is not host:port"},
      {"10.0.0.5:1,10.0.0.6:0", "\"10.0.0.6:0\" is not host:port"},
      {"10.0.0.5:1,10.0.0.6:70000", "is not host:port"},
      {"10.0.0.5:1,node-b:50051", "\"node-b:50051\" is a host name"},
      {"10.0.0.5:1,[::1]:2", "mixes IPv4 and IPv6"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> target = ChannelTarget("--server", c.addresses);
    ASSERT_FALSE(target.ok()) << c.addresses;
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument) << c.addresses;
    EXPECT_THAT(target.status().message(), HasSubstr("--server: ")) << c.addresses;
    EXPECT_THAT(target.status().message(), HasSubstr(c.says)) << c.addresses;
  }
}

}  // namespace
}  // namespace omniroute::tools
