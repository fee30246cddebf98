// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The audit trail's helpers (lib/tenant/caller_audit.h): exactly the events
// of merges, unmerges, erasures and configuration changes take a caller,
// RecordCaller sets it on those alone, and no fold reads it: a log with
// callers and the same log without rebuild the same state and the same
// snapshot.

#include "tenant/caller_audit.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/snapshot.pb.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"

namespace omniroute::tenant {
namespace {

using ::omniroute::v1::Event;
using ::testing::UnorderedElementsAre;

constexpr char kTenant[] = "acme";

Caller Ops() { return Caller{"ops-1", "integration", ::omniroute::v1::CALLER_CREDENTIAL_API_KEY}; }

// One event of each payload kind, the payload empty.
std::vector<Event> OneOfEachKind() {
  std::vector<Event> events;
  const google::protobuf::OneofDescriptor* payload =
      Event::descriptor()->FindOneofByName("payload");
  for (int i = 0; i < payload->field_count(); ++i) {
    Event& event = events.emplace_back();
    event.GetReflection()->MutableMessage(&event, payload->field(i));
  }
  return events;
}

std::string PayloadName(const Event& event) {
  return Event::descriptor()->FindFieldByNumber(event.payload_case())->name();
}

TEST(CallerAuditTest, TheAuditedEventsAreTheMergesUnmergesErasuresAndConfigurationChanges) {
  std::set<std::string> audited;
  for (const Event& event : OneOfEachKind()) {
    if (IsAudited(event)) audited.insert(PayloadName(event));
  }
  EXPECT_THAT(audited,
              UnorderedElementsAre("tenant_configured", "identity_linked", "customers_merged",
                                   "customer_unmerged", "customer_erased", "routing_configured",
                                   "queue_configured", "agent_configured"));
  EXPECT_FALSE(IsAudited(Event()));
}

TEST(CallerAuditTest, RecordCallerSetsItOnTheAuditedEventsAlone) {
  std::vector<Event> events = OneOfEachKind();
  RecordCaller(Ops(), absl::MakeSpan(events));
  for (const Event& event : events) {
    SCOPED_TRACE(PayloadName(event));
    const ::omniroute::v1::Caller* caller = CallerOf(event);
    if (!IsAudited(event)) {
      EXPECT_EQ(caller, nullptr);
      // Nothing else was touched: the payload is still empty.
      const google::protobuf::Message& payload = event.GetReflection()->GetMessage(
          event, Event::descriptor()->FindFieldByNumber(event.payload_case()));
      EXPECT_EQ(payload.ByteSizeLong(), 0u);
      continue;
    }
    ASSERT_NE(caller, nullptr);
    EXPECT_EQ(caller->principal(), "ops-1");
    EXPECT_EQ(caller->role(), "integration");
    EXPECT_EQ(caller->credential(), ::omniroute::v1::CALLER_CREDENTIAL_API_KEY);
  }
}

TEST(CallerAuditTest, ACallerNotRecordedLeavesTheEventsAsTheyWere) {
  std::vector<Event> events = OneOfEachKind();
  const std::vector<Event> before = events;
  RecordCaller(Caller(), absl::MakeSpan(events));
  ASSERT_EQ(events.size(), before.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].SerializeAsString(), before[i].SerializeAsString());
    EXPECT_EQ(CallerOf(events[i]), nullptr);
  }
}

TEST(CallerAuditTest, AnUnauthenticatedCallerIsRecordedAsSuch) {
  std::vector<Event> events(1);
  events[0].mutable_customers_merged()->set_survivor_id(1);
  RecordCaller(Caller::Unauthenticated(), absl::MakeSpan(events));
  ASSERT_TRUE(events[0].customers_merged().has_caller());
  EXPECT_EQ(events[0].customers_merged().caller().principal(), "");
  EXPECT_EQ(events[0].customers_merged().caller().role(), "");
  EXPECT_EQ(events[0].customers_merged().caller().credential(),
            ::omniroute::v1::CALLER_CREDENTIAL_NONE);
}

