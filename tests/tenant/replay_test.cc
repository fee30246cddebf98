// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// "A test replays a recorded event sequence and gets identical state": a
// realistic story runs through an engine backed by a memory store; its log,
// round-tripped through bytes and folded into a fresh TenantState, rebuilds
// the same state, and so does reopening an engine on the store. Events that
// do not fit are refused whole, and the same commands on the same virtual
// time give the same bytes.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/proto_convert.h"
#include "core/views.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;
using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr char kTenant[] = "acme";

RawIdentity Handle(absl::string_view value) {
  return {::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", std::string(value)};
}
RawIdentity Email(absl::string_view value) {
  return {::omniroute::v1::IDENTITY_KIND_EMAIL, "", std::string(value)};
}
RawIdentity Phone(absl::string_view value) {
  return {::omniroute::v1::IDENTITY_KIND_PHONE, "", std::string(value)};
}

InboundMessage Inbound(Channel channel, RawIdentity sender, absl::string_view external_id,
                       absl::string_view body) {
  InboundMessage m;
  m.channel = channel;
  m.sender = std::move(sender);
  m.external_id = std::string(external_id);
  m.body = std::string(body);
  return m;
}

OutboundMessage Outbound(ConversationId conversation, Channel channel,
                         absl::string_view external_id, absl::string_view body) {
  OutboundMessage m;
  m.conversation = conversation;
  m.channel = channel;
  m.external_id = std::string(external_id);
  m.body = std::string(body);
  m.agent_id = "agent-1";
  return m;
}

std::vector<Event> ReadLog(const EventStore& store, absl::string_view tenant) {
  std::vector<Event> events;
  absl::Status s = store.Read(tenant, 1, [&](const Event& e) {
    events.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return events;
}

std::vector<std::string> SerializedLog(const EventStore& store, absl::string_view tenant) {
  std::vector<std::string> bytes;
  for (const Event& e : ReadLog(store, tenant)) {
    std::string out;
    EXPECT_TRUE(e.SerializeToString(&out));
    bytes.push_back(std::move(out));
  }
  return bytes;
}

std::string Dump(const Engine& engine, absl::string_view tenant = kTenant) {
  absl::StatusOr<std::string> dump = engine.DumpState(tenant);
  EXPECT_TRUE(dump.ok()) << dump.status();
  return dump.ok() ? *dump : "";
}

// A customer's problem told across channels, with every kind of command:
// a public post handed off to a DM, an email from an unknown address later
// linked (a merge with thread merge), a call from an unknown number merged
// explicitly, a split, a resolve and a reopen, a conversation merge, two
// unmerges and a close. Every step must succeed.
void RunStory(Engine& engine, ManualClock& clock) {
  constexpr Channel kPublic = ::omniroute::v1::CHANNEL_PUBLIC_SOCIAL;
  constexpr Channel kPrivate = ::omniroute::v1::CHANNEL_PRIVATE_SOCIAL;
  constexpr Channel kEmail = ::omniroute::v1::CHANNEL_EMAIL;
  constexpr Channel kVoice = ::omniroute::v1::CHANNEL_VOICE;
  const Actor agent = Actor::Agent("agent-1");

  TenantOptions options;
  options.default_country_code = "33";
  options.continuity_windows[kEmail] = absl::Hours(72);
  options.first_response_targets[kPrivate] = absl::Minutes(20);
  ASSERT_TRUE(engine.CreateTenant(kTenant, options).ok());

  // A public complaint, answered in public, then taken private.
  InboundMessage post = Inbound(kPublic, Handle("@Ann_Smith"), "post-1", "my order is late!");
  post.profile = {"Ann Smith", "en", 1200};
  absl::StatusOr<IngestResult> r1 = engine.IngestMessage(kTenant, post);
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_TRUE(r1->customer_created);
  const CustomerId ann = r1->customer;
  const ConversationId public_thread = r1->conversation;

  clock.Advance(absl::Minutes(2));
  ASSERT_TRUE(engine
                  .RecordOutbound(kTenant, Outbound(public_thread, kPublic, "reply-1",
                                                    "Sorry! Please send us a DM."))
                  .ok());
  ASSERT_TRUE(engine.Handoff(kTenant, public_thread, kPrivate, "order number", agent).ok());

  clock.Advance(absl::Minutes(5));
  InboundMessage dm = Inbound(kPrivate, Handle("ann_smith"), "dm-1", "order 12345");
  dm.thread_key = "dm-thread-9";
  absl::StatusOr<IngestResult> r2 = engine.IngestMessage(kTenant, dm);
  ASSERT_TRUE(r2.ok()) << r2.status();
  ASSERT_EQ(r2->conversation, public_thread);
  // A redelivery changes nothing.
  absl::StatusOr<IngestResult> again = engine.IngestMessage(kTenant, dm);
  ASSERT_TRUE(again.ok() && again->duplicate);

  // An email from an address nobody knows yet: a new customer.
  clock.Advance(absl::Hours(1));
  absl::StatusOr<IngestResult> r3 = engine.IngestMessage(
      kTenant, Inbound(kEmail, Email("Ann@Example.com "), "<m1@example.com>", "invoice"));
  ASSERT_TRUE(r3.ok()) << r3.status();
  ASSERT_NE(r3->customer, ann);
  const CustomerId ann_email = r3->customer;
  const ConversationId email_thread = r3->conversation;
  ASSERT_TRUE(engine
                  .RecordOutbound(kTenant, Outbound(email_thread, kEmail, "<r1@brand.com>",
                                                    "Thanks, we are looking into it."))
                  .ok());
  clock.Advance(absl::Minutes(10));
  InboundMessage reply =
      Inbound(kEmail, Email("ann@example.com"), "<m2@example.com>", "any news?");
  reply.references = {"<m1@example.com>", "<r1@brand.com>"};
  absl::StatusOr<IngestResult> r4 = engine.IngestMessage(kTenant, reply);
  ASSERT_TRUE(r4.ok()) << r4.status();
  ASSERT_EQ(r4->outcome, ::omniroute::v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);

  // The agent recognises her: linking the email merges the two customers and
  // their open threads.
  clock.Advance(absl::Minutes(3));
  absl::StatusOr<LinkResult> link =
      engine.LinkIdentity(kTenant, ann, Email("ann@example.com"), agent);
  ASSERT_TRUE(link.ok()) << link.status();
  ASSERT_EQ(link->customer, ann);
  ASSERT_EQ(link->absorbed, ann_email);
  ASSERT_THAT(link->merged_threads, SizeIs(1));
  ASSERT_TRUE(
      engine.SetConversationStatus(kTenant, public_thread, ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER, agent)
          .ok());

  // The next day, a call from a national number nobody knows.
  clock.Advance(absl::Hours(26));
  InboundMessage call = Inbound(kVoice, Phone("06 12 34 56 78"), "call-1", "call transcript");
  call.thread_key = "call-1";
  absl::StatusOr<IngestResult> r5 = engine.IngestMessage(kTenant, call);
  ASSERT_TRUE(r5.ok()) << r5.status();
  ASSERT_TRUE(r5->customer_created);
  const CustomerId caller = r5->customer;
  clock.Advance(absl::Minutes(1));
  absl::StatusOr<LinkResult> merge = engine.MergeCustomers(kTenant, caller, ann, agent);
  ASSERT_TRUE(merge.ok()) << merge.status();
  ASSERT_EQ(merge->customer, ann);

  // The email part is a separate problem: split it off, resolve it.
  absl::StatusOr<std::vector<TimelineEntry>> timeline = engine.GetTimeline(kTenant, public_thread);
  ASSERT_TRUE(timeline.ok());
  std::vector<MessageId> email_messages;
  for (const TimelineEntry& entry : *timeline) {
    if (entry.message && entry.message->channel == kEmail) email_messages.push_back(entry.message->id);
  }
  ASSERT_THAT(email_messages, SizeIs(3));
  clock.Advance(absl::Minutes(4));
  absl::StatusOr<ConversationId> split =
      engine.SplitConversation(kTenant, public_thread, email_messages, agent);
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_TRUE(engine.SetConversationStatus(kTenant, *split, ::omniroute::v1::CONVERSATION_STATUS_RESOLVED, agent).ok());

  // She writes again on the resolved email thread: it reopens.
  clock.Advance(absl::Hours(2));
  InboundMessage reopen =
      Inbound(kEmail, Email("ann@example.com"), "<m3@example.com>", "still broken");
  reopen.references = {"<m2@example.com>"};
  absl::StatusOr<IngestResult> r6 = engine.IngestMessage(kTenant, reopen);
  ASSERT_TRUE(r6.ok()) << r6.status();
  ASSERT_EQ(r6->outcome, ::omniroute::v1::THREAD_OUTCOME_REOPENED);
  ASSERT_EQ(r6->conversation, *split);

  // On second thought it is one problem after all.
  clock.Advance(absl::Minutes(30));
  ASSERT_TRUE(engine.MergeConversations(kTenant, public_thread, *split, agent).ok());
  // Then to email for the documents (or to chat if the merged thread is on
  // email already).
  absl::StatusOr<ConversationView> merged = engine.GetConversation(kTenant, public_thread);
  ASSERT_TRUE(merged.ok()) << merged.status();
  const Channel documents = merged->channel == kEmail ? ::omniroute::v1::CHANNEL_CHAT : kEmail;
  absl::Status handoff = engine.Handoff(kTenant, public_thread, documents, "send the documents", agent);
  ASSERT_TRUE(handoff.ok()) << handoff;
  absl::StatusOr<MessageId> ask = engine.RecordOutbound(
      kTenant, Outbound(public_thread, documents, "<r2@brand.com>", "Please send the documents."));
  ASSERT_TRUE(ask.ok()) << ask.status();

  // The caller was someone else after all; so was the email, it turns out.
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(engine.UnmergeCustomer(kTenant, caller, agent).ok());
  clock.Advance(absl::Seconds(15));
  ASSERT_TRUE(engine.UnmergeCustomer(kTenant, ann_email, agent).ok());
  ASSERT_TRUE(engine.SetConversationStatus(kTenant, public_thread, ::omniroute::v1::CONVERSATION_STATUS_CLOSED, agent).ok());
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    RunStory(*engine_, clock_);
  }

  ManualClock clock_;
  std::unique_ptr<EventStore> store_ = NewMemoryEventStore();
  std::unique_ptr<Engine> engine_;
};

TEST_F(ReplayTest, TheStoryCoversEveryEventType) {
  // Guards the other tests: a replay only proves something if the log holds
  // every kind of event.
  std::vector<bool> seen(Event::kConversationSplit + 1, false);
  for (const Event& e : ReadLog(*store_, kTenant)) seen[e.payload_case()] = true;
  for (int field = Event::kTenantConfigured; field <= Event::kConversationSplit; ++field) {
    EXPECT_TRUE(seen[field]) << Event::descriptor()->FindFieldByNumber(field)->name();
  }
}

TEST_F(ReplayTest, TheStoredLogIsContiguousAndMatchesTheEngine) {
  std::vector<Event> events = ReadLog(*store_, kTenant);
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].tenant_id(), kTenant);
    EXPECT_NE(events[i].payload_case(), Event::PAYLOAD_NOT_SET);
    if (i > 0) {
      EXPECT_LE(core::FromProto(events[i - 1].time()), core::FromProto(events[i].time()));
    }
  }
  absl::StatusOr<uint64_t> last = engine_->LastSequence(kTenant);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, events.size());
}

