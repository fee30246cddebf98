// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-load: loads a running omniroute-server over gRPC and reports
// throughput and latency per RPC.
//
//   omniroute-load --target=127.0.0.1:50051 --workload=ingest --concurrency=64
//   omniroute-load --workload=ingest --rate=2000 --json=ingest-open.json
//
// Closed loop (--concurrency, the default) or open loop (--rate); the run
// lasts --warmup then --duration and stops by itself. Exit status: 0, 1 when
// setup fails (no server, tenant refused), 2 for bad flags, 3 when the
// share of calls that failed is above --max_error_ratio.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/channel_target.h"
#include "common/client_channel.h"
#include "common/flag_help.h"
#include "load/agents.h"
#include "load/connections.h"
#include "load/driver.h"
#include "load/report.h"
#include "load/setup.h"
#include "load/stats.h"
#include "load/workload.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "host:port of the omniroute-server, or of several nodes of a cluster (comma-separated "
          "IP literals: each channel starts on another one and moves on when it goes away)");
ABSL_FLAG(std::string, workload, "ingest", "ping, ingest, mixed, churn or offers");
ABSL_FLAG(int, concurrency, 16, "closed loop: operations in flight at all times");
ABSL_FLAG(double, rate, 0,
          "open loop: operations started per second whatever the server does (0: closed loop)");
ABSL_FLAG(std::string, arrivals, "poisson",
          "open loop: poisson (exponential gaps) or uniform (evenly spaced)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "how long the measured run lasts");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "run this long first, not measured");
ABSL_FLAG(int, channels, 2, "gRPC channels (separate connections); calls take them in turn");
ABSL_FLAG(int, agents, 8,
          "mixed and offers: agents who stream their offers, accept and complete them");
ABSL_FLAG(std::string, tenant, "",
          "tenant the run creates and loads (default: load-<pid>-<time>, a fresh one)");
ABSL_FLAG(std::string, json, "", "also write the report as JSON to this file");
ABSL_FLAG(double, max_error_ratio, 0,
          "exit 3 when more than this share of the calls failed (0: any error fails the run)");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(10), "deadline of every call");
ABSL_FLAG(int, max_in_flight, 10000,
          "open loop: operations in flight at most; a later one waits, its latency still counted "
          "from its intended start");
ABSL_FLAG(uint64_t, seed, 1, "seed of the workload's choices and of the arrivals");
ABSL_FLAG(int, population, 10000, "churn: the customers who write in, again and again");
ABSL_FLAG(std::string, slow_calls, "",
          "write every measured call slower than --slow_call_threshold to this file, a line "
          "each: its intended start in microseconds since the Unix epoch and on the steady "
          "clock (CLOCK_MONOTONIC), its latency in microseconds, the RPC");
ABSL_FLAG(absl::Duration, slow_call_threshold, absl::Milliseconds(10),
          "what --slow_calls counts as slow");
ABSL_FLAG(std::string, token, "",
          "credential sent with every call (\"authorization: Bearer <token>\"): an API key or a "
          "JWT");
ABSL_FLAG(std::string, tls_ca, "", "PEM file of the CA of the server's certificate: speak TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM file of the client certificate (mutual TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the private key of --tls_cert");
ABSL_FLAG(bool, insecure, false,
          "send --token over plain text to a server on another machine (without it, a token "
          "goes in clear to a loopback address only)");
ABSL_FLAG(std::string, closed_retention, "",
          "the created tenant's closed_retention (e.g. 1m); empty: the server's default");

namespace {

// What --slow_calls keeps at most: enough for a run of spikes, bounded for a
// run where every call is slow.
constexpr size_t kMaxSlowCalls = 200000;

int Fail(const std::string& message, int code) {
  std::cerr << "omniroute-load: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  omniroute::tools::SetUpFlagHelp(
      "Loads an omniroute-server over gRPC (ping, ingest, mixed or churn workload, closed or open "
      "loop) and reports throughput and latency per RPC.",
      __FILE__, argc, argv);
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex
  // acquisition would also update a process-wide lock-order graph (3-4% of
  // a busy server's CPU, behind a global lock). The tests keep that check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  namespace load = omniroute::load;

