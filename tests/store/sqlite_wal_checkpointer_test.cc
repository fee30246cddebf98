// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite store's write-ahead log is checkpointed by a thread of its own
// (lib/store/sqlite_wal_checkpointer.h), never inside a commit: checkpoints
// happen as the log grows, keep the log file short, step around readers, and
// lose nothing.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/sqlite_event_store_internal.h"
#include "store/sqlite_test_files.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;
using store::SqliteEventStore;
using store::WalCheckpointStats;
using testing_internal::ScratchDir;
using ::testing::HasSubstr;

// Long enough that no healthy machine needs it; the waits end on their
// condition, this only turns a hang into a failure.
constexpr absl::Duration kPatience = absl::Seconds(60);
constexpr int64_t kCheckpointPages = 20;

// An event of about 2 KiB, so that a few of them fill pages of the log.
Event BulkyEvent(uint64_t sequence) {
  Event event;
  event.set_sequence(sequence);
  event.set_tenant_id("acme");
  event.mutable_time()->set_seconds(static_cast<int64_t>(1767225600 + sequence));
  event.mutable_customer_created()->set_customer_id(sequence);
  event.mutable_customer_created()->set_display_name(
      absl::StrCat("customer ", sequence, " ", std::string(2000, 'x')));
  return event;
}

class SqliteWalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }

  void OpenStore() {
    store_.reset();
    SqliteStoreOptions options;
    options.path = path_;
    options.durability = Durability::kSyncPeriodically;
    options.checkpoint_pages = kCheckpointPages;
    absl::StatusOr<std::unique_ptr<SqliteEventStore>> store = SqliteEventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Appends events one commit at a time, up to `last`.
  void AppendUpTo(uint64_t last) {
    for (; next_ <= last; ++next_) {
      std::vector<Event> events = {BulkyEvent(next_)};
      ASSERT_TRUE(store_->Append("acme", events).ok());
    }
  }

  int64_t WalBytes() const {
    std::error_code error;
    const auto size = std::filesystem::file_size(path_ + "-wal", error);
    return error ? 0 : static_cast<int64_t>(size);
  }

  ScratchDir dir_;
  const std::string path_ = dir_.File("events.db");
  std::unique_ptr<SqliteEventStore> store_;
  uint64_t next_ = 1;
};

TEST_F(SqliteWalCheckpointerTest, TheThreadCopiesTheLogAndTheWriterFinishes) {
  // Up to a log of kCheckpointPages pages, far from the four times at
  // which the writer would checkpoint all of it itself.
  while (WalBytes() < kCheckpointPages * (4096 + 24)) AppendUpTo(next_);
  ASSERT_TRUE(store_->WaitForCheckpointsForTesting(1, kPatience));
  WalCheckpointStats stats = store_->CheckpointStats();
  EXPECT_EQ(stats.failed, 0);
  EXPECT_EQ(stats.finished_on_writer, 0);
  EXPECT_GE(stats.last_log_frames, kCheckpointPages);
  // No reader held any of it back.
  EXPECT_EQ(stats.last_checkpointed_frames, stats.last_log_frames);

  // Every frame is in the main file and no write came meanwhile: the next
  // commit starts the log again, with nothing left for the writer to copy.
  AppendUpTo(next_);
  stats = store_->CheckpointStats();
  EXPECT_EQ(stats.log_restarts, 1);
  EXPECT_EQ(stats.finished_on_writer, 0);
}

TEST_F(SqliteWalCheckpointerTest, TheWriterCopiesWhatItAppendedDuringTheThreadsCheckpoint) {
  // A checkpoint of the thread never covers a commit made after it started;
  // the writer's next commit copies what is left and the log starts again.
  // Steady writes make that happen again and again.
  for (uint64_t i = 0; i < 40 * kCheckpointPages; ++i) AppendUpTo(next_);
  const WalCheckpointStats stats = store_->CheckpointStats();
  EXPECT_GE(stats.checkpoints, 1);
  EXPECT_GE(stats.finished_on_writer, 1);
  EXPECT_GE(stats.log_restarts, 1);
  EXPECT_EQ(stats.failed, 0);
}

TEST_F(SqliteWalCheckpointerTest, TheLogFileStaysShortUnderSteadyWrites) {
  // The writer never checkpoints on its own account: without the thread and
  // the writer's share, the log would hold every page written.
  constexpr uint64_t kCommits = 80 * kCheckpointPages;
  AppendUpTo(kCommits);
  const WalCheckpointStats stats = store_->CheckpointStats();
  EXPECT_EQ(stats.failed, 0);
  EXPECT_GE(stats.log_restarts, 10);
  // At least a page (4 KiB and a 24-byte header) per commit without them.
  const int64_t unbounded = static_cast<int64_t>(kCommits) * (4096 + 24);
  EXPECT_LE(WalBytes(), unbounded / 4) << "log of " << WalBytes() << " bytes";
}

TEST_F(SqliteWalCheckpointerTest, StepsAroundAReaderAndStartsAgainAfterIt) {
  // One commit: its frames are in the log only (no checkpoint is due yet).
  AppendUpTo(1);
  // A reader in the middle of a read transaction on that log: the frames
  // after its snapshot cannot be copied before it ends, nor the log start
  // again.
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM events;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  AppendUpTo(1 + 10 * kCheckpointPages);
  WalCheckpointStats stats = store_->CheckpointStats();
  EXPECT_EQ(stats.log_restarts, 0);
  EXPECT_GE(stats.finished_on_writer, 1);
  EXPECT_LT(stats.last_checkpointed_frames, stats.last_log_frames);

  ASSERT_EQ(sqlite3_exec(reader, "COMMIT;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close_v2(reader);
  AppendUpTo(next_ + 10 * kCheckpointPages);
  stats = store_->CheckpointStats();
  EXPECT_GE(stats.log_restarts, 1);
  EXPECT_EQ(stats.failed, 0);
}

TEST_F(SqliteWalCheckpointerTest, NothingIsLostAcrossCheckpointsAndAReopen) {
  AppendUpTo(3 * kCheckpointPages);
  ASSERT_TRUE(store_->WaitForCheckpointsForTesting(1, kPatience));
  AppendUpTo(4 * kCheckpointPages);
  OpenStore();
  uint64_t expected = 1;
  absl::Status read = store_->Read("acme", 1, [&](const Event& event) {
    EXPECT_EQ(event.SerializeAsString(), BulkyEvent(expected).SerializeAsString());
    ++expected;
    return true;
  });
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(expected, 4 * kCheckpointPages + 1);
}

TEST(SqliteWalCheckpointerOptionsTest, CheckpointPagesMustBePositive) {
  ScratchDir dir;
  SqliteStoreOptions options;
  options.path = dir.File("events.db");
  options.checkpoint_pages = 0;
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(store.status().message(), HasSubstr("checkpoint_pages"));
}

TEST(SqliteWalCheckpointerOptionsTest, AReadOnlyStoreRunsNoCheckpoints) {
  ScratchDir dir;
  SqliteStoreOptions options;
  options.path = dir.File("events.db");
  {
    absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store = SqliteEventStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->CheckpointStats().checkpoints, 0);
  EXPECT_FALSE((*store)->WaitForCheckpointsForTesting(1, absl::ZeroDuration()));
}

}  // namespace
}  // namespace omniroute
