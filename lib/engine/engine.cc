// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "omniroute/engine.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/tenant_core.h"
#include "core/views.h"
#include "engine/archived_conversation.h"
#include "engine/customer_export.h"
#include "engine/engine_impl.h"
#include "engine/page_token.h"
#include "engine/timeline.h"
#include "routing/routed_work.h"
#include "routing/routing_views.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"

namespace omniroute {

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

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Recover(); !s.ok()) return s;
  auto engine = std::unique_ptr<Engine>(new Engine(std::move(impl)));
  // Before any tenant serves: erasures whose redaction was interrupted.
  if (absl::Status s = engine->FinishInterruptedErasures(); !s.ok()) return s;
  return engine;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

absl::Status Engine::CreateTenant(absl::string_view tenant_id, const TenantOptions& options,
                                  const Caller& caller) {
  return impl_->CreateTenant(tenant_id, options, caller);
}

absl::Status Engine::AdoptTenant(absl::string_view tenant_id) {
  if (absl::Status s = impl_->AdoptTenant(tenant_id); !s.ok()) return s;
  // Before it serves anything a redaction still has to remove.
  if (absl::Status s = FinishInterruptedErasuresOf(tenant_id); !s.ok()) {
    (void)impl_->ReleaseTenant(tenant_id);
    return s;
  }
  return absl::OkStatus();
}

absl::Status Engine::ReleaseTenant(absl::string_view tenant_id) {
  return impl_->ReleaseTenant(tenant_id);
}

namespace {

// The task an ingested message created for its conversation, if any: the
// last of the tasks the command created that answers a customer's message
// there.
void NoteIngestTask(IngestResult& result, const Events&, absl::Span<const TaskId> created,
                    const tenant::TenantState& state) {
  for (TaskId id : created) {
    const routing::TaskState* task = state.routing().task(id);
    if (task != nullptr && task->conversation == result.conversation &&
        (task->reason == ::omniroute::v1::TASK_REASON_INBOUND ||
         task->reason == ::omniroute::v1::TASK_REASON_REOPEN)) {
      result.task = id;
    }
  }
  if (result.task.has_value()) {
    if (const routing::TaskState* task = state.routing().task(*result.task); task != nullptr) {
      result.task_view = routing::ToView(*task);
    }
  }
}

}  // namespace

absl::StatusOr<IngestResult> Engine::IngestMessage(absl::string_view tenant_id,
                                                   const InboundMessage& message) {
  return impl_->Command<IngestResult>(
      tenant_id,
      [&](const tenant::TenantState& state, const core::MessageLookup& lookup, absl::Time now,
          Events* events) {
        return TenantCore(state.core()).DecideIngest(message, now, lookup, events);
      },
      NoteIngestTask);
}

void Engine::IngestMessageAsync(absl::string_view tenant_id, const InboundMessage& message,
                                absl::AnyInvocable<void(absl::StatusOr<IngestResult>) &&> done) {
  impl_->CommandAsync<IngestResult>(
      tenant_id,
      [&](const tenant::TenantState& state, const core::MessageLookup& lookup, absl::Time now,
          Events* events) {
        return TenantCore(state.core()).DecideIngest(message, now, lookup, events);
      },
      NoteIngestTask, std::move(done));
}

absl::StatusOr<MessageId> Engine::RecordOutbound(absl::string_view tenant_id,
                                                 const OutboundMessage& message) {
  return impl_->Command<MessageId>(
      tenant_id, [&](const tenant::TenantState& state, const core::MessageLookup& lookup,
                     absl::Time, Events* events) {
        return TenantCore(state.core())
            .DecideOutbound(message, lookup, routing::RoutedWorkOf(state.routing()), events);
      });
}

absl::StatusOr<LinkResult> Engine::LinkIdentity(absl::string_view tenant_id, CustomerId customer,
                                                const RawIdentity& identity, const Actor& actor,
                                                LinkMode mode, const Caller& caller) {
  return impl_->Command<LinkResult>(
      tenant_id, [&](const tenant::TenantState& state, absl::Time now, Events* events) {
        absl::StatusOr<LinkResult> linked =
            TenantCore(state.core()).DecideLink(customer, identity, actor, mode, now, events);
        tenant::RecordCaller(caller, absl::MakeSpan(*events));
        return linked;
      });
}

