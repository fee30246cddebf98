// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// TenantState::Apply, one event type at a time, with hand-built events: what
// each event changes, which indexes it feeds, and which events do not fit
// (DATA_LOSS, state untouched).

#include "tenant/tenant_state.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/fingerprint.h"
#include "core/proto_convert.h"
#include "core/views.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/v1/events.pb.h"
#include "tenant/state_dump.h"

namespace omniroute::tenant {
namespace {

using ::omniroute::core::ConversationState;
using ::omniroute::core::CustomerState;
using ::omniroute::core::IdentityFingerprint;
using ::omniroute::core::MergeRecord;
using ::omniroute::core::MessageState;
using ::omniroute::core::ToProto;
using ::omniroute::v1::Event;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr Channel kEmail = ::omniroute::v1::CHANNEL_EMAIL;
constexpr Channel kChat = ::omniroute::v1::CHANNEL_CHAT;
constexpr Channel kPublic = ::omniroute::v1::CHANNEL_PUBLIC_SOCIAL;
constexpr Channel kPrivate = ::omniroute::v1::CHANNEL_PRIVATE_SOCIAL;
constexpr Channel kVoice = ::omniroute::v1::CHANNEL_VOICE;
constexpr Direction kIn = ::omniroute::v1::DIRECTION_INBOUND;
constexpr Direction kOut = ::omniroute::v1::DIRECTION_OUTBOUND;
constexpr ConversationStatus kOpen = ::omniroute::v1::CONVERSATION_STATUS_OPEN;
constexpr ConversationStatus kPending = ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER;
constexpr ConversationStatus kResolved = ::omniroute::v1::CONVERSATION_STATUS_RESOLVED;
constexpr ConversationStatus kClosed = ::omniroute::v1::CONVERSATION_STATUS_CLOSED;
constexpr ConversationStatus kMerged = ::omniroute::v1::CONVERSATION_STATUS_MERGED;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

Identity Email(absl::string_view value) {
  return Identity{::omniroute::v1::IDENTITY_KIND_EMAIL, "", std::string(value)};
}
Identity Phone(absl::string_view value) {
  return Identity{::omniroute::v1::IDENTITY_KIND_PHONE, "", std::string(value)};
}

// Builds events that continue `state`'s log: each has the next sequence and
// the builder's current time (set with At()).
class EventBuilder {
 public:
  explicit EventBuilder(const TenantState& state) : state_(state) {}

  // (target, source, messages) of a thread merge or a restored thread.
  struct Thread {
    uint64_t target;
    uint64_t source;
    std::vector<uint64_t> messages;
  };
  static void AddThreads(std::initializer_list<Thread> threads,
                         google::protobuf::RepeatedPtrField<::omniroute::v1::ThreadMerge>* out) {
    for (const Thread& t : threads) {
      auto* m = out->Add();
      m->set_target_conversation_id(t.target);
      m->set_source_conversation_id(t.source);
      for (uint64_t id : t.messages) m->add_message_ids(id);
    }
  }


  EventBuilder& At(absl::Time t) {
    now_ = t;
    return *this;
  }
  absl::Time now() const { return now_; }

  Event Base() const {
    Event e;
    e.set_sequence(state_.last_sequence() + 1);
    e.set_tenant_id(state_.tenant_id());
    ToProto(now_, e.mutable_time());
    return e;
  }

  Event Configure(const TenantOptions& options = {}) const {
    Event e = Base();
    ToProto(options, e.mutable_tenant_configured()->mutable_settings());
    return e;
  }

  Event CustomerCreated(uint64_t id, absl::string_view name = "") const {
    Event e = Base();
    auto* c = e.mutable_customer_created();
    c->set_customer_id(id);
    c->set_display_name(std::string(name));
    c->set_language("en");
    c->set_tier(2);
    c->set_reach(100);
    return e;
  }

  Event IdentityLinked(uint64_t customer, const Identity& identity) const {
    Event e = Base();
    auto* l = e.mutable_identity_linked();
    l->set_customer_id(customer);
    ToProto(identity, l->mutable_identity());
    ToProto(Actor::System(), l->mutable_actor());
    return e;
  }

  Event ConversationOpened(uint64_t conversation, uint64_t customer, Channel channel) const {
    Event e = Base();
    auto* o = e.mutable_conversation_opened();
    o->set_conversation_id(conversation);
    o->set_customer_id(customer);
    o->set_channel(channel);
    ToProto(now_ + absl::Hours(1), o->mutable_first_response_due());
    return e;
  }

