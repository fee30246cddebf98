// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "sim/replication.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"
#include "omniroute/routing.h"

namespace omniroute::sim {
namespace {

namespace v1 = ::omniroute::v1;

constexpr absl::string_view kTenant = "sim";

// Random stream numbers: one per purpose (and per channel for arrivals), so
// that a change in one part of a scenario does not shift the draws of the
// others.
constexpr uint32_t kArrivalStreams = 1;  // + channel
constexpr uint32_t kHandleStream = 100;
constexpr uint32_t kPatienceStream = 101;
constexpr uint32_t kOutcomeStream = 102;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// An engine error while setting up the tenant is the scenario's fault when
// the engine says the input is invalid; it is reported under `field`.
absl::Status SetUpError(absl::string_view field, const absl::Status& s) {
  if (absl::IsInvalidArgument(s)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", s.message()));
  }
  return absl::InternalError(absl::StrCat("configuring ", field, ": ", s.ToString()));
}

absl::Status EngineError(absl::string_view call, const absl::Status& s) {
  return absl::InternalError(absl::StrCat(call, " failed during the simulation: ", s.ToString()));
}

}  // namespace

Replication::Replication(const ScenarioPlan& plan, int index)
    : plan_(plan),
      start_(clock_.Now()),
      window_start_(start_ + plan.warm_up),
      window_end_(start_ + plan.duration),
      handle_rng_(plan.seed, Pair(plan, index), kHandleStream, Mirrored(plan, index)),
      patience_rng_(plan.seed, Pair(plan, index), kPatienceStream, Mirrored(plan, index)),
      outcome_rng_(plan.seed, Pair(plan, index), kOutcomeStream, Mirrored(plan, index)) {
  for (int c = 0; c < kChannelSlots; ++c) {
    arrival_rng_.emplace_back(plan.seed, Pair(plan, index), kArrivalStreams + c,
                              Mirrored(plan, index));
  }
  tally_.groups.resize(plan.groups.size());
}

absl::Status Replication::SetUp() {
  EngineOptions options;
  options.clock = &clock_;
  options.on_commit = [this](absl::string_view, absl::Span<const v1::Event> events) {
    OnCommit(events);
  };
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  if (!engine.ok()) return EngineError("Engine::Open", engine.status());
  engine_ = *std::move(engine);
  if (absl::Status s = engine_->CreateTenant(kTenant, plan_.tenant); !s.ok()) {
    return SetUpError("channels", s);
  }
  // Queues first without their expansion steps, so that an overflow may
  // name a queue listed after it.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < plan_.queues.size(); ++i) {
      QueueConfig queue = plan_.queues[i];
      if (pass == 0) queue.expansion_steps.clear();
      if (pass == 1 && queue.expansion_steps.empty()) continue;
      if (absl::Status s = engine_->UpsertQueue(kTenant, queue); !s.ok()) {
        return SetUpError(absl::StrCat("queues[", i, "]"), s);
      }
    }
  }
  if (absl::Status s = engine_->ConfigureRouting(kTenant, plan_.routing); !s.ok()) {
    return SetUpError("routing", s);
  }
  for (size_t g = 0; g < plan_.groups.size(); ++g) {
    const GroupPlan& group = plan_.groups[g];
    AgentConfig agent = group.agent;
    for (int n = 1; n <= group.count; ++n) {
      agent.id = AgentName(group, n);
      if (absl::Status s = engine_->UpsertAgent(kTenant, agent); !s.ok()) {
        return SetUpError(absl::StrCat("agent_groups[", g, "]"), s);
      }
      if (absl::Status s = engine_->SetAgentPresence(kTenant, agent.id,
                                                     v1::AGENT_PRESENCE_AVAILABLE);
          !s.ok()) {
        return EngineError("SetAgentPresence", s);
      }
      agent_index_[agent.id] = static_cast<int>(agents_.size());
      agents_.push_back({agent.id, static_cast<int>(g)});
    }
  }
  return absl::OkStatus();
}

