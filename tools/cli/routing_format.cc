// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/routing_format.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/enum_names.h"
#include "cli/text_block.h"
#include "cli/time_text.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;

template <typename Ids>
std::string IdList(const Ids& ids) {
  return absl::StrJoin(ids, " ");
}

std::string Channels(const google::protobuf::RepeatedField<int>& channels) {
  std::vector<std::string> names;
  for (int channel : channels) names.push_back(ShortName(static_cast<v1::Channel>(channel)));
  return absl::StrJoin(names, ",");
}

std::string Skills(const google::protobuf::RepeatedPtrField<v1::SkillLevel>& skills) {
  std::vector<std::string> parts;
  for (const v1::SkillLevel& s : skills) parts.push_back(absl::StrCat(s.skill(), ":", s.level()));
  return absl::StrJoin(parts, " ");
}

// An interval's start as the table shows it: "2026-12-07 09:15" (UTC).
std::string IntervalStart(const google::protobuf::Timestamp& start) {
  if (start.seconds() == 0 && start.nanos() == 0) return "-";
  const absl::Time time = absl::FromUnixSeconds(start.seconds()) + absl::Nanoseconds(start.nanos());
  return absl::FormatTime("%Y-%m-%d %H:%M", time, absl::UTCTimeZone());
}

// Fixed-point text without trailing zeros: "42.6", "250", "0.25".
std::string TrimmedDecimal(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

// A duration in seconds, rounded to the millisecond: "42.6", "250", "0.25".
std::string CsvSeconds(const google::protobuf::Duration& d) {
  // Seconds and nanos share their sign; rounded half away from zero.
  const int64_t nanos = d.nanos();
  int64_t millis = d.seconds() * 1000 + (nanos + (nanos < 0 ? -500000 : 500000)) / 1000000;
  const bool negative = millis < 0;
  if (negative) millis = -millis;
  return TrimmedDecimal(
      absl::StrFormat("%s%d.%03d", negative ? "-" : "", millis / 1000, millis % 1000));
}

// A fraction to six decimals at most: "0.625", "0.666667", "1".
std::string CsvFraction(double fraction) {
  return TrimmedDecimal(absl::StrFormat("%.6f", fraction));
}

}  // namespace

std::string TaskState(const v1::Task& task) {
  switch (task.status()) {
    case v1::TASK_STATUS_WAITING:
      if (task.has_preferred_until() && !task.preferred_agent_id().empty()) {
        return absl::StrCat("WAITING for ", task.preferred_agent_id(), " until ",
                            FormatTimestamp(task.preferred_until()));
      }
      return task.queue_id().empty() ? "WAITING unrouted (no queue matched)"
                                     : absl::StrCat("WAITING in ", task.queue_id());
    case v1::TASK_STATUS_OFFERED:
      return absl::StrCat("OFFERED to ", task.offer().agent_id(), " until ",
                          FormatTimestamp(task.offer().expires_at()));
    case v1::TASK_STATUS_ASSIGNED:
      return absl::StrCat("ASSIGNED to ", task.agent_id());
    case v1::TASK_STATUS_COMPLETED:
      return absl::StrCat("COMPLETED", task.agent_id().empty() ? "" : " by ", task.agent_id(),
                          task.end() == v1::TASK_END_UNSPECIFIED
                              ? ""
                              : absl::StrCat(" (", ShortName(task.end()), ")"));
    case v1::TASK_STATUS_CANCELLED:
      return absl::StrCat("CANCELLED",
                          task.cancel_reason() == v1::CANCEL_REASON_UNSPECIFIED
                              ? ""
                              : absl::StrCat(" (", ShortName(task.cancel_reason()), ")"));
    default:
      return ShortName(task.status());
  }
}

