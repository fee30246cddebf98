// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine writes before it acknowledges: when the store refuses a
// command's events, the command fails with the store's status and the tenant
// shows exactly what was stored before.

#include <memory>
#include <optional>
#include <string>

#include "engine/engine_test_helpers.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "store/forwarding_event_store.h"

namespace omniroute {
namespace {

using testing_internal::Email;
using testing_internal::EmailMessage;
using testing_internal::PublicPost;
namespace v1 = ::omniroute::v1;

// A real memory store with switches that make its appends or reads fail, as
// a full disk or a lost connection would.
class FlakyStore final : public testing_internal::ForwardingEventStore {
 public:
  absl::Status Append(absl::string_view tenant_id,
                      absl::Span<const v1::Event> events) override {
    if (fail_appends) return absl::UnavailableError("disk full");
    return inner().Append(tenant_id, events);
  }
  absl::Status Read(absl::string_view tenant_id, uint64_t from_sequence,
                    const std::function<bool(const v1::Event&)>& visitor) const override {
    if (fail_reads) return absl::UnavailableError("device gone");
    return inner().Read(tenant_id, from_sequence, visitor);
  }
  absl::StatusOr<Snapshot> LoadSnapshot(absl::string_view tenant_id) const override {
    if (fail_reads) return absl::UnavailableError("device gone");
    return inner().LoadSnapshot(tenant_id);
  }
  absl::StatusOr<std::vector<StoredMessage>> ReadConversationMessages(
      absl::string_view tenant_id, ConversationId conversation,
      std::optional<MessageCursor> after, size_t limit) const override {
    if (fail_reads) return absl::UnavailableError("device gone");
    return inner().ReadConversationMessages(tenant_id, conversation, after, limit);
  }
  absl::StatusOr<StoredMessage> ReadMessage(absl::string_view tenant_id,
                                            MessageId message) const override {
    if (fail_reads) return absl::UnavailableError("device gone");
    return inner().ReadMessage(tenant_id, message);
  }
  absl::StatusOr<std::optional<MessageLocation>> FindMessageByExternalId(
      absl::string_view tenant_id, Channel channel,
      absl::string_view external_id) const override {
    if (fail_reads) return absl::UnavailableError("device gone");
    return inner().FindMessageByExternalId(tenant_id, channel, external_id);
  }
  absl::StatusOr<std::optional<MessageLocation>> FindLatestMessageByThreadKey(
      absl::string_view tenant_id, Channel channel, absl::string_view thread_key) const override {
    if (fail_reads) return absl::UnavailableError("device gone");
    return inner().FindLatestMessageByThreadKey(tenant_id, channel, thread_key);
  }

  bool fail_appends = false;
  bool fail_reads = false;

 private:
};

class StoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Open({.clock = &clock_, .store = &store_});
    ASSERT_TRUE(engine.ok());
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant("acme", {}).ok());
    auto post = engine_->IngestMessage("acme", PublicPost("x", "ann", "p1"));
    ASSERT_TRUE(post.ok());
    post_ = *post;
  }

  ManualClock clock_;
  FlakyStore store_;
  std::unique_ptr<Engine> engine_;
  IngestResult post_;
};

TEST_F(StoreFailureTest, RefusedAppendFailsTheCommandAndChangesNothing) {
  const std::string before = *engine_->DumpState("acme");
  store_.fail_appends = true;
  // A command of several events (new customer, identity, conversation,
  // message) and commands of one.
  auto ingest = engine_->IngestMessage("acme", EmailMessage("bob@example.com", "e1"));
  EXPECT_EQ(ingest.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(ingest.status().message().find("disk full"), std::string::npos);
  EXPECT_EQ(engine_->LinkIdentity("acme", post_.customer, Email("ann@example.com"),
                                  Actor::Agent("a"))
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(engine_->Handoff("acme", post_.conversation, v1::CHANNEL_PRIVATE_SOCIAL, "dm",
                             Actor::Agent("a"))
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(*engine_->DumpState("acme"), before);
  EXPECT_EQ(*engine_->LastSequence("acme"), *store_.LastSequence("acme"));

  // Once the store takes writes again, the same commands go through, with
  // the ids they would have had.
  store_.fail_appends = false;
  auto retried = engine_->IngestMessage("acme", EmailMessage("bob@example.com", "e1"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->customer, CustomerId(2));
  EXPECT_EQ(retried->conversation, ConversationId(2));
  EXPECT_EQ(*engine_->LastSequence("acme"), *store_.LastSequence("acme"));
}

TEST_F(StoreFailureTest, TenantThatCannotBeReadBackAnswersUnavailableUntilTheStoreIsBack) {
  store_.fail_appends = true;
  store_.fail_reads = true;
  // A command that reads nothing from the store: its append fails, and so
  // does reading the tenant back.
  EXPECT_EQ(engine_
                ->Handoff("acme", post_.conversation, v1::CHANNEL_PRIVATE_SOCIAL, "dm",
                          Actor::Agent("a"))
                .code(),
            absl::StatusCode::kUnavailable);
  // An ingest cannot even look for earlier messages.
  EXPECT_EQ(engine_->IngestMessage("acme", EmailMessage("bob@example.com", "e1")).status().code(),
            absl::StatusCode::kUnavailable);
  // The tenant cannot prove what it holds, so it answers nothing; each call
  // tries to read it again, and fails while the store does.
  auto read = engine_->GetConversation("acme", post_.conversation);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(read.status().message().find("could not be read back"), std::string::npos);
  EXPECT_EQ(engine_->GetConversation("acme", post_.conversation).status().code(),
            absl::StatusCode::kUnavailable);

  // Once the store is back (a database restarted), the next call reads the
  // tenant again and is answered, with every acknowledged event and nothing
  // of the failed commands; later commands go through.
  store_.fail_appends = false;
  store_.fail_reads = false;
  auto conversation = engine_->GetConversation("acme", post_.conversation);
  ASSERT_TRUE(conversation.ok()) << conversation.status();
  EXPECT_EQ(conversation->message_count, 1);
  EXPECT_EQ(*engine_->LastSequence("acme"), *store_.LastSequence("acme"));
  auto ingest = engine_->IngestMessage("acme", EmailMessage("bob@example.com", "e1"));
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  EXPECT_FALSE(ingest->duplicate);

  // A reopened engine has the same state.
  auto reopened = Engine::Open({.clock = &clock_, .store = &store_});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->DumpState("acme"), *engine_->DumpState("acme"));
}

}  // namespace
}  // namespace omniroute
