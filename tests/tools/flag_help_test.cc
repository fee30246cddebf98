// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// `--help` (and -h) of the binaries whose flags are Abseil flags, run as
// the real binaries: they exit 0 and describe their own flags.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "log_tool_test_helpers.h"

namespace omniroute::testing_internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Binary {
  std::string path;
  // Flags it defines, and a phrase of one flag's description.
  std::vector<std::string> flags;
  std::string described;
};

std::vector<Binary> Binaries() {
  return {
      {OMNIROUTE_SERVER_PATH,
       {"--listen", "--data_dir", "--in_memory", "--config_dir", "--max_message_bytes",
        "--node_id", "--lease_ms"},
       "host:port to listen on"},
      {OMNIROUTE_LOAD_PATH,
       {"--target", "--workload", "--concurrency"},
       "closed loop: operations in flight at all times"},
  };
}

TEST(FlagHelpTest, HelpListsTheFlagsAndExitsZero) {
  ScratchDir scratch;
  for (const Binary& binary : Binaries()) {
    for (const char* help : {"--help", "-h"}) {
      const ToolRun run = RunTool(binary.path, scratch, {help});
      EXPECT_EQ(run.exit_code, 0) << binary.path << " " << help << "\n" << run;
      const std::string text = run.out + run.err;
      EXPECT_THAT(text, Not(HasSubstr("No flags matched"))) << binary.path << " " << help;
      EXPECT_THAT(text, HasSubstr(binary.described)) << binary.path << " " << help;
      for (const std::string& flag : binary.flags) {
        EXPECT_THAT(text, HasSubstr(flag)) << binary.path << " " << help << "\n" << run;
      }
    }
  }
}

}  // namespace
}  // namespace omniroute::testing_internal
