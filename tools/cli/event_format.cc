// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/event_format.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/conversation_format.h"
#include "cli/enum_names.h"
#include "cli/identity_text.h"
#include "cli/text_block.h"
#include "cli/time_text.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;
using Parts = std::vector<std::string>;

// Free text (bodies, descriptions) is cut here: the line is a summary.
constexpr size_t kMaxTextChars = 60;

std::string By(const v1::Actor& actor) {
  const std::string who = FormatActor(actor);
  return who == "-" ? "" : absl::StrCat("by ", who);
}

// Who held the credential of the call (the audit trail), after the actor:
// "caller ops-1 (integration, API key)"; empty when not recorded.
std::string Audit(bool recorded, const v1::Caller& caller) {
  if (!recorded) return "";
  switch (caller.credential()) {
    case v1::CALLER_CREDENTIAL_NONE:
      return "caller unauthenticated";
    case v1::CALLER_CREDENTIAL_API_KEY:
      return absl::StrCat("caller ", caller.principal(), " (", caller.role(), ", API key)");
    case v1::CALLER_CREDENTIAL_JWT:
      return absl::StrCat("caller ", caller.principal(), " (", caller.role(), ", JWT)");
    case v1::CALLER_CREDENTIAL_CONFIG_FILE:
      return absl::StrCat("caller file ", caller.principal());
    default:
      return absl::StrCat("caller ", caller.principal().empty() ? "?" : caller.principal());
  }
}

std::string Channels(const google::protobuf::RepeatedField<int>& channels) {
  std::vector<std::string> names;
  for (int channel : channels) names.push_back(ShortName(static_cast<v1::Channel>(channel)));
  return absl::StrJoin(names, ",");
}

std::string Skills(const google::protobuf::RepeatedPtrField<v1::SkillLevel>& skills) {
  std::vector<std::string> parts;
  for (const v1::SkillLevel& s : skills) parts.push_back(absl::StrCat(s.skill(), ":", s.level()));
  return absl::StrJoin(parts, ",");
}

