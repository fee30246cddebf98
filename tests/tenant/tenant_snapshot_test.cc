// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Restoring a tenant from a snapshot (lib/tenant/tenant_snapshot.cc and the
// core's part in lib/core/snapshot.cc): a large snapshot, whose routing part
// is parsed and rebuilt on a second thread, gives the state a fold of the
// log gives; damaged bytes give DATA_LOSS, never a half-built state; the
// consistency checks hold whether the ids are dense or sparse.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/snapshot.pb.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "acme";

// Enough waiting tasks that the routing part is worth a thread of its own
// (tenant_snapshot.cc: 10,000 records, judged as 600,000 bytes).
constexpr int kCustomers = 14'000;

InboundMessage Mail(int who, int n) {
  InboundMessage m;
  m.channel = v1::CHANNEL_EMAIL;
  m.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("customer", who, "@example.com")};
  m.external_id = absl::StrCat("m-", who, "-", n);
  m.body = "Where is my parcel?";
  return m;
}

class LargeSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant(kTenant, {}).ok());
    for (int i = 0; i < kCustomers; ++i) {
      auto r = engine_->IngestMessage(kTenant, Mail(i, 1));
      ASSERT_TRUE(r.ok()) << r.status();
      // Every tenth conversation gets a second message, every seventh is
      // closed: closed ones are archivable, the others wait for an agent.
      if (i % 10 == 0) ASSERT_TRUE(engine_->IngestMessage(kTenant, Mail(i, 2)).ok());
      if (i % 7 == 0) {
        ASSERT_TRUE(engine_
                        ->SetConversationStatus(kTenant, r->conversation,
                                                v1::CONVERSATION_STATUS_CLOSED, Actor::Agent("a1"))
                        .ok());
      }
      clock_.Advance(absl::Seconds(1));
    }
    // Two customers merged: a merge record and its pinned conversations.
    ASSERT_TRUE(
        engine_->MergeCustomers(kTenant, CustomerId(1), CustomerId(8), Actor::Agent("a1")).ok());

    ASSERT_TRUE(store_
                    ->Read(kTenant, 1,
                           [&](const v1::Event& e) {
                             return folded_.Apply(e).ok();
                           })
                    .ok());
    ASSERT_EQ(folded_.last_sequence(), *engine_->LastSequence(kTenant));
    folded_.ToSnapshot(&proto_);
    ASSERT_TRUE(proto_.SerializeToString(&bytes_));
  }

  ManualClock clock_;
  std::unique_ptr<EventStore> store_ = NewMemoryEventStore();
  std::unique_ptr<Engine> engine_;
  tenant::TenantState folded_{kTenant};
  v1::TenantSnapshot proto_;
  std::string bytes_;
};

TEST_F(LargeSnapshotTest, RestoredFromBytesItEqualsTheFoldOfTheLog) {
  // The parallel path is the one under test.
  ASSERT_GE(proto_.routing().ByteSizeLong(), 600'000u);
  ASSERT_GE(proto_.routing().tasks_size(), kCustomers);

  absl::StatusOr<tenant::TenantState> restored = tenant::TenantState::FromSerializedSnapshot(bytes_);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->last_sequence(), folded_.last_sequence());
  EXPECT_EQ(tenant::DumpState(*restored), tenant::DumpState(folded_));
  EXPECT_EQ(tenant::DumpState(*restored), *engine_->DumpState(kTenant));
  // And from the parsed proto, on the other path.
  absl::StatusOr<tenant::TenantState> from_proto = tenant::TenantState::FromSnapshot(proto_);
  ASSERT_TRUE(from_proto.ok()) << from_proto.status();
  EXPECT_EQ(tenant::DumpState(*from_proto), tenant::DumpState(folded_));
}

// Format 3: the same snapshot with its message records listed as
// MessageRecords and its customers' creation times as Timestamps, as
// version 3 wrote them.
v1::TenantSnapshot AsVersion3(const v1::TenantSnapshot& v4, const tenant::TenantState& state) {
  v1::TenantSnapshot v3 = v4;
  v3.set_format_version(3);
  v3.clear_message_columns();
  for (v1::CustomerRecord& customer : *v3.mutable_customers()) {
    const absl::Time created_at = absl::FromUnixNanos(customer.created_at_ns());
    customer.clear_created_at_ns();
    customer.mutable_created_at()->set_seconds(absl::ToUnixSeconds(created_at));
    customer.mutable_created_at()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(
        created_at - absl::FromUnixSeconds(absl::ToUnixSeconds(created_at)))));
  }
  for (const core::MessageState* m : state.core().MessagesById()) {
    core::MessageToRecord(*m, v3.add_messages());
  }
  return v3;
}