  Event MessageRecorded(uint64_t message, uint64_t conversation, Channel channel,
                        Direction direction = kIn, absl::string_view external_id = "",
                        absl::string_view thread_key = "",
                        Visibility visibility = ::omniroute::v1::VISIBILITY_PRIVATE) const {
    Event e = Base();
    auto* m = e.mutable_message_recorded();
    m->set_message_id(message);
    m->set_conversation_id(conversation);
    m->set_channel(channel);
    m->set_direction(direction);
    m->set_visibility(visibility);
    m->set_external_id(std::string(external_id));
    m->set_thread_key(std::string(thread_key));
    m->set_body(absl::StrCat("body of ", message));
    if (direction == kIn) {
      ToProto(Email("ann@example.com"), m->mutable_sender());
    } else {
      m->set_agent_id("agent-1");
    }
    m->set_outcome(::omniroute::v1::THREAD_OUTCOME_OPENED);
    return e;
  }

  Event Handoff(uint64_t conversation, Channel from, Channel to,
                absl::string_view reason = "needs personal data") const {
    Event e = Base();
    auto* h = e.mutable_handoff_recorded();
    h->set_conversation_id(conversation);
    h->set_from_channel(from);
    h->set_to_channel(to);
    h->set_reason(std::string(reason));
    ToProto(Actor::Agent("agent-7"), h->mutable_actor());
    return e;
  }

  Event StatusChanged(uint64_t conversation, ConversationStatus from,
                      ConversationStatus to) const {
    Event e = Base();
    auto* s = e.mutable_conversation_status_changed();
    s->set_conversation_id(conversation);
    s->set_from_status(from);
    s->set_to_status(to);
    ToProto(Actor::Agent("agent-7"), s->mutable_actor());
    return e;
  }

  Event ConversationsMerged(uint64_t target, uint64_t source,
                            std::initializer_list<uint64_t> messages) const {
    Event e = Base();
    auto* m = e.mutable_conversations_merged();
    m->set_target_conversation_id(target);
    m->set_source_conversation_id(source);
    for (uint64_t id : messages) m->add_message_ids(id);
    ToProto(Actor::Agent("agent-7"), m->mutable_actor());
    return e;
  }

  Event ConversationSplit(uint64_t source, uint64_t target,
                          std::initializer_list<uint64_t> messages) const {
    Event e = Base();
    auto* s = e.mutable_conversation_split();
    s->set_source_conversation_id(source);
    s->set_target_conversation_id(target);
    for (uint64_t id : messages) s->add_message_ids(id);
    ToProto(Actor::Agent("agent-7"), s->mutable_actor());
    return e;
  }

  Event CustomersMerged(uint64_t survivor, uint64_t absorbed,
                        std::initializer_list<Identity> identities,
                        std::initializer_list<uint64_t> conversations,
                        std::initializer_list<Thread> threads = {}) const {
    Event e = Base();
    auto* m = e.mutable_customers_merged();
    m->set_survivor_id(survivor);
    m->set_absorbed_id(absorbed);
    for (const Identity& i : identities) ToProto(i, m->add_moved_identities());
    for (uint64_t id : conversations) m->add_moved_conversation_ids(id);
    AddThreads(threads, m->mutable_thread_merges());
    ToProto(Actor::Agent("agent-7"), m->mutable_actor());
    return e;
  }

  Event CustomerUnmerged(uint64_t customer, uint64_t from,
                         std::initializer_list<Identity> identities,
                         std::initializer_list<uint64_t> conversations,
                         std::initializer_list<Thread> threads = {}) const {
    Event e = Base();
    auto* u = e.mutable_customer_unmerged();
    u->set_customer_id(customer);
    u->set_from_customer_id(from);
    for (const Identity& i : identities) ToProto(i, u->add_restored_identities());
    for (uint64_t id : conversations) u->add_restored_conversation_ids(id);
    AddThreads(threads, u->mutable_restored_threads());
    ToProto(Actor::Agent("agent-7"), u->mutable_actor());
    return e;
  }

 private:
  const TenantState& state_;
  absl::Time now_ = kT0;
};

// A configured tenant and a builder that continues its log.
class TenantStateTest : public ::testing::Test {
 protected:
  TenantStateTest() : state_("acme"), b_(state_) {
    EXPECT_TRUE(state_.Apply(b_.Configure()).ok());
  }

  void Ok(const Event& e) {
    absl::Status s = state_.Apply(e);
    ASSERT_TRUE(s.ok()) << s << "\n" << e.DebugString();
  }
  // The event does not fit: DATA_LOSS, and the state is exactly as it was.
  void Misfit(const Event& e) {
    const std::string before = DumpState(state_);
    const uint64_t sequence = state_.last_sequence();
    absl::Status s = state_.Apply(e);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s << "\n" << e.DebugString();
    EXPECT_EQ(state_.last_sequence(), sequence);
    EXPECT_EQ(DumpState(state_), before);
  }

  // Customer `id` with an email identity, a conversation `conversation` on
  // `channel` and no messages.
  void CustomerWithConversation(uint64_t id, const Identity& identity, uint64_t conversation,
                                Channel channel = kEmail) {
    Ok(b_.CustomerCreated(id));
    Ok(b_.IdentityLinked(id, identity));
    Ok(b_.ConversationOpened(conversation, id, channel));
  }

