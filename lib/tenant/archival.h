// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Closed conversations leaving the working set (ConversationArchived).
// Closing is final (no command takes a closed conversation), so once its
// retention (TenantOptions::closed_retention) has passed nothing in memory
// needs it: the event carries its records to the store, which serves reads
// of it from then on, and applying the event frees it with its messages,
// tasks and commitments.

#ifndef OMNIROUTE_LIB_TENANT_ARCHIVAL_H_
#define OMNIROUTE_LIB_TENANT_ARCHIVAL_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "tenant/tenant_state.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::tenant {

// One ConversationArchived for each closed conversation whose retention has
// passed at `now`, oldest closure first, at most `limit`. A conversation
// routing still holds (a task not ended, a commitment open), an active
// merge names, an unmerge would give back, or that holds a conversation of
// another customer waits. Returns how many were decided; changes nothing.
int DecideArchival(const TenantState& state, absl::Time now, int limit,
                   std::vector<::omniroute::v1::Event>* events);

// When the next closed conversation is due to leave; nullopt if none can now.
std::optional<absl::Time> NextArchival(const TenantState& state);

}  // namespace omniroute::tenant

#endif  // OMNIROUTE_LIB_TENANT_ARCHIVAL_H_
