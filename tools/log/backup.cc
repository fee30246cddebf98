// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-log backup: a consistent copy of a store that an engine may be
// writing, through SQLite's online backup API, checked before it is called a
// backup.
//
// The copy runs in steps of a few hundred pages. Each step reads the source
// in its own short read transaction, so a running engine keeps committing
// between steps (in WAL mode, even during them) and its checkpoints are not
// held back for the whole copy. When the source changes between two steps,
// SQLite restarts the copy from the first page, so that the result is always
// the source as it was at one instant; if the source keeps changing faster
// than the steps copy it, the rest is copied in a single step (one read
// transaction, which in WAL mode still does not block the writer).

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "log/commands.h"
#include "log/store_access.h"
#include "log/text_output.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "store/sqlite_connection.h"

namespace omniroute::log_tool {
namespace {

constexpr char kUsage[] = "omniroute-log backup [--pages-per-step N] <db> <dest>";

constexpr char kHelp[] = R"(usage: omniroute-log backup [--pages-per-step N] <db> <dest>

Copies the event store <db> into the new file <dest> with SQLite's online
backup API, while an engine may keep writing to <db>. The copy is the store
as it was at one instant: every tenant's log in it is a prefix of the log in
<db>, without a gap. It is copied a few hundred pages at a time, so that
writers are never held up for long; if the store changes faster than that,
the copy restarts and in the end takes the rest in one step.

Then <dest> is opened as an event store and verified: its schema, every page
(SQLite's quick_check) and every event's checksum. The tenants it holds are
listed with their last sequence and snapshot. A copy that fails verification
is removed.

<dest> must not exist, nor its "-wal", "-shm" or "-journal" companions: a
backup never overwrites anything. <db> is opened read-only.

Options:
  --pages-per-step N  pages copied per step (default 256, 1 MiB with 4 KiB
                      pages); smaller steps hold the source for less time
  -h, --help          show this help

Exit codes: 0 success, 1 failure (missing, foreign or damaged store,
<dest> exists, the copy fails verification), 2 usage error.
)";

constexpr uint64_t kDefaultPagesPerStep = 256;
// Restarts (the source changed between two steps) after which the rest is
// copied in one step.
constexpr int kRestartsBeforeOneStep = 8;
// How long a step waits, in total, for a lock on the source or destination.
constexpr int kBusyWaitMillis = 10000;
constexpr int kBusySleepMillis = 10;

struct CopyResult {
  int64_t pages = 0;
  int64_t page_size = 0;
  int steps = 0;
  int restarts = 0;
};

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, DatabaseCloser>;

absl::StatusOr<Database> OpenDatabase(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_EXRESCODE, nullptr);
  Database owned(db);  // Even a failed open allocates a handle.
  if (rc != SQLITE_OK) return store::SqliteError(rc, db, absl::StrCat("opening ", path));
  sqlite3_extended_result_codes(db, 1);
  return owned;
}

// Copies the database at `source` into the empty file `dest`.
absl::StatusOr<CopyResult> CopyDatabase(const std::string& source, const std::string& dest,
                                        int pages_per_step) {
  absl::StatusOr<Database> from = OpenDatabase(source, SQLITE_OPEN_READONLY);
  if (!from.ok()) return from.status();
  absl::StatusOr<Database> to = OpenDatabase(dest, SQLITE_OPEN_READWRITE);
  if (!to.ok()) return to.status();

  sqlite3_backup* backup = sqlite3_backup_init(to->get(), "main", from->get(), "main");
  if (backup == nullptr) {
    return store::SqliteError(sqlite3_extended_errcode(to->get()), to->get(),
                              absl::StrCat("starting the copy into ", dest));
  }
  CopyResult result;
  int64_t copied_before = 0;
  int busy_waited = 0;
  int rc;
  for (;;) {
    const int step = result.restarts >= kRestartsBeforeOneStep ? -1 : pages_per_step;
    rc = sqlite3_backup_step(backup, step);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (busy_waited >= kBusyWaitMillis) break;
      sqlite3_sleep(kBusySleepMillis);
      busy_waited += kBusySleepMillis;
      continue;
    }
    busy_waited = 0;
    if (rc != SQLITE_OK && rc != SQLITE_DONE) break;
    ++result.steps;
    result.pages = sqlite3_backup_pagecount(backup);
    const int64_t copied = result.pages - sqlite3_backup_remaining(backup);
    if (rc == SQLITE_DONE) break;
    // A step that copied nothing new started over.
    if (copied <= copied_before) ++result.restarts;
    copied_before = copied;
  }
  // Finish releases the copy even after an error; the step's code says more.
  const int finish_rc = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return store::SqliteError(rc, to->get(), absl::StrCat("copying ", source, " into ", dest));
  }
  if (finish_rc != SQLITE_OK) {
    return store::SqliteError(finish_rc, to->get(), absl::StrCat("finishing the copy into ", dest));
  }
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(to->get(), "PRAGMA page_size", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    result.page_size = sqlite3_column_int64(statement, 0);
  }
  sqlite3_finalize(statement);
  return result;
}