  std::vector<uint64_t> MessagesOf(uint64_t conversation) const {
    std::vector<uint64_t> out;
    for (MessageId id : state_.conversation(ConversationId(conversation))->messages) {
      out.push_back(id.value());
    }
    return out;
  }

  TenantState state_;
  EventBuilder b_;
};

// ------------------------------------------------------------- configure

TEST(TenantStateConfigureTest, NothingFitsBeforeTheTenantIsConfigured) {
  TenantState state("acme");
  EventBuilder b(state);
  EXPECT_FALSE(state.configured());
  EXPECT_EQ(state.Apply(b.CustomerCreated(1)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(state.last_sequence(), 0u);
  EXPECT_EQ(state.customer_count(), 0u);

  TenantOptions options;
  options.default_country_code = "33";
  options.max_body_bytes = 1000;
  options.merge_threads_on_customer_merge = false;
  ASSERT_TRUE(state.Apply(b.Configure(options)).ok());
  EXPECT_TRUE(state.configured());
  EXPECT_EQ(state.last_sequence(), 1u);
  EXPECT_EQ(state.options().default_country_code, "33");
  EXPECT_EQ(state.options().max_body_bytes, 1000u);
  EXPECT_FALSE(state.options().merge_threads_on_customer_merge);

  // Configured once only.
  const std::string before = DumpState(state);
  EXPECT_EQ(state.Apply(b.Configure()).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(state.options().default_country_code, "33");
  EXPECT_EQ(DumpState(state), before);
}

TEST_F(TenantStateTest, EventsMustFollowTheLastSequence) {
  Event e = b_.CustomerCreated(1);
  e.set_sequence(state_.last_sequence() + 2);  // A gap.
  Misfit(e);
  e.set_sequence(state_.last_sequence());  // A repeat.
  Misfit(e);
  e.set_sequence(0);
  Misfit(e);
  e.set_sequence(state_.last_sequence() + 1);
  Ok(e);
  EXPECT_EQ(state_.last_sequence(), 2u);
}

TEST_F(TenantStateTest, AnEventWithoutPayloadDoesNotFit) {
  Misfit(b_.Base());
  EXPECT_EQ(state_.last_sequence(), 1u);
}

// ------------------------------------------------------------- customers

TEST_F(TenantStateTest, CustomerCreatedTakesOnlyTheNextConsecutiveId) {
  Misfit(b_.CustomerCreated(0));
  Misfit(b_.CustomerCreated(2));
  b_.At(kT0 + absl::Minutes(5));
  Ok(b_.CustomerCreated(1, "Ann"));
  Misfit(b_.CustomerCreated(1));  // Again.
  Misfit(b_.CustomerCreated(3));  // Skips 2.
  b_.At(kT0 + absl::Minutes(9));
  Ok(b_.CustomerCreated(2, "Bob"));

  EXPECT_EQ(state_.customer_count(), 2u);
  EXPECT_EQ(state_.NextCustomerId(), CustomerId(3));
  const CustomerState* ann = state_.customer(CustomerId(1));
  ASSERT_NE(ann, nullptr);
  EXPECT_EQ(ann->id, CustomerId(1));
  EXPECT_EQ(ann->display_name(), "Ann");
  EXPECT_EQ(ann->language(), "en");
  EXPECT_EQ(ann->tier, 2);
  EXPECT_EQ(ann->reach, 100);
  // The event's time, not any clock, is the creation time.
  EXPECT_EQ(ann->created_at(), kT0 + absl::Minutes(5));
  EXPECT_EQ(state_.customer(CustomerId(2))->created_at(), kT0 + absl::Minutes(9));
  EXPECT_FALSE(ann->merged_into.valid());
  EXPECT_EQ(state_.customer(CustomerId(0)), nullptr);
  EXPECT_EQ(state_.customer(CustomerId(3)), nullptr);
}

TEST_F(TenantStateTest, IdentityLinkedFeedsTheOwnerIndex) {
  Ok(b_.CustomerCreated(1));
  Ok(b_.CustomerCreated(2));
  EXPECT_FALSE(state_.OwnerOf(Email("ann@example.com")).valid());

  Ok(b_.IdentityLinked(1, Email("ann@example.com")));
  Ok(b_.IdentityLinked(1, Phone("+33612345678")));
  Ok(b_.IdentityLinked(2, Email("bob@example.com")));

  EXPECT_EQ(state_.OwnerOf(Email("ann@example.com")), CustomerId(1));
  EXPECT_EQ(state_.OwnerOf(Phone("+33612345678")), CustomerId(1));
  EXPECT_EQ(state_.OwnerOf(Email("bob@example.com")), CustomerId(2));
  // The index matches the normalized identity exactly: kind, network, value.
  EXPECT_FALSE(state_.OwnerOf(Email("ANN@example.com")).valid());
  EXPECT_FALSE(state_.OwnerOf(Identity{::omniroute::v1::IDENTITY_KIND_CRM_ID, "",
                                       "ann@example.com"})
                   .valid());
  EXPECT_EQ(state_.customer(CustomerId(1))->identities(),
            (std::vector<Identity>{Email("ann@example.com"), Phone("+33612345678")}));

  // One owner per identity; an unknown customer owns nothing.
  Misfit(b_.IdentityLinked(2, Email("ann@example.com")));
  Misfit(b_.IdentityLinked(1, Email("ann@example.com")));
  Misfit(b_.IdentityLinked(3, Email("cid@example.com")));
  Misfit(b_.IdentityLinked(0, Email("cid@example.com")));
}

TEST_F(TenantStateTest, CustomersMergedMovesIdentitiesAndConversationsAndUnmergeRestoresThem) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  CustomerWithConversation(2, Email("bob@example.com"), 2);
  Ok(b_.IdentityLinked(2, Phone("+33612345678")));
  Ok(b_.MessageRecorded(1, 2, kEmail));

  // The moved identities must be the absorbed customer's.
  Misfit(b_.CustomersMerged(1, 2, {Email("ann@example.com")}, {}));
  Misfit(b_.CustomersMerged(1, 2, {}, {1}));
  Misfit(b_.CustomersMerged(1, 1, {}, {}));
  Misfit(b_.CustomersMerged(1, 3, {}, {}));

  Ok(b_.CustomersMerged(1, 2, {Email("bob@example.com"), Phone("+33612345678")}, {2}));
  EXPECT_EQ(state_.customer(CustomerId(2))->merged_into, CustomerId(1));
  EXPECT_EQ(state_.Resolve(CustomerId(2)), CustomerId(1));
  EXPECT_EQ(state_.OwnerOf(Email("bob@example.com")), CustomerId(1));
  EXPECT_EQ(state_.OwnerOf(Phone("+33612345678")), CustomerId(1));
  EXPECT_THAT(state_.customer(CustomerId(2))->identities(), IsEmpty());
  EXPECT_THAT(state_.customer(CustomerId(2))->conversations.ToVector(), IsEmpty());
  EXPECT_THAT(state_.customer(CustomerId(1))->conversations.ToVector(),
              ElementsAre(ConversationId(1), ConversationId(2)));
  EXPECT_EQ(state_.conversation(ConversationId(2))->customer, CustomerId(1));
  const MergeRecord* record = state_.active_merge(CustomerId(2));
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->survivor, CustomerId(1));
  EXPECT_THAT(record->conversations, ElementsAre(ConversationId(2)));
  EXPECT_EQ(record->identities.size(), 2u);

  // A merged customer cannot take identities, merge again or open conversations.
  Misfit(b_.IdentityLinked(2, Email("new@example.com")));
  Misfit(b_.CustomersMerged(1, 2, {}, {}));
  Misfit(b_.ConversationOpened(3, 2, kEmail));
  // Unmerging what is not merged, or from the wrong holder.
  Misfit(b_.CustomerUnmerged(1, 2, {}, {}));
  Misfit(b_.CustomerUnmerged(2, 2, {}, {}));

  Ok(b_.CustomerUnmerged(2, 1, {Email("bob@example.com"), Phone("+33612345678")}, {2}));
  EXPECT_FALSE(state_.customer(CustomerId(2))->merged_into.valid());
  EXPECT_EQ(state_.OwnerOf(Email("bob@example.com")), CustomerId(2));
  EXPECT_EQ(state_.customer(CustomerId(1))->identities(),
            (std::vector<Identity>{Email("ann@example.com")}));
  EXPECT_THAT(state_.customer(CustomerId(1))->conversations.ToVector(), ElementsAre(ConversationId(1)));
  EXPECT_THAT(state_.customer(CustomerId(2))->conversations.ToVector(), ElementsAre(ConversationId(2)));
  EXPECT_EQ(state_.conversation(ConversationId(2))->customer, CustomerId(2));
  EXPECT_EQ(state_.active_merge(CustomerId(2)), nullptr);
  EXPECT_THAT(MessagesOf(2), ElementsAre(1));
  // Undone once only.
  Misfit(b_.CustomerUnmerged(2, 1, {}, {}));
}

// ------------------------------------------------------------- conversations

TEST_F(TenantStateTest, ConversationOpenedTakesOnlyTheNextConsecutiveIdOfAnActiveCustomer) {
  Ok(b_.CustomerCreated(1));
  Misfit(b_.ConversationOpened(2, 1, kEmail));
  Misfit(b_.ConversationOpened(1, 2, kEmail));  // Unknown customer.
  b_.At(kT0 + absl::Seconds(30));
  Ok(b_.ConversationOpened(1, 1, kChat));
  Misfit(b_.ConversationOpened(1, 1, kChat));

  const ConversationState* c = state_.conversation(ConversationId(1));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->customer, CustomerId(1));
  EXPECT_EQ(c->status, kOpen);
  EXPECT_EQ(c->first_channel, kChat);
  EXPECT_EQ(c->channel, kChat);
  EXPECT_EQ(c->opened_at, kT0 + absl::Seconds(30));
  EXPECT_EQ(c->first_response_due, kT0 + absl::Seconds(30) + absl::Hours(1));
  EXPECT_THAT(c->messages, IsEmpty());
  EXPECT_THAT(state_.customer(CustomerId(1))->conversations.ToVector(), ElementsAre(ConversationId(1)));
  EXPECT_EQ(state_.LastActivity(*c), c->opened_at);
}

// The keys of messages (external ids, thread keys) are indexed by the event
// store, not the state: tests/store/ and tests/engine/message_lookup_test.cc.
TEST_F(TenantStateTest, MessageRecordedKeepsACompactRecord) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  Misfit(b_.MessageRecorded(2, 1, kEmail, kIn, "m-1"));  // Not the next id.
  Misfit(b_.MessageRecorded(1, 2, kEmail, kIn, "m-1"));  // Unknown conversation.
  Misfit(b_.MessageRecorded(1, 0, kEmail, kIn, "m-1"));

