// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A seeded property test of routing: random interleavings of messages on
// random customers and channels, answers to offers, time passing, presence
// changes, completions, abandons, transfers, handoffs, status changes,
// links and commitments. After every step the public views and the event
// stream must satisfy:
//   - no task is lost: every created task is waiting, offered, assigned,
//     completed or cancelled, and is where its status says (queue counts,
//     the agent's lists);
//   - none is assigned twice, none is offered twice at once;
//   - no offer goes to an agent the task excludes, to an agent who is not
//     AVAILABLE, to an agent who does not serve the channel, or to an agent
//     busy on an exclusive channel;
//   - an agent's load is the cost of their offered, assigned and wrapping-up
//     tasks, and never exceeds their capacity;
//   - a refused command appends nothing.
// At the end a second engine opened on the same store (and a third from a
// snapshot) must show the same state and the same views.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

using ::omniroute::testing_internal::CostOf;
using ::omniroute::testing_internal::Email;
using ::omniroute::testing_internal::Handle;
using ::omniroute::testing_internal::Inbound;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::Phone;
using ::omniroute::testing_internal::RoutingFixture;

namespace v1 = ::omniroute::v1;
using Event = v1::Event;

constexpr int kSeeds = 100;
constexpr int kSteps = 300;
constexpr int kPeople = 12;

const std::vector<Channel>& AllChannels() {
  static const auto* channels = new std::vector<Channel>{
      v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL,
      v1::CHANNEL_VOICE,         v1::CHANNEL_CHAT,           v1::CHANNEL_SMS,
      v1::CHANNEL_MESSAGING};
  return *channels;
}

std::vector<AgentConfig> Agents() {
  std::vector<AgentConfig> agents;
  agents.push_back(
      MakeAgent("ann", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL},
                4, {{"support", 5}}));
  AgentConfig bob = MakeAgent("bob", {v1::CHANNEL_EMAIL, v1::CHANNEL_SMS, v1::CHANNEL_MESSAGING}, 3,
                              {{"support", 3}});
  bob.channel_costs[v1::CHANNEL_EMAIL] = 2;
  bob.wrap_up = absl::Minutes(1);
  agents.push_back(bob);
  AgentConfig cara = MakeAgent("cara", {v1::CHANNEL_VOICE, v1::CHANNEL_CHAT, v1::CHANNEL_EMAIL}, 4,
                               {{"support", 2}});
  cara.wrap_up = absl::Seconds(30);
  agents.push_back(cara);
  AgentConfig dan = MakeAgent("dan", AllChannels(), 6, {{"support", 4}});
  dan.exclusive_channels = {v1::CHANNEL_VOICE, v1::CHANNEL_CHAT};
  agents.push_back(dan);
  AgentConfig eve =
      MakeAgent("eve", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_CHAT}, 2,
                {{"support", 1}});
  eve.wrap_up = absl::Seconds(45);
  agents.push_back(eve);
  return agents;
}

std::string Describe(const TaskView& t) {
  auto time = [](const std::optional<absl::Time>& at) {
    return at.has_value() ? absl::FormatTime(*at) : std::string("-");
  };
  return absl::StrCat(
      t.id.value(), " conv=", t.conversation.value(), " queue=", t.queue, " ch=", t.channel,
      " reason=", t.reason, " status=", t.status, " created=", absl::FormatTime(t.created_at),
      " points=", t.priority_points, " due=", time(t.first_response_due),
      " pref=", t.preferred_agent, "/", time(t.preferred_until), " offer=",
      t.offer.has_value() ? absl::StrCat(t.offer->agent, "@", absl::FormatTime(t.offer->offered_at),
                                         "..", absl::FormatTime(t.offer->expires_at))
                          : "-",
      " agent=", t.agent, " excluded=", absl::StrJoin(t.excluded_agents, ","),
      " step=", t.expansion_step, " commitment=", t.commitment.value_or(CommitmentId()).value(),
      " previous=", t.previous_task.value_or(TaskId()).value(), " end=", t.end,
      " cancel=", t.cancel_reason);
}

