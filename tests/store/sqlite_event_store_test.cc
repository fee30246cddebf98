// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite event store: durability across reopen, group commit under
// concurrency, and what it does with damaged, foreign and newer files: a
// clear status, never a crash, never a rewrite. The EventStore contract that
// every store shares is in event_store_contract_test.cc.

#include "omniroute/sqlite_event_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/crc32c.h"
#include "store/sqlite_event_store_internal.h"
#include "store/event_log_builders.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_test_files.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;
using store::SqliteEventStore;
using store::SqliteStoreStats;
using testing_internal::ExecSql;
using testing_internal::FlipPayloadByte;
using testing_internal::MakeEvent;
using testing_internal::MakeEvents;
using testing_internal::QueryInt64;
using testing_internal::ReadAll;
using testing_internal::ScratchDir;
using testing_internal::Sequences;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

SqliteStoreOptions OptionsAt(const std::string& path,
                             Durability durability = Durability::kSyncEachCommit) {
  SqliteStoreOptions options;
  options.path = path;
  options.durability = durability;
  return options;
}

std::unique_ptr<SqliteEventStore> MustOpen(const SqliteStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store = SqliteEventStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// ---------------------------------------------------------------- SQLite

class SqliteEventStoreTest : public testing::Test {
 protected:
  std::string Path() const { return dir_.File("events.db"); }

  ScratchDir dir_;
};

TEST(Crc32cTest, MatchesTheStandardCheckValueOnEveryImplementation) {
  EXPECT_EQ(store::Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(store::ExtendCrc32cPortable(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(store::Crc32c(""), 0u);
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<char>(i * 131 + 7));
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u}) {
    const absl::string_view head = absl::string_view(bytes).substr(0, cut);
    const absl::string_view tail = absl::string_view(bytes).substr(cut);
    EXPECT_EQ(store::ExtendCrc32c(store::Crc32c(head), tail), store::Crc32c(bytes)) << cut;
    EXPECT_EQ(store::ExtendCrc32cPortable(store::ExtendCrc32cPortable(0, head), tail),
              store::Crc32c(bytes))
        << cut;
  }
}

TEST_F(SqliteEventStoreTest, RefusesBadOptions) {
  SqliteStoreOptions options = OptionsAt("");
  EXPECT_EQ(SqliteEventStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = OptionsAt(":memory:");
  EXPECT_EQ(SqliteEventStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = OptionsAt(Path());
  options.max_batch_bytes = 0;
  absl::Status s = SqliteEventStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("max_batch_bytes"));
  options = OptionsAt(Path());
  options.group_commit_window = absl::Milliseconds(-1);
  s = SqliteEventStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("group_commit_window"));
  options = OptionsAt(Path());
  options.snapshot_part_bytes = 0;
  s = SqliteEventStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("snapshot_part_bytes"));
  EXPECT_FALSE(std::filesystem::exists(Path()));
}