// Makes the new file's directory entry durable (the copy's bytes were synced
// by its commit).
void SyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd);
  close(fd);
}

struct TenantHeld {
  std::string tenant;
  uint64_t last_sequence = 0;
  std::optional<uint64_t> snapshot_sequence;
};

// Opens the copy as an event store, with every page checked, and reads every
// event (checksums, no gap) and snapshot.
absl::StatusOr<std::vector<TenantHeld>> VerifyCopy(const std::string& dest) {
  SqliteStoreOptions options;
  options.path = dest;
  options.create_if_missing = false;
  options.verify_on_open = true;
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(options);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<std::string>> tenants = (*store)->ListTenants();
  if (!tenants.ok()) return tenants.status();
  std::vector<TenantHeld> held;
  for (const std::string& tenant : *tenants) {
    TenantHeld t;
    t.tenant = tenant;
    absl::Status read = (*store)->Read(tenant, 1, [&](const ::omniroute::v1::Event& event) {
      t.last_sequence = event.sequence();
      return true;
    });
    if (!read.ok()) return read;
    absl::StatusOr<EventStore::Snapshot> snapshot = (*store)->LoadSnapshot(tenant);
    if (snapshot.ok()) {
      t.snapshot_sequence = snapshot->sequence;
    } else if (!absl::IsNotFound(snapshot.status())) {
      return snapshot.status();
    }
    held.push_back(std::move(t));
  }
  return held;
}

// The files SQLite may keep next to a database.
std::vector<std::string> CompanionsOf(const std::string& path) {
  return {path + "-wal", path + "-shm", path + "-journal"};
}

// Removes the destination and its companions unless released: a failed
// backup leaves nothing that could be taken for one.
class RemoveUnlessReleased {
 public:
  explicit RemoveUnlessReleased(std::string path) : path_(std::move(path)) {}
  ~RemoveUnlessReleased() {
    if (released_) return;
    std::error_code ignored;
    for (const std::string& companion : CompanionsOf(path_)) {
      std::filesystem::remove(companion, ignored);
    }
    std::filesystem::remove(path_, ignored);
  }
  void Release() { released_ = true; }

 private:
  const std::string path_;
  bool released_ = false;
};

}  // namespace

