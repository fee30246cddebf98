// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The core of a tenant's state: its options, customers, identities,
// conversations, messages and merge records, and the fold of the core's
// events, one check and one apply per event type. The tenant's aggregate
// (lib/tenant/tenant_state.h) owns it and dispatches each event to its
// handler; nothing else changes it, so replaying a tenant's log rebuilds it
// exactly. Routing (lib/routing/) reads it; it knows nothing of routing.
//
// Thread-compatible: the owner serializes access.

#ifndef OMNIROUTE_LIB_CORE_CORE_STATE_H_
#define OMNIROUTE_LIB_CORE_CORE_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/incremental_hash_map.h"
#include "core/chunked_vector.h"
#include "core/customer_profile.h"
#include "core/id_list.h"
#include "core/identity_index.h"
#include "omniroute/conversation.h"
#include "omniroute/identity.h"
#include "omniroute/ids.h"
#include "omniroute/tenant_options.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/snapshot.pb.h"

namespace omniroute::core {

// DATA_LOSS: `event` does not fit the state, because of `why`.
absl::Status Misfit(const ::omniroute::v1::Event& event, absl::string_view why);

// A customer of the working set. Every customer the tenant ever met stays in
// memory, most of them dormant, so the record is kept small (64 bytes): its
// personal data is packed in one block (CustomerProfile), its conversations
// in the working set in one pointer (IdList), and when it was erased is kept
// beside (CoreState::ErasedAt), since few customers ever are.
struct CustomerState {
  CustomerId id;
  // Valid while this customer is merged into another one (an erased
  // customer keeps it: the erasure went through the one it merged into).
  CustomerId merged_into;
  // Nanoseconds since the Unix epoch: half an absl::Time, and exact for any
  // time an event carries (years 1678 to 2262).
  int64_t created_at_ns = 0;
  int64_t reach = 0;
  int32_t tier = 0;
  // Its personal data was erased (CustomerErased, lib/core/customer_erasure.cc):
  // no name, language or identities any more; its conversations stay.
  bool erased = false;
  // Display name, language and identities.
  CustomerProfile profile;
  // Its conversations in the working set (archived ones are in the store).
  IdList<ConversationId> conversations;

  absl::Time created_at() const { return absl::FromUnixNanos(created_at_ns); }
  absl::string_view display_name() const { return profile.display_name(); }
  absl::string_view language() const { return profile.language(); }
  // In the order they were linked.
  std::vector<Identity> identities() const { return profile.identities(); }
};

// What a merge moved, kept so that unmerge can put it back.
struct MergeRecord {
  CustomerId survivor;
  CustomerId absorbed;
  std::vector<Identity> identities;
  std::vector<ConversationId> conversations;
  struct Thread {
    ConversationId target;
    ConversationId source;
    std::vector<MessageId> messages;
    // The target's channel before the merge (the thread follows the channel
    // the customer used last).
    Channel target_channel_before = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  };
  std::vector<Thread> threads;
};

// What the working set keeps of a message: where it is and what threading,
// merges, splits and views read. Its body, sender, references and keys are
// history: they stay in the event store (EventStore::ReadConversationMessages)
// and are never held in memory.
struct MessageState {
  MessageId id;
  ConversationId conversation;
  // The conversation it was recorded in; merges and splits move it, not this.
  ConversationId origin;
  absl::Time recorded_at;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  Direction direction = ::omniroute::v1::DIRECTION_UNSPECIFIED;
  Visibility visibility = ::omniroute::v1::VISIBILITY_UNSPECIFIED;
  ThreadOutcome outcome = ::omniroute::v1::THREAD_OUTCOME_UNSPECIFIED;
  // IdentityFingerprint of the sender of an inbound message; 0 if none.
  uint64_t sender_fingerprint = 0;
};

struct ConversationState {
  ConversationId id;
  CustomerId customer;
  ConversationStatus status = ::omniroute::v1::CONVERSATION_STATUS_OPEN;
  Channel first_channel;
  Channel channel;
  std::vector<Channel> channels_used;
  // The conversation's own clocks. A conversation that absorbed others (see
  // `absorbed`) shows the earliest of them all (views.cc), and gets its own
  // back when a merge is undone.
  absl::Time opened_at;
  // When its latest message was recorded (opened_at while it has none).
  absl::Time last_activity_at;
  absl::Time first_response_due;
  absl::Time first_responded_at = absl::InfiniteFuture();
  absl::Time resolved_at = absl::InfiniteFuture();
  // When it was closed; InfiniteFuture while it is not.
  absl::Time closed_at = absl::InfiniteFuture();
  // Ordered by (recorded_at, id): the timeline order.
  std::vector<MessageId> messages;
  std::vector<HandoffView> handoffs;
  // Conversations merged into this one, in merge order.
  std::vector<ConversationId> absorbed;
  ConversationId merged_into;
  // Its first message was public.
  bool began_in_public = false;
  // Before it was merged (restored when a customer merge is undone).
  ConversationStatus status_before_merge = ::omniroute::v1::CONVERSATION_STATUS_OPEN;

