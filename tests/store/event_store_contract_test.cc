// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The EventStore contract of the log (omniroute/event_store.h), run over
// every store, so that they all behave alike: contiguous appends, the first
// sequence, gaps and overlaps refused whole, reads from a sequence and in
// chunks, a visitor that stops or calls back, unknown tenants, tenants
// listed sorted and independent, concurrent and racing appends, the last
// sequence, snapshots. The rest of the contract runs over the same stores in
// message_history_test.cc (the history), archive_index_test.cc (the
// archive) and customer_redaction_test.cc (erasure).

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/event_log_builders.h"
#include "store/sqlite_test_files.h"
#include "store/store_kinds.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;
using testing_internal::MakeEvent;
using testing_internal::MakeEvents;
using testing_internal::ReadAll;
using testing_internal::ScratchDir;
using testing_internal::Sequences;
using testing_internal::StoreKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A store kind and, for SQLite, how durable its commits are (which changes
// how the group commit syncs, not what it stores).
struct ContractStore {
  StoreKind kind;
  Durability durability = Durability::kNoSync;
};

std::string ContractStoreName(const testing::TestParamInfo<ContractStore>& info) {
  switch (info.param.kind) {
    case StoreKind::kMemory:
      return "Memory";
    case StoreKind::kSqlite:
      return info.param.durability == Durability::kNoSync ? "SqliteNoSync"
                                                          : "SqliteSyncEachCommit";
    case StoreKind::kPostgres:
      return "Postgres";
  }
  return "Unknown";
}

class EventStoreContractTest : public testing::TestWithParam<ContractStore> {
 protected:
  void SetUp() override {
    store_ = testing_internal::OpenEmptyStore(GetParam().kind, dir_, GetParam().durability);
    ASSERT_NE(store_, nullptr);
  }

  ScratchDir dir_;
  std::unique_ptr<EventStore> store_;
};

INSTANTIATE_TEST_SUITE_P(
    AllStores, EventStoreContractTest,
    testing::Values(ContractStore{StoreKind::kMemory},
                    ContractStore{StoreKind::kSqlite, Durability::kSyncEachCommit},
                    ContractStore{StoreKind::kSqlite, Durability::kNoSync},
                    ContractStore{StoreKind::kPostgres}),
    ContractStoreName);

TEST_P(EventStoreContractTest, AppendsContiguousBatchesAndReadsThemBackInOrder) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 4, 4)).ok());
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 5, 7)).ok());

  std::vector<Event> events = ReadAll(*store_, "acme");
  EXPECT_THAT(Sequences(events), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  for (const Event& e : events) {
    EXPECT_EQ(e.SerializeAsString(), MakeEvent("acme", e.sequence()).SerializeAsString());
  }
}

TEST_P(EventStoreContractTest, AnEmptyAppendIsAcceptedAndStoresNothing) {
  EXPECT_TRUE(store_->Append("acme", {}).ok());
  EXPECT_THAT(ReadAll(*store_, "acme"), IsEmpty());
  absl::StatusOr<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_THAT(*tenants, IsEmpty());
}

TEST_P(EventStoreContractTest, TheFirstEventOfATenantMustHaveSequenceOne) {
  absl::Status s = store_->Append("acme", MakeEvents("acme", 2, 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  s = store_->Append("acme", MakeEvents("acme", 0, 0));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(ReadAll(*store_, "acme"), IsEmpty());
  EXPECT_THAT(*store_->ListTenants(), IsEmpty());
}

TEST_P(EventStoreContractTest, RejectsAGapAndAppendsNothing) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 3)).ok());
  absl::Status s = store_->Append("acme", MakeEvents("acme", 5, 6));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("acme"));
  // Starts right, with a hole in the middle: the valid first event is not
  // kept either.
  std::vector<Event> holed = {MakeEvent("acme", 4), MakeEvent("acme", 5), MakeEvent("acme", 7)};
  s = store_->Append("acme", holed);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;

  EXPECT_THAT(Sequences(ReadAll(*store_, "acme")), ElementsAre(1, 2, 3));
  EXPECT_TRUE(store_->Append("acme", MakeEvents("acme", 4, 5)).ok());
  EXPECT_THAT(Sequences(ReadAll(*store_, "acme")), ElementsAre(1, 2, 3, 4, 5));
}