int RunBackup(const Invocation& invocation) {
  static constexpr OptionSpec kOptions[] = {{"pages-per-step", true}};
  absl::StatusOr<ParsedArgs> args = ParseArgs(invocation.args, kOptions);
  if (!args.ok()) return UsageError(invocation, kUsage, args.status().message());
  if (args->help()) {
    *invocation.out << kHelp;
    return FinishOutput(invocation);
  }
  if (args->positional().empty()) return UsageError(invocation, kUsage, "missing <db> and <dest>");
  if (args->positional().size() == 1) return UsageError(invocation, kUsage, "missing <dest>");
  if (args->positional().size() > 2) {
    return UsageError(invocation, kUsage,
                      absl::StrCat("unexpected argument ", args->positional()[2]));
  }
  uint64_t pages_per_step = kDefaultPagesPerStep;
  if (std::optional<std::string> text = args->Value("pages-per-step"); text.has_value()) {
    absl::StatusOr<uint64_t> parsed = ParsePositiveInteger("pages-per-step", *text, INT_MAX);
    if (!parsed.ok()) return UsageError(invocation, kUsage, parsed.status().message());
    pages_per_step = *parsed;
  }
  const std::string& source = args->positional()[0];
  const std::string& dest = args->positional()[1];

  // The source must be a store: its own errors are clearer than a failed
  // copy's.
  {
    absl::StatusOr<std::unique_ptr<EventStore>> store = OpenStoreForReading(source);
    if (!store.ok()) return Failure(invocation, source, store.status());
  }

  std::vector<std::string> taken = {dest};
  for (std::string& companion : CompanionsOf(dest)) taken.push_back(std::move(companion));
  for (const std::string& file : taken) {
    std::error_code error;
    const std::filesystem::file_type type = std::filesystem::symlink_status(file, error).type();
    if (type == std::filesystem::file_type::not_found) continue;
    if (error) {
      return Failure(invocation, dest,
                     absl::UnavailableError(absl::StrCat("cannot check whether ", file,
                                                         " exists: ", error.message())));
    }
    return Failure(invocation, dest,
                   absl::AlreadyExistsError(absl::StrCat(
                       file == dest ? "it" : file,
                       " exists; a backup never overwrites a file (choose a new <dest>)")));
  }
  // O_EXCL: a file that appears meanwhile is not overwritten either.
  const int fd = open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int open_errno = errno;
    if (open_errno == EEXIST) {
      return Failure(invocation, dest,
                     absl::AlreadyExistsError(
                         "it exists; a backup never overwrites a file (choose a new <dest>)"));
    }
    return Failure(
        invocation, dest,
        absl::UnavailableError(absl::StrCat("cannot create it: ", strerror(open_errno))));
  }
  close(fd);
  RemoveUnlessReleased cleanup(dest);

  absl::StatusOr<CopyResult> copy = CopyDatabase(source, dest, static_cast<int>(pages_per_step));
  if (!copy.ok()) return Failure(invocation, source, copy.status());
  SyncDirectoryOf(dest);

  absl::StatusOr<std::vector<TenantHeld>> held = VerifyCopy(dest);
  if (!held.ok()) {
    return Failure(invocation, dest,
                   absl::Status(held.status().code(),
                                absl::StrCat("the copy fails verification and was removed: ",
                                             held.status().message())));
  }
  cleanup.Release();

  *invocation.out << "copied " << source << " to " << dest << ": " << copy->pages
                  << (copy->pages == 1 ? " page" : " pages") << " of " << copy->page_size
                  << " bytes in " << copy->steps << (copy->steps == 1 ? " step" : " steps");
  if (copy->restarts > 0) {
    *invocation.out << " (" << copy->restarts << (copy->restarts == 1 ? " restart" : " restarts")
                    << ": the store changed during the copy)";
  }
  *invocation.out << "\nverified " << dest
                  << ": schema, every page and every event checksum sound\n";
  uint64_t events = 0;
  TextTable table({"tenant", "last sequence", "snapshot"});
  for (const TenantHeld& t : *held) {
    table.AddRow({t.tenant, absl::StrCat(t.last_sequence),
                  t.snapshot_sequence.has_value() ? absl::StrCat(*t.snapshot_sequence) : "-"});
    events += t.last_sequence;
  }
  if (!held->empty()) *invocation.out << table.Render();
  *invocation.out << "total: " << held->size() << (held->size() == 1 ? " tenant, " : " tenants, ")
                  << events << (events == 1 ? " event" : " events") << "\n";
  return FinishOutput(invocation);
}

}  // namespace omniroute::log_tool