TEST_F(LargeSnapshotTest, MessagesAreWrittenInColumnsInFewerBytes) {
  EXPECT_EQ(proto_.customers(0).has_created_at(), false);
  EXPECT_NE(proto_.customers(0).created_at_ns(), 0);
  const size_t messages = folded_.core().MessagesById().size();
  ASSERT_GT(messages, static_cast<size_t>(kCustomers));
  EXPECT_EQ(proto_.format_version(), 4u);
  EXPECT_EQ(proto_.messages_size(), 0);
  EXPECT_EQ(static_cast<size_t>(proto_.message_columns().id_deltas_size()), messages);
  const v1::TenantSnapshot v3 = AsVersion3(proto_, folded_);
  v1::TenantSnapshot columns_only;
  *columns_only.mutable_message_columns() = proto_.message_columns();
  v1::TenantSnapshot records_only;
  *records_only.mutable_messages() = v3.messages();
  EXPECT_LT(columns_only.ByteSizeLong(), records_only.ByteSizeLong());
}

TEST_F(LargeSnapshotTest, AVersion3SnapshotWithMessageRecordsRestoresTheSameState) {
  const v1::TenantSnapshot v3 = AsVersion3(proto_, folded_);
  absl::StatusOr<tenant::TenantState> from_proto = tenant::TenantState::FromSnapshot(v3);
  ASSERT_TRUE(from_proto.ok()) << from_proto.status();
  EXPECT_EQ(tenant::DumpState(*from_proto), tenant::DumpState(folded_));
  std::string bytes;
  ASSERT_TRUE(v3.SerializeToString(&bytes));
  absl::StatusOr<tenant::TenantState> from_bytes =
      tenant::TenantState::FromSerializedSnapshot(bytes);
  ASSERT_TRUE(from_bytes.ok()) << from_bytes.status();
  EXPECT_EQ(tenant::DumpState(*from_bytes), tenant::DumpState(folded_));
}

TEST_F(LargeSnapshotTest, DamagedMessageColumnsAreDataLoss) {
  auto expect_data_loss = [](const v1::TenantSnapshot& bad, absl::string_view why) {
    absl::StatusOr<tenant::TenantState> restored = tenant::TenantState::FromSnapshot(bad);
    EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss) << why;
  };
  {
    v1::TenantSnapshot bad = proto_;
    bad.mutable_message_columns()->mutable_channels()->RemoveLast();
    expect_data_loss(bad, "a column shorter than the ids");
  }
  {
    v1::TenantSnapshot bad = proto_;
    bad.mutable_message_columns()->add_sender_fingerprints(7);
    expect_data_loss(bad, "a column longer than the ids");
  }
  {
    v1::TenantSnapshot bad = proto_;
    bad.mutable_message_columns()->set_id_deltas(5, 0);
    expect_data_loss(bad, "two messages with one id");
  }
  {
    v1::TenantSnapshot bad = proto_;
    bad.mutable_message_columns()->set_conversation_ids(9, bad.next_conversation_id() + 3);
    expect_data_loss(bad, "a message of a conversation not listed");
  }
  {
    v1::TenantSnapshot bad = proto_;
    bad.mutable_message_columns()->set_origin_conversation_ids(9, 0);
    expect_data_loss(bad, "a message without an origin");
  }
  {
    v1::TenantSnapshot bad = AsVersion3(proto_, folded_);
    *bad.mutable_message_columns() = proto_.message_columns();
    expect_data_loss(bad, "messages listed twice");
  }
}

