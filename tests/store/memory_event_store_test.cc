// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The in-memory event store: contiguous appends, all-or-nothing rejection of
// gaps and overlaps, reads from a sequence, early stop, tenant listing and
// concurrent appends to different tenants.

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An event with `sequence` whose payload records which one it is (the
// customer id is the sequence), so reads can be checked by content.
Event MakeEvent(absl::string_view tenant, uint64_t sequence) {
  Event event;
  event.set_sequence(sequence);
  event.set_tenant_id(std::string(tenant));
  event.mutable_time()->set_seconds(static_cast<int64_t>(1767225600 + sequence));
  event.mutable_customer_created()->set_customer_id(sequence);
  event.mutable_customer_created()->set_display_name(absl::StrCat(tenant, "#", sequence));
  return event;
}

std::vector<Event> MakeEvents(absl::string_view tenant, uint64_t first, uint64_t last) {
  std::vector<Event> events;
  for (uint64_t s = first; s <= last; ++s) events.push_back(MakeEvent(tenant, s));
  return events;
}

// Every event of `tenant` from `from`, in the order the store gives them.
std::vector<Event> ReadAll(const EventStore& store, absl::string_view tenant, uint64_t from = 1) {
  std::vector<Event> out;
  absl::Status s = store.Read(tenant, from, [&](const Event& e) {
    out.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::vector<uint64_t> Sequences(const std::vector<Event>& events) {
  std::vector<uint64_t> out;
  for (const Event& e : events) out.push_back(e.sequence());
  return out;
}

TEST(MemoryEventStoreTest, AppendsContiguousBatchesAndReadsThemBackInOrder) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 4, 4)).ok());
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 5, 7)).ok());

  std::vector<Event> events = ReadAll(*store, "acme");
  EXPECT_THAT(Sequences(events), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  for (const Event& e : events) {
    // Stored whole: the payload and metadata read back as appended.
    EXPECT_EQ(e.SerializeAsString(), MakeEvent("acme", e.sequence()).SerializeAsString());
  }
}

TEST(MemoryEventStoreTest, AnEmptyAppendIsAcceptedAndStoresNothing) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  EXPECT_TRUE(store->Append("acme", {}).ok());
  EXPECT_THAT(ReadAll(*store, "acme"), IsEmpty());
  absl::StatusOr<std::vector<std::string>> tenants = store->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_THAT(*tenants, IsEmpty());
}

TEST(MemoryEventStoreTest, TheFirstEventOfATenantMustHaveSequenceOne) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  absl::Status s = store->Append("acme", MakeEvents("acme", 2, 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  s = store->Append("acme", MakeEvents("acme", 0, 0));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(ReadAll(*store, "acme"), IsEmpty());
  EXPECT_THAT(*store->ListTenants(), IsEmpty());
}

TEST(MemoryEventStoreTest, RejectsAGapAndAppendsNothing) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());

  // A batch that starts past the end.
  absl::Status s = store->Append("acme", MakeEvents("acme", 5, 6));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // A batch that starts right but has a hole in the middle: the valid first
  // event must not be kept either.
  std::vector<Event> holed = {MakeEvent("acme", 4), MakeEvent("acme", 5), MakeEvent("acme", 7)};
  s = store->Append("acme", holed);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;

  EXPECT_THAT(Sequences(ReadAll(*store, "acme")), ElementsAre(1, 2, 3));
  // The log still continues where it was.
  EXPECT_TRUE(store->Append("acme", MakeEvents("acme", 4, 5)).ok());
  EXPECT_THAT(Sequences(ReadAll(*store, "acme")), ElementsAre(1, 2, 3, 4, 5));
}

TEST(MemoryEventStoreTest, RejectsAnOverlapAndAppendsNothing) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());

  // Re-appending the last event, or a batch overlapping the end.
  absl::Status s = store->Append("acme", MakeEvents("acme", 3, 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  s = store->Append("acme", MakeEvents("acme", 2, 5));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // A batch whose events repeat a sequence inside it.
  std::vector<Event> repeated = {MakeEvent("acme", 4), MakeEvent("acme", 4)};
  s = store->Append("acme", repeated);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // Out of order inside the batch.
  std::vector<Event> swapped = {MakeEvent("acme", 5), MakeEvent("acme", 4)};
  s = store->Append("acme", swapped);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;

  std::vector<Event> events = ReadAll(*store, "acme");
  EXPECT_THAT(Sequences(events), ElementsAre(1, 2, 3));
  // The stored events were not replaced by the rejected ones.
  EXPECT_EQ(events[2].customer_created().display_name(), "acme#3");
}

TEST(MemoryEventStoreTest, ReadsFromAGivenSequence) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 6)).ok());

  EXPECT_THAT(Sequences(ReadAll(*store, "acme", 1)), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_THAT(Sequences(ReadAll(*store, "acme", 4)), ElementsAre(4, 5, 6));
  EXPECT_THAT(Sequences(ReadAll(*store, "acme", 6)), ElementsAre(6));
  // Past the end: nothing, and no error.
  EXPECT_THAT(ReadAll(*store, "acme", 7), IsEmpty());
  EXPECT_THAT(ReadAll(*store, "acme", 1000), IsEmpty());
  // Sequence 0 is before the first event: the whole log.
  EXPECT_THAT(Sequences(ReadAll(*store, "acme", 0)), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(MemoryEventStoreTest, AnUnknownTenantHasNoEvents) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 2)).ok());
  int calls = 0;
  absl::Status s = store->Read("globex", 1, [&](const Event&) {
    ++calls;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 0);
}

