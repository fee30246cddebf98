// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Charts of simulations, as standalone SVG files (omniroute-sim --plot):
//  - service level and average speed of answer per channel against the
//    number of agents, from the scenario run again with every agent group
//    scaled (SweepAgents);
//  - the distribution of waiting times per channel: the share of the
//    channel's answered and abandoned tasks that waited at most each
//    bucket's bound (WaitFigures.wait_distribution).
//
// The SVG is written by hand (lines, axes, ticks, legend: nothing a
// library would add much to) and is the same for the same report, so a
// chart in the repository changes only when its figures do.

#ifndef OMNIROUTE_LIB_SIM_CHARTS_H_
#define OMNIROUTE_LIB_SIM_CHARTS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/simulator.h"

namespace omniroute::sim {

// One line of a chart: its name (in the legend) and its points, in the
// order they are drawn.
struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
  // The y axis runs from 0 to at least this (1.0 for a share).
  double y_min_top = 0.0;
  // Tick labels of the y axis as percentages (for shares).
  bool y_percent = false;
  // When not empty, the x axis is these labels evenly spaced, and a point's
  // x is the index of its label.
  std::vector<std::string> x_categories;
};

// The chart as an SVG document (640 × 400). Series without points are
// left out of the plot but kept in the legend; a chart without any point
// draws its axes from 0 to 1.
std::string ToSvg(const LineChart& chart);

// The scenario run once per factor, each agent group's count multiplied by
// it (rounded, at least 1), in the order given.
struct SweepPoint {
  double factor = 1.0;
  int agents = 0;
  ::omniroute::v1::SimulationReport report;
};
absl::StatusOr<std::vector<SweepPoint>> SweepAgents(const ::omniroute::v1::Scenario& scenario,
                                                    const std::vector<double>& factors,
                                                    const SimulateOptions& options);

// The three charts: service level and speed of answer against agents (one
// series per channel of the scenario), and the distribution of waiting
// times per channel of `report`.
LineChart ServiceLevelByAgents(const std::vector<SweepPoint>& sweep);
LineChart SpeedOfAnswerByAgents(const std::vector<SweepPoint>& sweep);
LineChart WaitDistribution(const ::omniroute::v1::SimulationReport& report);

// Writes each chart to `directory` (created if missing) as
// service_level_by_agents.svg, speed_of_answer_by_agents.svg and
// wait_distribution.svg; returns the paths written. FAILED_PRECONDITION,
// naming the path, if the directory cannot be made or a file written.
absl::StatusOr<std::vector<std::string>> WriteCharts(
    const std::string& directory, const std::vector<SweepPoint>& sweep,
    const ::omniroute::v1::SimulationReport& report);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_LIB_SIM_CHARTS_H_
