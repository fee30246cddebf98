// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A tenant's whole state, the aggregate of its core (customers,
// conversations: lib/core/core_state.h) and its routing (agents, queues,
// tasks, commitments: lib/routing/routing_state.h), and the fold that builds
// it from the tenant's events. Apply() is the only way either part changes:
// it checks that the event follows the last one, finds the event type's
// handler (lib/tenant/event_handlers.h), lets it check the event against
// both parts and only then apply it, so replaying a tenant's log rebuilds
// the state exactly.
//
// Thread-compatible: the owner serializes access.

#ifndef OMNIROUTE_LIB_TENANT_TENANT_STATE_H_
#define OMNIROUTE_LIB_TENANT_TENANT_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/core_state.h"
#include "google/protobuf/arena.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/snapshot.pb.h"
#include "routing/routing_changes.h"
#include "routing/routing_state.h"

namespace omniroute::tenant {

// The arena a snapshot's proto is built or parsed on: its records come in a
// few large blocks, freed at once, instead of an allocation per record
// scattered through the heap the tenant's state lives in.
google::protobuf::ArenaOptions SnapshotArenaOptions();

class TenantState {
 public:
  explicit TenantState(std::string tenant_id);

  // Applies one event. The event must follow the last one (sequence + 1) and
  // be consistent with the state: events decided by the commands always
  // are. Returns DATA_LOSS, and leaves the state as it was, for an event
  // that does not fit (a corrupt or foreign log). What routing must look at
  // again (tasks, agents, tasks created) is added to `*changes` when it is
  // given; a replay has no use for it.
  absl::Status Apply(const ::omniroute::v1::Event& event,
                     routing::RoutingChanges* changes = nullptr);

  // Gives `events` their sequence numbers (continuing the log), time and
  // tenant, ready for Apply().
  void Stamp(absl::Span<::omniroute::v1::Event> events, absl::Time now) const;

  // The whole state as a snapshot (lib/tenant/tenant_snapshot.cc).
  void ToSnapshot(::omniroute::v1::TenantSnapshot* snapshot) const;
  // Rebuilds a state from a snapshot, indexes included. DATA_LOSS if the
  // snapshot is inconsistent (ids out of order or dangling),
  // FAILED_PRECONDITION for a format version this build does not know.
  static absl::StatusOr<TenantState> FromSnapshot(const ::omniroute::v1::TenantSnapshot& snapshot);
  // The same from a serialized TenantSnapshot; a large routing part is
  // parsed and rebuilt on a second thread while this one does the core's.
  // DATA_LOSS also when the bytes do not parse.
  static absl::StatusOr<TenantState> FromSerializedSnapshot(absl::string_view bytes);

  const std::string& tenant_id() const { return core_.tenant_id(); }
  uint64_t last_sequence() const { return last_sequence_; }

  // The two parts, for reading.
  const core::CoreState& core() const { return core_; }
  const routing::RoutingState& routing() const { return routing_; }

  // The core's lookups, for readers of the whole tenant (core_state.h says
  // what each returns).
  bool configured() const { return core_.configured(); }
  const TenantOptions& options() const { return core_.options(); }
  const core::CustomerState* customer(CustomerId id) const { return core_.customer(id); }
  const core::ConversationState* conversation(ConversationId id) const {
    return core_.conversation(id);
  }
  const core::MessageState* message(MessageId id) const { return core_.message(id); }
  const core::MergeRecord* active_merge(CustomerId absorbed) const {
    return core_.active_merge(absorbed);
  }
  CustomerId OwnerOf(const Identity& identity) const { return core_.OwnerOf(identity); }
  CustomerId Resolve(CustomerId id) const { return core_.Resolve(id); }
  ConversationId ResolveConversation(ConversationId id) const {
    return core_.ResolveConversation(id);
  }
  absl::Time LastActivity(const core::ConversationState& conversation) const {
    return core_.LastActivity(conversation);
  }
  size_t customer_count() const { return core_.customer_count(); }
  size_t conversation_count() const { return core_.conversation_count(); }
  size_t message_count() const { return core_.message_count(); }
  CustomerId NextCustomerId() const { return core_.NextCustomerId(); }
  ConversationId NextConversationId() const { return core_.NextConversationId(); }
  MessageId NextMessageId() const { return core_.NextMessageId(); }
  const core::ChunkedVector<core::CustomerState>& customers() const { return core_.customers(); }
  std::vector<const core::ConversationState*> ConversationsById() const {
    return core_.ConversationsById();
  }
  std::vector<const core::MessageState*> MessagesById() const { return core_.MessagesById(); }

 private:
  // The state from a snapshot whose format was checked: the core from
  // `snapshot`, routing from `build_routing` (on a second thread when
  // `parallel`).
  static absl::StatusOr<TenantState> Assemble(
      const ::omniroute::v1::TenantSnapshot& snapshot, bool parallel,
      absl::FunctionRef<absl::StatusOr<routing::RoutingState>()> build_routing);
  TenantState(core::CoreState core, routing::RoutingState routing, uint64_t last_sequence);

  uint64_t last_sequence_ = 0;
  core::CoreState core_;
  routing::RoutingState routing_;
};

}  // namespace omniroute::tenant

#endif  // OMNIROUTE_LIB_TENANT_TENANT_STATE_H_
