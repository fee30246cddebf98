// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing: agents, queues, rules, tasks, offers and commitments, as the
// engine's callers configure and see them (include/omniroute/engine.h has
// the calls). Plain values; each field says its default. Enums come from
// proto/omniroute/v1/routing.proto so the library, the event log and the
// API share one definition.
//
// How work flows. A customer's message that needs an answer, a handoff, a
// transfer, a commitment that falls due, a reopen or a public loop to close
// creates a task for the conversation on a channel. Routing rules choose its
// queue. The task is held for its preferred agent (the conversation's owner,
// or a named agent) for a bounded time, then waits in the queue, ordered by
// effective priority (points and waiting time) and arrival. It is offered to
// one eligible agent at a time; an accepted offer is an assignment, a
// declined or expired one re-routes the task without that agent. When the
// agent is done, the task's capacity stays in use for the wrap-up time.
//
// The rules, precisely:
//   - An inbound message creates a task unless the conversation already has
//     a live task (waiting, offered or assigned) on the message's channel.
//     A live task of the conversation on another channel that is still
//     waiting or offered is cancelled (HANDED_OFF): the work follows the
//     customer. The new task prefers the conversation's owner (the agent of
//     its latest assignment), if any.
//   - Engine::Handoff ends the conversation's assigned task on the old
//     channel (TASK_END_HANDED_OFF, no wrap-up), cancels waiting ones, and
//     creates a HANDOFF task on the new channel preferring the owner. When
//     the owner can take it at once it is assigned to them directly
//     (automatic); otherwise it is held for them for the channel's
//     preferred-agent wait, then falls back to its queue.
//   - A task held for its preferred agent is offered only to them; it is
//     released to its queue (TaskReleased) when the wait ends or when the
//     preferred agent declines or lets the offer expire.
//   - An offer reserves the task's capacity on the agent until it is
//     answered. One offer per task at a time.
//   - Priority: points = queue base + tier * tier_points + (public channels
//     only) min(max_public_boost, reach_points_per_decade * log10(reach))
//     + escalations. Waiting tasks are ordered by points * aging_per_point
//     - creation time (so one point is worth aging_per_point of waiting),
//     then by creation order: FIFO among equals.
//   - Timers: offer expiry, preferred-agent wait, expansion steps, the
//     first-response target (a waiting task whose conversation has not been
//     answered by then gains sla_breach_points once), commitments (due and
//     deadline), wrap-up end. All run on the engine's clock when
//     Engine::RunDueTimers is called.
//   - A resolved conversation that began in public, and whose latest
//     channel is private, gets a CLOSE_PUBLIC_LOOP task on the public
//     channel preferring the owner (TenantOptions::close_public_loop).
//   - Closing or merging a conversation cancels its tasks that are not
//     assigned (CONVERSATION_ENDED); a resolved conversation keeps its
//     assigned tasks until their agents complete them.

#ifndef OMNIROUTE_ROUTING_H_
#define OMNIROUTE_ROUTING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "omniroute/ids.h"
#include "omniroute/types.h"
#include "omniroute/v1/routing.pb.h"