std::string Task(uint64_t id) { return absl::StrCat("task ", id); }
std::string Conversation(uint64_t id) { return absl::StrCat("conversation ", id); }
std::string Customer(uint64_t id) { return absl::StrCat("customer ", id); }
std::string Commitment(uint64_t id) { return absl::StrCat("commitment ", id); }
std::string YesNo(bool value) { return value ? "yes" : "no"; }
std::string Count(int n, absl::string_view noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

std::string ThreadMerges(const google::protobuf::RepeatedPtrField<v1::ThreadMerge>& merges) {
  std::vector<std::string> parts;
  for (const v1::ThreadMerge& m : merges) {
    parts.push_back(absl::StrCat(m.source_conversation_id(), "->", m.target_conversation_id()));
  }
  return parts.empty() ? "" : absl::StrCat("threads ", absl::StrJoin(parts, ","));
}

Parts CoreDetails(const v1::Event& e) {
  switch (e.payload_case()) {
    case v1::Event::kTenantConfigured: {
      const v1::TenantSettings& s = e.tenant_configured().settings();
      return {absl::StrCat("country code ",
                           s.default_country_code().empty() ? "none" : s.default_country_code()),
              absl::StrCat("merge threads ", YesNo(s.merge_threads_on_customer_merge())),
              absl::StrCat("close public loop ", YesNo(s.close_public_loop())),
              Audit(e.tenant_configured().has_caller(), e.tenant_configured().caller())};
    }
    case v1::Event::kCustomerCreated: {
      const v1::CustomerCreated& c = e.customer_created();
      Parts parts = {Customer(c.customer_id())};
      if (!c.display_name().empty()) parts.push_back(Quoted(c.display_name(), kMaxTextChars));
      if (c.tier() != 0) parts.push_back(absl::StrCat("tier ", c.tier()));
      if (c.reach() != 0) parts.push_back(absl::StrCat("reach ", c.reach()));
      return parts;
    }
    case v1::Event::kIdentityLinked: {
      const v1::IdentityLinked& l = e.identity_linked();
      return {Customer(l.customer_id()), FormatIdentity(l.identity()), By(l.actor()),
              Audit(l.has_caller(), l.caller())};
    }
    case v1::Event::kCustomersMerged: {
      const v1::CustomersMerged& m = e.customers_merged();
      return {absl::StrCat("customer ", m.absorbed_id(), " into ", m.survivor_id()),
              Count(m.moved_identities_size(), "identity"),
              Count(m.moved_conversation_ids_size(), "conversation"),
              ThreadMerges(m.thread_merges()),
              By(m.actor()),
              Audit(m.has_caller(), m.caller())};
    }
    case v1::Event::kCustomerUnmerged: {
      const v1::CustomerUnmerged& u = e.customer_unmerged();
      return {absl::StrCat("customer ", u.customer_id(), " out of ", u.from_customer_id()),
              Count(u.restored_identities_size(), "identity"),
              Count(u.restored_conversation_ids_size(), "conversation"),
              ThreadMerges(u.restored_threads()),
              By(u.actor()),
              Audit(u.has_caller(), u.caller())};
    }
    case v1::Event::kConversationArchived: {
      const v1::ConversationArchived& a = e.conversation_archived();
      return {Conversation(a.conversation_id()),
              Count(a.archive().conversations_size(), "conversation"),
              Count(a.archive().messages_size(), "message")};
    }
    case v1::Event::kCustomerErased: {
      const v1::CustomerErased& x = e.customer_erased();
      Parts parts = {Customer(x.customer_id())};
      if (x.erased_with_customer_ids_size() > 0) {
        parts.push_back(absl::StrCat("with ", x.erased_with_customer_ids_size(), " merged into it"));
      }
      parts.push_back(Count(x.conversation_ids_size(), "conversation"));
      parts.push_back(By(x.actor()));
      parts.push_back(Audit(x.has_caller(), x.caller()));
      return parts;
    }
    case v1::Event::kConversationOpened: {
      const v1::ConversationOpened& o = e.conversation_opened();
      Parts parts = {Conversation(o.conversation_id()),
                     absl::StrCat("of customer ", o.customer_id()), ShortName(o.channel()),
                     absl::StrCat("first response due ", FormatTimestamp(o.first_response_due()))};
      if (o.split_from_conversation_id() != 0) {
        parts.push_back(absl::StrCat("split from ", o.split_from_conversation_id()));
      }
      return parts;
    }
    case v1::Event::kMessageRecorded: {
      const v1::MessageRecorded& m = e.message_recorded();
      const bool inbound = m.direction() == v1::DIRECTION_INBOUND;
      Parts parts = {
          absl::StrCat("message ", m.message_id(), " in conversation ", m.conversation_id()),
          absl::StrCat(ShortName(m.channel()), inbound ? " in" : " out"),
          inbound ? FormatIdentity(m.sender()) : absl::StrCat("agent ", m.agent_id())};
      if (m.outcome() != v1::THREAD_OUTCOME_UNSPECIFIED) {
        parts.push_back(absl::AsciiStrToLower(ShortName(m.outcome())));
      }
      parts.push_back(Quoted(m.body(), kMaxTextChars));
      return parts;
    }
    case v1::Event::kHandoffRecorded: {
      const v1::HandoffRecorded& h = e.handoff_recorded();
      return {Conversation(h.conversation_id()),
              absl::StrCat(ShortName(h.from_channel()), " -> ", ShortName(h.to_channel())),
              By(h.actor()), h.reason().empty() ? "" : Quoted(h.reason(), kMaxTextChars)};
    }
    case v1::Event::kConversationStatusChanged: {
      const v1::ConversationStatusChanged& s = e.conversation_status_changed();
      return {Conversation(s.conversation_id()),
              absl::StrCat(ShortName(s.from_status()), " -> ", ShortName(s.to_status())),
              By(s.actor()), s.reason().empty() ? "" : Quoted(s.reason(), kMaxTextChars)};
    }
    case v1::Event::kConversationsMerged: {
      const v1::ConversationsMerged& m = e.conversations_merged();
      return {absl::StrCat("conversation ", m.source_conversation_id(), " into ",
                           m.target_conversation_id()),
              Count(m.message_ids_size(), "message"), By(m.actor())};
    }
    case v1::Event::kConversationSplit: {
      const v1::ConversationSplit& s = e.conversation_split();
      return {absl::StrCat("conversation ", s.source_conversation_id(), " -> ",
                           s.target_conversation_id()),
              Count(s.message_ids_size(), "message"), By(s.actor())};
    }
    default:
      return {};
  }
}

Parts RoutingDetails(const v1::Event& e) {
  switch (e.payload_case()) {
    case v1::Event::kRoutingConfigured: {
      const v1::RoutingSettings& s = e.routing_configured().settings();
      return {Count(s.rules_size(), "rule"),
              absl::StrCat("default queue ",
                           s.default_queue_id().empty() ? "none" : s.default_queue_id()),
              Audit(e.routing_configured().has_caller(), e.routing_configured().caller())};
    }
    case v1::Event::kQueueConfigured: {
      const v1::QueueConfig& q = e.queue_configured().queue();
      return {absl::StrCat("queue ", q.queue_id()), Channels(q.channels()),
              Skills(q.required_skills()), absl::StrCat("priority ", q.base_priority()),
              Audit(e.queue_configured().has_caller(), e.queue_configured().caller())};
    }
    case v1::Event::kAgentConfigured: {
      const v1::AgentConfig& a = e.agent_configured().agent();
      return {absl::StrCat("agent ", a.agent_id()), Channels(a.channels()), Skills(a.skills()),
              absl::StrCat("capacity ", a.capacity()),
              Audit(e.agent_configured().has_caller(), e.agent_configured().caller())};
    }
    case v1::Event::kAgentPresenceChanged: {
      const v1::AgentPresenceChanged& p = e.agent_presence_changed();
      return {absl::StrCat("agent ", p.agent_id()),
              absl::StrCat(ShortName(p.from_presence()), " -> ", ShortName(p.to_presence())),
              p.reason().empty() ? "" : Quoted(p.reason(), kMaxTextChars)};
    }
    case v1::Event::kTaskCreated: {
      const v1::TaskCreated& t = e.task_created();
      Parts parts = {Task(t.task_id()),
                     Conversation(t.conversation_id()),
                     ShortName(t.channel()),
                     ShortName(t.reason()),
                     t.queue_id().empty() ? "unrouted" : absl::StrCat("queue ", t.queue_id()),
                     absl::StrCat("priority ", t.priority_points())};
      if (!t.preferred_agent_id().empty()) {
        parts.push_back(absl::StrCat("prefers ", t.preferred_agent_id()));
      }
      if (t.commitment_id() != 0) parts.push_back(Commitment(t.commitment_id()));
      if (t.previous_task_id() != 0) {
        parts.push_back(absl::StrCat("after task ", t.previous_task_id()));
      }
      return parts;
    }
    case v1::Event::kTaskOffered: {
      const v1::TaskOffered& o = e.task_offered();
      return {Task(o.task_id()),
              absl::StrCat("to ", o.agent_id()),
              o.conversation_id() == 0 ? "" : Conversation(o.conversation_id()),
              o.channel() == v1::CHANNEL_UNSPECIFIED ? "" : ShortName(o.channel()),
              o.queue_id().empty() ? "" : absl::StrCat("queue ", o.queue_id()),
              absl::StrCat("until ", FormatTimestamp(o.expires_at()))};
    }
    case v1::Event::kOfferDeclined: {
      const v1::OfferDeclined& d = e.offer_declined();
      return {Task(d.task_id()), absl::StrCat("by ", d.agent_id()),
              d.reason().empty() ? "" : Quoted(d.reason(), kMaxTextChars)};
    }
    case v1::Event::kOfferExpired:
      return {Task(e.offer_expired().task_id()),
              absl::StrCat("for ", e.offer_expired().agent_id())};
    case v1::Event::kOfferWithdrawn: {
      const v1::OfferWithdrawn& w = e.offer_withdrawn();
      return {Task(w.task_id()), absl::StrCat("from ", w.agent_id()), ShortName(w.reason())};
    }
    case v1::Event::kTaskAssigned: {
      const v1::TaskAssigned& a = e.task_assigned();
      return {Task(a.task_id()), absl::StrCat("to ", a.agent_id()),
              a.conversation_id() == 0 ? "" : Conversation(a.conversation_id()),
              a.channel() == v1::CHANNEL_UNSPECIFIED ? "" : ShortName(a.channel()),
              a.automatic() ? "automatic" : ""};
    }
    case v1::Event::kTaskEnded: {
      const v1::TaskEnded& t = e.task_ended();
      return {Task(t.task_id()), absl::StrCat("by ", t.agent_id()), ShortName(t.end()),
              t.has_wrap_up_until()
                  ? absl::StrCat("wrap-up until ", FormatTimestamp(t.wrap_up_until()))
                  : ""};
    }
    case v1::Event::kWrapUpEnded:
      return {Task(e.wrap_up_ended().task_id()),
              absl::StrCat("agent ", e.wrap_up_ended().agent_id())};
    case v1::Event::kTaskCancelled:
      return {Task(e.task_cancelled().task_id()), ShortName(e.task_cancelled().reason())};
    case v1::Event::kTaskReleased:
      return {Task(e.task_released().task_id())};
    case v1::Event::kTaskExpanded: {
      const v1::TaskExpanded& x = e.task_expanded();
      return {Task(x.task_id()), absl::StrCat("step ", x.step()),
              absl::StrCat("queue ", x.queue_id())};
    }
    case v1::Event::kTaskFirstResponseMet:
      return {Task(e.task_first_response_met().task_id()),
              "its conversation got its first response"};
    case v1::Event::kTaskEscalated: {
      const v1::TaskEscalated& x = e.task_escalated();
      return {Task(x.task_id()), ShortName(x.reason()),
              absl::StrCat("+", x.added_points(), " points")};
    }
    case v1::Event::kCommitmentRecorded: {
      const v1::CommitmentRecorded& c = e.commitment_recorded();
      return {Commitment(c.commitment_id()),
              Conversation(c.conversation_id()),
              ShortName(c.kind()),
              absl::StrCat("due ", FormatTimestamp(c.due_at())),
              absl::StrCat("deadline ", FormatTimestamp(c.deadline())),
              ShortName(c.channel()),
              c.agent_id().empty() ? "" : absl::StrCat("agent ", c.agent_id()),
              Quoted(c.description(), kMaxTextChars)};
    }
    case v1::Event::kCommitmentDue:
      return {Commitment(e.commitment_due().commitment_id()), Task(e.commitment_due().task_id())};
    case v1::Event::kCommitmentMissed:
      return {Commitment(e.commitment_missed().commitment_id())};
    case v1::Event::kCommitmentClosed: {
      const v1::CommitmentClosed& c = e.commitment_closed();
      return {Commitment(c.commitment_id()), ShortName(c.status()), By(c.actor()),
              c.reason().empty() ? "" : Quoted(c.reason(), kMaxTextChars)};
    }
    default:
      return {};
  }
}

}  // namespace

std::string EventTypeName(const v1::Event& event) {
  if (event.payload_case() == v1::Event::PAYLOAD_NOT_SET) return "unknown";
  const google::protobuf::FieldDescriptor* field =
      v1::Event::descriptor()->FindFieldByNumber(event.payload_case());
  return field == nullptr ? "unknown" : field->name();
}

std::string FormatEventLine(const v1::Event& event) {
  Parts details = CoreDetails(event);
  if (details.empty()) details = RoutingDetails(event);
  // Optional parts come back empty; they take no room on the line.
  details.erase(std::remove(details.begin(), details.end(), std::string()), details.end());
  std::string line = absl::StrCat("#", event.sequence(), " ", FormatTimestamp(event.time()), " ",
                                  EventTypeName(event));
  if (!details.empty()) absl::StrAppend(&line, "  ", absl::StrJoin(details, "  "));
  return line;
}

}  // namespace omniroute::cli
