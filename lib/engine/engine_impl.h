// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine's inside: tenants, each with the lock that serializes its
// commands, and the commit path every command takes (decide, apply, react,
// dispatch, store, notify). Shared by engine.cc (core commands and queries)
// and engine_routing.cc (routing commands and queries).

#ifndef OMNIROUTE_LIB_ENGINE_ENGINE_IMPL_H_
#define OMNIROUTE_LIB_ENGINE_ENGINE_IMPL_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/tenant_core.h"
#include "engine/pending_message_keys.h"
#include "engine/snapshotter.h"
#include "engine/stored_state.h"
#include "omniroute/engine.h"
#include "omniroute/tenant_lease.h"
#include "routing/router.h"
#include "tenant/archival.h"
#include "tenant/caller_audit.h"
#include "tenant/tenant_state.h"

namespace omniroute {

using core::Events;
using core::TenantCore;

absl::Status ValidateTenantId(absl::string_view id);

// Closed conversations archived by one RunDueTimers command at most.
inline constexpr int kArchivedPerCommand = 256;

// Told once the events a call depends on are durable (OK) or will never be
// (the error). Called without the tenant's lock, except on the failure path
// (see Engine::Impl::Fail), so it must not call back into the engine.
using CommitWaiter = absl::AnyInvocable<void(const absl::Status&) &&>;

// Events applied to a tenant's state but not yet in the store, with the
// calls that wait for them.
struct PendingBatch {
  Events events;
  std::vector<CommitWaiter> waiters;
};

// One tenant: its state and the lock that serializes its commands.
//
// Commands are applied one at a time under the lock, but written to the
// store in batches, without the lock (group commit): while one batch is being
// written, the commands that arrive are applied and gather in the next one.
// Nobody is answered before the events their answer reflects are durable.
struct Tenant {
  Tenant(std::string id, const EventStore& store) : state(id), keys(store, id) {}
  mutable absl::Mutex mu;
  tenant::TenantState state ABSL_GUARDED_BY(mu);
  // Finds messages by key: the store, and the keys of batches in flight.
  engine_internal::PendingMessageKeys keys ABSL_GUARDED_BY(mu);
  // The stored sequence at which the last snapshot was asked for (or the
  // snapshot the tenant was recovered from): the next is asked for
  // snapshot_every_events later.
  uint64_t snapshot_asked_at ABSL_GUARDED_BY(mu) = 0;
  // Set when the tenant's state could not be restored after a failed write;
  // every call then answers with it.
  absl::Status broken ABSL_GUARDED_BY(mu);
  // Applied, not yet being written; null when there is nothing.
  std::unique_ptr<PendingBatch> open ABSL_GUARDED_BY(mu);
  // The batch being written (owned by the call writing it); null when none.
  PendingBatch* writing ABSL_GUARDED_BY(mu) = nullptr;
  // False while the state is being put back after a failure: commands and
  // reads wait, and no batch starts being written.
  bool ready ABSL_GUARDED_BY(mu) = true;
  // Set while the engine does not hold the tenant (released, lost to
  // another owner, not yet adopted): every call answers as for an absent
  // tenant, with this status unless EngineOptions::absent_tenant says
  // otherwise. Its object stays, empty, so that a call that found it
  // before it left never touches freed memory, and is reused if the tenant
  // comes back.
  absl::Status released ABSL_GUARDED_BY(mu);
  // !released.ok(), readable without the tenant's lock (ListTenants).
  std::atomic<bool> held{true};
};

// Stamps and applies a command's events stage by stage, so that each
// routing decision sees the ones before it, and keeps them all for the store.
class StagedCommit final : public routing::EventSink {
 public:
  StagedCommit(tenant::TenantState& state, engine_internal::PendingMessageKeys& keys,
               absl::Time now)
      : state_(state), keys_(keys), now_(now) {}

