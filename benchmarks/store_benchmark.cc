// Benchmarks of the SQLite event store:
//
//   BM_DurableAppend       Append throughput with kSyncEachCommit (every
//                          acknowledged batch fsync'ed) at 1, 8 and 64 writer
//                          threads, each on its own tenant, batches of 3
//                          events of ~300 bytes: group commit at work.
//   BM_UnsyncedAppend      The same with kNoSync at 1 and 8 threads: the
//                          store's own CPU cost per append, syncs left out.
//   BM_RawSqliteInsert     The ceiling: the same rows inserted by plain SQLite
//                          (WAL, synchronous=FULL, one prepared INSERT), 1, 8
//                          or 64 batches per transaction, i.e. what a perfect
//                          group of that size costs without the store's
//                          queue, checks, serialization and checksums.
//   BM_Replay              Read of one tenant's 1M events (parse + checksum),
//                          OMNIROUTE_BENCH_REPLAY_EVENTS overrides the count.
//
//   build/release/benchmarks/omniroute_store_benchmark
//
// Both append benchmarks first write ~6 MiB (untimed), so that the write-ahead
// log has been checkpointed and is being reused, as in a server that has run
// for a while: a sync then overwrites blocks the log already owns, whereas
// while a new log grows each sync also commits the file's new size (on ext4,
// several times slower).
//
// Files go to a fresh directory under $OMNIROUTE_BENCH_DIR (default: the
// system temporary directory), removed at the end. Sync costs depend
// entirely on that file system and device.

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/huge_page_heap.h"
#include "benchmark/benchmark.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "realistic_event.h"
#include "store/crc32c.h"
#include "store/sqlite_event_store_internal.h"

namespace omniroute {
namespace {

using ::omniroute::bench::RealisticEvent;
using ::omniroute::v1::Event;

constexpr int kEventsPerBatch = 3;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "store benchmark: %s\n", what.c_str());
  std::abort();
}

// A fresh directory for the run's files, removed at exit.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("OMNIROUTE_BENCH_DIR");
    std::string pattern =
        (std::filesystem::path(base != nullptr ? base
                                               : std::filesystem::temp_directory_path().string()) /
         "omniroute-store-bench-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) Die("cannot create " + pattern);
    path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(absl::string_view name) const { return (path_ / std::string(name)).string(); }

 private:
  std::filesystem::path path_;
};

BenchDir& Dir() {
  static BenchDir dir;
  return dir;
}

void RemoveStoreFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

std::unique_ptr<store::SqliteEventStore> OpenStore(const std::string& path, Durability durability) {
  SqliteStoreOptions options;
  options.path = path;
  options.durability = durability;
  absl::StatusOr<std::unique_ptr<store::SqliteEventStore>> store =
      store::SqliteEventStore::Open(options);
  if (!store.ok()) Die(store.status().ToString());
  return *std::move(store);
}

// Bytes written before timing, past SQLite's default checkpoint (1000 pages
// of 4 KiB), so that the log wraps.
constexpr int64_t kWarmUpBytes = int64_t{6} << 20;

void WarmUp(store::SqliteEventStore& store) {
  std::vector<Event> batch;
  uint64_t next = 1;
  for (int64_t written = 0; written < kWarmUpBytes;) {
    batch.clear();
    for (int i = 0; i < 1000; ++i) {
      batch.push_back(RealisticEvent("warm-up", next++));
      written += static_cast<int64_t>(batch.back().ByteSizeLong());
    }
    if (absl::Status status = store.Append("warm-up", batch); !status.ok()) {
      Die(status.ToString());
    }
  }
}

// ---------------------------------------------------------------- appends

// Shared by the threads of one BM_DurableAppend run; set up and torn down by
// thread 0 outside the timed loop (the loop's start and end are barriers).
std::unique_ptr<store::SqliteEventStore> g_append_store;
std::string g_append_path;
int g_append_runs = 0;
store::SqliteStoreStats g_append_baseline;

void RunAppends(benchmark::State& state, Durability durability) {
  if (state.thread_index() == 0) {
    g_append_path =
        Dir().File(absl::StrCat("append-", state.threads(), "-", g_append_runs++, ".db"));
    g_append_store = OpenStore(g_append_path, durability);
    WarmUp(*g_append_store);
    g_append_baseline = g_append_store->Stats();
  }
  const std::string tenant = absl::StrCat("tenant-", state.thread_index());
  std::vector<Event> batch;
  for (int i = 0; i < kEventsPerBatch; ++i) batch.push_back(RealisticEvent(tenant, i + 1));
  uint64_t next = 1;

  for (auto _ : state) {
    for (int i = 0; i < kEventsPerBatch; ++i) {
      batch[i].set_sequence(next + i);
      // A new message each time, as the engine records them: the store
      // indexes every message id once.
      batch[i].mutable_message_recorded()->set_message_id(1000000 + next + i);
    }
    absl::Status status = g_append_store->Append(tenant, batch);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
    next += kEventsPerBatch;
  }

  // Counters are summed over threads, then divided by the wall time.
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kEventsPerBatch), benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) {
    const store::SqliteStoreStats stats = g_append_store->Stats();
    const int64_t commits = stats.commits - g_append_baseline.commits;
    const int64_t appends = stats.appends - g_append_baseline.appends;
    state.counters["commits/s"] =
        benchmark::Counter(static_cast<double>(commits), benchmark::Counter::kIsRate);
    state.counters["batches/commit"] =
        commits > 0 ? static_cast<double>(appends) / static_cast<double>(commits) : 0.0;
    state.SetLabel(absl::StrCat(batch[0].ByteSizeLong(), " B/event"));
    g_append_store.reset();
    RemoveStoreFiles(g_append_path);
  }
}

