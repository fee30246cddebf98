// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What only the PostgreSQL event store has (its contract with the other
// stores is in event_store_contract_test.cc and the files it names): clear
// errors for a wrong conninfo, a server that is not there and an unknown
// database, never showing the password; its schema (created once, kept
// across opens, refused when foreign or newer); damage found by the
// checksums; two stores on one database keeping a tenant's log contiguous;
// group commit.

#include "omniroute/postgres_event_store.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/event_log_builders.h"
#include "store/postgres_event_store_internal.h"
#include "store/postgres_test_server.h"
#include "store/sqlite_test_files.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;
using testing_internal::MakeEvent;
using testing_internal::MakeEvents;
using testing_internal::PostgresTestServer;
using testing_internal::ReadAll;
using testing_internal::Sequences;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class PostgresEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing_internal::SharedPostgresServer();
    ASSERT_NE(server_, nullptr);
    absl::StatusOr<std::string> conninfo = server_->CreateDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
    database_ = testing_internal::DatabaseOf(conninfo_);
  }

  PostgresStoreOptions Options() const {
    PostgresStoreOptions options;
    options.conninfo = conninfo_;
    return options;
  }

  std::unique_ptr<store::PostgresEventStore> MustOpen(const PostgresStoreOptions& options) {
    auto store = store::PostgresEventStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Runs `sql` on the test's database as the superuser, as a tool (or a
  // disk) that damages the store would.
  void Exec(const std::string& sql) {
    auto result = server_->Query(database_, sql);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  PostgresTestServer* server_ = nullptr;
  std::string conninfo_;
  std::string database_;
};

// ------------------------------------------------------------ opening

TEST_F(PostgresEventStoreTest, RefusesBadOptions) {
  PostgresStoreOptions options = Options();
  options.conninfo = "";
  EXPECT_THAT(OpenPostgresEventStore(options).status().message(), HasSubstr("conninfo"));
  options = Options();
  options.pool_size = 0;
  EXPECT_EQ(OpenPostgresEventStore(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options();
  options.max_batch_bytes = 0;
  EXPECT_EQ(OpenPostgresEventStore(options).status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* schema : {"", "Omniroute", "1abc", "a-b", "pg_store", "a\"; DROP TABLE x"}) {
    options = Options();
    options.schema = schema;
    absl::Status s = OpenPostgresEventStore(options).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << schema << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr("schema")) << schema;
  }
}

TEST_F(PostgresEventStoreTest, AConninfoLibpqCannotParseIsInvalidArgument) {
  PostgresStoreOptions options;
  options.conninfo = "host=/tmp dbname";
  absl::Status s = OpenPostgresEventStore(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("conninfo"));
  options.conninfo = "postgresql://[::1/omniroute";
  s = OpenPostgresEventStore(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST_F(PostgresEventStoreTest, NoServerIsUnavailableNamingTheSocketAndNotThePassword) {
  testing_internal::ScratchDir empty;  // No server listens there.
  const std::string dir = empty.File("");
  PostgresStoreOptions options;
  options.conninfo = absl::StrCat("host=", dir, " dbname=events user=app password=hunter2");
  absl::Status s = OpenPostgresEventStore(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), AllOf(HasSubstr("cannot connect to PostgreSQL"), HasSubstr(dir),
                                 HasSubstr("database events"), HasSubstr("user app"),
                                 Not(HasSubstr("hunter2"))));
  // The same with a URI.
  options.conninfo = "postgresql://app:hunter2@localhost:1/events?connect_timeout=5";
  s = OpenPostgresEventStore(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), AllOf(HasSubstr("host localhost"), HasSubstr("port 1"),
                                 Not(HasSubstr("hunter2"))));
}

TEST_F(PostgresEventStoreTest, AnUnknownDatabaseIsUnavailableWithTheServersReason) {
  PostgresStoreOptions options;
  options.conninfo = server_->Conninfo("no_such_database") + " password=hunter2";
  absl::Status s = OpenPostgresEventStore(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), AllOf(HasSubstr("\"no_such_database\" does not exist"),
                                 HasSubstr(server_->socket_dir()), Not(HasSubstr("hunter2"))));
}

TEST_F(PostgresEventStoreTest, CreatesItsSchemaOnceAndKeepsTheDataAcrossOpens) {
  {
    auto store = MustOpen(Options());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 5)).ok());
    ASSERT_TRUE(store->SaveSnapshot("acme", 3, "three").ok());
  }
  auto version = server_->Query(database_, "SELECT application, version FROM omniroute.schema_version");
  ASSERT_TRUE(version.ok()) << version.status();
  ASSERT_EQ(version->size(), 1u);
  EXPECT_EQ((*version)[0][0], "omniroute");
  EXPECT_EQ((*version)[0][1], "1");

  auto store = MustOpen(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Event> events = ReadAll(*store, "acme");
  EXPECT_THAT(Sequences(events), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(events[4].SerializeAsString(), MakeEvent("acme", 5).SerializeAsString());
  EXPECT_EQ(store->LoadSnapshot("acme")->state, "three");
  EXPECT_EQ(store->Append("acme", MakeEvents("acme", 5, 5)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store->Append("acme", MakeEvents("acme", 6, 6)).ok());
}

TEST_F(PostgresEventStoreTest, StoresInTwoSchemasOfOneDatabaseAreIndependent) {
  PostgresStoreOptions other = Options();
  other.schema = "other_store";
  auto first = MustOpen(Options());
  auto second = MustOpen(other);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->Append("acme", MakeEvents("acme", 1, 3)).ok());
  ASSERT_TRUE(second->Append("acme", MakeEvents("acme", 1, 1)).ok());
  EXPECT_EQ(*first->LastSequence("acme"), 3u);
  EXPECT_EQ(*second->LastSequence("acme"), 1u);
}

TEST_F(PostgresEventStoreTest, AMissingStoreIsNotFoundWithoutCreateIfMissing) {
  PostgresStoreOptions options = Options();
  options.create_if_missing = false;
  absl::Status s = OpenPostgresEventStore(options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  auto schemas = server_->Query(database_,
                                "SELECT count(*) FROM pg_namespace WHERE nspname = 'omniroute'");
  ASSERT_TRUE(schemas.ok());
  EXPECT_EQ((*schemas)[0][0], "0");  // Nothing was created.
}

TEST_F(PostgresEventStoreTest, ASchemaHoldingOtherTablesIsRefusedAndLeftAlone) {
  Exec("CREATE SCHEMA omniroute; CREATE TABLE omniroute.invoices (id int); "
       "INSERT INTO omniroute.invoices VALUES (7)");
  absl::Status s = OpenPostgresEventStore(Options()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("no omniroute event store"));
  auto rows = server_->Query(database_, "SELECT id FROM omniroute.invoices");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0][0], "7");
}

