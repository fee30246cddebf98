// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The command script of the crash test, shared by omniroute-crash-driver
// (which runs it) and tests/crash/crash_test.cc (which checks what a killed
// driver left in the store).
//
// Command n (numbered from 1) is a pure function of n, except for the ids it
// acts on, which it looks up in the engine with queries. Every command leaves
// a trace that names it, so the store alone tells which commands it holds:
//
//   n % 10   command                                               trace
//   0        IngestMessage from a new customer (EMAIL)             message "cmd-<n>"
//   1,2,6,8,9 IngestMessage from one of a pool of people, on one    message "cmd-<n>"
//            of several channels (a person's email, handle and
//            phone are separate customers until linked)
//   3        RecordOutbound on the conversation of cmd-<n-1>       message "cmd-<n>"
//   4        IngestMessage from a new social handle "merge<n>"     message "cmd-<n>"
//   5        Handoff of cmd-<n-1>'s conversation to PRIVATE_SOCIAL handoff reason "cmd-<n>"
//   7        LinkIdentity(customer of cmd-<n-1>'s sender,           handle "merge<n-3>" owned by
//            handle "merge<n-3>"): merges two customers             the sender's customer
//
// Commands run one after the other and each is applied whole or not at all,
// so a store must hold exactly commands 1..K for some K, each once.
//
// Archiving (omniroute-crash-driver --archive): the tenant has a
// closed_retention of zero, and after command n with n % 10 == 0 the driver
// closes the conversations of cmd-<n> and cmd-<n-1> and runs the timers,
// which archive them (CloseAndArchive): their messages are then read from
// the store's archive. No later command acts on those conversations, so the
// script runs the same; closes leave no trace and are not counted.
//
// Not thread-safe; a plain set of functions over an Engine.

#ifndef OMNIROUTE_TOOLS_CRASH_CRASH_SCRIPT_H_
#define OMNIROUTE_TOOLS_CRASH_CRASH_SCRIPT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"

namespace omniroute::crash {

// The tenant the script runs in.
inline constexpr char kTenant[] = "crash";

enum class CommandKind {
  kIngestNewCustomer,
  kIngestPool,
  kOutbound,
  kIngestMergeCandidate,
  kHandoff,
  kLink,
};

CommandKind KindOf(uint64_t n);
// Whether commands of this kind are IngestMessage calls.
bool IsIngest(CommandKind kind);
absl::string_view KindName(CommandKind kind);

// "cmd-<n>": the external id of command n's message, or its handoff reason.
std::string TraceOf(uint64_t n);
// The n of a trace "cmd-<n>"; nullopt for anything else.
std::optional<uint64_t> ParseTrace(absl::string_view text);

// The message command n ingests (kinds kIngest*).
InboundMessage InboundOf(uint64_t n);
// The body of command n's message (inbound or outbound).
std::string BodyOf(uint64_t n);

// Issues command n against the engine; the ids it acts on are looked up with
// queries. Returns the engine's error, or NOT_FOUND if what it acts on is
// missing (a command before it was not applied).
absl::Status Run(Engine& engine, uint64_t n);

// Whether the driver archives after command n (see "Archiving" above).
bool ArchivesAfter(uint64_t n);

// Closes the conversations of cmd-<n> and cmd-<n-1> (those still open) and
// runs the tenant's timers until none is due, which archives them in a
// tenant whose closed_retention is zero. Returns the engine's error.
absl::Status CloseAndArchive(Engine& engine, uint64_t n);

// Whether link command n (KindOf(n) == kLink) shows in the engine's state.
bool LinkApplied(const Engine& engine, uint64_t n);

// What the state of the crash tenant shows of the script, and every way it
// breaks the script's invariants.
struct Census {
  // The tenant exists (a driver killed before creating it leaves none).
  bool tenant_exists = false;
  // Commands 1..applied are in the state; none after it.
  uint64_t applied = 0;
  // How many times each command's trace (message or handoff) is in the
  // timelines of the live conversations.
  std::map<uint64_t, int> copies;
  // Counts of what the state holds.
  uint64_t customers = 0;
  uint64_t active_customers = 0;
  uint64_t conversations = 0;
  uint64_t messages = 0;
  // Conversations read from the store's archive (closed, out of the working
  // set: their customer no longer lists them), and the messages read from
  // their timelines.
  uint64_t archived_conversations = 0;
  uint64_t archived_messages = 0;
  // Invariants that do not hold, one sentence each; empty when all is well:
  //  - each traced command at most once; 1..applied all present (no gap, so
  //    nothing after a missing command);
  //  - message ids 1..M, each in exactly one live conversation's timeline;
  //  - each message where the script put it: body, channel, direction;
  //  - each inbound message's sender owned by the customer of its
  //    conversation (a new customer's customer, identity, conversation and
  //    message came together);
  //  - each active customer has an identity that resolves to it and a live
  //    conversation; each live conversation has a message, and is listed by
  //    its customer unless it is closed and archived.
  std::vector<std::string> problems;
};

// Takes the census of the crash tenant. Fails only if a query fails in a way
// the census cannot describe (an unknown tenant is an empty census).
absl::StatusOr<Census> TakeCensus(const Engine& engine);

}  // namespace omniroute::crash

#endif  // OMNIROUTE_TOOLS_CRASH_CRASH_SCRIPT_H_
