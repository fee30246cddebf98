// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A fixture for routing tests driven through the Engine: a ManualClock, a
// memory event store, every committed event recorded from on_commit, and
// small builders for agents, queues and messages.

#ifndef OMNIROUTE_TESTS_ROUTING_ROUTING_FIXTURE_H_
#define OMNIROUTE_TESTS_ROUTING_ROUTING_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/engine_test_helpers.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/routing.h"
#include "omniroute/tenant_options.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::testing_internal {

inline AgentConfig MakeAgent(std::string id, std::vector<Channel> channels, int capacity = 4,
                             std::vector<Skill> skills = {{"support", 5}}) {
  AgentConfig a;
  a.id = std::move(id);
  a.display_name = a.id;
  a.channels = std::move(channels);
  a.capacity = capacity;
  a.skills = std::move(skills);
  return a;
}

inline QueueConfig MakeQueue(std::string id, std::vector<Channel> channels,
                             std::vector<Skill> required = {{"support", 1}}) {
  QueueConfig q;
  q.id = std::move(id);
  q.display_name = q.id;
  q.channels = std::move(channels);
  q.required_skills = std::move(required);
  return q;
}

// What one unit of `channel` costs `agent` (AgentConfig::channel_costs, or
// the channel's default).
inline int CostOf(const AgentConfig& agent, Channel channel) {
  auto it = agent.channel_costs.find(channel);
  return it != agent.channel_costs.end() ? it->second : TraitsOf(channel).capacity_cost;
}

class RoutingFixture : public ::testing::Test {
 protected:
  static constexpr char kTenant[] = "brand";

  // Opens the engine on the fixture's store (recording every committed
  // event) and creates the tenant.
  void Start(const TenantOptions& options = {}) {
    store_ = NewMemoryEventStore();
    Reopen();
    ASSERT_TRUE(engine_->CreateTenant(kTenant, options).ok());
  }

