// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "sim/charts.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "sim/scenario.h"
#include "sim/tally.h"

namespace omniroute::sim {
namespace {

namespace v1 = ::omniroute::v1;

constexpr double kWidth = 640, kHeight = 400;
constexpr double kLeft = 70, kRight = 170, kTop = 40, kBottom = 50;
constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string Escape(absl::string_view text) {
  return absl::StrReplaceAll(text,
                             {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// A round step (1, 2 or 5 times a power of ten) giving about five ticks
// from 0 to `top`.
double TickStep(double top) {
  if (top <= 0) return 1;
  const double rough = top / 5;
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (rough <= m * power) return m * power;
  }
  return 10 * power;
}

std::string Number(double v) { return absl::StrFormat("%g", std::round(v * 1e6) / 1e6); }

std::string ChannelName(v1::Channel channel) {
  std::string name = v1::Channel_Name(channel);
  absl::string_view view = name;
  if (absl::ConsumePrefix(&view, "CHANNEL_")) return absl::AsciiStrToLower(view);
  return name;
}

int AgentsOf(const v1::Scenario& scenario) {
  int agents = 0;
  for (const v1::AgentGroup& group : scenario.agent_groups()) agents += group.count();
  return agents;
}

// One series per channel of the sweep's reports, a point per sweep point.
LineChart ByAgents(const std::vector<SweepPoint>& sweep, double (*figure)(const v1::WaitFigures&)) {
  LineChart chart;
  chart.x_label = "agents";
  for (const SweepPoint& point : sweep) {
    for (const v1::ChannelReport& channel : point.report.channels()) {
      const std::string name = ChannelName(channel.channel());
      auto it = std::find_if(chart.series.begin(), chart.series.end(),
                             [&](const ChartSeries& s) { return s.name == name; });
      if (it == chart.series.end()) {
        chart.series.push_back({name, {}});
        it = std::prev(chart.series.end());
      }
      const v1::WaitFigures& tasks = channel.tasks();
      // A channel with nothing answered or abandoned has no figure here.
      if (tasks.answered() + tasks.abandoned() == 0) continue;
      it->points.emplace_back(point.agents, figure(tasks));
    }
  }
  return chart;
}

}  // namespace

std::string ToSvg(const LineChart& chart) {
  double x_min = std::numeric_limits<double>::infinity();
  double x_max = -std::numeric_limits<double>::infinity();
  double y_max = chart.y_min_top;
  for (const ChartSeries& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_max = std::max(y_max, y);
    }
  }
  if (!chart.x_categories.empty()) {
    x_min = 0;
    x_max = static_cast<double>(chart.x_categories.size()) - 1;
  } else if (!std::isfinite(x_min)) {
    x_min = 0;
    x_max = 1;
  }
  if (x_max <= x_min) x_max = x_min + 1;
  if (y_max <= 0) y_max = 1;
  const double y_step = TickStep(y_max);
  const double y_top = std::ceil(y_max / y_step - 1e-9) * y_step;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - y / y_top * plot_h; };

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"%g\" height=\"%g\" fill=\"white\"/>\n"
      "<text x=\"%g\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">%s</text>\n",
      kWidth, kHeight, kWidth, kHeight, kWidth, kHeight, kLeft + plot_w / 2, Escape(chart.title));
  // Grid and y ticks.
  for (double y = 0; y <= y_top + y_step / 2; y += y_step) {
    const std::string label = chart.y_percent ? absl::StrCat(Number(100 * y), "%") : Number(y);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                          "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          kLeft, py(y), kLeft + plot_w, py(y), kLeft - 6, py(y) + 4, label);
  }
  // x ticks: each category, or round steps within the range.
  auto x_tick = [&](double x, const std::string& label) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#999\"/>\n"
                          "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
                          px(x), kTop + plot_h, px(x), kTop + plot_h + 5, px(x), kTop + plot_h + 19,
                          Escape(label));
  };
  if (!chart.x_categories.empty()) {
    for (size_t i = 0; i < chart.x_categories.size(); ++i) {
      x_tick(static_cast<double>(i), chart.x_categories[i]);
    }
  } else {
    const double x_step = TickStep(x_max - x_min);
    for (double x = std::ceil(x_min / x_step - 1e-9) * x_step; x <= x_max + 1e-9; x += x_step) {
      x_tick(x, Number(x));
    }
  }
  absl::StrAppendFormat(
      &svg,
      "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n"
      "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n"
      "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n"
      "<text x=\"16\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 16 %g)\">%s</text>\n",
      kLeft, kTop + plot_h, kLeft + plot_w, kTop + plot_h, kLeft, kTop, kLeft, kTop + plot_h,
      kLeft + plot_w / 2, kHeight - 12, Escape(chart.x_label), kTop + plot_h / 2, kTop + plot_h / 2,
      Escape(chart.y_label));
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const ChartSeries& s = chart.series[i];
    const char* colour = kColours[i % std::size(kColours)];
    if (!s.points.empty()) {
      std::string points;
      for (const auto& [x, y] : s.points) {
        absl::StrAppendFormat(&points, "%s%.1f,%.1f", points.empty() ? "" : " ", px(x), py(y));
      }
      absl::StrAppendFormat(&svg,
                            "<polyline class=\"series\" data-name=\"%s\" fill=\"none\" "
                            "stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n",
                            Escape(s.name), colour, points);
      for (const auto& [x, y] : s.points) {
        absl::StrAppendFormat(&svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                              px(x), py(y), colour);
      }
    }
    const double ly = kTop + 10 + 20 * static_cast<double>(i);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" "
                          "stroke-width=\"2\"/>\n<text x=\"%g\" y=\"%g\">%s</text>\n",
                          kWidth - kRight + 15, ly, kWidth - kRight + 40, ly, colour,
                          kWidth - kRight + 46, ly + 4, Escape(s.name));
  }
  svg += "</svg>\n";
  return svg;
}

