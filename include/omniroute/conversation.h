// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Read-only views of customers, conversations and messages, and the inputs of
// the commands that change them. Views are copies: they stay valid after the
// engine moves on.

#ifndef OMNIROUTE_CONVERSATION_H_
#define OMNIROUTE_CONVERSATION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "omniroute/identity.h"
#include "omniroute/ids.h"
#include "omniroute/routing.h"
#include "omniroute/types.h"

namespace omniroute {

// Longest external id, thread key or reference accepted, in bytes.
inline constexpr size_t kMaxExternalIdBytes = 512;
// Most references one message may carry.
inline constexpr size_t kMaxReferences = 64;

// ---------------------------------------------------------------- inputs

// Who sent an inbound message, as the channel described them.
struct SenderProfile {
  std::string display_name;
  std::string language;
  // Audience size (followers) on public channels; 0 if unknown.
  int64_t reach = 0;
};

// A message from a customer, as received from a channel.
struct InboundMessage {
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  RawIdentity sender;
  SenderProfile profile;
  // The source system's id of this message; required. A message redelivered
  // with the same channel and external id is recognised and stored once.
  std::string external_id;
  // DM thread id, call id: messages with the same key belong together.
  std::string thread_key;
  // External ids this message replies to (email In-Reply-To and References,
  // the post a reply answers).
  std::vector<std::string> references;
  std::string body;
  // Labels from the source system (a listening tool's topic, a form's
  // category); routing rules match on them. At most 16, each 1 to 64 bytes.
  std::vector<std::string> tags;
  // Default: the channel's visibility.
  Visibility visibility = ::omniroute::v1::VISIBILITY_UNSPECIFIED;
};

// A message from the brand to the customer on the conversation's channel.
struct OutboundMessage {
  ConversationId conversation;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  // Optional; when set, unique per channel like inbound external ids, so a
  // customer's reply that references it joins this conversation.
  std::string external_id;
  std::vector<std::string> references;
  std::string body;
  std::string agent_id;
  Visibility visibility = ::omniroute::v1::VISIBILITY_UNSPECIFIED;
};

struct IngestResult {
  CustomerId customer;
  ConversationId conversation;
  MessageId message;
  ThreadOutcome outcome = ::omniroute::v1::THREAD_OUTCOME_UNSPECIFIED;
  // The sender was not known: a customer was created for them.
  bool customer_created = false;
  // The message was already stored (same channel and external id); nothing
  // changed and the ids are those of the stored message, where it is now.
  bool duplicate = false;
  // The task routing created for the message, if it needs one (none when the
  // conversation already has work in progress on that channel).
  std::optional<TaskId> task;
  // That task as routing left it once the message was applied (waiting,
  // offered or assigned), so that the caller needs no second read.
  std::optional<TaskView> task_view;
};

struct LinkResult {
  // The customer that owns the identity after the link.
  CustomerId customer;
  // Set when the link merged another customer into `customer`.
  std::optional<CustomerId> absorbed;
  // Threads merged because of that customer merge: (target, source).
  std::vector<std::pair<ConversationId, ConversationId>> merged_threads;
};

// ---------------------------------------------------------------- views

struct CustomerView {
  CustomerId id;
  std::string display_name;
  std::string language;
  int32_t tier = 0;
  int64_t reach = 0;
  absl::Time created_at;
  std::vector<Identity> identities;
  // The customer's conversations in the working set, by id: archived ones
  // (closed for longer than TenantOptions::closed_retention) are not
  // listed; Engine::ListConversationsPage lists them all.
  std::vector<ConversationId> conversations;
  // Set while this customer is merged into another one.
  std::optional<CustomerId> merged_into;
  // Its personal data was erased (Engine::EraseCustomer): no name, language
  // or identities; its conversations stay, closed.
  bool erased = false;
};

struct MessageView {
  MessageId id;
  ConversationId conversation;
  Channel channel;
  Direction direction;
  Visibility visibility;
  std::string external_id;
  std::string thread_key;
  std::vector<std::string> references;
  std::string body;
  // Inbound: the sender's identity. Outbound: empty.
  Identity sender;
  // Outbound: the agent. Inbound: empty.
  std::string agent_id;
  absl::Time recorded_at;
};

struct HandoffView {
  Channel from_channel;
  Channel to_channel;
  std::string reason;
  Actor actor;
  absl::Time at;
};

struct ConversationView {
  ConversationId id;
  CustomerId customer;
  ConversationStatus status;
  // The channel the conversation started on, and the one it is on now.
  Channel first_channel;
  Channel channel;
  // The channels of its messages in first-use order.
  std::vector<Channel> channels_used;
  absl::Time opened_at;
  absl::Time last_activity_at;
  // The SLA clock belongs to the conversation: it starts with the first
  // message and does not restart at a handoff.
  absl::Time first_response_due;
  std::optional<absl::Time> first_responded_at;
  std::optional<absl::Time> resolved_at;
  int message_count = 0;
  std::vector<HandoffView> handoffs;
  std::optional<ConversationId> merged_into;
  // The conversation began with a public message.
  bool began_in_public = false;
};

// One entry of a conversation's timeline: a message or a handoff.
struct TimelineEntry {
  absl::Time at;
  std::optional<MessageView> message;
  std::optional<HandoffView> handoff;
};

// ---------------------------------------------------------------- pages
//
// Lists that grow without bound (a conversation's timeline, a customer's
// conversations) are read a page at a time: their items are history, kept in
// the event store.
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

struct PageRequest {
  // Items per page, 1 to kMaxPageSize; 0 means kDefaultPageSize.
  int page_size = 0;
  // Empty for the first page; otherwise the next_page_token of the page
  // before, of the same list.
  std::string page_token;
};

struct TimelinePage {
  // Oldest first, as in Engine::GetTimeline.
  std::vector<TimelineEntry> entries;
  // Asks for the entries after this page; empty on the last page.
  std::string next_page_token;
};

struct ConversationPage {
  // By id, as in Engine::ListConversations.
  std::vector<ConversationView> conversations;
  std::string next_page_token;
};

}  // namespace omniroute

#endif  // OMNIROUTE_CONVERSATION_H_
