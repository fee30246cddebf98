// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The simulation's charts (lib/sim/charts.h, omniroute-sim --plot): the
// wait distribution counts every answered and abandoned task once; the
// sweep over agents runs the scenario with its groups scaled and its
// service level does not fall as agents are added; the SVG puts each point
// where its value says; the tool writes the three files and refuses a
// directory it cannot make.

#include "sim/charts.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/scenario.h"
#include "sim/scenario_builders.h"
#include "sim/simulator.h"
#include "sim/tally.h"
#include "tools/log_tool_test_helpers.h"

namespace omniroute::sim {
namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::sim::testing_internal::MmcScenario;
using ::omniroute::testing_internal::FileBytes;
using ::omniroute::testing_internal::RunTool;
using ::omniroute::testing_internal::ScratchDir;
using ::omniroute::testing_internal::ToolRun;
using ::testing::HasSubstr;

TEST(WaitBucketTest, AWaitGoesToTheFirstBucketWhoseBoundHoldsIt) {
  EXPECT_EQ(WaitBucketOf(absl::ZeroDuration()), 0u);
  EXPECT_EQ(WaitBucketOf(absl::Milliseconds(1)), 1u);
  EXPECT_EQ(WaitBucketOf(absl::Seconds(5)), 1u);
  EXPECT_EQ(WaitBucketOf(absl::Seconds(6)), 2u);
  EXPECT_EQ(WaitBucketOf(absl::Minutes(30)), kWaitBucketBoundsSeconds.size() - 1);
  EXPECT_EQ(WaitBucketOf(absl::Minutes(31)), kWaitBucketBoundsSeconds.size());
}

TEST(WaitBucketTest, TheReportsDistributionCountsEachAnsweredAndAbandonedTaskOnce) {
  // Three agents at 90% occupancy (2.7 Erlangs): many wait, some long.
  v1::Scenario scenario =
      MmcScenario(3, absl::Minutes(4), 2.7, absl::Hours(4), absl::Minutes(30), 2, 7);
  absl::StatusOr<v1::SimulationReport> report = Simulate(scenario);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_GT(report->channels_size(), 0);
  for (const v1::ChannelReport& channel : report->channels()) {
    const v1::WaitFigures& tasks = channel.tasks();
    ASSERT_EQ(tasks.wait_distribution_size(),
              static_cast<int>(kWaitBucketBoundsSeconds.size()) + 1);
    int64_t answered = 0, abandoned = 0;
    for (const v1::WaitBucket& bucket : tasks.wait_distribution()) {
      answered += bucket.answered();
      abandoned += bucket.abandoned();
    }
    EXPECT_EQ(answered, tasks.answered());
    EXPECT_EQ(abandoned, tasks.abandoned());
    // Those answered at once are the answered that did not wait.
    EXPECT_GT(tasks.wait_distribution(0).answered(), 0);
    EXPECT_FALSE(tasks.wait_distribution().rbegin()->has_up_to());
  }
}

TEST(SweepTest, ScalesEveryGroupAndServiceLevelDoesNotFallWithMoreAgents) {
  v1::Scenario scenario =
      MmcScenario(8, absl::Minutes(3), 6.8, absl::Hours(4), absl::Minutes(30), 2, 11);
  absl::StatusOr<std::vector<SweepPoint>> sweep = SweepAgents(scenario, {0.5, 1.0, 1.5}, {});
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  ASSERT_EQ(sweep->size(), 3u);
  EXPECT_EQ((*sweep)[0].agents, 4);
  EXPECT_EQ((*sweep)[1].agents, 8);
  EXPECT_EQ((*sweep)[2].agents, 12);
  // The unscaled point is the scenario's own report.
  absl::StatusOr<v1::SimulationReport> base = Simulate(scenario);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ((*sweep)[1].report.SerializeAsString(), base->SerializeAsString());
  const auto level = [&](size_t i) {
    return (*sweep)[i].report.channels(0).tasks().service_level();
  };
  EXPECT_LT(level(0), level(1));
  EXPECT_LE(level(1), level(2));

  const LineChart chart = ServiceLevelByAgents(*sweep);
  ASSERT_EQ(chart.series.size(), 1u);
  ASSERT_EQ(chart.series[0].points.size(), 3u);
  EXPECT_EQ(chart.series[0].points[0], std::make_pair(4.0, level(0)));
  EXPECT_EQ(chart.series[0].points[2], std::make_pair(12.0, level(2)));

  EXPECT_EQ(SweepAgents(scenario, {0.0}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

// The polyline's points of the series named `name`, in SVG coordinates.
std::vector<std::pair<double, double>> PolylineOf(const std::string& svg, const std::string& name) {
  std::vector<std::pair<double, double>> points;
  const std::string marker = "data-name=\"" + name + "\"";
  const size_t at = svg.find(marker);
  if (at == std::string::npos) return points;
  const size_t start = svg.find("points=\"", at) + 8;
  const size_t end = svg.find('"', start);
  for (absl::string_view pair : absl::StrSplit(svg.substr(start, end - start), ' ')) {
    std::vector<absl::string_view> xy = absl::StrSplit(pair, ',');
    double x = 0, y = 0;
    if (xy.size() == 2 && absl::SimpleAtod(xy[0], &x) && absl::SimpleAtod(xy[1], &y)) {
      points.emplace_back(x, y);
    }
  }
  return points;
}

TEST(SvgTest, EachPointIsWhereItsValueSays) {
  LineChart chart;
  chart.title = "a < b & c";
  chart.y_min_top = 1.0;
  chart.y_percent = true;
  chart.series.push_back({"rising", {{10, 0.0}, {20, 0.5}, {30, 1.0}}});
  chart.series.push_back({"empty", {}});
  const std::string svg = ToSvg(chart);
  EXPECT_TRUE(absl::StartsWith(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(absl::EndsWith(svg, "</svg>\n"));
  EXPECT_THAT(svg, HasSubstr("a &lt; b &amp; c"));
  EXPECT_THAT(svg, HasSubstr(">100%</text>"));
  // The plot spans x 70..470 and y 40..350 (640 × 400, margins 70, 170,
  // 40, 50): x 10 → 70, 30 → 470; y 0 → 350, 1 → 40, 0.5 halfway.
  const auto points = PolylineOf(svg, "rising");
  ASSERT_EQ(points.size(), 3u);
  EXPECT_DOUBLE_EQ(points[0].first, 70);
  EXPECT_DOUBLE_EQ(points[0].second, 350);
  EXPECT_DOUBLE_EQ(points[1].first, 270);
  EXPECT_DOUBLE_EQ(points[1].second, 195);
  EXPECT_DOUBLE_EQ(points[2].first, 470);
  EXPECT_DOUBLE_EQ(points[2].second, 40);
  // A series without points has a legend entry and no line.
  EXPECT_TRUE(PolylineOf(svg, "empty").empty());
  EXPECT_THAT(svg, HasSubstr(">empty</text>"));
}

const std::string kTool = OMNIROUTE_SIM_PATH;
const std::string kExample = std::string(OMNIROUTE_SCENARIOS_DIR) + "/omnichannel_day.textproto";

TEST(OmnirouteSimPlotTest, WritesTheThreeChartsBesideTheReport) {
  ScratchDir scratch;
  const std::string dir = scratch.File("charts/day");
  const ToolRun run = RunTool(kTool, scratch, {kExample, "--plot=" + dir});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("2 replications of 9h measured"));
  for (const char* name :
       {"service_level_by_agents.svg", "speed_of_answer_by_agents.svg", "wait_distribution.svg"}) {
    const std::string path = dir + "/" + name;
    EXPECT_THAT(run.err, HasSubstr("wrote " + path)) << run;
    const std::string svg = FileBytes(path);
    EXPECT_TRUE(absl::StartsWith(svg, "<svg")) << path;
    // One line per channel of the example.
    for (const char* channel : {"public_social", "private_social", "email", "voice", "chat"}) {
      EXPECT_THAT(svg, HasSubstr(std::string("data-name=\"") + channel + "\"")) << path;
    }
  }
  // Eight points of the sweep on each line against agents.
  EXPECT_EQ(PolylineOf(FileBytes(dir + "/service_level_by_agents.svg"), "voice").size(), 8u);
}

TEST(OmnirouteSimPlotTest, ADirectoryThatCannotBeMadeFailsNamingIt) {
  ScratchDir scratch;
  const std::string file = scratch.File("not-a-dir");
  ::omniroute::testing_internal::WriteFile(file, "x");
  const ToolRun run = RunTool(kTool, scratch, {kExample, "--plot=" + file + "/charts"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, HasSubstr("--plot: cannot make the directory " + file + "/charts")) << run;

  const ToolRun empty = RunTool(kTool, scratch, {kExample, "--plot="});
  EXPECT_EQ(empty.exit_code, 2) << empty;
  EXPECT_THAT(empty.err, HasSubstr("--plot needs a directory")) << empty;
}

}  // namespace
}  // namespace omniroute::sim
