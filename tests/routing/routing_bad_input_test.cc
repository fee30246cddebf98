// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Every routing entry point of the Engine against bad input: each case
// issues one call on a populated tenant and expects a status code and a
// message that names the field. For every case the tenant's state
// (DumpState) and its last sequence number must be exactly what they were
// before the call: nothing is half-applied.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/routing.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::testing::HasSubstr;

namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "acme";
constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kVoice = v1::CHANNEL_VOICE;

// A populated tenant, and the ids of what it holds.
struct World {
  ManualClock clock;
  std::unique_ptr<Engine> engine;

  ConversationId conversation;  // open, ann works on `assigned` there
  ConversationId closed;        // CLOSED
  TaskId assigned;              // ASSIGNED to ann
  TaskId completed;             // COMPLETED by ann
  TaskId expired;               // its offer to ann expired; WAITING
  TaskId declined;              // declined by ann; WAITING
  TaskId offered;               // OFFERED to ann
  CommitmentId pending;         // PENDING, due in an hour
  CommitmentId fulfilled;       // closed as FULFILLED
};

// Builds the world; returns false (after recording failures) if it cannot.
bool Build(World& w) {
  auto check = [](const absl::Status& s) {
    EXPECT_TRUE(s.ok()) << s;
    return s.ok();
  };
  auto engine = Engine::Open({.clock = &w.clock});
  if (!check(engine.status())) return false;
  w.engine = *std::move(engine);
  Engine& e = *w.engine;
  if (!check(e.CreateTenant(kTenant, {}))) return false;
  // Overflows b ← a ← c: a overflows to b, c overflows to a.
  for (const QueueConfig& q : [] {
         std::vector<QueueConfig> queues = {MakeQueue("care", {kEmail}),
                                            MakeQueue("calls", {kVoice}), MakeQueue("b", {kEmail})};
         QueueConfig a = MakeQueue("a", {kEmail});
         a.expansion_steps = {{.after = absl::Minutes(5), .overflow_queue = "b"}};
         QueueConfig c = MakeQueue("c", {kEmail});
         c.expansion_steps = {{.after = absl::Minutes(5), .overflow_queue = "a"}};
         queues.push_back(a);
         queues.push_back(c);
         return queues;
       }()) {
    if (!check(e.UpsertQueue(kTenant, q))) return false;
  }
  RoutingSettings settings;
  settings.rules = {{.name = "calls", .channels = {kVoice}, .queue = "calls"}};
  settings.default_queue = "care";
  if (!check(e.ConfigureRouting(kTenant, settings))) return false;
  if (!check(e.UpsertAgent(kTenant, MakeAgent("ann", {kEmail}, 4)))) return false;
  if (!check(e.UpsertAgent(kTenant, MakeAgent("bob", {kEmail}, 4)))) return false;
  if (!check(e.SetAgentPresence(kTenant, "ann", v1::AGENT_PRESENCE_AVAILABLE))) return false;
  if (!check(e.SetAgentPresence(kTenant, "bob", v1::AGENT_PRESENCE_BUSY))) return false;

  int n = 0;
  auto email = [&]() -> absl::StatusOr<IngestResult> {
    ++n;
    return e.IngestMessage(kTenant, EmailMessage(absl::StrCat("c", n, "@example.com"),
                                                 absl::StrCat("<m", n, "@example.com>")));
  };
  auto r = email();
  if (!check(r.status()) || !r->task.has_value()) return false;
  w.conversation = r->conversation;
  w.assigned = *r->task;
  if (!check(e.AcceptOffer(kTenant, w.assigned, "ann"))) return false;

  r = email();
  if (!check(r.status()) || !r->task.has_value()) return false;
  w.completed = *r->task;
  if (!check(e.AcceptOffer(kTenant, w.completed, "ann"))) return false;
  if (!check(e.CompleteTask(kTenant, w.completed, "ann"))) return false;
  if (!check(e.SetConversationStatus(kTenant, r->conversation, v1::CONVERSATION_STATUS_CLOSED,
                                     Actor::Agent("ann")))) {
    return false;
  }
  w.closed = r->conversation;

  r = email();
  if (!check(r.status()) || !r->task.has_value()) return false;
  w.expired = *r->task;
  w.clock.Advance(RoutingSettings{}.default_offer_timeout);
  if (!check(e.RunDueTimers(kTenant).status())) return false;

  r = email();
  if (!check(r.status()) || !r->task.has_value()) return false;
  w.declined = *r->task;
  if (!check(e.DeclineOffer(kTenant, w.declined, "ann", "no"))) return false;

  r = email();
  if (!check(r.status()) || !r->task.has_value()) return false;
  w.offered = *r->task;

  CommitmentRequest promise;
  promise.conversation = w.conversation;
  promise.kind = v1::COMMITMENT_KIND_FOLLOW_UP;
  promise.due_at = w.clock.Now() + absl::Hours(1);
  promise.actor = Actor::Agent("ann");
  auto c = e.RecordCommitment(kTenant, promise);
  if (!check(c.status())) return false;
  w.pending = *c;
  c = e.RecordCommitment(kTenant, promise);
  if (!check(c.status())) return false;
  w.fulfilled = *c;
  if (!check(e.CloseCommitment(kTenant, w.fulfilled, v1::COMMITMENT_STATUS_FULFILLED,
                               Actor::Agent("ann"), "done"))) {
    return false;
  }

  // The world is what the cases expect.
  auto status = [&](TaskId t) { return e.GetTask(kTenant, t).value().status; };
  EXPECT_EQ(status(w.assigned), v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(status(w.completed), v1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(status(w.expired), v1::TASK_STATUS_WAITING);
  EXPECT_EQ(status(w.declined), v1::TASK_STATUS_WAITING);
  EXPECT_EQ(status(w.offered), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(e.GetTask(kTenant, w.offered)->offer->agent, "ann");
  return !::testing::Test::HasFailure();
}

struct Case {
  std::string name;
  std::function<absl::Status(World&)> call;
  absl::StatusCode code;
  // The field the message must name.
  std::string field;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

AgentConfig ValidAgent() { return MakeAgent("zed", {kEmail}, 4, {{"support", 3}}); }
QueueConfig ValidQueue() { return MakeQueue("new-queue", {kEmail}, {{"support", 2}}); }

std::function<absl::Status(World&)> Agent(std::function<void(AgentConfig&)> change) {
  return [change](World& w) {
    AgentConfig a = ValidAgent();
    change(a);
    return w.engine->UpsertAgent(kTenant, a);
  };
}
std::function<absl::Status(World&)> Queue(std::function<void(QueueConfig&)> change) {
  return [change](World& w) {
    QueueConfig q = ValidQueue();
    change(q);
    return w.engine->UpsertQueue(kTenant, q);
  };
}
std::function<absl::Status(World&)> Settings(std::function<void(RoutingSettings&)> change) {
  return [change](World& w) {
    RoutingSettings s;
    s.default_queue = "care";
    change(s);
    return w.engine->ConfigureRouting(kTenant, s);
  };
}
std::function<absl::Status(World&)> Promise(
    std::function<void(CommitmentRequest&, World&)> change) {
  return [change](World& w) {
    CommitmentRequest r;
    r.conversation = w.conversation;
    r.kind = v1::COMMITMENT_KIND_CALLBACK;
    r.description = "call back";
    r.due_at = w.clock.Now() + absl::Hours(2);
    r.actor = Actor::Agent("ann");
    change(r, w);
    return w.engine->RecordCommitment(kTenant, r).status();
  };
}
std::function<absl::Status(World&)> Transfer(std::function<TaskId(World&)> task,
                                             TransferTarget target) {
  return [task, target](World& w) {
    return w.engine->TransferTask(kTenant, task(w), target, Actor::Agent("ann")).status();
  };
}

const TaskId kNoTask(999);
const CommitmentId kNoCommitment(999);
const ConversationId kNoConversation(999);

std::vector<Case> Cases() {
  using Code = absl::StatusCode;
  const Channel kUnknownChannel = static_cast<Channel>(99);
  std::vector<Case> cases = {
      // -------------------------------------------------------- UpsertAgent
      {"AgentEmptyId", Agent([](AgentConfig& a) { a.id = ""; }), Code::kInvalidArgument, "id"},
      {"AgentId65Chars",
       Agent([](AgentConfig& a) { a.id = std::string(kMaxRoutingNameBytes + 1, 'a'); }),
       Code::kInvalidArgument, "id"},
      {"AgentIdWithSpaceAndBang", Agent([](AgentConfig& a) { a.id = "ann smith!"; }),
       Code::kInvalidArgument, "id"},
      {"AgentIdWithSlash", Agent([](AgentConfig& a) { a.id = "team/ann"; }),
       Code::kInvalidArgument, "id"},
      {"AgentNegativeCapacity", Agent([](AgentConfig& a) { a.capacity = -1; }),
       Code::kInvalidArgument, "capacity"},
      {"AgentCapacityOverMax", Agent([](AgentConfig& a) { a.capacity = kMaxAgentCapacity + 1; }),
       Code::kInvalidArgument, "capacity"},
      {"AgentSkillLevel0", Agent([](AgentConfig& a) { a.skills = {{"support", 0}}; }),
       Code::kInvalidArgument, "level"},
      {"AgentSkillLevel11", Agent([](AgentConfig& a) { a.skills = {{"support", 11}}; }),
       Code::kInvalidArgument, "level"},
      {"AgentDuplicateSkills",
       Agent([](AgentConfig& a) { a.skills = {{"support", 3}, {"billing", 2}, {"support", 4}}; }),
       Code::kInvalidArgument, "skills"},
      {"AgentSkillWithoutName", Agent([](AgentConfig& a) { a.skills = {{"", 3}}; }),
       Code::kInvalidArgument, "skills"},
      {"AgentNoChannels", Agent([](AgentConfig& a) { a.channels.clear(); }),
       Code::kInvalidArgument, "channels"},
      {"AgentChannelUnspecified",
       Agent([](AgentConfig& a) { a.channels = {kEmail, v1::CHANNEL_UNSPECIFIED}; }),
       Code::kInvalidArgument, "channels"},
      {"AgentUnknownChannel",
       Agent([kUnknownChannel](AgentConfig& a) { a.channels = {kUnknownChannel}; }),
       Code::kInvalidArgument, "channels"},
      {"AgentChannelCostZero", Agent([](AgentConfig& a) { a.channel_costs[kEmail] = 0; }),
       Code::kInvalidArgument, "channel_costs"},
      {"AgentNegativeWrapUp", Agent([](AgentConfig& a) { a.wrap_up = absl::Seconds(-1); }),
       Code::kInvalidArgument, "wrap_up"},
      {"AgentWrapUpOverAnHour",
       Agent([](AgentConfig& a) { a.wrap_up = absl::Hours(1) + absl::Seconds(1); }),
       Code::kInvalidArgument, "wrap_up"},
      {"AgentUnknownTenant",
       [](World& w) { return w.engine->UpsertAgent("nobody", ValidAgent()); }, Code::kNotFound,
       "tenant_id"},

      // -------------------------------------------------------- UpsertQueue
      {"QueueEmptyId", Queue([](QueueConfig& q) { q.id = ""; }), Code::kInvalidArgument, "id"},
      {"QueueId65Chars",
       Queue([](QueueConfig& q) { q.id = std::string(kMaxRoutingNameBytes + 1, 'q'); }),
       Code::kInvalidArgument, "id"},
      {"QueueIdWithAt", Queue([](QueueConfig& q) { q.id = "care@home"; }),
       Code::kInvalidArgument, "id"},
      {"QueueNoChannels", Queue([](QueueConfig& q) { q.channels.clear(); }),
       Code::kInvalidArgument, "channels"},
      {"QueueChannelUnspecified",
       Queue([](QueueConfig& q) { q.channels = {v1::CHANNEL_UNSPECIFIED}; }),
       Code::kInvalidArgument, "channels"},
      {"QueueSkillLevel0", Queue([](QueueConfig& q) { q.required_skills = {{"support", 0}}; }),
       Code::kInvalidArgument, "level"},
      {"QueueSkillLevel11", Queue([](QueueConfig& q) { q.required_skills = {{"support", 11}}; }),
       Code::kInvalidArgument, "level"},
      {"QueueDuplicateSkills",
       Queue([](QueueConfig& q) { q.required_skills = {{"support", 2}, {"support", 5}}; }),
       Code::kInvalidArgument, "required_skills"},
      {"QueueBasePriorityOver1000", Queue([](QueueConfig& q) { q.base_priority = 1001; }),
       Code::kInvalidArgument, "base_priority"},
      {"QueueBasePriorityUnderMinus1000", Queue([](QueueConfig& q) { q.base_priority = -1001; }),
       Code::kInvalidArgument, "base_priority"},
      {"QueueNegativeFirstResponseTarget",
       Queue([](QueueConfig& q) { q.first_response_target = absl::Minutes(-1); }),
       Code::kInvalidArgument, "first_response_target"},
      {"QueueNegativeOfferTimeout",
       Queue([](QueueConfig& q) { q.offer_timeout = absl::Seconds(-5); }),
       Code::kInvalidArgument, "offer_timeout"},
      {"QueueUnknownStrategy",
       Queue([](QueueConfig& q) { q.strategy = static_cast<SelectionStrategy>(99); }),
       Code::kInvalidArgument, "strategy"},
      {"QueueOverflowToUnknownQueue",
       Queue([](QueueConfig& q) {
         q.expansion_steps = {{.after = absl::Minutes(1), .overflow_queue = "nowhere"}};
       }),
       Code::kInvalidArgument, "overflow_queue"},
      {"QueueOverflowToItself",
       Queue([](QueueConfig& q) {
         q.expansion_steps = {{.after = absl::Minutes(1), .overflow_queue = q.id}};
       }),
       Code::kInvalidArgument, "expansion_steps"},
      // a → b exists: b → a would close the loop.
      {"QueueOverflowCycleOfTwo",
       Queue([](QueueConfig& q) {
         q.id = "b";
         q.expansion_steps = {{.after = absl::Minutes(1), .overflow_queue = "a"}};
       }),
       Code::kInvalidArgument, "expansion_steps"},
      // c → a → b exists: b → c would close the loop.
      {"QueueOverflowCycleOfThree",
       Queue([](QueueConfig& q) {
         q.id = "b";
         q.expansion_steps = {{.after = absl::Minutes(1), .overflow_queue = "c"}};
       }),
       Code::kInvalidArgument, "expansion_steps"},
      {"QueueStepsOutOfOrder",
       Queue([](QueueConfig& q) {
         q.expansion_steps = {{.after = absl::Minutes(5), .relax_levels = 1},
                              {.after = absl::Minutes(2), .relax_levels = 1}};
       }),
       Code::kInvalidArgument, "expansion_steps"},
      {"QueueStepsAtTheSameTime",
       Queue([](QueueConfig& q) {
         q.expansion_steps = {{.after = absl::Minutes(2), .relax_levels = 1},
                              {.after = absl::Minutes(2), .overflow_queue = "care"}};
       }),
       Code::kInvalidArgument, "expansion_steps"},
      {"QueueStepWithBothActions",
       Queue([](QueueConfig& q) {
         q.expansion_steps = {
             {.after = absl::Minutes(2), .relax_levels = 1, .overflow_queue = "care"}};
       }),
       Code::kInvalidArgument, "expansion_steps"},
      {"QueueStepWithNoAction",
       Queue([](QueueConfig& q) { q.expansion_steps = {{.after = absl::Minutes(2)}}; }),
       Code::kInvalidArgument, "expansion_steps"},
      {"QueueStepNegativeRelax",
       Queue([](QueueConfig& q) {
         q.expansion_steps = {{.after = absl::Minutes(2), .relax_levels = -1}};
       }),
       Code::kInvalidArgument, "relax_levels"},
      {"QueueStepNegativeAfter",
       Queue([](QueueConfig& q) {
         q.expansion_steps = {{.after = absl::Minutes(-2), .relax_levels = 1}};
       }),
       Code::kInvalidArgument, "after"},

      // -------------------------------------------------------- ConfigureRouting
      {"RuleNamingAnUnknownQueue",
       Settings([](RoutingSettings& s) { s.rules = {{.name = "lost", .queue = "nowhere"}}; }),
       Code::kInvalidArgument, "queue"},
      {"RuleWithoutQueue", Settings([](RoutingSettings& s) { s.rules = {{.name = "empty"}}; }),
       Code::kInvalidArgument, "queue"},
      {"RuleUnknownChannel",
       Settings([kUnknownChannel](RoutingSettings& s) {
         s.rules = {{.name = "odd", .channels = {kUnknownChannel}, .queue = "care"}};
       }),
       Code::kInvalidArgument, "channels"},
      {"RuleUnknownVisibility",
       Settings([](RoutingSettings& s) {
         s.rules = {{.name = "odd", .visibility = static_cast<Visibility>(42), .queue = "care"}};
       }),
       Code::kInvalidArgument, "visibility"},
      {"DefaultQueueUnknown", Settings([](RoutingSettings& s) { s.default_queue = "nowhere"; }),
       Code::kInvalidArgument, "default_queue"},
      {"NegativeAgingPerPoint",
       Settings([](RoutingSettings& s) { s.aging_per_point = absl::Seconds(-6); }),
       Code::kInvalidArgument, "aging_per_point"},
      {"NegativeDefaultOfferTimeout",
       Settings([](RoutingSettings& s) { s.default_offer_timeout = absl::Seconds(-30); }),
       Code::kInvalidArgument, "default_offer_timeout"},
      {"ZeroDefaultOfferTimeout",
       Settings([](RoutingSettings& s) { s.default_offer_timeout = absl::ZeroDuration(); }),
       Code::kInvalidArgument, "default_offer_timeout"},
      {"NegativeMaxConsecutiveExpiries",
       Settings([](RoutingSettings& s) { s.max_consecutive_expiries = -1; }),
       Code::kInvalidArgument, "max_consecutive_expiries"},
      {"NegativePreferredAgentWait",
       Settings([](RoutingSettings& s) { s.preferred_agent_waits[kEmail] = absl::Minutes(-1); }),
       Code::kInvalidArgument, "preferred_agent_waits"},
      {"PreferredAgentWaitForUnspecifiedChannel",
       Settings([](RoutingSettings& s) {
         s.preferred_agent_waits[v1::CHANNEL_UNSPECIFIED] = absl::Minutes(1);
       }),
       Code::kInvalidArgument, "preferred_agent_waits"},

      // -------------------------------------------------------- presence
      {"PresenceOfUnknownAgent",
       [](World& w) {
         return w.engine->SetAgentPresence(kTenant, "nobody", v1::AGENT_PRESENCE_AVAILABLE);
       },
       Code::kNotFound, "agent"},
      {"PresenceUnspecified",
       [](World& w) {
         return w.engine->SetAgentPresence(kTenant, "ann", v1::AGENT_PRESENCE_UNSPECIFIED);
       },
       Code::kInvalidArgument, "presence"},

      // -------------------------------------------------------- offers
      {"AcceptUnknownTask",
       [](World& w) { return w.engine->AcceptOffer(kTenant, kNoTask, "ann"); }, Code::kNotFound,
       "task"},
      {"AcceptByUnknownAgent",
       [](World& w) { return w.engine->AcceptOffer(kTenant, w.offered, "nobody"); },
       Code::kNotFound, "agent"},
      {"AcceptAnExpiredOffer",
       [](World& w) { return w.engine->AcceptOffer(kTenant, w.expired, "ann"); },
       Code::kFailedPrecondition, "task"},
      {"AcceptSomeoneElsesOffer",
       [](World& w) { return w.engine->AcceptOffer(kTenant, w.offered, "bob"); },
       Code::kFailedPrecondition, "task"},
      {"AcceptADeclinedOffer",
       [](World& w) { return w.engine->AcceptOffer(kTenant, w.declined, "ann"); },
       Code::kFailedPrecondition, "task"},
      {"AcceptAnAssignedTaskAgain",
       [](World& w) { return w.engine->AcceptOffer(kTenant, w.assigned, "ann"); },
       Code::kFailedPrecondition, "task"},
      {"DeclineTwice",
       [](World& w) { return w.engine->DeclineOffer(kTenant, w.declined, "ann", "again"); },
       Code::kFailedPrecondition, "task"},
      {"DeclineSomeoneElsesOffer",
       [](World& w) { return w.engine->DeclineOffer(kTenant, w.offered, "bob", "no"); },
       Code::kFailedPrecondition, "task"},
      {"DeclineUnknownTask",
       [](World& w) { return w.engine->DeclineOffer(kTenant, kNoTask, "ann", "no"); },
       Code::kNotFound, "task"},

      // -------------------------------------------------------- tasks
      {"CompleteAnOfferedTask",
       [](World& w) { return w.engine->CompleteTask(kTenant, w.offered, "ann"); },
       Code::kFailedPrecondition, "task"},
      {"CompleteAWaitingTask",
       [](World& w) { return w.engine->CompleteTask(kTenant, w.declined, "ann"); },
       Code::kFailedPrecondition, "task"},
      {"CompleteSomeoneElsesTask",
       [](World& w) { return w.engine->CompleteTask(kTenant, w.assigned, "bob"); },
       Code::kFailedPrecondition, "task"},
      {"CompleteTwice",
       [](World& w) { return w.engine->CompleteTask(kTenant, w.completed, "ann"); },
       Code::kFailedPrecondition, "task"},
      {"CompleteUnknownTask",
       [](World& w) { return w.engine->CompleteTask(kTenant, kNoTask, "ann"); },
       Code::kNotFound, "task"},
      {"CompleteByUnknownAgent",
       [](World& w) { return w.engine->CompleteTask(kTenant, w.assigned, "nobody"); },
       Code::kNotFound, "agent"},
      {"TransferWithBothTargets",
       Transfer([](World& w) { return w.assigned; }, {.queue = "care", .agent = "bob"}),
       Code::kInvalidArgument, "target"},
      {"TransferWithNoTarget", Transfer([](World& w) { return w.assigned; }, {}),
       Code::kInvalidArgument, "target"},
      {"TransferToUnknownQueue",
       Transfer([](World& w) { return w.assigned; }, {.queue = "nowhere"}), Code::kNotFound,
       "queue"},
      {"TransferToUnknownAgent",
       Transfer([](World& w) { return w.assigned; }, {.agent = "nobody"}), Code::kNotFound,
       "agent"},
      {"TransferACompletedTask",
       Transfer([](World& w) { return w.completed; }, {.queue = "care"}),
       Code::kFailedPrecondition, "task"},
      {"TransferUnknownTask", Transfer([](World&) { return kNoTask; }, {.queue = "care"}),
       Code::kNotFound, "task"},
      {"AbandonAnAssignedTask",
       [](World& w) { return w.engine->AbandonTask(kTenant, w.assigned); },
       Code::kFailedPrecondition, "task"},
      {"AbandonACompletedTask",
       [](World& w) { return w.engine->AbandonTask(kTenant, w.completed); },
       Code::kFailedPrecondition, "task"},
      {"AbandonUnknownTask", [](World& w) { return w.engine->AbandonTask(kTenant, kNoTask); },
       Code::kNotFound, "task"},

      // -------------------------------------------------------- commitments
      {"PromiseDeadlineBeforeDue",
       Promise([](CommitmentRequest& r, World&) { r.deadline = r.due_at - absl::Minutes(1); }),
       Code::kInvalidArgument, "deadline"},
      {"PromiseWithoutDueTime",
       Promise([](CommitmentRequest& r, World&) { r.due_at = absl::InfinitePast(); }),
       Code::kInvalidArgument, "due_at"},
      {"PromiseOnUnknownConversation",
       Promise([](CommitmentRequest& r, World&) { r.conversation = kNoConversation; }),
       Code::kNotFound, "conversation"},
      {"PromiseOnClosedConversation",
       Promise([](CommitmentRequest& r, World& w) { r.conversation = w.closed; }),
       Code::kFailedPrecondition, "conversation"},
      {"PromiseKindUnspecified",
       Promise([](CommitmentRequest& r, World&) { r.kind = v1::COMMITMENT_KIND_UNSPECIFIED; }),
       Code::kInvalidArgument, "kind"},
      {"PromiseUnknownChannel",
       Promise([kUnknownChannel](CommitmentRequest& r, World&) { r.channel = kUnknownChannel; }),
       Code::kInvalidArgument, "channel"},
      {"PromiseByUnknownAgent",
       Promise([](CommitmentRequest& r, World&) { r.agent = "nobody"; }), Code::kNotFound,
       "agent"},
      {"PromiseToUnknownQueue",
       Promise([](CommitmentRequest& r, World&) { r.queue = "nowhere"; }), Code::kNotFound,
       "queue"},
      {"CloseUnknownCommitment",
       [](World& w) {
         return w.engine->CloseCommitment(kTenant, kNoCommitment, v1::COMMITMENT_STATUS_FULFILLED,
                                          Actor::Agent("ann"), "");
       },
       Code::kNotFound, "commitment"},
      {"CloseACommitmentTwice",
       [](World& w) {
         return w.engine->CloseCommitment(kTenant, w.fulfilled, v1::COMMITMENT_STATUS_CANCELLED,
                                          Actor::Agent("ann"), "");
       },
       Code::kFailedPrecondition, "commitment"},
      {"CloseACommitmentAsPending",
       [](World& w) {
         return w.engine->CloseCommitment(kTenant, w.pending, v1::COMMITMENT_STATUS_PENDING,
                                          Actor::Agent("ann"), "");
       },
       Code::kInvalidArgument, "status"},

      // -------------------------------------------------------- queries
      {"GetUnknownTask", [](World& w) { return w.engine->GetTask(kTenant, kNoTask).status(); },
       Code::kNotFound, "task"},
      {"GetUnknownAgent",
       [](World& w) { return w.engine->GetAgent(kTenant, "nobody").status(); }, Code::kNotFound,
       "agent"},
      {"GetUnknownQueue",
       [](World& w) { return w.engine->GetQueue(kTenant, "nowhere").status(); }, Code::kNotFound,
       "queue"},
      {"StatsOfUnknownQueue",
       [](World& w) { return w.engine->GetQueueStats(kTenant, "nowhere").status(); },
       Code::kNotFound, "queue"},
      {"GetUnknownCommitment",
       [](World& w) { return w.engine->GetCommitment(kTenant, kNoCommitment).status(); },
       Code::kNotFound, "commitment"},
      {"RoutingOfUnknownConversation",
       [](World& w) {
         return w.engine->GetConversationRouting(kTenant, kNoConversation).status();
       },
       Code::kNotFound, "conversation"},
      {"CommitmentsOfUnknownConversation",
       [](World& w) { return w.engine->ListCommitments(kTenant, kNoConversation).status(); },
       Code::kNotFound, "conversation"},
      {"TimersOfUnknownTenant", [](World& w) { return w.engine->RunDueTimers("nobody").status(); },
       Code::kNotFound, "tenant_id"},
      {"NextTimerOfUnknownTenant",
       [](World& w) { return w.engine->NextTimer("nobody").status(); }, Code::kNotFound,
       "tenant_id"},
  };
  return cases;
}

class RoutingBadInputTest : public ::testing::TestWithParam<Case> {};

TEST_P(RoutingBadInputTest, AnswersWithTheRightStatusAndChangesNothing) {
  const Case& c = GetParam();
  World w;
  ASSERT_TRUE(Build(w));
  absl::StatusOr<std::string> dump = w.engine->DumpState(kTenant);
  absl::StatusOr<uint64_t> sequence = w.engine->LastSequence(kTenant);
  ASSERT_TRUE(dump.ok() && sequence.ok());

  const absl::Status status = c.call(w);

  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(c.field)) << status;
  EXPECT_EQ(w.engine->LastSequence(kTenant).value(), *sequence);
  EXPECT_EQ(w.engine->DumpState(kTenant).value(), *dump);
}

INSTANTIATE_TEST_SUITE_P(EveryRoutingEntryPoint, RoutingBadInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

// Each case is the only thing wrong: the unbroken versions succeed.
TEST(RoutingBadInputBaselineTest, TheUnbrokenCallsSucceed) {
  World w;
  ASSERT_TRUE(Build(w));
  Engine& e = *w.engine;
  EXPECT_TRUE(e.UpsertAgent(kTenant, ValidAgent()).ok());
  EXPECT_TRUE(e.UpsertQueue(kTenant, ValidQueue()).ok());
  QueueConfig stepped = ValidQueue();
  stepped.expansion_steps = {{.after = absl::Minutes(2), .relax_levels = 1},
                             {.after = absl::Minutes(5), .overflow_queue = "care"}};
  EXPECT_TRUE(e.UpsertQueue(kTenant, stepped).ok());
  // b may overflow to a queue outside the loop.
  QueueConfig b = MakeQueue("b", {kEmail});
  b.expansion_steps = {{.after = absl::Minutes(1), .overflow_queue = "care"}};
  EXPECT_TRUE(e.UpsertQueue(kTenant, b).ok());
  RoutingSettings settings;
  settings.default_queue = "care";
  settings.rules = {{.name = "calls", .channels = {kVoice}, .queue = "calls"}};
  EXPECT_TRUE(e.ConfigureRouting(kTenant, settings).ok());
  CommitmentRequest r;
  r.conversation = w.conversation;
  r.kind = v1::COMMITMENT_KIND_CALLBACK;
  r.due_at = w.clock.Now() + absl::Hours(2);
  r.deadline = r.due_at;  // not before due_at: allowed
  r.actor = Actor::Agent("ann");
  EXPECT_TRUE(e.RecordCommitment(kTenant, r).ok());
  EXPECT_TRUE(e.DeclineOffer(kTenant, w.offered, "ann", "no").ok());
  EXPECT_TRUE(e.CompleteTask(kTenant, w.assigned, "ann").ok());
  EXPECT_TRUE(e.CloseCommitment(kTenant, w.pending, v1::COMMITMENT_STATUS_CANCELLED,
                                Actor::Agent("ann"), "")
                  .ok());
  EXPECT_TRUE(e.TransferTask(kTenant, w.declined, {.queue = "care"}, Actor::Agent("ann")).ok());
  EXPECT_TRUE(e.AbandonTask(kTenant, w.expired).ok());
}

}  // namespace
}  // namespace omniroute
