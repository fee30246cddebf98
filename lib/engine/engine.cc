// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "omniroute/engine.h"

#include <map>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/tenant_core.h"
#include "core/views.h"

namespace omniroute {

using core::Events;
using core::TenantCore;

namespace {

absl::Status ValidateTenantId(absl::string_view id) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant_id: \"", id, "\" must be 1 to 64 characters"));
  }
  for (char c : id) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tenant_id: \"", id, "\" may only contain a-z, 0-9, '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

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

class Engine::Impl {
 public:
  explicit Impl(const EngineOptions& options)
      : clock_(options.clock != nullptr ? options.clock : &SystemClock()),
        store_(options.store),
        snapshot_every_events_(options.snapshot_every_events) {}

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

  // Runs `decide` on the tenant's core under its lock, then commits the events
  // it produced: the answer is given only once the store has them.
  template <typename Result, typename Decide>
  absl::StatusOr<Result> Command(absl::string_view tenant_id, Decide decide) {
    absl::StatusOr<Tenant*> tenant = Find(tenant_id);
    if (!tenant.ok()) return tenant.status();
    absl::MutexLock lock(&(*tenant)->mu);
    if (!(*tenant)->broken.ok()) return (*tenant)->broken;
    Events events;
    absl::StatusOr<Result> result = decide((*tenant)->core, clock_->Now(), &events);
    if (!result.ok()) return result;
    if (absl::Status s = Commit(**tenant, events); !s.ok()) return s;
    return result;
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

  // Applies a command's events, then makes them durable. Applying first means
  // every event is checked against the state before the log keeps it, so an
  // event that does not fit never reaches the store. If the store refuses
  // the events, the tenant is rebuilt from the store: what it shows is
  // exactly what was acknowledged. No reader sees the events in between: the
  // tenant's lock is held throughout.
  absl::Status Commit(Tenant& tenant, Events& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tenant.mu) {
    if (events.empty()) return absl::OkStatus();
    tenant.core.Stamp(absl::MakeSpan(events), clock_->Now());
    if (absl::Status applied = tenant.core.Apply(events); !applied.ok()) {
      // A decided event that does not fit is a bug in the core, not bad
      // input; say so rather than answer as if it were the caller's fault.
      Restore(tenant);
      return absl::InternalError(absl::StrCat("applying decided events: ", applied.message()));
    }
    if (store_ != nullptr) {
      if (absl::Status s = store_->Append(tenant.core.state().tenant_id(), events); !s.ok()) {
        Restore(tenant);
        return s;
      }
    }
    if (snapshot_every_events_ > 0 && store_ != nullptr &&
        tenant.core.state().last_sequence() - tenant.snapshot_sequence >= snapshot_every_events_) {
      // The command is durable already; a failed snapshot only means a
      // longer replay at the next start, so it does not fail the command.
      (void)SaveSnapshot(tenant);
    }
    return absl::OkStatus();
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
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Recover(); !s.ok()) return s;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

absl::Status Engine::CreateTenant(absl::string_view tenant_id, const TenantOptions& options) {
  return impl_->CreateTenant(tenant_id, options);
}

absl::StatusOr<IngestResult> Engine::IngestMessage(absl::string_view tenant_id,
                                                   const InboundMessage& message) {
  return impl_->Command<IngestResult>(
      tenant_id, [&](const TenantCore& core, absl::Time now, Events* events) {
        return core.DecideIngest(message, now, events);
      });
}

absl::StatusOr<MessageId> Engine::RecordOutbound(absl::string_view tenant_id,
                                                 const OutboundMessage& message) {
  return impl_->Command<MessageId>(tenant_id,
                                   [&](const TenantCore& core, absl::Time, Events* events) {
                                     return core.DecideOutbound(message, events);
                                   });
}

absl::StatusOr<LinkResult> Engine::LinkIdentity(absl::string_view tenant_id, CustomerId customer,
                                                const RawIdentity& identity, const Actor& actor,
                                                LinkMode mode) {
  return impl_->Command<LinkResult>(
      tenant_id, [&](const TenantCore& core, absl::Time now, Events* events) {
        return core.DecideLink(customer, identity, actor, mode, now, events);
      });
}

absl::StatusOr<LinkResult> Engine::MergeCustomers(absl::string_view tenant_id, CustomerId a,
                                                  CustomerId b, const Actor& actor) {
  return impl_->Command<LinkResult>(
      tenant_id, [&](const TenantCore& core, absl::Time now, Events* events) {
        return core.DecideMerge(a, b, actor, now, events);
      });
}

namespace {
// Command results for calls that answer only with a status.
struct Done {};
absl::Status Unwrap(const absl::StatusOr<Done>& result) { return result.status(); }
}  // namespace

absl::Status Engine::UnmergeCustomer(absl::string_view tenant_id, CustomerId customer,
                                     const Actor& actor) {
  return Unwrap(impl_->Command<Done>(
      tenant_id, [&](const TenantCore& core, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s = core.DecideUnmerge(customer, actor, events); !s.ok()) return s;
        return Done{};
      }));
}

absl::Status Engine::Handoff(absl::string_view tenant_id, ConversationId conversation,
                             Channel to_channel, absl::string_view reason, const Actor& actor) {
  return Unwrap(impl_->Command<Done>(
      tenant_id, [&](const TenantCore& core, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s = core.DecideHandoff(conversation, to_channel, reason, actor, events);
            !s.ok()) {
          return s;
        }
        return Done{};
      }));
}