TEST_P(EventStoreContractTest, RejectsAnOverlapAndAppendsNothing) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 3)).ok());
  absl::Status s = store_->Append("acme", MakeEvents("acme", 3, 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  s = store_->Append("acme", MakeEvents("acme", 2, 5));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  std::vector<Event> repeated = {MakeEvent("acme", 4), MakeEvent("acme", 4)};
  s = store_->Append("acme", repeated);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  std::vector<Event> swapped = {MakeEvent("acme", 5), MakeEvent("acme", 4)};
  s = store_->Append("acme", swapped);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;

  std::vector<Event> events = ReadAll(*store_, "acme");
  EXPECT_THAT(Sequences(events), ElementsAre(1, 2, 3));
  EXPECT_EQ(events[2].customer_created().display_name(), "acme#3");
}

TEST_P(EventStoreContractTest, ReadsFromAGivenSequence) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 6)).ok());
  EXPECT_THAT(Sequences(ReadAll(*store_, "acme", 1)), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_THAT(Sequences(ReadAll(*store_, "acme", 4)), ElementsAre(4, 5, 6));
  EXPECT_THAT(Sequences(ReadAll(*store_, "acme", 6)), ElementsAre(6));
  EXPECT_THAT(ReadAll(*store_, "acme", 7), IsEmpty());
  EXPECT_THAT(ReadAll(*store_, "acme", 1000), IsEmpty());
  EXPECT_THAT(ReadAll(*store_, "acme", UINT64_MAX), IsEmpty());
  EXPECT_THAT(Sequences(ReadAll(*store_, "acme", 0)), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST_P(EventStoreContractTest, ReadsALogLongerThanOneChunk) {
  // The SQLite store reads 512 rows at a time; the seams must not show.
  for (uint64_t first = 1; first <= 1500; first += 100) {
    ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", first, first + 99)).ok());
  }
  std::vector<Event> events = ReadAll(*store_, "acme", 7);
  ASSERT_EQ(events.size(), 1494u);
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].sequence(), i + 7);

  std::vector<uint64_t> seen;
  ASSERT_TRUE(store_
                  ->Read("acme", 510,
                         [&](const Event& e) {
                           seen.push_back(e.sequence());
                           return e.sequence() < 1030;
                         })
                  .ok());
  ASSERT_EQ(seen.size(), 521u);
  EXPECT_EQ(seen.front(), 510u);
  EXPECT_EQ(seen.back(), 1030u);
}

TEST_P(EventStoreContractTest, AnUnknownTenantHasNoEvents) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 2)).ok());
  int calls = 0;
  absl::Status s = store_->Read("globex", 1, [&](const Event&) {
    ++calls;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 0);
  absl::StatusOr<uint64_t> last = store_->LastSequence("globex");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 0u);
}

TEST_P(EventStoreContractTest, TheVisitorStopsTheReadByReturningFalse) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 10)).ok());
  std::vector<uint64_t> seen;
  absl::Status s = store_->Read("acme", 2, [&](const Event& e) {
    seen.push_back(e.sequence());
    return e.sequence() < 4;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(2, 3, 4));

  seen.clear();
  s = store_->Read("acme", 1, [&](const Event& e) {
    seen.push_back(e.sequence());
    return false;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(1));
}

TEST_P(EventStoreContractTest, TheVisitorMayCallBackIntoTheStore) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 2)).ok());
  std::vector<uint64_t> seen;
  absl::Status s = store_->Read("acme", 1, [&](const Event& e) {
    seen.push_back(e.sequence());
    EXPECT_TRUE(store_->Append("copy", {&e, 1}).ok());
    // Reads nested in a read as well.
    EXPECT_EQ(ReadAll(*store_, "acme").size(), 2u);
    EXPECT_TRUE(store_->LastSequence("copy").ok());
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(1, 2));
  EXPECT_THAT(Sequences(ReadAll(*store_, "copy")), ElementsAre(1, 2));
}

TEST_P(EventStoreContractTest, ListsTenantsWithEventsSorted) {
  for (const char* tenant : {"zeta", "acme", "mid-tenant", "beta_2", "beta"}) {
    ASSERT_TRUE(store_->Append(tenant, MakeEvents(tenant, 1, 2)).ok());
  }
  EXPECT_FALSE(store_->Append("ghost", MakeEvents("ghost", 2, 2)).ok());
  absl::StatusOr<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_THAT(*tenants, ElementsAre("acme", "beta", "beta_2", "mid-tenant", "zeta"));
}

TEST_P(EventStoreContractTest, TenantsHaveIndependentLogs) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(store_->Append("globex", MakeEvents("globex", 1, 2)).ok());
  EXPECT_EQ(store_->Append("globex", MakeEvents("globex", 4, 4)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Sequences(ReadAll(*store_, "acme")), ElementsAre(1, 2, 3));
  EXPECT_THAT(Sequences(ReadAll(*store_, "globex")), ElementsAre(1, 2));
  // A tenant whose name is a prefix of another's is another tenant.
  ASSERT_TRUE(store_->Append("acm", MakeEvents("acm", 1, 1)).ok());
  EXPECT_THAT(Sequences(ReadAll(*store_, "acm")), ElementsAre(1));
}