void BM_DurableAppend(benchmark::State& state) { RunAppends(state, Durability::kSyncEachCommit); }
BENCHMARK(BM_DurableAppend)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The same appends without syncs: what the store's own work (queue,
// serialization, checksums, inserts, the message index) costs.
void BM_UnsyncedAppend(benchmark::State& state) { RunAppends(state, Durability::kNoSync); }
BENCHMARK(BM_UnsyncedAppend)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------- ceiling

void Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Die(absl::StrCat(sql, ": ", error != nullptr ? error : "?"));
  }
}

// One transaction of `batches` batches of 3 events (one per tenant), as a
// group commit of that size would write, with the store's machinery left out.
void BM_RawSqliteInsert(benchmark::State& state) {
  const int batches = static_cast<int>(state.range(0));
  const std::string path = Dir().File(absl::StrCat("raw-", batches, ".db"));
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("cannot open " + path);
  Exec(db, "PRAGMA journal_mode = WAL");
  Exec(db, "PRAGMA synchronous = FULL");
  Exec(db,
       "CREATE TABLE IF NOT EXISTS events (tenant TEXT NOT NULL, sequence INTEGER NOT NULL, "
       "payload BLOB NOT NULL, crc INTEGER NOT NULL, PRIMARY KEY (tenant, sequence)) "
       "WITHOUT ROWID");
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?1, ?2, ?3, ?4)", -1, &insert, nullptr) !=
      SQLITE_OK) {
    Die(sqlite3_errmsg(db));
  }
  std::vector<std::string> tenants;
  for (int b = 0; b < batches; ++b) tenants.push_back(absl::StrCat("tenant-", b));
  const std::string payload = RealisticEvent("tenant-0", 1).SerializeAsString();
  const int64_t crc = store::Crc32c(payload);
  // The same warm-up as the store's, under a tenant of its own.
  for (int64_t written = 0, sequence = 1; written < kWarmUpBytes;) {
    Exec(db, "BEGIN");
    for (int i = 0; i < 1000; ++i, ++sequence) {
      sqlite3_bind_text(insert, 1, "warm-up", -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 2, sequence);
      sqlite3_bind_blob(insert, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert, 4, crc);
      if (sqlite3_step(insert) != SQLITE_DONE) Die(sqlite3_errmsg(db));
      sqlite3_reset(insert);
      written += static_cast<int64_t>(payload.size());
    }
    Exec(db, "COMMIT");
  }
  int64_t next = 1;

  for (auto _ : state) {
    Exec(db, "BEGIN");
    for (const std::string& tenant : tenants) {
      for (int i = 0; i < kEventsPerBatch; ++i) {
        sqlite3_bind_text(insert, 1, tenant.data(), static_cast<int>(tenant.size()), SQLITE_STATIC);
        sqlite3_bind_int64(insert, 2, next + i);
        sqlite3_bind_blob(insert, 3, payload.data(), static_cast<int>(payload.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(insert, 4, crc);
        if (sqlite3_step(insert) != SQLITE_DONE) Die(sqlite3_errmsg(db));
        sqlite3_reset(insert);
      }
    }
    Exec(db, "COMMIT");
    next += kEventsPerBatch;
  }

  sqlite3_finalize(insert);
  sqlite3_close(db);
  RemoveStoreFiles(path);
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batches * kEventsPerBatch),
                         benchmark::Counter::kIsRate);
  state.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawSqliteInsert)
    ->ArgName("batches")
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------- replay

uint64_t ReplayEvents() {
  const char* env = std::getenv("OMNIROUTE_BENCH_REPLAY_EVENTS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

// One tenant's log of ReplayEvents() events, written once (without syncs:
// only the reading is measured).
const std::string& ReplayStorePath() {
  static const std::string* path = [] {
    auto* p = new std::string(Dir().File("replay.db"));
    std::unique_ptr<store::SqliteEventStore> store = OpenStore(*p, Durability::kNoSync);
    const uint64_t total = ReplayEvents();
    std::vector<Event> batch;
    for (uint64_t first = 1; first <= total; first += 1000) {
      batch.clear();
      for (uint64_t s = first; s < first + 1000 && s <= total; ++s) {
        batch.push_back(RealisticEvent("replay", s));
      }
      if (absl::Status status = store->Append("replay", batch); !status.ok()) {
        Die(status.ToString());
      }
    }
    return p;
  }();
  return *path;
}

void BM_Replay(benchmark::State& state) {
  const uint64_t total = ReplayEvents();
  std::unique_ptr<store::SqliteEventStore> store =
      OpenStore(ReplayStorePath(), Durability::kSyncEachCommit);
  for (auto _ : state) {
    uint64_t seen = 0;
    absl::Status status = store->Read("replay", 1, [&](const Event& event) {
      benchmark::DoNotOptimize(event.sequence());
      ++seen;
      return true;
    });
    if (!status.ok() || seen != total) {
      state.SkipWithError(status.ok() ? "short read" : status.ToString().c_str());
      break;
    }
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations() * total),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Replay)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace omniroute

int main(int argc, char** argv) {
  // The heap on huge pages, as omniroute-server's (base/huge_page_heap.h).
  omniroute::base::RestartWithHugePageHeap(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
