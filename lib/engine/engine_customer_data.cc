// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A customer's data as a whole: Engine::EraseCustomer (the CustomerErased
// command, then the redaction of the store; see engine.h, "Erasure") and
// Engine::ExportCustomerRecords.

#include <optional>
#include <string>
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

// What the store must redact for the CustomerErased event `event`: what the
// event names.
EventStore::CustomerRedaction RedactionOfEvent(const ::omniroute::v1::Event& event) {
  EventStore::CustomerRedaction redaction;
  const auto& e = event.customer_erased();
  redaction.customers.push_back(CustomerId(e.customer_id()));
  for (uint64_t id : e.erased_with_customer_ids()) redaction.customers.push_back(CustomerId(id));
  for (uint64_t id : e.conversation_ids()) redaction.conversations.push_back(ConversationId(id));
  redaction.erased_at_sequence = event.sequence();
  return redaction;
}

// Adds to `redaction` the conversations of its customers that left memory:
// the store's archive knows them.
absl::Status AddArchivedConversations(const EventStore& store, absl::string_view tenant_id,
                                      EventStore::CustomerRedaction& redaction) {
  ConversationId after;
  while (true) {
    absl::StatusOr<std::vector<ConversationId>> archived =
        store.ListArchivedConversations(tenant_id, redaction.customers, after, kMaxPageSize);
    if (!archived.ok()) return archived.status();
    redaction.conversations.insert(redaction.conversations.end(), archived->begin(),
                                   archived->end());
    if (archived->size() < static_cast<size_t>(kMaxPageSize)) return absl::OkStatus();
    after = archived->back();
  }
}

}  // namespace

absl::Status Engine::EraseCustomer(absl::string_view tenant_id, CustomerId customer,
                                   const Actor& actor, const Caller& caller) {
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
        tenant::RecordCaller(caller, absl::MakeSpan(*events));
        return Erasure{};
      },
      [&](Erasure& result, const Events& events, absl::Span<const TaskId>,
          const tenant::TenantState& state) {
        for (const ::omniroute::v1::Event& event : events) {
          if (!event.has_customer_erased()) continue;
          result.redaction = RedactionOfEvent(event);
          return;
        }
        // Erased before: the redaction is run again (it is idempotent), in
        // case the one of the first call failed.
        result.redaction = RedactionOfErased(state, customer);
      });
  if (!erased.ok()) return erased.status();
  // Their conversations that left memory are redacted too.
  if (absl::Status s = AddArchivedConversations(impl_->store(), tenant_id, erased->redaction);
      !s.ok()) {
    return s;
  }
  // The event is durable: whatever happens now, the customer is erased in
  // the log, and a retry (or the next start-up) redacts what is left.
  return impl_->RedactErasedCustomer(tenant_id, erased->redaction);
}

absl::Status Engine::FinishInterruptedErasures() {
  for (const std::string& tenant_id : ListTenants()) {
    if (absl::Status s = FinishInterruptedErasuresOf(tenant_id); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Engine::FinishInterruptedErasuresOf(absl::string_view tenant_id) {
  const EventStore& store = impl_->store();
  {
    absl::StatusOr<std::vector<uint64_t>> pending = store.ListUnredactedErasures(tenant_id);
    if (!pending.ok()) return pending.status();
    for (uint64_t sequence : *pending) {
      std::optional<::omniroute::v1::Event> erased;
      absl::Status read = store.Read(tenant_id, sequence, [&](const ::omniroute::v1::Event& e) {
        erased = e;
        return false;
      });
      if (!read.ok()) return read;
      if (!erased.has_value() || erased->sequence() != sequence || !erased->has_customer_erased()) {
        return absl::DataLossError(absl::StrCat(
            "tenant ", tenant_id, ": the store lists event ", sequence,
            " as an erasure to redact, but it is not a CustomerErased event"));
      }
      EventStore::CustomerRedaction redaction = RedactionOfEvent(*erased);
      absl::Status s = AddArchivedConversations(store, tenant_id, redaction);
      if (s.ok()) s = impl_->RedactErasedCustomer(tenant_id, redaction);
      if (!s.ok()) {
        return absl::Status(
            s.code(), absl::StrCat("tenant ", tenant_id, ": finishing the erasure of customer ",
                                   erased->customer_erased().customer_id(), " (event ", sequence,
                                   "): ", s.message()));
      }
    }
  }
  return absl::OkStatus();
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
