// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-crash-driver: runs the crash test's command script
// (crash/crash_script.h) against an engine on a SQLite store, and says on
// stdout what the store acknowledged. The crash test
// (tests/crash/crash_test.cc) kills it with SIGKILL at random points,
// restarts it, and checks the store against what was acknowledged.
//
//   omniroute-crash-driver <database> [--max-commands N] [--snapshot-every N]
//                          [--exit-abruptly] [--archive]
//
//   --max-commands N    stop once commands 1..N are in the store (default:
//                       run until killed)
//   --snapshot-every N  the engine's snapshot_every_events (default 0: none)
//   --exit-abruptly     end with _exit(0) after the last command, without
//                       closing the store, as a crash would: the write-ahead
//                       log is left as it is, not checkpointed
//   --archive           create the tenant with a closed_retention of zero,
//                       and after every command n with n % 10 == 0 close
//                       the conversations of cmd-<n> and cmd-<n-1> and run
//                       the timers, which archive them (crash_script.h,
//                       "Archiving"); the store's tenant keeps the options
//                       it was created with
//
// The driver's state comes only from the store: at start it opens the store
// and the engine (Durability::kSyncEachCommit), creates the tenant if it is
// missing, takes the census of what the store holds (commands 1..K), sends
// command K again if it is a message (a client's retry, which must be
// recognised as a redelivery and change nothing), and goes on with command
// K+1. Output, one write(2) per line so that each line has left the process
// before the next command starts:
//
//   resume <n>    the first command this run issues
//   ack <n>       command n was acknowledged (its events are durable)
//
// Exit status: 0 at --max-commands, 1 if a command or the store fails, 2 on
// bad usage, 3 if the store breaks the script's invariants or stores a
// redelivery again (printed on stderr).

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "crash/crash_script.h"
#include "omniroute/engine.h"
#include "omniroute/sqlite_event_store.h"

namespace {

namespace crash = ::omniroute::crash;

constexpr char kUsage[] =
    "usage: omniroute-crash-driver <database> [--max-commands N] [--snapshot-every N] "
    "[--exit-abruptly] [--archive]\n";

[[noreturn]] void Die(const absl::Status& status, const std::string& what) {
  std::fprintf(stderr, "omniroute-crash-driver: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

// One write(2) per line: a pipe write of less than PIPE_BUF bytes is atomic,
// so a reader sees whole lines even when the driver is killed.
void Say(absl::string_view word, uint64_t n) {
  const std::string line = absl::StrCat(word, " ", n, "\n");
  if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::exit(1);  // The reader is gone.
  }
}

struct Flags {
  std::string database;
  uint64_t max_commands = UINT64_MAX;
  uint64_t snapshot_every = 0;
  bool exit_abruptly = false;
  bool archive = false;
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  if (argc < 2 || argv[1][0] == '-') return false;
  flags->database = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--exit-abruptly") {
      flags->exit_abruptly = true;
    } else if (flag == "--archive") {
      flags->archive = true;
    } else if (flag == "--max-commands" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &flags->max_commands)) return false;
    } else if (flag == "--snapshot-every" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &flags->snapshot_every)) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  omniroute::SqliteStoreOptions store_options;
  store_options.path = flags.database;
  store_options.durability = omniroute::Durability::kSyncEachCommit;
  auto store = omniroute::OpenSqliteEventStore(store_options);
  if (!store.ok()) Die(store.status(), "opening the store");
  omniroute::EngineOptions engine_options;
  engine_options.store = store->get();
  engine_options.snapshot_every_events = flags.snapshot_every;
  auto engine = omniroute::Engine::Open(engine_options);
  if (!engine.ok()) Die(engine.status(), "opening the engine");
  omniroute::TenantOptions tenant_options;
  if (flags.archive) tenant_options.closed_retention = absl::ZeroDuration();
  if (absl::Status s = (*engine)->CreateTenant(crash::kTenant, tenant_options);
      !s.ok() && !absl::IsAlreadyExists(s)) {
    Die(s, "creating the tenant");
  }
  absl::StatusOr<crash::Census> census = crash::TakeCensus(**engine);
  if (!census.ok()) Die(census.status(), "taking the census of the store");
  if (!census->problems.empty()) {
    for (const std::string& problem : census->problems) {
      std::fprintf(stderr, "omniroute-crash-driver: %s\n", problem.c_str());
    }
    return 3;
  }

  // A client that was not told whether its last command went through sends
  // it again: a redelivered message must be recognised and change nothing.
  if (const uint64_t last = census->applied; last > 0 && crash::IsIngest(crash::KindOf(last))) {
    const absl::StatusOr<uint64_t> before = (*engine)->LastSequence(crash::kTenant);
    absl::StatusOr<omniroute::IngestResult> again =
        (*engine)->IngestMessage(crash::kTenant, crash::InboundOf(last));
    if (!again.ok()) Die(again.status(), absl::StrCat("redelivering ", crash::TraceOf(last)));
    const absl::StatusOr<uint64_t> after = (*engine)->LastSequence(crash::kTenant);
    if (!again->duplicate || !before.ok() || !after.ok() || *before != *after) {
      std::fprintf(stderr, "omniroute-crash-driver: the redelivery of %s was stored again\n",
                   crash::TraceOf(last).c_str());
      return 3;
    }
  }

  uint64_t n = census->applied + 1;
  Say("resume", n);
  for (; n <= flags.max_commands; ++n) {
    if (absl::Status s = crash::Run(**engine, n); !s.ok()) {
      Die(s, absl::StrCat(crash::TraceOf(n), " (", crash::KindName(crash::KindOf(n)), ")"));
    }
    Say("ack", n);
    if (flags.archive && crash::ArchivesAfter(n)) {
      if (absl::Status s = crash::CloseAndArchive(**engine, n); !s.ok()) {
        Die(s, absl::StrCat("archiving after ", crash::TraceOf(n)));
      }
    }
  }
  if (flags.exit_abruptly) _exit(0);
  return 0;
}