absl::Status Replication::Run() {
  if (absl::Status s = SetUp(); !s.ok()) return s;
  for (int c = 0; c < kChannelSlots; ++c) {
    if (plan_.channels[c].arrivals_per_second > 0.0) ScheduleArrival(static_cast<Channel>(c));
  }
  const absl::Time stop = window_end_ + plan_.drain_limit;
  while (true) {
    const absl::Time next_event = pending_.empty() ? absl::InfiniteFuture() : pending_.top().at;
    absl::StatusOr<std::optional<absl::Time>> timer = engine_->NextTimer(kTenant);
    if (!timer.ok()) return EngineError("NextTimer", timer.status());
    const bool timer_first = timer->has_value() && **timer <= next_event;
    const absl::Time at = timer_first ? **timer : next_event;
    if (at == absl::InfiniteFuture() || at > stop) break;
    if (pending_arrivals_ == 0 && measured_open_ == 0 && at >= window_end_) break;
    clock_.AdvanceTo(at);
    absl::Status s;
    if (timer_first) {
      absl::StatusOr<int> fired = engine_->RunDueTimers(kTenant);
      if (!fired.ok()) return EngineError("RunDueTimers", fired.status());
      if (*fired == 0) {
        return absl::InternalError(
            absl::StrCat("the engine's next timer (", absl::FormatTime(at),
                         ") is due but RunDueTimers fired none"));
      }
    } else {
      const Pending event = pending_.top();
      pending_.pop();
      switch (event.kind) {
        case Kind::kArrival:
          --pending_arrivals_;
          s = Arrive(static_cast<Channel>(event.id));
          break;
        case Kind::kHandlingDone:
          s = FinishHandling(event.id);
          break;
        case Kind::kPatience:
          s = RunOutOfPatience(event.id);
          break;
      }
    }
    if (!s.ok()) return s;
    if (unrouted_ != v1::CHANNEL_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("routing: no rule or default_queue_id takes the tasks of ",
                       ChannelName(unrouted_)));
    }
  }
  // The window's end, or later if the run went on past it.
  const absl::Time end = std::max(clock_.Now(), window_end_);
  for (ChannelTally& c : tally_.channels) c.busy.Close(end, window_start_, window_end_);
  for (GroupTally& g : tally_.groups) g.busy.Close(end, window_start_, window_end_);
  CountUnresolved();
  engine_.reset();
  return absl::OkStatus();
}

void Replication::ScheduleArrival(Channel channel) {
  const double rate = plan_.channels[channel].arrivals_per_second;
  const absl::Time at = clock_.Now() + arrival_rng_[channel].Exponential(absl::Seconds(1.0 / rate));
  if (at >= window_end_) return;
  ++pending_arrivals_;
  Schedule(at, Kind::kArrival, static_cast<uint64_t>(channel));
}

absl::Status Replication::Arrive(Channel channel) {
  ScheduleArrival(channel);
  const int64_t n = ++customers_;
  InboundMessage message;
  message.channel = channel;
  switch (channel) {
    case v1::CHANNEL_VOICE:
    case v1::CHANNEL_SMS:
    case v1::CHANNEL_MESSAGING:
      // +1 and ten digits: E.164, distinct for the first eight billion.
      message.sender = {v1::IDENTITY_KIND_PHONE, "", absl::StrCat("+1", 2'000'000'000 + n)};
      break;
    case v1::CHANNEL_PUBLIC_SOCIAL:
    case v1::CHANNEL_PRIVATE_SOCIAL:
      message.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "social", absl::StrCat("c", n)};
      break;
    default:
      message.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("c", n, "@sim.example")};
      break;
  }
  message.external_id = absl::StrCat("m", n);
  message.thread_key = absl::StrCat("t", n);
  message.body = "simulated contact";
  arrival_measured_ = clock_.Now() >= window_start_;
  absl::StatusOr<IngestResult> result = engine_->IngestMessage(kTenant, message);
  arrival_measured_ = false;
  if (!result.ok()) return EngineError("IngestMessage", result.status());
  if (!result->task.has_value()) {
    return absl::InternalError("a new customer's first message created no task");
  }
  return absl::OkStatus();
}

absl::Status Replication::FinishHandling(uint64_t task_id) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || !it->second.live) return absl::OkStatus();
  // Copies: the engine's listener changes tasks_ during the calls below.
  const TaskState task = it->second;
  const ChannelPlan& channel = plan_.channels[task.channel];
  const std::string& agent = agents_[task.agent].id;
  const double u = outcome_rng_.Uniform();
  if (u < channel.transfer_probability) {
    TransferTarget target;
    target.queue = channel.transfer_queue;
    absl::StatusOr<TaskId> next =
        engine_->TransferTask(kTenant, TaskId(task_id), target, Actor::Agent(agent));
    return next.ok() ? absl::OkStatus() : EngineError("TransferTask", next.status());
  }
  if (u < channel.transfer_probability + channel.handoff_probability) {
    absl::Status s = engine_->Handoff(kTenant, ConversationId(task.conversation),
                                      channel.handoff_to, "simulated handoff",
                                      Actor::Agent(agent));
    return s.ok() ? s : EngineError("Handoff", s);
  }
  absl::Status s = engine_->CompleteTask(kTenant, TaskId(task_id), agent);
  return s.ok() ? s : EngineError("CompleteTask", s);
}

