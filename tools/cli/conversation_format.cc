// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/conversation_format.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/enum_names.h"
#include "cli/identity_text.h"
#include "cli/routing_format.h"
#include "cli/text_block.h"
#include "cli/time_text.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;

std::string Id(uint64_t id) { return id == 0 ? "" : absl::StrCat(id); }

std::string ChannelList(const google::protobuf::RepeatedField<int>& channels) {
  std::vector<std::string> names;
  for (int channel : channels) names.push_back(ShortName(static_cast<v1::Channel>(channel)));
  return absl::StrJoin(names, ",");
}

// JOINED_BY_REFERENCE -> "joined by reference".
std::string Words(absl::string_view name) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", " "}});
}

std::string Direction(v1::Direction direction) {
  switch (direction) {
    case v1::DIRECTION_INBOUND:
      return "in";
    case v1::DIRECTION_OUTBOUND:
      return "out";
    default:
      return absl::AsciiStrToLower(ShortName(direction));
  }
}

// Who wrote a message: the customer's identity, or the agent.
std::string Author(const v1::Message& message) {
  if (message.direction() == v1::DIRECTION_OUTBOUND) {
    return message.agent_id().empty() ? "brand" : absl::StrCat("agent ", message.agent_id());
  }
  return message.has_sender() ? FormatIdentity(message.sender()) : "customer";
}

}  // namespace

std::string FormatActor(const v1::Actor& actor) {
  switch (actor.kind()) {
    case v1::ACTOR_KIND_AGENT:
      return actor.id().empty() ? "agent" : absl::StrCat("agent ", actor.id());
    case v1::ACTOR_KIND_CUSTOMER:
      return "customer";
    case v1::ACTOR_KIND_SYSTEM:
      return "system";
    default:
      return actor.id().empty() ? "-" : actor.id();
  }
}

std::string FormatCustomer(const v1::Customer& customer) {
  KeyValueBlock block;
  block.Add("customer", Id(customer.customer_id()));
  block.AddIfSet("name", customer.display_name());
  block.AddIfSet("language", customer.language());
  if (customer.tier() != 0) block.Add("tier", absl::StrCat(customer.tier()));
  if (customer.reach() != 0) block.Add("reach", absl::StrCat(customer.reach()));
  block.Add("created", FormatTimestamp(customer.created_at()));
  if (customer.identities().empty()) block.Add("identity", "");
  for (const v1::Identity& identity : customer.identities()) {
    block.Add("identity", FormatIdentity(identity));
  }
  std::vector<std::string> conversations;
  for (uint64_t id : customer.conversation_ids()) conversations.push_back(absl::StrCat(id));
  block.Add("conversations", absl::StrJoin(conversations, " "));
  block.AddIfSet("merged into", Id(customer.merged_into_customer_id()));
  return block.Render();
}

std::string FormatConversation(const v1::Conversation& c) {
  KeyValueBlock block;
  block.Add("conversation", Id(c.conversation_id()));
  block.Add("customer", Id(c.customer_id()));
  block.Add("status", ShortName(c.status()));
  block.Add("channel", ShortName(c.channel()));
  block.Add("channels used", ChannelList(c.channels_used()));
  block.Add("began in",
            absl::StrCat(ShortName(c.first_channel()), c.began_in_public() ? " (public)" : ""));
  block.Add("messages", absl::StrCat(c.message_count()));
  block.Add("opened", FormatTimestamp(c.opened_at()));
  block.Add("last activity", FormatTimestamp(c.last_activity_at()));
  block.Add("first response due", FormatTimestamp(c.first_response_due()));
  block.Add("first responded", FormatTimestamp(c.first_responded_at()));
  block.Add("resolved", FormatTimestamp(c.resolved_at()));
  for (const v1::Handoff& h : c.handoffs()) {
    block.Add("handoff",
              absl::StrCat(FormatTimestamp(h.at()), " ", ShortName(h.from_channel()), " -> ",
                           ShortName(h.to_channel()), " by ", FormatActor(h.actor()),
                           h.reason().empty() ? "" : ": ", OneLine(h.reason())));
  }
  block.AddIfSet("merged into", Id(c.merged_into_conversation_id()));
  return block.Render();
}

std::string FormatConversationList(const v1::ListConversationsResponse& list) {
  if (list.conversations().empty()) return "(no conversations)\n";
  Columns columns;
  columns.AddRow({"CONVERSATION", "STATUS", "CHANNEL", "CHANNELS USED", "MESSAGES", "OPENED",
                  "LAST ACTIVITY"});
  for (const v1::Conversation& c : list.conversations()) {
    columns.AddRow({absl::StrCat(c.conversation_id()), ShortName(c.status()),
                    ShortName(c.channel()), ChannelList(c.channels_used()),
                    absl::StrCat(c.message_count()), FormatTimestamp(c.opened_at()),
                    FormatTimestamp(c.last_activity_at())});
  }
  return columns.Render();
}

std::string FormatTimeline(const v1::GetTimelineResponse& timeline) {
  if (timeline.entries().empty()) return "(empty timeline)\n";
  Columns columns;
  for (const v1::TimelineEntry& entry : timeline.entries()) {
    if (entry.has_message()) {
      const v1::Message& m = entry.message();
      columns.AddRow({FormatTimestamp(entry.at()), ShortName(m.channel()), Direction(m.direction()),
                      Author(m), OneLine(m.body())});
    } else if (entry.has_handoff()) {
      const v1::Handoff& h = entry.handoff();
      columns.AddRow({FormatTimestamp(entry.at()), ShortName(h.to_channel()), "handoff",
                      FormatActor(h.actor()),
                      absl::StrCat("from ", ShortName(h.from_channel()),
                                   h.reason().empty() ? "" : ": ", OneLine(h.reason()))});
    } else {
      columns.AddRow({FormatTimestamp(entry.at()), "?", "?", "?", "(an entry of a newer kind)"});
    }
  }
  return columns.Render();
}

std::string FormatIngest(const v1::IngestMessageResponse& r) {
  std::string out;
  if (r.duplicate()) {
    absl::StrAppend(&out, "duplicate: message ", r.message_id(),
                    " is already stored in conversation ", r.conversation_id(), " of customer ",
                    r.customer_id(), "\n");
  } else {
    absl::StrAppend(&out, "message ", r.message_id(), " in conversation ", r.conversation_id(),
                    " (", Words(ShortName(r.outcome())), ") of customer ", r.customer_id(),
                    r.customer_created() ? " (new)" : "", "\n");
  }
  if (r.has_task()) absl::StrAppend(&out, FormatTaskLine(r.task()), "\n");
  return out;
}

std::string FormatLink(const v1::LinkIdentityResponse& r) {
  std::string out = absl::StrCat("customer ", r.customer_id());
  if (r.absorbed_customer_id() != 0) {
    absl::StrAppend(&out, " absorbed customer ", r.absorbed_customer_id());
  }
  absl::StrAppend(&out, "\n");
  for (const v1::ThreadPair& pair : r.merged_threads()) {
    absl::StrAppend(&out, "conversation ", pair.source_conversation_id(),
                    " merged into conversation ", pair.target_conversation_id(), "\n");
  }
  return out;
}

}  // namespace omniroute::cli
