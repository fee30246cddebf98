// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/core_state.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/fingerprint.h"
#include "core/proto_convert.h"
#include "core/shrink_when_sparse.h"

namespace omniroute::core {

using ::omniroute::v1::Event;

absl::Status Misfit(const Event& event, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("event ", event.sequence(), " (",
                                          Event::descriptor()
                                              ->FindFieldByNumber(event.payload_case())
                                              ->name(),
                                          ") does not fit the state: ", why));
}

CoreState::CoreState(std::string tenant_id) : tenant_id_(std::move(tenant_id)) {}

const CustomerState* CoreState::customer(CustomerId id) const {
  if (id.value() == 0 || id.value() > customers_.size()) return nullptr;
  return &customers_[id.value() - 1];
}

const ConversationState* CoreState::conversation(ConversationId id) const {
  auto it = conversations_.find(id.value());
  return it == conversations_.end() ? nullptr : &it->second;
}

const MessageState* CoreState::message(MessageId id) const {
  auto it = messages_.find(id.value());
  return it == messages_.end() ? nullptr : &it->second;
}

std::vector<const ConversationState*> CoreState::ConversationsById() const {
  std::vector<const ConversationState*> out;
  out.reserve(conversations_.size());
  for (const auto& [id, c] : conversations_) out.push_back(&c);
  std::sort(out.begin(), out.end(),
            [](const ConversationState* a, const ConversationState* b) { return a->id < b->id; });
  return out;
}

std::vector<const MessageState*> CoreState::MessagesById() const {
  std::vector<const MessageState*> out;
  out.reserve(messages_.size());
  for (const auto& [id, m] : messages_) out.push_back(&m);
  std::sort(out.begin(), out.end(),
            [](const MessageState* a, const MessageState* b) { return a->id < b->id; });
  return out;
}

std::vector<ConversationId> CoreState::Family(ConversationId id) const {
  std::vector<ConversationId> family;
  if (conversation(id) == nullptr) return family;
  family.push_back(id);
  for (size_t i = 0; i < family.size(); ++i) {
    for (ConversationId absorbed : conversation(family[i])->absorbed) family.push_back(absorbed);
  }
  return family;
}

const MergeRecord* CoreState::active_merge(CustomerId absorbed) const {
  auto it = active_merges_.find(absorbed);
  return it == active_merges_.end() ? nullptr : &it->second;
}

CustomerId CoreState::OwnerOf(const Identity& identity) const {
  return identity_owner_.Find(identity, HolderOf(identity));
}

absl::Time CoreState::ErasedAt(CustomerId id) const {
  auto it = erased_at_.find(id);
  return it == erased_at_.end() ? absl::InfinitePast() : it->second;
}

void CoreState::LinkIdentity(CustomerState& customer, const Identity& identity) {
  identity_owner_.Insert(identity, customer.id, HolderOf(identity));
  customer.profile = customer.profile.WithIdentity(identity);
}

void CoreState::MoveIdentity(CustomerState& from, CustomerState& to, const Identity& identity) {
  identity_owner_.Assign(identity, to.id, HolderOf(identity));
  from.profile = from.profile.WithoutIdentity(identity);
  to.profile = to.profile.WithIdentity(identity);
}

CustomerId CoreState::Resolve(CustomerId id) const {
  const CustomerState* c = customer(id);
  while (c != nullptr && c->merged_into.valid()) c = customer(c->merged_into);
  return c == nullptr ? CustomerId() : c->id;
}

ConversationId CoreState::ResolveConversation(ConversationId id) const {
  const ConversationState* c = conversation(id);
  while (c != nullptr && c->merged_into.valid()) c = conversation(c->merged_into);
  return c == nullptr ? ConversationId() : c->id;
}

bool CoreState::ActiveCustomer(uint64_t id) const {
  const CustomerState* c = customer(CustomerId(id));
  return c != nullptr && !c->merged_into.valid() && !c->erased;
}

bool CoreState::LiveConversation(uint64_t id) const {
  const ConversationState* c = conversation(ConversationId(id));
  return c != nullptr && c->IsLive();
}