absl::StatusOr<LinkResult> Engine::MergeCustomers(absl::string_view tenant_id, CustomerId a,
                                                  CustomerId b, const Actor& actor,
                                                  const Caller& caller) {
  return impl_->Command<LinkResult>(
      tenant_id, [&](const tenant::TenantState& state, absl::Time now, Events* events) {
        absl::StatusOr<LinkResult> merged =
            TenantCore(state.core()).DecideMerge(a, b, actor, now, events);
        tenant::RecordCaller(caller, absl::MakeSpan(*events));
        return merged;
      });
}

namespace {
// Command results for calls that answer only with a status.
struct Done {};
absl::Status Unwrap(const absl::StatusOr<Done>& result) { return result.status(); }
}  // namespace

absl::Status Engine::UnmergeCustomer(absl::string_view tenant_id, CustomerId customer,
                                     const Actor& actor, const Caller& caller) {
  return Unwrap(impl_->Command<Done>(
      tenant_id,
      [&](const tenant::TenantState& state, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s = TenantCore(state.core()).DecideUnmerge(customer, actor, events);
            !s.ok())
          return s;
        tenant::RecordCaller(caller, absl::MakeSpan(*events));
        return Done{};
      }));
}

absl::Status Engine::Handoff(absl::string_view tenant_id, ConversationId conversation,
                             Channel to_channel, absl::string_view reason, const Actor& actor) {
  return Unwrap(impl_->Command<Done>(
      tenant_id,
      [&](const tenant::TenantState& state, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s = TenantCore(state.core())
                                 .DecideHandoff(conversation, to_channel, reason, actor, events);
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
      tenant_id,
      [&](const tenant::TenantState& state, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s =
                TenantCore(state.core()).DecideStatus(conversation, status, actor, events);
            !s.ok()) {
          return s;
        }
        return Done{};
      }));
}

