// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// EventStore::RedactCustomer, the same contract over every store: the events
// that carry the erased customers' data are rewritten (names emptied,
// identities replaced by consistent placeholders, messages emptied), their
// keys leave the message index, older snapshots go, other customers' events
// stay byte for byte, a second redaction changes nothing, and the erasure is
// listed until its redaction is done. Then what each durable store promises
// of its files: SQLite's redacted events survive a reopen; PostgreSQL's
// table files keep no byte of the erased data.

#include <libpq-fe.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/postgres_test_server.h"
#include "store/sqlite_test_files.h"
#include "store/store_kinds.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::v1::Event;
using ::testing::IsEmpty;

constexpr char kTenant[] = "acme";

v1::Identity MakeIdentity(v1::IdentityKind kind, const std::string& value) {
  v1::Identity identity;
  identity.set_kind(kind);
  identity.set_value(value);
  return identity;
}

// The log of a tenant where customer 3 was merged into customer 1, and
// customer 1 (with 3) was then erased; customer 2 stays.
std::vector<Event> Log() {
  std::vector<Event> events;
  auto next = [&]() -> Event& {
    Event& e = events.emplace_back();
    e.set_sequence(events.size());
    e.set_tenant_id(kTenant);
    e.mutable_time()->set_seconds(1767225600 + static_cast<int64_t>(events.size()));
    return e;
  };
  const v1::Identity ann = MakeIdentity(v1::IDENTITY_KIND_EMAIL, "ann@example.com");
  const v1::Identity bob = MakeIdentity(v1::IDENTITY_KIND_EMAIL, "bob@example.com");
  const v1::Identity cy = MakeIdentity(v1::IDENTITY_KIND_PHONE, "+33612345678");
  {
    auto* e = next().mutable_customer_created();  // 1
    e->set_customer_id(1);
    e->set_display_name("Ann Marker");
    e->set_language("fr");
  }
  {
    auto* e = next().mutable_identity_linked();  // 2
    e->set_customer_id(1);
    *e->mutable_identity() = ann;
  }
  {
    auto* e = next().mutable_customer_created();  // 3
    e->set_customer_id(2);
    e->set_display_name("Bob Keeper");
  }
  {
    auto* e = next().mutable_identity_linked();  // 4
    e->set_customer_id(2);
    *e->mutable_identity() = bob;
  }
  {
    auto* e = next().mutable_conversation_opened();  // 5
    e->set_conversation_id(1);
    e->set_customer_id(1);
    e->set_channel(v1::CHANNEL_EMAIL);
  }
  {
    auto* e = next().mutable_message_recorded();  // 6
    e->set_message_id(1);
    e->set_conversation_id(1);
    e->set_channel(v1::CHANNEL_EMAIL);
    e->set_direction(v1::DIRECTION_INBOUND);
    e->set_body("ann-body-marker");
    *e->mutable_sender() = ann;
    e->set_external_id("e-ann");
    e->set_thread_key("t-ann");
    e->add_references("r-ann");
    e->add_tags("tag-ann");
  }
  {
    auto* e = next().mutable_conversation_opened();  // 7
    e->set_conversation_id(2);
    e->set_customer_id(2);
    e->set_channel(v1::CHANNEL_EMAIL);
  }
  {
    auto* e = next().mutable_message_recorded();  // 8
    e->set_message_id(2);
    e->set_conversation_id(2);
    e->set_channel(v1::CHANNEL_EMAIL);
    e->set_direction(v1::DIRECTION_INBOUND);
    e->set_body("bob-body-marker");
    *e->mutable_sender() = bob;
    e->set_external_id("e-bob");
    e->set_thread_key("t-bob");
  }
  {
    auto* e = next().mutable_customer_created();  // 9
    e->set_customer_id(3);
    e->set_display_name("Cy Marker");
  }
  {
    auto* e = next().mutable_identity_linked();  // 10
    e->set_customer_id(3);
    *e->mutable_identity() = cy;
  }
  {
    auto* e = next().mutable_customers_merged();  // 11
    e->set_survivor_id(1);
    e->set_absorbed_id(3);
    *e->add_moved_identities() = cy;
    *e->mutable_linked_identity() = cy;
  }
  {
    auto* e = next().mutable_customer_erased();  // 12
    e->set_customer_id(1);
    e->add_erased_with_customer_ids(3);
    e->add_conversation_ids(1);
  }
  return events;
}

