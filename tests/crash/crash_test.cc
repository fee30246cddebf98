// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Crash tests of the SQLite store under the engine.
//
// A separate process, omniroute-crash-driver, runs the command script of
// tools/crash/crash_script.h against an engine on a SQLite store
// (Durability::kSyncEachCommit) and writes "ack <n>" once command n is
// acknowledged. It is killed with SIGKILL at random points (a seeded random
// number of acknowledgements after it starts, sometimes before its first
// command or before it even opened the store), and after every kill the store
// is opened again, as a restarted server would, and checked: every command
// ever acknowledged is there exactly once; the store holds exactly commands
// 1..K, each whole (the one in flight at the kill may be there, whole, or not
// at all); message ids are contiguous; two reopenings rebuild the same state;
// and the restarted driver goes on with command K+1, a number it derives
// from the store alone.
//
// The same cycles run with conversations closed and archived during the load
// (omniroute-crash-driver --archive), so that the history a restart reads
// includes messages of conversations archived before the kill.
//
// Also: a torn last frame of the write-ahead log (the last commit is dropped,
// every one before it is whole), and a flipped byte in the main file (a clear
// error, the file left as it is).
//
// OMNIROUTE_CRASH_CYCLES sets the number of kill/restart cycles (default 20),
// OMNIROUTE_CRASH_SEED the seed of the kill points (default 20261122);
// tools/crash-loop.sh runs hundreds of cycles.

#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "crash/crash_script.h"
#include "gtest/gtest.h"
#include "omniroute/engine.h"
#include "omniroute/sqlite_event_store.h"

extern char** environ;

namespace omniroute {
namespace {

namespace fs = std::filesystem;
using crash::Census;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  uint64_t parsed = 0;
  if (value == nullptr || !absl::SimpleAtoi(value, &parsed)) return fallback;
  return parsed;
}

// A fresh directory under the system's temporary directory, removed at the
// end of the test unless it failed (so that the store can be looked at).
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "omniroute-crash-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    if (::testing::Test::HasFailure()) {
      std::cerr << "the stores are kept in " << path_ << "\n";
    } else {
      fs::remove_all(path_);
    }
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

