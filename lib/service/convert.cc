// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/convert.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "routing/routing_config.h"

namespace omniroute::service {
namespace {

namespace pb = ::google::protobuf;

// protobuf's own bounds (google/protobuf/timestamp.proto, duration.proto).
constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMaxDurationSeconds = 315576000000;   // 10,000 years
constexpr int32_t kNanosPerSecond = 1000000000;

// Reads seconds and nanos by reflection, so that a Timestamp of any pool is
// checked, not only the generated one.
void SecondsAndNanos(const pb::Message& m, int64_t* seconds, int32_t* nanos) {
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  *seconds = r->GetInt64(m, d->FindFieldByName("seconds"));
  *nanos = r->GetInt32(m, d->FindFieldByName("nanos"));
}

absl::Status CheckTimestamp(const pb::Message& m, const std::string& field) {
  int64_t seconds;
  int32_t nanos;
  SecondsAndNanos(m, &seconds, &nanos);
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": seconds ", seconds,
        " is outside protobuf's Timestamp range (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"));
  }
  if (nanos < 0 || nanos >= kNanosPerSecond) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": nanos ", nanos, " is outside [0, 999999999]"));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(const pb::Message& m, const std::string& field) {
  int64_t seconds;
  int32_t nanos;
  SecondsAndNanos(m, &seconds, &nanos);
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": seconds ", seconds,
        " is outside protobuf's Duration range (-315576000000 to 315576000000)"));
  }
  if (nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": nanos ", nanos, " is outside [-999999999, 999999999]"));
  }
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": nanos ", nanos,
                                                   " must have the sign of seconds ", seconds));
  }
  return absl::OkStatus();
}

absl::Status CheckTimes(const pb::Message& message, const std::string& prefix, int depth) {
  // Requests are bounded by protobuf's own recursion limit (100); this
  // only keeps a hand-built message from recursing without end.
  if (depth > 100) return absl::OkStatus();
  const pb::Descriptor* type = message.GetDescriptor();
  if (type->full_name() == "google.protobuf.Timestamp") return CheckTimestamp(message, prefix);
  if (type->full_name() == "google.protobuf.Duration") return CheckDuration(message, prefix);
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // only the fields that are set
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string name = absl::StrCat(prefix, prefix.empty() ? "" : ".", field->name());
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        if (absl::Status s = CheckTimes(reflection->GetRepeatedMessage(message, field, i),
                                        absl::StrCat(name, "[", i, "]"), depth + 1);
            !s.ok()) {
          return s;
        }
      }
    } else if (absl::Status s = CheckTimes(reflection->GetMessage(message, field), name, depth + 1);
               !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

bool Negative(const google::protobuf::Duration& d) { return d.seconds() < 0 || d.nanos() < 0; }

std::string DurationText(const google::protobuf::Duration& d) {
  return absl::FormatDuration(absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()));
}

}  // namespace

absl::Status CheckTimeFields(const google::protobuf::Message& message, absl::string_view prefix) {
  return CheckTimes(message, std::string(prefix), 0);
}

absl::Status CheckTenantSettings(const v1::TenantSettings& settings, absl::string_view prefix) {
  const std::string at = prefix.empty() ? "" : absl::StrCat(prefix, ".");
  if (absl::Status s = CheckTimeFields(settings, absl::StrCat(prefix)); !s.ok()) return s;
  std::vector<int> seen;
  for (int i = 0; i < settings.channels_size(); ++i) {
    const v1::ChannelSettings& c = settings.channels(i);
    const std::string item = absl::StrCat(at, "channels[", i, "]");
    if (!v1::Channel_IsValid(c.channel())) {
      return absl::InvalidArgumentError(absl::StrCat(item, ".channel: ", static_cast<int>(c.channel()),
                                                     " is not a channel"));
    }
    for (int other : seen) {
      if (other == c.channel()) {
        return absl::InvalidArgumentError(absl::StrCat(
            item, ".channel: ", v1::Channel_Name(c.channel()), " is listed twice"));
      }
    }
    seen.push_back(c.channel());
    if (Negative(c.continuity_window())) {
      return absl::InvalidArgumentError(absl::StrCat(
          item, ".continuity_window: ", DurationText(c.continuity_window()), " is negative"));
    }
    if (Negative(c.first_response_target())) {
      return absl::InvalidArgumentError(absl::StrCat(item, ".first_response_target: ",
                                                     DurationText(c.first_response_target()),
                                                     " is negative"));
    }
    // The default entry carries the default continuity window only; a
    // target there would be dropped (each channel has its own default).
    if (c.channel() == v1::CHANNEL_UNSPECIFIED && c.has_first_response_target() &&
        (c.first_response_target().seconds() != 0 || c.first_response_target().nanos() != 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          item, ".first_response_target: the default entry (CHANNEL_UNSPECIFIED) has no "
                "first-response target; set it per channel"));
    }
  }
  for (auto [duration, name] :
       {std::pair{&settings.thread_merge_window(), "thread_merge_window"},
        std::pair{&settings.closed_retention(), "closed_retention"}}) {
    if (Negative(*duration)) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, name, ": ", DurationText(*duration), " is negative"));
    }
  }
  if (settings.max_body_bytes() > kMaxBodyBytesCeiling) {
    return absl::InvalidArgumentError(absl::StrCat(at, "max_body_bytes: ",
                                                   settings.max_body_bytes(), " is outside 1..",
                                                   kMaxBodyBytesCeiling));
  }
  return absl::OkStatus();
}

