// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Commands on conversations: ingest (threading), outbound messages, handoffs,
// status, merge and split.

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "core/tenant_core.h"
#include "core/text.h"

namespace omniroute::core {
namespace {

using ::omniroute::v1::Event;

bool IsKnownChannel(Channel channel) {
  return channel != ::omniroute::v1::CHANNEL_UNSPECIFIED && ::omniroute::v1::Channel_IsValid(channel);
}

absl::Status CheckChannel(Channel channel, absl::string_view field) {
  if (IsKnownChannel(channel)) return absl::OkStatus();
  if (channel == ::omniroute::v1::CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": unspecified"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", static_cast<int>(channel), " is not a known channel"));
}

absl::Status CheckVisibility(Visibility visibility, absl::string_view field) {
  if (::omniroute::v1::Visibility_IsValid(visibility)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", static_cast<int>(visibility), " is not a known visibility"));
}

absl::Status CheckKey(absl::string_view value, absl::string_view field, bool required) {
  if (value.empty()) {
    return required ? absl::InvalidArgumentError(absl::StrCat(field, ": required"))
                    : absl::OkStatus();
  }
  if (value.size() > kMaxExternalIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", value.size(),
                                                   " bytes; the limit is ",
                                                   kMaxExternalIdBytes));
  }
  return CheckUtf8(value, field);
}

absl::Status CheckReferences(const std::vector<std::string>& references) {
  if (references.size() > kMaxReferences) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "references: ", references.size(), " entries; the limit is ", kMaxReferences));
  }
  for (size_t i = 0; i < references.size(); ++i) {
    if (absl::Status s = CheckKey(references[i], absl::StrCat("references[", i, "]"), true);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBody(absl::string_view body, const TenantOptions& options) {
  if (body.size() > options.max_body_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("body: ", body.size(),
                                                     " bytes exceeds the tenant's limit of ",
                                                     options.max_body_bytes, " bytes"));
  }
  return CheckUtf8(body, "body");
}

absl::Status CheckShortText(absl::string_view value, absl::string_view field, size_t limit) {
  if (value.size() > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value.size(), " bytes; the limit is ", limit));
  }
  return CheckUtf8(value, field);
}

bool IsOpenForContinuity(const ConversationState& c) {
  return c.status == ::omniroute::v1::CONVERSATION_STATUS_OPEN ||
         c.status == ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER;
}

void AppendStatusChange(const ConversationState& c, ConversationStatus to, const Actor& actor,
                        absl::string_view reason, Events* events) {
  auto* e = events->emplace_back().mutable_conversation_status_changed();
  e->set_conversation_id(c.id.value());
  e->set_from_status(c.status);
  e->set_to_status(to);
  ToProto(actor, e->mutable_actor());
  e->set_reason(std::string(reason));
}

}  // namespace

absl::StatusOr<const ConversationState*> TenantCore::LiveConversation(
    ConversationId id, absl::string_view field) const {
  const ConversationState* c = state_.conversation(id);
  if (c == nullptr && id.valid() && id < state_.NextConversationId()) {
    // Given, and gone: closed (or merged into one closed), then archived.
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", ToString(id), " is closed (archived)"));
  }
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat(field, ": ", ToString(id), " not found"));
  }
  if (c->status == ::omniroute::v1::CONVERSATION_STATUS_MERGED) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", ToString(id), " was merged into ",
                     ToString(state_.ResolveConversation(id))));
  }
  if (c->status == ::omniroute::v1::CONVERSATION_STATUS_CLOSED) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": ", ToString(id), " is closed"));
  }
  return c;
}

