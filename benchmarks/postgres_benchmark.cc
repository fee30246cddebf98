// Benchmarks of the PostgreSQL event store against a real, durable server:
//
//   BM_StoreAppend/writers:W  W threads (1, 8, 64), each appending one event
//                             of ~300 bytes at a time (realistic_event.h) to
//                             its own tenant and waiting for the commit:
//                             the store's group commit at work.
//   BM_RawInsert/writers:W    The ceiling: the same W threads hand the same
//                             bytes, as rows of a table shaped like the
//                             store's events table, to a group-commit
//                             leader written by hand with libpq: it takes
//                             every queued row, inserts them with one
//                             statement (INSERT ... SELECT FROM unnest of
//                             binary arrays) that is its own transaction,
//                             so one commit per batch, and wakes the
//                             writers. No savepoints, no continuity check,
//                             no serialization, no checksum, no message
//                             index: what a perfect batch costs the server.
//   BM_RawInsertWithMessages/writers:W
//                             The same leader, its one statement also
//                             inserting each event's row of the store's
//                             message index (a table shaped like the store's
//                             messages table, with its three indexes): the
//                             ceiling of every row the store writes, not
//                             only of the events.
//
//   build/release/benchmarks/omniroute_postgres_benchmark
//
// One tenant per writer, as the store's API expects: appends to one tenant
// come from one caller at a time (each append must continue the log at a
// sequence its caller knows), and the engine gathers one tenant's commands
// into one append by its own group commit. So 64 writers are 64 tenants
// appending at once, which the store's queue commits together.
//
// The server is started by the benchmark (tests/store/postgres_test_server.h)
// in a new cluster under /tmp, with fsync on and synchronous_commit on
// (PostgreSQL's default): every commit that a writer waits for has been
// flushed to the write-ahead log on disk. It runs as the "postgres" user when
// the benchmark runs as root. Each case gets a schema of its own, filled with
// OMNIROUTE_BENCH_WARMUP_EVENTS events first (default 20,000, untimed), then
// its writers run for half a second untimed (connections set up, statements
// prepared), then OMNIROUTE_BENCH_SECONDS (default 4) timed.
//
// Reported per case: items_per_second (events/s, summed over writers), the
// latency of one append (p50, p99, in µs, from the call to its return),
// commits/s and events/commit, and on each BM_StoreAppend the ratios to the
// BM_RawInsert (store/raw) and BM_RawInsertWithMessages (store/raw_msgs) of
// the same writers, run just before it.

#include <endian.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "realistic_event.h"
#include "store/crc32c.h"
#include "store/postgres_event_store_internal.h"
#include "store/postgres_test_server.h"

namespace omniroute {
namespace {

using ::omniroute::bench::RealisticEvent;
using ::omniroute::testing_internal::PostgresTestServer;
using ::omniroute::testing_internal::PostgresTestServerOptions;
using ::omniroute::v1::Event;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "postgres benchmark: %s\n", what.c_str());
  std::abort();
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoll(value, nullptr, 10) : fallback;
}

absl::Duration TimedRun() { return absl::Seconds(EnvInt("OMNIROUTE_BENCH_SECONDS", 4)); }
constexpr absl::Duration kUntimedRun = absl::Milliseconds(500);

// ---------------------------------------------------------------- the server

// The durable server and the database of the run, started by the first case
// and stopped at exit.
struct Server {
  std::unique_ptr<PostgresTestServer> server;
  std::string conninfo;
};

const Server& TheServer() {
  static const Server* const server = [] {
    PostgresTestServerOptions options;
    options.durable = true;
    options.shared_buffers = "256MB";
    absl::StatusOr<std::unique_ptr<PostgresTestServer>> started =
        PostgresTestServer::Start(options);
    if (!started.ok()) Die(started.status().ToString());
    absl::StatusOr<std::string> conninfo = (*started)->CreateDatabase();
    if (!conninfo.ok()) Die(conninfo.status().ToString());
    // Stopped (and its directory removed) at exit, after the last case.
    static Server kept{*std::move(started), *conninfo};
    return &kept;
  }();
  return *server;
}

void Sql(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Die(absl::StrCat(sql, ": ", PQresultErrorMessage(result)));
  }
  PQclear(result);
}

PGconn* Connect() {
  PGconn* conn = PQconnectdb(TheServer().conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) Die(PQerrorMessage(conn));
  return conn;
}