std::string Describe(const AgentView& a) {
  auto ids = [](const std::vector<TaskId>& v) {
    return absl::StrJoin(v, ",",
                         [](std::string* out, TaskId id) { absl::StrAppend(out, id.value()); });
  };
  return absl::StrCat(
      a.config.id, " presence=", a.presence, " load=", a.load, "/", a.config.capacity,
      " offered=", ids(a.offered_tasks), " assigned=", ids(a.assigned_tasks),
      " wrapping=", ids(a.wrapping_up_tasks), " expiries=", a.consecutive_expiries, " last_end=",
      a.last_assignment_end.has_value() ? absl::FormatTime(*a.last_assignment_end) : "-");
}

class OfferPropertyTest : public RoutingFixture, public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override {
    rng_.seed(static_cast<uint32_t>(GetParam()) * 7919u + 17u);
    TenantOptions options;
    options.first_response_targets[v1::CHANNEL_PUBLIC_SOCIAL] = absl::Minutes(20);
    options.first_response_targets[v1::CHANNEL_VOICE] = absl::Minutes(1);
    Start(options);
    Queue(MakeQueue("general", AllChannels(), {{"support", 1}}));
    QueueConfig social = MakeQueue(
        "social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}, {{"support", 2}});
    social.strategy = v1::SELECTION_STRATEGY_LONGEST_IDLE;
    Queue(social);
    QueueConfig mail = MakeQueue(
        "mail", {v1::CHANNEL_EMAIL, v1::CHANNEL_SMS, v1::CHANNEL_MESSAGING}, {{"support", 4}});
    mail.strategy = v1::SELECTION_STRATEGY_ROUND_ROBIN;
    mail.offer_timeout = absl::Seconds(40);
    mail.expansion_steps = {{.after = absl::Minutes(2), .relax_levels = 2},
                            {.after = absl::Minutes(6), .overflow_queue = "general"}};
    Queue(mail);
    QueueConfig live = MakeQueue("live", {v1::CHANNEL_VOICE, v1::CHANNEL_CHAT}, {{"support", 1}});
    live.strategy = v1::SELECTION_STRATEGY_MOST_SPARE_CAPACITY;
    live.auto_accept = true;
    Queue(live);
    QueueConfig best = MakeQueue("best", AllChannels(), {{"support", 2}});
    best.strategy = v1::SELECTION_STRATEGY_BEST_SKILL_LEVEL;
    Queue(best);
    RoutingSettings settings;
    settings.rules = {
        {.name = "vip", .tags = {"vip"}, .queue = "best"},
        {.name = "social",
         .channels = {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL},
         .queue = "social"},
        {.name = "mail",
         .channels = {v1::CHANNEL_EMAIL, v1::CHANNEL_SMS, v1::CHANNEL_MESSAGING},
         .queue = "mail"},
        {.name = "live", .channels = {v1::CHANNEL_VOICE, v1::CHANNEL_CHAT}, .queue = "live"},
    };
    settings.default_queue = "general";
    settings.max_consecutive_expiries = 2;
    for (Channel c : AllChannels()) settings.preferred_agent_waits[c] = absl::Minutes(2);
    settings.preferred_agent_waits[v1::CHANNEL_VOICE] = absl::Seconds(20);
    settings.preferred_agent_waits[v1::CHANNEL_CHAT] = absl::Seconds(20);
    Configure(settings);
    for (const AgentConfig& a : Agents()) {
      AddAgent(a, Pick(3) == 0 ? v1::AGENT_PRESENCE_BUSY : v1::AGENT_PRESENCE_AVAILABLE);
      configs_[a.id] = a;
    }
    queues_ = {"general", "social", "mail", "live", "best"};
  }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <typename T>
  const T& PickFrom(const std::vector<T>& v) {
    return v[Pick(static_cast<int>(v.size()))];
  }
  std::string RandomAgent() {
    std::vector<std::string> ids;
    for (const auto& [id, config] : configs_) ids.push_back(id);
    return PickFrom(ids);
  }
  std::vector<TaskId> TasksWith(std::initializer_list<TaskStatus> statuses) {
    std::vector<TaskId> out;
    for (TaskId id : created_) {
      absl::StatusOr<TaskView> t = engine_->GetTask(kTenant, id);
      if (t.ok() && absl::c_linear_search(statuses, t->status)) out.push_back(id);
    }
    return out;
  }

