// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Crash test: a separate process (omniroute-crash-driver) drives commands
// against an engine on a SQLite store and is killed with SIGKILL at random
// points; after every kill the store is opened again and checked: every
// acknowledged command is there exactly once, and a command that was not
// acknowledged is there whole or not at all.
//
// OMNIROUTE_CRASH_CYCLES sets the number of kill/restart cycles (default 20);
// tools/crash-loop.sh runs hundreds.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "omniroute/engine.h"
#include "omniroute/sqlite_event_store.h"

extern char** environ;

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;

int Cycles() {
  const char* env = std::getenv("OMNIROUTE_CRASH_CYCLES");
  int cycles = 20;
  if (env != nullptr && !absl::SimpleAtoi(env, &cycles)) cycles = 20;
  return cycles;
}

std::filesystem::path MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "omniroute-crash-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return made;
}

// A running driver whose stdout is read line by line.
class Driver {
 public:
  explicit Driver(const std::string& database, const std::string& max_commands = "") {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<std::string> args = {OMNIROUTE_CRASH_DRIVER, database};
    if (!max_commands.empty()) {
      args.push_back("--max-commands");
      args.push_back(max_commands);
    }
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
    if (pid_ > 0) Kill();
    if (out_ != nullptr) fclose(out_);
  }

  // The next acknowledged command number, or 0 at the end of the output.
  uint64_t NextAck() {
    char line[128];
    if (fgets(line, sizeof line, out_) == nullptr) return 0;
    absl::string_view text = absl::StripTrailingAsciiWhitespace(line);
    uint64_t n = 0;
    if (!absl::ConsumePrefix(&text, "ack ") || !absl::SimpleAtoi(text, &n)) {
      ADD_FAILURE() << "unexpected driver output: " << line;
      return 0;
    }
    return n;
  }