  Ok(b_.MessageRecorded(1, 1, kEmail, kIn, "m-1"));
  Ok(b_.MessageRecorded(2, 1, kChat, kIn, "m-1"));
  Ok(b_.MessageRecorded(3, 1, kEmail, kOut));
  Ok(b_.MessageRecorded(4, 1, kEmail, kOut));

  const MessageState* m = state_.message(MessageId(1));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->conversation, ConversationId(1));
  EXPECT_EQ(m->channel, kEmail);
  EXPECT_EQ(m->direction, kIn);
  // The sender is known by fingerprint only; the body, the keys and the
  // agent are history, kept by the event store and not in the state.
  EXPECT_EQ(m->sender_fingerprint, IdentityFingerprint(Email("ann@example.com")));
  EXPECT_EQ(m->outcome, ::omniroute::v1::THREAD_OUTCOME_OPENED);
  EXPECT_EQ(state_.message(MessageId(3))->sender_fingerprint, 0u);
  EXPECT_EQ(state_.message_count(), 4u);
  EXPECT_EQ(state_.NextMessageId(), MessageId(5));
  EXPECT_THAT(MessagesOf(1), ElementsAre(1, 2, 3, 4));
}

TEST_F(TenantStateTest, MessageRecordedIntoAMergedOrClosedConversationDoesNotFit) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  Ok(b_.ConversationOpened(2, 1, kEmail));
  Ok(b_.ConversationOpened(3, 1, kEmail));
  Ok(b_.ConversationsMerged(1, 2, {}));
  Ok(b_.StatusChanged(3, kOpen, kClosed));
  Misfit(b_.MessageRecorded(1, 2, kEmail, kIn, "x"));
  Misfit(b_.MessageRecorded(1, 3, kEmail, kIn, "x"));
  Ok(b_.MessageRecorded(1, 1, kEmail, kIn, "x"));
}