  // What applying the events changed for routing is added to `*changes`
  // when given (the router's dispatch looks at it).
  absl::Status Emit(routing::Events events, routing::RoutingChanges* changes) override {
    if (events.empty()) return absl::OkStatus();
    touched_ = true;
    state_.Stamp(absl::MakeSpan(events), now_);
    routing::RoutingChanges applied_changes;
    for (const ::omniroute::v1::Event& event : events) {
      if (absl::Status applied = state_.Apply(event, &applied_changes); !applied.ok()) {
        // A decided event that does not fit is a bug in the engine, not bad
        // input; say so rather than answer as if it were the caller's fault.
        return absl::InternalError(absl::StrCat("applying decided events: ", applied.message()));
      }
    }
    keys_.Add(events);
    for (auto& event : events) all_.push_back(std::move(event));
    created_.insert(created_.end(), applied_changes.created.begin(), applied_changes.created.end());
    if (changes != nullptr) changes->Merge(std::move(applied_changes));
    return absl::OkStatus();
  }

  Events& events() { return all_; }
  // The tasks the applied events created, in order.
  const std::vector<TaskId>& created_tasks() const { return created_; }
  // Whether anything may have been applied to the state (even in part).
  bool touched() const { return touched_; }

 private:
  tenant::TenantState& state_;
  engine_internal::PendingMessageKeys& keys_;
  const absl::Time now_;
  Events all_;
  std::vector<TaskId> created_;
  bool touched_ = false;
};

class Engine::Impl {
 public:
  // Without a store, the engine keeps its events and their history in a
  // store in memory of its own: message bodies are read from a store, never
  // from the state. Such a store is never snapshotted (there is no restart
  // to shorten).
  explicit Impl(const EngineOptions& options)
      : clock_(options.clock != nullptr ? options.clock : &SystemClock()),
        owned_store_(options.store == nullptr ? NewMemoryEventStore() : nullptr),
        store_(options.store != nullptr ? options.store : owned_store_.get()),
        snapshot_every_events_(options.store != nullptr ? options.snapshot_every_events : 0),
        on_commit_(options.on_commit),
        on_store_write_(options.on_store_write),
        open_tenants_(options.open_tenants),
        absent_tenant_(options.absent_tenant),
        on_release_(options.on_release) {
    if (options.store != nullptr) {
      snapshotter_ = std::make_unique<Snapshotter>(
          *store_, Snapshotter::Options{.background = snapshot_every_events_ > 0,
                                        .on_snapshot = options.on_snapshot});
    }
  }

  // Where the tenants' events and history are: the store given, or the
  // engine's own in memory.
  const EventStore& store() const { return *store_; }

  absl::Status Recover() {
    if (!open_tenants_) return absl::OkStatus();
    absl::StatusOr<std::vector<std::string>> tenants = store_->ListTenants();
    if (!tenants.ok()) return tenants.status();
    for (const std::string& id : *tenants) {
      auto tenant = std::make_unique<Tenant>(id, *store_);
      absl::MutexLock lock(&tenant->mu);
      if (absl::Status s = RecoverTenant(*tenant); !s.ok()) return s;
      absl::MutexLock engine_lock(&mu_);
      tenants_[id] = std::move(tenant);
    }
    return absl::OkStatus();
  }

  // The latest usable snapshot, then every event after it.
  absl::Status RecoverTenant(Tenant& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    absl::StatusOr<StoredState> stored = LoadStoredState(*store_, tenant.state.tenant_id());
    if (!stored.ok()) return stored.status();
    tenant.state = std::move(stored->state);
    tenant.snapshot_asked_at = stored->snapshot_sequence;
    return absl::OkStatus();
  }