  // One random operation; returns what it did.
  std::string Step();
  // Folds the events recorded since the last call, checking each decision.
  void FollowEvents();
  // Checks a decision to give task `id` to `agent` (an offer, or an
  // assignment made without one).
  void CheckDecision(uint64_t id, const std::string& agent, bool offer);
  // Checks the views against each other.
  void CheckViews();

  std::mt19937 rng_;
  std::map<std::string, AgentConfig> configs_;
  std::vector<std::string> queues_;
  std::vector<ConversationId> conversations_;
  std::vector<TaskId> created_;
  int next_external_ = 0;
  std::string last_external_;
  Channel last_channel_ = v1::CHANNEL_UNSPECIFIED;
  RawIdentity last_sender_;

  // What the event stream says so far.
  size_t followed_ = 0;
  std::map<uint64_t, Channel> channel_of_;
  std::map<uint64_t, TaskReason> reason_of_;
  std::map<uint64_t, int> assignments_;
  std::map<uint64_t, std::string> offer_of_;
  std::map<uint64_t, std::set<std::string>> excluded_;
  std::map<std::string, AgentPresence> presence_;
  std::map<std::string, std::set<uint64_t>> active_;  // offered or assigned
};

std::string OfferPropertyTest::Step() {
  const int op = Pick(100);
  if (op < 22) {
    InboundMessage m;
    if (!last_external_.empty() && Pick(12) == 0) {
      // A redelivery: recognised, nothing changes.
      m = Inbound(last_channel_, last_sender_, last_external_);
    } else {
      const int person = Pick(kPeople);
      // Mostly on the person's own channel, sometimes elsewhere.
      const Channel channel =
          Pick(10) < 7 ? AllChannels()[person % AllChannels().size()] : PickFrom(AllChannels());
      RawIdentity sender;
      switch (channel) {
        case v1::CHANNEL_PUBLIC_SOCIAL:
        case v1::CHANNEL_PRIVATE_SOCIAL:
          sender = Handle("x", absl::StrCat("p", person));
          break;
        case v1::CHANNEL_EMAIL:
          sender = Email(absl::StrCat("p", person, "@example.com"));
          break;
        default:
          sender = Phone(absl::StrCat("+33610000", 100 + person));
      }
      m = Inbound(channel, sender, absl::StrCat("ext-", ++next_external_));
      m.profile.reach = Pick(3) == 0 ? 100000 : 0;
      if (Pick(6) == 0) m.tags = {"vip"};
      last_external_ = m.external_id;
      last_channel_ = channel;
      last_sender_ = sender;
    }
    absl::StatusOr<IngestResult> r = engine_->IngestMessage(kTenant, m);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) conversations_.push_back(r->conversation);
    return absl::StrCat("ingest ", m.external_id, " on ", m.channel, " -> ",
                        r.ok() && r->task.has_value() ? r->task->value() : 0);
  }
  const std::string agent = RandomAgent();
  if (op < 44) {
    // Someone's pending offer.
    std::vector<std::pair<std::string, TaskId>> offers;
    for (const auto& [id, config] : configs_) {
      for (TaskId task : Agent(id).offered_tasks) offers.emplace_back(id, task);
    }
    if (offers.empty()) return "no offer to answer";
    const auto& [to, task] = PickFrom(offers);
    const bool accept = Pick(3) != 0;
    absl::Status s = accept ? engine_->AcceptOffer(kTenant, task, to)
                            : engine_->DeclineOffer(kTenant, task, to, "no");
    EXPECT_TRUE(s.ok()) << s;
    return absl::StrCat(accept ? "accept " : "decline ", task.value(), " by ", to);
  }
  if (op < 58) {
    const absl::Duration d = absl::Seconds(1 + Pick(Pick(4) == 0 ? 600 : 60));
    clock_.Advance(d);
    absl::StatusOr<int> fired = engine_->RunDueTimers(kTenant);
    EXPECT_TRUE(fired.ok()) << fired.status();
    return absl::StrCat("advance ", absl::FormatDuration(d), ", fired ", fired.value_or(-1));
  }
  if (op < 63) {
    static constexpr AgentPresence kPresences[] = {
        v1::AGENT_PRESENCE_AVAILABLE, v1::AGENT_PRESENCE_AVAILABLE, v1::AGENT_PRESENCE_AVAILABLE,
        v1::AGENT_PRESENCE_BUSY,      v1::AGENT_PRESENCE_AWAY,      v1::AGENT_PRESENCE_OFFLINE};
    const AgentPresence p = kPresences[Pick(6)];
    EXPECT_TRUE(engine_->SetAgentPresence(kTenant, agent, p).ok());
    return absl::StrCat("presence ", agent, " ", p);
  }
  if (op < 76) {
    const std::vector<TaskId> assigned = Agent(agent).assigned_tasks;
    if (assigned.empty()) return "nothing to complete";
    const TaskId task = PickFrom(assigned);
    EXPECT_TRUE(engine_->CompleteTask(kTenant, task, agent).ok());
    return absl::StrCat("complete ", task.value(), " by ", agent);
  }
  // The remaining operations may be refused; a refusal must change nothing.
  const uint64_t before = Sequence();
  absl::Status s;
  std::string what;
  if (op < 80) {
    const std::vector<TaskId> live = TasksWith({v1::TASK_STATUS_WAITING, v1::TASK_STATUS_OFFERED});
    if (live.empty()) return "nothing to abandon";
    const TaskId task = PickFrom(live);
    s = engine_->AbandonTask(kTenant, task);
    what = absl::StrCat("abandon ", task.value());
  } else if (op < 87) {
    const std::vector<TaskId> live =
        TasksWith({v1::TASK_STATUS_WAITING, v1::TASK_STATUS_OFFERED, v1::TASK_STATUS_ASSIGNED});
    if (live.empty()) return "nothing to transfer";
    const TaskId task = PickFrom(live);
    TransferTarget target;
    if (Pick(2) == 0) {
      target.queue = PickFrom(queues_);
    } else {
      target.agent = agent;
    }
    s = engine_->TransferTask(kTenant, task, target, Actor::Agent(agent)).status();
    what = absl::StrCat("transfer ", task.value(), " to ", target.queue, target.agent);
  } else if (op < 92) {
    if (conversations_.empty()) return "no conversation";
    const ConversationId c = PickFrom(conversations_);
    const Channel to = PickFrom(AllChannels());
    s = engine_->Handoff(kTenant, c, to, "move", Actor::Agent(agent));
    what = absl::StrCat("handoff ", c.value(), " to ", to, " by ", agent);
  } else if (op < 95) {
    if (conversations_.empty()) return "no conversation";
    const ConversationId c = PickFrom(conversations_);
    static constexpr ConversationStatus kStatuses[] = {
        v1::CONVERSATION_STATUS_RESOLVED, v1::CONVERSATION_STATUS_OPEN,
        v1::CONVERSATION_STATUS_PENDING_CUSTOMER, v1::CONVERSATION_STATUS_CLOSED};
    const ConversationStatus status = kStatuses[Pick(Pick(5) == 0 ? 4 : 3)];
    s = engine_->SetConversationStatus(kTenant, c, status, Actor::Agent(agent));
    what = absl::StrCat("status ", c.value(), " ", status);
  } else if (op < 97) {
    const int person = Pick(kPeople);
    absl::StatusOr<CustomerView> social =
        engine_->FindCustomer(kTenant, Handle("x", absl::StrCat("p", person)));
    if (!social.ok()) return "nobody to link";
    s = engine_
            ->LinkIdentity(kTenant, social->id, Email(absl::StrCat("p", person, "@example.com")),
                           Actor::Agent(agent))
            .status();
    what = absl::StrCat("link p", person);
  } else {
    if (conversations_.empty()) return "no conversation";
    CommitmentRequest request;
    request.conversation = PickFrom(conversations_);
    request.kind = static_cast<CommitmentKind>(1 + Pick(3));
    request.description = "promise";
    request.due_at = clock_.Now() + absl::Seconds(1 + Pick(900));
    if (Pick(2) == 0) request.deadline = request.due_at + absl::Seconds(1 + Pick(600));
    if (Pick(2) == 0) request.agent = agent;
    request.actor = Actor::Agent(agent);
    s = engine_->RecordCommitment(kTenant, request).status();
    what = absl::StrCat("commitment on ", request.conversation.value());
  }
  if (!s.ok()) {
    EXPECT_TRUE(s.code() == absl::StatusCode::kInvalidArgument ||
                s.code() == absl::StatusCode::kNotFound ||
                s.code() == absl::StatusCode::kFailedPrecondition ||
                s.code() == absl::StatusCode::kAlreadyExists)
        << what << ": " << s;
    EXPECT_EQ(Sequence(), before) << what << " was refused (" << s << ") but appended events";
  }
  return absl::StrCat(what, s.ok() ? "" : absl::StrCat(" refused: ", s.message()));
}