bool CoreState::MessagesIn(const google::protobuf::RepeatedField<uint64_t>& ids,
                           uint64_t conversation_id) const {
  absl::flat_hash_set<uint64_t> listed;
  listed.reserve(ids.size());
  for (uint64_t id : ids) {
    const MessageState* m = message(MessageId(id));
    if (m == nullptr || m->conversation.value() != conversation_id) return false;
    if (!listed.insert(id).second) return false;
  }
  return true;
}

// Everything an event needs is verified by its check, before anything
// changes, so that applying an event is all or nothing.

// ------------------------------------------------------------ TenantConfigured

absl::Status CoreState::CheckTenantConfigured(const Event& event) const {
  if (configured_) return Misfit(event, "the tenant is already configured");
  return absl::OkStatus();
}

void CoreState::ApplyTenantConfigured(const Event& event, absl::Time at) {
  options_ = FromProto(event.tenant_configured().settings());
  configured_ = true;
}


// ------------------------------------------------------------ ConversationOpened

absl::Status CoreState::CheckConversationOpened(const Event& event) const {
  const auto& e = event.conversation_opened();
  if (e.conversation_id() != next_conversation_id_) {
    return Misfit(event, "conversation ids must be consecutive");
  }
  if (!ActiveCustomer(e.customer_id())) return Misfit(event, "unknown customer");
  return absl::OkStatus();
}

void CoreState::ApplyConversationOpened(const Event& event, absl::Time at) {
  const auto& e = event.conversation_opened();
  ConversationState& c = conversations_[e.conversation_id()];
  ++next_conversation_id_;
  c.id = ConversationId(e.conversation_id());
  c.customer = CustomerId(e.customer_id());
  c.first_channel = e.channel();
  c.channel = e.channel();
  c.opened_at = at;
  c.last_activity_at = at;
  c.first_response_due = FromProto(e.first_response_due());
  mutable_customer(e.customer_id()).conversations.push_back(c.id);
}

// ------------------------------------------------------------ MessageRecorded

absl::Status CoreState::CheckMessageRecorded(const Event& event) const {
  const auto& e = event.message_recorded();
  if (e.message_id() != next_message_id_) {
    return Misfit(event, "message ids must be consecutive");
  }
  if (!LiveConversation(e.conversation_id())) return Misfit(event, "conversation not live");
  return absl::OkStatus();
}

void CoreState::ApplyMessageRecorded(const Event& event, absl::Time at) {
  const auto& e = event.message_recorded();
  MessageState& m = messages_[e.message_id()];
  ++next_message_id_;
  m.id = MessageId(e.message_id());
  m.conversation = ConversationId(e.conversation_id());
  m.origin = m.conversation;
  m.channel = e.channel();
  m.direction = e.direction();
  m.visibility = e.visibility();
  m.recorded_at = at;
  m.outcome = e.outcome();
  if (e.has_sender()) m.sender_fingerprint = IdentityFingerprint(FromProto(e.sender()));

  ConversationState& c = mutable_conversation(e.conversation_id());
  if (c.messages.empty()) {
    c.began_in_public = m.visibility == ::omniroute::v1::VISIBILITY_PUBLIC;
  }
  const bool in_order = c.messages.empty() || c.last_activity_at <= m.recorded_at;
  c.messages.push_back(m.id);
  if (in_order) {
    c.last_activity_at = m.recorded_at;
  } else {
    SortTimeline(c);
  }
  if (m.direction == ::omniroute::v1::DIRECTION_OUTBOUND && at < c.first_responded_at) {
    c.first_responded_at = at;
  }
}

// ------------------------------------------------------------ HandoffRecorded

absl::Status CoreState::CheckHandoffRecorded(const Event& event) const {
  const auto& e = event.handoff_recorded();
  if (!LiveConversation(e.conversation_id())) return Misfit(event, "conversation not live");
  if (conversation(ConversationId(e.conversation_id()))->channel != e.from_channel()) {
    return Misfit(event, "handoff from a channel the conversation is not on");
  }
  return absl::OkStatus();
}