EventStore::CustomerRedaction Redaction() {
  EventStore::CustomerRedaction r;
  r.customers = {CustomerId(1), CustomerId(3)};
  r.conversations = {ConversationId(1)};
  r.erased_at_sequence = 12;
  return r;
}

std::vector<Event> ReadAll(const EventStore& store) {
  std::vector<Event> out;
  absl::Status s = store.Read(kTenant, 1, [&](const Event& e) {
    out.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

class CustomerRedactionTest : public ::testing::TestWithParam<testing_internal::StoreKind> {
 protected:
  void SetUp() override {
    store_ = testing_internal::OpenEmptyStore(GetParam(), dir_, Durability::kSyncEachCommit);
    ASSERT_NE(store_, nullptr);
    log_ = Log();
    ASSERT_TRUE(store_->Append(kTenant, log_).ok());
  }

  testing_internal::ScratchDir dir_;
  std::unique_ptr<EventStore> store_;
  std::vector<Event> log_;
};

TEST_P(CustomerRedactionTest, RewritesTheErasedCustomersEventsAndNothingElse) {
  ASSERT_TRUE(store_->SaveSnapshot(kTenant, 11, "state with Ann Marker").ok());
  ASSERT_TRUE(store_->RedactCustomer(kTenant, Redaction()).ok());

  const std::vector<Event> after = ReadAll(*store_);  // CRCs checked by the read.
  ASSERT_EQ(after.size(), log_.size());
  EXPECT_EQ(after[0].customer_created().display_name(), "");
  EXPECT_EQ(after[0].customer_created().language(), "");
  EXPECT_EQ(after[1].identity_linked().identity().value(), "erased:1:1");
  EXPECT_EQ(after[1].identity_linked().identity().kind(), v1::IDENTITY_KIND_EMAIL);
  const auto& message = after[5].message_recorded();
  EXPECT_EQ(message.body(), "");
  EXPECT_EQ(message.external_id(), "");
  EXPECT_EQ(message.thread_key(), "");
  EXPECT_THAT(message.references(), IsEmpty());
  EXPECT_THAT(message.tags(), IsEmpty());
  // The same identity gets the same placeholder everywhere.
  EXPECT_EQ(message.sender().value(), "erased:1:1");
  EXPECT_EQ(after[8].customer_created().display_name(), "");
  EXPECT_EQ(after[9].identity_linked().identity().value(), "erased:3:1");
  EXPECT_EQ(after[10].customers_merged().moved_identities(0).value(), "erased:3:1");
  EXPECT_EQ(after[10].customers_merged().linked_identity().value(), "erased:3:1");
  // Bob's events, the conversations and the erasure itself are untouched.
  for (int i : {2, 3, 4, 6, 7, 11}) {
    EXPECT_EQ(after[i].SerializeAsString(), log_[i].SerializeAsString()) << "event " << i + 1;
  }

  // The message index forgets the keys; the body read back is empty.
  auto by_key = store_->FindMessageByExternalId(kTenant, v1::CHANNEL_EMAIL, "e-ann");
  ASSERT_TRUE(by_key.ok());
  EXPECT_FALSE(by_key->has_value());
  auto by_thread = store_->FindLatestMessageByThreadKey(kTenant, v1::CHANNEL_EMAIL, "t-ann");
  ASSERT_TRUE(by_thread.ok());
  EXPECT_FALSE(by_thread->has_value());
  auto bob_key = store_->FindMessageByExternalId(kTenant, v1::CHANNEL_EMAIL, "e-bob");
  ASSERT_TRUE(bob_key.ok());
  EXPECT_TRUE(bob_key->has_value());
  auto messages = store_->ReadConversationMessages(kTenant, ConversationId(1), std::nullopt, 10);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].event.message_recorded().body(), "");

  // The snapshot taken before the erasure is gone.
  EXPECT_EQ(store_->LoadSnapshot(kTenant).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(CustomerRedactionTest, ASecondRedactionChangesNothing) {
  ASSERT_TRUE(store_->RedactCustomer(kTenant, Redaction()).ok());
  const std::vector<Event> once = ReadAll(*store_);
  ASSERT_TRUE(store_->SaveSnapshot(kTenant, 12, "state after the erasure").ok());
  ASSERT_TRUE(store_->RedactCustomer(kTenant, Redaction()).ok());
  const std::vector<Event> twice = ReadAll(*store_);
  ASSERT_EQ(once.size(), twice.size());
  for (size_t i = 0; i < once.size(); ++i) {
    EXPECT_EQ(once[i].SerializeAsString(), twice[i].SerializeAsString()) << "event " << i + 1;
  }
  // A snapshot of the state after the erasure holds nothing erased: kept.
  auto snapshot = store_->LoadSnapshot(kTenant);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->sequence, 12u);
}

TEST_P(CustomerRedactionTest, AnUnknownTenantHasNothingToRedact) {
  EXPECT_TRUE(store_->RedactCustomer("nobody", Redaction()).ok());
  EXPECT_THAT(ReadAll(*store_), ::testing::SizeIs(log_.size()));
}

TEST_P(CustomerRedactionTest, AnErasureIsListedUntilItsRedactionReturnsOk) {
  // Listed from the moment its event is stored.
  absl::StatusOr<std::vector<uint64_t>> pending = store_->ListUnredactedErasures(kTenant);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_THAT(*pending, ::testing::ElementsAre(12u));
  pending = store_->ListUnredactedErasures("nobody");
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_THAT(*pending, IsEmpty());
  // A redaction of another customer does not finish it.
  EventStore::CustomerRedaction other = Redaction();
  other.customers = {CustomerId(2)};
  other.conversations = {};
  ASSERT_TRUE(store_->RedactCustomer(kTenant, other).ok());
  pending = store_->ListUnredactedErasures(kTenant);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_THAT(*pending, ::testing::ElementsAre(12u));

  ASSERT_TRUE(store_->RedactCustomer(kTenant, Redaction()).ok());
  pending = store_->ListUnredactedErasures(kTenant);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_THAT(*pending, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Stores, CustomerRedactionTest, testing_internal::AllStoreKinds(),
                         testing_internal::StoreKindName);

TEST(SqliteCustomerRedactionTest, TheRedactedEventsStayReadableAfterAReopen) {
  testing_internal::ScratchDir dir;
  const std::string path = dir.File("events.db");
  {
    auto store = OpenSqliteEventStore({.path = path});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(kTenant, Log()).ok());
    ASSERT_TRUE((*store)->RedactCustomer(kTenant, Redaction()).ok());
  }
  auto store = OpenSqliteEventStore({.path = path, .verify_on_open = true});
  ASSERT_TRUE(store.ok()) << store.status();
  const std::vector<Event> events = ReadAll(**store);
  ASSERT_EQ(events.size(), 12u);
  EXPECT_EQ(events[5].message_recorded().body(), "");
  EXPECT_EQ(events[7].message_recorded().body(), "bob-body-marker");
}

// ------------------------------------------------------------ PostgreSQL

// Every file of the database's directory in the cluster (tables, their TOAST
// and indexes, free space and visibility maps), concatenated, after a
// CHECKPOINT has written every changed page to them and unlinked the files
// that a VACUUM FULL replaced.
std::string DatabaseFiles(testing_internal::PostgresTestServer& server,
                          const std::string& database) {
  EXPECT_TRUE(server.Query(database, "CHECKPOINT").ok());
  auto oid = server.Query(database,
                          "SELECT oid FROM pg_database WHERE datname = current_database()");
  EXPECT_TRUE(oid.ok()) << oid.status();
  if (!oid.ok() || oid->empty()) return "";
  const std::filesystem::path dir =
      std::filesystem::path(server.data_dir()) / "base" / (*oid)[0][0];
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

// Ann's and Cy's data, none of which may be left in the tables once they
// are erased; then Bob's, all of which must stay.
const char* const kErasedMarkers[] = {"ann-body-marker", "ann@example.com", "Ann Marker",
                                      "Cy Marker",       "+33612345678",    "tag-ann",
                                      "snapshot-of-ann"};
const char* const kKeptMarkers[] = {"bob-body-marker", "bob@example.com", "Bob Keeper"};

class PostgresCustomerRedactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing_internal::SharedPostgresServer();
    ASSERT_NE(server_, nullptr);
    absl::StatusOr<std::string> conninfo = server_->CreateDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
    database_ = testing_internal::DatabaseOf(conninfo_);
    auto store = OpenPostgresEventStore({.conninfo = conninfo_});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->Append(kTenant, Log()).ok());
    ASSERT_TRUE(store_->SaveSnapshot(kTenant, 11, "snapshot-of-ann").ok());
  }

  testing_internal::PostgresTestServer* server_ = nullptr;
  std::string conninfo_;
  std::string database_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(PostgresCustomerRedactionTest, NoByteOfTheErasedDataIsLeftInTheTableFiles) {
  // Before: every marker is in the files, so the check below can fail.
  std::string before = DatabaseFiles(*server_, database_);
  for (const char* marker : kErasedMarkers) {
    EXPECT_TRUE(absl::StrContains(before, marker)) << marker << " was never written";
  }

  ASSERT_TRUE(store_->RedactCustomer(kTenant, Redaction()).ok());
  std::string after = DatabaseFiles(*server_, database_);
  for (const char* marker : kErasedMarkers) {
    EXPECT_FALSE(absl::StrContains(after, marker)) << marker << " is still in the table files";
  }
  for (const char* marker : kKeptMarkers) {
    EXPECT_TRUE(absl::StrContains(after, marker)) << marker << " was lost";
  }
  // And the store reads back what it rewrote.
  const std::vector<Event> events = ReadAll(*store_);
  ASSERT_EQ(events.size(), 12u);
  EXPECT_EQ(events[5].message_recorded().body(), "");
  EXPECT_EQ(events[7].message_recorded().body(), "bob-body-marker");
}

TEST_F(PostgresCustomerRedactionTest, AnOlderTransactionKeepsTheErasureListedUntilARetry) {
  // Another session holds a snapshot taken before the rewrite (of nothing of
  // the store's: it locks none of its tables), so the old row versions are
  // still visible to it and VACUUM FULL must keep them.
  PGconn* other = PQconnectdb(conninfo_.c_str());
  ASSERT_EQ(PQstatus(other), CONNECTION_OK) << PQerrorMessage(other);
  PQclear(PQexec(other, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
  PGresult* snapshot = PQexec(other, "SELECT 1");
  ASSERT_EQ(PQresultStatus(snapshot), PGRES_TUPLES_OK) << PQerrorMessage(other);
  PQclear(snapshot);

  absl::Status s = store_->RedactCustomer(kTenant, Redaction());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), ::testing::HasSubstr("older than the rewrite"));
  auto pending = store_->ListUnredactedErasures(kTenant);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_THAT(*pending, ::testing::ElementsAre(12u));
  // The rewrite itself is committed.
  EXPECT_EQ(ReadAll(*store_)[5].message_recorded().body(), "");

  PQclear(PQexec(other, "COMMIT"));
  PQfinish(other);
  // The retry finds nothing left to rewrite, cleans the tables and finishes.
  ASSERT_TRUE(store_->RedactCustomer(kTenant, Redaction()).ok());
  pending = store_->ListUnredactedErasures(kTenant);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_THAT(*pending, IsEmpty());
  std::string after = DatabaseFiles(*server_, database_);
  for (const char* marker : kErasedMarkers) {
    EXPECT_FALSE(absl::StrContains(after, marker)) << marker << " is still in the table files";
  }
}

}  // namespace
}  // namespace omniroute