std::string FormatTaskLine(const v1::Task& task) {
  std::vector<std::string> parts = {
      absl::StrCat("task ", task.task_id()),
      absl::StrCat("conversation ", task.conversation_id()),
      ShortName(task.channel()),
      ShortName(task.reason()),
      TaskState(task),
  };
  // TaskState() names the queue of a task waiting in it, not of one held
  // for its preferred agent.
  const bool held = task.has_preferred_until() && !task.preferred_agent_id().empty();
  if (!task.queue_id().empty() && (task.status() != v1::TASK_STATUS_WAITING || held)) {
    parts.push_back(absl::StrCat("queue ", task.queue_id()));
  }
  parts.push_back(absl::StrCat("priority ", task.priority_points()));
  if (task.has_wait_estimate()) parts.push_back(FormatWaitEstimate(task.wait_estimate()));
  return absl::StrJoin(parts, "  ");
}

std::string FormatTask(const v1::Task& task) {
  KeyValueBlock block;
  block.Add("task", absl::StrCat(task.task_id()));
  block.Add("conversation", absl::StrCat(task.conversation_id()));
  block.Add("state", TaskState(task));
  if (task.has_wait_estimate()) {
    block.Add("wait estimate", FormatWaitEstimate(task.wait_estimate()));
  }
  block.Add("channel", ShortName(task.channel()));
  block.Add("reason", ShortName(task.reason()));
  block.Add("queue", task.queue_id());
  block.Add("priority", absl::StrCat(task.priority_points()));
  block.Add("created", FormatTimestamp(task.created_at()));
  block.Add("first response due", FormatTimestamp(task.first_response_due()));
  block.AddIfSet("preferred agent", task.preferred_agent_id());
  if (task.has_preferred_until()) {
    block.Add("preferred until", FormatTimestamp(task.preferred_until()));
  }
  if (task.has_offer()) {
    block.Add("offer", absl::StrCat(task.offer().agent_id(), " at ",
                                    FormatTimestamp(task.offer().offered_at()), ", expires ",
                                    FormatTimestamp(task.offer().expires_at())));
  }
  block.AddIfSet("agent", task.agent_id());
  block.AddIfSet("excluded agents", absl::StrJoin(task.excluded_agent_ids(), " "));
  if (task.expansion_step() != 0) block.Add("expansion step", absl::StrCat(task.expansion_step()));
  if (task.commitment_id() != 0) block.Add("commitment", absl::StrCat(task.commitment_id()));
  if (task.previous_task_id() != 0) {
    block.Add("previous task", absl::StrCat(task.previous_task_id()));
  }
  return block.Render();
}

std::string FormatAgent(const v1::Agent& agent) {
  const v1::AgentConfig& config = agent.config();
  KeyValueBlock block;
  block.Add("agent", config.agent_id());
  block.AddIfSet("name", config.display_name());
  block.Add("presence", ShortName(agent.presence()));
  block.Add("channels", Channels(config.channels()));
  block.AddIfSet("exclusive", Channels(config.exclusive_channels()));
  block.Add("skills", Skills(config.skills()));
  block.Add("load", absl::StrCat(agent.load(), " of ", config.capacity(), " units"));
  std::vector<std::string> costs;
  for (const v1::ChannelCost& cost : config.channel_costs()) {
    costs.push_back(absl::StrCat(ShortName(cost.channel()), ":", cost.units()));
  }
  block.AddIfSet("channel costs", absl::StrJoin(costs, " "));
  if (config.has_wrap_up()) block.Add("wrap-up", FormatDuration(config.wrap_up()));
  block.Add("offered tasks", IdList(agent.offered_task_ids()));
  block.Add("assigned tasks", IdList(agent.assigned_task_ids()));
  block.AddIfSet("wrapping up", IdList(agent.wrapping_up_task_ids()));
  if (agent.consecutive_expiries() != 0) {
    block.Add("expired in a row", absl::StrCat(agent.consecutive_expiries()));
  }
  block.Add("last task ended", FormatTimestamp(agent.last_assignment_end()));
  return block.Render();
}

