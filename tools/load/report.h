// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A load run's figures: per kind of RPC the calls, their throughput, the
// latency percentiles and the errors by gRPC code, and the totals; as text
// for a reader and as JSON for scripts (benchmarks/wire.sh, the tests).

#ifndef OMNIROUTE_TOOLS_LOAD_REPORT_H_
#define OMNIROUTE_TOOLS_LOAD_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "load/stats.h"

namespace omniroute::load {

struct RunDescription {
  std::string workload;
  std::string target;
  std::string tenant;
  // "closed" or "open".
  std::string mode;
  int concurrency = 0;
  double rate = 0;
  std::string arrivals;  // Open loop: "poisson" or "uniform".
  int channels = 0;
  int agents = 0;
  double duration_seconds = 0;
  double warmup_seconds = 0;
};

struct RunOutcome {
  Recorder::Snapshot stats;
  // Wall time of the measured window, in seconds.
  double measured_seconds = 0;
  int64_t customers = 0;
  int64_t delayed_starts = 0;
  std::vector<std::string> stream_failures;
};

struct Totals {
  int64_t calls = 0;
  int64_t errors = 0;
  double throughput = 0;
  double error_ratio = 0;
};
Totals ComputeTotals(const RunOutcome& outcome);

std::string TextReport(const RunDescription& run, const RunOutcome& outcome);
std::string JsonReport(const RunDescription& run, const RunOutcome& outcome);

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_REPORT_H_
