// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// ingest, reply, handoff, status, timeline, conversation:
// ConversationService.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/conversation_format.h"
#include "cli/enum_names.h"
#include "cli/identity_text.h"
#include "cli/paging.h"
#include "cli/routing_format.h"
#include "cli/values.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;
using Kind = OptionSpec::Kind;

// Reach is an audience size: generous, but a typo of a few more digits is
// caught.
constexpr int64_t kMaxReach = int64_t{1} << 40;

absl::StatusOr<v1::Visibility> VisibilityFrom(const ParsedArgs& args) {
  std::optional<std::string> text = args.Value("visibility");
  if (!text.has_value()) return v1::VISIBILITY_UNSPECIFIED;
  return ParseEnum<v1::Visibility>("--visibility", *text);
}

absl::Status RunIngest(CommandContext& c) {
  v1::IngestMessageRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<std::string> channel_text = Required(c.args, "channel");
  if (!channel_text.ok()) return channel_text.status();
  absl::StatusOr<v1::Channel> channel = ParseEnum<v1::Channel>("--channel", *channel_text);
  if (!channel.ok()) return channel.status();
  request.set_channel(*channel);

  absl::StatusOr<std::string> from = Required(c.args, "from");
  if (!from.ok()) return from.status();
  absl::StatusOr<v1::RawIdentity> sender = ParseIdentity("--from", *from);
  if (!sender.ok()) return sender.status();
  if (std::optional<std::string> network = c.args.Value("network"); network.has_value()) {
    if (!sender->network().empty() && sender->network() != *network) {
      return absl::InvalidArgumentError(absl::StrCat("--network: \"", *network,
                                                     "\" contradicts the network of --from (\"",
                                                     sender->network(), "\")"));
    }
    sender->set_network(*network);
  }
  if (absl::Status s = CheckIdentityNetwork("--from", *sender); !s.ok()) return s;
  *request.mutable_sender() = *std::move(sender);

  absl::StatusOr<std::string> external_id = Required(c.args, "id");
  if (!external_id.ok()) return external_id.status();
  request.set_external_id(*external_id);
  request.set_thread_key(c.args.Value("thread").value_or(""));
  for (const std::string& ref : c.args.Values("ref")) request.add_references(ref);
  for (const std::string& tag : c.args.Values("tag")) request.add_tags(tag);
  request.mutable_profile()->set_display_name(c.args.Value("name").value_or(""));
  request.mutable_profile()->set_language(c.args.Value("language").value_or(""));
  if (std::optional<std::string> reach = c.args.Value("reach"); reach.has_value()) {
    absl::StatusOr<int64_t> n = ParseInteger("--reach", *reach, 0, kMaxReach);
    if (!n.ok()) return n.status();
    request.mutable_profile()->set_reach(*n);
  }
  absl::StatusOr<v1::Visibility> visibility = VisibilityFrom(c.args);
  if (!visibility.ok()) return visibility.status();
  request.set_visibility(*visibility);
  absl::StatusOr<std::string> body = c.Body(0);
  if (!body.ok()) return body.status();
  request.set_body(*std::move(body));

  v1::IngestMessageResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.conversations().IngestMessage(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatIngest(response); });
}

absl::Status RunReply(CommandContext& c) {
  v1::RecordOutboundRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  absl::StatusOr<std::string> channel_text = Required(c.args, "channel");
  if (!channel_text.ok()) return channel_text.status();
  absl::StatusOr<v1::Channel> channel = ParseEnum<v1::Channel>("--channel", *channel_text);
  if (!channel.ok()) return channel.status();
  request.set_channel(*channel);
  absl::StatusOr<std::string> agent = Required(c.args, "agent");
  if (!agent.ok()) return agent.status();
  request.set_agent_id(*agent);
  request.set_external_id(c.args.Value("id").value_or(""));
  for (const std::string& ref : c.args.Values("ref")) request.add_references(ref);
  absl::StatusOr<v1::Visibility> visibility = VisibilityFrom(c.args);
  if (!visibility.ok()) return visibility.status();
  request.set_visibility(*visibility);
  absl::StatusOr<std::string> body = c.Body(1);
  if (!body.ok()) return body.status();
  request.set_body(*std::move(body));

  v1::RecordOutboundResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.conversations().RecordOutbound(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    return absl::StrCat("message ", response.message_id(), " in conversation ", *id);
  });
}

absl::Status RunHandoff(CommandContext& c) {
  v1::HandoffRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  absl::StatusOr<v1::Channel> channel = ParseEnum<v1::Channel>("<CHANNEL>", c.Arg(1));
  if (!channel.ok()) return channel.status();
  request.set_to_channel(*channel);
  request.set_reason(c.args.Value("reason").value_or(""));
  *request.mutable_actor() = ActorFrom(c.args);
  v1::HandoffResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.conversations().Handoff(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    return absl::StrCat("conversation ", *id, " handed off to ", ShortName(*channel), "\n",
                        FormatConversationRouting(response.routing()));
  });
}