TEST_F(SqliteEventStoreTest, OpensWithoutCreatingWhenAsked) {
  SqliteStoreOptions options = OptionsAt(Path());
  options.create_if_missing = false;
  absl::Status s = SqliteEventStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_FALSE(std::filesystem::exists(Path()));

  // A directory that does not exist cannot hold a store.
  s = SqliteEventStore::Open(OptionsAt(dir_.File("missing/events.db"))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;

  options.create_if_missing = true;
  ASSERT_NE(MustOpen(options), nullptr);
  options.create_if_missing = false;
  EXPECT_NE(MustOpen(options), nullptr);
}

TEST_F(SqliteEventStoreTest, DataSurvivesCloseAndReopen) {
  {
    std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 5)).ok());
    ASSERT_TRUE(store->Append("globex", MakeEvents("globex", 1, 2)).ok());
    ASSERT_TRUE(store->SaveSnapshot("acme", 5, "acme at 5").ok());
  }
  for (Durability durability :
       {Durability::kSyncEachCommit, Durability::kSyncPeriodically, Durability::kNoSync}) {
    std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path(), durability));
    ASSERT_NE(store, nullptr);
    std::vector<Event> acme = ReadAll(*store, "acme");
    ASSERT_THAT(Sequences(acme), ElementsAre(1, 2, 3, 4, 5));
    EXPECT_EQ(acme[4].SerializeAsString(), MakeEvent("acme", 5).SerializeAsString());
    EXPECT_THAT(*store->ListTenants(), ElementsAre("acme", "globex"));
    EXPECT_EQ(*store->LastSequence("globex"), 2u);
    absl::StatusOr<EventStore::Snapshot> snapshot = store->LoadSnapshot("acme");
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    EXPECT_EQ(snapshot->sequence, 5u);
    EXPECT_EQ(snapshot->state, "acme at 5");
    // The reopened log continues where it was, and refuses what it refused.
    EXPECT_EQ(store->Append("acme", MakeEvents("acme", 5, 5)).code(),
              absl::StatusCode::kFailedPrecondition);
  }
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 6, 6)).ok());
  store.reset();
  store = MustOpen(OptionsAt(Path()));
  EXPECT_THAT(Sequences(ReadAll(*store, "acme")), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST_F(SqliteEventStoreTest, SixteenConcurrentAppendersLandExactlyOnceAndInOrder) {
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 16;
  constexpr uint64_t kBatches = 40;
  constexpr uint64_t kBatchSize = 3;

  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string tenant = absl::StrCat("tenant-", t < 10 ? "0" : "", t);
      uint64_t next = 1;
      for (uint64_t b = 0; b < kBatches; ++b) {
        if (!store->Append(tenant, MakeEvents(tenant, next, next + kBatchSize - 1)).ok()) {
          ++failures[t];
        }
        next += kBatchSize;
        // Reads run alongside the commits and see every acknowledged write.
        absl::StatusOr<uint64_t> last = store->LastSequence(tenant);
        if (!last.ok() || *last != next - 1) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::string> expected_tenants;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    const std::string tenant = absl::StrCat("tenant-", t < 10 ? "0" : "", t);
    expected_tenants.push_back(tenant);
    std::vector<Event> events = ReadAll(*store, tenant);
    ASSERT_EQ(events.size(), kBatches * kBatchSize) << tenant;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].sequence(), i + 1) << tenant;
      ASSERT_EQ(events[i].customer_created().display_name(), absl::StrCat(tenant, "#", i + 1));
    }
  }
  EXPECT_EQ(*store->ListTenants(), expected_tenants);
  const SqliteStoreStats stats = store->Stats();
  EXPECT_EQ(stats.appends, kThreads * static_cast<int64_t>(kBatches));
  EXPECT_LE(stats.commits, stats.appends);
  EXPECT_GE(stats.commits, 1);
}