absl::StatusOr<IngestResult> TenantCore::DecideIngest(const InboundMessage& message,
                                                      absl::Time now,
                                                      const MessageLookup& lookup,
                                                      Events* events) const {
  const TenantOptions& options = state_.options();
  if (absl::Status s = CheckChannel(message.channel, "channel"); !s.ok()) return s;
  if (absl::Status s = CheckKey(message.external_id, "external_id", true); !s.ok()) return s;
  if (absl::Status s = CheckKey(message.thread_key, "thread_key", false); !s.ok()) return s;
  if (absl::Status s = CheckReferences(message.references); !s.ok()) return s;
  if (absl::Status s = CheckBody(message.body, options); !s.ok()) return s;
  if (absl::Status s = CheckVisibility(message.visibility, "visibility"); !s.ok()) return s;
  if (absl::Status s = CheckShortText(message.profile.display_name, "profile.display_name", 256);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckShortText(message.profile.language, "profile.language", 35);
      !s.ok()) {
    return s;
  }
  if (message.profile.reach < 0) {
    return absl::InvalidArgumentError("profile.reach: must not be negative");
  }
  if (message.tags.size() > 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("tags: ", message.tags.size(), " tags; at most 16 are accepted"));
  }
  for (size_t i = 0; i < message.tags.size(); ++i) {
    if (message.tags[i].empty() || message.tags[i].size() > 64) {
      return absl::InvalidArgumentError(
          absl::StrCat("tags[", i, "]: must be 1 to 64 bytes"));
    }
    if (absl::Status s = CheckUtf8(message.tags[i], absl::StrCat("tags[", i, "]")); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<Identity> sender = NormalizeIdentity(message.sender, options.default_country_code);
  if (!sender.ok()) return RenameField(sender.status(), "identity.", "sender.");

  // A redelivery answers with what is stored, wherever merges moved it.
  absl::StatusOr<MessageId> stored = lookup.ByExternalId(message.channel, message.external_id);
  if (!stored.ok()) return stored.status();
  if (stored->valid()) {
    IngestResult result;
    result.message = *stored;
    result.duplicate = true;
    if (const MessageState* m = state_.message(*stored)) {
      result.conversation = m->conversation;
      result.customer = state_.Resolve(state_.conversation(m->conversation)->customer);
      result.outcome = m->outcome;
      return result;
    }
    // It left memory with its closed conversation: the store answers.
    absl::StatusOr<MessageLookup::ArchivedMessage> archived = lookup.Archived(*stored);
    if (absl::IsNotFound(archived.status())) {
      return absl::InternalError(absl::StrCat("redelivery of message ", stored->value(), ": ",
                                              archived.status().message()));
    }
    if (!archived.ok()) return archived.status();
    result.conversation = archived->conversation;
    result.customer = state_.Resolve(archived->customer);
    result.outcome = archived->outcome;
    return result;
  }

  IngestResult result;
  result.customer = state_.OwnerOf(*sender);
  if (!result.customer.valid()) {
    result.customer = state_.NextCustomerId();
    result.customer_created = true;
    auto* created = events->emplace_back().mutable_customer_created();
    created->set_customer_id(result.customer.value());
    created->set_display_name(message.profile.display_name);
    created->set_language(message.profile.language);
    created->set_reach(message.profile.reach);
    auto* linked = events->emplace_back().mutable_identity_linked();
    linked->set_customer_id(result.customer.value());
    ToProto(*sender, linked->mutable_identity());
    ToProto(Actor::System(), linked->mutable_actor());
  }

  // Threading: (1) an explicit reference to a known message or thread of this
  // customer, (2) the customer's conversation active within the continuity
  // window, (3) a new conversation.
  const ConversationState* joined = nullptr;
  auto consider_reference = [&](ConversationId id) {
    if (joined != nullptr || !id.valid()) return;
    const ConversationState* c = state_.conversation(state_.ResolveConversation(id));
    if (c == nullptr || !c->IsLive()) return;
    // A reference into another customer's thread (someone replying to a public
    // post, a forwarded email) does not join it.
    if (state_.Resolve(c->customer) != result.customer) return;
    joined = c;
  };
  if (!result.customer_created) {
    for (const std::string& reference : message.references) {
      absl::StatusOr<MessageId> referenced = lookup.ByExternalId(message.channel, reference);
      if (!referenced.ok()) return referenced.status();
      // A message no longer in memory is in a closed conversation, which
      // is never joined.
      if (referenced->valid() && state_.message(*referenced) != nullptr) {
        consider_reference(state_.message(*referenced)->conversation);
      }
    }
    if (!message.thread_key.empty()) {
      // The conversation of the latest message with the key.
      absl::StatusOr<MessageId> latest =
          lookup.LatestByThreadKey(message.channel, message.thread_key);
      if (!latest.ok()) return latest.status();
      if (latest->valid() && state_.message(*latest) != nullptr) {
        consider_reference(state_.message(*latest)->conversation);
      }
    }
    result.outcome = ::omniroute::v1::THREAD_OUTCOME_JOINED_BY_REFERENCE;
    if (joined == nullptr) {
      const absl::Time since = now - options.ContinuityWindow(message.channel);
      absl::Time best = absl::InfinitePast();
      for (ConversationId id : state_.customer(result.customer)->conversations) {
        const ConversationState& c = *state_.conversation(id);
        if (!IsOpenForContinuity(c)) continue;
        const absl::Time last = state_.LastActivity(c);
        if (last >= since && last > best) {
          best = last;
          joined = &c;
        }
      }
      result.outcome = ::omniroute::v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY;
    }
  }

  const Visibility visibility = message.visibility != ::omniroute::v1::VISIBILITY_UNSPECIFIED
                                    ? message.visibility
                                    : TraitsOf(message.channel).visibility;
  if (joined == nullptr) {
    result.conversation = state_.NextConversationId();
    result.outcome = ::omniroute::v1::THREAD_OUTCOME_OPENED;
    auto* opened = events->emplace_back().mutable_conversation_opened();
    opened->set_conversation_id(result.conversation.value());
    opened->set_customer_id(result.customer.value());
    opened->set_channel(message.channel);
    ToProto(now + options.FirstResponseTarget(message.channel),
            opened->mutable_first_response_due());
  } else {
    result.conversation = joined->id;
    if (joined->channel != message.channel) {
      // The customer moved channels: that is a handoff they asked for.
      auto* handoff = events->emplace_back().mutable_handoff_recorded();
      handoff->set_conversation_id(joined->id.value());
      handoff->set_from_channel(joined->channel);
      handoff->set_to_channel(message.channel);
      handoff->set_reason(absl::StrCat("customer wrote on ", ChannelName(message.channel)));
      ToProto(Actor::Customer(), handoff->mutable_actor());
    }
    if (joined->status == ::omniroute::v1::CONVERSATION_STATUS_RESOLVED) {
      result.outcome = ::omniroute::v1::THREAD_OUTCOME_REOPENED;
      AppendStatusChange(*joined, ::omniroute::v1::CONVERSATION_STATUS_OPEN, Actor::Customer(),
                         "customer wrote again", events);
    } else if (joined->status == ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER) {
      AppendStatusChange(*joined, ::omniroute::v1::CONVERSATION_STATUS_OPEN, Actor::Customer(),
                         "customer replied", events);
    }
  }

  result.message = state_.NextMessageId();
  auto* recorded = events->emplace_back().mutable_message_recorded();
  recorded->set_message_id(result.message.value());
  recorded->set_conversation_id(result.conversation.value());
  recorded->set_channel(message.channel);
  recorded->set_direction(::omniroute::v1::DIRECTION_INBOUND);
  recorded->set_visibility(visibility);
  recorded->set_external_id(message.external_id);
  recorded->set_thread_key(message.thread_key);
  for (const std::string& reference : message.references) recorded->add_references(reference);
  recorded->set_body(message.body);
  for (const std::string& tag : message.tags) recorded->add_tags(tag);
  ToProto(*sender, recorded->mutable_sender());
  recorded->set_outcome(result.outcome);
  return result;
}

absl::StatusOr<MessageId> TenantCore::DecideOutbound(const OutboundMessage& message,
                                                     const MessageLookup& lookup,
                                                     const RoutedWork& work,
                                                     Events* events) const {
  absl::StatusOr<const ConversationState*> c = LiveConversation(message.conversation, "conversation");
  if (!c.ok()) return c.status();
  if (absl::Status s = CheckChannel(message.channel, "channel"); !s.ok()) return s;
  // The conversation's channel, or the channel of work routed for it (the
  // public answer that closes the loop is a task on the public channel).
  if ((*c)->channel != message.channel && !work.HasLiveTaskOn((*c)->id, message.channel)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "channel: ", ToString(message.conversation), " is on ", ChannelName((*c)->channel),
        "; hand it off to ", ChannelName(message.channel), " before answering there"));
  }
  if (absl::Status s = CheckKey(message.external_id, "external_id", false); !s.ok()) return s;
  if (absl::Status s = CheckReferences(message.references); !s.ok()) return s;
  if (absl::Status s = CheckBody(message.body, state_.options()); !s.ok()) return s;
  if (absl::Status s = CheckVisibility(message.visibility, "visibility"); !s.ok()) return s;
  if (absl::Status s = CheckShortText(message.agent_id, "agent_id", 128); !s.ok()) return s;
  if (!message.external_id.empty()) {
    absl::StatusOr<MessageId> stored = lookup.ByExternalId(message.channel, message.external_id);
    if (!stored.ok()) return stored.status();
    if (stored->valid()) {
      return absl::AlreadyExistsError(absl::StrCat("external_id: \"", message.external_id,
                                                   "\" is already stored on ",
                                                   ChannelName(message.channel)));
    }
  }
  const MessageId id = state_.NextMessageId();
  auto* recorded = events->emplace_back().mutable_message_recorded();
  recorded->set_message_id(id.value());
  recorded->set_conversation_id(message.conversation.value());
  recorded->set_channel(message.channel);
  recorded->set_direction(::omniroute::v1::DIRECTION_OUTBOUND);
  recorded->set_visibility(message.visibility != ::omniroute::v1::VISIBILITY_UNSPECIFIED
                               ? message.visibility
                               : TraitsOf(message.channel).visibility);
  recorded->set_external_id(message.external_id);
  for (const std::string& reference : message.references) recorded->add_references(reference);
  recorded->set_body(message.body);
  recorded->set_agent_id(message.agent_id);
  return id;
}

