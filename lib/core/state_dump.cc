// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/views.h"

namespace omniroute::core {
namespace {

std::string Time(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string Ids(const auto& ids) {
  return absl::StrJoin(ids, ",", [](std::string* out, auto id) { absl::StrAppend(out, id.value()); });
}

std::string Identities(const std::vector<Identity>& identities) {
  return absl::StrJoin(identities, ",", [](std::string* out, const Identity& i) {
    absl::StrAppend(out, ToString(i));
  });
}

}  // namespace

std::string DumpState(const CoreState& state) {
  std::string out;
  for (const CustomerState& c : state.customers()) {
    absl::StrAppend(&out, "customer ", c.id.value(), " name=", c.display_name(),
                    " lang=", c.language(), " tier=", c.tier, " reach=", c.reach,
                    " created=", Time(c.created_at()), " merged_into=", c.merged_into.value(), c.erased ? absl::StrCat(" erased=", Time(state.ErasedAt(c.id))) : "",
                    " identities=[", Identities(c.identities()), "] conversations=[",
                    Ids(c.conversations), "]\n");
  }
  std::vector<CustomerId> merged;
  for (const auto& [absorbed, record] : state.active_merges()) merged.push_back(absorbed);
  std::sort(merged.begin(), merged.end());
  for (CustomerId absorbed : merged) {
    const MergeRecord& r = *state.active_merge(absorbed);
    absl::StrAppend(&out, "merge ", r.absorbed.value(), "->", r.survivor.value(),
                    " identities=[", Identities(r.identities), "] conversations=[",
                    Ids(r.conversations), "]");
    for (const MergeRecord::Thread& t : r.threads) {
      absl::StrAppend(&out, " thread ", t.source.value(), "->", t.target.value(), " [",
                      Ids(t.messages), "] was_on=", ChannelName(t.target_channel_before));
    }
    out += "\n";
  }
  absl::StrAppend(&out, "next conversation=", state.NextConversationId().value(),
                  " message=", state.NextMessageId().value(), "\n");
  for (const ConversationState* conversation : state.ConversationsById()) {
    const ConversationState& c = *conversation;
    absl::StrAppend(&out, "conversation ", c.id.value(), " customer=", c.customer.value(),
                    " status=", ConversationStatusName(c.status),
                    " first=", ChannelName(c.first_channel), " channel=", ChannelName(c.channel),
                    " opened=", Time(c.opened_at), " due=", Time(c.first_response_due),
                    " responded=", Time(c.first_responded_at), " resolved=",
                    Time(c.resolved_at), " closed=", Time(c.closed_at),
                    " public=", c.began_in_public,
                    " merged_into=", c.merged_into.value(), " absorbed=[", Ids(c.absorbed),
                    "] messages=[", Ids(c.messages), "]\n");
    for (const HandoffView& h : c.handoffs) {
      absl::StrAppend(&out, "  handoff ", ChannelName(h.from_channel), "->",
                      ChannelName(h.to_channel), " at=", Time(h.at), " by=",
                      static_cast<int>(h.actor.kind), ":", h.actor.id, " reason=", h.reason,
                      "\n");
    }
  }
  for (const MessageState* message : state.MessagesById()) {
    const MessageState& m = *message;
    absl::StrAppend(&out, "message ", m.id.value(), " conversation=", m.conversation.value(),
                    " origin=", m.origin.value(), " ", ChannelName(m.channel),
                    " dir=", static_cast<int>(m.direction),
                    " vis=", static_cast<int>(m.visibility), " at=", Time(m.recorded_at),
                    " outcome=", ThreadOutcomeName(m.outcome),
                    " sender=", absl::Hex(m.sender_fingerprint), "\n");
  }
  return out;
}

}  // namespace omniroute::core