TEST_F(SqliteEventStoreTest, QueuedWritesShareOneCommitAndKeepTheirOwnResults) {
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("seen", MakeEvents("seen", 1, 1)).ok());
  const SqliteStoreStats before = store->Stats();

  // The leader waits until all eight writes are queued, then takes them all.
  constexpr int kWrites = 8;
  store->HoldNextLeaderForTesting(kWrites);
  std::vector<absl::Status> results(kWrites);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWrites; ++i) {
    threads.emplace_back([&, i] {
      const std::string tenant = absl::StrCat("t", i);
      if (i < 5) {
        results[i] = store->Append(tenant, MakeEvents(tenant, 1, 3));
      } else if (i == 5) {
        results[i] = store->Append(tenant, MakeEvents(tenant, 2, 3));  // A gap.
      } else if (i == 6) {
        results[i] = store->SaveSnapshot("seen", 2, "beyond");  // Past the last event.
      } else {
        results[i] = store->SaveSnapshot("seen", 1, "fine");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < 5; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
  EXPECT_EQ(results[5].code(), absl::StatusCode::kFailedPrecondition) << results[5];
  EXPECT_EQ(results[6].code(), absl::StatusCode::kInvalidArgument) << results[6];
  EXPECT_TRUE(results[7].ok()) << results[7];

  const SqliteStoreStats after = store->Stats();
  EXPECT_EQ(after.appends - before.appends, 6);
  EXPECT_EQ(after.snapshots - before.snapshots, 2);
  EXPECT_EQ(after.commits - before.commits, 1);  // Eight writes, one sync.
  EXPECT_EQ(after.largest_group, kWrites);

  for (int i = 0; i < 5; ++i) {
    const std::string tenant = absl::StrCat("t", i);
    EXPECT_THAT(Sequences(ReadAll(*store, tenant)), ElementsAre(1, 2, 3)) << tenant;
  }
  EXPECT_THAT(ReadAll(*store, "t5"), IsEmpty());
  EXPECT_EQ(store->LoadSnapshot("seen")->state, "fine");
  EXPECT_THAT(*store->ListTenants(), ElementsAre("seen", "t0", "t1", "t2", "t3", "t4"));
}

TEST_F(SqliteEventStoreTest, RacingBatchesForOneTenantInOneCommitLandOnce) {
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  store->HoldNextLeaderForTesting(2);
  absl::Status first;
  absl::Status second;
  std::thread a([&] { first = store->Append("dup", MakeEvents("dup", 1, 3)); });
  std::thread b([&] { second = store->Append("dup", MakeEvents("dup", 1, 3)); });
  a.join();
  b.join();
  // The later of the two sees the earlier one inside the shared transaction.
  EXPECT_NE(first.ok(), second.ok()) << first << " / " << second;
  EXPECT_THAT(
      std::vector<absl::StatusCode>({first.code(), second.code()}),
      testing::UnorderedElementsAre(absl::StatusCode::kOk, absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store->Stats().commits, 1);
  EXPECT_THAT(Sequences(ReadAll(*store, "dup")), ElementsAre(1, 2, 3));
}

// The bytes an Append of `events` weighs in the commit queue.
int64_t BatchBytes(const std::vector<Event>& events) {
  int64_t bytes = 0;
  for (const Event& e : events) bytes += static_cast<int64_t>(e.ByteSizeLong());
  return bytes;
}

TEST_F(SqliteEventStoreTest, AWindowGathersWritesUntilMaxBatchBytes) {
  constexpr int kWriters = 4;
  // Tenants "w0".."w3": every batch has the same size.
  const int64_t batch_bytes = BatchBytes(MakeEvents("w0", 1, 3));
  SqliteStoreOptions options = OptionsAt(Path());
  // Long enough never to expire here: the leader stops waiting because the
  // queue is full, which is what the test shows.
  options.group_commit_window = absl::Seconds(120);
  options.max_batch_bytes = kWriters * batch_bytes;
  std::unique_ptr<SqliteEventStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);

  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      const std::string tenant = absl::StrCat("w", i);
      results[i] = store->Append(tenant, MakeEvents(tenant, 1, 3));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(store->Stats().commits, 1);
  EXPECT_EQ(store->Stats().largest_group, kWriters);
}

TEST_F(SqliteEventStoreTest, MaxBatchBytesSplitsAGroup) {
  const int64_t batch_bytes = BatchBytes(MakeEvents("w0", 1, 3));
  SqliteStoreOptions options = OptionsAt(Path());
  options.max_batch_bytes = 2 * batch_bytes;
  std::unique_ptr<SqliteEventStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);

  store->HoldNextLeaderForTesting(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const std::string tenant = absl::StrCat("w", i);
      EXPECT_TRUE(store->Append(tenant, MakeEvents(tenant, 1, 3)).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store->Stats().commits, 2);
  EXPECT_EQ(store->Stats().largest_group, 2);

  // A write bigger than the limit goes alone rather than being refused.
  ASSERT_TRUE(store->Append("big", MakeEvents("big", 1, 50)).ok());
  EXPECT_EQ(*store->LastSequence("big"), 50u);
}

TEST_F(SqliteEventStoreTest, AFlippedPayloadByteIsDataLossNamingTenantAndSequence) {
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 6)).ok());
  ASSERT_TRUE(store->Append("globex", MakeEvents("globex", 1, 6)).ok());

  // Damaged behind the open store's back, as a disk would.
  FlipPayloadByte(Path(), "acme", 4);

  std::vector<uint64_t> seen;
  absl::Status s = store->Read("acme", 1, [&](const Event& e) {
    seen.push_back(e.sequence());
    return true;
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 4"), HasSubstr("checksum")));
  EXPECT_THAT(seen, ElementsAre(1, 2, 3));  // What precedes the damage is served.
  // Reading past the damage works; other tenants are unaffected.
  EXPECT_THAT(Sequences(ReadAll(*store, "acme", 5)), ElementsAre(5, 6));
  EXPECT_EQ(ReadAll(*store, "globex").size(), 6u);

  // Still reported after a reopen: nothing repaired it silently.
  store.reset();
  store = MustOpen(OptionsAt(Path()));
  s = store->Read("acme", 2, [](const Event&) { return true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST_F(SqliteEventStoreTest, APayloadUnderTheWrongSequenceIsDataLoss) {
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 4)).ok());
  // Event 3's bytes and checksum copied over event 2: each row is
  // self-consistent, but not where it is.
  ExecSql(Path(),
          "UPDATE events SET (payload, crc) = (SELECT payload, crc FROM events WHERE tenant = "
          "'acme' AND sequence = 3) WHERE tenant = 'acme' AND sequence = 2");
  absl::Status s = store->Read("acme", 1, [](const Event&) { return true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("acme"), HasSubstr("sequence 2")));
}

TEST_F(SqliteEventStoreTest, AMissingEventIsDataLoss) {
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 5)).ok());
  ExecSql(Path(), "DELETE FROM events WHERE tenant = 'acme' AND sequence = 3");
  absl::Status s = store->Read("acme", 1, [](const Event&) { return true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 3"), HasSubstr("missing")));
}

TEST_F(SqliteEventStoreTest, ADamagedSnapshotIsDataLoss) {
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(store->SaveSnapshot("acme", 3, "the state after three events").ok());
  ExecSql(Path(), "UPDATE snapshots SET state = CAST('the state after thrEe events' AS BLOB)");
  absl::StatusOr<EventStore::Snapshot> snapshot = store->LoadSnapshot("acme");
  EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kDataLoss) << snapshot.status();
  EXPECT_THAT(std::string(snapshot.status().message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 3")));
}

// A state of `size` bytes that differs at every position from its
// neighbours' parts, so that parts in the wrong order would show.
std::string Patterned(size_t size, char salt) {
  std::string state(size, '\0');
  for (size_t i = 0; i < size; ++i) state[i] = static_cast<char>((i * 7 + salt) % 251);
  return state;
}

TEST_F(SqliteEventStoreTest, SnapshotPartBytesMustBePositive) {
  for (const int64_t bytes : {int64_t{0}, int64_t{-1}}) {
    SqliteStoreOptions options = OptionsAt(Path());
    options.snapshot_part_bytes = bytes;
    absl::StatusOr<std::unique_ptr<SqliteEventStore>> store = SqliteEventStore::Open(options);
    ASSERT_FALSE(store.ok()) << bytes;
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(store.status().message(), HasSubstr("snapshot_part_bytes"));
  }
}

TEST_F(SqliteEventStoreTest, ALargeSnapshotIsSavedAPartPerCommitAndReadBackWhole) {
  SqliteStoreOptions options = OptionsAt(Path());
  options.snapshot_part_bytes = 10;
  std::unique_ptr<SqliteEventStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 4)).ok());
  const SqliteStoreStats before = store->Stats();

  const std::string state = Patterned(35, 1);  // Parts of 10, 10, 10 and 5 bytes.
  ASSERT_TRUE(store->SaveSnapshot("acme", 3, state).ok());
  const SqliteStoreStats after = store->Stats();
  EXPECT_EQ(after.snapshot_parts - before.snapshot_parts, 4);
  EXPECT_EQ(after.snapshots - before.snapshots, 1);
  // No other writer: each part, then the publishing row, is a commit.
  EXPECT_EQ(after.commits - before.commits, 5);
  EXPECT_EQ(QueryInt64(Path(), "SELECT count(*) FROM snapshot_parts"), 4);
  EXPECT_EQ(QueryInt64(Path(), "SELECT parts FROM snapshots WHERE tenant = 'acme'"), 4);
  EXPECT_EQ(QueryInt64(Path(), "SELECT length(state) FROM snapshots WHERE tenant = 'acme'"), 0);

  absl::StatusOr<EventStore::Snapshot> snapshot = store->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->sequence, 3);
  EXPECT_TRUE(snapshot->state == state);

  // Reopened, the same.
  store.reset();
  store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  snapshot = store->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_TRUE(snapshot->state == state);
}

