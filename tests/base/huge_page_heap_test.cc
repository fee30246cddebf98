// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "base/huge_page_heap.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute::base {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Optional;

constexpr absl::string_view kMadvise = "always [madvise] never";

TEST(HugePageTunablesTest, AddsTheTunableWhenGlibcTunablesIsUnsetOrEmpty) {
  EXPECT_THAT(HugePageTunables(std::nullopt, std::nullopt, kMadvise),
              Optional(Eq("glibc.malloc.hugetlb=1")));
  EXPECT_THAT(HugePageTunables("", std::nullopt, kMadvise), Optional(Eq("glibc.malloc.hugetlb=1")));
}

TEST(HugePageTunablesTest, KeepsTheOtherTunablesAndAppendsItsOwn) {
  EXPECT_THAT(HugePageTunables("glibc.malloc.arena_max=2", std::nullopt, kMadvise),
              Optional(Eq("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")));
}

TEST(HugePageTunablesTest, LeavesAChoiceAlreadyMadeAlone) {
  // The user's own setting, whatever its value, and a restart already done.
  EXPECT_EQ(HugePageTunables("glibc.malloc.hugetlb=0", std::nullopt, kMadvise), std::nullopt);
  EXPECT_EQ(
      HugePageTunables("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1", std::nullopt, kMadvise),
      std::nullopt);
  // A longer name that only starts like it is another tunable.
  EXPECT_THAT(HugePageTunables("glibc.malloc.hugetlbx=3", std::nullopt, kMadvise),
              Optional(Eq("glibc.malloc.hugetlbx=3:glibc.malloc.hugetlb=1")));
}

TEST(HugePageTunablesTest, TurnedOffByTheVariable) {
  EXPECT_EQ(HugePageTunables(std::nullopt, "0", kMadvise), std::nullopt);
  EXPECT_THAT(HugePageTunables(std::nullopt, "1", kMadvise),
              Optional(Eq("glibc.malloc.hugetlb=1")));
}

TEST(HugePageTunablesTest, FollowsTheKernelsMode) {
  EXPECT_THAT(HugePageTunables(std::nullopt, std::nullopt, "[always] madvise never\n"),
              Optional(Eq("glibc.malloc.hugetlb=1")));
  EXPECT_EQ(HugePageTunables(std::nullopt, std::nullopt, "always madvise [never]\n"), std::nullopt);
  // No transparent huge pages in this kernel (the file is missing), or a
  // content it does not recognise.
  EXPECT_EQ(HugePageTunables(std::nullopt, std::nullopt, ""), std::nullopt);
  EXPECT_EQ(HugePageTunables(std::nullopt, std::nullopt, "madvise"), std::nullopt);
}

// What the probe printed, and the process id it was started as.
struct ProbeRun {
  pid_t started_as = 0;
  std::vector<std::string> lines;
};

// Runs the probe with `arguments` in an environment of exactly `environment`.
ProbeRun RunProbe(std::vector<std::string> arguments, std::vector<std::string> environment) {
  ProbeRun run;
  char output_template[] = "/tmp/huge_page_heap_probe_XXXXXX";
  const int output = mkstemp(output_template);
  EXPECT_GE(output, 0);
  unlink(output_template);

  std::vector<std::string> argv_strings = {OMNIROUTE_HUGE_PAGE_HEAP_PROBE};
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& s : environment) envp.push_back(s.data());
  envp.push_back(nullptr);

  run.started_as = fork();
  if (run.started_as == 0) {
    dup2(output, STDOUT_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  EXPECT_EQ(waitpid(run.started_as, &status, 0), run.started_as);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

  lseek(output, 0, SEEK_SET);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(output, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  close(output);
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    run.lines.emplace_back(line);
  }
  return run;
}

// The tunables a program started with none should end up with on this
// machine: the kernel decides whether huge pages can be had at all.
std::string ExpectedTunablesHere() {
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  const std::string mode((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const bool available =
      absl::StrContains(mode, "[always]") || absl::StrContains(mode, "[madvise]");
  return available ? "tunables=glibc.malloc.hugetlb=1" : "tunables=(unset)";
}

TEST(RestartWithHugePageHeapTest, RestartsAsTheSameProcessWithItsArgumentsAndTheTunable) {
  const ProbeRun run = RunProbe({"--listen=127.0.0.1:0", "two words"}, {"PATH=/usr/bin:/bin"});
  EXPECT_THAT(run.lines, ElementsAre(absl::StrCat("pid=", run.started_as), ExpectedTunablesHere(),
                                     "arg=--listen=127.0.0.1:0", "arg=two words"));
}

TEST(RestartWithHugePageHeapTest, KeepsTheTunablesAlreadySet) {
  const ProbeRun run = RunProbe({}, {"GLIBC_TUNABLES=glibc.malloc.arena_max=2"});
  ASSERT_EQ(run.lines.size(), 2u);
  EXPECT_EQ(run.lines[0], absl::StrCat("pid=", run.started_as));
  const std::string expected = ExpectedTunablesHere() == "tunables=(unset)"
                                   ? "tunables=glibc.malloc.arena_max=2"
                                   : "tunables=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1";
  EXPECT_EQ(run.lines[1], expected);
}

TEST(RestartWithHugePageHeapTest, DoesNothingWhenTurnedOff) {
  const ProbeRun run = RunProbe({"x"}, {"OMNIROUTE_HUGE_PAGE_HEAP=0"});
  EXPECT_THAT(run.lines,
              ElementsAre(absl::StrCat("pid=", run.started_as), "tunables=(unset)", "arg=x"));
}

TEST(RestartWithHugePageHeapTest, DoesNothingWhenTheUserChoseAlready) {
  const ProbeRun run = RunProbe({}, {"GLIBC_TUNABLES=glibc.malloc.hugetlb=0"});
  EXPECT_THAT(run.lines,
              ElementsAre(absl::StrCat("pid=", run.started_as), "tunables=glibc.malloc.hugetlb=0"));
}

}  // namespace
}  // namespace omniroute::base
