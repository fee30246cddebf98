// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// RoutingState: the commitments' events (recorded, due, missed, closed), each
// checked, then applied.

#include "routing/routing_state.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/proto_convert.h"
#include "routing/routing_config.h"
#include "routing/routing_state_internal.h"

namespace omniroute::routing {

namespace v1 = ::omniroute::v1;
using ::omniroute::v1::Event;
using internal::MaskOfChannels;
using internal::Misfit;
using internal::Serves;

// ------------------------------------------------------------ CommitmentRecorded

absl::Status RoutingState::CheckCommitmentRecorded(const Event& event,
                                                   const core::CoreState& core) const {
  const auto& e = event.commitment_recorded();
  if (e.commitment_id() != next_commitment_id_) {
    return Misfit(event, "commitment ids must follow each other");
  }
  if (core.conversation(ConversationId(e.conversation_id())) == nullptr) {
    return Misfit(event, "unknown conversation");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentRecorded(const Event& event, absl::Time at,
                                           RoutingChanges* changes) {
  const auto& e = event.commitment_recorded();
  CommitmentState& c = commitments_[e.commitment_id()];
  ++next_commitment_id_;
  c.id = CommitmentId(e.commitment_id());
  c.conversation = ConversationId(e.conversation_id());
  c.kind = e.kind();
  c.description = e.description();
  c.due_at = core::FromProto(e.due_at());
  c.deadline = core::FromProto(e.deadline());
  c.channel = e.channel();
  c.queue = e.queue_id();
  c.agent = e.agent_id();
  c.actor = core::FromProto(e.actor());
  conversations_[c.conversation].commitments.push_back(c.id);
  RefreshTimers(c);
}

// ------------------------------------------------------------ CommitmentDue

absl::Status RoutingState::CheckCommitmentDue(const Event& event,
                                              const core::CoreState& core) const {
  const CommitmentState* c = commitment(CommitmentId(event.commitment_due().commitment_id()));
  if (c == nullptr || c->status != v1::COMMITMENT_STATUS_PENDING) {
    return Misfit(event, "the commitment is not pending");
  }
  if (task(TaskId(event.commitment_due().task_id())) == nullptr) {
    return Misfit(event, "unknown task");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentDue(const Event& event, absl::Time at,
                                      RoutingChanges* changes) {
  CommitmentState& c = mutable_commitment(event.commitment_due().commitment_id());
  c.status = v1::COMMITMENT_STATUS_DUE;
  c.task = TaskId(event.commitment_due().task_id());
  RefreshTimers(c);
}

// ------------------------------------------------------------ CommitmentMissed

absl::Status RoutingState::CheckCommitmentMissed(const Event& event,
                                                 const core::CoreState& core) const {
  const CommitmentState* c = commitment(CommitmentId(event.commitment_missed().commitment_id()));
  if (c == nullptr || !c->open() || c->missed) return Misfit(event, "the commitment is not open");
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentMissed(const Event& event, absl::Time at,
                                         RoutingChanges* changes) {
  CommitmentState& c = mutable_commitment(event.commitment_missed().commitment_id());
  c.missed = true;
  c.status = v1::COMMITMENT_STATUS_MISSED;
  RefreshTimers(c);
}

// ------------------------------------------------------------ CommitmentClosed

absl::Status RoutingState::CheckCommitmentClosed(const Event& event,
                                                 const core::CoreState& core) const {
  const CommitmentState* c = commitment(CommitmentId(event.commitment_closed().commitment_id()));
  if (c == nullptr || !c->open()) return Misfit(event, "the commitment is not open");
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentClosed(const Event& event, absl::Time at,
                                         RoutingChanges* changes) {
  CommitmentState& c = mutable_commitment(event.commitment_closed().commitment_id());
  c.status = event.commitment_closed().status();
  RefreshTimers(c);
}

}  // namespace omniroute::routing