// A log of every audited command, each with a caller, through an engine.
std::vector<Event> AuditedLog() {
  ManualClock clock;
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  absl::StatusOr<std::unique_ptr<Engine>> opened =
      Engine::Open({.clock = &clock, .store = store.get()});
  EXPECT_TRUE(opened.ok()) << opened.status();
  Engine& engine = **opened;
  const Caller admin{"root", "admin", ::omniroute::v1::CALLER_CREDENTIAL_JWT};
  const Actor agent = Actor::Agent("agent-ana");
  EXPECT_TRUE(engine.CreateTenant(kTenant, TenantOptions{}, admin).ok());
  QueueConfig queue;
  queue.id = "support";
  queue.channels = {::omniroute::v1::CHANNEL_EMAIL};
  EXPECT_TRUE(engine.UpsertQueue(kTenant, queue, admin).ok());
  RoutingSettings routing;
  routing.default_queue = "support";
  EXPECT_TRUE(engine.ConfigureRouting(kTenant, routing, admin).ok());
  AgentConfig ana;
  ana.id = "agent-ana";
  ana.channels = {::omniroute::v1::CHANNEL_EMAIL};
  EXPECT_TRUE(engine.UpsertAgent(kTenant, ana, admin).ok());

  auto ingest = [&](absl::string_view address, absl::string_view id) {
    InboundMessage m;
    m.channel = ::omniroute::v1::CHANNEL_EMAIL;
    m.sender = {::omniroute::v1::IDENTITY_KIND_EMAIL, "", std::string(address)};
    m.external_id = std::string(id);
    m.body = "hello";
    absl::StatusOr<IngestResult> r = engine.IngestMessage(kTenant, m);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return CustomerId();
    // No work in progress, so that the customer can be erased.
    if (r->task.has_value()) EXPECT_TRUE(engine.AbandonTask(kTenant, *r->task).ok());
    return r->customer;
  };
  const CustomerId a = ingest("a@example.com", "m1");
  clock.Advance(absl::Minutes(1));
  const CustomerId b = ingest("b@example.com", "m2");
  EXPECT_TRUE(engine.MergeCustomers(kTenant, a, b, agent, Ops()).ok());
  EXPECT_TRUE(engine.UnmergeCustomer(kTenant, b, agent, Ops()).ok());
  EXPECT_TRUE(engine
                  .LinkIdentity(kTenant, a,
                                {::omniroute::v1::IDENTITY_KIND_PHONE, "", "+33612345678"}, agent,
                                LinkMode::kExplicit, Ops())
                  .ok());
  EXPECT_TRUE(engine.EraseCustomer(kTenant, b, agent, admin).ok());

  std::vector<Event> log;
  EXPECT_TRUE(store
                  ->Read(kTenant, 1,
                         [&](const Event& e) {
                           log.push_back(e);
                           return true;
                         })
                  .ok());
  return log;
}

// The state and snapshot that `log` folds into.
struct Folded {
  std::string dump;
  std::string snapshot;
};
Folded Fold(const std::vector<Event>& log) {
  TenantState state(kTenant);
  for (const Event& event : log) {
    absl::Status applied = state.Apply(event);
    EXPECT_TRUE(applied.ok()) << applied << " at " << event.ShortDebugString();
  }
  ::omniroute::v1::TenantSnapshot snapshot;
  state.ToSnapshot(&snapshot);
  return {DumpState(state), snapshot.SerializeAsString()};
}

TEST(CallerAuditTest, EachAuditedCommandRecordsItsCallerOnItsOwnEvents) {
  std::vector<std::string> trail;
  for (const Event& event : AuditedLog()) {
    const ::omniroute::v1::Caller* caller = CallerOf(event);
    if (IsAudited(event) || caller != nullptr) {
      trail.push_back(
          absl::StrCat(PayloadName(event), " ", caller == nullptr ? "-" : caller->principal()));
    }
  }
  EXPECT_THAT(trail, ::testing::ElementsAre("tenant_configured root", "queue_configured root",
                                            "routing_configured root", "agent_configured root",
                                            // The links IngestMessage makes for new customers.
                                            "identity_linked -", "identity_linked -",
                                            "customers_merged ops-1", "customer_unmerged ops-1",
                                            "identity_linked ops-1", "customer_erased root"));
}

TEST(CallerAuditTest, TheFoldIgnoresTheCaller) {
  const std::vector<Event> audited = AuditedLog();
  std::vector<Event> stripped = audited;
  int with_caller = 0;
  for (Event& event : stripped) {
    if (CallerOf(event) == nullptr) continue;
    ++with_caller;
    google::protobuf::Message* payload = event.GetReflection()->MutableMessage(
        &event, Event::descriptor()->FindFieldByNumber(event.payload_case()));
    payload->GetReflection()->ClearField(payload,
                                         payload->GetDescriptor()->FindFieldByName("caller"));
  }
  // Create, queue, routing, agent, merge, unmerge, link, erase.
  EXPECT_EQ(with_caller, 8);
  const Folded a = Fold(audited);
  const Folded b = Fold(stripped);
  EXPECT_EQ(a.dump, b.dump);
  EXPECT_EQ(a.snapshot, b.snapshot);
  EXPECT_EQ(a.dump.find("ops-1"), std::string::npos);
}

}  // namespace
}  // namespace omniroute::tenant