namespace omniroute {

using AgentPresence = ::omniroute::v1::AgentPresence;
using SelectionStrategy = ::omniroute::v1::SelectionStrategy;
using TaskReason = ::omniroute::v1::TaskReason;
using TaskStatus = ::omniroute::v1::TaskStatus;
using TaskEnd = ::omniroute::v1::TaskEnd;
using CancelReason = ::omniroute::v1::CancelReason;
using CommitmentKind = ::omniroute::v1::CommitmentKind;
using CommitmentStatus = ::omniroute::v1::CommitmentStatus;

// Longest agent, queue, skill, rule or tag name accepted, in bytes.
inline constexpr size_t kMaxRoutingNameBytes = 64;
// Skill levels run from 1 to 10.
inline constexpr int kMinSkillLevel = 1;
inline constexpr int kMaxSkillLevel = 10;
// Most capacity units one agent may have.
inline constexpr int kMaxAgentCapacity = 1000;

// A skill and a level: what an agent has, or the least a queue needs.
struct Skill {
  std::string name;
  int level = kMinSkillLevel;
};

struct AgentConfig {
  // Chosen by the integrator (their own user id): 1 to 64 characters of
  // [A-Za-z0-9._@-]. Required.
  std::string id;
  std::string display_name;
  // At most one entry per skill name.
  std::vector<Skill> skills;
  // Channels the agent serves; at least one.
  std::vector<Channel> channels;
  // Capacity units in total, 0 to kMaxAgentCapacity. Default 4: one call,
  // or two chats, or four asynchronous conversations.
  int capacity = 4;
  // Units one task of a channel takes, 1 or more; channels not listed cost
  // TraitsOf(channel).capacity_cost.
  absl::flat_hash_map<Channel, int> channel_costs;
  // While the agent has an active task on one of these, they take nothing
  // else. Default: voice.
  std::vector<Channel> exclusive_channels = {::omniroute::v1::CHANNEL_VOICE};
  // After a task is done its capacity stays in use this long (notes,
  // follow-up). Default 0, at most 1 hour.
  absl::Duration wrap_up = absl::ZeroDuration();
};

// A widening of a queue once a task has waited `after` in it.
struct ExpansionStep {
  absl::Duration after;
  // Lowers every required skill level by this much (never below 1)...
  int relax_levels = 0;
  // ...or, when set, moves the task to this queue. Exactly one of the two.
  std::string overflow_queue;
};

struct QueueConfig {
  // 1 to 64 characters of [A-Za-z0-9._-]. Required.
  std::string id;
  std::string display_name;
  // At most one entry per skill name.
  std::vector<Skill> required_skills;
  // Channels whose tasks the queue takes; at least one.
  std::vector<Channel> channels;
  // Added to every task's priority points, -1000 to 1000. Default 0.
  int base_priority = 0;
  // First-response target of the queue's tasks. Default 0: the
  // conversation's own (TenantOptions::first_response_targets).
  absl::Duration first_response_target = absl::ZeroDuration();
  // Default: longest idle.
  SelectionStrategy strategy = ::omniroute::v1::SELECTION_STRATEGY_LONGEST_IDLE;
  // Offers are accepted on the agent's behalf. Default false.
  bool auto_accept = false;
  // How long an agent has to answer an offer. Default 0: the tenant's
  // RoutingSettings::default_offer_timeout.
  absl::Duration offer_timeout = absl::ZeroDuration();
  // In strictly increasing `after` order; an overflow must not lead back to
  // this queue, directly or through other queues.
  std::vector<ExpansionStep> expansion_steps;
};

// Maps a task to a queue. Every condition that is set must hold.
struct RoutingRule {
  std::string name;
  // Empty: any channel.
  std::vector<Channel> channels;
  // Empty: any language (the customer's).
  std::string language;
  // Each of these must be among the message's tags.
  std::vector<std::string> tags;
  // The customer's tier is at least this.
  int min_tier = 0;
  // UNSPECIFIED: public or private.
  Visibility visibility = ::omniroute::v1::VISIBILITY_UNSPECIFIED;
  // Required; must exist.
  std::string queue;
};

struct RoutingSettings {
  // Tried in order; the first that matches chooses the queue.
  std::vector<RoutingRule> rules;
  // Where a task goes when no rule matches. Default empty: the task waits,
  // unrouted, until it is transferred to a queue.
  std::string default_queue;
  // Priority points per customer tier. Default 10.
  int tier_points = 10;
  // Points per factor of ten of a public post author's reach (1,000
  // followers: 3 decades). Default 5...
  int reach_points_per_decade = 5;
  // ...and never more than this, so that private channels are not starved.
  // Default 20.
  int max_public_boost = 20;
  // Added to a task whose first-response target passed. Default 50.
  int sla_breach_points = 50;
  // Added to a commitment's task when the commitment is missed. Default 100.
  int missed_commitment_points = 100;
  // One priority point is worth this much waiting. Default 6 seconds: a
  // task with 10 points fewer overtakes after one more minute of waiting.
  absl::Duration aging_per_point = absl::Seconds(6);
  // How long an agent has to answer an offer. Default 30 seconds.
  absl::Duration default_offer_timeout = absl::Seconds(30);
  // This many expired offers in a row set the agent AWAY. Default 3; 0:
  // never.
  int max_consecutive_expiries = 3;
  // How long a task is held for its preferred agent before it falls back to
  // its queue. Default: 30 seconds for voice and chat, 10 minutes for the
  // asynchronous channels; per channel here.
  absl::flat_hash_map<Channel, absl::Duration> preferred_agent_waits;
  // The wait of the channels not listed above. Default: none, and the
  // built-in waits apply.
  std::optional<absl::Duration> default_preferred_agent_wait;