absl::StatusOr<std::vector<SweepPoint>> SweepAgents(const v1::Scenario& scenario,
                                                    const std::vector<double>& factors,
                                                    const SimulateOptions& options) {
  std::vector<SweepPoint> sweep;
  for (double factor : factors) {
    if (!(factor > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("factor: must be positive, got ", Number(factor)));
    }
    v1::Scenario scaled = scenario;
    for (v1::AgentGroup& group : *scaled.mutable_agent_groups()) {
      group.set_count(std::max(1, static_cast<int>(std::lround(group.count() * factor))));
    }
    absl::StatusOr<v1::SimulationReport> report = Simulate(scaled, options);
    if (!report.ok()) return report.status();
    sweep.push_back({factor, AgentsOf(scaled), *std::move(report)});
  }
  return sweep;
}

LineChart ServiceLevelByAgents(const std::vector<SweepPoint>& sweep) {
  LineChart chart = ByAgents(sweep, [](const v1::WaitFigures& f) { return f.service_level(); });
  chart.y_label = "service level";
  chart.y_min_top = 1.0;
  chart.y_percent = true;
  if (!sweep.empty()) {
    chart.title = absl::StrCat(
        "Service level (answered within ",
        Number(absl::ToDoubleSeconds(FromProto(sweep.front().report.service_level_threshold()))),
        " s) by agents");
  }
  return chart;
}

LineChart SpeedOfAnswerByAgents(const std::vector<SweepPoint>& sweep) {
  LineChart chart = ByAgents(sweep, [](const v1::WaitFigures& f) {
    return absl::ToDoubleSeconds(FromProto(f.average_speed_of_answer()));
  });
  chart.title = "Average speed of answer by agents";
  chart.y_label = "seconds";
  return chart;
}

LineChart WaitDistribution(const v1::SimulationReport& report) {
  LineChart chart;
  chart.title = "Waiting time: share answered or abandoned within";
  chart.x_label = "waited at most";
  for (int64_t bound : kWaitBucketBoundsSeconds) {
    chart.x_categories.push_back(bound < 120 ? absl::StrCat(bound, "s")
                                             : absl::StrCat(bound / 60, "m"));
  }
  chart.y_label = "share of tasks";
  chart.y_min_top = 1.0;
  chart.y_percent = true;
  for (const v1::ChannelReport& channel : report.channels()) {
    ChartSeries series{ChannelName(channel.channel()), {}};
    const v1::WaitFigures& tasks = channel.tasks();
    const double total = static_cast<double>(tasks.answered() + tasks.abandoned());
    if (total > 0) {
      double within = 0;
      for (int i = 0; i < tasks.wait_distribution_size(); ++i) {
        const v1::WaitBucket& bucket = tasks.wait_distribution(i);
        // The last bucket (no bound) is what waited longer than the chart.
        if (!bucket.has_up_to()) break;
        within += static_cast<double>(bucket.answered() + bucket.abandoned());
        series.points.emplace_back(i, within / total);
      }
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

absl::StatusOr<std::vector<std::string>> WriteCharts(const std::string& directory,
                                                     const std::vector<SweepPoint>& sweep,
                                                     const v1::SimulationReport& report) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error || !std::filesystem::is_directory(directory)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot make the directory ", directory, ": ",
                     error ? error.message() : "a file of that name exists"));
  }
  const std::pair<const char*, LineChart> charts[] = {
      {"service_level_by_agents.svg", ServiceLevelByAgents(sweep)},
      {"speed_of_answer_by_agents.svg", SpeedOfAnswerByAgents(sweep)},
      {"wait_distribution.svg", WaitDistribution(report)},
  };
  std::vector<std::string> written;
  for (const auto& [name, chart] : charts) {
    const std::string path = (std::filesystem::path(directory) / name).string();
    std::ofstream out(path, std::ios::trunc);
    out << ToSvg(chart);
    out.close();
    if (!out) {
      return absl::FailedPreconditionError(absl::StrCat("cannot write ", path));
    }
    written.push_back(path);
  }
  return written;
}

}  // namespace omniroute::sim
