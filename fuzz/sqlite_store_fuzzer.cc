// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite event store (include/omniroute/sqlite_event_store.h) reading a
// damaged file: the input is written as the database file of a store, which
// is opened read-only and everything in it read (tenants, events,
// snapshots, the message history, archives, erasures), then opened
// writable under an engine, which rebuilds every tenant from it (latest
// snapshot, then the tail of the log) as a server does at start-up. Every
// call returns data or an error status, never a crash.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "absl/status/status.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "tenant/tenant_state.h"

namespace {

// Bounds the work one input can ask for.
constexpr int kMaxTenants = 4;
constexpr int kMaxEvents = 10000;
constexpr uint64_t kMaxIds = 8;

const std::string& Directory() {
  static const std::string* directory = [] {
    char name[] = "/tmp/omniroute-sqlite-fuzz-XXXXXX";
    if (mkdtemp(name) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    // Empty once each input's files are removed; gone when the run ends.
    std::atexit([] { rmdir(Directory().c_str()); });
    return new std::string(name);
  }();
  return *directory;
}

void RemoveFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    unlink((path + suffix).c_str());
  }
}

void ReadEverything(const omniroute::EventStore& store) {
  absl::StatusOr<std::vector<std::string>> tenants = store.ListTenants();
  if (!tenants.ok()) return;
  int count = 0;
  for (const std::string& tenant : *tenants) {
    if (++count > kMaxTenants) break;
    (void)store.LastSequence(tenant);
    int events = 0;
    (void)store.Read(tenant, 1, [&](const omniroute::v1::Event&) { return ++events < kMaxEvents; });
    absl::StatusOr<omniroute::EventStore::Snapshot> snapshot = store.LoadSnapshot(tenant);
    if (snapshot.ok()) {
      (void)omniroute::tenant::TenantState::FromSerializedSnapshot(snapshot->state);
    }
    std::vector<omniroute::CustomerId> customers;
    for (uint64_t id = 1; id <= kMaxIds; ++id) {
      customers.push_back(omniroute::CustomerId(id));
      (void)store.ReadConversationMessages(tenant, omniroute::ConversationId(id), std::nullopt, 16);
      (void)store.ReadMessage(tenant, omniroute::MessageId(id));
      for (auto kind : {omniroute::EventStore::ArchivedKind::kConversation,
                        omniroute::EventStore::ArchivedKind::kTask,
                        omniroute::EventStore::ArchivedKind::kCommitment}) {
        (void)store.FindArchive(tenant, kind, id);
      }
    }
    (void)store.ListArchivedConversations(tenant, customers, omniroute::ConversationId(0), 16);
    (void)store.FindMessageByExternalId(tenant, omniroute::v1::CHANNEL_EMAIL, "m-1");
    (void)store.FindLatestMessageByThreadKey(tenant, omniroute::v1::CHANNEL_EMAIL, "t-1");
    (void)store.ListUnredactedErasures(tenant);
  }
}

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it;
// inputs are mostly such, and the log would bury libFuzzer's.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = Directory() + "/events.db";
  RemoveFiles(path);
  {
    std::ofstream file(path, std::ios::binary);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }

  omniroute::SqliteStoreOptions options;
  options.path = path;
  options.create_if_missing = false;
  options.durability = omniroute::Durability::kNoSync;
  options.busy_timeout = absl::ZeroDuration();
  {
    options.read_only = true;
    absl::StatusOr<std::unique_ptr<omniroute::EventStore>> store =
        omniroute::OpenSqliteEventStore(options);
    if (store.ok()) ReadEverything(**store);
  }
  {
    options.read_only = false;
    absl::StatusOr<std::unique_ptr<omniroute::EventStore>> store =
        omniroute::OpenSqliteEventStore(options);
    if (store.ok()) {
      omniroute::ManualClock clock;
      absl::StatusOr<std::unique_ptr<omniroute::Engine>> engine =
          omniroute::Engine::Open({.clock = &clock, .store = store->get()});
      if (engine.ok()) {
        for (const std::string& tenant : (*engine)->ListTenants()) (void)(*engine)->DumpState(tenant);
      }
    }
  }
  RemoveFiles(path);
  return 0;
}
