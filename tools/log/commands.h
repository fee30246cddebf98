// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The subcommands of omniroute-log, one per file of tools/log/. Each parses
// its own arguments, writes its results on invocation.out and its errors on
// invocation.err, and returns the process exit code (command_line.h).

#ifndef OMNIROUTE_TOOLS_LOG_COMMANDS_H_
#define OMNIROUTE_TOOLS_LOG_COMMANDS_H_

#include "log/command_line.h"

namespace omniroute::log_tool {

// Per tenant: events, first/last sequence and time, events per type,
// snapshot; and a total (inspect.cc).
int RunInspect(const Invocation& invocation);

// Events as JSON lines, the proto3 JSON mapping of omniroute.v1.Event
// (export.cc).
int RunExport(const Invocation& invocation);

// Folds each tenant's events into a fresh state and summarizes it, with a
// fingerprint of its dump (replay.cc).
int RunReplay(const Invocation& invocation);

// An online copy through SQLite's backup API, verified (backup.cc).
int RunBackup(const Invocation& invocation);

}  // namespace omniroute::log_tool

#endif  // OMNIROUTE_TOOLS_LOG_COMMANDS_H_
