// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The command side of a tenant's core: each Decide* call validates a command
// against the core's state and appends the events that carry it out. Nothing
// changes until the tenant (lib/tenant/tenant_state.h) stamps and applies
// the events, so a rejected command leaves no trace and an accepted one can
// be stored before it takes effect.
//
// Thread-compatible: reads a state the owner serializes.

#ifndef OMNIROUTE_LIB_CORE_TENANT_CORE_H_
#define OMNIROUTE_LIB_CORE_TENANT_CORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/message_lookup.h"
#include "core/routed_work.h"
#include "core/core_state.h"
#include "omniroute/conversation.h"
#include "omniroute/identity.h"
#include "omniroute/tenant_options.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::core {

using Events = std::vector<::omniroute::v1::Event>;

// `status` with its leading field name `from` ("identity.") replaced by `to`
// ("sender."), so that errors name the field of the caller's request.
absl::Status RenameField(const absl::Status& status, absl::string_view from,
                         absl::string_view to);

// Validates who acts: a known kind, an id of at most 128 bytes of UTF-8.
absl::Status CheckActor(const Actor& actor);

// Validates tenant options; INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateTenantOptions(const TenantOptions& options);

class TenantCore {
 public:
  // Decides on `state`, which must outlive this object.
  explicit TenantCore(const CoreState& state) : state_(state) {}

  const CoreState& state() const { return state_; }

  // The Decide* calls append to `*events` and change nothing. On error
  // `*events` is left as it was given.
  absl::Status DecideConfigure(const TenantOptions& options, Events* events) const;
  // Messages are found by their keys through `lookup` (the store's indexes
  // and what is not stored yet); its errors fail the command.
  absl::StatusOr<IngestResult> DecideIngest(const InboundMessage& message, absl::Time now,
                                            const MessageLookup& lookup, Events* events) const;
  // An answer goes on the conversation's channel, or on the channel of
  // work routed for it (`work` tells).
  absl::StatusOr<MessageId> DecideOutbound(const OutboundMessage& message,
                                           const MessageLookup& lookup, const RoutedWork& work,
                                           Events* events) const;
  absl::StatusOr<LinkResult> DecideLink(CustomerId customer, const RawIdentity& raw,
                                        const Actor& actor, LinkMode mode, absl::Time now,
                                        Events* events) const;
  absl::StatusOr<LinkResult> DecideMerge(CustomerId a, CustomerId b, const Actor& actor,
                                         absl::Time now, Events* events) const;
  absl::Status DecideUnmerge(CustomerId customer, const Actor& actor, Events* events) const;
  // Erases a customer's personal data with that of those merged into it
  // (lib/core/customer_erasure.cc): closes their open conversations and
  // appends CustomerErased. Appends nothing for a customer already erased.
  // FAILED_PRECONDITION while `work` has a live task or an open commitment
  // for one of their conversations.
  absl::Status DecideEraseCustomer(CustomerId customer, const Actor& actor,
                                   const RoutedWork& work, Events* events) const;
  absl::Status DecideHandoff(ConversationId conversation, Channel to_channel,
                             absl::string_view reason, const Actor& actor,
                             Events* events) const;
  absl::Status DecideStatus(ConversationId conversation, ConversationStatus status,
                            const Actor& actor, Events* events) const;
  absl::Status DecideMergeConversations(ConversationId target, ConversationId source,
                                        const Actor& actor, Events* events) const;
  absl::StatusOr<ConversationId> DecideSplit(ConversationId source,
                                             absl::Span<const MessageId> messages,
                                             const Actor& actor, Events* events) const;

 private:
  // A live conversation for a command, or the reason it cannot be used.
  absl::StatusOr<const ConversationState*> LiveConversation(ConversationId id,
                                                            absl::string_view field) const;
  // The events that merge two distinct active customers.
  LinkResult AppendCustomerMerge(const CustomerState& a, const CustomerState& b,
                                 const Actor& actor, const Identity* linked_identity,
                                 absl::Time now, Events* events) const;

  const CoreState& state_;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_TENANT_CORE_H_
