// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// accept, decline, complete, transfer, task, routing: the work side of
// RoutingService.

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "cli/command.h"
#include "cli/routing_format.h"
#include "cli/values.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;

// accept, decline and complete: a task, an agent, and the task as it
// stands afterwards.
template <typename Request, typename Method>
absl::Status RunTaskAnswer(CommandContext& c, Method method) {
  Request request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<task>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_task_id(*id);
  request.set_agent_id(c.Arg(1));
  if constexpr (std::is_same_v<Request, v1::OfferAnswerRequest>) {
    request.set_reason(c.args.Value("reason").value_or(""));
  }
  v1::Task response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return (c.client.routing().*method)(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatTaskLine(response); });
}

absl::Status RunAccept(CommandContext& c) {
  return RunTaskAnswer<v1::OfferAnswerRequest>(c, &v1::RoutingService::Stub::AcceptOffer);
}
absl::Status RunDecline(CommandContext& c) {
  return RunTaskAnswer<v1::OfferAnswerRequest>(c, &v1::RoutingService::Stub::DeclineOffer);
}
absl::Status RunComplete(CommandContext& c) {
  return RunTaskAnswer<v1::CompleteTaskRequest>(c, &v1::RoutingService::Stub::CompleteTask);
}

absl::Status RunTransfer(CommandContext& c) {
  v1::TransferTaskRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<task>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_task_id(*id);
  std::optional<std::string> queue = c.args.Value("queue");
  std::optional<std::string> agent = c.args.Value("agent");
  if (queue.has_value() == agent.has_value()) {
    return absl::InvalidArgumentError("--queue or --agent: give exactly one transfer target");
  }
  if (queue.has_value()) request.set_queue_id(*queue);
  if (agent.has_value()) request.set_agent_id(*agent);
  *request.mutable_actor() = ActorFrom(c.args, "by");
  v1::Task response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().TransferTask(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatTaskLine(response); });
}

absl::Status RunTask(CommandContext& c) {
  v1::GetTaskRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<task>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_task_id(*id);
  v1::Task response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetTask(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatTask(response); });
}

absl::Status RunRouting(CommandContext& c) {
  v1::GetConversationRoutingRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  v1::ConversationRouting response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.routing().GetConversationRouting(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatConversationRouting(response); });
}

}  // namespace

void AddTaskCommands(std::vector<Command>* table) {
  table->push_back({
      .name = "accept",
      .usage = "<task> <agent>",
      .summary = "accept an offer",
      .arguments = {"<task>", "<agent>"},
      .run = RunAccept,
  });
  table->push_back({
      .name = "decline",
      .usage = "<task> <agent> [--reason=TEXT]",
      .summary = "decline an offer; the task is routed to someone else",
      .options = {{"reason"}},
      .arguments = {"<task>", "<agent>"},
      .run = RunDecline,
  });
  table->push_back({
      .name = "complete",
      .usage = "<task> <agent>",
      .summary = "the agent finished the task (wrap-up follows)",
      .arguments = {"<task>", "<agent>"},
      .run = RunComplete,
  });
  table->push_back({
      .name = "transfer",
      .usage = "<task> --queue=QUEUE | --agent=AGENT [--by=AGENT]",
      .summary = "move the work to a queue or a named agent; prints the new task",
      .details = R"(  --queue=QUEUE   transfer to this queue
  --agent=AGENT   transfer to this agent
  --by=AGENT      the agent who transferred it (default: the system)
)",
      .options = {{"queue"}, {"agent"}, {"by"}},
      .arguments = {"<task>"},
      .run = RunTransfer,
  });
  table->push_back({
      .name = "task",
      .usage = "<task>",
      .summary = "a task: where it stands, its offer, its agent",
      .arguments = {"<task>"},
      .run = RunTask,
  });
  table->push_back({
      .name = "routing",
      .usage = "<conversation>",
      .summary = "a conversation's routing: owner, tasks, handoffs, transfers",
      .arguments = {"<conversation>"},
      .run = RunRouting,
  });
}

}  // namespace omniroute::cli
