// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The command-line tools' channel: a token goes in clear to this machine
// only, unless TLS or --insecure says otherwise.

#include "common/client_channel.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute::tools {
namespace {

using ::testing::HasSubstr;

TEST(ClientChannelTest, LoopbackTargetsAreThisMachineOnly) {
  for (const char* target :
       {"127.0.0.1:50051", "127.8.9.10:1", "localhost:50051", "LOCALHOST:1", "[::1]:50051", "::1",
        "[::ffff:127.0.0.1]:1", "ipv4:127.0.0.1:1,127.0.0.2:2", "ipv6:[::1]:1",
        "dns:///localhost:50051", "unix:/tmp/omniroute.sock", "127.0.0.1:1, 127.0.0.2:2"}) {
    EXPECT_TRUE(IsLoopbackTarget(target)) << target;
  }
  for (const char* target :
       {"10.0.0.5:50051", "omniroute.internal:443", "dns:///omniroute.internal:443",
        "ipv4:127.0.0.1:1,10.0.0.6:2", "[fe80::1]:1", "128.0.0.1:1", "127.0.0:1",
        "localhost.example.com:1", "", "dns:///"}) {
    EXPECT_FALSE(IsLoopbackTarget(target)) << target;
  }
}

TEST(ClientChannelTest, ATokenInClearToAnotherMachineIsRefusedNamingTheFlag) {
  ClientSecurity security;
  security.token = "omr_k_secret";
  absl::StatusOr<std::shared_ptr<grpc::Channel>> refused =
      OpenClientChannel("10.0.0.5:50051", security);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("--token"));
  EXPECT_THAT(refused.status().message(), HasSubstr("10.0.0.5:50051"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--insecure"));
  // The credential itself is never repeated in the message.
  EXPECT_THAT(refused.status().message(), ::testing::Not(HasSubstr("secret")));

  // Loopback, or said on purpose: a channel (nothing is dialled yet).
  EXPECT_TRUE(OpenClientChannel("127.0.0.1:50051", security).ok());
  security.insecure = true;
  EXPECT_TRUE(OpenClientChannel("10.0.0.5:50051", security).ok());
  // Without a token there is nothing to leak.
  ClientSecurity plain;
  EXPECT_TRUE(OpenClientChannel("10.0.0.5:50051", plain).ok());
}

}  // namespace
}  // namespace omniroute::tools