uint32_t BigEndian32(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// One line of the driver's output.
struct Line {
  std::string word;  // "resume" or "ack"
  uint64_t n = 0;
};

// A running omniroute-crash-driver whose stdout is read line by line.
class Driver {
 public:
  Driver(const std::string& database, std::vector<std::string> flags) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::vector<std::string> args = {OMNIROUTE_CRASH_DRIVER, database};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, OMNIROUTE_CRASH_DRIVER, &actions, nullptr, argv.data(), environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Driver() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (out_ != nullptr) fclose(out_);
  }
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // The next line, or nullopt at the end of the output.
  std::optional<Line> Next() {
    char buffer[128];
    if (fgets(buffer, sizeof buffer, out_) == nullptr) return std::nullopt;
    absl::string_view text = absl::StripTrailingAsciiWhitespace(buffer);
    Line line;
    for (absl::string_view word : {"resume ", "ack "}) {
      if (absl::ConsumePrefix(&text, word) && absl::SimpleAtoi(text, &line.n)) {
        line.word = std::string(absl::StripTrailingAsciiWhitespace(word));
        return line;
      }
    }
    ADD_FAILURE() << "unexpected driver output: " << buffer;
    return std::nullopt;
  }

  void Kill() { kill(pid_, SIGKILL); }

  // Waits for the driver to end and returns its wait status.
  int Wait() {
    int status = 0;
    EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

// What a restart finds in a store.
struct Reopened {
  Census census;
  std::string dump;  // Empty when the tenant does not exist.
};

// Opens the store and an engine on it, as a restarted server would, and takes
// the census. Returns the store's or the engine's error.
absl::StatusOr<Reopened> Reopen(const std::string& database, bool read_only) {
  SqliteStoreOptions options;
  options.path = database;
  options.create_if_missing = false;
  options.read_only = read_only;
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(options);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open({.store = store->get()});
  if (!engine.ok()) return engine.status();
  absl::StatusOr<Census> census = crash::TakeCensus(**engine);
  if (!census.ok()) return census.status();
  Reopened reopened{*std::move(census), ""};
  if (reopened.census.tenant_exists) {
    absl::StatusOr<std::string> dump = (*engine)->DumpState(crash::kTenant);
    if (!dump.ok()) return dump.status();
    reopened.dump = *std::move(dump);
  }
  return reopened;
}

// Runs the driver to command `last` and lets it exit; returns its output.
std::vector<Line> RunDriverTo(const std::string& database, uint64_t last,
                              std::vector<std::string> flags) {
  flags.push_back("--max-commands");
  flags.push_back(absl::StrCat(last));
  Driver driver(database, std::move(flags));
  std::vector<Line> lines;
  while (std::optional<Line> line = driver.Next()) lines.push_back(*line);
  const int status = driver.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeWaitStatus(status);
  return lines;
}

// Whether command n records a message (its trace is a message's external
// id, its body BodyOf(n)).
bool IsMessage(uint64_t n) {
  const crash::CommandKind kind = crash::KindOf(n);
  return crash::IsIngest(kind) || kind == crash::CommandKind::kOutbound;
}

// Every acknowledged message is in the census (which read it from the
// timelines, with its body checked), once.
void ExpectMessagesReadable(const std::set<uint64_t>& acknowledged, const Census& census) {
  for (uint64_t n : acknowledged) {
    if (!IsMessage(n)) continue;
    auto it = census.copies.find(n);
    EXPECT_TRUE(it != census.copies.end() && it->second == 1)
        << "acknowledged message cmd-" << n << " is read "
        << (it == census.copies.end() ? 0 : it->second) << " times from the timelines";
  }
}

// Kill/restart cycles of the driver (see the file comment). With `archive`,
// the driver runs with --archive: conversations are closed and archived
// during the load, so that restarts also read messages from the archive.
void RunKillCycles(bool archive) {
  TempDir dir;
  const std::string database = (dir.path() / "events.db").string();
  const uint64_t seed = EnvOr("OMNIROUTE_CRASH_SEED", 20261122);
  const uint64_t cycles = EnvOr("OMNIROUTE_CRASH_CYCLES", 20);
  std::mt19937_64 random(seed);

  std::set<uint64_t> acknowledged;
  std::set<uint64_t> lost;
  std::set<uint64_t> duplicated;
  uint64_t applied = 0;  // The store holds commands 1..applied.
  uint64_t killed_before_start = 0;
  uint64_t killed_before_first_ack = 0;
  uint64_t in_flight_applied = 0;  // Kills after which the unacknowledged command was stored.
  bool ever_resumed = false;       // A driver has made the store and the tenant.
  // The most messages a restart after a kill read from archived
  // conversations.
  uint64_t archived_messages_after_kill = 0;

  for (uint64_t cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle, " (seed ", seed, ")"));
    // Snapshots now and then, so that restarts also recover from a snapshot
    // and kills also land in the middle of saving one.
    const uint64_t snapshot_every = std::vector<uint64_t>{0, 7, 40}[cycle % 3];
    // Where to kill: mostly after 1 to 60 acknowledgements; sometimes as soon
    // as it is spawned (during start-up and recovery), sometimes once it has
    // said where it resumes (during its first command).
    const uint64_t dice = random() % 20;
    const bool kill_at_spawn = dice == 0;
    const uint64_t acks_before_kill =
        dice == 1 ? 0 : std::uniform_int_distribution<uint64_t>(1, 60)(random);

    uint64_t last_acked_this_run = 0;
    uint64_t expected_next = applied + 1;
    bool resumed = false;  // This run.
    // Checks one line of output: "resume" first, then acks in order.
    auto take = [&](const Line& line) {
      if (line.word == "resume") {
        EXPECT_FALSE(resumed) << "resume said twice";
        EXPECT_EQ(line.n, applied + 1) << "the driver resumed elsewhere than the store says";
        resumed = true;
        return;
      }
      EXPECT_TRUE(resumed) << "ack before resume";
      EXPECT_EQ(line.n, expected_next) << "acknowledgements out of order";
      expected_next = line.n + 1;
      acknowledged.insert(line.n);
      last_acked_this_run = line.n;
    };
    {
      std::vector<std::string> flags = {"--snapshot-every", absl::StrCat(snapshot_every)};
      if (archive) flags.push_back("--archive");
      Driver driver(database, std::move(flags));
      uint64_t acks = 0;
      if (!kill_at_spawn) {
        while (std::optional<Line> line = driver.Next()) {
          take(*line);
          if (line->word == "ack") ++acks;
          if (acks >= acks_before_kill && resumed) break;
        }
      }
      driver.Kill();
      // Lines the driver wrote before it died but not read yet count too.
      while (std::optional<Line> line = driver.Next()) take(*line);
      const int status = driver.Wait();
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the driver ended before the kill: " << DescribeWaitStatus(status);
      ever_resumed = ever_resumed || resumed;
      if (!resumed) {
        ++killed_before_start;
      } else if (last_acked_this_run == 0) {
        ++killed_before_first_ack;
      }
    }

    // A restart: alternately read-only (the crashed write-ahead log is left
    // for the next driver to recover) and read-write (recovered and
    // checkpointed here).
    const bool read_only = cycle % 2 == 0;
    absl::StatusOr<Reopened> reopened = Reopen(database, read_only);
    if (absl::IsNotFound(reopened.status()) && !ever_resumed) {
      // Killed before the first driver had made the store (an empty file
      // or none): the next driver makes it.
      continue;
    }
    ASSERT_TRUE(reopened.ok()) << "the store does not open after a kill: "
                               << reopened.status();
    const Census& census = reopened->census;
    EXPECT_TRUE(census.problems.empty()) << absl::StrJoin(census.problems, "\n");
    ExpectMessagesReadable(acknowledged, census);
    archived_messages_after_kill = std::max(archived_messages_after_kill, census.archived_messages);
    for (const auto& [n, copies] : census.copies) {
      if (copies > 1) duplicated.insert(n);
    }
    for (uint64_t n : acknowledged) {
      if (n > census.applied) lost.insert(n);
    }
    const uint64_t last_acked = acknowledged.empty() ? 0 : *acknowledged.rbegin();
    EXPECT_GE(census.applied, applied) << "commands stored before this run are gone";
    EXPECT_GE(census.applied, last_acked) << "acknowledged commands are lost";
    EXPECT_LE(census.applied, std::max(last_acked, applied) + 1)
        << "more than the one command in flight was stored unacknowledged";
    if (census.applied > std::max(last_acked, applied)) ++in_flight_applied;
    applied = census.applied;

    // A second restart rebuilds the same state: recovery is deterministic.
    absl::StatusOr<Reopened> again = Reopen(database, read_only);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->dump, reopened->dump);
    if (::testing::Test::HasFatalFailure()) return;
  }

  // Finally a driver runs 25 more commands and exits cleanly.
  const uint64_t last = applied + 25;
  std::vector<std::string> flags = {"--snapshot-every", "7"};
  if (archive) flags.push_back("--archive");
  std::vector<Line> lines = RunDriverTo(database, last, std::move(flags));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front().word, "resume");
  EXPECT_EQ(lines.front().n, applied + 1);
  for (const Line& line : lines) {
    if (line.word == "ack") acknowledged.insert(line.n);
  }
  absl::StatusOr<Reopened> final_state = Reopen(database, /*read_only=*/true);
  ASSERT_TRUE(final_state.ok()) << final_state.status();
  EXPECT_TRUE(final_state->census.problems.empty())
      << absl::StrJoin(final_state->census.problems, "\n");
  EXPECT_EQ(final_state->census.applied, last);
  for (uint64_t n : acknowledged) {
    if (n > final_state->census.applied) lost.insert(n);
  }
  for (const auto& [n, copies] : final_state->census.copies) {
    if (copies > 1) duplicated.insert(n);
  }
  EXPECT_TRUE(lost.empty());
  EXPECT_TRUE(duplicated.empty());
  ExpectMessagesReadable(acknowledged, final_state->census);
  if (archive) {
    // Restarts after kills read messages of conversations archived before
    // the kill, and the archive is still read at the end.
    EXPECT_GT(archived_messages_after_kill, 0u);
    EXPECT_GT(final_state->census.archived_conversations, 0u);
    EXPECT_GT(final_state->census.archived_messages, 0u);
  } else {
    EXPECT_EQ(final_state->census.archived_conversations, 0u);
  }

  const Census& c = final_state->census;
  std::cout << "crash test: seed " << seed << ", " << cycles << " SIGKILL cycles ("
            << killed_before_start << " before the driver resumed, " << killed_before_first_ack
            << " before its first ack), " << acknowledged.size() << " commands acknowledged, "
            << "lost = " << lost.size() << ", duplicated = " << duplicated.size() << ", "
            << in_flight_applied << " kills left their unacknowledged command stored whole; "
            << "store: " << c.applied << " commands, " << c.messages << " messages, "
            << c.conversations << " conversations (" << c.archived_conversations
            << " archived, " << c.archived_messages << " messages read from the archive), "
            << c.customers << " customers (" << c.active_customers << " active)\n";
  ::testing::Test::RecordProperty("seed", absl::StrCat(seed));
  ::testing::Test::RecordProperty("cycles", absl::StrCat(cycles));
  ::testing::Test::RecordProperty("acknowledged", absl::StrCat(acknowledged.size()));
  ::testing::Test::RecordProperty("lost", absl::StrCat(lost.size()));
  ::testing::Test::RecordProperty("duplicated", absl::StrCat(duplicated.size()));
}

