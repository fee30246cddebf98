// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Failover time of a cluster node killed outright: from the SIGKILL of the
// node that holds a tenant to the first call for that tenant that another
// node answers OK.
//
//   omniroute_failover_benchmark --server=build/release/tools/omniroute-server
//       --store='postgresql:///postgres?host=/tmp/...&user=omniroute'
//       --events=1000000 --kills=20 [--nodes=2] [--lease_ms=2000] [--work_dir=DIR]
//
// (benchmarks/failover.sh starts the PostgreSQL and runs it for each size.)
//
// It starts --nodes omniroute-server processes on the store (127.0.0.1, the
// first start on port 0, every restart on the port it got then, so that the
// nodes' addresses never change), fills one fresh tenant to at least
// --events events with omniroute-load's ingest workload (stopped once
// GetLastSequence reaches the figure), then --kills times:
//
//   1. waits until the cluster is settled: exactly one node holds the tenant
//      (DiagnosticsService.GetNodeStatus of every node), GetLastSequence on
//      that node answers OK, and both have stayed so for a whole lease;
//   2. waits a random 0 to --kill_jitter_ms (so that the kills fall at every
//      point of the nodes' heartbeat rounds);
//   3. SIGKILLs the holder (t0);
//   4. probes GetLastSequence for the tenant on every surviving node, one
//      thread per node, each probe with a --probe_deadline_ms deadline and
//      at most 1 ms between probes, until one answers OK (t1), and checks
//      that its last sequence is not below the one the killed node answered
//      before the kill (nothing lost; it may be above: the server's timers,
//      offer and SLA deadlines, append events of their own);
//      meanwhile another thread asks the survivors' GetNodeStatus every
//      --status_poll_ms until one of them lists the tenant (ta: the node has
//      taken the lease and is reading the tenant from the store);
//   5. restarts the killed node on its port.
//
// failover = t1 - t0; of which lease = ta - t0 (the dead node's row expires,
// then a survivor's next round takes the lease) and catch-up = t1 - ta
// (reading the latest snapshot and the tail, and the first answer). It
// prints a line per kill and, for each of the three, min, p50, p90 and max
// (nearest rank) in ms. Every wait has a deadline; the program exits 1 with
// the reason (and the tail of the node's log) when one passes, 2 on bad
// flags. SIGINT or SIGTERM stop it; the nodes it started are stopped on
// every way out.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "omniroute/v1/service.grpc.pb.h"

ABSL_FLAG(std::string, server, "build/release/tools/omniroute-server", "omniroute-server binary");
ABSL_FLAG(std::string, load, "",
          "omniroute-load binary, which fills the tenant (default: next to --server)");
ABSL_FLAG(std::string, store, "", "the PostgreSQL URI the nodes share (required)");
ABSL_FLAG(int, nodes, 2, "nodes to start (2 or more)");
ABSL_FLAG(int64_t, lease_ms, 2000, "the nodes' --lease_ms");
ABSL_FLAG(int64_t, events, 10000, "fill the tenant to at least this many events");
ABSL_FLAG(int, kills, 20, "how many times to kill the tenant's owner");
ABSL_FLAG(std::string, tenant, "", "the tenant to create and fill (default: failover-<events>)");
ABSL_FLAG(std::string, work_dir, "",
          "where the nodes' logs and port files go (default: a new directory in /tmp)");
ABSL_FLAG(int, fill_concurrency, 64, "omniroute-load's --concurrency while filling");
ABSL_FLAG(int64_t, probe_deadline_ms, 200, "deadline of each probe after a kill");
ABSL_FLAG(int64_t, status_poll_ms, 2, "how often the survivors' GetNodeStatus is asked after a kill");
ABSL_FLAG(int64_t, kill_jitter_ms, 500, "wait a random 0 to this many ms before each kill");
ABSL_FLAG(uint64_t, seed, 1, "seed of the jitter");
ABSL_FLAG(int64_t, start_timeout_ms, 30000, "a node must listen within this long");
ABSL_FLAG(int64_t, fill_timeout_ms, 3600000, "the tenant must be filled within this long");
ABSL_FLAG(int64_t, failover_timeout_ms, 60000, "a survivor must answer within this long of a kill");
ABSL_FLAG(int64_t, settle_timeout_ms, 180000,
          "the cluster must settle (one holder, answering) within this long");

