// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The real omniroute-load against a real omniroute-server (in memory, on
// 127.0.0.1 port 0): each workload for about a second, closed loop at a low
// concurrency and open loop at a low rate. The JSON report must show calls
// that succeeded, no error, and ordered percentiles.
//
// Nothing here sleeps: the server is ready once it has written its port
// file (waited for on its stderr pipe, which it writes right after), and a
// run is over when its process exits, which it does by itself.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

extern char** environ;

namespace omniroute {
namespace {

constexpr char kLoad[] = OMNIROUTE_LOAD_PATH;
constexpr char kServer[] = OMNIROUTE_SERVER_PATH;
// Generous: the machine is shared, and nothing waits this long when all is
// well.
constexpr auto kDeadline = std::chrono::seconds(60);

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Spawns `program` with stdout and stderr into files, or stderr into a pipe
// (`pipe_stderr`) that ReadSome() reads.
class Process {
 public:
  Process(const std::string& program, const std::vector<std::string>& args,
          const std::string& stdout_path, const std::string& stderr_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fds[2] = {-1, -1};
    if (stderr_path.empty()) {
      EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0) << strerror(errno);
      posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    } else {
      posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    std::vector<std::string> strings = {program};
    strings.insert(strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    const int spawned = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (fds[1] >= 0) close(fds[1]);
    read_fd_ = fds[0];
    if (spawned != 0) {
      ADD_FAILURE() << "cannot run " << program << ": " << strerror(spawned);
      pid_ = -1;
    }
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (read_fd_ >= 0) close(read_fd_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for output on the stderr pipe; false at its end or at `deadline`.
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fd = {read_fd_, POLLIN, 0};
      const int ready = poll(&fd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      char chunk[4096];
      const ssize_t n = read(read_fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      return n > 0;
    }
  }

  // The exit code (128 + N if killed by signal N).
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) return -1;
    }
    pid_ = -1;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
};

struct LoadRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  google::protobuf::Struct report;
};

std::ostream& operator<<(std::ostream& os, const LoadRun& run) {
  return os << "exit code " << run.exit_code << "\n--- stdout:\n"
            << run.out << "--- stderr:\n"
            << run.err << "---";
}

const google::protobuf::Value& Field(const google::protobuf::Struct& s, const std::string& name) {
  static const google::protobuf::Value* missing = new google::protobuf::Value;
  auto it = s.fields().find(name);
  if (it == s.fields().end()) {
    ADD_FAILURE() << "no field " << name;
    return *missing;
  }
  return it->second;
}

double Number(const google::protobuf::Struct& s, const std::string& name) {
  return Field(s, name).number_value();
}

class OmnirouteLoadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "omniroute-load-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << strerror(errno);
    dir_ = new std::filesystem::path(pattern);
    const std::string port_file = (*dir_ / "port").string();
    server_ = new Process(kServer,
                          {"--listen=127.0.0.1:0", "--in_memory",
                           absl::StrCat("--port_file=", port_file)},
                          (*dir_ / "server.out").string(), "");
    // The server writes its port file, then a line on stderr; each wake-up
    // is output or its exit, never a timer.
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    for (;;) {
      const bool more = server_->ReadSome(deadline);
      int port = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(FileText(port_file)), &port) && port > 0) {
        port_ = port;
        break;
      }
      ASSERT_TRUE(more) << "omniroute-server exited or did not write its port file in time";
    }
  }

  static void TearDownTestSuite() {
    if (server_ != nullptr && server_->pid() > 0) {
      kill(server_->pid(), SIGTERM);
      EXPECT_EQ(server_->Wait(), 0) << "omniroute-server did not stop cleanly on SIGTERM";
    }
    delete server_;
    server_ = nullptr;
    if (dir_ != nullptr) {
      std::error_code ignored;
      std::filesystem::remove_all(*dir_, ignored);
      delete dir_;
      dir_ = nullptr;
    }
  }

  void SetUp() override { ASSERT_GT(port_, 0) << "no server"; }

  // Runs omniroute-load for a second after a short warm-up, to its end.
  LoadRun Load(const std::vector<std::string>& args) {
    const std::string base = (*dir_ / absl::StrCat("run-", ++runs_)).string();
    std::vector<std::string> all = {absl::StrCat("--target=127.0.0.1:", port_), "--duration=1s",
                                    "--warmup=200ms", absl::StrCat("--json=", base, ".json")};
    all.insert(all.end(), args.begin(), args.end());
    Process process(kLoad, all, base + ".out", base + ".err");
    LoadRun run;
    run.exit_code = process.Wait();
    run.out = FileText(base + ".out");
    run.err = FileText(base + ".err");
    // Written once the run is over; a run refused at its start writes none.
    const std::string json = FileText(base + ".json");
    if (!json.empty()) {
      const auto status = google::protobuf::util::JsonStringToMessage(json, &run.report);
      EXPECT_TRUE(status.ok()) << status.ToString() << " in\n" << json;
    }
    return run;
  }

  // Every RPC of the report answered, without error, with ordered
  // percentiles; `expected` must all be there.
  static void ExpectSucceeded(const LoadRun& run, const std::vector<std::string>& expected) {
    EXPECT_EQ(run.exit_code, 0) << run;
    const google::protobuf::Struct& rpcs = Field(run.report, "rpcs").struct_value();
    for (const std::string& name : expected) {
      EXPECT_TRUE(rpcs.fields().contains(name)) << name << " missing:\n" << run;
    }
    for (const auto& [name, value] : rpcs.fields()) {
      const google::protobuf::Struct& rpc = value.struct_value();
      SCOPED_TRACE(name);
      EXPECT_GT(Number(rpc, "count"), 0);
      EXPECT_GT(Number(rpc, "ok"), 0);
      EXPECT_EQ(Number(rpc, "errors"), 0) << run;
      EXPECT_GT(Number(rpc, "throughput"), 0);
      const google::protobuf::Struct& latency = Field(rpc, "latency_us").struct_value();
      EXPECT_GT(Number(latency, "p50"), 0);
      EXPECT_LE(Number(latency, "p50"), Number(latency, "p90"));
      EXPECT_LE(Number(latency, "p90"), Number(latency, "p99"));
      EXPECT_LE(Number(latency, "p99"), Number(latency, "p99_9"));
      EXPECT_LE(Number(latency, "p99_9"), Number(latency, "max"));
    }
    const google::protobuf::Struct& total = Field(run.report, "total").struct_value();
    EXPECT_GT(Number(total, "calls"), 0);
    EXPECT_EQ(Number(total, "errors"), 0);
    EXPECT_EQ(Number(total, "warmup_errors"), 0);
    EXPECT_GT(Number(total, "throughput"), 0);
    EXPECT_TRUE(Field(run.report, "stream_failures").list_value().values().empty()) << run;
  }

  static std::filesystem::path* dir_;
  static Process* server_;
  static int port_;
  static int runs_;
};