TEST_F(SqliteEventStoreTest, AReplacedSnapshotsPartsAreDeletedAPartPerCommit) {
  SqliteStoreOptions options = OptionsAt(Path());
  options.snapshot_part_bytes = 10;
  std::unique_ptr<SqliteEventStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 4)).ok());
  ASSERT_TRUE(store->Append("globex", MakeEvents("globex", 1, 4)).ok());
  ASSERT_TRUE(store->SaveSnapshot("acme", 2, Patterned(30, 1)).ok());
  ASSERT_TRUE(store->SaveSnapshot("globex", 2, Patterned(30, 2)).ok());
  ASSERT_EQ(QueryInt64(Path(), "SELECT count(*) FROM snapshot_parts"), 6);

  // A whole snapshot replaces acme's three parts: the publishing commit,
  // then three more, one per part. Globex keeps its own.
  const SqliteStoreStats before = store->Stats();
  ASSERT_TRUE(store->SaveSnapshot("acme", 4, "small").ok());
  EXPECT_EQ(store->Stats().commits - before.commits, 4);
  EXPECT_EQ(QueryInt64(Path(), "SELECT count(*) FROM snapshot_parts WHERE tenant = 'acme'"), 0);
  EXPECT_EQ(QueryInt64(Path(), "SELECT count(*) FROM snapshot_parts WHERE tenant = 'globex'"), 3);
  EXPECT_EQ(store->LoadSnapshot("acme")->state, "small");
  EXPECT_TRUE(store->LoadSnapshot("globex")->state == Patterned(30, 2));

  // Saved again at the same sequence with fewer parts: the extra ones of
  // the first save go with the publishing commit.
  const std::string shorter = Patterned(15, 3);
  ASSERT_TRUE(store->SaveSnapshot("globex", 2, shorter).ok());
  EXPECT_EQ(QueryInt64(Path(), "SELECT count(*) FROM snapshot_parts WHERE tenant = 'globex'"), 2);
  EXPECT_TRUE(store->LoadSnapshot("globex")->state == shorter);
}

