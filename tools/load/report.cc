// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace omniroute::load {
namespace {

double Micros(int64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

std::string Errors(const RpcStats& s) {
  if (s.errors.empty()) return "-";
  std::vector<std::string> parts;
  for (const auto& [code, n] : s.errors) parts.push_back(absl::StrCat(code, " ", n));
  return absl::StrJoin(parts, ", ");
}

// A JSON string (the report's strings are names and messages: quotes,
// backslashes and control characters are all that need escaping).
std::string Quote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Number(double value) { return absl::StrFormat("%.3f", value); }

}  // namespace

Totals ComputeTotals(const RunOutcome& outcome) {
  Totals t;
  for (const RpcStats& s : outcome.stats.rpcs) {
    t.calls += s.count();
    t.errors += s.error_count();
  }
  t.errors += outcome.stats.warmup_errors;
  t.throughput = outcome.measured_seconds > 0
                     ? static_cast<double>(t.calls) / outcome.measured_seconds
                     : 0;
  const int64_t all = t.calls + outcome.stats.warmup_calls;
  t.error_ratio = all > 0 ? static_cast<double>(t.errors) / static_cast<double>(all) : 0;
  return t;
}

std::string TextReport(const RunDescription& run, const RunOutcome& outcome) {
  std::string out;
  absl::StrAppend(&out, "omniroute-load: workload ", run.workload, " against ", run.target,
                  run.tenant.empty() ? "" : absl::StrCat(" (tenant ", run.tenant, ")"), "\n");
  if (run.mode == "closed") {
    absl::StrAppend(&out, "closed loop, ", run.concurrency, " in flight");
  } else {
    absl::StrAppendFormat(&out, "open loop, %.0f operations/s (%s arrivals)", run.rate,
                          run.arrivals);
  }
  absl::StrAppendFormat(&out, ", %d channels, %d agents, %.1f s measured after %.1f s warm-up\n\n",
                        run.channels, run.agents, outcome.measured_seconds, run.warmup_seconds);
  absl::StrAppendFormat(&out, "%-21s %9s %10s %10s %10s %10s %10s %10s  %s\n", "rpc", "calls",
                        "calls/s", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "errors");
  for (int i = 0; i < kRpcKinds; ++i) {
    const RpcStats& s = outcome.stats.rpcs[i];
    if (s.count() == 0) continue;
    const Histogram& h = s.latency_ns;
    absl::StrAppendFormat(
        &out, "%-21s %9d %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f  %s%s\n",
        RpcName(static_cast<Rpc>(i)), s.count(),
        static_cast<double>(s.count()) / outcome.measured_seconds, Micros(h.Percentile(50)),
        Micros(h.Percentile(90)), Micros(h.Percentile(99)), Micros(h.Percentile(99.9)),
        Micros(h.max()), Errors(s),
        s.superseded > 0 ? absl::StrCat(" (superseded ", s.superseded, ")") : "");
  }
  const Totals t = ComputeTotals(outcome);
  absl::StrAppendFormat(&out, "\ntotal: %d calls, %.1f calls/s, %d errors", t.calls, t.throughput,
                        t.errors);
  if (outcome.stats.warmup_errors > 0) {
    absl::StrAppend(&out, " (", outcome.stats.warmup_errors, " during the warm-up)");
  }
  absl::StrAppend(&out, "\n");
  if (outcome.stats.offers > 0) {
    const Histogram& h = outcome.stats.offer_latency_ns;
    absl::StrAppendFormat(&out,
                          "offers received by the agents: %d, %.1f/s; from the task's creation: "
                          "p50 %.1f us, p99 %.1f us, max %.1f us\n",
                          outcome.stats.offers,
                          static_cast<double>(outcome.stats.offers) / outcome.measured_seconds,
                          Micros(h.Percentile(50)), Micros(h.Percentile(99)), Micros(h.max()));
  }
  if (outcome.customers > 0) absl::StrAppend(&out, "customers created: ", outcome.customers, "\n");
  if (outcome.delayed_starts > 0) {
    absl::StrAppend(&out, "operations started late (too many in flight): ",
                    outcome.delayed_starts, "\n");
  }
  for (const std::string& f : outcome.stream_failures) absl::StrAppend(&out, f, "\n");
  return out;
}

std::string JsonReport(const RunDescription& run, const RunOutcome& outcome) {
  const Totals t = ComputeTotals(outcome);
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"workload\": ", Quote(run.workload), ",\n");
  absl::StrAppend(&out, "  \"target\": ", Quote(run.target), ",\n");
  absl::StrAppend(&out, "  \"tenant\": ", Quote(run.tenant), ",\n");
  absl::StrAppend(&out, "  \"mode\": ", Quote(run.mode), ",\n");
  absl::StrAppend(&out, "  \"concurrency\": ", run.concurrency, ",\n");
  absl::StrAppend(&out, "  \"rate\": ", Number(run.rate), ",\n");
  absl::StrAppend(&out, "  \"arrivals\": ", Quote(run.arrivals), ",\n");
  absl::StrAppend(&out, "  \"channels\": ", run.channels, ",\n");
  absl::StrAppend(&out, "  \"agents\": ", run.agents, ",\n");
  absl::StrAppend(&out, "  \"duration_seconds\": ", Number(run.duration_seconds), ",\n");
  absl::StrAppend(&out, "  \"warmup_seconds\": ", Number(run.warmup_seconds), ",\n");
  absl::StrAppend(&out, "  \"measured_seconds\": ", Number(outcome.measured_seconds), ",\n");
  absl::StrAppend(&out, "  \"rpcs\": {");
  bool first = true;
  for (int i = 0; i < kRpcKinds; ++i) {
    const RpcStats& s = outcome.stats.rpcs[i];
    if (s.count() == 0) continue;
    const Histogram& h = s.latency_ns;
    absl::StrAppend(&out, first ? "\n" : ",\n", "    ", Quote(RpcName(static_cast<Rpc>(i))),
                    ": {\n");
    first = false;
    absl::StrAppend(&out, "      \"count\": ", s.count(), ",\n");
    absl::StrAppend(&out, "      \"ok\": ", s.ok, ",\n");
    absl::StrAppend(&out, "      \"superseded\": ", s.superseded, ",\n");
    absl::StrAppend(
        &out, "      \"throughput\": ",
        Number(static_cast<double>(s.count()) / outcome.measured_seconds), ",\n");
    absl::StrAppend(&out, "      \"errors\": ", s.error_count(), ",\n");
    absl::StrAppend(&out, "      \"errors_by_code\": {");
    bool first_code = true;
    for (const auto& [code, n] : s.errors) {
      absl::StrAppend(&out, first_code ? "" : ", ", Quote(code), ": ", n);
      first_code = false;
    }
    absl::StrAppend(&out, "},\n");
    absl::StrAppend(&out, "      \"latency_us\": {\"p50\": ", Number(Micros(h.Percentile(50))),
                    ", \"p90\": ", Number(Micros(h.Percentile(90))),
                    ", \"p99\": ", Number(Micros(h.Percentile(99))),
                    ", \"p99_9\": ", Number(Micros(h.Percentile(99.9))),
                    ", \"max\": ", Number(Micros(h.max())), ", \"mean\": ", Number(h.mean() / 1000),
                    "}\n    }");
  }
  absl::StrAppend(&out, first ? "},\n" : "\n  },\n");
  absl::StrAppend(&out, "  \"total\": {\"calls\": ", t.calls, ", \"errors\": ", t.errors,
                  ", \"throughput\": ", Number(t.throughput),
                  ", \"error_ratio\": ", absl::StrFormat("%.6f", t.error_ratio),
                  ", \"warmup_calls\": ", outcome.stats.warmup_calls,
                  ", \"warmup_errors\": ", outcome.stats.warmup_errors, "},\n");
  absl::StrAppend(&out, "  \"offers\": ", outcome.stats.offers, ",\n");
  {
    const Histogram& h = outcome.stats.offer_latency_ns;
    absl::StrAppend(&out, "  \"offers_per_second\": ",
                    Number(static_cast<double>(outcome.stats.offers) / outcome.measured_seconds),
                    ",\n");
    absl::StrAppend(&out, "  \"offer_latency_us\": {\"p50\": ", Number(Micros(h.Percentile(50))),
                    ", \"p90\": ", Number(Micros(h.Percentile(90))),
                    ", \"p99\": ", Number(Micros(h.Percentile(99))),
                    ", \"max\": ", Number(Micros(h.max())), "},\n");
  }
  absl::StrAppend(&out, "  \"customers\": ", outcome.customers, ",\n");
  absl::StrAppend(&out, "  \"delayed_starts\": ", outcome.delayed_starts, ",\n");
  std::vector<std::string> failures;
  for (const std::string& f : outcome.stream_failures) failures.push_back(Quote(f));
  absl::StrAppend(&out, "  \"stream_failures\": [", absl::StrJoin(failures, ", "), "]\n}\n");
  return out;
}

}  // namespace omniroute::load
