// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Engine::GetRoutingOverview (what the metrics page and a wallboard read):
// every queue's figures agree with GetQueueStats, the agents are counted by
// presence and by what they hold, and the offers pending are the tasks
// offered. Also the engine's hooks for metrics: each write to the store and
// each snapshot is reported once, with what it held.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::testing_internal::Call;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::RoutingFixture;

constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kVoice = v1::CHANNEL_VOICE;

int PresenceCount(const RoutingOverview& overview, AgentPresence presence) {
  for (const auto& [p, count] : overview.agents_by_presence) {
    if (p == presence) return count;
  }
  ADD_FAILURE() << "presence " << presence << " missing";
  return -1;
}

class RoutingOverviewTest : public RoutingFixture {
 protected:
  void SetUp() override {
    Start();
    Queue(MakeQueue("email", {kEmail}));
    Queue(MakeQueue("phone", {kVoice}));
    RoutingSettings settings;
    settings.default_queue = "email";
    RoutingRule voice;
    voice.name = "voice";
    voice.channels = {kVoice};
    voice.queue = "phone";
    settings.rules.push_back(voice);
    Configure(settings);
  }

  RoutingOverview Overview() {
    absl::StatusOr<RoutingOverview> r = engine_->GetRoutingOverview(kTenant);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RoutingOverview{};
  }

  // The overview's queues are those of GetQueueStats, in configuration order.
  void ExpectQueuesAgreeWithStats(const RoutingOverview& overview) {
    ASSERT_EQ(overview.queues.size(), 2u);
    EXPECT_EQ(overview.queues[0].queue, "email");
    EXPECT_EQ(overview.queues[1].queue, "phone");
    for (const QueueStats& q : overview.queues) {
      const QueueStats stats = Stats(q.queue);
      EXPECT_EQ(q.waiting, stats.waiting) << q.queue;
      EXPECT_EQ(q.offered, stats.offered) << q.queue;
      EXPECT_EQ(q.assigned, stats.assigned) << q.queue;
      EXPECT_EQ(q.entered, stats.entered) << q.queue;
      EXPECT_EQ(q.assigned_total, stats.assigned_total) << q.queue;
      EXPECT_EQ(q.cancelled_total, stats.cancelled_total) << q.queue;
      EXPECT_EQ(q.assigned_within_target, stats.assigned_within_target) << q.queue;
      EXPECT_EQ(q.oldest_waiting_since, stats.oldest_waiting_since) << q.queue;
    }
  }
};