  // A new engine on the same store, rebuilt from its events.
  void Reopen() {
    engine_.reset();
    EngineOptions options;
    options.clock = &clock_;
    options.store = store_.get();
    options.on_commit = [this](absl::string_view, absl::Span<const ::omniroute::v1::Event> e) {
      events_.insert(events_.end(), e.begin(), e.end());
    };
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  void Configure(const RoutingSettings& settings) {
    absl::Status s = engine_->ConfigureRouting(kTenant, settings);
    ASSERT_TRUE(s.ok()) << s;
  }
  void Queue(const QueueConfig& queue) {
    absl::Status s = engine_->UpsertQueue(kTenant, queue);
    ASSERT_TRUE(s.ok()) << s;
  }
  void AddAgent(const AgentConfig& agent,
                AgentPresence presence = ::omniroute::v1::AGENT_PRESENCE_AVAILABLE) {
    absl::Status s = engine_->UpsertAgent(kTenant, agent);
    ASSERT_TRUE(s.ok()) << s;
    if (presence != ::omniroute::v1::AGENT_PRESENCE_OFFLINE) SetPresence(agent.id, presence);
  }
  void SetPresence(absl::string_view agent, AgentPresence presence) {
    absl::Status s = engine_->SetAgentPresence(kTenant, agent, presence);
    ASSERT_TRUE(s.ok()) << agent << ": " << s;
  }

  IngestResult Ingest(const InboundMessage& message) {
    absl::StatusOr<IngestResult> r = engine_->IngestMessage(kTenant, message);
    EXPECT_TRUE(r.ok()) << message.external_id << ": " << r.status();
    return r.ok() ? *r : IngestResult{};
  }
  void Answer(ConversationId conversation, Channel channel, absl::string_view agent,
              absl::string_view external_id = "") {
    absl::StatusOr<MessageId> r = engine_->RecordOutbound(
        kTenant, Outbound(conversation, channel, external_id, agent, "answer"));
    EXPECT_TRUE(r.ok()) << r.status();
  }
  void Handoff(ConversationId conversation, Channel to, absl::string_view agent) {
    absl::Status s =
        engine_->Handoff(kTenant, conversation, to, "handoff", Actor::Agent(std::string(agent)));
    ASSERT_TRUE(s.ok()) << s;
  }

  void Accept(TaskId task, absl::string_view agent) {
    absl::Status s = engine_->AcceptOffer(kTenant, task, agent);
    ASSERT_TRUE(s.ok()) << task << " by " << agent << ": " << s;
  }
  void Decline(TaskId task, absl::string_view agent) {
    absl::Status s = engine_->DeclineOffer(kTenant, task, agent, "not now");
    ASSERT_TRUE(s.ok()) << task << " by " << agent << ": " << s;
  }
  void Complete(TaskId task, absl::string_view agent) {
    absl::Status s = engine_->CompleteTask(kTenant, task, agent);
    ASSERT_TRUE(s.ok()) << task << " by " << agent << ": " << s;
  }
  int RunTimers() {
    absl::StatusOr<int> fired = engine_->RunDueTimers(kTenant);
    EXPECT_TRUE(fired.ok()) << fired.status();
    return fired.ok() ? *fired : -1;
  }
  // Advances the clock and fires what is due.
  int AdvanceAndRun(absl::Duration d) {
    clock_.Advance(d);
    return RunTimers();
  }

  TaskView Task(TaskId id) {
    absl::StatusOr<TaskView> r = engine_->GetTask(kTenant, id);
    EXPECT_TRUE(r.ok()) << id << ": " << r.status();
    return r.ok() ? *r : TaskView{};
  }
  AgentView Agent(absl::string_view id) {
    absl::StatusOr<AgentView> r = engine_->GetAgent(kTenant, id);
    EXPECT_TRUE(r.ok()) << id << ": " << r.status();
    return r.ok() ? *r : AgentView{};
  }
  ConversationRouting Routing(ConversationId id) {
    absl::StatusOr<ConversationRouting> r = engine_->GetConversationRouting(kTenant, id);
    EXPECT_TRUE(r.ok()) << id << ": " << r.status();
    return r.ok() ? *r : ConversationRouting{};
  }
  ConversationView Conversation(ConversationId id) {
    absl::StatusOr<ConversationView> r = engine_->GetConversation(kTenant, id);
    EXPECT_TRUE(r.ok()) << id << ": " << r.status();
    return r.ok() ? *r : ConversationView{};
  }
  CommitmentView Commitment(CommitmentId id) {
    absl::StatusOr<CommitmentView> r = engine_->GetCommitment(kTenant, id);
    EXPECT_TRUE(r.ok()) << id << ": " << r.status();
    return r.ok() ? *r : CommitmentView{};
  }
  QueueStats Stats(absl::string_view queue) {
    absl::StatusOr<QueueStats> r = engine_->GetQueueStats(kTenant, queue);
    EXPECT_TRUE(r.ok()) << queue << ": " << r.status();
    return r.ok() ? *r : QueueStats{};
  }
  uint64_t Sequence() {
    absl::StatusOr<uint64_t> r = engine_->LastSequence(kTenant);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : 0;
  }
  std::string Dump() {
    absl::StatusOr<std::string> r = engine_->DumpState(kTenant);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }

  // The recorded events from index `from` on whose payload is `payload`.
  std::vector<::omniroute::v1::Event> EventsOf(::omniroute::v1::Event::PayloadCase payload,
                                               size_t from = 0) const {
    std::vector<::omniroute::v1::Event> out;
    for (size_t i = from; i < events_.size(); ++i) {
      if (events_[i].payload_case() == payload) out.push_back(events_[i]);
    }
    return out;
  }
  // Where the next recorded event will be.
  size_t Mark() const { return events_.size(); }

  // The TaskIds of a conversation, and the one on `channel` created last.
  TaskId LatestTaskOn(ConversationId conversation, Channel channel) {
    TaskId latest;
    for (TaskId id : Routing(conversation).tasks) {
      if (Task(id).channel == channel) latest = id;
    }
    return latest;
  }

  // Tasks offered to `agent` right now.
  std::vector<TaskId> OffersTo(absl::string_view agent) { return Agent(agent).offered_tasks; }

  // 2026-01-01 19:00 UTC, an evening.
  ManualClock clock_{absl::FromUnixSeconds(1767225600) + absl::Hours(19)};
  std::unique_ptr<EventStore> store_;
  std::vector<::omniroute::v1::Event> events_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_ROUTING_ROUTING_FIXTURE_H_