TEST_F(PostgresEventStoreTest, ANewerSchemaVersionIsRefusedAndLeftAlone) {
  ASSERT_NE(MustOpen(Options()), nullptr);
  Exec("UPDATE omniroute.schema_version SET version = 99");
  absl::Status s = OpenPostgresEventStore(Options()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), AllOf(HasSubstr("schema version 99"), HasSubstr("newer omniroute")));
  auto version = server_->Query(database_, "SELECT version FROM omniroute.schema_version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ((*version)[0][0], "99");
}

TEST_F(PostgresEventStoreTest, ConcurrentOpensCreateTheSchemaOnce) {
  constexpr int kOpeners = 4;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kOpeners);
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] { results[i] = OpenPostgresEventStore(Options()).status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  auto version = server_->Query(database_, "SELECT count(*) FROM omniroute.schema_version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ((*version)[0][0], "1");
}

// ------------------------------------------------------------ damage

TEST_F(PostgresEventStoreTest, AFlippedPayloadByteIsDataLossNamingTenantAndSequence) {
  auto store = MustOpen(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 3)).ok());
  // One bit in the middle of event 2's bytes; its checksum left as it was.
  Exec("UPDATE omniroute.events SET payload = set_byte(payload, length(payload) / 2, "
       "get_byte(payload, length(payload) / 2) # 4) WHERE tenant = 'acme' AND sequence = 2");
  std::vector<uint64_t> seen;
  absl::Status s = store->Read("acme", 1, [&](const Event& e) {
    seen.push_back(e.sequence());
    return true;
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), AllOf(HasSubstr("tenant acme"), HasSubstr("sequence 2"),
                                 HasSubstr("checksum")));
  EXPECT_THAT(seen, ElementsAre(1));  // What came before the damage was read.
}