absl::Status Replication::RunOutOfPatience(uint64_t task_id) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.answered || !it->second.live) return absl::OkStatus();
  absl::Status s = engine_->AbandonTask(kTenant, TaskId(task_id));
  return s.ok() ? s : EngineError("AbandonTask", s);
}

void Replication::OnCommit(absl::Span<const v1::Event> events) {
  tally_.engine_events += static_cast<int64_t>(events.size());
  for (const v1::Event& e : events) {
    switch (e.payload_case()) {
      case v1::Event::kTaskCreated:
        OnTaskCreated(e.task_created(), TimeOf(e.time()));
        break;
      case v1::Event::kTaskAssigned:
        OnTaskAssigned(e.task_assigned(), TimeOf(e.time()));
        break;
      case v1::Event::kTaskEnded:
        OnTaskEnded(e.task_ended(), TimeOf(e.time()));
        break;
      case v1::Event::kWrapUpEnded:
        if (auto it = tasks_.find(e.wrap_up_ended().task_id()); it != tasks_.end()) {
          ReleaseUnits(it->second, TimeOf(e.time()));
          tasks_.erase(it);
        }
        break;
      case v1::Event::kTaskCancelled:
        OnTaskCancelled(e.task_cancelled(), TimeOf(e.time()));
        break;
      default:
        break;
    }
  }
  for (uint64_t id : touched_) {
    auto it = conversations_.find(id);
    if (it != conversations_.end() && it->second.live_tasks == 0) {
      Finish(it->second);
      conversations_.erase(it);
    }
  }
  touched_.clear();
}

void Replication::OnTaskCreated(const v1::TaskCreated& e, absl::Time now) {
  auto [conversation_it, opened] = conversations_.try_emplace(e.conversation_id());
  ConversationState& conversation = conversation_it->second;
  if (opened) {
    conversation.measured = arrival_measured_;
    conversation.first_task = e.task_id();
    if (conversation.measured) {
      ++measured_open_;
      ++tally_.conversations.offered;
      ++tally_.conversations.first_response.offered;
    }
  }
  if (e.queue_id().empty()) unrouted_ = e.channel();
  ++conversation.live_tasks;
  TaskState& task = tasks_[e.task_id()];
  task.conversation = e.conversation_id();
  task.channel = e.channel();
  task.reason = e.reason();
  task.created = now;
  task.measured = conversation.measured;
  if (task.measured) {
    ChannelTally& channel = tally_.channels[task.channel];
    ++channel.tasks.offered;
    if (task.reason == v1::TASK_REASON_HANDOFF) ++channel.handoffs_in;
  }
  const absl::Duration patience = plan_.channels[task.channel].mean_patience;
  if (patience > absl::ZeroDuration()) {
    Schedule(now + patience_rng_.Exponential(patience), Kind::kPatience, e.task_id());
  }
}

void Replication::OnTaskAssigned(const v1::TaskAssigned& e, absl::Time now) {
  auto task_it = tasks_.find(e.task_id());
  auto agent_it = agent_index_.find(e.agent_id());
  if (task_it == tasks_.end() || agent_it == agent_index_.end()) return;
  TaskState& task = task_it->second;
  const int agent = agent_it->second;
  const int group = agents_[agent].group;
  task.answered = true;
  task.agent = agent;
  task.assigned = now;
  task.units = plan_.groups[group].units[task.channel];
  tally_.channels[task.channel].busy.Change(now, task.units, window_start_, window_end_);
  tally_.groups[group].busy.Change(now, task.units, window_start_, window_end_);
  if (now >= window_start_ && now < window_end_) ++tally_.groups[group].assignments;

  ConversationState& conversation = conversations_[task.conversation];
  const absl::Duration wait = now - task.created;
  if (task.measured) {
    ChannelTally& channel = tally_.channels[task.channel];
    channel.tasks.Answer(wait, plan_.service_level_threshold);
    if (task.reason == v1::TASK_REASON_HANDOFF) {
      ++channel.handoffs_in_answered;
      if (agent == conversation.last_agent) ++channel.handoffs_same_agent;
    }
    if (e.task_id() == conversation.first_task) {
      tally_.conversations.first_response.Answer(wait, plan_.service_level_threshold);
    }
  }
  if (conversation.last_agent >= 0 && conversation.last_agent != agent) {
    conversation.single_agent = false;
  }
  conversation.last_agent = agent;
  ++conversation.assignments;
  conversation.total_wait += wait;
  if (wait > absl::ZeroDuration()) conversation.waited = true;

  const ChannelPlan& plan = plan_.channels[task.channel];
  const absl::Duration handle = plan.lognormal
                                    ? handle_rng_.Lognormal(plan.mean_handle_time,
                                                            plan.handle_time_stddev)
                                    : handle_rng_.Exponential(plan.mean_handle_time);
  Schedule(now + handle, Kind::kHandlingDone, e.task_id());
}