std::filesystem::path* OmnirouteLoadTest::dir_ = nullptr;
Process* OmnirouteLoadTest::server_ = nullptr;
int OmnirouteLoadTest::port_ = 0;
int OmnirouteLoadTest::runs_ = 0;

TEST_F(OmnirouteLoadTest, PingClosedLoop) {
  const LoadRun run = Load({"--workload=ping", "--concurrency=4"});
  ExpectSucceeded(run, {"Ping"});
  EXPECT_EQ(Field(run.report, "mode").string_value(), "closed");
  EXPECT_EQ(Number(run.report, "concurrency"), 4);
  EXPECT_EQ(Field(run.report, "rpcs").struct_value().fields_size(), 1);
}

TEST_F(OmnirouteLoadTest, IngestClosedLoop) {
  const LoadRun run = Load({"--workload=ingest", "--concurrency=4", "--channels=3"});
  ExpectSucceeded(run, {"IngestMessage"});
  // New customers and the ones already seen both wrote in.
  EXPECT_GT(Number(run.report, "customers"), 0);
  EXPECT_LT(Number(run.report, "customers"),
            Number(Field(run.report, "total").struct_value(), "calls") +
                Number(Field(run.report, "total").struct_value(), "warmup_calls"));
  EXPECT_EQ(Number(run.report, "channels"), 3);
}

TEST_F(OmnirouteLoadTest, MixedClosedLoopRoutesWorkToAgents) {
  const LoadRun run = Load({"--workload=mixed", "--concurrency=4", "--agents=3"});
  ExpectSucceeded(run, {"IngestMessage", "LinkIdentity", "Handoff", "GetConversation",
                        "AcceptOffer", "CompleteTask"});
  EXPECT_GT(Number(run.report, "offers"), 0);
  EXPECT_EQ(Number(run.report, "agents"), 3);
}

TEST_F(OmnirouteLoadTest, OffersTimesEachOfferFromItsTasksCreation) {
  const LoadRun run = Load({"--workload=offers", "--concurrency=4", "--agents=3"});
  ExpectSucceeded(run, {"IngestMessage", "AcceptOffer", "CompleteTask"});
  // Nothing but first messages: no other call is made.
  EXPECT_EQ(Field(run.report, "rpcs").struct_value().fields_size(), 3) << run;
  const double offers = Number(run.report, "offers");
  EXPECT_GT(offers, 0);
  EXPECT_NEAR(Number(run.report, "offers_per_second"),
              offers / Number(run.report, "measured_seconds"), 0.1);
  const google::protobuf::Struct& latency = Field(run.report, "offer_latency_us").struct_value();
  EXPECT_GT(Number(latency, "p50"), 0);
  EXPECT_LE(Number(latency, "p50"), Number(latency, "p90"));
  EXPECT_LE(Number(latency, "p90"), Number(latency, "p99"));
  EXPECT_LE(Number(latency, "p99"), Number(latency, "max"));
  // Every task offered was created during this run of 1.2 s.
  EXPECT_LT(Number(latency, "max"), 1.2e6) << run;
  EXPECT_NE(run.out.find("offers received by the agents"), std::string::npos) << run;
}