absl::Status CheckAgentConfig(const v1::AgentConfig& agent, absl::string_view prefix) {
  const std::string at = prefix.empty() ? "" : absl::StrCat(prefix, ".");
  for (int i = 0; i < agent.channel_costs_size(); ++i) {
    for (int j = 0; j < i; ++j) {
      if (agent.channel_costs(j).channel() == agent.channel_costs(i).channel()) {
        const int channel = agent.channel_costs(i).channel();
        return absl::InvalidArgumentError(absl::StrCat(
            at, "channel_costs[", i, "].channel: ",
            v1::Channel_IsValid(channel) ? v1::Channel_Name(channel) : absl::StrCat(channel),
            " is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRoutingSettings(const v1::RoutingSettings& settings, absl::string_view prefix) {
  const std::string at = prefix.empty() ? "" : absl::StrCat(prefix, ".");
  if (absl::Status s = CheckTimeFields(settings, absl::StrCat(prefix)); !s.ok()) return s;
  std::vector<int> seen;
  for (int i = 0; i < settings.preferred_agent_waits_size(); ++i) {
    const v1::PreferredAgentWait& wait = settings.preferred_agent_waits(i);
    for (int other : seen) {
      if (other == wait.channel()) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, "preferred_agent_waits[", i, "].channel: ",
            v1::Channel_IsValid(wait.channel()) ? v1::Channel_Name(wait.channel())
                                                : absl::StrCat(static_cast<int>(wait.channel())),
            " is listed twice"));
      }
    }
    seen.push_back(wait.channel());
  }
  return absl::OkStatus();
}

absl::Time FromProto(const google::protobuf::Timestamp& proto) { return core::FromProto(proto); }

void ToProto(absl::Time time, google::protobuf::Timestamp* proto) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return;
  core::ToProto(time, proto);
}

namespace {
// Sets a timestamp field only when there is a time to put in it.
template <typename Mutable>
void SetTime(absl::Time time, Mutable field) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return;
  core::ToProto(time, field());
}
}  // namespace

RawIdentity FromProto(const v1::RawIdentity& proto) {
  return RawIdentity{proto.kind(), proto.network(), proto.value()};
}

Actor FromProto(const v1::Actor& proto) { return core::FromProto(proto); }

InboundMessage FromProto(const v1::IngestMessageRequest& r) {
  InboundMessage m;
  m.channel = r.channel();
  m.sender = FromProto(r.sender());
  m.profile.display_name = r.profile().display_name();
  m.profile.language = r.profile().language();
  m.profile.reach = r.profile().reach();
  m.external_id = r.external_id();
  m.thread_key = r.thread_key();
  m.references.assign(r.references().begin(), r.references().end());
  m.body = r.body();
  m.tags.assign(r.tags().begin(), r.tags().end());
  m.visibility = r.visibility();
  return m;
}

OutboundMessage FromProto(const v1::RecordOutboundRequest& r) {
  OutboundMessage m;
  m.conversation = ConversationId(r.conversation_id());
  m.channel = r.channel();
  m.external_id = r.external_id();
  m.references.assign(r.references().begin(), r.references().end());
  m.body = r.body();
  m.agent_id = r.agent_id();
  m.visibility = r.visibility();
  return m;
}

