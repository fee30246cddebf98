// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Copies of the state for readers (include/omniroute/conversation.h), and a
// canonical dump of the core's state.

#ifndef OMNIROUTE_LIB_CORE_VIEWS_H_
#define OMNIROUTE_LIB_CORE_VIEWS_H_

#include <string>
#include <vector>

#include "core/core_state.h"
#include "omniroute/conversation.h"

namespace omniroute::core {

CustomerView ToView(const CustomerState& customer);
// A conversation that absorbed others shows the earliest clocks and every
// handoff of them all.
ConversationView ToView(const CoreState& state, const ConversationState& conversation);

// Every customer, identity, merge record, conversation and message in id
// order, one per line; equal states give equal text. The tenant's dump
// (lib/tenant/state_dump.h) puts it between its own first line and
// routing's.
std::string DumpState(const CoreState& state);

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_VIEWS_H_