  bool IsLive() const {
    return status != ::omniroute::v1::CONVERSATION_STATUS_CLOSED &&
           status != ::omniroute::v1::CONVERSATION_STATUS_MERGED;
  }
};

class CoreState {
 public:
  explicit CoreState(std::string tenant_id);

  // The core's fields of a snapshot (options, customers, conversations,
  // messages, merge records, next ids), and back, indexes rebuilt
  // (lib/core/snapshot.cc). FromSnapshot returns DATA_LOSS if they are
  // inconsistent (ids out of order or dangling).
  void ToSnapshot(::omniroute::v1::TenantSnapshot* snapshot) const;
  static absl::StatusOr<CoreState> FromSnapshot(const ::omniroute::v1::TenantSnapshot& snapshot);
  // A state holding only an archive's conversations and messages (no
  // customers), so that their views are built by the same code as the
  // working set's (views.h). DATA_LOSS if the archive is inconsistent (a
  // listed message or conversation missing).
  static absl::StatusOr<CoreState> FromArchive(absl::string_view tenant_id,
                                               const ::omniroute::v1::ConversationArchive& archive);

  const std::string& tenant_id() const { return tenant_id_; }
  bool configured() const { return configured_; }
  const TenantOptions& options() const { return options_; }

  // Lookups return nullptr for an id that is not valid in this tenant.
  const CustomerState* customer(CustomerId id) const;
  const ConversationState* conversation(ConversationId id) const;
  const MessageState* message(MessageId id) const;
  const MergeRecord* active_merge(CustomerId absorbed) const;

  // The active customer owning a normalized identity; invalid if none.
  CustomerId OwnerOf(const Identity& identity) const;
  // When the customer's personal data was erased; InfinitePast if it was not.
  absl::Time ErasedAt(CustomerId id) const;
  // Follows merged_into to the active customer.
  CustomerId Resolve(CustomerId id) const;
  // The customers merged into `id`, directly or through others, by id.
  std::vector<CustomerId> MergedInto(CustomerId id) const;
  // Follows merged_into to the conversation that holds the messages now.
  ConversationId ResolveConversation(ConversationId id) const;
  // When the conversation's latest message was recorded (opened_at if none).
  absl::Time LastActivity(const ConversationState& conversation) const {
    return conversation.last_activity_at;
  }

  size_t customer_count() const { return customers_.size(); }
  // Conversations and messages in the working set (archived ones are not).
  size_t conversation_count() const { return conversations_.size(); }
  size_t message_count() const { return messages_.size(); }

  CustomerId NextCustomerId() const { return CustomerId(customers_.size() + 1); }
  ConversationId NextConversationId() const { return ConversationId(next_conversation_id_); }
  MessageId NextMessageId() const { return MessageId(next_message_id_); }

  const ChunkedVector<CustomerState>& customers() const { return customers_; }
  // The working set's conversations and messages, by id.
  std::vector<const ConversationState*> ConversationsById() const;
  std::vector<const MessageState*> MessagesById() const;
  const absl::flat_hash_map<CustomerId, MergeRecord>& active_merges() const {
    return active_merges_;
  }

  // Closed conversations that may leave the working set, by (closed_at,
  // id): every closed conversation in memory except those an active merge
  // record names (an unmerge would need them back). Whether routing still
  // holds one (a task or a commitment not ended) is checked when it is due.
  const absl::btree_set<std::pair<absl::Time, ConversationId>>& archivable() const {
    return archivable_;
  }
  // Whether an active merge record names the conversation.
  bool pinned(ConversationId id) const { return merge_pins_.contains(id); }
  // The conversation and those merged into it, recursively (its archive
  // takes them all). Empty if `id` is not in the working set.
  std::vector<ConversationId> Family(ConversationId id) const;