TEST(MemoryEventStoreTest, TheVisitorStopsTheReadByReturningFalse) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 10)).ok());

  std::vector<uint64_t> seen;
  absl::Status s = store->Read("acme", 2, [&](const Event& e) {
    seen.push_back(e.sequence());
    return e.sequence() < 4;  // Stop after having seen 4.
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(2, 3, 4));

  seen.clear();
  s = store->Read("acme", 1, [&](const Event& e) {
    seen.push_back(e.sequence());
    return false;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(1));
}

TEST(MemoryEventStoreTest, TheVisitorMayCallBackIntoTheStore) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 2)).ok());
  // Appending to another tenant from inside a read must not deadlock.
  std::vector<uint64_t> seen;
  absl::Status s = store->Read("acme", 1, [&](const Event& e) {
    seen.push_back(e.sequence());
    EXPECT_TRUE(store->Append("copy", {&e, 1}).ok());
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(1, 2));
  EXPECT_THAT(Sequences(ReadAll(*store, "copy")), ElementsAre(1, 2));
}

TEST(MemoryEventStoreTest, ListsTenantsWithEventsSorted) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  for (const char* tenant : {"zeta", "acme", "mid-tenant", "beta_2", "beta"}) {
    ASSERT_TRUE(store->Append(tenant, MakeEvents(tenant, 1, 1)).ok());
  }
  // A tenant whose only append was rejected has no events and is not listed.
  EXPECT_FALSE(store->Append("ghost", MakeEvents("ghost", 2, 2)).ok());

  absl::StatusOr<std::vector<std::string>> tenants = store->ListTenants();
  ASSERT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_THAT(*tenants, ElementsAre("acme", "beta", "beta_2", "mid-tenant", "zeta"));
}

TEST(MemoryEventStoreTest, TenantsHaveIndependentLogs) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());
  // Each tenant's log starts at 1, whatever the others hold.
  ASSERT_TRUE(store->Append("globex", MakeEvents("globex", 1, 2)).ok());
  EXPECT_EQ(store->Append("globex", MakeEvents("globex", 4, 4)).code(),
            absl::StatusCode::kFailedPrecondition);

  std::vector<Event> acme = ReadAll(*store, "acme");
  std::vector<Event> globex = ReadAll(*store, "globex");
  EXPECT_THAT(Sequences(acme), ElementsAre(1, 2, 3));
  EXPECT_THAT(Sequences(globex), ElementsAre(1, 2));
  for (const Event& e : acme) EXPECT_EQ(e.tenant_id(), "acme");
  for (const Event& e : globex) EXPECT_EQ(e.tenant_id(), "globex");
}

TEST(MemoryEventStoreTest, ConcurrentAppendsToDifferentTenants) {
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  constexpr int kThreads = 8;
  constexpr uint64_t kBatches = 200;
  constexpr uint64_t kBatchSize = 3;

  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string tenant = absl::StrCat("tenant-", t);
      uint64_t next = 1;
      for (uint64_t b = 0; b < kBatches; ++b) {
        if (!store->Append(tenant, MakeEvents(tenant, next, next + kBatchSize - 1)).ok()) {
          ++failures[t];
        }
        next += kBatchSize;
        // Readers run alongside the writers.
        std::vector<Event> so_far;
        absl::Status s = store->Read(tenant, next - 1, [&](const Event& e) {
          so_far.push_back(e);
          return true;
        });
        if (!s.ok() || so_far.size() != 1 || so_far[0].sequence() != next - 1) ++failures[t];
        if (!store->ListTenants().ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::string> expected_tenants;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    const std::string tenant = absl::StrCat("tenant-", t);
    expected_tenants.push_back(tenant);
    std::vector<Event> events = ReadAll(*store, tenant);
    ASSERT_EQ(events.size(), kBatches * kBatchSize) << tenant;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].sequence(), i + 1) << tenant;
      ASSERT_EQ(events[i].tenant_id(), tenant);
      ASSERT_EQ(events[i].customer_created().display_name(), absl::StrCat(tenant, "#", i + 1));
    }
  }
  absl::StatusOr<std::vector<std::string>> tenants = store->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(*tenants, expected_tenants);  // "tenant-0" .. "tenant-7" sort as built.
}

TEST(MemoryEventStoreTest, ConcurrentRacingAppendsToOneTenantNeverLeaveAGap) {
  // The engine serializes one tenant's appends, but the store must still keep
  // its log contiguous when callers race: every attempt either continues the
  // log exactly or is rejected whole.
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  constexpr int kThreads = 4;
  constexpr uint64_t kTotal = 400;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        uint64_t last = 0;
        EXPECT_TRUE(store->Read("shared", 1, [&](const Event& e) {
                      last = e.sequence();
                      return true;
                    }).ok());
        if (last >= kTotal) return;
        // May lose the race to another thread; then it retries.
        (void)store->Append("shared", MakeEvents("shared", last + 1, last + 2));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<Event> events = ReadAll(*store, "shared");
  ASSERT_GE(events.size(), kTotal);
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].sequence(), i + 1);
}

}  // namespace
}  // namespace omniroute