absl::Status TenantCore::DecideHandoff(ConversationId conversation, Channel to_channel,
                                       absl::string_view reason, const Actor& actor,
                                       Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  absl::StatusOr<const ConversationState*> c = LiveConversation(conversation, "conversation");
  if (!c.ok()) return c.status();
  if (absl::Status s = CheckChannel(to_channel, "to_channel"); !s.ok()) return s;
  if ((*c)->channel == to_channel) {
    return absl::FailedPreconditionError(absl::StrCat(
        "to_channel: ", ToString(conversation), " is already on ", ChannelName(to_channel)));
  }
  if (absl::Status s = CheckShortText(reason, "reason", 1024); !s.ok()) return s;
  auto* handoff = events->emplace_back().mutable_handoff_recorded();
  handoff->set_conversation_id(conversation.value());
  handoff->set_from_channel((*c)->channel);
  handoff->set_to_channel(to_channel);
  handoff->set_reason(std::string(reason));
  ToProto(actor, handoff->mutable_actor());
  return absl::OkStatus();
}

absl::Status TenantCore::DecideStatus(ConversationId conversation, ConversationStatus status,
                                      const Actor& actor, Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  if (status != ::omniroute::v1::CONVERSATION_STATUS_OPEN &&
      status != ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER &&
      status != ::omniroute::v1::CONVERSATION_STATUS_RESOLVED &&
      status != ::omniroute::v1::CONVERSATION_STATUS_CLOSED) {
    return absl::InvalidArgumentError(
        absl::StrCat("status: ", static_cast<int>(status),
                     " cannot be set; use OPEN, PENDING_CUSTOMER, RESOLVED or CLOSED"));
  }
  absl::StatusOr<const ConversationState*> c = LiveConversation(conversation, "conversation");
  if (!c.ok()) return c.status();
  if ((*c)->status == status) return absl::OkStatus();  // Already there: nothing to record.
  AppendStatusChange(**c, status, actor, "", events);
  return absl::OkStatus();
}

