// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// agent-upsert, agent, agent-statistics, presence, queue-upsert, stats,
// statistics, report, routing-settings, run-timers: the configuration and
// figures side of RoutingService (its tasks are in commands_tasks.cc, its
// StreamOffers in commands_streams.cc).

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/enum_names.h"
#include "cli/routing_format.h"
#include "cli/time_text.h"
#include "cli/values.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;
using Kind = OptionSpec::Kind;

// Capacity units and priority points: far beyond any real setting.
constexpr int64_t kMaxUnits = 1000;
constexpr int64_t kMaxPriority = 1000000;

absl::Status AddSkills(const ParsedArgs& args,
                       google::protobuf::RepeatedPtrField<v1::SkillLevel>* skills) {
  for (const std::string& text : args.Values("skill")) {
    absl::StatusOr<v1::SkillLevel> skill = ParseSkill("--skill", text);
    if (!skill.ok()) return skill.status();
    *skills->Add() = *std::move(skill);
  }
  return absl::OkStatus();
}

absl::Status AddChannels(const ParsedArgs& args, absl::string_view option, bool required,
                         google::protobuf::RepeatedField<int>* out) {
  std::optional<std::string> text = args.Value(option);
  if (!text.has_value()) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("--", option, ": required (e.g. --", option, "=EMAIL,VOICE)"));
  }
  absl::StatusOr<std::vector<v1::Channel>> channels =
      ParseChannelList(absl::StrCat("--", option), *text);
  if (!channels.ok()) return channels.status();
  for (v1::Channel channel : *channels) out->Add(channel);
  return absl::OkStatus();
}

absl::Status SetDuration(const ParsedArgs& args, absl::string_view option,
                         google::protobuf::Duration* out) {
  std::optional<std::string> text = args.Value(option);
  if (!text.has_value()) return absl::OkStatus();
  absl::StatusOr<absl::Duration> d = ParseDurationArg(absl::StrCat("--", option), *text);
  if (!d.ok()) return d.status();
  ToProto(*d, out);
  return absl::OkStatus();
}

absl::Status RunAgentUpsert(CommandContext& c) {
  v1::UpsertAgentRequest request;
  request.set_tenant_id(c.options.tenant);
  v1::AgentConfig& agent = *request.mutable_agent();
  agent.set_agent_id(c.Arg(0));
  agent.set_display_name(c.args.Value("name").value_or(""));
  if (absl::Status s = AddChannels(c.args, "channels", true, agent.mutable_channels()); !s.ok()) {
    return s;
  }
  if (c.args.Value("exclusive") == "none") {
    // The API reads an empty list as "voice"; UNSPECIFIED alone means none.
    agent.add_exclusive_channels(v1::CHANNEL_UNSPECIFIED);
  } else if (absl::Status s =
                 AddChannels(c.args, "exclusive", false, agent.mutable_exclusive_channels());
             !s.ok()) {
    return s;
  }
  if (absl::Status s = AddSkills(c.args, agent.mutable_skills()); !s.ok()) return s;
  if (std::optional<std::string> text = c.args.Value("capacity"); text.has_value()) {
    absl::StatusOr<int64_t> capacity = ParseInteger("--capacity", *text, 1, kMaxUnits);
    if (!capacity.ok()) return capacity.status();
    agent.set_capacity(static_cast<int32_t>(*capacity));
  }
  for (const std::string& text : c.args.Values("cost")) {
    absl::StatusOr<v1::ChannelCost> cost = ParseChannelCost("--cost", text);
    if (!cost.ok()) return cost.status();
    *agent.add_channel_costs() = *std::move(cost);
  }
  if (absl::Status s = SetDuration(c.args, "wrap-up", agent.mutable_wrap_up()); !s.ok()) return s;
  v1::UpsertAgentResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().UpsertAgent(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response,
                         [&] { return absl::StrCat("agent ", agent.agent_id(), " configured"); });
}

absl::Status RunAgent(CommandContext& c) {
  v1::GetAgentRequest request;
  request.set_tenant_id(c.options.tenant);
  request.set_agent_id(c.Arg(0));
  v1::Agent response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetAgent(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatAgent(response); });
}

absl::Status RunPresence(CommandContext& c) {
  v1::SetAgentPresenceRequest request;
  request.set_tenant_id(c.options.tenant);
  request.set_agent_id(c.Arg(0));
  absl::StatusOr<v1::AgentPresence> presence = ParseEnum<v1::AgentPresence>("<PRESENCE>", c.Arg(1));
  if (!presence.ok()) return presence.status();
  request.set_presence(*presence);
  v1::SetAgentPresenceResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().SetAgentPresence(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    return absl::StrCat("agent ", request.agent_id(), ": ", ShortName(*presence));
  });
}