namespace {

namespace v1 = omniroute::v1;
using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_interrupted = 0;
void OnSignal(int) { g_interrupted = 1; }

absl::Status Interrupted() {
  return absl::CancelledError("interrupted (SIGINT or SIGTERM)");
}

double MsSince(Clock::time_point from, Clock::time_point to = Clock::now()) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

void SleepMs(double ms) {
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(ms * 1000)));
}

std::unique_ptr<grpc::ClientContext> Context(int64_t deadline_ms) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  return context;
}

// The last lines of a log, for an error message.
std::string Tail(const std::string& path, size_t lines = 15) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  const size_t from = all.size() > lines ? all.size() - lines : 0;
  std::string out;
  for (size_t i = from; i < all.size(); ++i) absl::StrAppend(&out, "    ", all[i], "\n");
  return out.empty() ? "    (empty)\n" : out;
}

// Starts `argv` with stdin from /dev/null and stdout and stderr appended to
// `log`.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", strerror(error)));
  }
  return pid;
}

// Waits for `pid` to exit, at most `timeout_ms`; true if it did.
bool Reap(pid_t pid, int64_t timeout_ms) {
  const Clock::time_point start = Clock::now();
  while (true) {
    const pid_t done = waitpid(pid, nullptr, WNOHANG);
    if (done == pid || done < 0) return true;
    if (MsSince(start) > timeout_ms) return false;
    SleepMs(5);
  }
}

// Stops a child: SIGTERM, then SIGKILL after `grace_ms`.
void Stop(pid_t pid, int64_t grace_ms) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  if (!Reap(pid, grace_ms)) {
    kill(pid, SIGKILL);
    Reap(pid, 10000);
  }
}

struct Node {
  std::string id;
  int port = 0;  // 0 until its first start.
  pid_t pid = -1;
  std::string log;
  std::string port_file;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::DiagnosticsService::Stub> diagnostics;
  std::unique_ptr<v1::EventService::Stub> events;

  std::string address() const { return absl::StrCat("127.0.0.1:", port); }
};

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  // A node that was killed and restarted on the same port is reconnected
  // to within 100 ms, on a connection of this channel's own.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

class Cluster {
 public:
  Cluster(std::string server, std::string store, int64_t lease_ms, std::string dir)
      : server_(std::move(server)), store_(std::move(store)), lease_ms_(lease_ms),
        dir_(std::move(dir)) {}
  ~Cluster() {
    for (Node& node : nodes_) Stop(node.pid, 15000);
  }

  std::vector<Node>& nodes() { return nodes_; }