CommitmentRequest FromProto(const v1::RecordCommitmentRequest& r) {
  CommitmentRequest c;
  c.conversation = ConversationId(r.conversation_id());
  c.kind = r.kind();
  c.description = r.description();
  c.due_at = r.has_due_at() ? FromProto(r.due_at()) : absl::InfinitePast();
  c.deadline = r.has_deadline() ? FromProto(r.deadline()) : absl::InfinitePast();
  c.channel = r.channel();
  c.queue = r.queue_id();
  c.agent = r.agent_id();
  c.actor = FromProto(r.actor());
  return c;
}

PageRequest PageRequestOf(const v1::GetTimelineRequest& r) {
  return PageRequest{.page_size = r.page_size(), .page_token = r.page_token()};
}

PageRequest PageRequestOf(const v1::ListConversationsRequest& r) {
  return PageRequest{.page_size = r.page_size(), .page_token = r.page_token()};
}

void ToProto(const CustomerView& view, v1::Customer* p) {
  p->set_customer_id(view.id.value());
  p->set_display_name(view.display_name);
  p->set_language(view.language);
  p->set_tier(view.tier);
  p->set_reach(view.reach);
  SetTime(view.created_at, [&] { return p->mutable_created_at(); });
  for (const Identity& identity : view.identities) core::ToProto(identity, p->add_identities());
  for (ConversationId id : view.conversations) p->add_conversation_ids(id.value());
  if (view.merged_into.has_value()) p->set_merged_into_customer_id(view.merged_into->value());
  p->set_erased(view.erased);
}

namespace {
void ToProto(const HandoffView& h, v1::Handoff* p) {
  p->set_from_channel(h.from_channel);
  p->set_to_channel(h.to_channel);
  p->set_reason(h.reason);
  core::ToProto(h.actor, p->mutable_actor());
  SetTime(h.at, [&] { return p->mutable_at(); });
}
}  // namespace

void ToProto(const ConversationView& view, v1::Conversation* p) {
  p->set_conversation_id(view.id.value());
  p->set_customer_id(view.customer.value());
  p->set_status(view.status);
  p->set_first_channel(view.first_channel);
  p->set_channel(view.channel);
  for (Channel c : view.channels_used) p->add_channels_used(c);
  SetTime(view.opened_at, [&] { return p->mutable_opened_at(); });
  SetTime(view.last_activity_at, [&] { return p->mutable_last_activity_at(); });
  SetTime(view.first_response_due, [&] { return p->mutable_first_response_due(); });
  if (view.first_responded_at.has_value()) {
    SetTime(*view.first_responded_at, [&] { return p->mutable_first_responded_at(); });
  }
  if (view.resolved_at.has_value()) {
    SetTime(*view.resolved_at, [&] { return p->mutable_resolved_at(); });
  }
  p->set_message_count(view.message_count);
  for (const HandoffView& h : view.handoffs) ToProto(h, p->add_handoffs());
  if (view.merged_into.has_value()) p->set_merged_into_conversation_id(view.merged_into->value());
  p->set_began_in_public(view.began_in_public);
}

void ToProto(const TimelineEntry& entry, v1::TimelineEntry* p) {
  SetTime(entry.at, [&] { return p->mutable_at(); });
  if (entry.message.has_value()) {
    const MessageView& m = *entry.message;
    v1::Message* out = p->mutable_message();
    out->set_message_id(m.id.value());
    out->set_conversation_id(m.conversation.value());
    out->set_channel(m.channel);
    out->set_direction(m.direction);
    out->set_visibility(m.visibility);
    out->set_external_id(m.external_id);
    out->set_thread_key(m.thread_key);
    for (const std::string& r : m.references) out->add_references(r);
    out->set_body(m.body);
    if (m.sender.kind != v1::IDENTITY_KIND_UNSPECIFIED) core::ToProto(m.sender, out->mutable_sender());
    out->set_agent_id(m.agent_id);
    SetTime(m.recorded_at, [&] { return out->mutable_recorded_at(); });
  } else if (entry.handoff.has_value()) {
    ToProto(*entry.handoff, p->mutable_handoff());
  }
}

void ToProto(const LinkResult& result, v1::LinkIdentityResponse* p) {
  p->set_customer_id(result.customer.value());
  if (result.absorbed.has_value()) p->set_absorbed_customer_id(result.absorbed->value());
  for (const auto& [target, source] : result.merged_threads) {
    v1::ThreadPair* pair = p->add_merged_threads();
    pair->set_target_conversation_id(target.value());
    pair->set_source_conversation_id(source.value());
  }
}