  // Waits (without the tenant's lock) until every event applied before the
  // call is durable, then folds the stored state into a snapshot on this
  // thread: the tenant's commands and reads go on meanwhile.
  absl::Status TakeSnapshot(absl::string_view tenant_id) {
    if (owned_store_ != nullptr) {
      return absl::FailedPreconditionError("the engine has no store to keep snapshots in");
    }
    absl::StatusOr<Tenant*> found = LockUsable(tenant_id);
    if (!found.ok()) return found.status();
    Tenant& tenant = **found;
    // A failed write is no reason not to save what is stored: the waiter's
    // status is not needed, only the moment it is called.
    absl::Notification written;
    CommitWaiter waiter = [&](const absl::Status&) { written.Notify(); };
    const bool waits = WaitForPending(tenant, waiter);
    WriteBatches(tenant);
    if (waits) written.WaitForNotification();
    return snapshotter_->Take(tenant_id).status();
  }

  // Redacts an erased customer's data in the store (once its CustomerErased
  // event is durable), after the snapshots in progress, which may be of the
  // state before the erasure, are saved: the redaction deletes them. Then
  // saves a snapshot of the state after the erasure, when the engine keeps
  // snapshots (its failure fails nothing: see GetSnapshotStats).
  absl::Status RedactErasedCustomer(absl::string_view tenant_id,
                                    const EventStore::CustomerRedaction& redaction) {
    if (snapshotter_ != nullptr) snapshotter_->WaitForRequested();
    if (absl::Status s = store_->RedactCustomer(tenant_id, redaction); !s.ok()) return s;
    if (snapshot_every_events_ > 0) (void)snapshotter_->Take(tenant_id);
    return absl::OkStatus();
  }

  SnapshotStats GetSnapshotStats() const {
    return snapshotter_ != nullptr ? snapshotter_->stats() : SnapshotStats{};
  }

  void WaitForSnapshots() const {
    if (snapshotter_ != nullptr) snapshotter_->WaitForRequested();
  }