  absl::Status StartAll(int count) {
    for (int i = 1; i <= count; ++i) {
      Node node;
      node.id = absl::StrCat("node-", i);
      node.log = absl::StrCat(dir_, "/", node.id, ".log");
      node.port_file = absl::StrCat(dir_, "/", node.id, ".port");
      nodes_.push_back(std::move(node));
    }
    for (Node& node : nodes_) {
      if (absl::Status s = Start(node); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Starts `node` (again), on its port if it had one, and waits until it
  // listens (it writes its port file once it has joined the cluster).
  absl::Status Start(Node& node) {
    unlink(node.port_file.c_str());
    const std::vector<std::string> argv = {
        server_,
        absl::StrCat("--listen=127.0.0.1:", node.port),
        absl::StrCat("--port_file=", node.port_file),
        absl::StrCat("--node_id=", node.id),
        absl::StrCat("--lease_ms=", lease_ms_),
        absl::StrCat("--store=", store_),
    };
    {
      std::ofstream log(node.log, std::ios::app);
      log << "---- failover benchmark: starting " << node.id << " on port " << node.port << "\n";
    }
    absl::StatusOr<pid_t> pid = Spawn(argv, node.log);
    if (!pid.ok()) return pid.status();
    node.pid = *pid;
    const Clock::time_point start = Clock::now();
    const int64_t timeout = absl::GetFlag(FLAGS_start_timeout_ms);
    while (true) {
      if (g_interrupted) return Interrupted();
      std::ifstream in(node.port_file);
      int port = 0;
      if (in >> port && port > 0) {
        if (node.port != 0 && port != node.port) {
          return absl::InternalError(
              absl::StrCat(node.id, " restarted on port ", port, ", not ", node.port));
        }
        node.port = port;
        break;
      }
      if (waitpid(node.pid, nullptr, WNOHANG) == node.pid) {
        node.pid = -1;
        return absl::InternalError(
            absl::StrCat(node.id, " exited before it listened; its log ", node.log, ":\n",
                         Tail(node.log)));
      }
      if (MsSince(start) > timeout) {
        return absl::DeadlineExceededError(
            absl::StrCat(node.id, " did not listen within ", timeout, " ms; its log ", node.log,
                         ":\n", Tail(node.log)));
      }
      SleepMs(5);
    }
    node.channel = NewChannel(node.address());
    node.diagnostics = v1::DiagnosticsService::NewStub(node.channel);
    node.events = v1::EventService::NewStub(node.channel);
    return absl::OkStatus();
  }

  void Kill(Node& node) { kill(node.pid, SIGKILL); }
  absl::Status Reap(Node& node) {
    if (!::Reap(node.pid, 10000)) {
      return absl::InternalError(absl::StrCat(node.id, " (pid ", node.pid,
                                              ") was still there 10 s after SIGKILL"));
    }
    node.pid = -1;
    return absl::OkStatus();
  }

  std::string Addresses() const {
    std::vector<std::string> addresses;
    for (const Node& node : nodes_) addresses.push_back(node.address());
    return absl::StrJoin(addresses, ",");
  }

 private:
  const std::string server_;
  const std::string store_;
  const int64_t lease_ms_;
  const std::string dir_;
  std::vector<Node> nodes_;
};

absl::StatusOr<uint64_t> LastSequence(Node& node, const std::string& tenant, int64_t deadline_ms) {
  v1::GetLastSequenceRequest request;
  request.set_tenant_id(tenant);
  v1::GetLastSequenceResponse response;
  grpc::Status s = node.events->GetLastSequence(Context(deadline_ms).get(), request, &response);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return response.sequence();
}

absl::StatusOr<bool> Holds(Node& node, const std::string& tenant, int64_t deadline_ms) {
  v1::GetNodeStatusRequest request;
  v1::NodeStatus status;
  grpc::Status s = node.diagnostics->GetNodeStatus(Context(deadline_ms).get(), request, &status);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat(node.id, ": GetNodeStatus: ", s.error_message()));
  }
  const auto& held = status.held_tenant_ids();
  return std::find(held.begin(), held.end(), tenant) != held.end();
}

// Fills `tenant` with omniroute-load's ingest workload until its last
// sequence is at least `events`, then stops the load and returns the last
// sequence once it has stopped moving.
absl::StatusOr<uint64_t> Fill(Cluster& cluster, const std::string& load, const std::string& tenant,
                              int64_t events, const std::string& dir) {
  const std::string log = absl::StrCat(dir, "/load.log");
  const std::vector<std::string> argv = {
      load,
      absl::StrCat("--target=", cluster.Addresses()),
      "--workload=ingest",
      absl::StrCat("--tenant=", tenant),
      absl::StrCat("--concurrency=", absl::GetFlag(FLAGS_fill_concurrency)),
      "--warmup=0s",
      "--duration=100h",
      "--max_error_ratio=1",
  };
  absl::StatusOr<pid_t> pid = Spawn(argv, log);
  if (!pid.ok()) return pid.status();
  const Clock::time_point start = Clock::now();
  const int64_t timeout = absl::GetFlag(FLAGS_fill_timeout_ms);
  Node& reader = cluster.nodes().front();
  uint64_t last = 0;
  double last_report = 0;
  while (true) {
    if (g_interrupted) {
      Stop(*pid, 1000);
      return Interrupted();
    }
    if (waitpid(*pid, nullptr, WNOHANG) == *pid) {
      return absl::InternalError(absl::StrCat("omniroute-load exited at ", last,
                                              " events; its log ", log, ":\n", Tail(log)));
    }
    if (MsSince(start) > timeout) {
      Stop(*pid, 1000);
      return absl::DeadlineExceededError(absl::StrCat(
          "the tenant had ", last, " events after ", timeout, " ms, not ", events));
    }
    // NOT_FOUND until the load has created the tenant.
    if (absl::StatusOr<uint64_t> sequence = LastSequence(reader, tenant, 5000); sequence.ok()) {
      last = *sequence;
      if (last >= static_cast<uint64_t>(events)) break;
    }
    if (MsSince(start) - last_report >= 10000) {
      last_report = MsSince(start);
      std::cerr << absl::StrFormat("  filling: %d events after %.0f s\n", last,
                                   last_report / 1000);
    }
    SleepMs(100);
  }
  Stop(*pid, 0);  // SIGTERM, then SIGKILL at once: its report is not wanted.
  const double seconds = MsSince(start) / 1000;
  // The calls in flight when it stopped are still applied: wait until the
  // sequence stops moving.
  uint64_t settled = last;
  for (int same = 0; same < 3;) {
    SleepMs(300);
    absl::StatusOr<uint64_t> sequence = LastSequence(reader, tenant, 5000);
    if (!sequence.ok()) return sequence.status();
    same = *sequence == settled ? same + 1 : 0;
    settled = *sequence;
  }
  std::cerr << absl::StrFormat("  filled: %d events in %.1f s (%.0f events/s)\n", settled,
                               seconds, settled / seconds);
  return settled;
}

struct Settled {
  size_t holder = 0;
  uint64_t sequence = 0;  // The holder's last answer.
};

// Waits until exactly one node holds `tenant` and answers GetLastSequence
// for it, continuously for `stable_ms`. DATA_LOSS if an answer is below
// `at_least`.
absl::StatusOr<Settled> Settle(Cluster& cluster, const std::string& tenant, uint64_t at_least,
                               int64_t stable_ms) {
  const Clock::time_point start = Clock::now();
  const int64_t timeout = absl::GetFlag(FLAGS_settle_timeout_ms);
  std::optional<size_t> holder;
  uint64_t sequence = 0;
  Clock::time_point since;
  std::string why = "not asked yet";
  while (true) {
    if (g_interrupted) return Interrupted();
    if (MsSince(start) > timeout) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the cluster did not settle within ", timeout, " ms: ", why));
    }
    std::vector<size_t> holders;
    bool answered = true;
    for (size_t i = 0; i < cluster.nodes().size(); ++i) {
      absl::StatusOr<bool> holds = Holds(cluster.nodes()[i], tenant, 1000);
      if (!holds.ok()) {
        why = holds.status().ToString();
        answered = false;
        break;
      }
      if (*holds) holders.push_back(i);
    }
    std::optional<size_t> now_holder;
    if (answered && holders.size() == 1) {
      Node& node = cluster.nodes()[holders[0]];
      absl::StatusOr<uint64_t> answer = LastSequence(node, tenant, 5000);
      if (!answer.ok()) {
        why = absl::StrCat(node.id, " holds it; GetLastSequence: ", answer.status().ToString());
      } else if (*answer < at_least) {
        return absl::DataLossError(absl::StrCat(node.id, " answers last sequence ", *answer,
                                                " for the tenant, below ", at_least));
      } else {
        now_holder = holders[0];
        sequence = *answer;
      }
    } else if (answered) {
      why = absl::StrCat(holders.size(), " nodes hold the tenant");
    }
    if (now_holder != holder) {
      holder = now_holder;
      since = Clock::now();
    } else if (holder.has_value() && MsSince(since) >= stable_ms) {
      return Settled{*holder, sequence};
    }
    SleepMs(20);
  }
}