void CoreState::ApplyHandoffRecorded(const Event& event, absl::Time at) {
  const auto& e = event.handoff_recorded();
  ConversationState& c = mutable_conversation(e.conversation_id());
  c.channel = e.to_channel();
  c.handoffs.push_back({e.from_channel(), e.to_channel(), e.reason(), FromProto(e.actor()), at});
}

// ------------------------------------------------------------ ConversationStatusChanged

absl::Status CoreState::CheckConversationStatusChanged(const Event& event) const {
  const auto& e = event.conversation_status_changed();
  const ConversationState* c = conversation(ConversationId(e.conversation_id()));
  if (c == nullptr || c->status != e.from_status()) {
    return Misfit(event, "status change from a status the conversation is not in");
  }
  return absl::OkStatus();
}

void CoreState::ApplyConversationStatusChanged(const Event& event, absl::Time at) {
  const auto& e = event.conversation_status_changed();
  ConversationState& c = mutable_conversation(e.conversation_id());
  archivable_.erase({c.closed_at, c.id});
  c.status = e.to_status();
  if (c.status == ::omniroute::v1::CONVERSATION_STATUS_RESOLVED) {
    c.resolved_at = at;
  } else if (c.status != ::omniroute::v1::CONVERSATION_STATUS_CLOSED) {
    c.resolved_at = absl::InfiniteFuture();
  }
  c.closed_at = c.status == ::omniroute::v1::CONVERSATION_STATUS_CLOSED
                    ? at
                    : absl::InfiniteFuture();
  RefreshArchivable(c);
}

// ------------------------------------------------------------ ConversationsMerged

absl::Status CoreState::CheckConversationsMerged(const Event& event) const {
  const auto& e = event.conversations_merged();
  if (!LiveConversation(e.target_conversation_id()) ||
      !LiveConversation(e.source_conversation_id()) ||
      e.target_conversation_id() == e.source_conversation_id() ||
      !MessagesIn(e.message_ids(), e.source_conversation_id())) {
    return Misfit(event, "conversation merge does not match the conversations");
  }
  return absl::OkStatus();
}

void CoreState::ApplyConversationsMerged(const Event& event, absl::Time at) {
  const auto& e = event.conversations_merged();
  ConversationState& target = mutable_conversation(e.target_conversation_id());
  ConversationState& source = mutable_conversation(e.source_conversation_id());
  FollowLatestChannel(source, target);
  MoveMessages(source, target, e.message_ids());
  source.status_before_merge = source.status;
  source.status = ::omniroute::v1::CONVERSATION_STATUS_MERGED;
  source.merged_into = target.id;
  target.absorbed.push_back(source.id);
}

// ------------------------------------------------------------ ConversationSplit

absl::Status CoreState::CheckConversationSplit(const Event& event) const {
  const auto& e = event.conversation_split();
  if (!LiveConversation(e.target_conversation_id()) ||
      !LiveConversation(e.source_conversation_id()) ||
      e.target_conversation_id() == e.source_conversation_id() ||
      !MessagesIn(e.message_ids(), e.source_conversation_id())) {
    return Misfit(event, "split does not match the conversations");
  }
  return absl::OkStatus();
}

void CoreState::ApplyConversationSplit(const Event& event, absl::Time at) {
  const auto& e = event.conversation_split();
  ConversationState& source = mutable_conversation(e.source_conversation_id());
  ConversationState& target = mutable_conversation(e.target_conversation_id());
  MoveMessages(source, target, e.message_ids());
  // Each part began where its first message did.
  UpdateBeganInPublic(source);
  UpdateBeganInPublic(target);
}

// ------------------------------------------------------------ ConversationArchived

absl::Status CoreState::CheckConversationArchived(const Event& event) const {
  const ConversationState* c =
      conversation(ConversationId(event.conversation_archived().conversation_id()));
  if (c == nullptr || c->status != ::omniroute::v1::CONVERSATION_STATUS_CLOSED) {
    return Misfit(event, "only a closed conversation of the working set is archived");
  }
  return absl::OkStatus();
}

