// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/views.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace omniroute::core {
namespace {

// The conversation and, recursively, those merged into it that still have
// messages here: a split that took all of an absorbed conversation's messages
// away takes its clocks and handoffs with them.
void CollectFamily(const CoreState& state, const ConversationState& c,
                   const absl::flat_hash_set<ConversationId>& origins,
                   std::vector<const ConversationState*>* out) {
  out->push_back(&c);
  for (ConversationId id : c.absorbed) {
    const ConversationState& absorbed = *state.conversation(id);
    if (!origins.contains(id) && absorbed.absorbed.empty()) continue;
    CollectFamily(state, absorbed, origins, out);
  }
}

}  // namespace

CustomerView ToView(const CustomerState& c) {
  CustomerView view;
  view.id = c.id;
  view.display_name = std::string(c.display_name());
  view.language = std::string(c.language());
  view.tier = c.tier;
  view.reach = c.reach;
  view.created_at = c.created_at();
  view.identities = c.identities();
  view.conversations = c.conversations.ToVector();
  if (c.merged_into.valid()) view.merged_into = c.merged_into;
  view.erased = c.erased;
  return view;
}

ConversationView ToView(const CoreState& state, const ConversationState& c) {
  ConversationView view;
  view.id = c.id;
  view.customer = c.customer;
  view.status = c.status;
  view.first_channel = c.first_channel;
  view.channel = c.channel;
  view.message_count = static_cast<int>(c.messages.size());
  if (c.merged_into.valid()) view.merged_into = c.merged_into;

  absl::flat_hash_set<ConversationId> origins;
  for (MessageId id : c.messages) origins.insert(state.message(id)->origin);
  std::vector<const ConversationState*> family;
  CollectFamily(state, c, origins, &family);
  const ConversationState* earliest = &c;
  absl::Time first_response_due = c.first_response_due;
  absl::Time first_responded_at = c.first_responded_at;
  for (const ConversationState* member : family) {
    if (member->opened_at < earliest->opened_at) earliest = member;
    first_response_due = std::min(first_response_due, member->first_response_due);
    first_responded_at = std::min(first_responded_at, member->first_responded_at);
    view.handoffs.insert(view.handoffs.end(), member->handoffs.begin(), member->handoffs.end());
  }
  std::stable_sort(view.handoffs.begin(), view.handoffs.end(),
                   [](const HandoffView& a, const HandoffView& b) { return a.at < b.at; });
  view.opened_at = earliest->opened_at;
  view.first_channel = earliest->first_channel;
  view.began_in_public = earliest->began_in_public;
  view.first_response_due = first_response_due;
  if (first_responded_at != absl::InfiniteFuture()) view.first_responded_at = first_responded_at;
  if (c.resolved_at != absl::InfiniteFuture()) view.resolved_at = c.resolved_at;
  view.last_activity_at = state.LastActivity(c);
  for (MessageId id : c.messages) {
    const Channel channel = state.message(id)->channel;
    if (std::find(view.channels_used.begin(), view.channels_used.end(), channel) ==
        view.channels_used.end()) {
      view.channels_used.push_back(channel);
    }
  }
  return view;
}

}  // namespace omniroute::core