struct Kill {
  std::string victim;
  std::string answered_by;
  std::string taken_by;
  uint64_t sequence = 0;  // The first OK answer's.
  double failover_ms = 0;
  double lease_ms = -1;  // -1: no survivor was seen holding it before the answer.
  std::map<std::string, int> failed_probes;  // By gRPC code.
  int probes = 0;
};

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    default: return absl::StrCat("code ", static_cast<int>(code));
  }
}

// Kills the node at `victim` and measures until a survivor answers.
absl::StatusOr<Kill> KillOnce(Cluster& cluster, size_t victim, const std::string& tenant,
                              uint64_t at_least) {
  const int64_t probe_deadline = absl::GetFlag(FLAGS_probe_deadline_ms);
  const int64_t poll_ms = absl::GetFlag(FLAGS_status_poll_ms);
  const int64_t timeout = absl::GetFlag(FLAGS_failover_timeout_ms);
  std::vector<Node*> survivors;
  for (size_t i = 0; i < cluster.nodes().size(); ++i) {
    if (i != victim) survivors.push_back(&cluster.nodes()[i]);
  }
  Kill result;
  result.victim = cluster.nodes()[victim].id;

  std::atomic<bool> done{false};
  std::mutex mu;
  std::optional<Clock::time_point> answered_at;
  std::optional<Clock::time_point> taken_at;
  std::string bad_answer;

  cluster.Kill(cluster.nodes()[victim]);
  const Clock::time_point t0 = Clock::now();

  std::vector<std::thread> threads;
  for (Node* node : survivors) {
    threads.emplace_back([&, node] {
      v1::GetLastSequenceRequest request;
      request.set_tenant_id(tenant);
      while (!done.load() && !g_interrupted && MsSince(t0) < timeout) {
        v1::GetLastSequenceResponse response;
        grpc::Status s =
            node->events->GetLastSequence(Context(probe_deadline).get(), request, &response);
        const Clock::time_point at = Clock::now();
        {
          std::lock_guard<std::mutex> lock(mu);
          ++result.probes;
          if (s.ok()) {
            if (!answered_at.has_value() || at < *answered_at) {
              answered_at = at;
              result.answered_by = node->id;
              result.sequence = response.sequence();
              if (response.sequence() < at_least) {
                bad_answer = absl::StrCat(node->id, " answered last sequence ",
                                          response.sequence(), ", below ", at_least,
                                          " answered before the kill");
              }
            }
            done.store(true);
            return;
          }
          ++result.failed_probes[CodeName(s.error_code())];
        }
        // A refusal comes back at once: probe again within 1 ms.
        if (s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) SleepMs(1);
      }
    });
  }
  threads.emplace_back([&] {
    while (!done.load() && !g_interrupted && MsSince(t0) < timeout) {
      for (Node* node : survivors) {
        absl::StatusOr<bool> holds = Holds(*node, tenant, 1000);
        if (holds.ok() && *holds) {
          std::lock_guard<std::mutex> lock(mu);
          taken_at = Clock::now();
          result.taken_by = node->id;
          return;  // Ask no more: the survivor is reading the tenant.
        }
      }
      SleepMs(poll_ms);
    }
  });
  for (std::thread& thread : threads) thread.join();
  if (absl::Status s = cluster.Reap(cluster.nodes()[victim]); !s.ok()) return s;
  if (g_interrupted) return Interrupted();
  if (!answered_at.has_value()) {
    std::string survivors_logs;
    for (Node* node : survivors) {
      absl::StrAppend(&survivors_logs, node->id, " (", node->log, "):\n", Tail(node->log, 8));
    }
    return absl::DeadlineExceededError(absl::StrCat(
        "no survivor answered for the tenant within ", timeout, " ms of killing ", result.victim,
        "\n", survivors_logs));
  }
  if (!bad_answer.empty()) return absl::DataLossError(bad_answer);
  result.failover_ms = MsSince(t0, *answered_at);
  if (taken_at.has_value() && *taken_at <= *answered_at) result.lease_ms = MsSince(t0, *taken_at);
  return result;
}

