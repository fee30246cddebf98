// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// commit, commitments, close-commitment: CommitmentService.

#include <string>
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

absl::Status RunCommit(CommandContext& c) {
  v1::RecordCommitmentRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  absl::StatusOr<std::string> kind_text = Required(c.args, "kind");
  if (!kind_text.ok()) return kind_text.status();
  absl::StatusOr<v1::CommitmentKind> kind = ParseEnum<v1::CommitmentKind>("--kind", *kind_text);
  if (!kind.ok()) return kind.status();
  request.set_kind(*kind);
  absl::StatusOr<std::string> due_text = Required(c.args, "due");
  if (!due_text.ok()) return due_text.status();
  absl::StatusOr<absl::Time> due = ParseTimeArg("--due", *due_text, c.now);
  if (!due.ok()) return due.status();
  ToProto(*due, request.mutable_due_at());
  if (std::optional<std::string> text = c.args.Value("deadline"); text.has_value()) {
    absl::StatusOr<absl::Time> deadline = ParseTimeArg("--deadline", *text, c.now);
    if (!deadline.ok()) return deadline.status();
    if (*deadline < *due) {
      return absl::InvalidArgumentError(
          absl::StrCat("--deadline: ", *text, " is before --due (", *due_text, ")"));
    }
    ToProto(*deadline, request.mutable_deadline());
  }
  absl::StatusOr<std::string> description = Required(c.args, "description");
  if (!description.ok()) return description.status();
  request.set_description(*description);
  if (std::optional<std::string> text = c.args.Value("channel"); text.has_value()) {
    absl::StatusOr<v1::Channel> channel = ParseEnum<v1::Channel>("--channel", *text);
    if (!channel.ok()) return channel.status();
    request.set_channel(*channel);
  }
  request.set_queue_id(c.args.Value("queue").value_or(""));
  request.set_agent_id(c.args.Value("agent").value_or(""));
  *request.mutable_actor() = ActorFrom(c.args);
  v1::Commitment response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.commitments().RecordCommitment(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatCommitmentLine(response); });
}

absl::Status RunCommitments(CommandContext& c) {
  v1::ListCommitmentsRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  v1::ListCommitmentsResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.commitments().ListCommitments(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatCommitmentList(response); });
}

absl::Status RunCloseCommitment(CommandContext& c) {
  v1::CloseCommitmentRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<commitment>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_commitment_id(*id);
  absl::StatusOr<v1::CommitmentStatus> status =
      ParseEnum<v1::CommitmentStatus>("<FULFILLED|CANCELLED>", c.Arg(1));
  if (!status.ok()) return status.status();
  if (*status != v1::COMMITMENT_STATUS_FULFILLED && *status != v1::COMMITMENT_STATUS_CANCELLED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "<FULFILLED|CANCELLED>: a commitment is closed as FULFILLED or CANCELLED, not ",
        ShortName(*status)));
  }
  request.set_status(*status);
  request.set_reason(c.args.Value("reason").value_or(""));
  *request.mutable_actor() = ActorFrom(c.args);
  v1::Commitment response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.commitments().CloseCommitment(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatCommitmentLine(response); });
}

}  // namespace

void AddCommitmentCommands(std::vector<Command>* table) {
  table->push_back({
      .name = "commit",
      .usage = "<conversation> --kind=CALLBACK|FOLLOW_UP|PICKUP --due=TIME "
               "--description=TEXT [--deadline=TIME] [options]",
      .summary = "record a promise; when due it becomes a routed task, when missed it escalates",
      .details = R"(  --kind=KIND         CALLBACK, FOLLOW_UP or PICKUP
  --due=TIME          when it is due: RFC 3339 (2024-05-02T10:00:00Z) or from
                      now (+2h, +1d)
  --deadline=TIME     missed after this (default: due + 1 hour)
  --description=TEXT  what was promised
  --channel=CHANNEL   the channel of its task (default: VOICE for a call-back,
                      the conversation's channel otherwise)
  --queue=QUEUE       the queue of its task (default: the routing rules')
  --agent=ID          who promised: the task prefers them
)",
      .options =
          {{"kind"}, {"due"}, {"deadline"}, {"description"}, {"channel"}, {"queue"}, {"agent"}},
      .arguments = {"<conversation>"},
      .run = RunCommit,
  });
  table->push_back({
      .name = "commitments",
      .usage = "<conversation>",
      .summary = "a conversation's commitments",
      .arguments = {"<conversation>"},
      .run = RunCommitments,
  });
  table->push_back({
      .name = "close-commitment",
      .usage = "<commitment> FULFILLED|CANCELLED [--reason=TEXT] [--agent=ID]",
      .summary = "close a commitment",
      .details = R"(  --reason=TEXT   why (optional)
  --agent=ID      the agent who closed it (default: the system)
)",
      .options = {{"reason"}, {"agent"}},
      .arguments = {"<commitment>", "<FULFILLED|CANCELLED>"},
      .run = RunCloseCommitment,
  });
}

}  // namespace omniroute::cli