TEST_F(TenantStateTest, FirstMessageDecidesBeganInPublicAndOutboundSetsFirstResponse) {
  CustomerWithConversation(1, Email("ann@example.com"), 1, kPublic);
  CustomerWithConversation(2, Email("bob@example.com"), 2, kEmail);
  b_.At(kT0 + absl::Minutes(1));
  Ok(b_.MessageRecorded(1, 1, kPublic, kIn, "post-1", "", ::omniroute::v1::VISIBILITY_PUBLIC));
  Ok(b_.MessageRecorded(2, 2, kEmail, kIn, "mail-1"));
  // Later public messages do not change a private beginning.
  Ok(b_.MessageRecorded(3, 2, kEmail, kIn, "mail-2", "", ::omniroute::v1::VISIBILITY_PUBLIC));
  EXPECT_TRUE(state_.conversation(ConversationId(1))->began_in_public);
  EXPECT_FALSE(state_.conversation(ConversationId(2))->began_in_public);
  EXPECT_EQ(state_.conversation(ConversationId(1))->first_responded_at, absl::InfiniteFuture());

  b_.At(kT0 + absl::Minutes(4));
  Ok(b_.MessageRecorded(4, 1, kPublic, kOut));
  b_.At(kT0 + absl::Minutes(8));
  Ok(b_.MessageRecorded(5, 1, kPublic, kOut));
  // The first answer counts; later ones do not move it.
  EXPECT_EQ(state_.conversation(ConversationId(1))->first_responded_at, kT0 + absl::Minutes(4));
  EXPECT_EQ(state_.LastActivity(*state_.conversation(ConversationId(1))),
            kT0 + absl::Minutes(8));
}

