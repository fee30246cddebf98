// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-log given bad input: a missing file, a file that is not a store,
// a store damaged on disk, a wrong command line. Each gets a clear message
// naming the file and the reason, exit code 1 (failure) or 2 (usage), and
// the file is left as it was. The story is in tools/log_story.h.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/v1/events.pb.h"
#include "tools/log_story.h"

namespace omniroute {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using testing_internal::ExpectedFingerprint;
using testing_internal::ExpectSameEvents;
using testing_internal::FileBytes;
using testing_internal::FlipPayloadBit;
using testing_internal::FlipStoredBit;
using testing_internal::kExitFailure;
using testing_internal::kExitOk;
using testing_internal::kExitUsage;
using testing_internal::OmnirouteLogTest;
using testing_internal::ParseJsonLines;
using testing_internal::ReplayFingerprints;
using testing_internal::ToolRun;
using testing_internal::WriteFile;
namespace v1 = ::omniroute::v1;

// ---------------------------------------------------------------- bad input

TEST_F(OmnirouteLogTest, AMissingFileIsAClearFailureAndIsNotCreated) {
  const std::string missing = dir_.File("missing.db");
  for (std::vector<std::string> args : {std::vector<std::string>{"inspect", missing},
                                        {"export", missing},
                                        {"replay", missing},
                                        {"backup", missing, dir_.File("copy.db")}}) {
    SCOPED_TRACE(args[0]);
    const ToolRun run = Run(args);
    EXPECT_EQ(run.exit_code, kExitFailure) << run;
    EXPECT_THAT(run.err, AllOf(HasSubstr(missing), HasSubstr("no such file"),
                               StartsWith(absl::StrCat("omniroute-log ", args[0], ": "))));
    EXPECT_THAT(run.out, IsEmpty());
    EXPECT_FALSE(std::filesystem::exists(missing));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.File("copy.db")));
}

TEST_F(OmnirouteLogTest, AFileThatIsNotAStoreIsRefusedAndLeftAlone) {
  const std::string text = dir_.File("notes.txt");
  std::string content;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&content, "line ", i, " of some notes\n");
  WriteFile(text, content);
  const std::string foreign = dir_.File("invoices.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const std::string foreign_bytes = FileBytes(foreign);
  for (const std::string& file : {text, foreign}) {
    for (std::vector<std::string> args : {std::vector<std::string>{"inspect", file},
                                          {"export", file},
                                          {"replay", file},
                                          {"backup", file, dir_.File("copy.db")}}) {
      SCOPED_TRACE(args[0] + " " + file);
      const ToolRun run = Run(args);
      EXPECT_EQ(run.exit_code, kExitFailure) << run;
      EXPECT_THAT(run.err, AllOf(HasSubstr(file), HasSubstr("not an omniroute event store")));
      EXPECT_THAT(run.out, IsEmpty());
    }
  }
  EXPECT_TRUE(FileBytes(text) == content) << "the file was changed";
  EXPECT_TRUE(FileBytes(foreign) == foreign_bytes) << "the database was changed";
  EXPECT_FALSE(std::filesystem::exists(text + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("copy.db")));
}