TEST_F(ReplayTest, FoldingTheLogFromBytesRebuildsIdenticalState) {
  const std::vector<std::string> bytes = SerializedLog(*store_, kTenant);
  ASSERT_FALSE(bytes.empty());

  tenant::TenantState state(kTenant);
  for (size_t i = 0; i < bytes.size(); ++i) {
    Event event;  // A fresh object for each, from the bytes alone.
    ASSERT_TRUE(event.ParseFromString(bytes[i])) << "event " << i + 1;
    absl::Status s = state.Apply(event);
    ASSERT_TRUE(s.ok()) << s << "\n" << event.DebugString();
  }
  EXPECT_EQ(state.last_sequence(), bytes.size());
  const std::string engine_dump = Dump(*engine_);
  EXPECT_EQ(tenant::DumpState(state), engine_dump);
  // The dump is not trivially equal: it holds the whole story.
  EXPECT_THAT(engine_dump, ::testing::HasSubstr("customer 3"));
  EXPECT_THAT(engine_dump, ::testing::HasSubstr("status=CLOSED"));
  EXPECT_THAT(engine_dump, ::testing::HasSubstr("handoff PUBLIC_SOCIAL->PRIVATE_SOCIAL"));
}

TEST_F(ReplayTest, AFoldStoppedHalfwayEqualsTheEngineAtThatPoint) {
  // Replay up to each prefix of a second engine's log and compare with that
  // engine's dump taken right after the same command: state is the fold of
  // the prefix, at every step, not only at the end.
  ManualClock clock;
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open({.clock = &clock, .store = store.get()});
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->CreateTenant(kTenant, {}).ok());
  std::vector<std::pair<uint64_t, std::string>> checkpoints;
  for (int i = 0; i < 6; ++i) {
    clock.Advance(absl::Minutes(7));
    ASSERT_TRUE((*engine)
                    ->IngestMessage(kTenant, Inbound(::omniroute::v1::CHANNEL_SMS,
                                                     Phone(absl::StrCat("+3361234567", i % 3)),
                                                     absl::StrCat("sms-", i), "hello"))
                    .ok());
    checkpoints.emplace_back(*(*engine)->LastSequence(kTenant), Dump(**engine));
  }
  std::vector<Event> events = ReadLog(*store, kTenant);
  tenant::TenantState state(kTenant);
  size_t next = 0;
  for (const auto& [sequence, dump] : checkpoints) {
    while (state.last_sequence() < sequence) ASSERT_TRUE(state.Apply(events[next++]).ok());
    EXPECT_EQ(tenant::DumpState(state), dump) << "at sequence " << sequence;
  }
}

