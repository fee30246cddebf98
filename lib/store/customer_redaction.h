// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What EventStore::RedactCustomer rewrites, worked out once for every store:
// the stores differ only in how they write the rewritten events back.
//
// Finding the events. A customer's data is in two kinds of events:
//   - its customer events: CustomerCreated, IdentityLinked, CustomersMerged
//     and CustomerUnmerged that name one of the erased customers. They are
//     found by reading the tenant's log up to the erasure (a scan, off the
//     writer: erasures are rare, and a per-customer index would cost every
//     append a row for a request that comes once in a customer's life);
//   - its messages: every MessageRecorded of a message that is now in one of
//     the erased customers' conversations, found through the message index
//     (ReadConversationMessages).
//   - the archives of those conversations: the ConversationArchived event
//     of each one archived before the erasure (FindArchive), whose message
//     records keep their senders' fingerprints.
//
// Placeholders. An identity's value is replaced wherever it occurs in those
// events by the same placeholder, so that the redacted log replays to the
// same owners, merges and unmerges: the identities to replace are those
// linked (IdentityLinked) to one of the erased customers, the n-th one linked
// to customer c becoming "erased:<c>:<n>", kind and network kept. Identities
// of other customers that appear in these events (one merged into an erased
// customer and unmerged since) are left as they are: they are not the erased
// customers' data. A redacted event redacts to itself, so a redaction can be
// run again.
//
// Thread-safe: pure functions of their arguments and of what they read.

#ifndef OMNIROUTE_LIB_STORE_CUSTOMER_REDACTION_H_
#define OMNIROUTE_LIB_STORE_CUSTOMER_REDACTION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::store {

// The events to write back and the index rows to clear.
struct RedactionPlan {
  // The events whose redacted form differs from what is stored, redacted,
  // in sequence order.
  std::vector<::omniroute::v1::Event> events;
  // The messages whose external id and thread key are to be cleared in the
  // index (all the messages of the conversations).
  std::vector<uint64_t> message_ids;
};

// Reads `store` (the tenant's events up to the erasure, and the messages of
// the conversations) and returns what to rewrite. Returns the store's
// errors.
absl::StatusOr<RedactionPlan> PlanCustomerRedaction(
    const EventStore& store, absl::string_view tenant_id,
    const EventStore::CustomerRedaction& redaction);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_CUSTOMER_REDACTION_H_
