// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/routed_work.h"

namespace omniroute::routing {

bool RoutedWorkOf::HasLiveTaskOn(ConversationId conversation, Channel channel) const {
  const ConversationRoutingState* r = routing_.conversation(conversation);
  if (r == nullptr) return false;
  for (TaskId id : r->tasks) {
    const TaskState* t = routing_.task(id);
    if (t->live() && t->channel == channel) return true;
  }
  return false;
}

TaskId RoutedWorkOf::FirstLiveTask(ConversationId conversation) const {
  const ConversationRoutingState* r = routing_.conversation(conversation);
  if (r == nullptr) return TaskId();
  for (TaskId id : r->tasks) {
    if (routing_.task(id)->live()) return id;
  }
  return TaskId();
}

CommitmentId RoutedWorkOf::FirstOpenCommitment(ConversationId conversation) const {
  const ConversationRoutingState* r = routing_.conversation(conversation);
  if (r == nullptr) return CommitmentId();
  for (CommitmentId id : r->commitments) {
    if (routing_.commitment(id)->open()) return id;
  }
  return CommitmentId();
}

}  // namespace omniroute::routing