TEST_F(ReplayTest, OpeningAnEngineOnTheStoreRebuildsTheSameState) {
  const std::string before = Dump(*engine_);
  const uint64_t last = *engine_->LastSequence(kTenant);

  ManualClock later(clock_.Now() + absl::Hours(100));  // Recovery does not read the clock.
  absl::StatusOr<std::unique_ptr<Engine>> reopened =
      Engine::Open({.clock = &later, .store = store_.get()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_THAT((*reopened)->ListTenants(), ElementsAre(kTenant));
  EXPECT_EQ(Dump(**reopened), before);
  EXPECT_EQ(*(*reopened)->LastSequence(kTenant), last);
}

TEST_F(ReplayTest, AReopenedEngineCarriesOnLikeTheOriginal) {
  // A copy of the log in a second store, and an engine opened on it.
  std::unique_ptr<EventStore> copy = NewMemoryEventStore();
  std::vector<Event> events = ReadLog(*store_, kTenant);
  ASSERT_TRUE(copy->Append(kTenant, events).ok());
  absl::StatusOr<std::unique_ptr<Engine>> reopened =
      Engine::Open({.clock = &clock_, .store = copy.get()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();

  // The same next commands give the same answers, events and state on both.
  clock_.Advance(absl::Minutes(1));
  InboundMessage known = Inbound(::omniroute::v1::CHANNEL_EMAIL, Email("ann@example.com"),
                                 "<m9@example.com>", "hello again");
  known.references = {"<m3@example.com>"};
  InboundMessage unknown = Inbound(::omniroute::v1::CHANNEL_SMS, Phone("+447700900123"),
                                   "sms-after-restart", "who is this?");
  for (const InboundMessage& m : {known, unknown, known}) {
    absl::StatusOr<IngestResult> a = engine_->IngestMessage(kTenant, m);
    absl::StatusOr<IngestResult> b = (*reopened)->IngestMessage(kTenant, m);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(a->customer, b->customer);
    EXPECT_EQ(a->conversation, b->conversation);
    EXPECT_EQ(a->message, b->message);
    EXPECT_EQ(a->outcome, b->outcome);
    EXPECT_EQ(a->duplicate, b->duplicate);
  }
  EXPECT_EQ(Dump(**reopened), Dump(*engine_));
  EXPECT_EQ(SerializedLog(*copy, kTenant), SerializedLog(*store_, kTenant));
  EXPECT_GT(ReadLog(*copy, kTenant).size(), events.size());
}

TEST_F(ReplayTest, OpeningWithAnEmptyStoreHasNoTenants) {
  std::unique_ptr<EventStore> empty = NewMemoryEventStore();
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open({.clock = &clock_, .store = empty.get()});
  ASSERT_TRUE(engine.ok());
  EXPECT_TRUE((*engine)->ListTenants().empty());
  EXPECT_EQ((*engine)->DumpState(kTenant).status().code(), absl::StatusCode::kNotFound);
}

// The state built from the story's log, and the next event's sequence.
class MisfitTest : public ReplayTest {
 protected:
  void SetUp() override {
    ReplayTest::SetUp();
    if (HasFatalFailure()) return;
    for (const Event& e : ReadLog(*store_, kTenant)) ASSERT_TRUE(state_.Apply(e).ok());
    dump_ = tenant::DumpState(state_);
    ASSERT_EQ(dump_, Dump(*engine_));
  }

  Event Next() const {
    Event e;
    e.set_sequence(state_.last_sequence() + 1);
    e.set_tenant_id(kTenant);
    core::ToProto(clock_.Now(), e.mutable_time());
    return e;
  }

  // A valid event: a message recorded in an existing live conversation.
  Event ValidMessage() const {
    Event e = Next();
    auto* m = e.mutable_message_recorded();
    m->set_message_id(state_.message_count() + 1);
    for (const core::ConversationState* conversation : state_.ConversationsById()) {
      const core::ConversationState& c = *conversation;
      if (c.IsLive()) {
        m->set_conversation_id(c.id.value());
        m->set_channel(c.channel);
        break;
      }
    }
    EXPECT_NE(m->conversation_id(), 0u) << "the story left no live conversation";
    m->set_direction(::omniroute::v1::DIRECTION_OUTBOUND);
    m->set_body("a valid message");
    return e;
  }

  void ExpectDataLossAndNoChange(const Event& e) {
    absl::Status s = state_.Apply(e);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s << "\n" << e.DebugString();
    EXPECT_EQ(tenant::DumpState(state_), dump_);
  }

  tenant::TenantState state_{kTenant};
  std::string dump_;
};

TEST_F(MisfitTest, AnEventOutOfSequenceIsRefused) {
  Event e = ValidMessage();
  const uint64_t next = e.sequence();
  for (uint64_t sequence : {next + 1, next + 100, next - 1, uint64_t{1}, uint64_t{0}}) {
    e.set_sequence(sequence);
    ExpectDataLossAndNoChange(e);
  }
  // The same event in sequence fits: the refusals were for the sequence.
  e.set_sequence(next);
  ASSERT_TRUE(state_.Apply(e).ok());
  EXPECT_EQ(state_.last_sequence(), next);
}

TEST_F(MisfitTest, AnEventWithoutPayloadIsRefused) {
  ExpectDataLossAndNoChange(Next());
  // An event from a newer schema (an unknown field only) has no payload here.
  Event unknown = Next();
  std::string bytes;
  ASSERT_TRUE(unknown.SerializeToString(&bytes));
  bytes.push_back(static_cast<char>((99 << 3) | 2));  // Field 99, length-delimited.
  bytes.push_back(static_cast<char>(1));
  bytes.push_back('x');
  Event parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  ASSERT_EQ(parsed.payload_case(), Event::PAYLOAD_NOT_SET);
  ExpectDataLossAndNoChange(parsed);
  ASSERT_TRUE(state_.Apply(ValidMessage()).ok());
}

TEST_F(MisfitTest, AMessageIntoAnUnknownConversationIsRefused) {
  Event e = ValidMessage();
  e.mutable_message_recorded()->set_conversation_id(state_.conversation_count() + 1);
  ExpectDataLossAndNoChange(e);
  e.mutable_message_recorded()->set_conversation_id(0);
  ExpectDataLossAndNoChange(e);
  // Nor into a merged or closed one.
  for (const core::ConversationState* conversation : state_.ConversationsById()) {
    const core::ConversationState& c = *conversation;
    if (c.IsLive()) continue;
    e.mutable_message_recorded()->set_conversation_id(c.id.value());
    ExpectDataLossAndNoChange(e);
  }
  // Nor with an id that is not the next one.
  Event skip = ValidMessage();
  skip.mutable_message_recorded()->set_message_id(state_.message_count() + 2);
  ExpectDataLossAndNoChange(skip);
  ASSERT_TRUE(state_.Apply(ValidMessage()).ok());
  EXPECT_NE(tenant::DumpState(state_), dump_);
}

TEST_F(MisfitTest, AnEngineWillNotOpenOnALogThatDoesNotFit) {
  // The store holds a valid log followed by a message into an unknown
  // conversation: Open reports DATA_LOSS rather than a partial tenant.
  Event bad = ValidMessage();
  bad.mutable_message_recorded()->set_conversation_id(state_.conversation_count() + 7);
  ASSERT_TRUE(store_->Append(kTenant, {&bad, 1}).ok());
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open({.clock = &clock_, .store = store_.get()});
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kDataLoss) << engine.status();
}

TEST(DeterminismTest, TheSameCommandsOnTheSameTimeGiveByteIdenticalLogs) {
  std::vector<std::string> logs[2];
  std::string dumps[2];
  for (int run = 0; run < 2; ++run) {
    ManualClock clock(absl::FromUnixSeconds(1767225600) + absl::Milliseconds(123));
    std::unique_ptr<EventStore> store = NewMemoryEventStore();
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Open({.clock = &clock, .store = store.get()});
    ASSERT_TRUE(engine.ok());
    RunStory(**engine, clock);
    if (HasFatalFailure()) return;
    logs[run] = SerializedLog(*store, kTenant);
    dumps[run] = Dump(**engine);
  }
  ASSERT_FALSE(logs[0].empty());
  ASSERT_EQ(logs[0].size(), logs[1].size());
  for (size_t i = 0; i < logs[0].size(); ++i) {
    EXPECT_EQ(logs[0][i], logs[1][i]) << "event " << i + 1 << " differs";
  }
  EXPECT_EQ(dumps[0], dumps[1]);
}

TEST(DeterminismTest, ADifferentStartTimeGivesDifferentBytesButTheSameShape) {
  // The check above is not vacuous: time is in the events.
  std::vector<Event> logs[2];
  for (int run = 0; run < 2; ++run) {
    ManualClock clock(absl::FromUnixSeconds(1767225600 + run));
    std::unique_ptr<EventStore> store = NewMemoryEventStore();
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Open({.clock = &clock, .store = store.get()});
    ASSERT_TRUE(engine.ok());
    RunStory(**engine, clock);
    if (HasFatalFailure()) return;
    logs[run] = ReadLog(*store, kTenant);
  }
  ASSERT_EQ(logs[0].size(), logs[1].size());
  for (size_t i = 0; i < logs[0].size(); ++i) {
    EXPECT_NE(logs[0][i].SerializeAsString(), logs[1][i].SerializeAsString());
    Event a = logs[0][i], b = logs[1][i];
    a.clear_time();
    b.clear_time();
    // Timestamps inside payloads (first response due) move with the clock.
    if (a.has_conversation_opened()) a.mutable_conversation_opened()->clear_first_response_due();
    if (b.has_conversation_opened()) b.mutable_conversation_opened()->clear_first_response_due();
    for (Event* e : {&a, &b}) {
      if (e->has_task_created()) {
        e->mutable_task_created()->clear_first_response_due();
        e->mutable_task_created()->clear_preferred_until();
      }
      if (e->has_task_offered()) e->mutable_task_offered()->clear_expires_at();
    }
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << "event " << i + 1;
  }
}

}  // namespace
}  // namespace omniroute
