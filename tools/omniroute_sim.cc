// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-sim: runs a contact-centre scenario (protobuf text format,
// omniroute.v1.Scenario; examples in examples/scenarios/) against the real
// routing engine on virtual time and prints its report: a readable summary,
// or the omniroute.v1.SimulationReport as JSON.

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "omniroute/types.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/charts.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace omniroute::sim_tool {
namespace {

namespace v1 = ::omniroute::v1;

constexpr char kHelp[] =
    R"(usage: omniroute-sim <scenario.textproto> [--json] [--threads=N] [--plot=DIR]

Runs a contact-centre scenario (omniroute.v1.Scenario in protobuf text format,
see proto/omniroute/v1/simulation.proto and examples/scenarios/) against the
omniroute routing engine on virtual time, and prints the figures per channel,
per conversation and per agent group.

Options:
  --json       print the omniroute.v1.SimulationReport as JSON instead
  --threads=N  run replications on N threads (default 1; same report)
  --plot=DIR   also write SVG charts to DIR (created if missing): service level
               and average speed of answer per channel against the number of
               agents (the scenario run again with every agent group scaled by
               0.5 to 1.5), and the distribution of waiting times per channel

Exit codes: 0 success, 1 the scenario is invalid, the run failed or the charts
cannot be written,
2 usage error or a scenario file that cannot be read or parsed.
)";

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Collects the text-format parser's complaints as "file:line:column: ...",
// counting from 1 as editors do (the parser counts from 0).
class FileErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  explicit FileErrorCollector(std::string path) : path_(std::move(path)) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    absl::StrAppend(&text_, path_, ":", line + 1, ":", column + 1, ": error: ", message, "\n");
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    absl::StrAppend(&text_, path_, ":", line + 1, ":", column + 1, ": warning: ", message, "\n");
  }

  const std::string& text() const { return text_; }

 private:
  std::string path_;
  std::string text_;
};

std::string Percent(double fraction) { return absl::StrFormat("%.1f%%", 100.0 * fraction); }

std::string Seconds(const google::protobuf::Duration& d) {
  return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(sim::FromProto(d)));
}

std::string Hours(const google::protobuf::Duration& d) {
  return absl::StrFormat("%gh", absl::ToDoubleHours(sim::FromProto(d)));
}

// "12.3s ±0.4" when there are standard errors to show.
std::string WithError(const std::string& value, double error, bool percent, bool show) {
  if (!show) return value;
  return percent ? absl::StrFormat("%s ±%.1f", value, 100.0 * error)
                 : absl::StrFormat("%s ±%.1f", value, error);
}

void PrintWaitRow(std::ostream& out, absl::string_view name, const v1::WaitFigures& w,
                  bool errors) {
  const v1::StandardErrors& se = w.standard_errors();
  out << absl::StrFormat(
      "  %-16s %9d %9d %9d %10d  %-13s %-13s %-13s %7s\n", name, w.offered(), w.answered(),
      w.abandoned(), w.unresolved(),
      WithError(Percent(w.service_level()), se.service_level(), true, errors),
      WithError(Seconds(w.average_speed_of_answer()),
                absl::ToDoubleSeconds(sim::FromProto(se.average_speed_of_answer())), false,
                errors),
      WithError(Percent(w.probability_of_waiting()), se.probability_of_waiting(), true, errors),
      Percent(w.abandonment_rate()));
}