TEST_F(SqliteEventStoreTest, ASnapshotPartBeyondTheLogIsRefusedAndNothingIsPublished) {
  SqliteStoreOptions options = OptionsAt(Path());
  options.snapshot_part_bytes = 10;
  std::unique_ptr<SqliteEventStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 2)).ok());
  absl::Status s = store->SaveSnapshot("acme", 3, Patterned(25, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(store->LoadSnapshot("acme").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(QueryInt64(Path(), "SELECT count(*) FROM snapshot_parts"), 0);
}

TEST_F(SqliteEventStoreTest, AMissingSnapshotPartIsDataLoss) {
  SqliteStoreOptions options = OptionsAt(Path());
  options.snapshot_part_bytes = 10;
  std::unique_ptr<SqliteEventStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(store->SaveSnapshot("acme", 3, Patterned(30, 1)).ok());
  ExecSql(Path(), "DELETE FROM snapshot_parts WHERE part = 1");
  absl::StatusOr<EventStore::Snapshot> snapshot = store->LoadSnapshot("acme");
  EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kDataLoss) << snapshot.status();
  EXPECT_THAT(std::string(snapshot.status().message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 3"), HasSubstr("part 1")));

  // A part damaged in place fails the checksum of the whole.
  ASSERT_TRUE(store->SaveSnapshot("acme", 3, Patterned(30, 1)).ok());
  ExecSql(Path(), "UPDATE snapshot_parts SET bytes = zeroblob(10) WHERE part = 2");
  snapshot = store->LoadSnapshot("acme");
  EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kDataLoss) << snapshot.status();
  EXPECT_THAT(std::string(snapshot.status().message()), HasSubstr("checksum"));
}

TEST_F(SqliteEventStoreTest, AVersion4StoreIsReadAsItIsAndUpgradedWhenWritable) {
  {
    std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());
    ASSERT_TRUE(store->SaveSnapshot("acme", 2, "acme at 2").ok());
  }
  // What version 4 wrote: no parts anywhere.
  ExecSql(Path(),
          "DROP TABLE snapshot_parts; ALTER TABLE snapshots DROP COLUMN parts; "
          "PRAGMA user_version = 4");
  {
    SqliteStoreOptions options = OptionsAt(Path());
    options.read_only = true;
    std::unique_ptr<SqliteEventStore> store = MustOpen(options);
    ASSERT_NE(store, nullptr);
    absl::StatusOr<EventStore::Snapshot> snapshot = store->LoadSnapshot("acme");
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    EXPECT_EQ(snapshot->state, "acme at 2");
  }
  EXPECT_EQ(QueryInt64(Path(), "PRAGMA user_version"), 4);

  SqliteStoreOptions options = OptionsAt(Path());
  options.snapshot_part_bytes = 4;
  std::unique_ptr<SqliteEventStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryInt64(Path(), "PRAGMA user_version"), store::kSqliteSchemaVersion);
  EXPECT_EQ(store->LoadSnapshot("acme")->state, "acme at 2");
  ASSERT_TRUE(store->SaveSnapshot("acme", 3, "acme at 3, in parts").ok());
  EXPECT_EQ(store->LoadSnapshot("acme")->state, "acme at 3, in parts");
}