std::string FormatQueueStats(const v1::QueueStats& s) {
  KeyValueBlock block;
  block.Add("queue", s.queue_id());
  block.Add("waiting", absl::StrCat(s.waiting()));
  block.Add("offered", absl::StrCat(s.offered()));
  block.Add("assigned", absl::StrCat(s.assigned()));
  block.Add("oldest waiting since", FormatTimestamp(s.oldest_waiting_since()));
  block.Add("entered", absl::StrCat(s.entered()));
  block.Add("assigned in total", absl::StrCat(s.assigned_total()));
  block.Add("assigned within target", absl::StrCat(s.assigned_within_target()));
  block.Add("cancelled in total", absl::StrCat(s.cancelled_total()));
  return block.Render();
}

std::string FormatWaitEstimate(const v1::WaitEstimate& estimate) {
  if (estimate.position() <= 0) return "not in line";
  return absl::StrCat("position ", estimate.position(), ", ",
                      estimate.has_wait()
                          ? absl::StrCat("about ", FormatMeasuredDuration(estimate.wait()))
                          : "wait unknown");
}

std::string FormatPercent(double fraction) { return absl::StrFormat("%.1f%%", fraction * 100); }

std::string FormatQueueStatistics(const v1::GetQueueStatisticsResponse& response) {
  if (response.queues().empty()) return "(no queues)\n";
  // Unset durations are "-": nothing to average, or no task waiting.
  const auto measured = [](bool set, const google::protobuf::Duration& d) {
    return set ? FormatMeasuredDuration(d) : std::string("-");
  };
  Columns columns;
  columns.AddRow({"QUEUE", "WAITING", "LONGEST", "AVAIL", "BUSY", "WRAP-UP", "AWAY", "OFFERED",
                  "ANSWERED", "ABANDONED", "SL", "ASA", "AHT", "NEW TASK WAIT"});
  for (const v1::QueueStatistics& q : response.queues()) {
    const v1::WindowFigures& w = q.last_15_minutes();
    std::vector<std::string> waits;
    for (const v1::ChannelStatistics& c : q.channels()) {
      const v1::WaitEstimate& e = c.new_task_wait();
      waits.push_back(absl::StrCat(ShortName(c.channel()), " ",
                                   e.has_wait() ? FormatMeasuredDuration(e.wait()) : "unknown"));
    }
    columns.AddRow({
        q.queue_id(),
        absl::StrCat(q.waiting()),
        measured(q.has_longest_wait(), q.longest_wait()),
        absl::StrCat(q.agents_available()),
        absl::StrCat(q.agents_busy()),
        absl::StrCat(q.agents_wrapping_up()),
        absl::StrCat(q.agents_away()),
        absl::StrCat(w.offered()),
        absl::StrCat(w.answered()),
        absl::StrCat(w.abandoned()),
        w.has_service_level() ? FormatPercent(w.service_level()) : "-",
        measured(w.has_average_speed_of_answer(), w.average_speed_of_answer()),
        measured(w.has_average_handle_time(), w.average_handle_time()),
        waits.empty() ? "-" : absl::StrJoin(waits, ", "),
    });
  }
  return absl::StrCat("at ", FormatTimestamp(response.at()),
                      "; OFFERED to AHT over the last 15 minutes\n", columns.Render());
}

std::string FormatAgentStatistics(const v1::AgentStatistics& s) {
  KeyValueBlock block;
  block.Add("agent", s.agent_id());
  block.Add("presence", ShortName(s.presence()));
  block.Add("at", FormatTimestamp(s.at()));
  block.Add("window", absl::StrCat("the last ", FormatDuration(s.window())));
  block.Add("staffed", FormatMeasuredDuration(s.staffed()));
  block.Add("busy", FormatMeasuredDuration(s.busy()));
  block.Add("occupancy", s.has_occupancy() ? FormatPercent(s.occupancy()) : "-");
  block.Add("handled", absl::StrCat(s.handled()));
  block.Add("average handle time",
            s.has_average_handle_time() ? FormatMeasuredDuration(s.average_handle_time()) : "-");
  return block.Render();
}