// Nearest rank.
double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * values.size()));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

std::string Summary(const std::string& what, const std::vector<double>& values) {
  if (values.empty()) return absl::StrFormat("  %-24s no samples\n", what);
  return absl::StrFormat("  %-24s min %7.0f  p50 %7.0f  p90 %7.0f  max %7.0f   (n=%d)\n", what,
                         Percentile(values, 0), Percentile(values, 50), Percentile(values, 90),
                         Percentile(values, 100), values.size());
}

absl::Status Run() {
  const std::string server = absl::GetFlag(FLAGS_server);
  std::string load = absl::GetFlag(FLAGS_load);
  if (load.empty()) {
    const size_t slash = server.rfind('/');
    load = (slash == std::string::npos ? std::string() : server.substr(0, slash + 1)) +
           "omniroute-load";
  }
  const int64_t lease_ms = absl::GetFlag(FLAGS_lease_ms);
  const int64_t events = absl::GetFlag(FLAGS_events);
  const int kills = absl::GetFlag(FLAGS_kills);
  std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (tenant.empty()) tenant = absl::StrCat("failover-", events);
  std::string dir = absl::GetFlag(FLAGS_work_dir);
  if (dir.empty()) {
    char pattern[] = "/tmp/omniroute-failover-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return absl::InternalError("cannot create a work directory");
    dir = pattern;
  } else {
    mkdir(dir.c_str(), 0755);
  }

  std::cout << absl::StrFormat(
                   "failover: %d nodes, lease %d ms, tenant %s filled to >= %d events, %d kills "
                   "(logs in %s)\n",
                   absl::GetFlag(FLAGS_nodes), lease_ms, tenant, events, kills, dir)
            << std::flush;
  Cluster cluster(server, absl::GetFlag(FLAGS_store), lease_ms, dir);
  if (absl::Status s = cluster.StartAll(absl::GetFlag(FLAGS_nodes)); !s.ok()) return s;
  std::cerr << "  nodes listening on " << cluster.Addresses() << "\n";

  absl::StatusOr<uint64_t> filled = Fill(cluster, load, tenant, events, dir);
  if (!filled.ok()) return filled.status();
  std::cout << absl::StrFormat("tenant %s: %d events\n", tenant, *filled) << std::flush;

  std::mt19937_64 random(absl::GetFlag(FLAGS_seed));
  const int64_t jitter = absl::GetFlag(FLAGS_kill_jitter_ms);
  std::vector<double> failover, lease, catch_up;
  const Clock::time_point begun = Clock::now();
  uint64_t sequence = *filled;
  for (int k = 1; k <= kills; ++k) {
    const Clock::time_point settle_start = Clock::now();
    absl::StatusOr<Settled> settled = Settle(cluster, tenant, sequence, lease_ms);
    if (!settled.ok()) {
      return absl::Status(settled.status().code(),
                          absl::StrCat("before kill ", k, ": ", settled.status().message()));
    }
    const size_t holder = settled->holder;
    sequence = settled->sequence;
    const double settle_ms = MsSince(settle_start);
    if (jitter > 0) {
      SleepMs(std::uniform_int_distribution<int64_t>(0, jitter)(random));
    }
    absl::StatusOr<Kill> measured = KillOnce(cluster, holder, tenant, sequence);
    if (!measured.ok()) {
      return absl::Status(measured.status().code(),
                          absl::StrCat("kill ", k, ": ", measured.status().message()));
    }
    const Kill& sample = *measured;
    sequence = sample.sequence;
    failover.push_back(sample.failover_ms);
    std::string split = "lease - (not seen held before the answer)";
    if (sample.lease_ms >= 0) {
      lease.push_back(sample.lease_ms);
      catch_up.push_back(sample.failover_ms - sample.lease_ms);
      split = absl::StrFormat("lease %6.0f + catch-up %5.0f (taken by %s)", sample.lease_ms,
                              sample.failover_ms - sample.lease_ms, sample.taken_by);
    }
    std::vector<std::string> failed;
    for (const auto& [code, count] : sample.failed_probes) {
      failed.push_back(absl::StrCat(count, " ", code));
    }
    std::cout << absl::StrFormat(
                     "kill %2d: %s killed, %s answered %d after %7.1f ms = %s; %d probes (%s); "
                     "settled %.1f s before\n",
                     k, sample.victim, sample.answered_by, sample.sequence, sample.failover_ms,
                     split, sample.probes,
                     failed.empty() ? "none failed" : absl::StrJoin(failed, ", "),
                     settle_ms / 1000)
              << std::flush;
    if (absl::Status s = cluster.Start(cluster.nodes()[holder]); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("restarting after kill ", k, ": ", s.message()));
    }
  }
  std::cout << absl::StrFormat(
                   "%d kills in %.0f s; %d events (%d at the end), %d nodes, lease %d ms; in ms:\n",
                   kills, MsSince(begun) / 1000, *filled, sequence, cluster.nodes().size(),
                   lease_ms)
            << Summary("failover (kill -> OK)", failover) << Summary("  lease (kill -> taken)", lease)
            << Summary("  catch-up (taken -> OK)", catch_up) << std::flush;
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Kills the node that holds a tenant, again and again, and measures how long until another "
      "node answers for it. See benchmarks/README.md, \"Failover\".");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_store).empty()) {
    std::cerr << "omniroute_failover_benchmark: --store: required (a postgresql:// URI; "
                 "benchmarks/failover.sh starts one)\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_nodes) < 2 || absl::GetFlag(FLAGS_kills) < 1 ||
      absl::GetFlag(FLAGS_events) < 1 || absl::GetFlag(FLAGS_lease_ms) < 100) {
    std::cerr << "omniroute_failover_benchmark: --nodes must be at least 2, --kills and --events "
                 "at least 1, --lease_ms at least 100\n";
    return 2;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (absl::Status s = Run(); !s.ok()) {
    std::cerr << "omniroute_failover_benchmark: " << s << "\n";
    return 1;
  }
  return 0;
}
