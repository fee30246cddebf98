// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The stores that every store-agnostic test runs over (the EventStore
// contract: log, history, archive, erasure), and how a test opens a fresh,
// empty one of each kind: the memory store, a SQLite file in the test's
// scratch directory, a new database on the test binary's PostgreSQL server
// (postgres_test_server.h).

#ifndef OMNIROUTE_TESTS_STORE_STORE_KINDS_H_
#define OMNIROUTE_TESTS_STORE_STORE_KINDS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "store/postgres_test_server.h"
#include "store/sqlite_test_files.h"

namespace omniroute::testing_internal {

enum class StoreKind { kMemory, kSqlite, kPostgres };

inline std::string StoreKindName(const testing::TestParamInfo<StoreKind>& info) {
  switch (info.param) {
    case StoreKind::kMemory:
      return "Memory";
    case StoreKind::kSqlite:
      return "Sqlite";
    case StoreKind::kPostgres:
      return "Postgres";
  }
  return "Unknown";
}

inline auto AllStoreKinds() {
  return testing::Values(StoreKind::kMemory, StoreKind::kSqlite, StoreKind::kPostgres);
}

// A new, empty store of `kind`: SQLite at `dir`'s "events.db" with
// `durability`; PostgreSQL in a new database of the shared test server. Null
// (and the test failed, with the reason) if it cannot be opened.
inline std::unique_ptr<EventStore> OpenEmptyStore(
    StoreKind kind, const ScratchDir& dir, Durability durability = Durability::kNoSync) {
  absl::StatusOr<std::unique_ptr<EventStore>> store;
  switch (kind) {
    case StoreKind::kMemory:
      return NewMemoryEventStore();
    case StoreKind::kSqlite: {
      SqliteStoreOptions options;
      options.path = dir.File("events.db");
      options.durability = durability;
      store = OpenSqliteEventStore(options);
      break;
    }
    case StoreKind::kPostgres: {
      PostgresStoreOptions options;
      options.conninfo = NewPostgresDatabase();
      if (options.conninfo.empty()) return nullptr;
      store = OpenPostgresEventStore(options);
      break;
    }
  }
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_STORE_STORE_KINDS_H_
