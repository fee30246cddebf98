// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The benchmark programs of benchmarks/routing.sh refuse bad input with a
// clear message and a non-zero exit, before they measure anything: the real
// binaries, run as a user would.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace omniroute {
namespace {

struct ProgramRun {
  int exit_code = -1;
  std::string err;
};

std::ostream& operator<<(std::ostream& out, const ProgramRun& run) {
  return out << "exit " << run.exit_code << ", stderr:\n" << run.err;
}

// Runs `binary` with `args` (no shell characters in them), stdout dropped.
ProgramRun RunProgram(const std::string& binary, const std::vector<std::string>& args) {
  // Named by process and call: ctest runs each test as a process of its
  // own, two at a time, and both share the temporary directory (a name
  // made of gtest's seed, 0 unless shuffling, and std::rand(), the same
  // first value in every process, let one test read or remove the other's).
  static int calls = 0;
  const std::filesystem::path err =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat("benchmark-flags-", getpid(), "-", ++calls, ".err");
  std::string command = absl::StrCat("'", binary, "'");
  for (const std::string& arg : args) absl::StrAppend(&command, " '", arg, "'");
  absl::StrAppend(&command, " > /dev/null 2> '", err.string(), "'");
  const int status = std::system(command.c_str());
  ProgramRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  {
    std::ifstream in(err);
    run.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::error_code ignored;
  std::filesystem::remove(err, ignored);
  return run;
}

ProgramRun SkipLocked(const std::vector<std::string>& args) {
  return RunProgram(OMNIROUTE_SKIP_LOCKED_BENCHMARK_PATH, args);
}

TEST(SkipLockedBenchmarkFlagsTest, BadValuesExitWithCode2NamingTheFlag) {
  struct Case {
    std::string flag;
    std::string named;
  };
  const std::vector<Case> cases = {
      {"--waiting=0", "--waiting"},
      {"--waiting=lots", "--waiting"},
      {"--waiting=1000,", "--waiting"},
      {"--waiting=20000000", "--waiting"},
      {"--connections=0", "--connections"},
      {"--connections=51", "--connections"},
      {"--seconds=0", "--seconds"},
      {"--seconds=-1", "--seconds"},
      {"--sql=/nonexistent/baseline.sql", "--sql"},
  };
  for (const Case& c : cases) {
    const ProgramRun run = SkipLocked({c.flag});
    EXPECT_EQ(run.exit_code, 2) << c.flag << ": " << run;
    EXPECT_NE(run.err.find(c.named), std::string::npos) << c.flag << ": " << run;
  }
}

TEST(SkipLockedBenchmarkFlagsTest, UnknownFlagIsRefused) {
  const ProgramRun run = SkipLocked({"--waitng=1000"});
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_NE(run.err.find("waitng"), std::string::npos) << run;
}

TEST(SkipLockedBenchmarkFlagsTest, APostgreSQLThatCannotStartExitsWithCode1AndTheReason) {
  const ProgramRun run =
      SkipLocked({"--postgres_bin_dir=/nonexistent/postgresql/bin", "--seconds=0.1"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_NE(run.err.find("PostgreSQL did not start"), std::string::npos) << run;
  EXPECT_NE(run.err.find("no initdb and postgres there"), std::string::npos) << run;
}

TEST(EngineRoutingBenchmarkFlagsTest, UnknownFlagIsRefused) {
  const ProgramRun run =
      RunProgram(OMNIROUTE_ENGINE_ROUTING_BENCHMARK_PATH, {"--benchmark_fliter=x"});
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_NE(run.err.find("benchmark_fliter"), std::string::npos) << run;
}

TEST(RoutingBenchmarkFlagsTest, UnknownFlagIsRefused) {
  const ProgramRun run = RunProgram(OMNIROUTE_ROUTING_BENCHMARK_PATH, {"--agents=50000"});
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_NE(run.err.find("agents"), std::string::npos) << run;
}

}  // namespace
}  // namespace omniroute
