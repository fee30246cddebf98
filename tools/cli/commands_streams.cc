// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// offers and watch: the two server streams (RoutingService.StreamOffers and
// EventService.WatchEvents), followed and printed one update per line until
// Ctrl-C or --count updates.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/errors.h"
#include "cli/event_format.h"
#include "cli/interrupt.h"
#include "cli/routing_format.h"
#include "cli/values.h"
#include "grpcpp/support/sync_stream.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;

// --count: 0 (the default) follows until Ctrl-C.
absl::StatusOr<int64_t> CountFrom(const ParsedArgs& args) {
  std::optional<std::string> text = args.Value("count");
  if (!text.has_value()) return 0;
  return ParseInteger("--count", *text, 1, INT64_MAX);
}

// Reads `reader` until it ends, `count` updates were printed (0: no limit),
// the output fails or a signal cancels `context`. `on_update` prints one
// update and remembers what it needs. OK when this side ended the stream
// (--count reached, Ctrl-C); the output's error if printing failed; the
// stream's own status otherwise (OK too, when the server closed it).
template <typename Update>
absl::Status Follow(CommandContext& c, grpc::ClientContext& context,
                    grpc::ClientReader<Update>& reader, int64_t count,
                    absl::FunctionRef<absl::Status(const Update&)> on_update) {
  CancelOnInterrupt interrupt(&context);
  Update update;
  int64_t printed = 0;
  absl::Status output = absl::OkStatus();
  bool ended_by_us = false;
  while (reader.Read(&update)) {
    output = on_update(update);
    if (!output.ok() || (count > 0 && ++printed == count)) {
      ended_by_us = true;
      context.TryCancel();
      // Read until the cancellation lands, as Finish() requires.
      while (reader.Read(&update)) {
      }
      break;
    }
  }
  const grpc::Status end = reader.Finish();
  if (!output.ok()) return output;
  if (ended_by_us || interrupt.interrupted()) return absl::OkStatus();
  return c.client.StreamStatus(end);
}

absl::Status RunOffers(CommandContext& c) {
  absl::StatusOr<int64_t> count = CountFrom(c.args);
  if (!count.ok()) return count.status();
  v1::StreamOffersRequest request;
  request.set_tenant_id(c.options.tenant);
  request.set_agent_id(c.Arg(0));
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::OfferUpdate>> reader =
      c.client.routing().StreamOffers(&context, request);
  return Follow<v1::OfferUpdate>(c, context, *reader, *count, [&](const v1::OfferUpdate& update) {
    return c.printer.Print(update, [&] { return FormatOfferUpdateLine(update); });
  });
}

absl::Status RunWatch(CommandContext& c) {
  absl::StatusOr<int64_t> count = CountFrom(c.args);
  if (!count.ok()) return count.status();
  v1::WatchEventsRequest request;
  request.set_tenant_id(c.options.tenant);
  if (std::optional<std::string> from = c.args.Value("from"); from.has_value()) {
    absl::StatusOr<uint64_t> sequence = ParseId("--from", *from);
    if (!sequence.ok()) return sequence.status();
    request.set_from_sequence(*sequence);
  }
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
      c.client.events().WatchEvents(&context, request);
  uint64_t next = request.from_sequence() == 0 ? 1 : request.from_sequence();
  absl::Status status = Follow<v1::Event>(c, context, *reader, *count, [&](const v1::Event& event) {
    next = event.sequence() + 1;
    return c.printer.Print(event, [&] { return FormatEventLine(event); });
  });
  if (IsRpcError(status)) {
    // The feed is resumable: say where to pick it up.
    return RpcError(
        grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                     absl::StrCat(status.message(), " (resume with --from=", next, ")")));
  }
  return status;
}

absl::Status RunLastSequence(CommandContext& c) {
  v1::GetLastSequenceRequest request;
  request.set_tenant_id(c.options.tenant);
  v1::GetLastSequenceResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.events().GetLastSequence(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return absl::StrCat(response.sequence()); });
}

}  // namespace

void AddStreamCommands(std::vector<Command>* table) {
  table->push_back({
      .name = "offers",
      .usage = "<agent> [--count=N]",
      .summary = "follow an agent's offers: pending ones, then each new one and its end",
      .details = R"(Prints one line per update until Ctrl-C, or until N updates with --count.
Answer an offer with 'omniroute accept <task> <agent>' or 'decline'.
)",
      .options = {{"count"}},
      .arguments = {"<agent>"},
      .run = RunOffers,
  });
  table->push_back({
      .name = "watch",
      .usage = "[--from=SEQUENCE] [--count=N]",
      .summary = "follow the tenant's change feed, one line per event",
      .details = R"(  --from=SEQUENCE  start at this event (default 1, the whole log); after a
                   disconnect, resume from the last sequence printed + 1
  --count=N        stop after N events (default: follow until Ctrl-C)
)",
      .options = {{"from"}, {"count"}},
      .run = RunWatch,
  });
  table->push_back({
      .name = "last-sequence",
      .usage = "",
      .summary =
          "the sequence of the tenant's last event (watch --from=it+1 follows what comes next)",
      .run = RunLastSequence,
  });
}

}  // namespace omniroute::cli
