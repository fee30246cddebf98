// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A customer's data export (Engine::ExportCustomer): what the working set
// knows of the customer, of those merged into it and of their conversations,
// then every message of those conversations, read page by page from the
// store's history, as JSON lines of omniroute.v1.CustomerExportRecord.

#ifndef OMNIROUTE_LIB_ENGINE_CUSTOMER_EXPORT_H_
#define OMNIROUTE_LIB_ENGINE_CUSTOMER_EXPORT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/core_state.h"
#include "omniroute/event_store.h"
#include "omniroute/ids.h"
#include "omniroute/v1/export.pb.h"

namespace omniroute::engine_internal {

// What the working set contributes, taken under the tenant's lock.
struct CustomerExportPlan {
  // The customer, then those merged into it.
  std::vector<::omniroute::v1::CustomerExportRecord> customers;
  struct Conversation {
    ::omniroute::v1::CustomerExportRecord record;
    // Whose messages follow it: invalid for a conversation merged into
    // another (its messages are that one's).
    ConversationId thread;
  };
  std::vector<Conversation> conversations;
  // Whose archived conversations (in the store) follow: the customer and
  // those merged into it; `holder` is the customer they belong to now.
  CustomerId holder;
  std::vector<CustomerId> archive_owners;
};

// The plan for `customer` (resolved through merges), which must exist.
CustomerExportPlan PlanCustomerExport(const core::CoreState& state, CustomerId customer);

// Writes the plan's records and the messages of its conversations from
// `store`, one JSON line each (without the newline). Stops at the first
// error of `write` or of the store and returns it.
absl::Status WriteCustomerExport(const EventStore& store, absl::string_view tenant_id,
                                 const CustomerExportPlan& plan,
                                 const std::function<absl::Status(absl::string_view)>& write);
// The same, passing each record itself rather than its JSON line.
absl::Status WriteCustomerExportRecords(
    const EventStore& store, absl::string_view tenant_id, const CustomerExportPlan& plan,
    const std::function<absl::Status(const ::omniroute::v1::CustomerExportRecord&)>& write);

}  // namespace omniroute::engine_internal

#endif  // OMNIROUTE_LIB_ENGINE_CUSTOMER_EXPORT_H_