TEST_F(OmnirouteLoadTest, IngestOpenLoopKeepsItsRate) {
  const LoadRun run = Load({"--workload=ingest", "--rate=200"});
  ExpectSucceeded(run, {"IngestMessage"});
  EXPECT_EQ(Field(run.report, "mode").string_value(), "open");
  EXPECT_EQ(Field(run.report, "arrivals").string_value(), "poisson");
  // 200 a second for a second, give or take the Poisson process's spread
  // (its standard deviation is about 14 calls).
  const double calls = Number(Field(run.report, "rpcs").struct_value().fields().at(
                                      "IngestMessage").struct_value(),
                                  "count");
  EXPECT_GT(calls, 100);
  EXPECT_LT(calls, 300);
}

TEST_F(OmnirouteLoadTest, SlowCallsListsEveryCallAboveTheThresholdWithItsStart) {
  const std::string path = (*dir_ / "slow-calls.txt").string();
  const auto before = std::chrono::system_clock::now();
  // A threshold of zero: every measured call is slow.
  const LoadRun run = Load({"--workload=ping", "--concurrency=2",
                            absl::StrCat("--slow_calls=", path), "--slow_call_threshold=0s"});
  const auto after = std::chrono::system_clock::now();
  ExpectSucceeded(run, {"Ping"});
  const double calls = Number(Field(run.report, "total").struct_value(), "calls");
  const auto to_us = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  };
  std::ifstream in(path);
  std::string line;
  int64_t lines = 0;
  int64_t previous_start = 0;
  while (std::getline(in, line)) {
    ++lines;
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    ASSERT_EQ(fields.size(), 4u) << line;
    int64_t start = 0;
    int64_t steady = 0;
    int64_t latency = -1;
    ASSERT_TRUE(absl::SimpleAtoi(fields[0], &start)) << line;
    ASSERT_TRUE(absl::SimpleAtoi(fields[1], &steady)) << line;
    ASSERT_TRUE(absl::SimpleAtoi(fields[2], &latency)) << line;
    EXPECT_GE(start, to_us(before)) << line;
    EXPECT_LE(start, to_us(after)) << line;
    EXPECT_GE(start, previous_start) << "not in order of start: " << line;
    EXPECT_GT(steady, 0) << line;
    EXPECT_GE(latency, 0) << line;
    EXPECT_EQ(fields[3], "Ping");
    previous_start = start;
  }
  EXPECT_EQ(lines, static_cast<int64_t>(calls));
}

TEST_F(OmnirouteLoadTest, MixedOpenLoopWithEvenArrivals) {
  const LoadRun run = Load({"--workload=mixed", "--rate=150", "--arrivals=uniform", "--agents=2"});
  ExpectSucceeded(run, {"IngestMessage", "AcceptOffer", "CompleteTask"});
}

// A bounded population opens and closes conversations: every customer
// writes again once its conversation is closed, and no more customers than
// the population are created.
TEST_F(OmnirouteLoadTest, ChurnOpensAndClosesConversationsOfABoundedPopulation) {
  const LoadRun run = Load({"--workload=churn", "--concurrency=4", "--population=12",
                            "--closed_retention=0s"});
  ExpectSucceeded(run, {"IngestMessage", "SetConversationStatus"});
  EXPECT_EQ(Number(run.report, "customers"), 12) << run;
  // Two messages per conversation, then its close.
  const auto& rpcs = Field(run.report, "rpcs").struct_value().fields();
  EXPECT_GT(Number(rpcs.at("IngestMessage").struct_value(), "count"),
            Number(rpcs.at("SetConversationStatus").struct_value(), "count"));
}

TEST_F(OmnirouteLoadTest, ExitsNonZeroWhenSetupFails) {
  // A tenant id the server refuses: the run stops before it starts.
  const LoadRun run = Load({"--workload=ingest", "--tenant=Not A Valid Tenant!"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_NE(run.err.find("setup: create tenant"), std::string::npos) << run;
}

TEST_F(OmnirouteLoadTest, RefusesBadFlags) {
  const LoadRun run = Load({"--workload=stress"});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_NE(run.err.find("--workload"), std::string::npos) << run;
  const LoadRun retention = Load({"--workload=churn", "--closed_retention=-1s"});
  EXPECT_EQ(retention.exit_code, 2) << retention;
  EXPECT_NE(retention.err.find("--closed_retention"), std::string::npos) << retention;
  const LoadRun no_agents = Load({"--workload=offers", "--agents=0"});
  EXPECT_EQ(no_agents.exit_code, 2) << no_agents;
  EXPECT_NE(no_agents.err.find("--agents"), std::string::npos) << no_agents;
  const LoadRun population = Load({"--workload=churn", "--population=0"});
  EXPECT_EQ(population.exit_code, 2) << population;
  EXPECT_NE(population.err.find("--population"), std::string::npos) << population;
}

}  // namespace
}  // namespace omniroute