TEST_F(TenantStateTest, ConversationMergeMovesMessagesAndKeepsTimelineOrderByTime) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  Ok(b_.ConversationOpened(2, 1, kChat));
  // Interleaved in time: 1 and 3 in conversation 1, 2 and 4 in conversation 2.
  b_.At(kT0 + absl::Minutes(1));
  Ok(b_.MessageRecorded(1, 1, kEmail, kIn, "e1"));
  b_.At(kT0 + absl::Minutes(2));
  Ok(b_.MessageRecorded(2, 2, kChat, kIn, "c1"));
  b_.At(kT0 + absl::Minutes(3));
  Ok(b_.MessageRecorded(3, 1, kEmail, kIn, "e2"));
  b_.At(kT0 + absl::Minutes(4));
  Ok(b_.MessageRecorded(4, 2, kChat, kIn, "c2"));
  b_.At(kT0 + absl::Minutes(5));
  Ok(b_.Handoff(2, kChat, kVoice));

  // The listed messages must all be the source's; the two must differ and be live.
  Misfit(b_.ConversationsMerged(1, 2, {2, 3}));
  Misfit(b_.ConversationsMerged(1, 1, {}));
  Misfit(b_.ConversationsMerged(1, 9, {}));
  Misfit(b_.ConversationsMerged(9, 2, {}));

  b_.At(kT0 + absl::Minutes(6));
  Ok(b_.ConversationsMerged(1, 2, {2, 4}));
  EXPECT_THAT(MessagesOf(1), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(MessagesOf(2), IsEmpty());
  for (uint64_t id : {2, 4}) {
    EXPECT_EQ(state_.message(MessageId(id))->conversation, ConversationId(1));
  }
  const ConversationState& target = *state_.conversation(ConversationId(1));
  const ConversationState& source = *state_.conversation(ConversationId(2));
  EXPECT_EQ(source.status, kMerged);
  EXPECT_EQ(source.status_before_merge, kOpen);
  EXPECT_EQ(source.merged_into, ConversationId(1));
  EXPECT_FALSE(source.IsLive());
  EXPECT_THAT(target.absorbed, ElementsAre(ConversationId(2)));
  EXPECT_EQ(state_.ResolveConversation(ConversationId(2)), ConversationId(1));
  EXPECT_EQ(state_.ResolveConversation(ConversationId(1)), ConversationId(1));
  // The moved messages are found where they are now.
  EXPECT_EQ(state_.message(MessageId(4))->conversation, ConversationId(1));

  // The view shows the whole family: the source's handoff, the earliest clocks.
  const ConversationView view = core::ToView(state_.core(), target);
  ASSERT_EQ(view.handoffs.size(), 1u);
  EXPECT_EQ(view.handoffs[0].to_channel, kVoice);
  EXPECT_EQ(view.message_count, 4);

  // A merged conversation takes no more merges, in either role.
  Ok(b_.ConversationOpened(3, 1, kEmail));
  Misfit(b_.ConversationsMerged(2, 3, {}));
  Misfit(b_.ConversationsMerged(3, 2, {}));
}

TEST_F(TenantStateTest, AMessageRecordedOutOfTimeOrderIsSortedIntoThePlaceItsTimeGivesIt) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  b_.At(kT0 + absl::Minutes(10));
  Ok(b_.MessageRecorded(1, 1, kEmail, kIn, "late"));
  b_.At(kT0 + absl::Minutes(2));
  Ok(b_.MessageRecorded(2, 1, kEmail, kIn, "early"));
  b_.At(kT0 + absl::Minutes(10));
  Ok(b_.MessageRecorded(3, 1, kEmail, kIn, "tie"));  // Same time as 1: id order.
  EXPECT_THAT(MessagesOf(1), ElementsAre(2, 1, 3));
  EXPECT_EQ(state_.LastActivity(*state_.conversation(ConversationId(1))),
            kT0 + absl::Minutes(10));
}

TEST_F(TenantStateTest, SplitMovesTheListedMessagesOnly) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  for (uint64_t id = 1; id <= 4; ++id) {
    b_.At(kT0 + absl::Minutes(id));
    Ok(b_.MessageRecorded(id, 1, kEmail, kIn, absl::StrCat("e", id)));
  }
  Ok(b_.ConversationOpened(2, 1, kEmail));
  Misfit(b_.ConversationSplit(1, 2, {1, 5}));  // 5 does not exist.
  Misfit(b_.ConversationSplit(1, 3, {1}));     // Unknown target.
  Ok(b_.ConversationSplit(1, 2, {4, 2}));
  EXPECT_THAT(MessagesOf(1), ElementsAre(1, 3));
  EXPECT_THAT(MessagesOf(2), ElementsAre(2, 4));  // Time order, not list order.
  EXPECT_EQ(state_.message(MessageId(2))->conversation, ConversationId(2));
  // Moved messages are no longer the source's to split.
  Misfit(b_.ConversationSplit(1, 2, {2}));
}

