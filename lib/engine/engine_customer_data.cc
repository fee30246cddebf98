// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A customer's data as a whole: Engine::EraseCustomer (the CustomerErased
// command, then the redaction of the store; see engine.h, "Erasure") and
// Engine::ExportCustomerRecords.

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tenant_core.h"
#include "engine/customer_export.h"
#include "engine/engine_impl.h"
#include "omniroute/engine.h"
#include "routing/routed_work.h"
#include "tenant/tenant_state.h"

namespace omniroute {
namespace {

// What the store must redact for an erased customer, from the state: the
// customer the id resolves to and every erased customer merged into it, and
// their conversations. Used when the customer was erased before, so that a
// retry finishes a redaction that failed.
EventStore::CustomerRedaction RedactionOfErased(const tenant::TenantState& tenant,
                                                CustomerId customer) {
  const core::CoreState& state = tenant.core();
  EventStore::CustomerRedaction redaction;
  const CustomerId holder = state.Resolve(customer);
  for (const core::CustomerState& c : state.customers()) {
    if (!c.erased || state.Resolve(c.id) != holder) continue;
    redaction.customers.push_back(c.id);
    redaction.conversations.insert(redaction.conversations.end(), c.conversations.begin(),
                                   c.conversations.end());
  }
  redaction.erased_at_sequence = tenant.last_sequence();
  return redaction;
}

}  // namespace

absl::Status Engine::EraseCustomer(absl::string_view tenant_id, CustomerId customer,
                                   const Actor& actor) {
  struct Erasure {
    EventStore::CustomerRedaction redaction;
  };
  absl::StatusOr<Erasure> erased = impl_->Command<Erasure>(
      tenant_id,
      [&](const tenant::TenantState& state, absl::Time, Events* events) -> absl::StatusOr<Erasure> {
        const routing::RoutedWorkOf work(state.routing());
        if (absl::Status s =
                TenantCore(state.core()).DecideEraseCustomer(customer, actor, work, events);
            !s.ok()) {
          return s;
        }
        return Erasure{};
      },
      [&](Erasure& result, const Events& events, absl::Span<const TaskId>,
          const tenant::TenantState& state) {
        for (const ::omniroute::v1::Event& event : events) {
          if (!event.has_customer_erased()) continue;
          const auto& e = event.customer_erased();
          result.redaction.customers.push_back(CustomerId(e.customer_id()));
          for (uint64_t id : e.erased_with_customer_ids()) {
            result.redaction.customers.push_back(CustomerId(id));
          }
          for (uint64_t id : e.conversation_ids()) {
            result.redaction.conversations.push_back(ConversationId(id));
          }
          result.redaction.erased_at_sequence = event.sequence();
          return;
        }
        // Erased before: the redaction is run again (it is idempotent), in
        // case the one of the first call failed.
        result.redaction = RedactionOfErased(state, customer);
      });
  if (!erased.ok()) return erased.status();
  // Their conversations that left memory are redacted too: the store's
  // archive knows them.
  ConversationId after;
  while (true) {
    absl::StatusOr<std::vector<ConversationId>> archived =
        impl_->store().ListArchivedConversations(tenant_id, erased->redaction.customers, after,
                                                 kMaxPageSize);
    if (!archived.ok()) return archived.status();
    erased->redaction.conversations.insert(erased->redaction.conversations.end(),
                                           archived->begin(), archived->end());
    if (archived->size() < static_cast<size_t>(kMaxPageSize)) break;
    after = archived->back();
  }
  // The event is durable: whatever happens now, the customer is erased in
  // the log, and a retry redacts what is left.
  return impl_->RedactErasedCustomer(tenant_id, erased->redaction);
}

}  // namespace omniroute

namespace omniroute {

absl::Status Engine::ExportCustomerRecords(
    absl::string_view tenant_id, CustomerId customer,
    const std::function<absl::Status(const ::omniroute::v1::CustomerExportRecord&)>& write)
    const {
  absl::StatusOr<engine_internal::CustomerExportPlan> plan =
      impl_->Query<engine_internal::CustomerExportPlan>(
          tenant_id,
          [&](const tenant::TenantState& state)
              -> absl::StatusOr<engine_internal::CustomerExportPlan> {
            if (state.customer(customer) == nullptr) {
              return absl::NotFoundError(
                  absl::StrCat("customer: ", ToString(customer), " not found"));
            }
            return engine_internal::PlanCustomerExport(state.core(), customer);
          });
  if (!plan.ok()) return plan.status();
  return engine_internal::WriteCustomerExportRecords(impl_->store(), tenant_id, *plan, write);
}

}  // namespace omniroute