std::string FormatIntervalReport(const v1::IntervalReport& report) {
  std::string out =
      absl::StrCat("from ", FormatTimestamp(report.from()), " to ", FormatTimestamp(report.to()),
                   "; ", report.events_read(), " events read\n");
  if (report.rows().empty()) return absl::StrCat(out, "(no activity)\n");
  const auto measured = [](bool set, const google::protobuf::Duration& d) {
    return set ? FormatMeasuredDuration(d) : std::string("-");
  };
  Columns columns;
  columns.AddRow({"START", "QUEUE", "CHANNEL", "OFFERED", "ANSWERED", "ABANDONED", "SL", "ASA",
                  "AHT", "TRANSFERRED", "HANDED OFF", "SAME AGENT"});
  for (const v1::IntervalFigures& row : report.rows()) {
    columns.AddRow({
        IntervalStart(row.start()),
        row.queue_id(),
        ShortName(row.channel()),
        absl::StrCat(row.offered()),
        absl::StrCat(row.answered()),
        absl::StrCat(row.abandoned()),
        row.has_service_level() ? FormatPercent(row.service_level()) : "-",
        measured(row.has_average_speed_of_answer(), row.average_speed_of_answer()),
        measured(row.has_average_handle_time(), row.average_handle_time()),
        absl::StrCat(row.transferred()),
        absl::StrCat(row.handed_off()),
        row.has_same_agent_rate() ? FormatPercent(row.same_agent_rate()) : "-",
    });
  }
  return absl::StrCat(out, columns.Render());
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string FormatIntervalReportCsv(const v1::IntervalReport& report) {
  constexpr absl::string_view kEol = "\r\n";
  std::string out = absl::StrCat(
      "start,queue_id,channel,offered,answered,answered_within_target,abandoned,handled,"
      "transferred,handed_off,repeat_answers,same_agent_answers,"
      "average_speed_of_answer_seconds,service_level,average_handle_time_seconds,"
      "same_agent_rate",
      kEol);
  for (const v1::IntervalFigures& row : report.rows()) {
    const std::vector<std::string> fields = {
        row.has_start() ? FormatTimestamp(row.start()) : "",
        row.queue_id(),
        ShortName(row.channel()),
        absl::StrCat(row.offered()),
        absl::StrCat(row.answered()),
        absl::StrCat(row.answered_within_target()),
        absl::StrCat(row.abandoned()),
        absl::StrCat(row.handled()),
        absl::StrCat(row.transferred()),
        absl::StrCat(row.handed_off()),
        absl::StrCat(row.repeat_answers()),
        absl::StrCat(row.same_agent_answers()),
        row.has_average_speed_of_answer() ? CsvSeconds(row.average_speed_of_answer()) : "",
        row.has_service_level() ? CsvFraction(row.service_level()) : "",
        row.has_average_handle_time() ? CsvSeconds(row.average_handle_time()) : "",
        row.has_same_agent_rate() ? CsvFraction(row.same_agent_rate()) : "",
    };
    std::vector<std::string> quoted;
    quoted.reserve(fields.size());
    for (const std::string& field : fields) quoted.push_back(CsvField(field));
    absl::StrAppend(&out, absl::StrJoin(quoted, ","), kEol);
  }
  return out;
}

std::string FormatConversationRouting(const v1::ConversationRouting& r) {
  KeyValueBlock block;
  block.Add("conversation", absl::StrCat(r.conversation_id()));
  block.Add("owner", r.owner_agent_id());
  block.Add("handoffs", absl::StrCat(r.handoffs()));
  block.Add("transfers", absl::StrCat(r.transfers()));
  block.Add("agents", absl::StrCat(r.agents()));
  block.Add("same agent throughout", r.same_agent_throughout() ? "yes" : "no");
  std::string out = block.Render();
  for (const v1::Task& task : r.tasks()) absl::StrAppend(&out, FormatTaskLine(task), "\n");
  return out;
}

std::string FormatRoutingSettings(const v1::RoutingSettings& s) {
  KeyValueBlock block;
  block.Add("default queue", s.default_queue_id().empty() ? "none" : s.default_queue_id());
  block.Add("tier points", absl::StrCat(s.tier_points()));
  block.Add("reach points per decade", absl::StrCat(s.reach_points_per_decade()));
  block.Add("max public boost", absl::StrCat(s.max_public_boost()));
  block.Add("SLA breach points", absl::StrCat(s.sla_breach_points()));
  block.Add("missed commitment points", absl::StrCat(s.missed_commitment_points()));
  block.Add("aging per point", FormatDuration(s.aging_per_point()));
  block.Add("offer timeout", FormatDuration(s.default_offer_timeout()));
  block.Add("expiries before AWAY", absl::StrCat(s.max_consecutive_expiries()));
  block.Add("preferred agent wait", FormatDuration(s.default_preferred_agent_wait()));
  for (const v1::PreferredAgentWait& wait : s.preferred_agent_waits()) {
    block.Add(absl::StrCat("  on ", ShortName(wait.channel())), FormatDuration(wait.wait()));
  }
  std::string out = block.Render();
  for (const v1::RoutingRule& rule : s.rules()) {
    std::vector<std::string> parts = {
        absl::StrCat("rule ", rule.name().empty() ? "-" : rule.name())};
    if (!rule.channels().empty()) parts.push_back(Channels(rule.channels()));
    if (!rule.language().empty()) parts.push_back(absl::StrCat("language ", rule.language()));
    for (const std::string& tag : rule.tags()) parts.push_back(absl::StrCat("tag ", tag));
    if (rule.min_tier() != 0) parts.push_back(absl::StrCat("tier >= ", rule.min_tier()));
    if (rule.visibility() != v1::VISIBILITY_UNSPECIFIED) {
      parts.push_back(ShortName(rule.visibility()));
    }
    parts.push_back(absl::StrCat("-> queue ", rule.queue_id()));
    absl::StrAppend(&out, absl::StrJoin(parts, "  "), "\n");
  }
  return out;
}

std::string FormatOfferUpdateLine(const v1::OfferUpdate& update) {
  return absl::StrCat("#", update.sequence(), " ", ShortName(update.kind()), "  ",
                      FormatTaskLine(update.task()));
}

std::string FormatCommitmentLine(const v1::Commitment& c) {
  std::vector<std::string> parts = {
      absl::StrCat("commitment ", c.commitment_id()),
      absl::StrCat("conversation ", c.conversation_id()),
      ShortName(c.kind()),
      absl::StrCat(ShortName(c.status()),
                   c.missed() && c.status() != v1::COMMITMENT_STATUS_MISSED ? " (missed)" : ""),
      absl::StrCat("due ", FormatTimestamp(c.due_at())),
      absl::StrCat("deadline ", FormatTimestamp(c.deadline())),
      ShortName(c.channel()),
  };
  if (!c.agent_id().empty()) parts.push_back(absl::StrCat("agent ", c.agent_id()));
  if (!c.queue_id().empty()) parts.push_back(absl::StrCat("queue ", c.queue_id()));
  if (c.task_id() != 0) parts.push_back(absl::StrCat("task ", c.task_id()));
  parts.push_back(Quoted(c.description(), 80));
  return absl::StrJoin(parts, "  ");
}

std::string FormatCommitmentList(const v1::ListCommitmentsResponse& list) {
  if (list.commitments().empty()) return "(no commitments)\n";
  std::string out;
  for (const v1::Commitment& c : list.commitments()) {
    absl::StrAppend(&out, FormatCommitmentLine(c), "\n");
  }
  return out;
}

}  // namespace omniroute::cli