void OfferPropertyTest::CheckDecision(uint64_t id, const std::string& agent, bool offer) {
  auto config = configs_.find(agent);
  ASSERT_NE(config, configs_.end()) << agent;
  const Channel channel = channel_of_[id];
  EXPECT_FALSE(excluded_[id].contains(agent))
      << "task " << id << " given to " << agent << " who it excludes";
  // An owner's handoff assigned to them at once is not an offer.
  if (offer || reason_of_[id] != v1::TASK_REASON_HANDOFF) {
    EXPECT_EQ(presence_[agent], v1::AGENT_PRESENCE_AVAILABLE)
        << "task " << id << " given to " << agent << " who is " << presence_[agent];
  }
  EXPECT_TRUE(absl::c_linear_search(config->second.channels, channel))
      << "task " << id << " given to " << agent << " who does not serve " << channel;
  for (uint64_t other : active_[agent]) {
    EXPECT_FALSE(absl::c_linear_search(config->second.exclusive_channels, channel_of_[other]))
        << "task " << id << " given to " << agent << " busy on exclusive task " << other;
  }
}

void OfferPropertyTest::FollowEvents() {
  std::set<uint64_t> cancelled;
  for (; followed_ < events_.size(); ++followed_) {
    const Event& e = events_[followed_];
    switch (e.payload_case()) {
      case Event::kAgentConfigured:
        presence_.emplace(e.agent_configured().agent().agent_id(), v1::AGENT_PRESENCE_OFFLINE);
        break;
      case Event::kAgentPresenceChanged:
        presence_[e.agent_presence_changed().agent_id()] = e.agent_presence_changed().to_presence();
        break;
      case Event::kTaskCreated: {
        const uint64_t id = e.task_created().task_id();
        EXPECT_FALSE(channel_of_.contains(id)) << "task " << id << " created twice";
        channel_of_[id] = e.task_created().channel();
        reason_of_[id] = e.task_created().reason();
        created_.push_back(TaskId(id));
        break;
      }
      case Event::kTaskOffered: {
        const uint64_t id = e.task_offered().task_id();
        const std::string& agent = e.task_offered().agent_id();
        auto it = offer_of_.find(id);
        EXPECT_TRUE(it == offer_of_.end())
            << "task " << id << " offered to " << agent << " while offered to " << it->second;
        CheckDecision(id, agent, /*offer=*/true);
        offer_of_[id] = agent;
        active_[agent].insert(id);
        break;
      }
      case Event::kTaskAssigned: {
        const uint64_t id = e.task_assigned().task_id();
        const std::string& agent = e.task_assigned().agent_id();
        auto it = offer_of_.find(id);
        if (it != offer_of_.end() && it->second == agent) {
          offer_of_.erase(it);  // the offer accepted
        } else {
          EXPECT_TRUE(it == offer_of_.end())
              << "task " << id << " assigned to " << agent << " while offered to " << it->second;
          CheckDecision(id, agent, /*offer=*/false);
        }
        EXPECT_EQ(++assignments_[id], 1) << "task " << id << " assigned twice";
        active_[agent].insert(id);
        break;
      }
      case Event::kOfferDeclined:
      case Event::kOfferExpired:
      case Event::kOfferWithdrawn: {
        uint64_t id = 0;
        std::string agent;
        if (e.has_offer_declined()) {
          id = e.offer_declined().task_id();
          agent = e.offer_declined().agent_id();
        } else if (e.has_offer_expired()) {
          id = e.offer_expired().task_id();
          agent = e.offer_expired().agent_id();
        } else {
          id = e.offer_withdrawn().task_id();
          agent = e.offer_withdrawn().agent_id();
        }
        auto it = offer_of_.find(id);
        EXPECT_TRUE(it != offer_of_.end() && it->second == agent)
            << "task " << id << ": " << agent << " answered no offer of theirs";
        if (it != offer_of_.end()) offer_of_.erase(it);
        active_[agent].erase(id);
        if (!e.has_offer_withdrawn()) excluded_[id].insert(agent);
        break;
      }
      case Event::kTaskEnded:
        active_[e.task_ended().agent_id()].erase(e.task_ended().task_id());
        break;
      case Event::kTaskCancelled:
        cancelled.insert(e.task_cancelled().task_id());
        break;
      default:
        break;
    }
  }
  // A cancelled task's offer is withdrawn by the same command.
  for (uint64_t id : cancelled) {
    auto it = offer_of_.find(id);
    EXPECT_TRUE(it == offer_of_.end())
        << "task " << id << " cancelled, its offer to " << it->second << " never withdrawn";
    if (it != offer_of_.end()) offer_of_.erase(it);
    for (auto& [agent, tasks] : active_) tasks.erase(id);
  }
}