// Events that no command produces, but that a damaged or foreign log may
// hold: each would lose or duplicate a message if it were applied, so each
// must be refused whole.
TEST_F(TenantStateTest, ASplitIntoItsOwnSourceDoesNotFit) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  Ok(b_.MessageRecorded(1, 1, kEmail, kIn, "e1"));
  Ok(b_.MessageRecorded(2, 1, kEmail, kIn, "e2"));
  Misfit(b_.ConversationSplit(1, 1, {2}));
  // Had it applied, message 2 would have left conversation 1's timeline
  // while still pointing at it.
  EXPECT_THAT(MessagesOf(1), ElementsAre(1, 2));
}

TEST_F(TenantStateTest, AMoveListingAMessageTwiceDoesNotFit) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  Ok(b_.ConversationOpened(2, 1, kEmail));
  Ok(b_.ConversationOpened(3, 1, kEmail));
  Ok(b_.MessageRecorded(1, 1, kEmail, kIn, "e1"));
  Ok(b_.MessageRecorded(2, 1, kEmail, kIn, "e2"));
  Ok(b_.MessageRecorded(3, 2, kEmail, kIn, "e3"));
  Misfit(b_.ConversationSplit(1, 3, {2, 2}));
  Misfit(b_.ConversationsMerged(1, 2, {3, 3}));
  EXPECT_THAT(MessagesOf(1), ElementsAre(1, 2));
  EXPECT_THAT(MessagesOf(2), ElementsAre(3));
  EXPECT_THAT(MessagesOf(3), IsEmpty());
}

TEST_F(TenantStateTest, CustomerMergeJoinsThreadsAndUnmergeSplitsThemBack) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  CustomerWithConversation(2, Email("bob@example.com"), 2);
  Ok(b_.ConversationOpened(3, 2, kChat));
  b_.At(kT0 + absl::Minutes(1));
  Ok(b_.MessageRecorded(1, 1, kEmail, kIn, "e1"));
  b_.At(kT0 + absl::Minutes(2));
  Ok(b_.MessageRecorded(2, 2, kEmail, kIn, "e2"));
  b_.At(kT0 + absl::Minutes(3));
  Ok(b_.MessageRecorded(3, 3, kChat, kIn, "c3"));

  // The same source twice would move its messages twice.
  Misfit(b_.CustomersMerged(1, 2, {Email("bob@example.com")}, {2, 3},
                            {{1, 2, {2}}, {1, 2, {2}}}));
  Ok(b_.CustomersMerged(1, 2, {Email("bob@example.com")}, {2, 3}, {{1, 2, {2}}, {1, 3, {3}}}));
  EXPECT_THAT(MessagesOf(1), ElementsAre(1, 2, 3));
  EXPECT_EQ(state_.conversation(ConversationId(2))->status, kMerged);
  EXPECT_EQ(state_.conversation(ConversationId(3))->merged_into, ConversationId(1));
  EXPECT_THAT(state_.conversation(ConversationId(1))->absorbed,
              ElementsAre(ConversationId(2), ConversationId(3)));
  ASSERT_NE(state_.active_merge(CustomerId(2)), nullptr);
  EXPECT_EQ(state_.active_merge(CustomerId(2))->threads.size(), 2u);

  b_.At(kT0 + absl::Minutes(4));
  Ok(b_.MessageRecorded(4, 1, kEmail, kIn, "e4"));
  // A message given back to two conversations at once would be in both.
  Misfit(b_.CustomerUnmerged(2, 1, {Email("bob@example.com")}, {2, 3},
                             {{1, 2, {2, 4}}, {1, 3, {3, 4}}}));
  EXPECT_THAT(MessagesOf(1), ElementsAre(1, 2, 3, 4));

  Ok(b_.CustomerUnmerged(2, 1, {Email("bob@example.com")}, {2, 3}, {{1, 2, {2, 4}}, {1, 3, {3}}}));
  EXPECT_THAT(MessagesOf(1), ElementsAre(1));
  EXPECT_THAT(MessagesOf(2), ElementsAre(2, 4));
  EXPECT_THAT(MessagesOf(3), ElementsAre(3));
  EXPECT_EQ(state_.conversation(ConversationId(2))->status, kOpen);
  EXPECT_FALSE(state_.conversation(ConversationId(3))->merged_into.valid());
  EXPECT_THAT(state_.conversation(ConversationId(1))->absorbed, IsEmpty());
  EXPECT_EQ(state_.message(MessageId(4))->conversation, ConversationId(2));
}

