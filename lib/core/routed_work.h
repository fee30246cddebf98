// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What the core's commands need to know of the work routed for
// conversations. Routing sits above the core (lib/routing/), so the core
// asks through this interface and routing answers it
// (lib/routing/routed_work.h), the way the store answers MessageLookup.
//
// Thread-compatible: implementations read a state the caller serializes.

#ifndef OMNIROUTE_LIB_CORE_ROUTED_WORK_H_
#define OMNIROUTE_LIB_CORE_ROUTED_WORK_H_

#include "omniroute/ids.h"
#include "omniroute/types.h"

namespace omniroute::core {

class RoutedWork {
 public:
  virtual ~RoutedWork() = default;

  // Whether a live task (waiting, offered or assigned) of `conversation` is
  // on `channel`.
  virtual bool HasLiveTaskOn(ConversationId conversation, Channel channel) const = 0;
  // The first live task of `conversation` in creation order; invalid if
  // none.
  virtual TaskId FirstLiveTask(ConversationId conversation) const = 0;
  // The first open commitment of `conversation` in recording order; invalid
  // if none.
  virtual CommitmentId FirstOpenCommitment(ConversationId conversation) const = 0;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_ROUTED_WORK_H_