void OfferPropertyTest::CheckViews() {
  std::map<uint64_t, TaskView> tasks;
  for (TaskId id : created_) {
    absl::StatusOr<TaskView> t = engine_->GetTask(kTenant, id);
    ASSERT_TRUE(t.ok()) << "task " << id << " lost: " << t.status();
    tasks[id.value()] = *t;
  }
  EXPECT_EQ(engine_->GetTask(kTenant, TaskId(created_.size() + 1)).status().code(),
            absl::StatusCode::kNotFound)
      << "a task exists that no TaskCreated announced";

  std::map<uint64_t, std::string> holder;  // offered or assigned, by whom
  for (const auto& [id, config] : configs_) {
    const AgentView a = Agent(id);
    int load = 0;
    // `id` by name: clang 14 cannot capture a structured binding.
    auto hold = [&, &id = id](const std::vector<TaskId>& list, TaskStatus status,
                              absl::string_view what) {
      for (TaskId task : list) {
        auto it = tasks.find(task.value());
        ASSERT_NE(it, tasks.end()) << id << " " << what << " unknown " << task;
        const TaskView& t = it->second;
        load += testing_internal::CostOf(a.config, t.channel);
        EXPECT_EQ(t.status, status) << id << " " << what << " " << Describe(t);
        if (status == v1::TASK_STATUS_OFFERED) {
          EXPECT_TRUE(t.offer.has_value() && t.offer->agent == id) << Describe(t);
        } else {
          EXPECT_EQ(t.agent, id) << Describe(t);
        }
        if (status != v1::TASK_STATUS_COMPLETED) {
          auto [where, fresh] = holder.emplace(task.value(), id);
          EXPECT_TRUE(fresh) << task << " held by " << where->second << " and " << id;
        }
      }
    };
    hold(a.offered_tasks, v1::TASK_STATUS_OFFERED, "offered");
    hold(a.assigned_tasks, v1::TASK_STATUS_ASSIGNED, "assigned");
    hold(a.wrapping_up_tasks, v1::TASK_STATUS_COMPLETED, "wrapping up");
    EXPECT_EQ(a.load, load) << Describe(a);
    EXPECT_LE(a.load, a.config.capacity) << Describe(a);
    if (!a.offered_tasks.empty()) {
      EXPECT_EQ(a.presence, v1::AGENT_PRESENCE_AVAILABLE) << Describe(a);
    }
    EXPECT_EQ(a.presence, presence_[id]) << "the view and the events disagree: " << Describe(a);
  }

  std::map<std::string, QueueStats> counted;
  for (const auto& [id, t] : tasks) {
    switch (t.status) {
      case v1::TASK_STATUS_WAITING:
        EXPECT_FALSE(t.offer.has_value()) << Describe(t);
        EXPECT_FALSE(holder.contains(id)) << Describe(t);
        ++counted[t.queue].waiting;
        break;
      case v1::TASK_STATUS_OFFERED:
        ASSERT_TRUE(t.offer.has_value()) << Describe(t);
        EXPECT_EQ(holder[id], t.offer->agent) << Describe(t);
        EXPECT_FALSE(absl::c_linear_search(t.excluded_agents, t.offer->agent)) << Describe(t);
        ++counted[t.queue].offered;
        break;
      case v1::TASK_STATUS_ASSIGNED:
        EXPECT_FALSE(t.agent.empty()) << Describe(t);
        EXPECT_EQ(holder[id], t.agent) << Describe(t);
        ++counted[t.queue].assigned;
        break;
      case v1::TASK_STATUS_COMPLETED:
      case v1::TASK_STATUS_CANCELLED:
        EXPECT_FALSE(holder.contains(id)) << Describe(t);
        EXPECT_FALSE(t.offer.has_value()) << Describe(t);
        break;
      default:
        ADD_FAILURE() << "task in no known status: " << Describe(t);
    }
    EXPECT_LE(assignments_[id], 1) << Describe(t);
  }
  for (const std::string& q : queues_) {
    const QueueStats s = Stats(q);
    EXPECT_EQ(s.waiting, counted[q].waiting) << q;
    EXPECT_EQ(s.offered, counted[q].offered) << q;
    EXPECT_EQ(s.assigned, counted[q].assigned) << q;
  }
}