// ---------------------------------------------------------------- writers

// What W writers did in one run.
struct Run {
  int64_t events = 0;
  absl::Duration elapsed;
  // Every append's latency, in microseconds, sorted.
  std::vector<double> latencies_us;
};

// Runs `writers` threads for `duration`: each calls `append(writer)` (one
// event, waiting for its commit) until the time is up. The clock runs from the moment all threads
// are released until the last append returned.
template <typename AppendFn>
Run RunWriters(int writers, absl::Duration duration, AppendFn append) {
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(writers);
  std::vector<std::thread> threads;
  threads.reserve(writers);
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      latencies[w].reserve(1 << 16);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (!stop.load(std::memory_order_relaxed)) {
        const absl::Time begin = absl::Now();
        append(w);
        latencies[w].push_back(absl::ToDoubleMicroseconds(absl::Now() - begin));
      }
    });
  }
  const absl::Time start = absl::Now();
  go.store(true, std::memory_order_release);
  absl::SleepFor(duration);
  stop.store(true, std::memory_order_relaxed);
  for (std::thread& thread : threads) thread.join();
  Run run;
  run.elapsed = absl::Now() - start;
  for (const std::vector<double>& mine : latencies) {
    run.events += static_cast<int64_t>(mine.size());
    run.latencies_us.insert(run.latencies_us.end(), mine.begin(), mine.end());
  }
  std::sort(run.latencies_us.begin(), run.latencies_us.end());
  return run;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

// The events/s of each writer count's raw ceiling, for the store's ratio:
// without (false) and with (true) the message rows.
std::map<std::pair<bool, int>, double>& RawRates() {
  static auto* rates = new std::map<std::pair<bool, int>, double>();
  return *rates;
}

void Report(benchmark::State& state, const Run& run, int64_t commits) {
  state.SetIterationTime(absl::ToDoubleSeconds(run.elapsed));
  state.SetItemsProcessed(run.events);
  state.counters["p50_us"] = Percentile(run.latencies_us, 0.50);
  state.counters["p99_us"] = Percentile(run.latencies_us, 0.99);
  state.counters["commits/s"] = commits / absl::ToDoubleSeconds(run.elapsed);
  state.counters["events/commit"] =
      commits > 0 ? static_cast<double>(run.events) / static_cast<double>(commits) : 0.0;
}

// ---------------------------------------------------------------- the store

constexpr int64_t kWarmUpBatch = 1000;