TEST_F(SqliteEventStoreTest, ATruncatedFileIsAClearErrorNotACrash) {
  {
    std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path(), Durability::kNoSync));
    ASSERT_NE(store, nullptr);
    for (uint64_t first = 1; first <= 3000; first += 100) {
      ASSERT_TRUE(store->Append("acme", MakeEvents("acme", first, first + 99)).ok());
    }
  }  // Closing checkpoints the log into the main file and removes it.
  ASSERT_FALSE(std::filesystem::exists(Path() + "-wal"));
  const uintmax_t size = std::filesystem::file_size(Path());
  ASSERT_GT(size, 64u * 1024);
  std::filesystem::resize_file(Path(), size / 2);

  const auto is_clear = AnyOf(absl::StatusCode::kDataLoss, absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<std::unique_ptr<SqliteEventStore>> store =
      SqliteEventStore::Open(OptionsAt(Path()));
  if (!store.ok()) {
    EXPECT_THAT(store.status().code(), is_clear) << store.status();
    EXPECT_THAT(std::string(store.status().message()), HasSubstr(Path()));
    return;
  }
  // Opened (the damage is past what opening reads): the read that meets it
  // says so.
  absl::Status s = (*store)->Read("acme", 1, [](const Event&) { return true; });
  EXPECT_THAT(s.code(), is_clear) << s;
}

TEST_F(SqliteEventStoreTest, VerifyOnOpenFindsDamageAnywhere) {
  {
    std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path(), Durability::kNoSync));
    ASSERT_NE(store, nullptr);
    for (uint64_t first = 1; first <= 3000; first += 100) {
      ASSERT_TRUE(store->Append("acme", MakeEvents("acme", first, first + 99)).ok());
    }
  }
  SqliteStoreOptions options = OptionsAt(Path());
  options.verify_on_open = true;
  ASSERT_NE(MustOpen(options), nullptr);  // A sound file passes.

  // Overwrite a page in the middle of the file with garbage.
  std::string bytes = FileBytes(Path());
  const size_t middle = (bytes.size() / 2) / 4096 * 4096;
  for (size_t i = middle; i < middle + 4096 && i < bytes.size(); ++i) bytes[i] = '\x5a';
  WriteFile(Path(), bytes);
  absl::Status s = SqliteEventStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST_F(SqliteEventStoreTest, ANewerSchemaVersionIsRefusedAtOpenAndLeftAlone) {
  {
    std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 2)).ok());
  }
  ExecSql(Path(), absl::StrCat("PRAGMA user_version = ", store::kSqliteSchemaVersion + 1));
  const std::string before = FileBytes(Path());

  absl::Status s = SqliteEventStore::Open(OptionsAt(Path())).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("newer"),
                                                 HasSubstr(absl::StrCat(
                                                     "schema version ",
                                                     store::kSqliteSchemaVersion + 1))));
  EXPECT_TRUE(FileBytes(Path()) == before) << "the file was changed";

  ExecSql(Path(), "PRAGMA user_version = 0");
  s = SqliteEventStore::Open(OptionsAt(Path())).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown"));
}

TEST_F(SqliteEventStoreTest, AFileThatIsNotADatabaseIsRefusedAndLeftAlone) {
  for (const std::string& content : {std::string("hello"), std::string(8192, 'x'),
                                     std::string("SQLite format 3") + std::string(4000, '\x01')}) {
    WriteFile(Path(), content);
    absl::Status s = SqliteEventStore::Open(OptionsAt(Path())).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("not an omniroute event store"));
    EXPECT_TRUE(FileBytes(Path()) == content) << "the file was changed";
    EXPECT_FALSE(std::filesystem::exists(Path() + "-wal"));
  }
}

