// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What an omniroute command is: its name, its usage, the options and
// arguments it takes, and the function that runs it. Each group of commands
// (tenants, customers, conversations, routing, tasks, commitments, streams)
// adds its own to the table in a commands_*.cc file; command_table.cc
// dispatches.
//
// The table checks what every command shares before running it: the
// options are known, the positional arguments are there (naming the missing
// one) and --tenant is set when the command needs one. A command's run
// function then only converts its arguments, makes its call and prints.
//
// Thread-compatible.

#ifndef OMNIROUTE_TOOLS_CLI_COMMAND_H_
#define OMNIROUTE_TOOLS_CLI_COMMAND_H_

#include <istream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/client.h"
#include "cli/command_line.h"
#include "cli/printer.h"
#include "omniroute/v1/types.pb.h"

namespace omniroute::cli {

// The global flags, as given on the command line (or their defaults).
struct GlobalOptions {
  // host:port of the omniroute server.
  std::string server = "127.0.0.1:50051";
  // The tenant every tenant-scoped command works in; empty: not set.
  std::string tenant;
  // One JSON object per response line instead of readable text.
  bool json = false;
  // Deadline of each unary call.
  absl::Duration timeout = absl::Seconds(10);
};

// Everything a running command uses. Nothing is owned.
struct CommandContext {
  const ParsedArgs& args;
  const GlobalOptions& options;
  Client& client;
  Printer& printer;
  // Where a body given as "-" is read from.
  std::istream& in;
  // "Now" for relative times (--due=+2h).
  absl::Time now;

  // The positional argument at `index` (checked to exist by the table).
  const std::string& Arg(size_t index) const { return args.positional()[index]; }
  // The positional arguments from `index` on joined with spaces: a body
  // typed without quotes. "-" alone reads the body from `in`.
  absl::StatusOr<std::string> Body(size_t index) const;
};

struct Command {
  absl::string_view name;
  // Arguments and options after the name, for the usage line:
  // "<conversation> --channel=CHANNEL --agent=ID <body...>".
  absl::string_view usage;
  // One line for the command list.
  absl::string_view summary;
  // More lines for `omniroute <command> --help` (the options explained);
  // may be empty.
  absl::string_view details;
  std::vector<OptionSpec> options;
  // The names of the required positional arguments, in order ("<task>").
  std::vector<absl::string_view> arguments;
  // Further positional arguments are the body (joined with spaces);
  // otherwise they are an error.
  bool takes_body = false;
  // --tenant must be set.
  bool needs_tenant = true;
  absl::Status (*run)(CommandContext& context) = nullptr;
};

// The commands of each group, appended to `table`.
void AddTenantCommands(std::vector<Command>* table);
void AddCustomerCommands(std::vector<Command>* table);
void AddConversationCommands(std::vector<Command>* table);
void AddRoutingCommands(std::vector<Command>* table);
void AddTaskCommands(std::vector<Command>* table);
void AddCommitmentCommands(std::vector<Command>* table);
void AddStreamCommands(std::vector<Command>* table);

// Helpers the groups share.

// Who did it: --agent=ID an agent, --customer (where a command offers it)
// the customer, otherwise the system (an operator at the command line).
// `agent_option` names the option that holds the agent ("agent", or "by"
// where --agent names something else).
::omniroute::v1::Actor ActorFrom(const ParsedArgs& args, absl::string_view agent_option = "agent");

// The value of a required option; INVALID_ARGUMENT "--name: required" when
// it is missing or empty.
absl::StatusOr<std::string> Required(const ParsedArgs& args, absl::string_view option);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_COMMAND_H_