void ToProto(const TaskView& view, v1::Task* p) {
  p->set_task_id(view.id.value());
  p->set_conversation_id(view.conversation.value());
  p->set_queue_id(view.queue);
  p->set_channel(view.channel);
  p->set_reason(view.reason);
  p->set_status(view.status);
  SetTime(view.created_at, [&] { return p->mutable_created_at(); });
  p->set_priority_points(view.priority_points);
  if (view.first_response_due.has_value()) {
    SetTime(*view.first_response_due, [&] { return p->mutable_first_response_due(); });
  }
  p->set_preferred_agent_id(view.preferred_agent);
  if (view.preferred_until.has_value()) {
    SetTime(*view.preferred_until, [&] { return p->mutable_preferred_until(); });
  }
  if (view.offer.has_value()) {
    v1::Offer* offer = p->mutable_offer();
    offer->set_agent_id(view.offer->agent);
    SetTime(view.offer->offered_at, [&] { return offer->mutable_offered_at(); });
    SetTime(view.offer->expires_at, [&] { return offer->mutable_expires_at(); });
  }
  p->set_agent_id(view.agent);
  for (const std::string& a : view.excluded_agents) p->add_excluded_agent_ids(a);
  p->set_expansion_step(view.expansion_step);
  if (view.commitment.has_value()) p->set_commitment_id(view.commitment->value());
  if (view.previous_task.has_value()) p->set_previous_task_id(view.previous_task->value());
  p->set_end(view.end);
  p->set_cancel_reason(view.cancel_reason);
  if (view.wait_estimate.has_value()) ToProto(*view.wait_estimate, p->mutable_wait_estimate());
}

const char* PresenceLabel(AgentPresence presence) {
  switch (presence) {
    case v1::AGENT_PRESENCE_AVAILABLE:
      return "available";
    case v1::AGENT_PRESENCE_BUSY:
      return "busy";
    case v1::AGENT_PRESENCE_AWAY:
      return "away";
    case v1::AGENT_PRESENCE_OFFLINE:
      return "offline";
    default:
      return "unspecified";
  }
}

void ToProto(const WaitEstimate& estimate, v1::WaitEstimate* p) {
  p->set_position(estimate.position);
  if (estimate.wait.has_value()) routing::ToProto(*estimate.wait, p->mutable_wait());
  p->set_answers(estimate.answers);
  routing::ToProto(estimate.span, p->mutable_span());
}

void ToProto(const WindowFigures& f, v1::WindowFigures* p) {
  routing::ToProto(f.window, p->mutable_window());
  p->set_offered(f.offered);
  p->set_answered(f.answered);
  p->set_answered_within_target(f.answered_within_target);
  p->set_abandoned(f.abandoned);
  p->set_handled(f.handled);
  if (f.average_speed_of_answer.has_value()) {
    routing::ToProto(*f.average_speed_of_answer, p->mutable_average_speed_of_answer());
  }
  if (f.service_level.has_value()) p->set_service_level(*f.service_level);
  if (f.average_handle_time.has_value()) {
    routing::ToProto(*f.average_handle_time, p->mutable_average_handle_time());
  }
}

void ToProto(const QueueStatistics& stats, v1::QueueStatistics* p) {
  p->set_queue_id(stats.queue);
  p->set_waiting(stats.waiting);
  p->set_offered(stats.offered);
  p->set_assigned(stats.assigned);
  if (stats.longest_wait.has_value())
    routing::ToProto(*stats.longest_wait, p->mutable_longest_wait());
  p->set_agents_available(stats.agents_available);
  p->set_agents_busy(stats.agents_busy);
  p->set_agents_wrapping_up(stats.agents_wrapping_up);
  p->set_agents_away(stats.agents_away);
  ToProto(stats.last_15_minutes, p->mutable_last_15_minutes());
  ToProto(stats.last_60_minutes, p->mutable_last_60_minutes());
  for (const ChannelStatistics& c : stats.channels) {
    v1::ChannelStatistics* out = p->add_channels();
    out->set_channel(c.channel);
    out->set_waiting(c.waiting);
    if (c.longest_wait.has_value()) routing::ToProto(*c.longest_wait, out->mutable_longest_wait());
    ToProto(c.last_15_minutes, out->mutable_last_15_minutes());
    ToProto(c.last_60_minutes, out->mutable_last_60_minutes());
    ToProto(c.new_task_wait, out->mutable_new_task_wait());
  }
}