absl::Status Engine::SetConversationStatus(absl::string_view tenant_id,
                                           ConversationId conversation,
                                           ConversationStatus status, const Actor& actor) {
  return Unwrap(impl_->Command<Done>(
      tenant_id, [&](const TenantCore& core, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s = core.DecideStatus(conversation, status, actor, events); !s.ok()) {
          return s;
        }
        return Done{};
      }));
}

absl::Status Engine::MergeConversations(absl::string_view tenant_id, ConversationId target,
                                        ConversationId source, const Actor& actor) {
  return Unwrap(impl_->Command<Done>(
      tenant_id, [&](const TenantCore& core, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s = core.DecideMergeConversations(target, source, actor, events);
            !s.ok()) {
          return s;
        }
        return Done{};
      }));
}

absl::StatusOr<ConversationId> Engine::SplitConversation(absl::string_view tenant_id,
                                                         ConversationId source,
                                                         absl::Span<const MessageId> messages,
                                                         const Actor& actor) {
  return impl_->Command<ConversationId>(
      tenant_id, [&](const TenantCore& core, absl::Time, Events* events) {
        return core.DecideSplit(source, messages, actor, events);
      });
}

absl::StatusOr<CustomerView> Engine::GetCustomer(absl::string_view tenant_id,
                                                 CustomerId id) const {
  return impl_->Query<CustomerView>(
      tenant_id, [&](const core::TenantState& state) -> absl::StatusOr<CustomerView> {
        const core::CustomerState* c = state.customer(id);
        if (c == nullptr) {
          return absl::NotFoundError(absl::StrCat("customer: ", ToString(id), " not found"));
        }
        return core::ToView(*c);
      });
}

absl::StatusOr<CustomerView> Engine::FindCustomer(absl::string_view tenant_id,
                                                  const RawIdentity& identity) const {
  return impl_->Query<CustomerView>(
      tenant_id, [&](const core::TenantState& state) -> absl::StatusOr<CustomerView> {
        absl::StatusOr<Identity> normalized =
            NormalizeIdentity(identity, state.options().default_country_code);
        if (!normalized.ok()) return normalized.status();
        const CustomerId owner = state.OwnerOf(*normalized);
        if (!owner.valid()) {
          return absl::NotFoundError(
              absl::StrCat("identity: no customer has ", ToString(*normalized)));
        }
        return core::ToView(*state.customer(owner));
      });
}

absl::StatusOr<ConversationView> Engine::GetConversation(absl::string_view tenant_id,
                                                         ConversationId id) const {
  return impl_->Query<ConversationView>(
      tenant_id, [&](const core::TenantState& state) -> absl::StatusOr<ConversationView> {
        const core::ConversationState* c = state.conversation(id);
        if (c == nullptr) {
          return absl::NotFoundError(absl::StrCat("conversation: ", ToString(id), " not found"));
        }
        return core::ToView(state, *c);
      });
}

absl::StatusOr<std::vector<TimelineEntry>> Engine::GetTimeline(absl::string_view tenant_id,
                                                               ConversationId id) const {
  return impl_->Query<std::vector<TimelineEntry>>(
      tenant_id,
      [&](const core::TenantState& state) -> absl::StatusOr<std::vector<TimelineEntry>> {
        const core::ConversationState* c = state.conversation(id);
        if (c == nullptr) {
          return absl::NotFoundError(absl::StrCat("conversation: ", ToString(id), " not found"));
        }
        // A merged conversation's thread lives on in the one it joined.
        return core::Timeline(state, *state.conversation(state.ResolveConversation(id)));
      });
}

absl::StatusOr<std::vector<ConversationView>> Engine::ListConversations(
    absl::string_view tenant_id, CustomerId customer) const {
  return impl_->Query<std::vector<ConversationView>>(
      tenant_id,
      [&](const core::TenantState& state) -> absl::StatusOr<std::vector<ConversationView>> {
        const core::CustomerState* c = state.customer(customer);
        if (c == nullptr) {
          return absl::NotFoundError(absl::StrCat("customer: ", ToString(customer), " not found"));
        }
        c = state.customer(state.Resolve(customer));
        std::vector<ConversationView> views;
        for (ConversationId id : c->conversations) {
          const core::ConversationState& conversation = *state.conversation(id);
          if (conversation.status == ::omniroute::v1::CONVERSATION_STATUS_MERGED) continue;
          views.push_back(core::ToView(state, conversation));
        }
        return views;
      });
}

absl::StatusOr<uint64_t> Engine::LastSequence(absl::string_view tenant_id) const {
  return impl_->Query<uint64_t>(
      tenant_id, [](const core::TenantState& state) { return state.last_sequence(); });
}

absl::StatusOr<std::string> Engine::DumpState(absl::string_view tenant_id) const {
  return impl_->Query<std::string>(
      tenant_id, [](const core::TenantState& state) { return core::DumpState(state); });
}

std::vector<std::string> Engine::ListTenants() const { return impl_->ListTenants(); }

absl::Status Engine::TakeSnapshot(absl::string_view tenant_id) {
  return impl_->TakeSnapshot(tenant_id);
}

}  // namespace omniroute
