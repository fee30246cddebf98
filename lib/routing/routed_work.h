// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing's answer to the core's questions about routed work
// (lib/core/routed_work.h), read from a routing state.
//
// Thread-compatible: reads `routing`, which the caller serializes.

#ifndef OMNIROUTE_LIB_ROUTING_ROUTED_WORK_H_
#define OMNIROUTE_LIB_ROUTING_ROUTED_WORK_H_

#include "core/routed_work.h"
#include "routing/routing_state.h"

namespace omniroute::routing {

class RoutedWorkOf final : public core::RoutedWork {
 public:
  // `routing` must outlive this object.
  explicit RoutedWorkOf(const RoutingState& routing) : routing_(routing) {}

  bool HasLiveTaskOn(ConversationId conversation, Channel channel) const override;
  TaskId FirstLiveTask(ConversationId conversation) const override;
  CommitmentId FirstOpenCommitment(ConversationId conversation) const override;

 private:
  const RoutingState& routing_;
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ROUTED_WORK_H_
