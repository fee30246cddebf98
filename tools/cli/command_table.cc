// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/command_table.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/errors.h"

namespace omniroute::cli {
namespace {

constexpr char kGeneralHelp[] =
    R"(usage: omniroute [--server=HOST:PORT] [--tenant=ID] [--json] <command> [args]

The omniroute server's everyday operations from a shell: ingest a message,
read a thread, link identities, run agents and queues, keep commitments,
follow offers and the change feed.

Global flags (before or after the command):
  --server=HOST:PORT  the server (default 127.0.0.1:50051, or $OMNIROUTE_SERVER)
  --tenant=ID         the tenant to work in (default $OMNIROUTE_TENANT)
  --json              print each response as one JSON object per line
                      (the proto3 JSON mapping of the response message)
  --timeout=DURATION  deadline of each call (default 10s)
  --token=TOKEN       credential sent with every call, an API key (omr_...) or
                      a JWT (default $OMNIROUTE_TOKEN)
  --tls_ca=FILE       speak TLS, trusting this CA's PEM ($OMNIROUTE_TLS_CA)
  --tls_cert=FILE     client certificate for mutual TLS ($OMNIROUTE_TLS_CERT)
  --tls_key=FILE      its private key ($OMNIROUTE_TLS_KEY)

Commands:
)";

constexpr char kGeneralFooter[] = R"(
Enum values are written without their prefix, in any case (EMAIL for
CHANNEL_EMAIL, resolved for CONVERSATION_STATUS_RESOLVED). Identities are
kind:value or kind@network:value (email:ann@example.com, phone:+33612345678,
handle@x:parent_of_lea, social_id@x:123, crm@salesforce:0031).

Exit codes: 0 success, 1 the server refused or could not be reached,
2 usage error. Errors are printed as "error: <gRPC code>: <message>".
Run 'omniroute <command> --help' for a command's options.
)";

// The checks every command shares, before it runs.
absl::Status CheckArguments(const Command& command, const ParsedArgs& args,
                            const GlobalOptions& options) {
  const std::vector<std::string>& positional = args.positional();
  if (positional.size() < command.arguments.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing ", command.arguments[positional.size()]));
  }
  if (!command.takes_body && positional.size() > command.arguments.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", positional[command.arguments.size()], "\""));
  }
  if (command.needs_tenant && options.tenant.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tenant: required by '", command.name, "' (or set OMNIROUTE_TENANT)"));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command>* commands = [] {
    auto* table = new std::vector<Command>;
    AddTenantCommands(table);
    AddCustomerCommands(table);
    AddConversationCommands(table);
    AddRoutingCommands(table);
    AddTaskCommands(table);
    AddCommitmentCommands(table);
    AddStreamCommands(table);
    return table;
  }();
  return *commands;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string UsageLine(const Command& command) {
  return absl::StrCat("usage: omniroute ", command.name, command.usage.empty() ? "" : " ",
                      command.usage);
}

std::string GeneralHelp() {
  std::string help = kGeneralHelp;
  size_t width = 0;
  for (const Command& command : Commands()) width = std::max(width, command.name.size());
  for (const Command& command : Commands()) {
    absl::StrAppend(&help, "  ", command.name, std::string(width - command.name.size() + 2, ' '),
                    command.summary, "\n");
  }
  help.append(kGeneralFooter);
  return help;
}

std::string CommandHelp(const Command& command) {
  std::string help = absl::StrCat(UsageLine(command), "\n\n", command.summary, "\n");
  if (!command.details.empty()) absl::StrAppend(&help, "\n", command.details);
  if (!help.empty() && help.back() != '\n') help.push_back('\n');
  return help;
}

int RunCommand(const Command& command, absl::Span<const std::string> args,
               const GlobalOptions& options, Client& client, const Streams& streams,
               absl::Time now) {
  absl::Status status;
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, command.options);
  if (!parsed.ok()) {
    status = parsed.status();
  } else if (parsed->help()) {
    streams.out << CommandHelp(command);
    streams.out.flush();
    return streams.out.good() ? kExitOk : kExitFailure;
  } else {
    status = CheckArguments(command, *parsed, options);
    if (status.ok()) {
      Printer printer(streams.out, options.json);
      CommandContext context{*parsed, options, client, printer, streams.in, now};
      status = command.run(context);
    }
  }
  if (status.ok()) return kExitOk;
  streams.err << ErrorLine(status) << "\n";
  if (IsUsageError(status)) {
    streams.err << UsageLine(command) << "\n"
                << "Try 'omniroute " << command.name << " --help'.\n";
  }
  streams.err.flush();
  return ExitCodeFor(status);
}

}  // namespace omniroute::cli
