// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/interval_report.h"

#include <utility>

#include "core/proto_convert.h"
#include "routing/activity.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;

int64_t IntervalIndex(absl::Time t) {
  absl::Duration rem;
  int64_t index = absl::IDivDuration(t - absl::UnixEpoch(), kReportInterval, &rem);
  if (rem < absl::ZeroDuration()) --index;
  return index;
}

}  // namespace

absl::Time IntervalStart(absl::Time t) {
  return absl::UnixEpoch() + kReportInterval * IntervalIndex(t);
}

absl::Time IntervalEnd(absl::Time t) {
  const absl::Time start = IntervalStart(t);
  return start == t ? t : start + kReportInterval;
}

IntervalReportBuilder::IntervalReportBuilder(absl::Time from, absl::Time to)
    : from_(from), to_(to) {}

IntervalFigures* IntervalReportBuilder::Row(const Task& task, absl::Time at) {
  if (at < from_ || at >= to_ || task.queue.empty()) return nullptr;
  RowKey key{IntervalIndex(at), task.queue, static_cast<int>(task.channel)};
  auto [it, inserted] = rows_.try_emplace(key);
  if (inserted) {
    it->second.start = IntervalStart(at);
    it->second.queue = task.queue;
    it->second.channel = task.channel;
  }
  return &it->second;
}

void IntervalReportBuilder::Handled(uint64_t id, absl::Time at) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  const Task& task = it->second;
  if (IntervalFigures* row = Row(task, at)) {
    ++row->handled;
    if (task.assigned_at != absl::InfinitePast()) {
      AddNanos(
          &handle_nanos_[RowKey{IntervalIndex(at), task.queue, static_cast<int>(task.channel)}],
          at - task.assigned_at);
    }
  }
  tasks_.erase(it);
}

void IntervalReportBuilder::Add(const v1::Event& event) {
  ++events_;
  const absl::Time at = core::FromProto(event.time());
  switch (event.payload_case()) {
    case v1::Event::kTaskCreated: {
      const auto& e = event.task_created();
      Task& task = tasks_[e.task_id()];
      task.queue = e.queue_id();
      task.channel = e.channel();
      task.conversation = e.conversation_id();
      task.entered = at;
      if (e.has_first_response_due())
        task.first_response_due = core::FromProto(e.first_response_due());
      if (IntervalFigures* row = Row(task, at)) ++row->offered;
      break;
    }
    case v1::Event::kTaskExpanded: {
      const auto& e = event.task_expanded();
      auto it = tasks_.find(e.task_id());
      if (it == tasks_.end() || e.queue_id().empty() || e.queue_id() == it->second.queue) break;
      // An overflow: the task enters another queue.
      it->second.queue = e.queue_id();
      it->second.entered = at;
      if (IntervalFigures* row = Row(it->second, at)) ++row->offered;
      break;
    }
    case v1::Event::kTaskAssigned: {
      const auto& e = event.task_assigned();
      auto it = tasks_.find(e.task_id());
      if (it == tasks_.end()) break;
      Task& task = it->second;
      task.assigned_at = at;
      auto last = last_agent_.find(task.conversation);
      const bool repeat = last != last_agent_.end();
      const bool same = repeat && last->second == e.agent_id();
      if (IntervalFigures* row = Row(task, at)) {
        ++row->answered;
        if (at <= task.first_response_due) ++row->answered_within_target;
        if (repeat) ++row->repeat_answers;
        if (same) ++row->same_agent_answers;
        auto& [nanos, count] =
            waits_[RowKey{IntervalIndex(at), task.queue, static_cast<int>(task.channel)}];
        AddNanos(&nanos, at - task.entered);
        ++count;
      }
      last_agent_[task.conversation] = e.agent_id();
      break;
    }
    case v1::Event::kTaskCancelled: {
      const auto& e = event.task_cancelled();
      auto it = tasks_.find(e.task_id());
      if (it == tasks_.end()) break;
      if (IntervalFigures* row = Row(it->second, at)) {
        if (e.reason() == v1::CANCEL_REASON_ABANDONED) ++row->abandoned;
        if (e.reason() == v1::CANCEL_REASON_TRANSFERRED) ++row->transferred;
        if (e.reason() == v1::CANCEL_REASON_HANDED_OFF) ++row->handed_off;
      }
      tasks_.erase(it);
      break;
    }
    case v1::Event::kTaskEnded: {
      const auto& e = event.task_ended();
      auto it = tasks_.find(e.task_id());
      if (it == tasks_.end()) break;
      if (IntervalFigures* row = Row(it->second, at)) {
        if (e.end() == v1::TASK_END_TRANSFERRED) ++row->transferred;
        if (e.end() == v1::TASK_END_HANDED_OFF) ++row->handed_off;
      }
      const bool wraps_up = e.has_wrap_up_until() && core::FromProto(e.wrap_up_until()) > at;
      if (!wraps_up) Handled(e.task_id(), at);
      break;
    }
    case v1::Event::kTaskFirstResponseMet: {
      // The conversation was answered while the task waited: no target
      // left to miss, as in the routing state.
      auto it = tasks_.find(event.task_first_response_met().task_id());
      if (it != tasks_.end()) it->second.first_response_due = absl::InfiniteFuture();
      break;
    }
    case v1::Event::kWrapUpEnded:
      Handled(event.wrap_up_ended().task_id(), at);
      break;
    case v1::Event::kConversationsMerged: {
      // The merged conversation's answers continue in the target's.
      const auto& e = event.conversations_merged();
      auto source = last_agent_.find(e.source_conversation_id());
      if (source != last_agent_.end() && !last_agent_.contains(e.target_conversation_id())) {
        last_agent_[e.target_conversation_id()] = source->second;
      }
      break;
    }
    default:
      break;
  }
}

IntervalReport IntervalReportBuilder::Finish() && {
  IntervalReport report;
  report.from = from_;
  report.to = to_;
  report.events_read = events_;
  report.rows.reserve(rows_.size());
  for (auto& [key, row] : rows_) {
    if (auto it = waits_.find(key); it != waits_.end() && it->second.second > 0) {
      row.average_speed_of_answer = absl::Nanoseconds(it->second.first / it->second.second);
    }
    if (row.answered + row.abandoned > 0) {
      row.service_level = static_cast<double>(row.answered_within_target) /
                          static_cast<double>(row.answered + row.abandoned);
    }
    if (auto it = handle_nanos_.find(key); it != handle_nanos_.end() && row.handled > 0) {
      row.average_handle_time = absl::Nanoseconds(it->second / row.handled);
    }
    if (row.repeat_answers > 0) {
      row.same_agent_rate =
          static_cast<double>(row.same_agent_answers) / static_cast<double>(row.repeat_answers);
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

}  // namespace omniroute::routing