TEST_F(PostgresEventStoreTest, APayloadUnderTheWrongSequenceAndAMissingEventAreDataLoss) {
  auto store = MustOpen(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 4)).ok());
  // Event 3's bytes and checksum stored as event 2.
  Exec("UPDATE omniroute.events AS e SET payload = o.payload, crc = o.crc FROM omniroute.events "
       "AS o WHERE e.tenant = 'acme' AND e.sequence = 2 AND o.tenant = 'acme' AND o.sequence = 3");
  absl::Status s = store->Read("acme", 1, [](const Event&) { return true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("the stored payload is event 3"));

  Exec("DELETE FROM omniroute.events WHERE tenant = 'acme' AND sequence = 2");
  s = store->Read("acme", 1, [](const Event&) { return true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), AllOf(HasSubstr("sequence 2"), HasSubstr("missing")));
}

TEST_F(PostgresEventStoreTest, ADamagedSnapshotIsDataLoss) {
  auto store = MustOpen(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 2)).ok());
  ASSERT_TRUE(store->SaveSnapshot("acme", 2, "a state of two events").ok());
  Exec("UPDATE omniroute.snapshots SET state = set_byte(state, 3, 0) WHERE tenant = 'acme'");
  absl::Status s = store->LoadSnapshot("acme").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("tenant acme"));
}

// ------------------------------------------------------------ writers

TEST_F(PostgresEventStoreTest, TwoStoresOnOneDatabaseKeepATenantsLogContiguous) {
  // Two nodes racing for one tenant: the check inside the transaction and
  // the primary key let exactly one of them store each sequence.
  auto first = MustOpen(Options());
  auto second = MustOpen(Options());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  constexpr uint64_t kTotal = 200;
  std::vector<std::thread> threads;
  for (EventStore* store : {static_cast<EventStore*>(first.get()), static_cast<EventStore*>(second.get())}) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([store] {
        for (;;) {
          absl::StatusOr<uint64_t> last = store->LastSequence("shared");
          EXPECT_TRUE(last.ok()) << last.status();
          if (!last.ok() || *last >= kTotal) return;
          absl::Status s = store->Append("shared", MakeEvents("shared", *last + 1, *last + 3));
          // Losing the race is the only failure allowed.
          EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kFailedPrecondition) << s;
        }
      });
    }
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<Event> events = ReadAll(*first, "shared");
  ASSERT_GE(events.size(), kTotal);
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].sequence(), i + 1);
}