  // ------------------------------------------------------------ fold
  // One check and one apply per event type of the core, dispatched by the
  // tenant (lib/tenant/event_handlers.cc), which has checked the sequence
  // and that the tenant is configured. A check changes nothing and returns
  // DATA_LOSS (Misfit) for an event that does not fit; an apply takes an
  // event its check accepted, which happened at `at`.
  absl::Status CheckTenantConfigured(const ::omniroute::v1::Event& event) const;
  void ApplyTenantConfigured(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckCustomerCreated(const ::omniroute::v1::Event& event) const;
  void ApplyCustomerCreated(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckIdentityLinked(const ::omniroute::v1::Event& event) const;
  void ApplyIdentityLinked(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckCustomersMerged(const ::omniroute::v1::Event& event) const;
  void ApplyCustomersMerged(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckCustomerUnmerged(const ::omniroute::v1::Event& event) const;
  void ApplyCustomerUnmerged(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckConversationOpened(const ::omniroute::v1::Event& event) const;
  void ApplyConversationOpened(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckMessageRecorded(const ::omniroute::v1::Event& event) const;
  void ApplyMessageRecorded(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckHandoffRecorded(const ::omniroute::v1::Event& event) const;
  void ApplyHandoffRecorded(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckConversationStatusChanged(const ::omniroute::v1::Event& event) const;
  void ApplyConversationStatusChanged(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckConversationsMerged(const ::omniroute::v1::Event& event) const;
  void ApplyConversationsMerged(const ::omniroute::v1::Event& event, absl::Time at);
  absl::Status CheckConversationSplit(const ::omniroute::v1::Event& event) const;
  void ApplyConversationSplit(const ::omniroute::v1::Event& event, absl::Time at);
  // CustomerErased (lib/core/customer_erasure.cc).
  absl::Status CheckCustomerErased(const ::omniroute::v1::Event& event) const;
  void ApplyCustomerErased(const ::omniroute::v1::Event& event, absl::Time at);
  // ConversationArchived, the core's part: a closed conversation of the
  // working set. Whether a merge record pins a conversation of its family
  // and whether routing still holds one, the tenant checks (it sees both).
  absl::Status CheckConversationArchived(const ::omniroute::v1::Event& event) const;
  // Removes the conversation and its family (Family()) with their
  // messages.
  void ApplyConversationArchived(const ::omniroute::v1::Event& event, absl::Time at);

 private:
  // For checks: an active customer (not merged, not erased); a live
  // conversation; every listed message exists, is in the conversation, and
  // is listed once (a repeated id would be moved twice: a duplicate in the
  // timeline).
  bool ActiveCustomer(uint64_t id) const;
  bool LiveConversation(uint64_t id) const;
  bool MessagesIn(const google::protobuf::RepeatedField<uint64_t>& ids,
                  uint64_t conversation_id) const;

  CustomerState& mutable_customer(uint64_t id) { return customers_[id - 1]; }
  // The identity index's key comparison: whether a customer's profile holds
  // `identity`.
  auto HolderOf(const Identity& identity) const {
    return [this, &identity](CustomerId id) {
      return customers_[id.value() - 1].profile.Holds(identity);
    };
  }
  // Links, moves and unlinks an identity in the index and the profiles, in
  // the order the index needs (identity_index.h).
  void LinkIdentity(CustomerState& customer, const Identity& identity);
  void MoveIdentity(CustomerState& from, CustomerState& to, const Identity& identity);
  ConversationState& mutable_conversation(uint64_t id) { return conversations_.at(id); }
  MessageState& mutable_message(uint64_t id) { return messages_.at(id); }
  const MessageState& message_at(MessageId id) const { return messages_.at(id.value()); }

  // An active merge record started or stopped naming these conversations.
  static std::vector<ConversationId> PinnedBy(const MergeRecord& record);
  void Pin(const MergeRecord& record);
  void Unpin(ConversationId id);
  void RefreshArchivable(const ConversationState& c);

  void MoveMessages(ConversationState& from, ConversationState& to,
                    const google::protobuf::RepeatedField<uint64_t>& ids);
  // Timeline order: by recorded_at, then by id.
  bool TimelineBefore(MessageId a, MessageId b) const;
  // Restores timeline order and last_activity_at.
  void SortTimeline(ConversationState& conversation);
  void UpdateLastActivity(ConversationState& conversation) const;
  void UpdateBeganInPublic(ConversationState& conversation) const;
  static void FollowLatestChannel(const ConversationState& source, ConversationState& target);

  std::string tenant_id_;
  bool configured_ = false;
  TenantOptions options_;

  ChunkedVector<CustomerState> customers_;
  // Sparse: closed conversations and their messages leave (archival). Node
  // based, so a conversation stays where it is while others come and go.
  // Both grow without stopping the tenant (base/incremental_hash_map.h).
  base::IncrementalHashMap<absl::node_hash_map<uint64_t, ConversationState>> conversations_;
  base::IncrementalHashMap<absl::flat_hash_map<uint64_t, MessageState>> messages_;
  uint64_t next_conversation_id_ = 1;
  uint64_t next_message_id_ = 1;
  // Keyed by the customers' profiles: see HolderOf.
  IdentityIndex identity_owner_;
  absl::flat_hash_map<CustomerId, absl::Time> erased_at_;
  absl::flat_hash_map<CustomerId, MergeRecord> active_merges_;
  // How many active merge records name each conversation (see archivable()).
  absl::flat_hash_map<ConversationId, uint32_t> merge_pins_;
  absl::btree_set<std::pair<absl::Time, ConversationId>> archivable_;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_CORE_STATE_H_