int64_t WarmUpEvents() { return EnvInt("OMNIROUTE_BENCH_WARMUP_EVENTS", 20'000); }

void BM_StoreAppend(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  PostgresStoreOptions options;
  options.conninfo = TheServer().conninfo;
  options.schema = absl::StrCat("store_w", writers);
  options.pool_size = 1;
  absl::StatusOr<std::unique_ptr<store::PostgresEventStore>> opened =
      store::PostgresEventStore::Open(options);
  if (!opened.ok()) Die(opened.status().ToString());
  store::PostgresEventStore& store = **opened;

  // The same bytes per event as the writers', under a tenant of its own.
  std::vector<Event> batch;
  for (int64_t next = 1; next <= WarmUpEvents(); next += kWarmUpBatch) {
    batch.clear();
    for (int64_t s = next; s < next + kWarmUpBatch; ++s)
      batch.push_back(RealisticEvent("warm-up", s));
    if (absl::Status status = store.Append("warm-up", batch); !status.ok()) Die(status.ToString());
  }

  struct Writer {
    std::string tenant;
    Event event;
    uint64_t next = 1;
  };
  std::vector<Writer> mine(writers);
  for (int w = 0; w < writers; ++w) {
    mine[w].tenant = absl::StrCat("tenant-", w);
    mine[w].event = RealisticEvent(mine[w].tenant, 1);
  }
  auto append = [&](int w) {
    Writer& writer = mine[w];
    // A new message each time, as the engine records them: the store
    // indexes every message id and external id.
    writer.event.set_sequence(writer.next);
    v1::MessageRecorded& message = *writer.event.mutable_message_recorded();
    message.set_message_id(1000000 + writer.next);
    message.set_external_id(absl::StrCat("<CAFx7-", writer.next, "-q9Zk@mail.example.com>"));
    absl::Status status = store.Append(writer.tenant, absl::MakeConstSpan(&writer.event, 1));
    if (!status.ok()) Die(status.ToString());
    ++writer.next;
  };

  RunWriters(writers, kUntimedRun, append);
  for (auto _ : state) {
    const store::PostgresStoreStats before = store.Stats();
    const Run run = RunWriters(writers, TimedRun(), append);
    const store::PostgresStoreStats after = store.Stats();
    Report(state, run, after.commits - before.commits);
    for (const bool messages : {false, true}) {
      auto raw = RawRates().find({messages, writers});
      if (raw == RawRates().end() || raw->second <= 0) continue;
      state.counters[messages ? "store/raw_msgs" : "store/raw"] =
          run.events / absl::ToDoubleSeconds(run.elapsed) / raw->second;
    }
    state.counters["largest_group"] = static_cast<double>(after.largest_group);
  }
  state.SetLabel(absl::StrCat(mine[0].event.ByteSizeLong(), " B/event, a tenant per writer"));
}

// ---------------------------------------------------------------- the ceiling

// PostgreSQL's binary array format (array_send): a header, then each
// element's length and bytes.
class BinaryArray {
 public:
  explicit BinaryArray(uint32_t element_type) : element_type_(element_type) {}

  void Clear() {
    elements_.clear();
    count_ = 0;
  }
  void Add(absl::string_view bytes) {
    PutInt32(elements_, static_cast<int32_t>(bytes.size()));
    elements_.append(bytes.data(), bytes.size());
    ++count_;
  }
  void AddInt64(int64_t value) {
    const uint64_t big_endian = htobe64(static_cast<uint64_t>(value));
    Add(absl::string_view(reinterpret_cast<const char*>(&big_endian), sizeof(big_endian)));
  }
  void AddInt32(int32_t value) {
    const uint32_t big_endian = htobe32(static_cast<uint32_t>(value));
    Add(absl::string_view(reinterpret_cast<const char*>(&big_endian), sizeof(big_endian)));
  }
  // The whole array, header included.
  const std::string& Bytes() {
    bytes_.clear();
    PutInt32(bytes_, 1);  // Dimensions.
    PutInt32(bytes_, 0);  // No NULLs.
    PutInt32(bytes_, static_cast<int32_t>(element_type_));
    PutInt32(bytes_, count_);
    PutInt32(bytes_, 1);  // Lower bound.
    bytes_.append(elements_);
    return bytes_;
  }

 private:
  static void PutInt32(std::string& out, int32_t value) {
    const uint32_t big_endian = htobe32(static_cast<uint32_t>(value));
    out.append(reinterpret_cast<const char*>(&big_endian), sizeof(big_endian));
  }

  const uint32_t element_type_;
  std::string elements_;
  std::string bytes_;
  int32_t count_ = 0;
};

constexpr uint32_t kTextOid = 25;
constexpr uint32_t kByteaOid = 17;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt4Oid = 23;

// The store's events table (lib/store/postgres_schema.cc), and its
// messages table with the same indexes.
constexpr char kRawTables[] = R"sql(
CREATE TABLE events (
  tenant text COLLATE "C" NOT NULL,
  sequence bigint NOT NULL,
  payload bytea NOT NULL,
  crc bigint NOT NULL,
  PRIMARY KEY (tenant, sequence)
);
CREATE TABLE messages (
  tenant text COLLATE "C" NOT NULL,
  message_id bigint NOT NULL,
  conversation_id bigint NOT NULL,
  recorded_at bigint NOT NULL,
  sequence bigint NOT NULL,
  channel integer NOT NULL,
  external_id bytea NOT NULL,
  thread_key bytea NOT NULL,
  PRIMARY KEY (tenant, message_id)
);
CREATE INDEX messages_by_conversation
  ON messages (tenant, conversation_id, recorded_at, message_id);
CREATE INDEX messages_by_external_id
  ON messages (tenant, channel, external_id, message_id) WHERE external_id <> '';
CREATE INDEX messages_by_thread_key
  ON messages (tenant, channel, thread_key, message_id) WHERE thread_key <> '';
)sql";
// One statement, so one transaction and one commit, for any number of rows.
constexpr char kRawInsert[] =
    "INSERT INTO events (tenant, sequence, payload, crc) "
    "SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bigint[])";
// Still one statement: the events by a data-modifying WITH, and their
// message rows.
constexpr char kRawInsertWithMessages[] =
    "WITH e AS (INSERT INTO events (tenant, sequence, payload, crc) "
    "SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bigint[])) "
    "INSERT INTO messages (tenant, message_id, conversation_id, recorded_at, sequence, channel, "
    "external_id, thread_key) "
    "SELECT * FROM unnest($1::text[], $5::bigint[], $6::bigint[], $7::bigint[], $2::bigint[], "
    "$8::integer[], $9::bytea[], $10::bytea[])";

// A group commit by hand, as the store's queue works: the writer whose row
// is first in the queue leads: it takes every queued row, inserts them in
// one statement on the one connection, and wakes their writers.
class RawCommitter {
 public:
  // With `messages`, each event's message row too.
  RawCommitter(PGconn* conn, bool messages) : conn_(conn), messages_(messages) {
    PGresult* prepared =
        PQprepare(conn_, "insert", messages ? kRawInsertWithMessages : kRawInsert, 0, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) Die(PQresultErrorMessage(prepared));
    PQclear(prepared);
  }

  struct Row {
    absl::string_view tenant;
    int64_t sequence = 0;
    absl::string_view payload;
    int64_t crc = 0;
    // The message row, as the store's index makes it from the event.
    int64_t message_id = 0;
    int64_t conversation_id = 0;
    int64_t recorded_at = 0;
    int32_t channel = 0;
    absl::string_view external_id;
    absl::string_view thread_key;

    bool done = false;
    absl::CondVar done_cv;
  };

  // Returns once `row` is committed.
  void Insert(Row& row) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(&row);
    while (!row.done && queue_.front() != &row) row.done_cv.Wait(&mu_);
    if (row.done) return;
    // This thread leads: the group stays at the front of the queue while it
    // is written, so no one else leads meanwhile.
    const size_t group = queue_.size();
    for (BinaryArray* column : columns_) column->Clear();
    for (size_t i = 0; i < group; ++i) {
      const Row& queued = *queue_[i];
      tenants_.Add(queued.tenant);
      sequences_.AddInt64(queued.sequence);
      payloads_.Add(queued.payload);
      crcs_.AddInt64(queued.crc);
      if (!messages_) continue;
      message_ids_.AddInt64(queued.message_id);
      conversation_ids_.AddInt64(queued.conversation_id);
      recorded_at_.AddInt64(queued.recorded_at);
      channels_.AddInt32(queued.channel);
      external_ids_.Add(queued.external_id);
      thread_keys_.Add(queued.thread_key);
    }
    mu_.Unlock();
    Commit(group);
    mu_.Lock();
    ++commits_;
    for (size_t i = 0; i < group; ++i) {
      Row* member = queue_.front();
      queue_.pop_front();
      member->done = true;
      if (member != &row) member->done_cv.Signal();
    }
    if (!queue_.empty()) queue_.front()->done_cv.Signal();
  }

  int64_t commits() const {
    absl::MutexLock lock(&mu_);
    return commits_;
  }

 private:
  void Commit(size_t rows) {
    const int count = messages_ ? 10 : 4;
    const char* data[10];
    int lengths[10];
    int formats[10];
    for (int i = 0; i < count; ++i) {
      const std::string& bytes = columns_[i]->Bytes();
      data[i] = bytes.data();
      lengths[i] = static_cast<int>(bytes.size());
      formats[i] = 1;
    }
    PGresult* result = PQexecPrepared(conn_, "insert", count, data, lengths, formats, 1);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) Die(PQresultErrorMessage(result));
    if (std::strtoull(PQcmdTuples(result), nullptr, 10) != rows) Die("short insert");
    PQclear(result);
  }

  PGconn* const conn_;
  const bool messages_;
  // Used by the leader of the moment only; the parameters in their order.
  BinaryArray tenants_{kTextOid};
  BinaryArray sequences_{kInt8Oid};
  BinaryArray payloads_{kByteaOid};
  BinaryArray crcs_{kInt8Oid};
  BinaryArray message_ids_{kInt8Oid};
  BinaryArray conversation_ids_{kInt8Oid};
  BinaryArray recorded_at_{kInt8Oid};
  BinaryArray channels_{kInt4Oid};
  BinaryArray external_ids_{kByteaOid};
  BinaryArray thread_keys_{kByteaOid};
  BinaryArray* const columns_[10] = {&tenants_,      &sequences_,        &payloads_,    &crcs_,
                                     &message_ids_,  &conversation_ids_, &recorded_at_, &channels_,
                                     &external_ids_, &thread_keys_};

  mutable absl::Mutex mu_;
  std::deque<Row*> queue_ ABSL_GUARDED_BY(mu_);
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
};

