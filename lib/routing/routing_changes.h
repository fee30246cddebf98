// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What applying routing events changed that someone must look at again: the
// tasks and agents that may have a new match (the router's dispatch,
// lib/routing/router.h) and the tasks created (the engine answers with
// them). Applying an event returns these as a value; they are never part of
// the state, so a replay, which has no router, simply drops them.
//
// Thread-compatible: a plain value.

#ifndef OMNIROUTE_LIB_ROUTING_ROUTING_CHANGES_H_
#define OMNIROUTE_LIB_ROUTING_ROUTING_CHANGES_H_

#include <cstdint>
#include <vector>

#include "absl/container/btree_set.h"
#include "omniroute/ids.h"

namespace omniroute::routing {

struct RoutingChanges {
  // Task ids that started waiting (created, declined, expired, withdrawn,
  // released, expanded, or their queue or the settings changed), in id
  // order: dispatch looks at them first, oldest first.
  absl::btree_set<uint64_t> tasks;
  // Agent numbers (AgentState::number) that gained capacity, became
  // available or were (re)configured.
  absl::btree_set<uint64_t> agents;
  // Tasks created, in the order of their TaskCreated events.
  std::vector<TaskId> created;

  // Adds `other`'s entries to these.
  void Merge(RoutingChanges&& other) {
    tasks.merge(other.tasks);
    agents.merge(other.agents);
    created.insert(created.end(), other.created.begin(), other.created.end());
  }
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ROUTING_CHANGES_H_