TEST_F(RoutingOverviewTest, CountsTasksPerQueueAndAgentsByState) {
  RoutingOverview overview = Overview();
  ExpectQueuesAgreeWithStats(overview);
  EXPECT_EQ(overview.queues[0].waiting, 0);
  ASSERT_EQ(overview.agents_by_presence.size(), 4u);
  EXPECT_EQ(PresenceCount(overview, v1::AGENT_PRESENCE_OFFLINE), 0);
  EXPECT_EQ(overview.offers_pending, 0);

  // Three emails and a call, nobody to take them: all wait, the first
  // email since `first`.
  const absl::Time first = clock_.Now();
  const IngestResult a = Ingest(EmailMessage("a@example.com", "<a>"));
  clock_.Advance(absl::Minutes(1));
  Ingest(EmailMessage("b@example.com", "<b>"));
  Ingest(EmailMessage("c@example.com", "<c>"));
  Ingest(Call("+15550100", "call-1"));
  overview = Overview();
  ExpectQueuesAgreeWithStats(overview);
  EXPECT_EQ(overview.queues[0].waiting, 3);
  EXPECT_EQ(overview.queues[0].oldest_waiting_since, first);
  EXPECT_EQ(overview.queues[1].waiting, 1);

  // Ann (email, capacity 1, a minute of wrap-up) comes in and is offered
  // the oldest email; Bob stays away; Carl is offline.
  AgentConfig ann = MakeAgent("ann", {kEmail}, /*capacity=*/1);
  ann.wrap_up = absl::Minutes(1);
  AddAgent(ann);
  AddAgent(MakeAgent("bob", {kEmail}), v1::AGENT_PRESENCE_AWAY);
  AddAgent(MakeAgent("carl", {kVoice}), v1::AGENT_PRESENCE_OFFLINE);
  overview = Overview();
  ExpectQueuesAgreeWithStats(overview);
  EXPECT_EQ(overview.queues[0].waiting, 2);
  EXPECT_EQ(overview.queues[0].offered, 1);
  EXPECT_EQ(overview.offers_pending, 1);
  EXPECT_EQ(PresenceCount(overview, v1::AGENT_PRESENCE_AVAILABLE), 1);
  EXPECT_EQ(PresenceCount(overview, v1::AGENT_PRESENCE_AWAY), 1);
  EXPECT_EQ(PresenceCount(overview, v1::AGENT_PRESENCE_OFFLINE), 1);
  EXPECT_EQ(PresenceCount(overview, v1::AGENT_PRESENCE_BUSY), 0);
  EXPECT_EQ(overview.agents_with_assigned_work, 0);

  // She accepts: assigned, nothing pending.
  ASSERT_TRUE(a.task.has_value());
  Accept(*a.task, "ann");
  overview = Overview();
  ExpectQueuesAgreeWithStats(overview);
  EXPECT_EQ(overview.queues[0].assigned, 1);
  EXPECT_EQ(overview.offers_pending, 0);
  EXPECT_EQ(overview.agents_with_assigned_work, 1);
  EXPECT_EQ(overview.agents_wrapping_up, 0);

  // She completes it: a minute of wrap-up holds her capacity.
  Complete(*a.task, "ann");
  overview = Overview();
  ExpectQueuesAgreeWithStats(overview);
  EXPECT_EQ(overview.queues[0].assigned, 0);
  EXPECT_EQ(overview.queues[0].assigned_total, 1);
  EXPECT_EQ(overview.agents_with_assigned_work, 0);
  EXPECT_EQ(overview.agents_wrapping_up, 1);
}

TEST_F(RoutingOverviewTest, AnUnknownTenantIsNotFound) {
  absl::StatusOr<RoutingOverview> r = engine_->GetRoutingOverview("nobody");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
}

// The hooks the server's metrics hang on: every event reaches the store
// through exactly one reported write, and a snapshot is reported with its
// size.
TEST(EngineMetricsHooksTest, EveryWriteAndSnapshotIsReportedOnce) {
  ManualClock clock;
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  size_t writes = 0;
  size_t events_written = 0;
  std::vector<size_t> snapshot_bytes;
  EngineOptions options;
  options.clock = &clock;
  options.store = store.get();
  options.on_store_write = [&](size_t events, absl::Duration took, const absl::Status& stored) {
    EXPECT_TRUE(stored.ok()) << stored;
    EXPECT_GE(took, absl::ZeroDuration());
    ++writes;
    events_written += events;
  };
  options.on_snapshot = [&](size_t bytes, absl::Duration took, const absl::Status& result) {
    EXPECT_TRUE(result.ok()) << result;
    snapshot_bytes.push_back(bytes);
  };
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("t", {}).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*engine)
                    ->IngestMessage("t", EmailMessage(absl::StrCat("c", i, "@example.com"),
                                                      absl::StrCat("<m", i, ">")))
                    .ok());
  }
  absl::StatusOr<uint64_t> last = (*engine)->LastSequence("t");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(events_written, *last);
  EXPECT_GE(writes, 2u);
  EXPECT_LE(writes, events_written);
  ASSERT_TRUE((*engine)->TakeSnapshot("t").ok());
  ASSERT_EQ(snapshot_bytes.size(), 1u);
  EXPECT_GT(snapshot_bytes[0], 0u);
}

}  // namespace
}  // namespace omniroute