void RunRaw(benchmark::State& state, bool messages) {
  const int writers = static_cast<int>(state.range(0));
  const std::string schema = absl::StrCat(messages ? "raw_msgs_w" : "raw_w", writers);
  PGconn* conn = Connect();
  Sql(conn,
      absl::StrCat("CREATE SCHEMA ", schema, "; SET search_path TO ", schema, "; ", kRawTables));
  RawCommitter committer(conn, messages);

  const Event event = RealisticEvent("tenant-0", 1);
  const std::string payload = event.SerializeAsString();
  const int64_t crc = store::Crc32c(payload);
  // The same warm-up as the store's, in batches of the same size.
  for (int64_t next = 1; next <= WarmUpEvents(); next += kWarmUpBatch) {
    const std::string series =
        absl::StrCat(" FROM generate_series(", next, ", ", next + kWarmUpBatch - 1, ") AS s");
    Sql(conn, absl::StrCat("INSERT INTO events SELECT 'warm-up', s, decode('",
                           absl::BytesToHexString(payload), "', 'hex'), ", crc, series));
    if (!messages) continue;
    Sql(conn, absl::StrCat("INSERT INTO messages SELECT 'warm-up', 1000000 + s, 40000 + s / 7, s, "
                           "s, ",
                           event.message_recorded().channel(),
                           ", convert_to('<CAFx7-' || s || '-q9Zk@mail.example.com>', 'UTF8'), "
                           "'thread-8c1f2e'",
                           series));
  }

  struct Writer {
    std::string tenant;
    int64_t next = 1;
    std::string external_id;
  };
  std::vector<Writer> mine(writers);
  for (int w = 0; w < writers; ++w) mine[w].tenant = absl::StrCat("tenant-", w);
  const v1::MessageRecorded& message = event.message_recorded();
  auto append = [&](int w) {
    Writer& writer = mine[w];
    RawCommitter::Row row;
    row.tenant = writer.tenant;
    row.sequence = writer.next++;
    row.payload = payload;
    row.crc = crc;
    if (messages) {
      // As the store's writers vary them (BM_StoreAppend).
      writer.external_id = absl::StrCat("<CAFx7-", row.sequence, "-q9Zk@mail.example.com>");
      row.message_id = 1000000 + row.sequence;
      row.conversation_id = static_cast<int64_t>(message.conversation_id());
      row.recorded_at = event.time().seconds() * 1'000'000'000 + event.time().nanos();
      row.channel = message.channel();
      row.external_id = writer.external_id;
      row.thread_key = message.thread_key();
    }
    committer.Insert(row);
  };

  RunWriters(writers, kUntimedRun, append);
  for (auto _ : state) {
    const int64_t before = committer.commits();
    const Run run = RunWriters(writers, TimedRun(), append);
    Report(state, run, committer.commits() - before);
    RawRates()[{messages, writers}] = run.events / absl::ToDoubleSeconds(run.elapsed);
  }
  state.SetLabel(absl::StrCat(payload.size(), " B/event"));
  PQfinish(conn);
}

void BM_RawInsert(benchmark::State& state) { RunRaw(state, /*messages=*/false); }
void BM_RawInsertWithMessages(benchmark::State& state) { RunRaw(state, /*messages=*/true); }

// Each ceiling just before the store's case of the same writers, so that
// the two of a ratio run close together in time.
void Case(benchmark::internal::Benchmark* b) {
  b->ArgName("writers")->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_RawInsert)->Apply(Case)->Arg(1);
BENCHMARK(BM_RawInsertWithMessages)->Apply(Case)->Arg(1);
BENCHMARK(BM_StoreAppend)->Apply(Case)->Arg(1);
BENCHMARK(BM_RawInsert)->Apply(Case)->Arg(8);
BENCHMARK(BM_RawInsertWithMessages)->Apply(Case)->Arg(8);
BENCHMARK(BM_StoreAppend)->Apply(Case)->Arg(8);
BENCHMARK(BM_RawInsert)->Apply(Case)->Arg(64);
BENCHMARK(BM_RawInsertWithMessages)->Apply(Case)->Arg(64);
BENCHMARK(BM_StoreAppend)->Apply(Case)->Arg(64);

}  // namespace
}  // namespace omniroute

BENCHMARK_MAIN();