void CoreState::ApplyConversationArchived(const Event& event, absl::Time at) {
  const std::vector<ConversationId> family =
      Family(ConversationId(event.conversation_archived().conversation_id()));
  for (ConversationId id : family) {
    const ConversationState& c = conversations_.at(id.value());
    for (MessageId m : c.messages) messages_.erase(m.value());
    archivable_.erase({c.closed_at, id});
    mutable_customer(c.customer.value()).conversations.Erase(id);
  }
  for (ConversationId id : family) conversations_.erase(id.value());
  ShrinkWhenSparse(conversations_);
  ShrinkWhenSparse(messages_);
}

std::vector<ConversationId> CoreState::PinnedBy(const MergeRecord& record) {
  std::vector<ConversationId> ids = record.conversations;
  for (const MergeRecord::Thread& t : record.threads) {
    ids.push_back(t.target);
    ids.push_back(t.source);
  }
  return ids;
}

void CoreState::Pin(const MergeRecord& record) {
  for (ConversationId id : PinnedBy(record)) {
    ++merge_pins_[id];
    if (const ConversationState* c = conversation(id)) archivable_.erase({c->closed_at, id});
  }
}

void CoreState::Unpin(ConversationId id) {
  auto it = merge_pins_.find(id);
  if (it == merge_pins_.end()) return;
  if (--it->second > 0) return;
  merge_pins_.erase(it);
  if (auto c = conversations_.find(id.value()); c != conversations_.end()) {
    RefreshArchivable(c->second);
  }
}

void CoreState::RefreshArchivable(const ConversationState& c) {
  if (c.status == ::omniroute::v1::CONVERSATION_STATUS_CLOSED && !merge_pins_.contains(c.id)) {
    archivable_.insert({c.closed_at, c.id});
  } else {
    archivable_.erase({c.closed_at, c.id});
  }
}

void CoreState::MoveMessages(ConversationState& from, ConversationState& to,
                               const google::protobuf::RepeatedField<uint64_t>& ids) {
  if (ids.empty()) return;
  absl::flat_hash_set<MessageId> moving;
  moving.reserve(ids.size());
  const size_t old_size = to.messages.size();
  for (uint64_t id : ids) {
    moving.insert(MessageId(id));
    mutable_message(id).conversation = to.id;
    to.messages.push_back(MessageId(id));
  }
  from.messages.erase(std::remove_if(from.messages.begin(), from.messages.end(),
                                     [&](MessageId id) { return moving.contains(id); }),
                      from.messages.end());
  // Both timelines stay sorted: what remains in `from` keeps its order, and
  // the moved messages (in any order the event lists them) merge into `to`.
  auto before = [&](MessageId a, MessageId b) { return TimelineBefore(a, b); };
  auto middle = to.messages.begin() + static_cast<std::ptrdiff_t>(old_size);
  if (!std::is_sorted(middle, to.messages.end(), before)) std::sort(middle, to.messages.end(), before);
  std::inplace_merge(to.messages.begin(), middle, to.messages.end(), before);
  UpdateLastActivity(from);
  UpdateLastActivity(to);
}

void CoreState::FollowLatestChannel(const ConversationState& source,
                                      ConversationState& target) {
  // The joined thread continues where the customer spoke last: an agent
  // answers on the channel the customer is using, not on an older one.
  if (source.last_activity_at > target.last_activity_at) target.channel = source.channel;
}

void CoreState::UpdateBeganInPublic(ConversationState& conversation) const {
  conversation.began_in_public =
      !conversation.messages.empty() &&
      message_at(conversation.messages.front()).visibility ==
          ::omniroute::v1::VISIBILITY_PUBLIC;
}

bool CoreState::TimelineBefore(MessageId a, MessageId b) const {
  const absl::Time ta = message_at(a).recorded_at;
  const absl::Time tb = message_at(b).recorded_at;
  return ta != tb ? ta < tb : a < b;
}

void CoreState::SortTimeline(ConversationState& conversation) {
  std::sort(conversation.messages.begin(), conversation.messages.end(),
            [&](MessageId a, MessageId b) { return TimelineBefore(a, b); });
  UpdateLastActivity(conversation);
}

void CoreState::UpdateLastActivity(ConversationState& conversation) const {
  conversation.last_activity_at =
      conversation.messages.empty()
          ? conversation.opened_at
          : message_at(conversation.messages.back()).recorded_at;
}

}  // namespace omniroute::core