absl::Status TenantCore::DecideMergeConversations(ConversationId target, ConversationId source,
                                                  const Actor& actor, Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  absl::StatusOr<const ConversationState*> t = LiveConversation(target, "target");
  if (!t.ok()) return t.status();
  if (target == source) {
    return absl::FailedPreconditionError(
        absl::StrCat("source: ", ToString(source), " cannot be merged with itself"));
  }
  absl::StatusOr<const ConversationState*> s = LiveConversation(source, "source");
  if (!s.ok()) return s.status();
  if (state_.Resolve((*t)->customer) != state_.Resolve((*s)->customer)) {
    return absl::FailedPreconditionError(
        absl::StrCat("source: ", ToString(source), " belongs to ", ToString((*s)->customer),
                     " and ", ToString(target), " to ", ToString((*t)->customer),
                     "; merge the customers first"));
  }
  auto* merged = events->emplace_back().mutable_conversations_merged();
  merged->set_target_conversation_id(target.value());
  merged->set_source_conversation_id(source.value());
  for (MessageId id : (*s)->messages) merged->add_message_ids(id.value());
  ToProto(actor, merged->mutable_actor());
  return absl::OkStatus();
}

absl::StatusOr<ConversationId> TenantCore::DecideSplit(ConversationId source,
                                                       absl::Span<const MessageId> messages,
                                                       const Actor& actor,
                                                       Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  absl::StatusOr<const ConversationState*> s = LiveConversation(source, "source");
  if (!s.ok()) return s.status();
  if (messages.empty()) return absl::InvalidArgumentError("messages: at least one is required");
  absl::flat_hash_set<MessageId> seen;
  const MessageState* earliest = nullptr;
  for (size_t i = 0; i < messages.size(); ++i) {
    const MessageState* m = state_.message(messages[i]);
    if (m == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("messages[", i, "]: ", ToString(messages[i]), " not found"));
    }
    if (m->conversation != source) {
      return absl::InvalidArgumentError(absl::StrCat("messages[", i, "]: ", ToString(messages[i]),
                                                     " is not in ", ToString(source)));
    }
    if (!seen.insert(messages[i]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "]: ", ToString(messages[i]), " is listed twice"));
    }
    if (earliest == nullptr || m->recorded_at < earliest->recorded_at) earliest = m;
  }
  if (seen.size() == (*s)->messages.size()) {
    return absl::FailedPreconditionError(
        "messages: a split must leave at least one message in the source conversation");
  }
  const ConversationId target = state_.NextConversationId();
  auto* opened = events->emplace_back().mutable_conversation_opened();
  opened->set_conversation_id(target.value());
  opened->set_customer_id(state_.Resolve((*s)->customer).value());
  opened->set_channel(earliest->channel);
  opened->set_split_from_conversation_id(source.value());
  // The split-off problem keeps the clock its first message started.
  ToProto(earliest->recorded_at + state_.options().FirstResponseTarget(earliest->channel),
          opened->mutable_first_response_due());
  auto* split = events->emplace_back().mutable_conversation_split();
  split->set_source_conversation_id(source.value());
  split->set_target_conversation_id(target.value());
  // In timeline order, so that the event reads like the thread.
  for (MessageId id : (*s)->messages) {
    if (seen.contains(id)) split->add_message_ids(id.value());
  }
  ToProto(actor, split->mutable_actor());
  return target;
}

}  // namespace omniroute::core
