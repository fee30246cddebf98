// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/archival.h"

#include "core/proto_convert.h"
#include "core/records.h"

namespace omniroute::core {
namespace {

// How many archivable entries NextArchival looks through for one that
// routing does not hold; those it holds are let go within seconds (their
// tasks end), and the server's timer loop looks again at least every second.
constexpr int kArchivalScan = 1024;

bool Held(const TenantState& state, ConversationId id) {
  for (ConversationId member : state.Family(id)) {
    if (state.pinned(member) || !state.routing().Archivable(member)) return true;
  }
  return false;
}

}  // namespace

int DecideArchival(const TenantState& state, absl::Time now, int limit, std::vector<::omniroute::v1::Event>* events) {
  const absl::Duration retention = state.options().closed_retention;
  int decided = 0;
  for (const auto& [closed_at, id] : state.archivable()) {
    if (decided >= limit || closed_at + retention > now) break;
    if (Held(state, id)) continue;
    auto* e = events->emplace_back().mutable_conversation_archived();
    e->set_conversation_id(id.value());
    ::omniroute::v1::ConversationArchive* archive = e->mutable_archive();
    for (ConversationId member : state.Family(id)) {
      const ConversationState& c = *state.conversation(member);
      ConversationToRecord(c, archive->add_conversations());
      for (MessageId m : c.messages) MessageToRecord(*state.message(m), archive->add_messages());
      state.routing().ToArchive(member, archive);
    }
    ToProto(closed_at, archive->mutable_closed_at());
    ++decided;
  }
  return decided;
}

std::optional<absl::Time> NextArchival(const TenantState& state) {
  const absl::Duration retention = state.options().closed_retention;
  int scanned = 0;
  for (const auto& [closed_at, id] : state.archivable()) {
    if (++scanned > kArchivalScan) break;
    if (!Held(state, id)) return closed_at + retention;
  }
  return std::nullopt;
}

}  // namespace omniroute::core
