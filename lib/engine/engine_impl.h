// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine's inside: tenants, each with the lock that serializes its
// commands, and the commit path every command takes (decide, apply, react,
// dispatch, store, notify). Shared by engine.cc (core commands and queries)
// and engine_routing.cc (routing commands and queries).

#ifndef OMNIROUTE_LIB_ENGINE_ENGINE_IMPL_H_
#define OMNIROUTE_LIB_ENGINE_ENGINE_IMPL_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/tenant_core.h"
#include "omniroute/engine.h"
#include "routing/router.h"

namespace omniroute {

using core::Events;
using core::TenantCore;

absl::Status ValidateTenantId(absl::string_view id);

// One tenant: its core and the lock that serializes its commands.
struct Tenant {
  explicit Tenant(std::string id) : core(std::move(id)) {}
  mutable absl::Mutex mu;
  TenantCore core ABSL_GUARDED_BY(mu);
  uint64_t snapshot_sequence ABSL_GUARDED_BY(mu) = 0;
  // Set when the tenant's state could not be restored after a failed write;
  // every call then answers with it.
  absl::Status broken ABSL_GUARDED_BY(mu);
};

// Stamps and applies a command's events stage by stage, so that each
// routing decision sees the ones before it, and keeps them all for the store.
class StagedCommit final : public routing::EventSink {
 public:
  StagedCommit(TenantCore& core, absl::Time now) : core_(core), now_(now) {}

  absl::Status Emit(routing::Events events) override {
    if (events.empty()) return absl::OkStatus();
    core_.Stamp(absl::MakeSpan(events), now_);
    if (absl::Status applied = core_.Apply(events); !applied.ok()) {
      // A decided event that does not fit is a bug in the engine, not bad
      // input; say so rather than answer as if it were the caller's fault.
      return absl::InternalError(absl::StrCat("applying decided events: ", applied.message()));
    }
    for (auto& event : events) all_.push_back(std::move(event));
    return absl::OkStatus();
  }

  Events& events() { return all_; }

 private:
  TenantCore& core_;
  const absl::Time now_;
  Events all_;
};

class Engine::Impl {
 public:
  explicit Impl(const EngineOptions& options)
      : clock_(options.clock != nullptr ? options.clock : &SystemClock()),
        store_(options.store),
        snapshot_every_events_(options.snapshot_every_events),
        on_commit_(options.on_commit) {}

  absl::Status Recover() {
    if (store_ == nullptr) return absl::OkStatus();
    absl::StatusOr<std::vector<std::string>> tenants = store_->ListTenants();
    if (!tenants.ok()) return tenants.status();
    for (const std::string& id : *tenants) {
      auto tenant = std::make_unique<Tenant>(id);
      absl::MutexLock lock(&tenant->mu);
      if (absl::Status s = RecoverTenant(*tenant); !s.ok()) return s;
      absl::MutexLock engine_lock(&mu_);
      tenants_[id] = std::move(tenant);
    }
    return absl::OkStatus();
  }

  // The latest usable snapshot, then every event after it.
  absl::Status RecoverTenant(Tenant& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    const std::string& id = tenant.core.state().tenant_id();
    absl::StatusOr<EventStore::Snapshot> snapshot = store_->LoadSnapshot(id);
    if (snapshot.ok()) {
      ::omniroute::v1::TenantSnapshot proto;
      // A snapshot is only a shortcut: one that cannot be used (unknown
      // format, damaged) costs a full replay, never the tenant.
      if (proto.ParseFromString(snapshot->state) && proto.tenant_id() == id &&
          proto.sequence() == snapshot->sequence) {
        absl::StatusOr<core::TenantState> state = core::TenantState::FromSnapshot(proto);
        if (state.ok()) {
          tenant.core = TenantCore(*std::move(state));
          tenant.snapshot_sequence = snapshot->sequence;
        }
      }
    } else if (!absl::IsNotFound(snapshot.status())) {
      return snapshot.status();
    }
    absl::Status applied = absl::OkStatus();
    absl::Status read = store_->Read(
        id, tenant.core.state().last_sequence() + 1, [&](const ::omniroute::v1::Event& event) {
          applied = tenant.core.Apply({&event, 1});
          return applied.ok();
        });
    if (!read.ok()) return read;
    // Replayed decisions leave nothing for the router to look at.
    tenant.core.state().routing().pending_tasks().clear();
    tenant.core.state().routing().pending_agents().clear();
    return applied;
  }