TEST_F(PostgresEventStoreTest, QueuedAppendsShareOneCommitAndKeepTheirOwnResults) {
  auto store = MustOpen(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("c", MakeEvents("c", 1, 1)).ok());
  const store::PostgresStoreStats before = store->Stats();
  // Four appends in one group; the one for "c" does not continue its log.
  store->HoldNextLeaderForTesting(4);
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  const std::vector<std::string> tenants = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const uint64_t first = tenants[i] == "c" ? 5 : 1;
      results[i] = store->Append(tenants[i], MakeEvents(tenants[i], first, first + 1));
    });
  }
  for (std::thread& thread : threads) thread.join();
  const store::PostgresStoreStats after = store->Stats();
  EXPECT_EQ(after.commits - before.commits, 1);
  EXPECT_EQ(after.largest_group, 4);
  for (int i = 0; i < 4; ++i) {
    if (tenants[i] == "c") {
      EXPECT_EQ(results[i].code(), absl::StatusCode::kFailedPrecondition) << results[i];
    } else {
      EXPECT_TRUE(results[i].ok()) << tenants[i] << ": " << results[i];
      EXPECT_THAT(Sequences(ReadAll(*store, tenants[i])), ElementsAre(1, 2));
    }
  }
  EXPECT_THAT(Sequences(ReadAll(*store, "c")), ElementsAre(1));
}

TEST_F(PostgresEventStoreTest, AWriteTheDatabaseRefusesFailsAloneInItsGroup) {
  // A group is written by a few statements taking arrays; one row the
  // database refuses (text that is not UTF-8) fails that statement, and the
  // group is written again one write at a time, so only its own write fails.
  // The other names and bytes go through the arrays as they are: quotes,
  // commas, braces, backslashes, a NUL in a bytea.
  auto store = MustOpen(Options());
  ASSERT_NE(store, nullptr);
  const std::string odd_tenant = "t,\"{q}\"\\ \xc3\xa9";
  const std::string odd_external_id = std::string("ext,{\"}\\", 9) + std::string(1, '\0') + "z";
  Event message = MakeEvent(odd_tenant, 1);
  v1::MessageRecorded* recorded = message.mutable_message_recorded();
  recorded->set_message_id(77);
  recorded->set_conversation_id(5);
  recorded->set_channel(v1::CHANNEL_EMAIL);
  recorded->set_external_id(odd_external_id);
  const std::vector<std::string> tenants = {"a", "b\xff", odd_tenant, "d"};
  const store::PostgresStoreStats before = store->Stats();
  store->HoldNextLeaderForTesting(4);
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      results[i] = tenants[i] == odd_tenant
                       ? store->Append(odd_tenant, {message})
                       : store->Append(tenants[i], MakeEvents(tenants[i], 1, 2));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store->Stats().commits - before.commits, 1);
  for (int i = 0; i < 4; ++i) {
    if (i == 1) {
      EXPECT_FALSE(results[i].ok());
    } else {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    }
  }
  EXPECT_THAT(Sequences(ReadAll(*store, "a")), ElementsAre(1, 2));
  EXPECT_THAT(Sequences(ReadAll(*store, "d")), ElementsAre(1, 2));
  std::vector<Event> odd = ReadAll(*store, odd_tenant);
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].message_recorded().external_id(), odd_external_id);
  auto found = store->FindMessageByExternalId(odd_tenant, v1::CHANNEL_EMAIL, odd_external_id);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id.value(), 77u);
  EXPECT_EQ((*found)->conversation.value(), 5u);
  auto tenants_stored = store->ListTenants();
  ASSERT_TRUE(tenants_stored.ok()) << tenants_stored.status();
  EXPECT_THAT(*tenants_stored, testing::UnorderedElementsAre("a", "d", odd_tenant));
}

TEST_F(PostgresEventStoreTest, AppendsGoOnAfterTheServerDropsTheConnections) {
  auto store = MustOpen(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append("acme", MakeEvents("acme", 1, 2)).ok());
  ASSERT_EQ(*store->LastSequence("acme"), 2u);
  // As a server restart or a failover would: every session of the database
  // but the one asking is ended.
  Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
       "AND pid <> pg_backend_pid()");
  // Each connection reconnects at its next use.
  absl::StatusOr<uint64_t> last = store->LastSequence("acme");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 2u);
  absl::Status s = store->Append("acme", MakeEvents("acme", 3, 3));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(Sequences(ReadAll(*store, "acme")), ElementsAre(1, 2, 3));
}

}  // namespace
}  // namespace omniroute