TEST_P(OfferPropertyTest, InvariantsHoldAfterEveryStepAndTheLogRebuildsTheSameState) {
  std::vector<std::string> log;
  FollowEvents();
  for (int step = 0; step < kSteps; ++step) {
    log.push_back(absl::StrCat(step, ": ", Step()));
    FollowEvents();
    CheckViews();
    if (HasFailure()) {
      const size_t from = log.size() > 25 ? log.size() - 25 : 0;
      ADD_FAILURE() << "seed " << GetParam() << ", the last steps:\n"
                    << absl::StrJoin(log.begin() + from, log.end(), "\n");
      return;
    }
  }
  // Something happened: tasks were made and answered.
  EXPECT_GT(created_.size(), 10u);

  // The log alone rebuilds the same state and views.
  auto compare = [&](Engine& other, absl::string_view how) {
    EXPECT_EQ(other.DumpState(kTenant).value(), Dump()) << how;
    EXPECT_EQ(other.LastSequence(kTenant).value(), Sequence()) << how;
    for (TaskId id : created_) {
      EXPECT_EQ(Describe(other.GetTask(kTenant, id).value()), Describe(Task(id))) << how;
    }
    for (const auto& [id, config] : configs_) {
      EXPECT_EQ(Describe(other.GetAgent(kTenant, id).value()), Describe(Agent(id))) << how;
    }
    for (const std::string& q : queues_) {
      const QueueStats a = other.GetQueueStats(kTenant, q).value();
      const QueueStats b = Stats(q);
      EXPECT_EQ(absl::StrCat(a.waiting, a.offered, a.assigned, a.entered, a.assigned_total,
                             a.cancelled_total, a.assigned_within_target),
                absl::StrCat(b.waiting, b.offered, b.assigned, b.entered, b.assigned_total,
                             b.cancelled_total, b.assigned_within_target))
          << how << " " << q;
    }
    EXPECT_EQ(other.NextTimer(kTenant).value(), engine_->NextTimer(kTenant).value()) << how;
  };
  auto replayed = Engine::Open({.clock = &clock_, .store = store_.get()});
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  compare(**replayed, "replayed from the log");
  ASSERT_TRUE(engine_->TakeSnapshot(kTenant).ok());
  auto restored = Engine::Open({.clock = &clock_, .store = store_.get()});
  ASSERT_TRUE(restored.ok()) << restored.status();
  compare(**restored, "restored from a snapshot");
}

INSTANTIATE_TEST_SUITE_P(Seeds, OfferPropertyTest, ::testing::Range(1, kSeeds + 1));

}  // namespace
}  // namespace omniroute