  absl::Status TakeSnapshot(absl::string_view tenant_id) {
    if (store_ == nullptr) {
      return absl::FailedPreconditionError("the engine has no store to keep snapshots in");
    }
    absl::StatusOr<Tenant*> tenant = Find(tenant_id);
    if (!tenant.ok()) return tenant.status();
    absl::MutexLock lock(&(*tenant)->mu);
    return SaveSnapshot(**tenant);
  }

  absl::Status CreateTenant(absl::string_view tenant_id, const TenantOptions& options) {
    if (absl::Status s = ValidateTenantId(tenant_id); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (tenants_.contains(tenant_id)) {
      return absl::AlreadyExistsError(absl::StrCat("tenant_id: \"", tenant_id, "\" already exists"));
    }
    auto tenant = std::make_unique<Tenant>(std::string(tenant_id));
    absl::MutexLock tenant_lock(&tenant->mu);
    Events events;
    if (absl::Status s = tenant->core.DecideConfigure(options, &events); !s.ok()) return s;
    if (absl::Status s = Commit(*tenant, events); !s.ok()) return s;
    tenants_.emplace(std::string(tenant_id), std::move(tenant));
    return absl::OkStatus();
  }

  // Runs `decide` on the tenant's core under its lock, applies the events it
  // produced, lets routing react and dispatch, then makes every event
  // durable: the answer is given only once the store has them. `finish`
  // sees the result and all the events before it is returned.
  template <typename Result, typename Decide, typename Finish>
  absl::StatusOr<Result> Command(absl::string_view tenant_id, Decide decide, Finish finish) {
    absl::StatusOr<Tenant*> tenant = Find(tenant_id);
    if (!tenant.ok()) return tenant.status();
    absl::MutexLock lock(&(*tenant)->mu);
    if (!(*tenant)->broken.ok()) return (*tenant)->broken;
    const absl::Time now = clock_->Now();
    Events events;
    absl::StatusOr<Result> result = decide((*tenant)->core, now, &events);
    if (!result.ok()) return result;
    StagedCommit staged((*tenant)->core, now);
    absl::Status s = staged.Emit(std::move(events));
    if (s.ok()) {
      routing::Router router((*tenant)->core.state(), now, staged);
      // A copy: the router's own events are appended to the same list.
      const Events applied = staged.events();
      s = router.React(applied);
      if (s.ok()) s = router.Dispatch();
    }
    if (s.ok()) finish(*result, staged.events());
    if (s.ok()) s = Persist(**tenant, staged.events());
    if (!s.ok()) {
      Restore(**tenant);
      return s;
    }
    return result;
  }

  template <typename Result, typename Decide>
  absl::StatusOr<Result> Command(absl::string_view tenant_id, Decide decide) {
    return Command<Result>(tenant_id, decide, [](const Result&, const Events&) {});
  }

  // Fires the tenant's due timers as one command.
  absl::StatusOr<int> RunDueTimers(absl::string_view tenant_id) {
    absl::StatusOr<Tenant*> tenant = Find(tenant_id);
    if (!tenant.ok()) return tenant.status();
    absl::MutexLock lock(&(*tenant)->mu);
    if (!(*tenant)->broken.ok()) return (*tenant)->broken;
    const absl::Time now = clock_->Now();
    StagedCommit staged((*tenant)->core, now);
    routing::Router router((*tenant)->core.state(), now, staged);
    absl::StatusOr<int> fired = router.FireDueTimers();
    absl::Status s = fired.status();
    if (s.ok()) s = Persist(**tenant, staged.events());
    if (!s.ok()) {
      Restore(**tenant);
      return s;
    }
    return fired;
  }

  template <typename Result, typename Read>
  absl::StatusOr<Result> Query(absl::string_view tenant_id, Read read) const {
    absl::StatusOr<Tenant*> tenant = Find(tenant_id);
    if (!tenant.ok()) return tenant.status();
    absl::MutexLock lock(&(*tenant)->mu);
    if (!(*tenant)->broken.ok()) return (*tenant)->broken;
    return read((*tenant)->core.state());
  }

  std::vector<std::string> ListTenants() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> ids;
    for (const auto& [id, tenant] : tenants_) ids.push_back(id);
    return ids;
  }

