// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The events that create, offer and cancel tasks, shared by the commands
// and the router: which queue a task goes to (the routing rules), its
// priority points, its preferred agent and first-response target.

#ifndef OMNIROUTE_LIB_ROUTING_TASK_BUILDER_H_
#define OMNIROUTE_LIB_ROUTING_TASK_BUILDER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "omniroute/ids.h"
#include "omniroute/routing.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"
#include "routing/router.h"
#include "routing/routing_state.h"

namespace omniroute::routing {

struct TaskSpec {
  ConversationId conversation;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  TaskReason reason = ::omniroute::v1::TASK_REASON_UNSPECIFIED;
  // What the routing rules look at besides the channel and the customer.
  std::vector<std::string> tags;
  Visibility visibility = ::omniroute::v1::VISIBILITY_UNSPECIFIED;
  // Held for them (if they are a registered agent) for the channel's
  // preferred-agent wait.
  std::string preferred_agent;
  // Empty: the routing rules choose.
  std::string queue;
  // Unset: the queue's target, or the conversation's unanswered clock.
  std::optional<absl::Time> first_response_due;
  bool no_first_response_due = false;
  CommitmentId commitment;
  TaskId previous;
};

// The queue the routing rules choose for a task (first matching rule whose
// queue serves the channel, then the default queue); empty if none.
std::string ChooseQueue(const core::CoreState& core, const RoutingState& routing,
                        const TaskSpec& spec);

// Queue base + tier + bounded public boost.
int64_t PriorityPoints(const core::CoreState& core, const RoutingState& routing,
                       const std::string& queue, const TaskSpec& spec);

// Appends a TaskCreated and returns its id (the next one, counting the
// TaskCreated events already in `events`).
TaskId AppendTask(const core::CoreState& core, const RoutingState& routing, const TaskSpec& spec,
                  absl::Time now, Events* events);

// Appends the withdrawal of the offer (if offered) and the cancellation of a
// waiting or offered task.
void AppendCancel(const TaskState& task, CancelReason reason, Events* events);

// Appends the offer of `task` to `agent`, or its assignment when the queue
// accepts on the agent's behalf.
void AppendOffer(const RoutingState& routing, const TaskState& task, const AgentState& agent,
                 absl::Time now, Events* events);

// Whether `agent` can take `task` now, skills aside (a preferred agent is
// chosen for who they are): available, serving the channel, with room, no
// exclusive channel active, not excluded.
bool CanTakeHeld(const AgentState& agent, const TaskState& task);

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_TASK_BUILDER_H_