  absl::Status CreateTenant(absl::string_view tenant_id, const TenantOptions& options,
                            const Caller& caller) {
    if (absl::Status s = ValidateTenantId(tenant_id); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (auto it = tenants_.find(tenant_id); it != tenants_.end()) {
      if (!it->second->held) return CreateInShell(*it->second, options, caller);
      return absl::AlreadyExistsError(absl::StrCat("tenant_id: \"", tenant_id, "\" already exists"));
    }
    auto tenant = std::make_unique<Tenant>(std::string(tenant_id), *store_);
    absl::MutexLock tenant_lock(&tenant->mu);
    Events events;
    if (absl::Status s = TenantCore(tenant->state.core()).DecideConfigure(options, &events);
        !s.ok()) {
      return s;
    }
    tenant::RecordCaller(caller, absl::MakeSpan(events));
    if (absl::Status s = Commit(*tenant, events); !s.ok()) return s;
    tenants_.emplace(std::string(tenant_id), std::move(tenant));
    return absl::OkStatus();
  }

  // Runs `decide` on the tenant's state under its lock, applies the events it
  // produced, lets routing react and dispatch, and queues the events for the
  // store; `done` gets the result once they are durable, or the error.
  // `finish` sees the result, all the events, the tasks they created and
  // the state first. `done` may run on
  // this thread before the call returns, or on the thread of another call
  // of the tenant that is writing the batch this command's events joined.
  template <typename Result, typename Decide, typename Finish, typename Done>
  void CommandAsync(absl::string_view tenant_id, Decide decide, Finish finish, Done done) {
    Run<Result>(
        tenant_id,
        [&](tenant::TenantState& state, const core::MessageLookup& lookup, absl::Time now,
            StagedCommit& staged) -> absl::StatusOr<Result> {
          Events events;
          absl::StatusOr<Result> result;
          // Commands that record messages find earlier ones through `lookup`.
          if constexpr (std::is_invocable_v<Decide&, const tenant::TenantState&,
                                            const core::MessageLookup&, absl::Time, Events*>) {
            result = decide(std::as_const(state), lookup, now, &events);
          } else {
            result = decide(std::as_const(state), now, &events);
          }
          if (!result.ok()) return result;
          routing::RoutingChanges changes;
          if (absl::Status s = staged.Emit(std::move(events), &changes); !s.ok()) return s;
          routing::Router router(state.core(), state.routing(), now, staged, std::move(changes));
          // A copy: the router's own events are appended to the same list.
          const Events applied = staged.events();
          if (absl::Status s = router.React(applied); !s.ok()) return s;
          if (absl::Status s = router.Dispatch(); !s.ok()) return s;
          finish(*result, staged.events(), staged.created_tasks(), std::as_const(state));
          return result;
        },
        std::move(done));
  }

  // The blocking form of CommandAsync.
  template <typename Result, typename Decide, typename Finish>
  absl::StatusOr<Result> Command(absl::string_view tenant_id, Decide decide, Finish finish) {
    return Await<Result>([&](auto done) {
      CommandAsync<Result>(tenant_id, decide, finish, std::move(done));
    });
  }

  template <typename Result, typename Decide>
  absl::StatusOr<Result> Command(absl::string_view tenant_id, Decide decide) {
    return Command<Result>(tenant_id, decide,
                           [](const Result&, const Events&, absl::Span<const TaskId>,
                              const tenant::TenantState&) {});
  }

  // Fires the tenant's due timers as one command.
  absl::StatusOr<int> RunDueTimers(absl::string_view tenant_id) {
    return Await<int>([&](auto done) {
      Run<int>(
          tenant_id,
          [](tenant::TenantState& state, const core::MessageLookup&, absl::Time now,
             StagedCommit& staged) -> absl::StatusOr<int> {
            routing::Router router(state.core(), state.routing(), now, staged);
            absl::StatusOr<int> fired = router.FireDueTimers();
            if (!fired.ok()) return fired;
            // Closed conversations past their retention leave the working
            // set, a bounded number per command so that a backlog (after a
            // restart, or a retention shortened) never makes one huge batch.
            core::Events archived;
            const int count = tenant::DecideArchival(state, now, kArchivedPerCommand, &archived);
            if (absl::Status s = staged.Emit(std::move(archived), nullptr); !s.ok()) return s;
            return *fired + count;
          },
          std::move(done));
    });
  }

  // Reads the tenant's state under its lock. The answer is given only once
  // every event it may reflect is durable; if those events are lost, the
  // store's error instead.
  template <typename Result, typename Read>
  absl::StatusOr<Result> Query(absl::string_view tenant_id, Read read) {
    absl::StatusOr<Tenant*> found = LockUsable(tenant_id);
    if (!found.ok()) return found.status();
    Tenant& tenant = **found;
    absl::StatusOr<Result> result = read(std::as_const(tenant.state));
    absl::Status stored = absl::OkStatus();
    absl::Notification durable;
    CommitWaiter waiter = [&](const absl::Status& s) {
      stored = s;
      durable.Notify();
    };
    const bool waits = WaitForPending(tenant, waiter);
    WriteBatches(tenant);
    if (waits) durable.WaitForNotification();
    if (!stored.ok()) return stored;
    return result;
  }

  // Reads the tenant's state under its lock as applied so far, durable or
  // not, and without writing or waiting for what is in flight: for
  // schedules (the next timer), never for answers a caller acts on.
  template <typename Result, typename Read>
  absl::StatusOr<Result> Peek(absl::string_view tenant_id, Read read) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    absl::StatusOr<Tenant*> found = LockUsable(tenant_id);
    if (!found.ok()) return found.status();
    Tenant& tenant = **found;
    absl::StatusOr<Result> result = read(std::as_const(tenant.state));
    tenant.mu.Unlock();
    return result;
  }

  std::vector<std::string> ListTenants() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> ids;
    for (const auto& [id, tenant] : tenants_) {
      if (tenant->held) ids.push_back(id);
    }
    return ids;
  }

  // See Engine::AdoptTenant (the erasures are the caller's). The tenant's
  // lock is held while it is read, so its calls wait for it.
  absl::Status AdoptTenant(absl::string_view tenant_id);