absl::Status RunQueueUpsert(CommandContext& c) {
  v1::UpsertQueueRequest request;
  request.set_tenant_id(c.options.tenant);
  v1::QueueConfig& queue = *request.mutable_queue();
  queue.set_queue_id(c.Arg(0));
  queue.set_display_name(c.args.Value("name").value_or(""));
  if (absl::Status s = AddChannels(c.args, "channels", true, queue.mutable_channels()); !s.ok()) {
    return s;
  }
  if (absl::Status s = AddSkills(c.args, queue.mutable_required_skills()); !s.ok()) return s;
  if (std::optional<std::string> text = c.args.Value("priority"); text.has_value()) {
    absl::StatusOr<int64_t> priority =
        ParseInteger("--priority", *text, -kMaxPriority, kMaxPriority);
    if (!priority.ok()) return priority.status();
    queue.set_base_priority(static_cast<int32_t>(*priority));
  }
  if (absl::Status s = SetDuration(c.args, "target", queue.mutable_first_response_target());
      !s.ok()) {
    return s;
  }
  if (std::optional<std::string> text = c.args.Value("strategy"); text.has_value()) {
    absl::StatusOr<v1::SelectionStrategy> strategy =
        ParseEnum<v1::SelectionStrategy>("--strategy", *text);
    if (!strategy.ok()) return strategy.status();
    queue.set_strategy(*strategy);
  }
  queue.set_auto_accept(c.args.Has("auto-accept"));
  if (absl::Status s = SetDuration(c.args, "offer-timeout", queue.mutable_offer_timeout());
      !s.ok()) {
    return s;
  }
  for (const std::string& text : c.args.Values("relax")) {
    absl::StatusOr<v1::ExpansionStep> step = ParseExpansionStep("--relax", text, true);
    if (!step.ok()) return step.status();
    *queue.add_expansion_steps() = *std::move(step);
  }
  for (const std::string& text : c.args.Values("overflow")) {
    absl::StatusOr<v1::ExpansionStep> step = ParseExpansionStep("--overflow", text, false);
    if (!step.ok()) return step.status();
    *queue.add_expansion_steps() = *std::move(step);
  }
  // The API wants the steps in increasing wait order; the two options
  // interleave them.
  auto* steps = queue.mutable_expansion_steps();
  std::stable_sort(steps->begin(), steps->end(),
                   [](const v1::ExpansionStep& a, const v1::ExpansionStep& b) {
                     return std::make_pair(a.after().seconds(), a.after().nanos()) <
                            std::make_pair(b.after().seconds(), b.after().nanos());
                   });
  v1::UpsertQueueResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().UpsertQueue(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response,
                         [&] { return absl::StrCat("queue ", queue.queue_id(), " configured"); });
}

absl::Status RunStats(CommandContext& c) {
  v1::GetQueueRequest request;
  request.set_tenant_id(c.options.tenant);
  request.set_queue_id(c.Arg(0));
  v1::QueueStats response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetQueueStats(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatQueueStats(response); });
}

// Every positional argument is a queue; none: every queue.
absl::Status RunStatistics(CommandContext& c) {
  v1::GetQueueStatisticsRequest request;
  request.set_tenant_id(c.options.tenant);
  for (const std::string& queue : c.args.positional()) request.add_queue_ids(queue);
  v1::GetQueueStatisticsResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetQueueStatistics(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatQueueStatistics(response); });
}

absl::Status RunAgentStatistics(CommandContext& c) {
  v1::GetAgentRequest request;
  request.set_tenant_id(c.options.tenant);
  request.set_agent_id(c.Arg(0));
  v1::AgentStatistics response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetAgentStatistics(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatAgentStatistics(response); });
}

// A time option the report requires: --from, --to.
absl::StatusOr<absl::Time> RequiredTime(const CommandContext& c, absl::string_view option) {
  std::optional<std::string> text = c.args.Value(option);
  if (!text.has_value() || text->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", option, ": required (e.g. --", option, "=2026-12-07T09:00:00Z)"));
  }
  return ParseTimeArg(absl::StrCat("--", option), *text, c.now);
}

// --from and --to are checked here for their form only: the server widens
// them to whole intervals and refuses, naming the field, a span that is
// empty, reversed or longer than 31 days.
absl::Status RunReport(CommandContext& c) {
  const bool csv = c.args.Has("csv");
  if (csv && c.options.json) {
    return absl::InvalidArgumentError("--csv: cannot be combined with --json; give one of them");
  }
  absl::StatusOr<absl::Time> from = RequiredTime(c, "from");
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::Time> to = RequiredTime(c, "to");
  if (!to.ok()) return to.status();
  v1::GetIntervalReportRequest request;
  request.set_tenant_id(c.options.tenant);
  ToProto(*from, request.mutable_from());
  ToProto(*to, request.mutable_to());
  v1::IntervalReport response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetIntervalReport(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    return csv ? FormatIntervalReportCsv(response) : FormatIntervalReport(response);
  });
}

