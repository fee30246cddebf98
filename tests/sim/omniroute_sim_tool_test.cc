// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-sim run as the real binary (tools/omniroute_sim.cc) on the
// example scenarios: its readable report, its JSON report (which must be
// the library's report for the same file), and how it answers a file that
// does not parse, a scenario that is invalid, and a wrong command line.

#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/simulator.h"
#include "tools/log_tool_test_helpers.h"

namespace omniroute::sim {
namespace {

using testing_internal::FileBytes;
using testing_internal::RunTool;
using testing_internal::ScratchDir;
using testing_internal::ToolRun;
using testing_internal::WriteFile;
using ::testing::HasSubstr;

namespace v1 = ::omniroute::v1;

const std::string kTool = OMNIROUTE_SIM_PATH;
const std::string kExample = std::string(OMNIROUTE_SCENARIOS_DIR) + "/omnichannel_day.textproto";

TEST(OmnirouteSimTest, PrintsTheReportOfAnExample) {
  ScratchDir scratch;
  const ToolRun run = RunTool(kTool, scratch, {kExample});
  ASSERT_EQ(run.exit_code, 0) << run;
  for (const char* part : {"2 replications of 9h measured", "PUBLIC_SOCIAL", "PRIVATE_SOCIAL",
                           "EMAIL", "VOICE", "CHAT", "first response", "conversations:",
                           "one agent throughout", "social", "expert"}) {
    EXPECT_THAT(run.out, HasSubstr(part)) << run;
  }
}

TEST(OmnirouteSimTest, JsonIsTheLibrarysReport) {
  ScratchDir scratch;
  const ToolRun run = RunTool(kTool, scratch, {kExample, "--json", "--threads=2"});
  ASSERT_EQ(run.exit_code, 0) << run;
  v1::SimulationReport printed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &printed).ok()) << run.out;

  v1::Scenario scenario;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(FileBytes(kExample), &scenario));
  absl::StatusOr<v1::SimulationReport> report = Simulate(scenario);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(printed, *report))
      << printed.DebugString() << "\n---\n"
      << report->DebugString();
  EXPECT_EQ(printed.channels_size(), 5);
  EXPECT_GT(printed.conversations().handoffs(), 0);
  EXPECT_GT(printed.conversations().transfers(), 0);
  EXPECT_GT(printed.conversations().abandoned(), 0);
}

TEST(OmnirouteSimTest, ParseErrorNamesFileAndLine) {
  ScratchDir scratch;
  const std::string path = scratch.File("bad.textproto");
  WriteFile(path,
            "seed: 1\n"
            "duration { seconds: 3600 }\n"
            "channels { chanel: CHANNEL_VOICE }\n");
  const ToolRun run = RunTool(kTool, scratch, {path});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, HasSubstr(path + ":3:")) << run;
  EXPECT_THAT(run.err, HasSubstr("chanel")) << run;
}

TEST(OmnirouteSimTest, InvalidScenarioNamesTheField) {
  ScratchDir scratch;
  const std::string path = scratch.File("invalid.textproto");
  std::string text = FileBytes(kExample);
  // A warm-up as long as the whole run.
  const std::string warm_up = "warm_up { seconds: 3600 }";
  ASSERT_NE(text.find(warm_up), std::string::npos);
  text.replace(text.find(warm_up), warm_up.size(), "warm_up { seconds: 36000 }");
  WriteFile(path, text);
  const ToolRun run = RunTool(kTool, scratch, {path});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, HasSubstr("warm_up: must be shorter than duration")) << run;
  EXPECT_TRUE(run.out.empty()) << run;
}

TEST(OmnirouteSimTest, CommandLineErrors) {
  ScratchDir scratch;
  EXPECT_EQ(RunTool(kTool, scratch, {}).exit_code, 2);
  EXPECT_EQ(RunTool(kTool, scratch, {kExample, "--colour"}).exit_code, 2);
  EXPECT_EQ(RunTool(kTool, scratch, {kExample, "--threads=0"}).exit_code, 2);
  EXPECT_EQ(RunTool(kTool, scratch, {kExample, kExample}).exit_code, 2);
  const ToolRun missing = RunTool(kTool, scratch, {scratch.File("absent.textproto")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("absent.textproto")) << missing;
  const ToolRun help = RunTool(kTool, scratch, {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: omniroute-sim"));
}

}  // namespace
}  // namespace omniroute::sim