TEST(CrashTest, AcknowledgedCommandsSurviveSigkillExactlyOnce) { RunKillCycles(false); }

// The same with conversations closed and archived during the load: every
// acknowledged message, those of conversations archived before the kill
// included, is read back with its body from the timelines after a restart.
TEST(CrashTest, AcknowledgedMessagesOfArchivedConversationsSurviveSigkill) {
  RunKillCycles(true);
}

// Runs the driver to command `last` on a new store and leaves its
// write-ahead log as a crash would (not checkpointed).
void MakeStoreWithLog(const std::string& database, uint64_t last) {
  std::vector<Line> lines = RunDriverTo(database, last, {"--exit-abruptly"});
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().word, "ack");
  EXPECT_EQ(lines.back().n, last);
  ASSERT_TRUE(fs::exists(database + "-wal"));
}

// A power cut in the middle of a write leaves the last frame of the
// write-ahead log torn. Opening drops that last, incomplete commit and keeps
// every one before it whole.
TEST(CrashTest, TornLastLogFrameDropsOnlyTheLastCommit) {
  TempDir dir;
  const std::string database = (dir.path() / "events.db").string();
  constexpr uint64_t kLast = 40;
  ASSERT_NO_FATAL_FAILURE(MakeStoreWithLog(database, kLast));
  const std::string wal = ReadFile(database + "-wal");

  // The log: a 32-byte header, then frames of a 24-byte header and a page. A
  // frame's header says, at offset 4, the database size after the commit it
  // ends, or 0 if it ends none.
  ASSERT_GE(wal.size(), 32u);
  const size_t page_size = BigEndian32(wal, 8);
  const size_t frame_size = 24 + page_size;
  ASSERT_EQ((wal.size() - 32) % frame_size, 0u) << "the log does not end on a frame";
  const size_t frames = (wal.size() - 32) / frame_size;
  std::vector<size_t> commit_frames;
  for (size_t i = 0; i < frames; ++i) {
    if (BigEndian32(wal, 32 + i * frame_size + 4) != 0) commit_frames.push_back(i);
  }
  ASSERT_GE(commit_frames.size(), 2u);
  ASSERT_EQ(commit_frames.back(), frames - 1) << "the log ends inside a commit";
  // Without snapshots, each command is one commit: the last is command 40's.
  const size_t last_commit_bytes =
      (frames - 1 - commit_frames[commit_frames.size() - 2]) * frame_size;

  struct Cut {
    size_t bytes;
    uint64_t applied;
  };
  const std::vector<Cut> cuts = {
      {0, kLast},                     // control: nothing cut
      {1, kLast - 1},                 // the last byte of the last page
      {300, kLast - 1},               // a few hundred bytes
      {page_size, kLast - 1},         // all of the last page but the frame header
      {frame_size, kLast - 1},        // the whole last frame
      {last_commit_bytes, kLast - 1}  // the whole last commit, on a frame boundary
  };
  for (size_t i = 0; i < cuts.size(); ++i) {
    const Cut& cut = cuts[i];
    for (bool read_only : {true, false}) {
      SCOPED_TRACE(absl::StrCat("cut ", cut.bytes, " bytes of ", wal.size(),
                                read_only ? ", read-only" : ", read-write"));
      const fs::path copy_dir =
          dir.path() / absl::StrCat("torn-", i, read_only ? "-read-only" : "");
      fs::create_directory(copy_dir);
      const std::string copy = (copy_dir / "events.db").string();
      fs::copy_file(database, copy);
      WriteFile(copy + "-wal", wal.substr(0, wal.size() - cut.bytes));
      absl::StatusOr<Reopened> reopened = Reopen(copy, read_only);
      ASSERT_TRUE(reopened.ok()) << reopened.status();
      EXPECT_TRUE(reopened->census.problems.empty())
          << absl::StrJoin(reopened->census.problems, "\n");
      EXPECT_EQ(reopened->census.applied, cut.applied);
    }
  }
}