absl::Status Engine::MergeConversations(absl::string_view tenant_id, ConversationId target,
                                        ConversationId source, const Actor& actor) {
  return Unwrap(impl_->Command<Done>(
      tenant_id,
      [&](const tenant::TenantState& state, absl::Time, Events* events) -> absl::StatusOr<Done> {
        if (absl::Status s =
                TenantCore(state.core()).DecideMergeConversations(target, source, actor, events);
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
      tenant_id, [&](const tenant::TenantState& state, absl::Time, Events* events) {
        return TenantCore(state.core()).DecideSplit(source, messages, actor, events);
      });
}

absl::StatusOr<CustomerView> Engine::GetCustomer(absl::string_view tenant_id,
                                                 CustomerId id) const {
  return impl_->Query<CustomerView>(
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<CustomerView> {
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
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<CustomerView> {
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

namespace {

absl::Status ConversationNotFound(ConversationId id) {
  return absl::NotFoundError(absl::StrCat("conversation: ", ToString(id), " not found"));
}

// Whether `id` was given to a conversation that is no longer in memory.
bool MayBeArchived(const tenant::TenantState& state, ConversationId id) {
  return id.valid() && id < state.NextConversationId() && state.conversation(id) == nullptr;
}

}  // namespace

absl::StatusOr<ConversationView> Engine::GetConversation(absl::string_view tenant_id,
                                                         ConversationId id) const {
  // In memory, or archived (read from the store, without the tenant's lock).
  absl::StatusOr<std::optional<ConversationView>> live =
      impl_->Query<std::optional<ConversationView>>(
          tenant_id,
          [&](const tenant::TenantState& state) -> absl::StatusOr<std::optional<ConversationView>> {
            if (const core::ConversationState* c = state.conversation(id)) {
              return core::ToView(state.core(), *c);
            }
            if (!MayBeArchived(state, id)) return ConversationNotFound(id);
            return std::nullopt;
          });
  if (!live.ok()) return live.status();
  if (live->has_value()) return **std::move(live);
  absl::StatusOr<engine_internal::ArchivedConversation> archived =
      engine_internal::ArchivedConversation::Read(impl_->store(), tenant_id,
                                                  EventStore::ArchivedKind::kConversation,
                                                  id.value(), "conversation");
  if (!archived.ok()) return archived.status();
  ConversationView view = archived->Conversation(id);
  // Merges since it was archived.
  absl::StatusOr<CustomerId> customer = impl_->Query<CustomerId>(
      tenant_id, [&](const tenant::TenantState& state) { return state.Resolve(view.customer); });
  if (!customer.ok()) return customer.status();
  view.customer = *customer;
  return view;
}

absl::StatusOr<TimelinePage> Engine::GetTimelinePage(absl::string_view tenant_id,
                                                     ConversationId id,
                                                     const PageRequest& request) const {
  absl::StatusOr<int> page_size = engine_internal::PageSize(request);
  if (!page_size.ok()) return page_size.status();
  std::optional<engine_internal::TimelineKey> after;
  if (!request.page_token.empty()) {
    absl::StatusOr<std::string> position = engine_internal::DecodePageToken(
        tenant_id, engine_internal::TimelineScope(id), request.page_token);
    if (!position.ok()) return position.status();
    absl::StatusOr<engine_internal::TimelineKey> key = engine_internal::DecodeTimelineKey(*position);
    if (!key.ok()) return key.status();
    after = *key;
  }
  // Where the thread lives and its handoffs come from the working set; the
  // messages from the store, once everything the state showed is stored.
  struct Thread {
    ConversationId id;
    std::vector<HandoffView> handoffs;
  };
  absl::StatusOr<std::optional<Thread>> live = impl_->Query<std::optional<Thread>>(
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<std::optional<Thread>> {
        if (state.conversation(id) == nullptr) {
          if (MayBeArchived(state, id)) return std::nullopt;
          return ConversationNotFound(id);
        }
        // A merged conversation's thread lives on in the one it joined.
        const core::ConversationState& c = *state.conversation(state.ResolveConversation(id));
        return Thread{c.id, core::ToView(state.core(), c).handoffs};
      });
  if (!live.ok()) return live.status();
  std::optional<Thread> thread = *std::move(live);
  if (!thread.has_value()) {
    absl::StatusOr<engine_internal::ArchivedConversation> archived =
        engine_internal::ArchivedConversation::Read(impl_->store(), tenant_id,
                                                    EventStore::ArchivedKind::kConversation,
                                                    id.value(), "conversation");
    if (!archived.ok()) return archived.status();
    const ConversationId holder = archived->Holder(id);
    thread = Thread{holder, archived->Conversation(holder).handoffs};
  }
  return engine_internal::ReadTimelinePage(impl_->store(), tenant_id, id, thread->id,
                                           thread->handoffs, after, *page_size);
}

absl::StatusOr<std::vector<TimelineEntry>> Engine::GetTimeline(absl::string_view tenant_id,
                                                               ConversationId id) const {
  std::vector<TimelineEntry> entries;
  PageRequest request;
  request.page_size = kMaxPageSize;
  do {
    absl::StatusOr<TimelinePage> page = GetTimelinePage(tenant_id, id, request);
    if (!page.ok()) return page.status();
    std::move(page->entries.begin(), page->entries.end(), std::back_inserter(entries));
    request.page_token = std::move(page->next_page_token);
  } while (!request.page_token.empty());
  return entries;
}

namespace {
std::string ConversationsScope(CustomerId customer) {
  return absl::StrCat("conversations of customer ", customer.value());
}
}  // namespace

absl::StatusOr<ConversationPage> Engine::ListConversationsPage(absl::string_view tenant_id,
                                                               CustomerId customer,
                                                               const PageRequest& request) const {
  absl::StatusOr<int> page_size = engine_internal::PageSize(request);
  if (!page_size.ok()) return page_size.status();
  uint64_t after = 0;
  if (!request.page_token.empty()) {
    absl::StatusOr<std::string> position = engine_internal::DecodePageToken(
        tenant_id, ConversationsScope(customer), request.page_token);
    if (!position.ok()) return position.status();
    if (position->size() != 8) {
      return absl::InvalidArgumentError("page_token: not a position in a list of conversations");
    }
    after = engine_internal::ReadUint64(*position, 0);
  }
  // The conversations in memory, and who the archived ones may belong to:
  // the customer and every customer merged into it.
  struct Live {
    CustomerId holder;
    std::vector<CustomerId> customers;
    std::vector<ConversationView> views;
  };
  const size_t wanted = static_cast<size_t>(*page_size) + 1;
  absl::StatusOr<Live> live =
      impl_->Query<Live>(tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<Live> {
        const core::CustomerState* c = state.customer(customer);
        if (c == nullptr) {
          return absl::NotFoundError(absl::StrCat("customer: ", ToString(customer), " not found"));
        }
        c = state.customer(state.Resolve(customer));
        Live result;
        result.holder = c->id;
        result.customers.push_back(c->id);
        for (size_t i = 0; i < result.customers.size(); ++i) {
          for (const auto& [absorbed, record] : state.core().active_merges()) {
            if (record.survivor == result.customers[i]) result.customers.push_back(absorbed);
          }
        }
        // By id: a customer's list is in the order its conversations came
        // to it (merges append), which is no order to resume from.
        std::vector<ConversationId> ids;
        for (ConversationId id : c->conversations) {
          if (id.value() <= after) continue;
          if (state.conversation(id)->status == ::omniroute::v1::CONVERSATION_STATUS_MERGED) {
            continue;
          }
          ids.push_back(id);
        }
        std::sort(ids.begin(), ids.end());
        if (ids.size() > wanted) ids.resize(wanted);
        for (ConversationId id : ids) {
          result.views.push_back(core::ToView(state.core(), *state.conversation(id)));
        }
        return result;
      });
  if (!live.ok()) return live.status();
  // The archived ones from the store, merged in id order.
  absl::StatusOr<std::vector<ConversationId>> archived_ids = impl_->store().ListArchivedConversations(
      tenant_id, live->customers, ConversationId(after), wanted);
  if (!archived_ids.ok()) return archived_ids.status();
  std::vector<ConversationView> views = std::move(live->views);
  absl::flat_hash_set<ConversationId> listed;
  for (const ConversationView& view : views) listed.insert(view.id);
  for (ConversationId id : *archived_ids) {
    // One archived while the list was read is in both: memory's view stands.
    if (listed.contains(id)) continue;
    absl::StatusOr<engine_internal::ArchivedConversation> archived =
        engine_internal::ArchivedConversation::Read(impl_->store(), tenant_id,
                                                    EventStore::ArchivedKind::kConversation,
                                                    id.value(), "conversation");
    if (!archived.ok()) return archived.status();
    ConversationView view = archived->Conversation(id);
    view.customer = live->holder;
    views.push_back(std::move(view));
  }
  std::sort(views.begin(), views.end(),
            [](const ConversationView& a, const ConversationView& b) { return a.id < b.id; });
  ConversationPage page;
  for (ConversationView& view : views) {
    if (page.conversations.size() == static_cast<size_t>(*page_size)) {
      std::string position;
      engine_internal::AppendUint64(position, page.conversations.back().id.value());
      page.next_page_token =
          engine_internal::EncodePageToken(tenant_id, ConversationsScope(customer), position);
      break;
    }
    page.conversations.push_back(std::move(view));
  }
  return page;
}

absl::StatusOr<std::vector<ConversationView>> Engine::ListConversations(
    absl::string_view tenant_id, CustomerId customer) const {
  std::vector<ConversationView> views;
  PageRequest request;
  request.page_size = kMaxPageSize;
  do {
    absl::StatusOr<ConversationPage> page = ListConversationsPage(tenant_id, customer, request);
    if (!page.ok()) return page.status();
    std::move(page->conversations.begin(), page->conversations.end(), std::back_inserter(views));
    request.page_token = std::move(page->next_page_token);
  } while (!request.page_token.empty());
  return views;
}

absl::Status Engine::ExportCustomer(
    absl::string_view tenant_id, CustomerId customer,
    const std::function<absl::Status(absl::string_view line)>& write) const {
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
  return engine_internal::WriteCustomerExport(impl_->store(), tenant_id, *plan, write);
}

absl::StatusOr<uint64_t> Engine::LastSequence(absl::string_view tenant_id) const {
  return impl_->Query<uint64_t>(
      tenant_id, [](const tenant::TenantState& state) { return state.last_sequence(); });
}

absl::StatusOr<std::string> Engine::DumpState(absl::string_view tenant_id) const {
  return impl_->Query<std::string>(
      tenant_id, [](const tenant::TenantState& state) { return tenant::DumpState(state); });
}

std::vector<std::string> Engine::ListTenants() const { return impl_->ListTenants(); }

absl::Status Engine::TakeSnapshot(absl::string_view tenant_id) {
  return impl_->TakeSnapshot(tenant_id);
}

SnapshotStats Engine::GetSnapshotStats() const { return impl_->GetSnapshotStats(); }

void Engine::WaitForSnapshots() const { impl_->WaitForSnapshots(); }

}  // namespace omniroute