  absl::StatusOr<load::WorkloadKind> kind = load::ParseWorkload(absl::GetFlag(FLAGS_workload));
  if (!kind.ok()) return Fail(std::string(kind.status().message()), 2);
  const double rate = absl::GetFlag(FLAGS_rate);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const std::string arrivals = absl::GetFlag(FLAGS_arrivals);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const int channels = absl::GetFlag(FLAGS_channels);
  const bool with_agents =
      *kind == load::WorkloadKind::kMixed || *kind == load::WorkloadKind::kOffers;
  const int agents = with_agents ? absl::GetFlag(FLAGS_agents) : 0;
  if (rate < 0) return Fail("--rate: must not be negative", 2);
  if (rate == 0 && concurrency < 1) return Fail("--concurrency: must be at least 1", 2);
  if (arrivals != "poisson" && arrivals != "uniform") {
    return Fail("--arrivals: must be poisson or uniform", 2);
  }
  if (duration <= absl::ZeroDuration()) return Fail("--duration: must be positive", 2);
  if (warmup < absl::ZeroDuration()) return Fail("--warmup: must not be negative", 2);
  if (channels < 1) return Fail("--channels: must be at least 1", 2);
  if (agents < 0) return Fail("--agents: must not be negative", 2);
  if (*kind == load::WorkloadKind::kOffers && agents < 1) {
    return Fail("--agents: the offers workload needs at least 1", 2);
  }
  if (absl::GetFlag(FLAGS_max_in_flight) < 1) return Fail("--max_in_flight: must be positive", 2);
  const int population = absl::GetFlag(FLAGS_population);
  if (population < 1) return Fail("--population: must be at least 1", 2);
  std::optional<absl::Duration> closed_retention;
  if (const std::string flag = absl::GetFlag(FLAGS_closed_retention); !flag.empty()) {
    absl::Duration parsed;
    if (!absl::ParseDuration(flag, &parsed) || parsed < absl::ZeroDuration()) {
      return Fail(absl::StrCat("--closed_retention: \"", flag,
                               "\" is not a non-negative duration (e.g. 90s, 1m)"),
                  2);
    }
    closed_retention = parsed;
  }
  const auto rpc_timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_rpc_timeout));
  if (rpc_timeout.count() <= 0) return Fail("--rpc_timeout: must be positive", 2);

  std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (tenant.empty()) {
    tenant = absl::StrCat("load-", getpid(), "-", absl::ToUnixSeconds(absl::Now()));
  }

  load::RunDescription run;
  run.workload = load::WorkloadName(*kind);
  run.target = absl::GetFlag(FLAGS_target);
  run.tenant = *kind == load::WorkloadKind::kPing ? "" : tenant;
  run.mode = rate > 0 ? "open" : "closed";
  run.concurrency = rate > 0 ? 0 : concurrency;
  run.rate = rate;
  run.arrivals = rate > 0 ? arrivals : "";
  run.channels = channels;
  run.agents = agents;
  run.duration_seconds = absl::ToDoubleSeconds(duration);
  run.warmup_seconds = absl::ToDoubleSeconds(warmup);

  if (absl::StatusOr<std::string> checked = omniroute::tools::ChannelTarget("--target", run.target);
      !checked.ok()) {
    std::cerr << "omniroute-load: " << checked.status().message() << "\n";
    return 2;
  }
  omniroute::tools::ClientSecurity security;
  security.token = absl::GetFlag(FLAGS_token);
  security.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  security.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  security.tls_key = absl::GetFlag(FLAGS_tls_key);
  security.insecure = absl::GetFlag(FLAGS_insecure);
  if (auto checked = omniroute::tools::OpenClientChannel(run.target, security); !checked.ok()) {
    std::cerr << "omniroute-load: " << checked.status().message() << "\n";
    return 2;
  }
  load::Connections connections(run.target, channels, security);
  if (absl::Status s = connections.WaitConnected(std::chrono::system_clock::now() + rpc_timeout);
      !s.ok()) {
    return Fail(std::string(s.message()), 1);
  }
  absl::StatusOr<std::vector<std::string>> agent_ids = load::SetUpTenant(
      connections, {.tenant = tenant, .workload = *kind, .agents = agents,
                    .closed_retention = closed_retention, .rpc_timeout = rpc_timeout});
  if (!agent_ids.ok()) return Fail(absl::StrCat("setup: ", agent_ids.status().message()), 1);

  const load::Clock::time_point start = load::Clock::now();
  const load::Clock::time_point begin = start + absl::ToChronoNanoseconds(warmup);
  const load::Clock::time_point end = begin + absl::ToChronoNanoseconds(duration);
  load::Recorder recorder(begin, end);
  if (*kind == load::WorkloadKind::kOffers) recorder.TimeOffers();
  const std::string slow_calls_path = absl::GetFlag(FLAGS_slow_calls);
  if (!slow_calls_path.empty()) {
    recorder.KeepSlowCalls(absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_slow_call_threshold)),
                           kMaxSlowCalls);
  }
  load::Workload workload(*kind, tenant, absl::GetFlag(FLAGS_seed), population);
  load::Driver driver(connections, workload, recorder, rpc_timeout);

  std::optional<load::Agents> agent_streams;
  if (!agent_ids->empty()) agent_streams.emplace(driver, tenant, *agent_ids, end);
  if (rate > 0) {
    driver.RunOpenLoop(rate, arrivals == "poisson", end, absl::GetFlag(FLAGS_max_in_flight),
                       absl::GetFlag(FLAGS_seed));
  } else {
    driver.RunClosedLoop(concurrency, end);
  }
  load::RunOutcome outcome;
  if (agent_streams.has_value()) {
    // Agents answer nothing after `end`; what they started is drained first.
    driver.Drain();
    outcome.stream_failures = agent_streams->failures();
    agent_streams->Stop();
  }

  outcome.stats = recorder.Take();
  outcome.measured_seconds = absl::ToDoubleSeconds(duration);
  outcome.customers = *kind == load::WorkloadKind::kPing ? 0 : workload.customers();
  outcome.delayed_starts = driver.delayed_starts();
  std::cout << load::TextReport(run, outcome) << std::flush;
  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    std::ofstream out(json_path, std::ios::trunc);
    out << load::JsonReport(run, outcome);
    out.close();
    if (!out) return Fail(absl::StrCat("--json: cannot write ", json_path), 1);
  }
  if (!slow_calls_path.empty()) {
    std::vector<load::SlowCall> slow = outcome.stats.slow_calls;
    std::sort(slow.begin(), slow.end(), [](const load::SlowCall& a, const load::SlowCall& b) {
      return a.start_unix_us < b.start_unix_us;
    });
    std::ofstream out(slow_calls_path, std::ios::trunc);
    for (const load::SlowCall& call : slow) {
      out << call.start_unix_us << '\t' << call.start_steady_us << '\t' << call.latency_us << '\t' << load::RpcName(call.rpc)
          << '\n';
    }
    if (outcome.stats.slow_calls_dropped > 0) {
      out << "# " << outcome.stats.slow_calls_dropped << " more slow calls not kept\n";
    }
    out.close();
    if (!out) return Fail(absl::StrCat("--slow_calls: cannot write ", slow_calls_path), 1);
  }
  const load::Totals totals = load::ComputeTotals(outcome);
  if (totals.calls == 0) return Fail("no call was measured", 3);
  if (totals.error_ratio > absl::GetFlag(FLAGS_max_error_ratio) ||
      !outcome.stream_failures.empty()) {
    return Fail(absl::StrFormat("%d of the calls failed (ratio %.6f, at most %g allowed)",
                                totals.errors, totals.error_ratio,
                                absl::GetFlag(FLAGS_max_error_ratio)),
                3);
  }
  return 0;
}