TEST_F(OmnirouteLogTest, AFlippedPayloadByteIsDataLossNamingTenantAndSequence) {
  constexpr uint64_t kDamaged = 5;
  ASSERT_NO_FATAL_FAILURE(FlipPayloadBit(Db(), "acme", kDamaged));
  const std::string damaged = FileBytes(Db());
  const std::string copy = dir_.File("copy.db");
  for (std::vector<std::string> args : {std::vector<std::string>{"inspect", Db()},
                                        {"inspect", "--json", Db()},
                                        {"export", Db()},
                                        {"replay", Db()},
                                        {"replay", "--tenant", "acme", Db()},
                                        {"backup", Db(), copy}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    const ToolRun run = Run(args);
    EXPECT_EQ(run.exit_code, kExitFailure) << run;
    EXPECT_THAT(run.err, AllOf(HasSubstr("DATA_LOSS"), HasSubstr("tenant acme"),
                               HasSubstr(absl::StrCat("sequence ", kDamaged))))
        << run;
    EXPECT_TRUE(FileBytes(Db()) == damaged) << "the damaged file was changed";
  }
  // Export wrote the events before the damage, and stopped there.
  const ToolRun run = Run({"export", Db()});
  const std::vector<v1::Event> exported = ParseJsonLines(run.out);
  ASSERT_NO_FATAL_FAILURE(ExpectSameEvents(
      exported, std::vector<v1::Event>(story_.written["acme"].begin(),
                                       story_.written["acme"].begin() + kDamaged - 1)));
  // A copy that fails verification is not left behind as a backup.
  EXPECT_FALSE(std::filesystem::exists(copy));
  // The other tenant is sound.
  const ToolRun globex = Run({"replay", "--tenant", "globex", Db()});
  EXPECT_EQ(globex.exit_code, kExitOk) << globex;
  EXPECT_EQ(ReplayFingerprints(globex.out)["globex"], ExpectedFingerprint(story_.dumps["globex"]));

  // Starting from acme's snapshot (taken after the damaged event) does not
  // read the damaged event, as the engine's start-up would not; damage after
  // the snapshot is met.
  const ToolRun from_snapshot = Run({"replay", "--from-snapshot", Db()});
  EXPECT_EQ(from_snapshot.exit_code, kExitOk) << from_snapshot;
  EXPECT_EQ(ReplayFingerprints(from_snapshot.out)["acme"],
            ExpectedFingerprint(story_.dumps["acme"]));
  const uint64_t after_snapshot = story_.acme_snapshot + 2;
  ASSERT_LE(after_snapshot, story_.written["acme"].size());
  ASSERT_NO_FATAL_FAILURE(FlipPayloadBit(Db(), "acme", after_snapshot));
  const std::string damaged_twice = FileBytes(Db());
  const ToolRun damaged_tail = Run({"replay", "--from-snapshot", Db()});
  EXPECT_EQ(damaged_tail.exit_code, kExitFailure) << damaged_tail;
  EXPECT_THAT(damaged_tail.err, AllOf(HasSubstr("DATA_LOSS"), HasSubstr("tenant acme"),
                                      HasSubstr(absl::StrCat("sequence ", after_snapshot))));
  EXPECT_TRUE(FileBytes(Db()) == damaged_twice) << "the damaged file was changed";
}

TEST_F(OmnirouteLogTest, ADamagedSnapshotIsDataLossWhereItIsRead) {
  ASSERT_NO_FATAL_FAILURE(FlipStoredBit(Db(), "snapshots", "state", "acme", story_.acme_snapshot));
  const std::string damaged = FileBytes(Db());
  const std::string where = absl::StrCat("tenant acme, sequence ", story_.acme_snapshot);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"inspect", Db()}, {"replay", "--from-snapshot", Db()}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    const ToolRun run = Run(args);
    EXPECT_EQ(run.exit_code, kExitFailure) << run;
    EXPECT_THAT(run.err, AllOf(HasSubstr("DATA_LOSS"), HasSubstr("snapshots"), HasSubstr(where)));
  }
  // A replay from sequence 1 does not need the snapshot.
  const ToolRun run = Run({"replay", Db()});
  EXPECT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_EQ(ReplayFingerprints(run.out)["acme"], ExpectedFingerprint(story_.dumps["acme"]));
  EXPECT_TRUE(FileBytes(Db()) == damaged) << "the damaged file was changed";
}

TEST_F(OmnirouteLogTest, UsageErrorsExitWithTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "missing command"},
      {{"frobnicate", Db()}, "unknown command \"frobnicate\""},
      {{"inspect"}, "missing <db>"},
      {{"export"}, "missing <db>"},
      {{"replay"}, "missing <db>"},
      {{"backup"}, "missing <db> and <dest>"},
      {{"backup", Db()}, "missing <dest>"},
      {{"inspect", Db(), Db()}, "unexpected argument"},
      {{"inspect", "--bogus", Db()}, "unknown option --bogus"},
      {{"inspect", "--json=yes", Db()}, "takes no value"},
      {{"export", Db(), "--from"}, "--from needs a value"},
      {{"export", "--from", "0", Db()}, "not a positive integer"},
      {{"export", "--from", "-3", Db()}, "not a positive integer"},
      {{"export", "--from", "99999999999999999999999", Db()}, "too large"},
      {{"replay", "--tenant", Db()}, "missing <db>"},
      {{"backup", "--pages-per-step", "many", Db(), dir_.File("copy.db")},
       "not a positive integer"},
  };
  const std::string before = FileBytes(Db());
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrJoin(c.args, " "));
    const ToolRun run = Run(c.args);
    EXPECT_EQ(run.exit_code, kExitUsage) << run;
    EXPECT_THAT(run.err, HasSubstr(c.message)) << run;
    EXPECT_THAT(run.out, IsEmpty());
  }
  EXPECT_TRUE(FileBytes(Db()) == before);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("copy.db")));
}

TEST_F(OmnirouteLogTest, EveryCommandHasHelp) {
  for (const std::string command : {"inspect", "export", "replay", "backup"}) {
    SCOPED_TRACE(command);
    for (const std::vector<std::string>& args : {std::vector<std::string>{command, "--help"},
                                                 {command, "-h"},
                                                 {"help", command},
                                                 {command, Db(), "--help"}}) {
      const ToolRun run = Run(args);
      EXPECT_EQ(run.exit_code, kExitOk) << run;
      EXPECT_THAT(run.out, StartsWith(absl::StrCat("usage: omniroute-log ", command)));
      EXPECT_THAT(run.err, IsEmpty());
    }
  }
  const ToolRun run = Run({"--help"});
  EXPECT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_THAT(run.out, AllOf(HasSubstr("inspect"), HasSubstr("export"), HasSubstr("replay"),
                             HasSubstr("backup")));
}

}  // namespace
}  // namespace omniroute