TEST_F(SqliteEventStoreTest, AnotherApplicationsDatabaseIsRefusedAndLeftAlone) {
  ExecSql(Path(),
          "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
          "INSERT INTO invoices (total) VALUES (12.5);");
  const std::string before = FileBytes(Path());
  absl::Status s = SqliteEventStore::Open(OptionsAt(Path())).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("not an omniroute event store"));
  EXPECT_TRUE(FileBytes(Path()) == before) << "the file was changed";
}

TEST_F(SqliteEventStoreTest, AnEmptyFileBecomesAStore) {
  WriteFile(Path(), "");
  std::unique_ptr<SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Append("acme", MakeEvents("acme", 1, 1)).ok());
}

TEST_F(SqliteEventStoreTest, TwoStoresOnOneFileKeepTheLogContiguous) {
  std::unique_ptr<SqliteEventStore> a = MustOpen(OptionsAt(Path()));
  std::unique_ptr<SqliteEventStore> b = MustOpen(OptionsAt(Path()));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Append("acme", MakeEvents("acme", 1, 2)).ok());
  EXPECT_EQ(b->Append("acme", MakeEvents("acme", 1, 2)).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(b->Append("acme", MakeEvents("acme", 3, 4)).ok());
  EXPECT_THAT(Sequences(ReadAll(*a, "acme")), ElementsAre(1, 2, 3, 4));
}

TEST_F(SqliteEventStoreTest, AReadOnlyStoreNeverCreatesAFile) {
  SqliteStoreOptions options = OptionsAt(Path());
  options.read_only = true;
  options.create_if_missing = true;  // Ignored: read-only never creates.
  absl::Status s = SqliteEventStore::Open(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_FALSE(std::filesystem::exists(Path()));
}

TEST_F(SqliteEventStoreTest, AReadOnlyStoreReadsAndRefusesWrites) {
  std::unique_ptr<SqliteEventStore> writer = MustOpen(OptionsAt(Path()));
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(writer->SaveSnapshot("acme", 2, "acme at 2").ok());

  SqliteStoreOptions options = OptionsAt(Path());
  options.read_only = true;
  std::unique_ptr<SqliteEventStore> reader = MustOpen(options);
  ASSERT_NE(reader, nullptr);
  EXPECT_THAT(Sequences(ReadAll(*reader, "acme")), ElementsAre(1, 2, 3));
  EXPECT_EQ(reader->LoadSnapshot("acme")->state, "acme at 2");
  absl::Status s = reader->Append("acme", MakeEvents("acme", 4, 4));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("read-only"));
  EXPECT_EQ(reader->SaveSnapshot("acme", 3, "x").code(), absl::StatusCode::kFailedPrecondition);

  // It sees what the writer commits later.
  ASSERT_TRUE(writer->Append("acme", MakeEvents("acme", 4, 5)).ok());
  EXPECT_EQ(*reader->LastSequence("acme"), 5u);
}

TEST_F(SqliteEventStoreTest, AReadOnlyStoreLeavesACrashedWritersLogAsItIs) {
  // The files a writer that crashed leaves: the main file and a write-ahead
  // log holding commits not yet checkpointed. Copied while the writer is
  // open and idle.
  const std::string crashed = dir_.File("crashed.db");
  {
    std::unique_ptr<SqliteEventStore> writer = MustOpen(OptionsAt(Path()));
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Append("acme", MakeEvents("acme", 1, 4)).ok());
    std::filesystem::copy_file(Path(), crashed);
    std::filesystem::copy_file(Path() + "-wal", crashed + "-wal");
  }
  const std::string main_before = FileBytes(crashed);
  const std::string log_before = FileBytes(crashed + "-wal");
  ASSERT_FALSE(log_before.empty());

  SqliteStoreOptions options = OptionsAt(crashed);
  options.read_only = true;
  options.verify_on_open = true;
  {
    std::unique_ptr<SqliteEventStore> reader = MustOpen(options);
    ASSERT_NE(reader, nullptr);
    EXPECT_THAT(Sequences(ReadAll(*reader, "acme")), ElementsAre(1, 2, 3, 4));
  }
  // A read-write store would have checkpointed the log into the main file
  // when it closed; a read-only one leaves both as they were.
  EXPECT_TRUE(FileBytes(crashed) == main_before) << "the main file was changed";
  EXPECT_TRUE(FileBytes(crashed + "-wal") == log_before) << "the write-ahead log was changed";
}

}  // namespace
}  // namespace omniroute
