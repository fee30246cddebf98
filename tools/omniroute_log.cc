// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-log: the operator's tool for an event store file. Inspect what it
// holds, export its events as JSON lines, replay them into a state and
// fingerprint it, and take an online backup. See `omniroute-log --help`; the
// subcommands are in tools/log/.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "log/command_line.h"
#include "log/commands.h"

namespace omniroute::log_tool {
namespace {

constexpr char kHelp[] = R"(usage: omniroute-log <command> [options] <db> ...

The operator's tool for an omniroute event store (a SQLite file). It opens the
store read-only and never changes it; backup writes only its new copy.

Commands:
  inspect  per tenant: events, first/last sequence and time, events per type,
           snapshot; and the totals (--json for one JSON object)
  export   the events as JSON lines (proto3 JSON mapping of omniroute.v1.Event)
  replay   fold each tenant's events into a fresh state; summary and fingerprint
  backup   an online, verified copy into a new file

Run 'omniroute-log <command> --help' for a command's options.

Exit codes: 0 success, 1 failure, 2 usage error.
)";

struct Command {
  absl::string_view name;
  int (*run)(const Invocation&);
};

constexpr Command kCommands[] = {
    {"inspect", RunInspect},
    {"export", RunExport},
    {"replay", RunReplay},
    {"backup", RunBackup},
};

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int Main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "omniroute-log: missing command\n" << kHelp;
    return kExitUsage;
  }
  if (args[0] == "-h" || args[0] == "--help" || (args[0] == "help" && args.size() == 1)) {
    std::cout << kHelp;
    std::cout.flush();
    return std::cout.good() ? kExitOk : kExitFailure;
  }
  // "help inspect" is "inspect --help".
  if (args[0] == "help") {
    args.erase(args.begin());
    args.resize(1);
    args.push_back("--help");
  }
  const Command* command = FindCommand(args[0]);
  if (command == nullptr) {
    std::cerr << "omniroute-log: unknown command \"" << args[0]
              << "\" (commands: inspect, export, replay, backup)\n"
              << "Try 'omniroute-log --help'.\n";
    return kExitUsage;
  }
  Invocation invocation;
  invocation.command = std::string(command->name);
  invocation.args.assign(args.begin() + 1, args.end());
  invocation.out = &std::cout;
  invocation.err = &std::cerr;
  return command->run(invocation);
}

}  // namespace
}  // namespace omniroute::log_tool

int main(int argc, char** argv) { return omniroute::log_tool::Main(argc, argv); }