absl::Status RunStatus(CommandContext& c) {
  v1::SetConversationStatusRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  absl::StatusOr<v1::ConversationStatus> status =
      ParseEnum<v1::ConversationStatus>("<STATUS>", c.Arg(1));
  if (!status.ok()) return status.status();
  request.set_status(*status);
  *request.mutable_actor() = ActorFrom(c.args);
  v1::SetConversationStatusResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.conversations().SetConversationStatus(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(
      response, [&] { return absl::StrCat("conversation ", *id, ": ", ShortName(*status)); });
}

absl::Status RunTimeline(CommandContext& c) {
  v1::GetTimelineRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  return PrintList<v1::GetTimelineRequest, v1::GetTimelineResponse>(
      c, request,
      [&c](const v1::GetTimelineRequest& r, v1::GetTimelineResponse* page) {
        return c.client.Call([&](grpc::ClientContext* ctx) {
          return c.client.conversations().GetTimeline(ctx, r, page);
        });
      },
      FormatTimeline);
}

absl::Status RunConversation(CommandContext& c) {
  v1::GetConversationRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<conversation>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_conversation_id(*id);
  v1::Conversation response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.conversations().GetConversation(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatConversation(response); });
}

}  // namespace

void AddConversationCommands(std::vector<Command>* table) {
  table->push_back({
      .name = "ingest",
      .usage = "--channel=CHANNEL --from=KIND:VALUE --id=EXTERNAL_ID [options] <body...>",
      .summary = "record a customer's message: resolve, thread and route it",
      .details =
          R"(  --channel=CHANNEL     where it came from: PUBLIC_SOCIAL, PRIVATE_SOCIAL, EMAIL,
                        VOICE, CHAT, SMS, MESSAGING
  --from=KIND:VALUE     the sender (email:ann@example.com, handle@x:lea, ...)
  --network=NAME        the sender's network, if --from does not name it
  --id=EXTERNAL_ID      the source system's id; a redelivery is recognised
  --thread=KEY          DM thread id, call id
  --ref=EXTERNAL_ID     a message it replies to (In-Reply-To, References, a
                        post); repeatable
  --tag=TAG             a label for routing rules; repeatable
  --name=TEXT           the sender's display name
  --language=TAG        the sender's language (BCP 47)
  --reach=N             the sender's audience size on public channels
  --visibility=PUBLIC|PRIVATE  default: the channel's own
The body is the rest of the line; "-" reads it from standard input.
)",
      .options = {{"channel"},
                  {"from"},
                  {"network"},
                  {"id"},
                  {"thread"},
                  {"ref", Kind::kRepeated},
                  {"tag", Kind::kRepeated},
                  {"name"},
                  {"language"},
                  {"reach"},
                  {"visibility"}},
      .takes_body = true,
      .run = RunIngest,
  });
  table->push_back({
      .name = "reply",
      .usage = "<conversation> --channel=CHANNEL --agent=ID [--id=EXTERNAL_ID] <body...>",
      .summary = "record the brand's answer on the conversation's channel",
      .details = R"(  --channel=CHANNEL   the conversation's current channel
  --agent=ID          who answered
  --id=EXTERNAL_ID    the source system's id of the answer (optional)
  --ref=EXTERNAL_ID   a message it replies to; repeatable
  --visibility=PUBLIC|PRIVATE  default: the channel's own
The body is the rest of the line; "-" reads it from standard input.
)",
      .options = {{"channel"}, {"agent"}, {"id"}, {"ref", Kind::kRepeated}, {"visibility"}},
      .arguments = {"<conversation>"},
      .takes_body = true,
      .run = RunReply,
  });
  table->push_back({
      .name = "handoff",
      .usage = "<conversation> <CHANNEL> [--agent=ID | --customer] [--reason=TEXT]",
      .summary = "move a conversation to another channel; the thread travels with it",
      .details = R"(  --agent=ID     the agent who asked (default: the system)
  --customer     the customer asked
  --reason=TEXT  why (take personal data, documents needed, ...)
)",
      .options = {{"agent"}, {"customer", Kind::kSwitch}, {"reason"}},
      .arguments = {"<conversation>", "<CHANNEL>"},
      .run = RunHandoff,
  });
  table->push_back({
      .name = "status",
      .usage = "<conversation> <OPEN|PENDING_CUSTOMER|RESOLVED|CLOSED> [--agent=ID | --customer]",
      .summary = "set a conversation's status",
      .details = R"(  --agent=ID   the agent who changed it (default: the system)
  --customer   the customer did
)",
      .options = {{"agent"}, {"customer", Kind::kSwitch}},
      .arguments = {"<conversation>", "<STATUS>"},
      .run = RunStatus,
  });
  table->push_back({
      .name = "timeline",
      .usage = "<conversation> [--page-size=N] [--page-token=T]",
      .summary = "the thread: every message and handoff across channels, oldest first",
      .details = kPagingHelp,
      .options = {{kPageSizeOption}, {kPageTokenOption}},
      .arguments = {"<conversation>"},
      .run = RunTimeline,
  });
  table->push_back({
      .name = "conversation",
      .usage = "<conversation>",
      .summary = "a conversation: status, channels, SLA clock, handoffs",
      .arguments = {"<conversation>"},
      .run = RunConversation,
  });
}

}  // namespace omniroute::cli