// Reads the settings, changes what the options say, and writes them back
// whole (ConfigureRouting replaces them): without options it only prints.
absl::Status RunRoutingSettings(CommandContext& c) {
  v1::GetRoutingSettingsRequest get;
  get.set_tenant_id(c.options.tenant);
  v1::RoutingSettings settings;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetRoutingSettings(ctx, get, &settings);
      });
      !s.ok()) {
    return s;
  }
  if (std::optional<std::string> queue = c.args.Value("default-queue"); queue.has_value()) {
    settings.set_default_queue_id(*queue == "none" ? "" : *queue);
    v1::ConfigureRoutingRequest request;
    request.set_tenant_id(c.options.tenant);
    *request.mutable_settings() = settings;
    v1::ConfigureRoutingResponse response;
    if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
          return c.client.routing().ConfigureRouting(ctx, request, &response);
        });
        !s.ok()) {
      return s;
    }
  }
  return c.printer.Print(settings, [&] { return FormatRoutingSettings(settings); });
}

absl::Status RunTimers(CommandContext& c) {
  v1::RunDueTimersRequest request;
  request.set_tenant_id(c.options.tenant);
  v1::RunDueTimersResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().RunDueTimers(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return absl::StrCat(response.fired(), " timers fired"); });
}

}  // namespace