TEST_F(LargeSnapshotTest, ADanglingReferenceIsFoundWhileTheCustomersAreBuiltBeside) {
  ASSERT_GE(proto_.customers_size(), 10'000);  // built on a thread of their own
  // Among the customers (their thread's error)...
  v1::TenantSnapshot bad = proto_;
  bad.mutable_customers(kCustomers - 5)->add_conversation_ids(bad.next_conversation_id() + 5);
  absl::StatusOr<tenant::TenantState> restored = tenant::TenantState::FromSnapshot(bad);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(restored.status().message()),
              ::testing::HasSubstr("dangling conversation id"));
  // ... and among the conversations, while the customers' thread runs.
  bad = proto_;
  bad.mutable_conversations(3)->set_customer_id(10'000'000);
  restored = tenant::TenantState::FromSnapshot(bad);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(restored.status().message()),
              ::testing::HasSubstr("dangling id in a conversation"));
  // Two customers claiming one identity.
  bad = proto_;
  *bad.mutable_customers(kCustomers - 1)->add_identities() = bad.customers(2).identities(0);
  restored = tenant::TenantState::FromSnapshot(bad);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(restored.status().message()),
              ::testing::HasSubstr("an identity belongs to two customers"));
}

TEST_F(LargeSnapshotTest, TruncatedBytesAreDataLoss) {
  for (size_t keep : {bytes_.size() - 1, bytes_.size() / 2, size_t{3}}) {
    absl::StatusOr<tenant::TenantState> restored =
        tenant::TenantState::FromSerializedSnapshot(absl::string_view(bytes_).substr(0, keep));
    EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss) << "first " << keep << " bytes";
  }
}

TEST_F(LargeSnapshotTest, ADamagedRoutingPartIsDataLoss) {
  // The routing field is framed correctly but its payload is not a
  // RoutingSnapshot.
  v1::TenantSnapshot without_routing = proto_;
  without_routing.clear_routing();
  std::string damaged;
  ASSERT_TRUE(without_routing.SerializeToString(&damaged));
  std::string payload;
  ASSERT_TRUE(proto_.routing().SerializeToString(&payload));
  payload.push_back('\x07');  // field 0, wire type 7: neither exists
  // The field: tag 9, length, payload.
  damaged.push_back(static_cast<char>((v1::TenantSnapshot::kRoutingFieldNumber << 3) | 2));
  uint64_t length = payload.size();
  while (length >= 0x80) {
    damaged.push_back(static_cast<char>((length & 0x7f) | 0x80));
    length >>= 7;
  }
  damaged.push_back(static_cast<char>(length));
  damaged += payload;
  absl::StatusOr<tenant::TenantState> restored = tenant::TenantState::FromSerializedSnapshot(damaged);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss) << restored.status();
}

TEST_F(LargeSnapshotTest, ARoutingFieldGivenTwiceIsReadAsProtobufReadsIt) {
  // Protobuf merges a repeated message field; the split read must not take
  // one of the two and drop the other. Merged, the task ids repeat: the
  // same refusal either way.
  std::string routing_field;
  v1::TenantSnapshot routing_only;
  *routing_only.mutable_routing() = proto_.routing();
  ASSERT_TRUE(routing_only.SerializeToString(&routing_field));
  const std::string twice = bytes_ + routing_field;
  v1::TenantSnapshot parsed;
  ASSERT_TRUE(parsed.ParseFromString(twice));
  const absl::StatusCode expected = tenant::TenantState::FromSnapshot(parsed).status().code();
  EXPECT_EQ(expected, absl::StatusCode::kDataLoss);
  EXPECT_EQ(tenant::TenantState::FromSerializedSnapshot(twice).status().code(), expected);
}