  // See Engine::ReleaseTenant.
  absl::Status ReleaseTenant(absl::string_view tenant_id);

  Clock& clock() const { return *clock_; }

 private:
  // The tenant, locked, once it is ready (not being put back after a failed
  // write); the caller unlocks it. Unknown tenant: NOT_FOUND; a tenant that
  // could not be read back: its error, and it is left unlocked.
  absl::StatusOr<Tenant*> LockUsable(absl::string_view tenant_id) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    absl::StatusOr<Tenant*> found = Find(tenant_id);
    if (!found.ok()) return found.status();
    Tenant& tenant = **found;
    tenant.mu.Lock();
    tenant.mu.Await(absl::Condition(&tenant.ready));
    if (!tenant.released.ok()) {
      absl::Status released = tenant.released;
      tenant.mu.Unlock();
      return Absent(tenant_id, std::move(released));
    }
    if (!tenant.broken.ok()) {
      // Its state could not be read back after a failed write (the store
      // was out of reach): try again, since the store may be back.
      Restore(tenant);
    }
    if (!tenant.broken.ok()) {
      absl::Status broken = tenant.broken;
      tenant.mu.Unlock();
      return broken;
    }
    return &tenant;
  }

  absl::StatusOr<Tenant*> Find(absl::string_view tenant_id) const {
    {
      absl::MutexLock lock(&mu_);
      auto it = tenants_.find(tenant_id);
      if (it != tenants_.end()) return it->second.get();
    }
    return Absent(tenant_id,
                  absl::NotFoundError(absl::StrCat("tenant_id: \"", tenant_id, "\" not found")));
  }

  // What a call for a tenant the engine does not hold answers: the
  // caller's word (EngineOptions::absent_tenant), else `fallback`.
  absl::Status Absent(absl::string_view tenant_id, absl::Status fallback) const {
    if (absent_tenant_) {
      absl::Status answer = absent_tenant_(tenant_id);
      if (!answer.ok()) return answer;
    }
    return fallback;
  }

  static bool Drained(Tenant* tenant) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return tenant->open == nullptr && tenant->writing == nullptr;
  }

  // Empties the tenant's memory (it is not held, or about to be read again).
  void Forget(Tenant& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu);

  // The store refused a write because this node no longer owns the tenant
  // (a fenced store: IsNotOwnerError): what was applied and not stored is
  // lost, and the tenant is let go at once rather than read back, since
  // another node serves it now.
  void DropNotOwned(Tenant& tenant, const absl::Status& cause)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu);
  // What the callers of a batch refused for a lost lease are answered:
  // UNAVAILABLE (another node serves the tenant: retry there), with the
  // store's reason and where the tenant is now (absent_tenant). Called
  // without locks.
  absl::Status NotOwnedAnswer(absl::string_view tenant_id, const absl::Status& refused) const;

  // CreateTenant of a tenant whose emptied object is still here (it was
  // held, then let go): the object is reused. Called with mu_ held.
  absl::Status CreateInShell(Tenant& tenant, const TenantOptions& options,
                             const Caller& caller) ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Starts an asynchronous call with a callback and waits for its answer:
  // the blocking form of Run and CommandAsync.
  template <typename Result, typename Start>
  static absl::StatusOr<Result> Await(Start start) {
    std::optional<absl::StatusOr<Result>> out;
    absl::Notification answered;
    start([&](absl::StatusOr<Result> result) {
      out.emplace(std::move(result));
      answered.Notify();
    });
    answered.WaitForNotification();
    return *std::move(out);
  }

  // The common path of commands: `body` decides and applies through the
  // staged commit under the tenant's lock; then the events join the open
  // batch and `done` waits for it.
  template <typename Result, typename Body, typename Done>
  void Run(absl::string_view tenant_id, Body body, Done done) {
    absl::StatusOr<Tenant*> found = LockUsable(tenant_id);
    if (!found.ok()) {
      std::move(done)(absl::StatusOr<Result>(found.status()));
      return;
    }
    Tenant& tenant = **found;
    const absl::Time now = clock_->Now();
    StagedCommit staged(tenant.state, tenant.keys, now);
    absl::StatusOr<Result> result = body(tenant.state, tenant.keys, now, staged);
    if (!result.ok()) {
      // A refusal changed nothing; a failure half way through may have.
      if (staged.touched()) Fail(tenant, result.status());
      tenant.mu.Unlock();
      std::move(done)(std::move(result));
      return;
    }
    CommitWaiter waiter = [done = std::move(done),
                           result = std::move(result)](const absl::Status& stored) mutable {
      if (stored.ok()) {
        std::move(done)(std::move(result));
      } else {
        std::move(done)(absl::StatusOr<Result>(stored));
      }
    };
    bool queued = false;
    if (!staged.events().empty()) {
      if (tenant.open == nullptr) tenant.open = std::make_unique<PendingBatch>();
      Events& batch = tenant.open->events;
      for (auto& event : staged.events()) batch.push_back(std::move(event));
      tenant.open->waiters.push_back(std::move(waiter));
      queued = true;
    } else {
      // No events of its own, but its answer may rest on events in flight
      // (a redelivered message, say).
      queued = WaitForPending(tenant, waiter);
    }
    WriteBatches(tenant);
    if (!queued) std::move(waiter)(absl::OkStatus());
  }

  // Adds `waiter` to the latest batch in flight, if any; returns whether it
  // did (otherwise everything applied is durable already and `waiter` is
  // left to the caller).
  bool WaitForPending(Tenant& tenant, CommitWaiter& waiter)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    PendingBatch* latest = tenant.open != nullptr ? tenant.open.get() : tenant.writing;
    if (latest == nullptr) return false;
    latest->waiters.push_back(std::move(waiter));
    return true;
  }

  // Writes open batches until none is left, unless another call is writing
  // already (it will take them); releases the tenant's lock. Batches are
  // written one at a time and in order, so the store and `on_commit` see the
  // log in sequence order. Without the lock while writing, the commands that
  // arrive meanwhile are applied and gather in the next batch: one sync for
  // all of them.
  void WriteBatches(Tenant& tenant) ABSL_UNLOCK_FUNCTION(tenant.mu) {
    while (tenant.ready && tenant.writing == nullptr && tenant.open != nullptr) {
      std::unique_ptr<PendingBatch> batch = std::move(tenant.open);
      tenant.writing = batch.get();
      const std::string id = tenant.state.tenant_id();
      tenant.mu.Unlock();
      const absl::Status stored = TimedAppend(id, batch->events);
      tenant.mu.Lock();
      tenant.writing = nullptr;
      if (stored.ok()) {
        tenant.keys.Settle(batch->events);
        const uint64_t durable = batch->events.back().sequence();
        if (snapshot_every_events_ > 0 &&
            durable - tenant.snapshot_asked_at >= snapshot_every_events_) {
          // Only a request: the snapshotter builds the snapshot from the
          // store on its own thread, so nobody here waits for it.
          tenant.snapshot_asked_at = durable;
          snapshotter_->Request(id);
        }
        if (on_commit_) on_commit_(id, batch->events);
      } else if (IsNotOwnerError(stored)) {
        DropNotOwned(tenant, stored);
      } else {
        // What was applied after this batch rests on it: lost with it.
        LoseApplied(tenant, stored);
      }
      tenant.mu.Unlock();
      const absl::Status answer = IsNotOwnerError(stored) ? NotOwnedAnswer(id, stored) : stored;
      for (CommitWaiter& waiter : batch->waiters) std::move(waiter)(answer);
      tenant.mu.Lock();
    }
    tenant.mu.Unlock();
  }

  // A command failed after changing the state: waits for the batch being
  // written, then gives up what was applied and not stored, and puts the
  // state back to what the store holds. Commands and reads of the tenant
  // wait meanwhile.
  void Fail(Tenant& tenant, const absl::Status& cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    tenant.ready = false;
    tenant.mu.Await(absl::Condition(&NotWriting, &tenant));
    LoseApplied(tenant, cause);
    tenant.ready = true;
  }

  // Fails the open batch's callers and restores the state from the store.
  // Their waiters run under the lock: this is the rare path.
  void LoseApplied(Tenant& tenant, const absl::Status& cause)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    std::unique_ptr<PendingBatch> lost = std::move(tenant.open);
    Restore(tenant);
    if (lost == nullptr) return;
    const absl::Status not_stored = absl::UnavailableError(absl::StrCat(
        "tenant_id: \"", tenant.state.tenant_id(),
        "\": not stored, nothing applied: an earlier command of the tenant failed (",
        cause.message(), ")"));
    for (CommitWaiter& waiter : lost->waiters) std::move(waiter)(not_stored);
  }

  // The store's Append, reported to on_store_write.
  absl::Status TimedAppend(const std::string& tenant_id,
                           absl::Span<const ::omniroute::v1::Event> events) {
    if (!on_store_write_) return store_->Append(tenant_id, events);
    const absl::Time started = absl::Now();
    absl::Status stored = store_->Append(tenant_id, events);
    on_store_write_(events.size(), absl::Now() - started, stored);
    return stored;
  }

  static bool NotWriting(Tenant* tenant) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return tenant->writing == nullptr;
  }

  // Makes the events of tenant creation durable (the tenant is not visible
  // to other calls yet, so nothing is in flight).
  absl::Status Persist(Tenant& tenant, const Events& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    if (events.empty()) return absl::OkStatus();
    if (absl::Status s = TimedAppend(tenant.state.tenant_id(), events); !s.ok()) {
      return s;
    }
    if (on_commit_) on_commit_(tenant.state.tenant_id(), events);
    return absl::OkStatus();
  }

  // Applies and persists events decided outside Command (tenant creation).
  absl::Status Commit(Tenant& tenant, Events& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    StagedCommit staged(tenant.state, tenant.keys, clock_->Now());
    absl::Status s = staged.Emit(std::move(events), nullptr);
    if (s.ok()) s = Persist(tenant, staged.events());
    if (s.ok()) tenant.keys.Settle(staged.events());
    if (!s.ok()) Restore(tenant);
    return s;
  }

  // Puts the tenant back to what the store holds.
  void Restore(Tenant& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    const std::string id = tenant.state.tenant_id();
    tenant.state = tenant::TenantState(id);
    tenant.keys.Clear();
    tenant.snapshot_asked_at = 0;
    tenant.broken = absl::OkStatus();
    if (absl::Status s = RecoverTenant(tenant); !s.ok()) {
      tenant.broken = absl::UnavailableError(
          absl::StrCat("tenant_id: \"", id,
                       "\" is unavailable: after a failed write its state could not be "
                       "read back from the store (",
                       s.ToString(), "); the next call reads it again"));
    }
  }

  Clock* clock_;
  // Set when no store was given; store_ points to it then.
  const std::unique_ptr<EventStore> owned_store_;
  EventStore* const store_;
  const uint64_t snapshot_every_events_;
  const std::function<void(absl::string_view, absl::Span<const ::omniroute::v1::Event>)>
      on_commit_;
  const std::function<void(size_t, absl::Duration, const absl::Status&)> on_store_write_;
  const bool open_tenants_;
  const std::function<absl::Status(absl::string_view)> absent_tenant_;
  const std::function<void(absl::string_view)> on_release_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants_ ABSL_GUARDED_BY(mu_);
  // With a store only. Uses the store alone, never a tenant, so it may
  // finish its work after the tenants are gone.
  std::unique_ptr<Snapshotter> snapshotter_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_LIB_ENGINE_ENGINE_IMPL_H_