  Clock& clock() const { return *clock_; }

 private:
  absl::StatusOr<Tenant*> Find(absl::string_view tenant_id) const {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant_id);
    if (it == tenants_.end()) {
      return absl::NotFoundError(absl::StrCat("tenant_id: \"", tenant_id, "\" not found"));
    }
    return it->second.get();
  }

  // Makes applied events durable, snapshots when due, and tells the
  // listener. Applying first means every event is checked against the state
  // before the log keeps it, so an event that does not fit never reaches the
  // store. No reader sees the events before they are durable: the tenant's
  // lock is held throughout.
  absl::Status Persist(Tenant& tenant, const Events& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    if (events.empty()) return absl::OkStatus();
    if (store_ != nullptr) {
      if (absl::Status s = store_->Append(tenant.core.state().tenant_id(), events); !s.ok()) {
        return s;
      }
    }
    if (snapshot_every_events_ > 0 && store_ != nullptr &&
        tenant.core.state().last_sequence() - tenant.snapshot_sequence >= snapshot_every_events_) {
      // The command is durable already; a failed snapshot only means a
      // longer replay at the next start, so it does not fail the command.
      (void)SaveSnapshot(tenant);
    }
    if (on_commit_) on_commit_(tenant.core.state().tenant_id(), events);
    return absl::OkStatus();
  }

  // Applies and persists events decided outside Command (tenant creation).
  absl::Status Commit(Tenant& tenant, Events& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    StagedCommit staged(tenant.core, clock_->Now());
    absl::Status s = staged.Emit(std::move(events));
    if (s.ok()) s = Persist(tenant, staged.events());
    if (!s.ok()) Restore(tenant);
    return s;
  }

  // Puts the tenant back to what the store holds. Without a store there is
  // nothing to go back to: a failed apply may then leave the first events of
  // the batch applied (each event is checked before it changes anything).
  void Restore(Tenant& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    if (store_ == nullptr) return;
    const std::string id = tenant.core.state().tenant_id();
    tenant.core = TenantCore(id);
    tenant.snapshot_sequence = 0;
    if (absl::Status s = RecoverTenant(tenant); !s.ok()) {
      tenant.broken = absl::UnavailableError(absl::StrCat(
          "tenant_id: \"", id, "\" is unavailable: after a failed write its state could not be "
          "read back from the store (", s.ToString(), "); reopen the engine to recover it"));
    }
  }

  absl::Status SaveSnapshot(Tenant& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    ::omniroute::v1::TenantSnapshot proto;
    tenant.core.state().ToSnapshot(&proto);
    std::string bytes;
    if (!proto.SerializeToString(&bytes)) {
      return absl::InternalError("snapshot: the tenant state could not be serialized");
    }
    const uint64_t sequence = tenant.core.state().last_sequence();
    if (absl::Status s = store_->SaveSnapshot(tenant.core.state().tenant_id(), sequence, bytes);
        !s.ok()) {
      return s;
    }
    tenant.snapshot_sequence = sequence;
    return absl::OkStatus();
  }

  Clock* clock_;
  EventStore* store_;
  const uint64_t snapshot_every_events_;
  const std::function<void(absl::string_view, absl::Span<const ::omniroute::v1::Event>)>
      on_commit_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace omniroute

#endif  // OMNIROUTE_LIB_ENGINE_ENGINE_IMPL_H_