  absl::Duration PreferredAgentWait(Channel channel) const;
};

// ---------------------------------------------------------------- views

struct OfferView {
  std::string agent;
  absl::Time offered_at;
  absl::Time expires_at;
};

// How much longer a waiting task is expected to wait.
//
// The method: a queue drains at the rate its agents answered tasks of the
// same channel over the last 15 minutes (the minutes with activity, at least
// one), so the task at `position` waits about position / rate. Unknown
// (`wait` unset) while fewer than kMinAnswersForWaitEstimate answers back
// the rate, or when no signed-in agent serves the queue and channel: the
// past rate says nothing then.
struct WaitEstimate {
  // 1 for the task that is next among the queue's waiting tasks of its
  // channel. 0 when the task does not wait in a queue (held for its
  // preferred agent, unrouted, offered, assigned, ended).
  int position = 0;
  std::optional<absl::Duration> wait;
  // The answers the rate rests on, and the span they were counted over.
  int64_t answers = 0;
  absl::Duration span = absl::ZeroDuration();
};

// Answers the estimated wait needs before it is given.
inline constexpr int kMinAnswersForWaitEstimate = 3;

struct TaskView {
  TaskId id;
  ConversationId conversation;
  // Empty while unrouted.
  std::string queue;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  TaskReason reason = ::omniroute::v1::TASK_REASON_UNSPECIFIED;
  TaskStatus status = ::omniroute::v1::TASK_STATUS_UNSPECIFIED;
  absl::Time created_at;
  // Points (queue base, tier, public boost, escalations); the effective
  // priority also counts waiting time (RoutingSettings::aging_per_point).
  int64_t priority_points = 0;
  std::optional<absl::Time> first_response_due;
  std::string preferred_agent;
  // Held for the preferred agent until then.
  std::optional<absl::Time> preferred_until;
  // Set while OFFERED.
  std::optional<OfferView> offer;
  // The agent working on it (ASSIGNED) or who did (COMPLETED).
  std::string agent;
  // Agents who declined it or let an offer expire: never offered it again.
  std::vector<std::string> excluded_agents;
  // Expansion steps reached so far.
  int expansion_step = 0;
  std::optional<CommitmentId> commitment;
  std::optional<TaskId> previous_task;
  // How it ended, once COMPLETED or CANCELLED.
  TaskEnd end = ::omniroute::v1::TASK_END_UNSPECIFIED;
  CancelReason cancel_reason = ::omniroute::v1::CANCEL_REASON_UNSPECIFIED;
  // Set while WAITING in a queue, as of the read (Engine::GetTask).
  std::optional<WaitEstimate> wait_estimate;
};

struct AgentView {
  AgentConfig config;
  AgentPresence presence = ::omniroute::v1::AGENT_PRESENCE_OFFLINE;
  // Capacity units in use: offered, assigned and wrapping-up tasks.
  int load = 0;
  std::vector<TaskId> offered_tasks;
  std::vector<TaskId> assigned_tasks;
  std::vector<TaskId> wrapping_up_tasks;
  int consecutive_expiries = 0;
  // When their last task ended; nullopt if they have had none.
  std::optional<absl::Time> last_assignment_end;
};

struct QueueStats {
  std::string queue;
  int waiting = 0;
  int offered = 0;
  int assigned = 0;
  // Every task that entered the queue, and how they left it.
  int64_t entered = 0;
  int64_t assigned_total = 0;
  int64_t cancelled_total = 0;
  // Assignments made within the task's first-response target.
  int64_t assigned_within_target = 0;
  // When the oldest waiting task was created; nullopt if none waits.
  std::optional<absl::Time> oldest_waiting_since;
  // Eligible-agent count is not a statistic: it changes with every offer.
};

// A queue's activity over a sliding window of whole minutes: the current
// minute and the ones before it (so "15 minutes" covers 14 to 15). Kept for
// the last hour of event time; the same after a restart or a replay.
struct WindowFigures {
  absl::Duration window;
  // Tasks that entered the queue (created in it, or moved to it by an
  // overflow step or a transfer).
  int64_t offered = 0;
  // Assigned to an agent; and within the task's first-response target.
  int64_t answered = 0;
  int64_t answered_within_target = 0;
  // Cancelled while waiting because the customer gave up (AbandonTask).
  int64_t abandoned = 0;
  // Assigned tasks finished, wrap-up included.
  int64_t handled = 0;
  // Unset when there is nothing to average or divide.
  // Waiting time in the queue of the tasks answered.
  std::optional<absl::Duration> average_speed_of_answer;
  // answered_within_target / (answered + abandoned).
  std::optional<double> service_level;
  // Assignment to the end of wrap-up, of the tasks handled.
  std::optional<absl::Duration> average_handle_time;
};

// One channel of a queue.
struct ChannelStatistics {
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  int waiting = 0;
  std::optional<absl::Duration> longest_wait;
  WindowFigures last_15_minutes;
  WindowFigures last_60_minutes;
  // What a task entering the queue on this channel now would wait.
  WaitEstimate new_task_wait;
};

// A queue now and over the last 15 and 60 minutes (Engine::
// GetQueueStatistics).
struct QueueStatistics {
  std::string queue;
  // When the figures were read (the engine's clock).
  absl::Time at;
  // Tasks now: waiting (those held for their preferred agent included),
  // offered, assigned; how long the oldest waiting one has waited since it
  // was created.
  int waiting = 0;
  int offered = 0;
  int assigned = 0;
  std::optional<absl::Duration> longest_wait;
  // The agents who serve the queue (every required skill, a channel in
  // common) and are signed in, each in one state: busy (assigned work),
  // else wrapping up, else available (presence), else away (BUSY or AWAY).
  int agents_available = 0;
  int agents_busy = 0;
  int agents_wrapping_up = 0;
  int agents_away = 0;
  WindowFigures last_15_minutes;
  WindowFigures last_60_minutes;
  // The queue's channels, in configuration order.
  std::vector<ChannelStatistics> channels;
};

// An agent over the last 60 minutes (Engine::GetAgentStatistics).
struct AgentStatistics {
  std::string agent;
  AgentPresence presence = ::omniroute::v1::AGENT_PRESENCE_OFFLINE;
  absl::Time at;
  absl::Duration window;
  // Signed in (any presence but offline), and of that the time holding
  // assigned or wrapping-up work, within the window.
  absl::Duration staffed = absl::ZeroDuration();
  absl::Duration busy = absl::ZeroDuration();
  // busy / staffed; unset when not staffed in the window.
  std::optional<double> occupancy;
  int64_t handled = 0;
  std::optional<absl::Duration> average_handle_time;
};

// ---------------------------------------------------------------- reports

// Reports are cut in intervals of this length, aligned on the Unix epoch
// (so on the quarter hours of UTC).
inline constexpr absl::Duration kReportInterval = absl::Minutes(15);
// The longest span one report covers.
inline constexpr absl::Duration kMaxReportSpan = absl::Hours(24 * 31);
// How far before a report's start the log is read, so that the tasks
// answered or finished in the report know when they entered their queue and
// were assigned. A task created earlier than that is not counted.
inline constexpr absl::Duration kReportLookback = absl::Hours(24);

// One queue and channel over one interval, computed from the event log (the
// same after a restart or a replay). Each figure counts in the interval its
// event's time falls in.
struct IntervalFigures {
  absl::Time start;
  std::string queue;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  // Tasks that entered the queue (created in it, or moved to it by an
  // overflow step).
  int64_t offered = 0;
  // Assigned to an agent; within the task's first-response target.
  int64_t answered = 0;
  int64_t answered_within_target = 0;
  // Cancelled while waiting because the customer gave up.
  int64_t abandoned = 0;
  // Assigned tasks finished, wrap-up included.
  int64_t handled = 0;
  // Tasks that left the queue by a transfer, and with the customer for
  // another channel (a handoff), waiting or assigned.
  int64_t transferred = 0;
  int64_t handed_off = 0;
  // Answers of conversations answered before, and of those the answers by
  // the agent of the conversation's previous answer.
  int64_t repeat_answers = 0;
  int64_t same_agent_answers = 0;
  // Unset when there is nothing to average or divide.
  std::optional<absl::Duration> average_speed_of_answer;
  // answered_within_target / (answered + abandoned).
  std::optional<double> service_level;
  // Assignment to the end of wrap-up.
  std::optional<absl::Duration> average_handle_time;
  // same_agent_answers / repeat_answers.
  std::optional<double> same_agent_rate;
};

// Engine::GetIntervalReport.
struct IntervalReport {
  // The span covered: the request's, widened to whole intervals.
  absl::Time from;
  absl::Time to;
  // The intervals with activity, by start, then queue id, then channel.
  std::vector<IntervalFigures> rows;
  // Events read from the log (the lookback included), for the report's cost.
  int64_t events_read = 0;
};

// A tenant's routing at a glance: what a wallboard and the metrics show.
struct RoutingOverview {
  // Every queue, in configuration order.
  std::vector<QueueStats> queues;
  // Agents by presence, one entry per presence (unspecified excluded), in
  // the enum's order, zeros included.
  std::vector<std::pair<AgentPresence, int>> agents_by_presence;
  // Agents holding at least one assigned task, and agents wrapping up at
  // least one, whatever their presence.
  int agents_with_assigned_work = 0;
  int agents_wrapping_up = 0;
  // Offers made and not answered yet, across the queues.
  int offers_pending = 0;
};

// Routing figures of one conversation across all its channels.
struct ConversationRouting {
  ConversationId conversation;
  // The agent of its latest assignment (sticky routing prefers them).
  std::string owner;
  std::vector<TaskId> tasks;
  int transfers = 0;
  int handoffs = 0;
  // Distinct agents assigned over its life.
  int agents = 0;
  // Every assignment after the first went to the same agent.
  bool same_agent_throughout = true;
};

struct CommitmentRequest {
  ConversationId conversation;
  CommitmentKind kind = ::omniroute::v1::COMMITMENT_KIND_FOLLOW_UP;
  // What was promised, for the agent who keeps the promise. At most 1 KiB.
  std::string description;
  // When the work should be done; its task is created then. Required.
  absl::Time due_at = absl::InfinitePast();
  // When the promise is broken if not fulfilled. Default (InfinitePast):
  // due_at + 1 hour. Not before due_at.
  absl::Time deadline = absl::InfinitePast();
  // The channel of its task. Default: voice for a call-back, the
  // conversation's channel otherwise.
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  // Default empty: the routing rules choose.
  std::string queue;
  // Who promised; the task prefers them. Optional; must be a known agent.
  std::string agent;
  Actor actor;
};

struct CommitmentView {
  CommitmentId id;
  ConversationId conversation;
  CommitmentKind kind;
  std::string description;
  absl::Time due_at;
  absl::Time deadline;
  Channel channel;
  std::string queue;
  std::string agent;
  CommitmentStatus status = ::omniroute::v1::COMMITMENT_STATUS_UNSPECIFIED;
  // Set once due.
  std::optional<TaskId> task;
  // Its deadline passed before it was fulfilled (it may be fulfilled since).
  bool missed = false;
};

// Where TransferTask sends the work: a queue or a named agent (exactly one).
struct TransferTarget {
  std::string queue;
  std::string agent;
};

}  // namespace omniroute

#endif  // OMNIROUTE_ROUTING_H_