void AddRoutingCommands(std::vector<Command>* table) {
  table->push_back({
      .name = "agent-upsert",
      .usage = "<agent> --channels=EMAIL,VOICE [--capacity=N] [--skill=NAME:LEVEL]... [options]",
      .summary = "register an agent, or replace their skills, channels and capacity",
      .details = R"(  --channels=LIST      channels the agent serves
  --capacity=N         capacity units in total (default 4)
  --skill=NAME:LEVEL   a skill and its level (1 to 10); repeatable
  --name=TEXT          display name
  --exclusive=LIST     channels that take the agent's whole attention
                       (default VOICE; "none" for none)
  --cost=CHANNEL:N     capacity units a task of the channel costs; repeatable
                       (default: voice 4, chat 2, the others 1)
  --wrap-up=DURATION   time after a task before its capacity is free again
)",
      .options = {{"channels"},
                  {"capacity"},
                  {"skill", Kind::kRepeated},
                  {"name"},
                  {"exclusive"},
                  {"cost", Kind::kRepeated},
                  {"wrap-up"}},
      .arguments = {"<agent>"},
      .run = RunAgentUpsert,
  });
  table->push_back({
      .name = "agent",
      .usage = "<agent>",
      .summary = "an agent: presence, load, offered and assigned tasks",
      .arguments = {"<agent>"},
      .run = RunAgent,
  });
  table->push_back({
      .name = "agent-statistics",
      .usage = "<agent>",
      .summary = "an agent's last hour: time staffed and busy, occupancy, handled, handle time",
      .details = R"(  staffed              time signed in (not OFFLINE) in the window
  busy                 of that, time holding assigned or wrapping-up work
  occupancy            busy / staffed ("-" when not staffed in the window)
  average handle time  assignment to the end of wrap-up ("-" when none
                       was handled)
)",
      .arguments = {"<agent>"},
      .run = RunAgentStatistics,
  });
  table->push_back({
      .name = "presence",
      .usage = "<agent> <AVAILABLE|BUSY|AWAY|OFFLINE>",
      .summary = "set an agent's presence (only AVAILABLE agents are offered work)",
      .arguments = {"<agent>", "<PRESENCE>"},
      .run = RunPresence,
  });
  table->push_back({
      .name = "queue-upsert",
      .usage = "<queue> --channels=EMAIL,CHAT [--skill=NAME:LEVEL]... [options]",
      .summary = "create or replace a queue",
      .details = R"(  --channels=LIST           channels the queue takes
  --skill=NAME:LEVEL        a required skill and level (1 to 10); repeatable
  --name=TEXT               display name
  --priority=N              base priority points
  --target=DURATION         first-response target of its tasks
  --strategy=NAME           LONGEST_IDLE, MOST_SPARE_CAPACITY, ROUND_ROBIN or
                            BEST_SKILL_LEVEL
  --auto-accept             offers are accepted on the agent's behalf
  --offer-timeout=DURATION  how long an agent has to answer an offer
  --relax=WAIT:LEVELS       after WAIT, lower every required level by LEVELS;
                            repeatable
  --overflow=WAIT:QUEUE     after WAIT, move the task to QUEUE; repeatable
)",
      .options = {{"channels"},
                  {"skill", Kind::kRepeated},
                  {"name"},
                  {"priority"},
                  {"target"},
                  {"strategy"},
                  {"auto-accept", Kind::kSwitch},
                  {"offer-timeout"},
                  {"relax", Kind::kRepeated},
                  {"overflow", Kind::kRepeated}},
      .arguments = {"<queue>"},
      .run = RunQueueUpsert,
  });
  table->push_back({
      .name = "stats",
      .usage = "<queue>",
      .summary = "a queue's figures: waiting, offered, assigned, within target",
      .arguments = {"<queue>"},
      .run = RunStats,
  });
  table->push_back({
      .name = "statistics",
      .usage = "[<queue>...]",
      .summary = "every queue (or those named), one row each: now and the last 15 minutes",
      .details = R"(One row per queue, in configuration order:
  WAITING        tasks waiting now (those held for a preferred agent included)
  LONGEST        how long the oldest of them has waited ("-": none waits)
  AVAIL, BUSY,   signed-in agents who serve the queue, each counted once:
  WRAP-UP, AWAY  busy (assigned work), else wrapping up, else available,
                 else away
Over the last 15 minutes:
  OFFERED        tasks that entered the queue
  ANSWERED       tasks assigned to an agent
  ABANDONED      tasks the customer gave up on while waiting
  SL             service level: answered within target / (answered +
                 abandoned), "-" when neither
  ASA            average speed of answer ("-": nothing answered)
  AHT            average handle time, assignment to the end of wrap-up
                 ("-": nothing handled)
  NEW TASK WAIT  per channel of the queue, what a task entering it now would
                 wait ("unknown" while too few answers back the rate, or no
                 signed-in agent serves the channel)
--json prints the whole response, the last 60 minutes and each channel's
figures included.
)",
      .takes_body = true,
      .run = RunStatistics,
  });
  table->push_back({
      .name = "report",
      .usage = "--from=TIME --to=TIME [--csv]",
      .summary = "queue figures per 15-minute interval and channel over a span of up to 31 days",
      .details = R"txt(  --from=TIME  start of the span: an RFC 3339 time (2026-12-07T09:00:00Z,
               2026-12-07T10:00:00+01:00) or a duration from now (+1h)
  --to=TIME    its end, after --from and at most 31 days later
  --csv        comma-separated values (RFC 4180) instead of the table
The server widens the span to whole 15-minute intervals (quarter hours of
UTC). The first line says the span and how many events were read; then one
row per interval, queue and channel that saw activity, by start, queue and
channel ("(no activity)" when none did):
  START        the interval's start, UTC
  OFFERED      tasks that entered the queue
  ANSWERED     tasks assigned to an agent
  ABANDONED    tasks the customer gave up on while waiting
  SL           service level: answered within target / (answered +
               abandoned), "-" when neither
  ASA          average speed of answer ("-": nothing answered)
  AHT          average handle time, assignment to the end of wrap-up
               ("-": nothing handled)
  TRANSFERRED  tasks that left the queue by a transfer
  HANDED OFF   tasks that left with the customer for another channel
  SAME AGENT   of the answers of conversations answered before, the share
               by the agent of the previous answer ("-": none)
--csv writes a header line, then one line per row with every figure:
start, queue_id, channel, offered, answered, answered_within_target,
abandoned, handled, transferred, handed_off, repeat_answers,
same_agent_answers, average_speed_of_answer_seconds, service_level,
average_handle_time_seconds, same_agent_rate. Times are RFC 3339 (UTC),
durations seconds with up to 3 decimals, service_level and same_agent_rate
fractions (0.625); an unset figure is an empty field. Lines end in CRLF.
--json prints the whole response instead (not with --csv).
)txt",
      .options = {{"from"}, {"to"}, {"csv", Kind::kSwitch}},
      .run = RunReport,
  });
  table->push_back({
      .name = "routing-settings",
      .usage = "[--default-queue=QUEUE|none]",
      .summary = "the tenant's routing settings; --default-queue changes where unmatched tasks go",
      .details = R"(  --default-queue=QUEUE  where a task goes when no rule matches ("none": it
                         waits unrouted)
Rules and priorities come from the tenant's configuration file
(omniroute-server --config_dir); this command keeps them as they are.
)",
      .options = {{"default-queue"}},
      .run = RunRoutingSettings,
  });
  table->push_back({
      .name = "run-timers",
      .usage = "",
      .summary = "fire the routing timers due now (the server also runs them by itself)",
      .run = RunTimers,
  });
}

}  // namespace omniroute::cli