  void Kill() {
    kill(pid_, SIGKILL);
    Wait();
  }

  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

struct Census {
  // How many times each command's message is in a timeline.
  std::map<uint64_t, int> copies;
  std::string dump;
  bool ok = false;
};

// Opens the store and the engine as a restarted server would and counts
// every message of every conversation.
Census TakeCensus(const std::string& database) {
  Census census;
  SqliteStoreOptions options;
  options.path = database;
  options.create_if_missing = false;
  auto store = OpenSqliteEventStore(options);
  if (!store.ok()) {
    ADD_FAILURE() << "store does not open after a crash: " << store.status();
    return census;
  }
  auto engine = Engine::Open({.store = store->get()});
  if (!engine.ok()) {
    ADD_FAILURE() << "engine does not open after a crash: " << engine.status();
    return census;
  }
  if ((*engine)->ListTenants().empty()) {
    census.ok = true;  // Killed before the tenant was created.
    return census;
  }
  for (uint64_t id = 1;; ++id) {
    auto customer = (*engine)->GetCustomer("crash", CustomerId(id));
    if (absl::IsNotFound(customer.status())) break;
    EXPECT_TRUE(customer.ok()) << customer.status();
    if (!customer.ok() || customer->merged_into.has_value()) continue;
    // Nothing half-applied: an active customer has its identity, and each of
    // its identities resolves back to it.
    EXPECT_FALSE(customer->identities.empty()) << "customer " << id << " has no identity";
    for (const Identity& identity : customer->identities) {
      auto owner = (*engine)->FindCustomer("crash", {identity.kind, identity.network, identity.value});
      EXPECT_TRUE(owner.ok() && owner->id == customer->id) << ToString(identity);
    }
    auto conversations = (*engine)->ListConversations("crash", customer->id);
    EXPECT_TRUE(conversations.ok());
    if (!conversations.ok()) continue;
    EXPECT_FALSE(conversations->empty()) << "customer " << id << " has no conversation";
    for (const ConversationView& c : *conversations) {
      auto timeline = (*engine)->GetTimeline("crash", c.id);
      EXPECT_TRUE(timeline.ok());
      if (!timeline.ok()) continue;
      EXPECT_FALSE(timeline->empty()) << ToString(c.id) << " has no message";
      for (const TimelineEntry& e : *timeline) {
        if (!e.message) continue;
        absl::string_view external_id = e.message->external_id;
        uint64_t n = 0;
        EXPECT_TRUE(absl::ConsumePrefix(&external_id, "cmd-") && absl::SimpleAtoi(external_id, &n))
            << e.message->external_id;
        ++census.copies[n];
      }
    }
  }
  census.dump = *(*engine)->DumpState("crash");
  census.ok = true;
  return census;
}

TEST(CrashTest, AcknowledgedCommandsSurviveSigkillExactlyOnce) {
  const std::filesystem::path dir = MakeTempDir();
  const std::string database = (dir / "events.db").string();
  std::mt19937 random(20261122);
  std::set<uint64_t> acknowledged;
  uint64_t acks_received = 0;
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  const int cycles = Cycles();

  for (int cycle = 0; cycle < cycles; ++cycle) {
    {
      Driver driver(database);
      // Kill at a random point: sometimes before the first acknowledgement,
      // mostly after a random number of them (a restarted driver first gets
      // its earlier commands back as redeliveries, which are acknowledged
      // without a write, so the kill lands among new writes too).
      const uint64_t target = std::uniform_int_distribution<uint64_t>(0, 40)(random);
      const uint64_t stop_after = acknowledged.size() + target;
      uint64_t n = 0;
      while (target > 0 && (n = driver.NextAck()) != 0) {
        acknowledged.insert(n);
        ++acks_received;
        if (n >= stop_after) break;
      }
      driver.Kill();
      // Acknowledgements the driver wrote before it died but the test had
      // not read yet are acknowledgements all the same.
      while ((n = driver.NextAck()) != 0) {
        acknowledged.insert(n);
        ++acks_received;
      }
    }
    Census census = TakeCensus(database);
    ASSERT_TRUE(census.ok) << "cycle " << cycle;
    for (uint64_t n : acknowledged) {
      auto it = census.copies.find(n);
      if (it == census.copies.end()) {
        ++lost;
        ADD_FAILURE() << "cycle " << cycle << ": acknowledged cmd-" << n << " is lost";
      }
    }
    uint64_t highest = 0;
    for (const auto& [n, copies] : census.copies) {
      highest = std::max(highest, n);
      if (copies != 1) {
        ++duplicated;
        ADD_FAILURE() << "cycle " << cycle << ": cmd-" << n << " is stored " << copies << " times";
      }
    }
    // Commands run one after the other: what is stored is 1..K, where K is
    // the last acknowledged command or the one after it (stored, killed
    // before its acknowledgement).
    const uint64_t last_acked = acknowledged.empty() ? 0 : *acknowledged.rbegin();
    EXPECT_EQ(census.copies.size(), highest) << "cycle " << cycle << ": a gap in the commands";
    EXPECT_GE(highest, last_acked);
    EXPECT_LE(highest, last_acked + 1) << "cycle " << cycle;
    // A second start-up sees the same state: recovery is deterministic.
    if (!census.dump.empty()) {
      EXPECT_EQ(TakeCensus(database).dump, census.dump) << "cycle " << cycle;
    }
  }

  // Finally let a driver run to the end of a short script on the same store.
  const uint64_t final_count = (acknowledged.empty() ? 0 : *acknowledged.rbegin()) + 10;
  {
    Driver driver(database, absl::StrCat(final_count));
    while (driver.NextAck() != 0) {
    }
    const int status = driver.Wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  Census census = TakeCensus(database);
  EXPECT_EQ(census.copies.size(), final_count);
  for (uint64_t n = 1; n <= final_count; ++n) EXPECT_EQ(census.copies[n], 1) << "cmd-" << n;

  std::cout << "crash test: " << cycles << " SIGKILL cycles, " << acknowledged.size()
            << " distinct commands acknowledged (" << acks_received
            << " acknowledgements read), lost = " << lost << ", duplicated = " << duplicated
            << "\n";
  ::testing::Test::RecordProperty("cycles", cycles);
  ::testing::Test::RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  ::testing::Test::RecordProperty("lost", static_cast<int>(lost));
  ::testing::Test::RecordProperty("duplicated", static_cast<int>(duplicated));
  std::filesystem::remove_all(dir);
}


std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A power cut in the middle of a write leaves the last frame of the
// write-ahead log torn. Opening must drop that last, incomplete commit and
// keep every one before it whole.
TEST(CrashTest, TornLastWriteIsCutOffCleanly) {
  const std::filesystem::path dir = MakeTempDir();
  const std::string database = (dir / "events.db").string();
  uint64_t last_acked = 0;
  {
    Driver driver(database);
    for (uint64_t n; last_acked < 30 && (n = driver.NextAck()) != 0;) last_acked = n;
    driver.Kill();  // The log stays in the -wal file, not yet checkpointed.
  }
  ASSERT_EQ(last_acked, 30u);
  const std::filesystem::path wal = database + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  const std::string wal_bytes = ReadFile(wal);
  ASSERT_GT(wal_bytes.size(), 4096u);

  for (size_t cut : {size_t{1}, size_t{100}, size_t{3000}}) {
    const std::filesystem::path copy_dir = dir / absl::StrCat("torn-", cut);
    std::filesystem::create_directory(copy_dir);
    const std::string copy = (copy_dir / "events.db").string();
    std::filesystem::copy_file(database, copy);
    WriteFile(copy + "-wal", wal_bytes.substr(0, wal_bytes.size() - cut));
    Census census = TakeCensus(copy);
    ASSERT_TRUE(census.ok) << "cut " << cut;
    uint64_t highest = 0;
    for (const auto& [n, copies] : census.copies) {
      highest = std::max(highest, n);
      EXPECT_EQ(copies, 1) << "cmd-" << n << " after a cut of " << cut;
    }
    EXPECT_EQ(census.copies.size(), highest) << "a gap after a cut of " << cut;
    // The torn commit is lost, and at most that one: command 30 wrote its
    // message and its link in two commits.
    EXPECT_GE(highest, last_acked - 2) << "cut " << cut;
    EXPECT_LE(highest, last_acked);
  }
  std::filesystem::remove_all(dir);
}

// Damage anywhere else is reported, with the tenant and the sequence, and
// the file is left as it is for the operator to look at.
TEST(CrashTest, FlippedByteIsReportedAndTheFileIsNotRewritten) {
  const std::filesystem::path dir = MakeTempDir();
  const std::string database = (dir / "events.db").string();
  {
    Driver driver(database, "40");
    while (driver.NextAck() != 0) {
    }
    ASSERT_EQ(driver.Wait(), 0);  // A clean exit checkpoints the log into the file.
  }
  std::string bytes = ReadFile(database);
  const size_t at = bytes.find("message 17 of person 17");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 8] ^= 0x20;
  WriteFile(database, bytes);
  std::filesystem::remove(database + "-wal");
  std::filesystem::remove(database + "-shm");

  SqliteStoreOptions options;
  options.path = database;
  options.create_if_missing = false;
  auto store = OpenSqliteEventStore(options);
  absl::Status status = store.status();
  if (store.ok()) {
    auto engine = Engine::Open({.store = store->get()});
    status = engine.status();
    store->reset();
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  std::cout << "flipped byte: " << status << "\n";
  EXPECT_NE(status.message().find("crash"), std::string::npos) << status;
  EXPECT_EQ(ReadFile(database), bytes) << "the damaged file was rewritten";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace omniroute
