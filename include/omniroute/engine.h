// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine: the façade of omniroute's core. It holds tenants, turns commands
// into events, keeps them in the event store and applies them to each
// tenant's state.
//
//   auto engine = omniroute::Engine::Open({.clock = &clock});
//   (*engine)->CreateTenant("acme", options);
//   auto r = (*engine)->IngestMessage("acme", message);
//
// Every command is applied whole or not at all: on any error nothing changed.
// Errors name the field and the reason:
//   INVALID_ARGUMENT     malformed input (the field is named in the message)
//   NOT_FOUND            unknown tenant, customer, conversation or message
//   ALREADY_EXISTS       a tenant created twice, an external id reused
//   FAILED_PRECONDITION  the state does not allow it (merging a customer with
//                        itself, unmerging what was never merged, ...)
//   RESOURCE_EXHAUSTED   a body or list over its limit
//   UNAVAILABLE/INTERNAL the event store failed; nothing was applied
//
// Thread-safety: an Engine may be used from any number of threads. Commands of
// one tenant are serialized; different tenants proceed in parallel.

#ifndef OMNIROUTE_ENGINE_H_
#define OMNIROUTE_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "omniroute/clock.h"
#include "omniroute/conversation.h"
#include "omniroute/event_store.h"
#include "omniroute/identity.h"
#include "omniroute/ids.h"
#include "omniroute/tenant_options.h"

namespace omniroute {

struct EngineOptions {
  // Time source for every event. Not owned; must outlive the engine.
  // Default: SystemClock().
  Clock* clock = nullptr;
  // Where events are kept. Not owned; must outlive the engine. Default: none,
  // and events are applied without being kept.
  EventStore* store = nullptr;
  // After this many events since a tenant's last snapshot, the engine saves a
  // new one to the store, so that start-up replays only the tail. Default 0:
  // never (TakeSnapshot still works).
  uint64_t snapshot_every_events = 0;
};

// How a link that would merge two customers is treated.
enum class LinkMode {
  // An agent linked the identity: a merge is intended.
  kExplicit,
  // A deterministic match found by a system: merges two customers only when
  // it cannot join two different platform ids of the same network.
  kAutomatic,
};

class Engine {
 public:
  // Opens an engine and rebuilds every tenant found in `options.store`: from
  // its latest snapshot and the events after it, or from all its events when
  // it has no usable snapshot. Returns the store's error, or DATA_LOSS if a
  // stored event cannot be applied.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const EngineOptions& options);

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Creates a tenant. Tenant ids are 1 to 64 characters of [a-z0-9_-].
  // ALREADY_EXISTS if it exists; INVALID_ARGUMENT for a bad id or option.
  absl::Status CreateTenant(absl::string_view tenant_id, const TenantOptions& options);

  // ------------------------------------------------------------ commands

  // Records a customer's message: resolves (or creates) the customer from the
  // sender identity and threads the message (explicit reference, then the
  // continuity window, then a new conversation). A redelivery (same channel
  // and external id) changes nothing and answers with the stored ids.
  absl::StatusOr<IngestResult> IngestMessage(absl::string_view tenant_id,
                                             const InboundMessage& message);

  // Records the brand's message on a conversation. The channel must be the
  // conversation's current channel (hand off first to answer elsewhere).
  absl::StatusOr<MessageId> RecordOutbound(absl::string_view tenant_id,
                                           const OutboundMessage& message);

  // Links an identity to a customer. If the identity belongs to another
  // customer, the two merge: the older survives (LinkResult::customer).
  absl::StatusOr<LinkResult> LinkIdentity(absl::string_view tenant_id, CustomerId customer,
                                          const RawIdentity& identity, const Actor& actor,
                                          LinkMode mode = LinkMode::kExplicit);

  // Merges two customers; the older survives. An absorbed customer's id
  // stands for the customer it was merged into. FAILED_PRECONDITION when both
  // ids are, or already stand for, the same customer.
  absl::StatusOr<LinkResult> MergeCustomers(absl::string_view tenant_id, CustomerId a,
                                            CustomerId b, const Actor& actor);

  // Undoes the merge that absorbed `customer`: it is active again with its
  // own identities, its conversations (and those its identities alone opened
  // since), and the messages of threads the merge joined, including what its
  // identities wrote into them while merged. FAILED_PRECONDITION if it is not
  // merged into another customer.
  absl::Status UnmergeCustomer(absl::string_view tenant_id, CustomerId customer,
                               const Actor& actor);

  // Moves a conversation to another channel. The whole thread travels and
  // the SLA clock runs on.
  absl::Status Handoff(absl::string_view tenant_id, ConversationId conversation,
                       Channel to_channel, absl::string_view reason, const Actor& actor);

  // OPEN, PENDING_CUSTOMER, RESOLVED or CLOSED. A closed conversation stays
  // closed; RESOLVED → OPEN is a reopen.
  absl::Status SetConversationStatus(absl::string_view tenant_id, ConversationId conversation,
                                     ConversationStatus status, const Actor& actor);

  // Moves every message of `source` into `target` (same customer).
  absl::Status MergeConversations(absl::string_view tenant_id, ConversationId target,
                                  ConversationId source, const Actor& actor);

  // Moves `messages` (some, not all, of the conversation's) into a new
  // conversation of the same customer and returns its id.
  absl::StatusOr<ConversationId> SplitConversation(absl::string_view tenant_id,
                                                   ConversationId source,
                                                   absl::Span<const MessageId> messages,
                                                   const Actor& actor);

  // ------------------------------------------------------------ queries

  absl::StatusOr<CustomerView> GetCustomer(absl::string_view tenant_id, CustomerId id) const;
  // The active customer that owns the (normalized) identity; NOT_FOUND if
  // none does.
  absl::StatusOr<CustomerView> FindCustomer(absl::string_view tenant_id,
                                            const RawIdentity& identity) const;
  absl::StatusOr<ConversationView> GetConversation(absl::string_view tenant_id,
                                                   ConversationId id) const;
  // Messages and handoffs across every channel, oldest first.
  absl::StatusOr<std::vector<TimelineEntry>> GetTimeline(absl::string_view tenant_id,
                                                         ConversationId id) const;
  absl::StatusOr<std::vector<ConversationView>> ListConversations(absl::string_view tenant_id,
                                                                  CustomerId customer) const;
  // The sequence number of the tenant's last event.
  absl::StatusOr<uint64_t> LastSequence(absl::string_view tenant_id) const;
  // A canonical text dump of the tenant's whole state; equal dumps mean equal
  // states (used to check that a replay rebuilds the same state).
  absl::StatusOr<std::string> DumpState(absl::string_view tenant_id) const;
  std::vector<std::string> ListTenants() const;

  // Saves the tenant's state as a snapshot in the store.
  // FAILED_PRECONDITION without a store.
  absl::Status TakeSnapshot(absl::string_view tenant_id);

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_ENGINE_H_