void PrintReport(std::ostream& out, const v1::SimulationReport& r) {
  const bool errors = r.replications() > 1;
  out << absl::StrFormat("%d replication%s of %s measured; service level within %s\n",
                         r.replications(), r.replications() == 1 ? "" : "s", Hours(r.measured()),
                         Seconds(r.service_level_threshold()));
  out << absl::StrFormat("occupancy %s; %d engine events\n", Percent(r.occupancy()),
                         r.engine_events());
  if (errors) out << "(± one standard error between replications)\n";

  out << absl::StrFormat("\n%-18s %9s %9s %9s %10s  %-13s %-13s %-13s %7s\n", "waiting", "offered",
                         "answered", "abandoned", "unresolved", "service level", "speed of ans.",
                         "P(wait)", "abandon");
  for (const v1::ChannelReport& c : r.channels()) {
    PrintWaitRow(out, ChannelName(c.channel()), c.tasks(), errors);
  }
  PrintWaitRow(out, "first response", r.conversations().first_response(), errors);

  out << absl::StrFormat("\n%-18s %7s  %9s %9s %17s %s\n", "work", "handle", "occupancy",
                         "transfers", "handoffs out/in", "same agent");
  for (const v1::ChannelReport& c : r.channels()) {
    out << absl::StrFormat("  %-16s %7s  %9s %9d %8d/%-8d %s\n", ChannelName(c.channel()),
                           Seconds(c.average_handle_time()), Percent(c.occupancy()),
                           c.transfers(), c.handoffs_out(), c.handoffs_in(),
                           c.handoffs_in() > 0 ? Percent(c.handoff_continuity()) : "-");
  }

  const v1::ConversationReport& conv = r.conversations();
  out << absl::StrFormat(
      "\nconversations: %d offered, %d completed, %d abandoned, %d unresolved\n",
      conv.offered(), conv.completed(), conv.abandoned(), conv.unresolved());
  out << absl::StrFormat("  total wait %s on average; %s waited at some point\n",
                         Seconds(conv.average_total_wait()),
                         Percent(conv.probability_of_any_wait()));
  out << absl::StrFormat("  %d handoffs, %d transfers; one agent throughout: %d of %d (%s)\n",
                         conv.handoffs(), conv.transfers(), conv.single_agent(),
                         conv.multi_assignment(),
                         conv.multi_assignment() > 0 ? Percent(conv.same_agent_rate()) : "-");

  out << absl::StrFormat("\n%-18s %6s  %9s  %11s\n", "agent groups", "agents", "occupancy",
                         "assignments");
  for (const v1::AgentGroupReport& g : r.agent_groups()) {
    out << absl::StrFormat("  %-16s %6d  %9s  %11d\n", g.name(), g.agents(),
                           Percent(g.occupancy()), g.assignments());
  }
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string path;
  bool json = false;
  std::string plot_dir;
  sim::SimulateOptions options;
  for (const std::string& arg : args) {
    absl::string_view a = arg;
    if (a == "-h" || a == "--help") {
      std::cout << kHelp;
      return kExitOk;
    }
    if (a == "--json") {
      json = true;
    } else if (absl::ConsumePrefix(&a, "--threads=")) {
      if (!absl::SimpleAtoi(a, &options.threads) || options.threads < 1) {
        std::cerr << "omniroute-sim: --threads needs a whole number of at least 1, not \"" << a
                  << "\"\n";
        return kExitUsage;
      }
    } else if (absl::ConsumePrefix(&a, "--plot=")) {
      if (a.empty()) {
        std::cerr << "omniroute-sim: --plot needs a directory\n";
        return kExitUsage;
      }
      plot_dir = std::string(a);
    } else if (absl::StartsWith(a, "-")) {
      std::cerr << "omniroute-sim: unknown option \"" << a << "\"\nTry 'omniroute-sim --help'.\n";
      return kExitUsage;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::cerr << "omniroute-sim: one scenario file only (got \"" << path << "\" and \"" << arg
                << "\")\n";
      return kExitUsage;
    }
  }
  if (path.empty()) {
    std::cerr << "omniroute-sim: missing scenario file\n" << kHelp;
    return kExitUsage;
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "omniroute-sim: cannot read " << path << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  v1::Scenario scenario;
  FileErrorCollector collector(path);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  if (!parser.ParseFromString(text, &scenario)) {
    std::cerr << collector.text() << "omniroute-sim: " << path
              << " is not a valid omniroute.v1.Scenario\n";
    return kExitUsage;
  }
  std::cerr << collector.text();  // warnings, if any

  absl::StatusOr<v1::SimulationReport> report = sim::Simulate(scenario, options);
  if (!report.ok()) {
    std::cerr << "omniroute-sim: " << path << ": " << report.status().message() << "\n";
    return kExitFailure;
  }
  if (!plot_dir.empty()) {
    // The agents' share of the work around the scenario's roster.
    const std::vector<double> factors = {0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25, 1.5};
    absl::StatusOr<std::vector<sim::SweepPoint>> sweep =
        sim::SweepAgents(scenario, factors, options);
    if (!sweep.ok()) {
      std::cerr << "omniroute-sim: " << path << ": --plot: " << sweep.status().message() << "\n";
      return kExitFailure;
    }
    absl::StatusOr<std::vector<std::string>> written = sim::WriteCharts(plot_dir, *sweep, *report);
    if (!written.ok()) {
      std::cerr << "omniroute-sim: --plot: " << written.status().message() << "\n";
      return kExitFailure;
    }
    for (const std::string& file : *written) std::cerr << "omniroute-sim: wrote " << file << "\n";
  }
  if (json) {
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    print.always_print_primitive_fields = true;
    print.preserve_proto_field_names = true;
    std::string out;
    if (auto s = google::protobuf::util::MessageToJsonString(*report, &out, print); !s.ok()) {
      std::cerr << "omniroute-sim: cannot print the report as JSON: " << s.ToString() << "\n";
      return kExitFailure;
    }
    std::cout << out;
  } else {
    PrintReport(std::cout, *report);
  }
  std::cout.flush();
  return std::cout.good() ? kExitOk : kExitFailure;
}

}  // namespace
}  // namespace omniroute::sim_tool

int main(int argc, char** argv) { return omniroute::sim_tool::Main(argc, argv); }