TEST_F(LargeSnapshotTest, AnUnknownFormatVersionIsRefusedOnTheSplitPathToo) {
  proto_.set_format_version(99);
  ASSERT_TRUE(proto_.SerializeToString(&bytes_));
  EXPECT_EQ(tenant::TenantState::FromSerializedSnapshot(bytes_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A handmade snapshot: one customer with the conversations `ids`.
v1::TenantSnapshot WithConversations(std::initializer_list<uint64_t> ids) {
  v1::TenantSnapshot proto;
  proto.set_format_version(3);
  proto.set_tenant_id(kTenant);
  proto.mutable_routing()->set_next_task_id(1);
  proto.mutable_routing()->set_next_commitment_id(1);
  auto* customer = proto.add_customers();
  customer->set_id(1);
  uint64_t last = 0;
  for (uint64_t id : ids) {
    auto* c = proto.add_conversations();
    c->set_id(id);
    c->set_customer_id(1);
    c->set_status(v1::CONVERSATION_STATUS_OPEN);
    customer->add_conversation_ids(id);
    last = id;
  }
  proto.set_next_conversation_id(last + 1);
  proto.set_next_message_id(1);
  return proto;
}

TEST(SnapshotIdChecksTest, DenseIdsAreCheckedExactly) {
  v1::TenantSnapshot proto = WithConversations({1, 2, 3, 5});
  ASSERT_TRUE(tenant::TenantState::FromSnapshot(proto).ok());
  for (uint64_t dangling : {4, 6, 0, 64, 1000}) {
    v1::TenantSnapshot bad = proto;
    bad.mutable_customers(0)->add_conversation_ids(dangling);
    EXPECT_EQ(tenant::TenantState::FromSnapshot(bad).status().code(), absl::StatusCode::kDataLoss)
        << "conversation " << dangling;
  }
}

TEST(SnapshotIdChecksTest, SparseIdsAreCheckedExactly) {
  // Too far apart for a bitmap: a binary search instead.
  v1::TenantSnapshot proto = WithConversations({7, 1'000'000, 40'000'000'000});
  ASSERT_TRUE(tenant::TenantState::FromSnapshot(proto).ok());
  for (uint64_t dangling : {uint64_t{6}, uint64_t{8}, uint64_t{999'999}, uint64_t{39'999'999'999}}) {
    v1::TenantSnapshot bad = proto;
    bad.mutable_customers(0)->add_conversation_ids(dangling);
    EXPECT_EQ(tenant::TenantState::FromSnapshot(bad).status().code(), absl::StatusCode::kDataLoss)
        << "conversation " << dangling;
  }
}

TEST(SnapshotIdChecksTest, ConversationsOutOfOrderAreRefused) {
  v1::TenantSnapshot proto = WithConversations({1, 3, 2});
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(), absl::StatusCode::kDataLoss);
  proto = WithConversations({1, 2, 2});
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SnapshotIdChecksTest, AMessageOfAnUnlistedConversationIsRefused) {
  v1::TenantSnapshot proto = WithConversations({1, 2});
  proto.set_next_message_id(2);
  auto* m = proto.add_messages();
  m->set_id(1);
  m->set_conversation_id(2);
  m->set_origin_conversation_id(2);
  proto.mutable_conversations(1)->add_message_ids(1);
  ASSERT_TRUE(tenant::TenantState::FromSnapshot(proto).ok());
  m->set_conversation_id(3);
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(), absl::StatusCode::kDataLoss);
  m->set_conversation_id(2);
  proto.mutable_conversations(0)->add_message_ids(9);  // not a listed message
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(), absl::StatusCode::kDataLoss);
}

// A message recorded after 2262 (events carry any year up to 9999): the
// columns count nanoseconds in 64 bits and cannot hold its time, so the
// snapshot lists the messages as records, and restores the same state.
TEST(SnapshotMessageTimesTest, ATimeBeyondTheColumnsIsWrittenAsARecord) {
  ManualClock clock;
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  auto engine = Engine::Open({.clock = &clock, .store = store.get()});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant(kTenant, {}).ok());
  ASSERT_TRUE((*engine)->IngestMessage(kTenant, Mail(1, 1)).ok());
  ASSERT_TRUE((*engine)->IngestMessage(kTenant, Mail(1, 2)).ok());
  // The log, with the second message's event moved to the year 2970.
  std::vector<v1::Event> events;
  ASSERT_TRUE(store->Read(kTenant, 1, [&](const v1::Event& e) {
                     events.push_back(e);
                     return true;
                   }).ok());
  int recorded = 0;
  for (v1::Event& e : events) {
    if (e.has_message_recorded() && ++recorded == 2) e.mutable_time()->set_seconds(31556889600);
  }
  ASSERT_EQ(recorded, 2);
  tenant::TenantState folded(kTenant);
  for (const v1::Event& e : events) ASSERT_TRUE(folded.Apply(e).ok());

  v1::TenantSnapshot proto;
  folded.ToSnapshot(&proto);
  EXPECT_EQ(proto.message_columns().id_deltas_size(), 0);
  ASSERT_EQ(proto.messages_size(), 2);
  EXPECT_GT(proto.messages(1).recorded_at().seconds(),
            absl::ToUnixSeconds(absl::FromUnixNanos(std::numeric_limits<int64_t>::max())));
  std::string bytes;
  ASSERT_TRUE(proto.SerializeToString(&bytes));
  absl::StatusOr<tenant::TenantState> restored = tenant::TenantState::FromSerializedSnapshot(bytes);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(tenant::DumpState(*restored), tenant::DumpState(folded));
}

}  // namespace
}  // namespace omniroute