TEST_P(EventStoreContractTest, LastSequenceFollowsTheLog) {
  EXPECT_EQ(*store_->LastSequence("acme"), 0u);
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 3)).ok());
  EXPECT_EQ(*store_->LastSequence("acme"), 3u);
  EXPECT_FALSE(store_->Append("acme", MakeEvents("acme", 5, 5)).ok());
  EXPECT_EQ(*store_->LastSequence("acme"), 3u);
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 4, 9)).ok());
  EXPECT_EQ(*store_->LastSequence("acme"), 9u);
}

TEST_P(EventStoreContractTest, SnapshotsReplaceOlderOnes) {
  EXPECT_EQ(store_->LoadSnapshot("acme").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 10)).ok());
  ASSERT_TRUE(store_->SaveSnapshot("acme", 4, "state after 4").ok());
  ASSERT_TRUE(store_->SaveSnapshot("acme", 10, std::string("state\0after 10", 14)).ok());

  absl::StatusOr<EventStore::Snapshot> snapshot = store_->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->sequence, 10u);
  EXPECT_EQ(snapshot->state, std::string("state\0after 10", 14));
  // Snapshots are per tenant.
  EXPECT_EQ(store_->LoadSnapshot("globex").status().code(), absl::StatusCode::kNotFound);
  // An empty state and the state before the first event are valid.
  ASSERT_TRUE(store_->SaveSnapshot("acme", 0, "").ok());
  snapshot = store_->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->sequence, 0u);
  EXPECT_EQ(snapshot->state, "");
}

TEST_P(EventStoreContractTest, ASnapshotBeyondTheLastEventIsInvalid) {
  ASSERT_TRUE(store_->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(store_->SaveSnapshot("acme", 2, "two").ok());
  absl::Status s = store_->SaveSnapshot("acme", 4, "four");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = store_->SaveSnapshot("nobody", 1, "one");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  // The refused snapshot did not replace the kept one.
  EXPECT_EQ(store_->LoadSnapshot("acme")->state, "two");
  EXPECT_EQ(store_->LoadSnapshot("nobody").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(EventStoreContractTest, ConcurrentRacingAppendsToOneTenantNeverLeaveAGap) {
  constexpr int kThreads = 4;
  constexpr uint64_t kTotal = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        absl::StatusOr<uint64_t> last = store_->LastSequence("shared");
        EXPECT_TRUE(last.ok()) << last.status();
        if (!last.ok() || *last >= kTotal) return;
        // May lose the race to another thread; then it retries.
        (void)store_->Append("shared", MakeEvents("shared", *last + 1, *last + 2));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<Event> events = ReadAll(*store_, "shared");
  ASSERT_GE(events.size(), kTotal);
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].sequence(), i + 1);
}

TEST_P(EventStoreContractTest, ConcurrentAppendsToDifferentTenants) {
  constexpr int kThreads = 8;
  constexpr uint64_t kBatches = 100;
  constexpr uint64_t kBatchSize = 3;

  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string tenant = absl::StrCat("tenant-", t);
      uint64_t next = 1;
      for (uint64_t b = 0; b < kBatches; ++b) {
        if (!store_->Append(tenant, MakeEvents(tenant, next, next + kBatchSize - 1)).ok()) {
          ++failures[t];
        }
        next += kBatchSize;
        // Readers run alongside the writers, and see every acknowledged
        // append.
        std::vector<Event> so_far;
        absl::Status s = store_->Read(tenant, next - 1, [&](const Event& e) {
          so_far.push_back(e);
          return true;
        });
        if (!s.ok() || so_far.size() != 1 || so_far[0].sequence() != next - 1) ++failures[t];
        if (!store_->ListTenants().ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::string> expected_tenants;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    const std::string tenant = absl::StrCat("tenant-", t);
    expected_tenants.push_back(tenant);
    std::vector<Event> events = ReadAll(*store_, tenant);
    ASSERT_EQ(events.size(), kBatches * kBatchSize) << tenant;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].sequence(), i + 1) << tenant;
      ASSERT_EQ(events[i].tenant_id(), tenant);
      ASSERT_EQ(events[i].customer_created().display_name(), absl::StrCat(tenant, "#", i + 1));
    }
  }
  absl::StatusOr<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_EQ(*tenants, expected_tenants);  // "tenant-0" .. "tenant-7" sort as built.
}

}  // namespace
}  // namespace omniroute
