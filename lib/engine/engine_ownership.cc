// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine's part in a cluster (Engine::AdoptTenant, Engine::ReleaseTenant,
// and what a write refused for a lost lease does): tenants come and go
// while the engine runs, and a tenant that leaves keeps an empty object in
// the map (Tenant::released) so that no call that found it ever touches
// freed memory.

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/engine_impl.h"

namespace omniroute {

absl::Status Engine::Impl::AdoptTenant(absl::string_view tenant_id) {
  if (absl::Status s = ValidateTenantId(tenant_id); !s.ok()) return s;
  Tenant* tenant = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = tenants_.find(tenant_id); it != tenants_.end()) tenant = it->second.get();
  }
  std::unique_ptr<Tenant> fresh;
  if (tenant == nullptr) {
    fresh = std::make_unique<Tenant>(std::string(tenant_id), *store_);
    fresh->held = false;
    tenant = fresh.get();
  }
  absl::MutexLock lock(&tenant->mu);
  tenant->mu.Await(absl::Condition(&tenant->ready));
  if (fresh != nullptr) {
    absl::MutexLock engine_lock(&mu_);
    if (tenants_.contains(tenant_id)) {
      return absl::AbortedError(
          absl::StrCat("tenant_id: \"", tenant_id, "\": adopted twice at the same time"));
    }
    tenants_.emplace(std::string(tenant_id), std::move(fresh));
  } else if (tenant->held) {
    return absl::AlreadyExistsError(
        absl::StrCat("tenant_id: \"", tenant_id, "\" is held by this engine already"));
  }
  Forget(*tenant);
  tenant->broken = absl::OkStatus();
  if (absl::Status s = RecoverTenant(*tenant); !s.ok()) {
    Forget(*tenant);
    tenant->held = false;
    tenant->released = absl::UnavailableError(absl::StrCat(
        "tenant_id: \"", tenant_id, "\" could not be read from the store: ", s.message()));
    return s;
  }
  tenant->released = absl::OkStatus();
  tenant->held = true;
  return absl::OkStatus();
}

absl::Status Engine::Impl::ReleaseTenant(absl::string_view tenant_id) {
  Tenant* tenant = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant_id);
    if (it == tenants_.end()) return absl::OkStatus();
    tenant = it->second.get();
  }
  absl::MutexLock lock(&tenant->mu);
  tenant->mu.Await(absl::Condition(&tenant->ready));
  if (!tenant->held) return absl::OkStatus();
  // New calls are turned away from here on; those applied already are in
  // the open batch or the one being written, and their writers finish
  // them (WriteBatches takes every open batch before it lets go).
  tenant->held = false;
  tenant->released = absl::UnavailableError(
      absl::StrCat("tenant_id: \"", tenant_id, "\" was handed off by this node"));
  tenant->mu.Await(absl::Condition(&Drained, tenant));
  Forget(*tenant);
  if (on_release_) on_release_(tenant_id);
  return absl::OkStatus();
}

void Engine::Impl::Forget(Tenant& tenant) {
  tenant.state = tenant::TenantState(tenant.state.tenant_id());
  tenant.keys.Clear();
  tenant.snapshot_asked_at = 0;
}

void Engine::Impl::DropNotOwned(Tenant& tenant, const absl::Status& cause) {
  std::unique_ptr<PendingBatch> lost = std::move(tenant.open);
  Forget(tenant);
  tenant.held = false;
  tenant.released = absl::UnavailableError(absl::StrCat(
      "tenant_id: \"", tenant.state.tenant_id(), "\" is no longer served by this node: ",
      cause.message()));
  if (on_release_) on_release_(tenant.state.tenant_id());
  if (lost == nullptr) return;
  const absl::Status not_stored = absl::UnavailableError(absl::StrCat(
      "tenant_id: \"", tenant.state.tenant_id(),
      "\": not stored, nothing applied: this node lost the tenant's lease (", cause.message(),
      ")"));
  for (CommitWaiter& waiter : lost->waiters) std::move(waiter)(not_stored);
}

absl::Status Engine::Impl::NotOwnedAnswer(absl::string_view tenant_id,
                                          const absl::Status& refused) const {
  std::string message = absl::StrCat("not stored, nothing applied: ", refused.message());
  absl::Status where;
  if (absent_tenant_) where = absent_tenant_(tenant_id);
  if (!where.ok()) absl::StrAppend(&message, "; ", where.message());
  absl::Status answer = absl::UnavailableError(message);
  auto copy = [&](absl::string_view url, const absl::Cord& payload) {
    answer.SetPayload(url, payload);
  };
  refused.ForEachPayload(copy);
  where.ForEachPayload(copy);
  return answer;
}

absl::Status Engine::Impl::CreateInShell(Tenant& tenant, const TenantOptions& options,
                                         const Caller& caller) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  absl::MutexLock tenant_lock(&tenant.mu);
  Forget(tenant);
  tenant.broken = absl::OkStatus();
  Events events;
  if (absl::Status s = TenantCore(tenant.state.core()).DecideConfigure(options, &events);
      !s.ok()) {
    return s;
  }
  tenant::RecordCaller(caller, absl::MakeSpan(events));
  if (absl::Status s = Commit(tenant, events); !s.ok()) {
    Forget(tenant);
    return s;
  }
  tenant.released = absl::OkStatus();
  tenant.held = true;
  return absl::OkStatus();
}

}  // namespace omniroute