void Replication::OnTaskEnded(const v1::TaskEnded& e, absl::Time now) {
  auto it = tasks_.find(e.task_id());
  if (it == tasks_.end()) return;
  TaskState& task = it->second;
  task.live = false;
  ConversationState& conversation = conversations_[task.conversation];
  --conversation.live_tasks;
  touched_.push_back(task.conversation);
  if (task.measured) {
    ChannelTally& channel = tally_.channels[task.channel];
    ++channel.handled;
    channel.handle_time += now - task.assigned;
    if (e.end() == v1::TASK_END_TRANSFERRED) {
      ++channel.transfers;
      ++tally_.conversations.transfers;
    } else if (e.end() == v1::TASK_END_HANDED_OFF) {
      ++channel.handoffs_out;
      ++tally_.conversations.handoffs;
    }
  }
  if (!e.has_wrap_up_until()) {
    ReleaseUnits(task, now);
    tasks_.erase(it);
  }
}

void Replication::OnTaskCancelled(const v1::TaskCancelled& e, absl::Time now) {
  auto it = tasks_.find(e.task_id());
  if (it == tasks_.end()) return;
  TaskState& task = it->second;
  ConversationState& conversation = conversations_[task.conversation];
  if (task.live) {
    --conversation.live_tasks;
    touched_.push_back(task.conversation);
  }
  const bool abandoned = e.reason() == v1::CANCEL_REASON_ABANDONED;
  if (task.measured && !task.answered) {
    WaitTally& tasks = tally_.channels[task.channel].tasks;
    if (abandoned) {
      tasks.Abandon(now - task.created);
      if (e.task_id() == conversation.first_task) {
        tally_.conversations.first_response.Abandon(now - task.created);
      }
    } else {
      // Withdrawn by routing itself (the work moved on): neither answered
      // nor given up, so not counted as offered either.
      --tasks.offered;
    }
  }
  if (abandoned) {
    conversation.abandoned = true;
    conversation.waited = true;
    conversation.total_wait += now - task.created;
  }
  ReleaseUnits(task, now);
  tasks_.erase(it);
}

void Replication::ReleaseUnits(TaskState& task, absl::Time now) {
  if (task.units == 0) return;
  tally_.channels[task.channel].busy.Change(now, -task.units, window_start_, window_end_);
  tally_.groups[agents_[task.agent].group].busy.Change(now, -task.units, window_start_,
                                                       window_end_);
  task.units = 0;
}

void Replication::Finish(ConversationState& conversation) {
  if (!conversation.measured) return;
  --measured_open_;
  ConversationTally& t = tally_.conversations;
  if (conversation.abandoned) {
    ++t.abandoned;
  } else {
    ++t.completed;
    if (conversation.assignments > 1) {
      ++t.multi_assignment;
      if (conversation.single_agent) ++t.single_agent;
    }
  }
  t.total_wait += conversation.total_wait;
  if (conversation.waited) ++t.any_wait;
}

void Replication::CountUnresolved() {
  for (const auto& [id, conversation] : conversations_) {
    if (conversation.measured) ++tally_.conversations.unresolved;
  }
  for (const auto& [id, task] : tasks_) {
    if (!task.measured || !task.live || task.answered) continue;
    ++tally_.channels[task.channel].tasks.unresolved;
    auto it = conversations_.find(task.conversation);
    if (it != conversations_.end() && it->second.first_task == id) {
      ++tally_.conversations.first_response.unresolved;
    }
  }
}


}  // namespace omniroute::sim