TEST_F(TenantStateTest, StatusChangeSetsAndClearsResolvedAt) {
  CustomerWithConversation(1, Email("ann@example.com"), 1);
  const ConversationState* c = state_.conversation(ConversationId(1));
  EXPECT_EQ(c->resolved_at, absl::InfiniteFuture());

  // from_status must be the current status.
  Misfit(b_.StatusChanged(1, kPending, kResolved));
  Misfit(b_.StatusChanged(2, kOpen, kResolved));

  b_.At(kT0 + absl::Hours(1));
  Ok(b_.StatusChanged(1, kOpen, kPending));
  EXPECT_EQ(c->status, kPending);
  EXPECT_EQ(c->resolved_at, absl::InfiniteFuture());

  b_.At(kT0 + absl::Hours(2));
  Ok(b_.StatusChanged(1, kPending, kResolved));
  EXPECT_EQ(c->status, kResolved);
  EXPECT_EQ(c->resolved_at, kT0 + absl::Hours(2));

  // Reopened: no longer resolved.
  b_.At(kT0 + absl::Hours(3));
  Ok(b_.StatusChanged(1, kResolved, kOpen));
  EXPECT_EQ(c->status, kOpen);
  EXPECT_EQ(c->resolved_at, absl::InfiniteFuture());

  // Resolved again: the new time.
  b_.At(kT0 + absl::Hours(4));
  Ok(b_.StatusChanged(1, kOpen, kResolved));
  EXPECT_EQ(c->resolved_at, kT0 + absl::Hours(4));

  // Closing keeps when it was resolved.
  b_.At(kT0 + absl::Hours(5));
  Ok(b_.StatusChanged(1, kResolved, kClosed));
  EXPECT_EQ(c->status, kClosed);
  EXPECT_EQ(c->resolved_at, kT0 + absl::Hours(4));
  EXPECT_FALSE(c->IsLive());

  // Closed straight from open: never resolved.
  Ok(b_.ConversationOpened(2, 1, kEmail));
  Ok(b_.StatusChanged(2, kOpen, kClosed));
  EXPECT_EQ(state_.conversation(ConversationId(2))->resolved_at, absl::InfiniteFuture());
}

TEST_F(TenantStateTest, HandoffChangesTheChannelAndKeepsTheFirstOne) {
  CustomerWithConversation(1, Email("ann@example.com"), 1, kPublic);
  // From a channel the conversation is not on.
  Misfit(b_.Handoff(1, kEmail, kPrivate));
  Misfit(b_.Handoff(2, kPublic, kPrivate));

  b_.At(kT0 + absl::Minutes(3));
  Ok(b_.Handoff(1, kPublic, kPrivate, "take the order number privately"));
  const ConversationState* c = state_.conversation(ConversationId(1));
  EXPECT_EQ(c->channel, kPrivate);
  EXPECT_EQ(c->first_channel, kPublic);
  ASSERT_EQ(c->handoffs.size(), 1u);
  EXPECT_EQ(c->handoffs[0].from_channel, kPublic);
  EXPECT_EQ(c->handoffs[0].to_channel, kPrivate);
  EXPECT_EQ(c->handoffs[0].reason, "take the order number privately");
  EXPECT_EQ(c->handoffs[0].actor.kind, ::omniroute::v1::ACTOR_KIND_AGENT);
  EXPECT_EQ(c->handoffs[0].actor.id, "agent-7");
  EXPECT_EQ(c->handoffs[0].at, kT0 + absl::Minutes(3));
  // The SLA clock does not restart.
  EXPECT_EQ(c->first_response_due, kT0 + absl::Hours(1));

  // Now from the new channel only.
  Misfit(b_.Handoff(1, kPublic, kEmail));
  b_.At(kT0 + absl::Minutes(7));
  Ok(b_.Handoff(1, kPrivate, kVoice));
  EXPECT_EQ(c->channel, kVoice);
  ASSERT_EQ(c->handoffs.size(), 2u);
  EXPECT_EQ(c->handoffs[1].at, kT0 + absl::Minutes(7));

  // No handoff on a closed conversation.
  Ok(b_.StatusChanged(1, kOpen, kClosed));
  Misfit(b_.Handoff(1, kVoice, kEmail));
}

TEST_F(TenantStateTest, ApplyingTheSameEventsToTwoStatesGivesTheSameDump) {
  // The fold depends on nothing but the events.
  TenantState other("acme");
  auto both = [&](const Event& e) {
    Ok(e);
    ASSERT_TRUE(other.Apply(e).ok());
  };
  ASSERT_TRUE(other.Apply([] {
                Event e;
                e.set_sequence(1);
                e.set_tenant_id("acme");
                ToProto(kT0, e.mutable_time());
                ToProto(TenantOptions{}, e.mutable_tenant_configured()->mutable_settings());
                return e;
              }())
                  .ok());
  both(b_.CustomerCreated(1, "Ann"));
  both(b_.IdentityLinked(1, Email("ann@example.com")));
  both(b_.ConversationOpened(1, 1, kEmail));
  b_.At(kT0 + absl::Minutes(1));
  both(b_.MessageRecorded(1, 1, kEmail, kIn, "x", "k"));
  both(b_.Handoff(1, kEmail, kChat));
  both(b_.StatusChanged(1, kOpen, kResolved));
  EXPECT_EQ(DumpState(other), DumpState(state_));
  EXPECT_EQ(other.last_sequence(), state_.last_sequence());
}

}  // namespace
}  // namespace omniroute::tenant
