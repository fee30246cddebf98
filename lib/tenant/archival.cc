// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "tenant/archival.h"

#include "absl/container/flat_hash_set.h"
#include "core/fingerprint.h"
#include "core/proto_convert.h"
#include "core/records.h"

namespace omniroute::tenant {
namespace {

using core::ConversationState;
using core::MessageState;

// How many archivable entries NextArchival looks through for one that
// routing does not hold; those it holds are let go within seconds (their
// tasks end), and the server's timer loop looks again at least every second.
constexpr int kArchivalScan = 1024;

// Whether undoing an active customer merge would give the conversation to
// the customer it absorbed: one of the survivor's that the absorbed
// customer's identities alone wrote in since the merge (TenantCore::
// DecideUnmerge). Merge records do not name these (they pin only what the
// merge moved), so they are looked for here.
bool OwedToAnUnmerge(const core::CoreState& state, const ConversationState& c) {
  if (c.status == ::omniroute::v1::CONVERSATION_STATUS_MERGED) return false;
  for (const auto& [absorbed, record] : state.active_merges()) {
    if (state.Resolve(record.survivor) != c.customer) continue;
    absl::flat_hash_set<uint64_t> senders;
    for (const Identity& identity : record.identities) {
      if (state.OwnerOf(identity) == c.customer) {
        senders.insert(core::IdentityFingerprint(identity));
      }
    }
    bool any_inbound = false;
    bool only_theirs = true;
    for (MessageId id : c.messages) {
      const MessageState& m = *state.message(id);
      if (m.direction != ::omniroute::v1::DIRECTION_INBOUND) continue;
      any_inbound = true;
      if (!senders.contains(m.sender_fingerprint)) {
        only_theirs = false;
        break;
      }
    }
    if (any_inbound && only_theirs) return true;
  }
  return false;
}

bool Held(const TenantState& tenant, ConversationId id) {
  const core::CoreState& state = tenant.core();
  const CustomerId customer = state.conversation(id)->customer;
  for (ConversationId member : state.Family(id)) {
    if (state.pinned(member) || !tenant.routing().Archivable(member)) return true;
    const ConversationState& c = *state.conversation(member);
    if (OwedToAnUnmerge(state, c)) return true;
    // Merged into a conversation of another customer (merged while their
    // customers were, then unmerged): the archive is found and exported by
    // the customer of the archived conversation only, so it would leave
    // this one's customer.
    if (c.customer != customer) return true;
  }
  return false;
}

}  // namespace

int DecideArchival(const TenantState& tenant, absl::Time now, int limit,
                   std::vector<::omniroute::v1::Event>* events) {
  const core::CoreState& state = tenant.core();
  const absl::Duration retention = state.options().closed_retention;
  int decided = 0;
  for (const auto& [closed_at, id] : state.archivable()) {
    if (decided >= limit || closed_at + retention > now) break;
    if (Held(tenant, id)) continue;
    auto* e = events->emplace_back().mutable_conversation_archived();
    e->set_conversation_id(id.value());
    ::omniroute::v1::ConversationArchive* archive = e->mutable_archive();
    for (ConversationId member : state.Family(id)) {
      const ConversationState& c = *state.conversation(member);
      core::ConversationToRecord(c, archive->add_conversations());
      for (MessageId m : c.messages) {
        core::MessageToRecord(*state.message(m), archive->add_messages());
      }
      tenant.routing().ToArchive(member, archive);
    }
    core::ToProto(closed_at, archive->mutable_closed_at());
    ++decided;
  }
  return decided;
}

std::optional<absl::Time> NextArchival(const TenantState& tenant) {
  const absl::Duration retention = tenant.options().closed_retention;
  int scanned = 0;
  for (const auto& [closed_at, id] : tenant.core().archivable()) {
    if (++scanned > kArchivalScan) break;
    if (!Held(tenant, id)) return closed_at + retention;
  }
  return std::nullopt;
}

}  // namespace omniroute::tenant