// The status of opening the store at `path` and an engine on it.
absl::Status OpenStatus(const std::string& path, bool verify_on_open) {
  SqliteStoreOptions options;
  options.path = path;
  options.create_if_missing = false;
  options.verify_on_open = verify_on_open;
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(options);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open({.store = store->get()});
  return engine.status();
}

// Damage in the main file is reported as a clear error, and the file is left
// as it is for the operator to look at.
TEST(CrashTest, FlippedByteInTheFileIsReportedAndTheFileIsNotRewritten) {
  TempDir dir;
  const std::string database = (dir.path() / "events.db").string();
  constexpr uint64_t kLast = 40;
  ASSERT_NO_FATAL_FAILURE(MakeStoreWithLog(database, kLast));

  // A copy whose log is checkpointed into the main file by SQLite itself.
  const std::string clean = (dir.path() / "clean.db").string();
  fs::copy_file(database, clean);
  fs::copy_file(database + "-wal", clean + "-wal");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(clean.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  ASSERT_TRUE(!fs::exists(clean + "-wal") || fs::file_size(clean + "-wal") == 0);
  const std::string bytes = ReadFile(clean);
  const size_t page_size = [&] {
    const size_t v =
        (static_cast<unsigned char>(bytes[16]) << 8) | static_cast<unsigned char>(bytes[17]);
    return v == 1 ? size_t{65536} : v;
  }();
  const std::string body = crash::BodyOf(16);  // An inbound message.
  const size_t at = bytes.find(body);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.find(body, at + 1), std::string::npos);
  ASSERT_GE(at / page_size, 1u) << "the event is on the first page";
  const size_t page_start = at / page_size * page_size;

  struct Damage {
    std::string name;
    size_t offset;
    absl::StatusCode code;
  };
  const std::vector<Damage> damages = {
      // A byte of an event's payload: the event's checksum catches it.
      {"payload", at + 8, absl::StatusCode::kDataLoss},
      // The page-type byte of the b-tree page holding that event: SQLite
      // finds its own structure broken.
      {"page-header", page_start, absl::StatusCode::kDataLoss},
      // The first byte of the file's magic string: not a SQLite file.
      {"file-header", 0, absl::StatusCode::kFailedPrecondition},
  };
  for (const Damage& damage : damages) {
    for (bool verify_on_open : {false, true}) {
      SCOPED_TRACE(absl::StrCat(damage.name, verify_on_open ? ", verify_on_open" : ""));
      const fs::path copy_dir =
          dir.path() / absl::StrCat(damage.name, verify_on_open ? "-verified" : "");
      fs::create_directory(copy_dir);
      const std::string copy = (copy_dir / "events.db").string();
      std::string damaged = bytes;
      damaged[damage.offset] ^= 0xFF;
      WriteFile(copy, damaged);

      const absl::Status status = OpenStatus(copy, verify_on_open);
      EXPECT_EQ(status.code(), damage.code) << status;
      EXPECT_FALSE(status.message().empty());
      std::cout << "flipped byte (" << damage.name << (verify_on_open ? ", verify_on_open" : "")
                << "): " << status << "\n";
      if (damage.name == "payload") {
        EXPECT_NE(status.message().find("tenant crash"), std::string::npos) << status;
      }
      EXPECT_TRUE(ReadFile(copy) == damaged) << "the damaged file was rewritten";
    }
  }
  // The undamaged copy opens, with every command.
  absl::StatusOr<Reopened> reopened = Reopen(clean, /*read_only=*/false);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE(reopened->census.problems.empty()) << absl::StrJoin(reopened->census.problems, "\n");
  EXPECT_EQ(reopened->census.applied, kLast);
}

}  // namespace
}  // namespace omniroute