void ToProto(const AgentStatistics& stats, v1::AgentStatistics* p) {
  p->set_agent_id(stats.agent);
  p->set_presence(stats.presence);
  SetTime(stats.at, [&] { return p->mutable_at(); });
  routing::ToProto(stats.window, p->mutable_window());
  routing::ToProto(stats.staffed, p->mutable_staffed());
  routing::ToProto(stats.busy, p->mutable_busy());
  if (stats.occupancy.has_value()) p->set_occupancy(*stats.occupancy);
  p->set_handled(stats.handled);
  if (stats.average_handle_time.has_value()) {
    routing::ToProto(*stats.average_handle_time, p->mutable_average_handle_time());
  }
}

void ToProto(const IntervalReport& report, v1::IntervalReport* p) {
  SetTime(report.from, [&] { return p->mutable_from(); });
  SetTime(report.to, [&] { return p->mutable_to(); });
  p->set_events_read(report.events_read);
  for (const IntervalFigures& f : report.rows) {
    v1::IntervalFigures* row = p->add_rows();
    SetTime(f.start, [&] { return row->mutable_start(); });
    row->set_queue_id(f.queue);
    row->set_channel(f.channel);
    row->set_offered(f.offered);
    row->set_answered(f.answered);
    row->set_answered_within_target(f.answered_within_target);
    row->set_abandoned(f.abandoned);
    row->set_handled(f.handled);
    row->set_transferred(f.transferred);
    row->set_handed_off(f.handed_off);
    row->set_repeat_answers(f.repeat_answers);
    row->set_same_agent_answers(f.same_agent_answers);
    if (f.average_speed_of_answer.has_value()) {
      routing::ToProto(*f.average_speed_of_answer, row->mutable_average_speed_of_answer());
    }
    if (f.service_level.has_value()) row->set_service_level(*f.service_level);
    if (f.average_handle_time.has_value()) {
      routing::ToProto(*f.average_handle_time, row->mutable_average_handle_time());
    }
    if (f.same_agent_rate.has_value()) row->set_same_agent_rate(*f.same_agent_rate);
  }
}

void ToProto(const AgentView& view, v1::Agent* p) {
  routing::ToProto(view.config, p->mutable_config());
  p->set_presence(view.presence);
  p->set_load(view.load);
  for (TaskId id : view.offered_tasks) p->add_offered_task_ids(id.value());
  for (TaskId id : view.assigned_tasks) p->add_assigned_task_ids(id.value());
  for (TaskId id : view.wrapping_up_tasks) p->add_wrapping_up_task_ids(id.value());
  p->set_consecutive_expiries(view.consecutive_expiries);
  if (view.last_assignment_end.has_value()) {
    SetTime(*view.last_assignment_end, [&] { return p->mutable_last_assignment_end(); });
  }
}

void ToProto(const QueueStats& stats, v1::QueueStats* p) {
  p->set_queue_id(stats.queue);
  p->set_waiting(stats.waiting);
  p->set_offered(stats.offered);
  p->set_assigned(stats.assigned);
  p->set_entered(stats.entered);
  p->set_assigned_total(stats.assigned_total);
  p->set_cancelled_total(stats.cancelled_total);
  p->set_assigned_within_target(stats.assigned_within_target);
  if (stats.oldest_waiting_since.has_value()) {
    SetTime(*stats.oldest_waiting_since, [&] { return p->mutable_oldest_waiting_since(); });
  }
}

void ToProto(const CommitmentView& view, v1::Commitment* p) {
  p->set_commitment_id(view.id.value());
  p->set_conversation_id(view.conversation.value());
  p->set_kind(view.kind);
  p->set_description(view.description);
  SetTime(view.due_at, [&] { return p->mutable_due_at(); });
  SetTime(view.deadline, [&] { return p->mutable_deadline(); });
  p->set_channel(view.channel);
  p->set_queue_id(view.queue);
  p->set_agent_id(view.agent);
  p->set_status(view.status);
  if (view.task.has_value()) p->set_task_id(view.task->value());
  p->set_missed(view.missed);
}

}  // namespace omniroute::service
