// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// customer, find, link, merge, unmerge, conversations, erase-customer,
// export-customer: CustomerService.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/conversation_format.h"
#include "cli/identity_text.h"
#include "cli/paging.h"
#include "cli/values.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;
using Kind = OptionSpec::Kind;

absl::Status RunCustomer(CommandContext& c) {
  v1::GetCustomerRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<customer>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_customer_id(*id);
  v1::Customer response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.customers().GetCustomer(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatCustomer(response); });
}

absl::Status RunFind(CommandContext& c) {
  v1::FindCustomerRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<v1::RawIdentity> identity = ParseIdentity("<identity>", c.Arg(0));
  if (!identity.ok()) return identity.status();
  if (absl::Status s = CheckIdentityNetwork("<identity>", *identity); !s.ok()) return s;
  *request.mutable_identity() = *std::move(identity);
  v1::Customer response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.customers().FindCustomer(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatCustomer(response); });
}

absl::Status RunLink(CommandContext& c) {
  v1::LinkIdentityRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<customer>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_customer_id(*id);
  absl::StatusOr<v1::RawIdentity> identity = ParseIdentity("<identity>", c.Arg(1));
  if (!identity.ok()) return identity.status();
  if (absl::Status s = CheckIdentityNetwork("<identity>", *identity); !s.ok()) return s;
  *request.mutable_identity() = *std::move(identity);
  *request.mutable_actor() = ActorFrom(c.args);
  request.set_mode(c.args.Has("automatic") ? v1::LINK_MODE_AUTOMATIC : v1::LINK_MODE_EXPLICIT);
  v1::LinkIdentityResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.customers().LinkIdentity(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatLink(response); });
}

absl::Status RunMerge(CommandContext& c) {
  v1::MergeCustomersRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> a = ParseId("<customer>", c.Arg(0));
  if (!a.ok()) return a.status();
  absl::StatusOr<uint64_t> b = ParseId("<other>", c.Arg(1));
  if (!b.ok()) return b.status();
  request.set_customer_id(*a);
  request.set_other_customer_id(*b);
  *request.mutable_actor() = ActorFrom(c.args);
  v1::LinkIdentityResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.customers().MergeCustomers(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] { return FormatLink(response); });
}

absl::Status RunUnmerge(CommandContext& c) {
  v1::UnmergeCustomerRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<customer>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_customer_id(*id);
  *request.mutable_actor() = ActorFrom(c.args);
  v1::UnmergeCustomerResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.customers().UnmergeCustomer(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    return absl::StrCat("customer ", request.customer_id(), " restored with its own identities");
  });
}

absl::Status RunConversations(CommandContext& c) {
  v1::ListConversationsRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<customer>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_customer_id(*id);
  return PrintList<v1::ListConversationsRequest, v1::ListConversationsResponse>(
      c, request,
      [&c](const v1::ListConversationsRequest& r, v1::ListConversationsResponse* page) {
        return c.client.Call([&](grpc::ClientContext* ctx) {
          return c.client.customers().ListConversations(ctx, r, page);
        });
      },
      FormatConversationList);
}

absl::Status RunEraseCustomer(CommandContext& c) {
  v1::EraseCustomerRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<customer>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_customer_id(*id);
  *request.mutable_actor() = ActorFrom(c.args);
  v1::EraseCustomerResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.customers().EraseCustomer(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    return absl::StrCat("customer ", request.customer_id(),
                        " erased, with the customers merged into it");
  });
}

// JSON lines in both modes: an export is for machines (and for the person
// it is about, through them).
absl::Status RunExportCustomer(CommandContext& c) {
  v1::ExportCustomerRequest request;
  request.set_tenant_id(c.options.tenant);
  absl::StatusOr<uint64_t> id = ParseId("<customer>", c.Arg(0));
  if (!id.ok()) return id.status();
  request.set_customer_id(*id);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::CustomerExportRecord>> reader =
      c.client.customers().ExportCustomer(&context, request);
  v1::CustomerExportRecord record;
  absl::Status output = absl::OkStatus();
  while (output.ok() && reader->Read(&record)) {
    absl::StatusOr<std::string> line = Printer::JsonLine(record);
    output = line.ok() ? c.printer.Print(record, [&] { return *line; }) : line.status();
  }
  if (!output.ok()) {
    context.TryCancel();
    while (reader->Read(&record)) {
    }
    (void)reader->Finish();
    return output;
  }
  return c.client.StreamStatus(reader->Finish());
}

}  // namespace

void AddCustomerCommands(std::vector<Command>* table) {
  table->push_back({
      .name = "customer",
      .usage = "<customer>",
      .summary = "a customer: identities, conversations, merges",
      .arguments = {"<customer>"},
      .run = RunCustomer,
  });
  table->push_back({
      .name = "find",
      .usage = "<kind:value>",
      .summary = "the customer who owns an identity (email:ann@example.com, handle@x:lea)",
      .arguments = {"<identity>"},
      .run = RunFind,
  });
  table->push_back({
      .name = "link",
      .usage = "<customer> <kind:value> [--agent=ID] [--automatic]",
      .summary = "link an identity to a customer; merges its owner in, if any",
      .details = R"(  --agent=ID    the agent who linked it (default: the system)
  --automatic   a system's deterministic match: never merges two accounts of
                one network silently (default: an explicit link, which merges)
)",
      .options = {{"agent"}, {"automatic", Kind::kSwitch}},
      .arguments = {"<customer>", "<identity>"},
      .run = RunLink,
  });
  table->push_back({
      .name = "merge",
      .usage = "<customer> <other> [--agent=ID]",
      .summary = "merge two customers (the older one survives)",
      .details = "  --agent=ID    the agent who merged them (default: the system)\n",
      .options = {{"agent"}},
      .arguments = {"<customer>", "<other>"},
      .run = RunMerge,
  });
  table->push_back({
      .name = "unmerge",
      .usage = "<customer> [--agent=ID]",
      .summary = "undo the merge that absorbed a customer",
      .details = "  --agent=ID    the agent who undid it (default: the system)\n",
      .options = {{"agent"}},
      .arguments = {"<customer>"},
      .run = RunUnmerge,
  });
  table->push_back({
      .name = "conversations",
      .usage = "<customer> [--page-size=N] [--page-token=T]",
      .summary = "a customer's conversations, by id",
      .details = kPagingHelp,
      .options = {{kPageSizeOption}, {kPageTokenOption}},
      .arguments = {"<customer>"},
      .run = RunConversations,
  });
  table->push_back({
      .name = "erase-customer",
      .usage = "<customer> [--agent=ID]",
      .summary = "erase a customer's personal data, and that of those merged into it",
      .details = R"(  --agent=ID    the agent who asked for it (default: the system)
Names, identities, message bodies, senders, references, tags and keys are
erased everywhere they are kept; open conversations are closed. Refused for
a customer merged into another one (erase that one) or with work in progress.
)",
      .options = {{"agent"}},
      .arguments = {"<customer>"},
      .run = RunEraseCustomer,
  });
  table->push_back({
      .name = "export-customer",
      .usage = "<customer>",
      .summary = "everything held about a customer, as JSON lines (one record a line)",
      .arguments = {"<customer>"},
      .run = RunExportCustomer,
  });
}

}  // namespace omniroute::cli
