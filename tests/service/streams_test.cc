// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The server streams over a real gRPC channel: the change feed
// (EventService.WatchEvents: every event in log order, resumable after a
// disconnect with nothing missed or repeated, while other commands run) and
// an agent's offer stream (RoutingService.StreamOffers: pending offers at
// open, new ones as they are made, and how each ends: assigned, declined,
// expired, withdrawn).
//
// Every stream is read under a client deadline, so a server that stops
// sending fails the test instead of hanging it. Nothing sleeps: each read
// waits for the message a preceding call must have caused.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::Contains;

constexpr char kTenant[] = "feed";

// A thread joined when it goes out of scope, so that a failed assertion
// cannot leave it running (or terminate the program).
class Background {
 public:
  explicit Background(std::function<void()> run) : thread_(std::move(run)) {}
  ~Background() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// One open server stream and its context.
template <typename Message>
struct Stream {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<Message>> reader;
  std::optional<grpc::Status> status;

  Stream() = default;
  Stream(Stream&&) = default;
  // A stream left open (an assertion failed) is cancelled and finished.
  ~Stream() {
    if (reader != nullptr && !status.has_value()) Cancel();
  }

  // How the stream ended (Finish is called once).
  grpc::Status Finish() {
    if (!status.has_value()) status = reader->Finish();
    return *status;
  }

  // The next message; a failure (with the stream's status) if it ended.
  bool Next(Message* out) {
    if (!status.has_value() && reader->Read(out)) return true;
    ADD_FAILURE() << "the stream ended: " << Describe(Finish());
    return false;
  }

  // Disconnects, as a client that goes away does.
  grpc::Status Cancel() {
    context->TryCancel();
    return Finish();
  }
};

class StreamsTest : public ServiceTest {
 protected:
  // The tenant with one email queue and two agents, both OFFLINE; offers
  // expire after 30 seconds.
  void SetUpTenant() {
    CreateTenant(kTenant);
    UpsertQueue(kTenant, Queue("mail", {v1::CHANNEL_EMAIL}));
    v1::RoutingSettings routing;
    routing.set_default_queue_id("mail");
    *routing.mutable_default_offer_timeout() = ToDurationProto(absl::Seconds(30));
    ConfigureRouting(kTenant, routing);
    UpsertAgent(kTenant, AgentWith("a1", {v1::CHANNEL_EMAIL}));
    UpsertAgent(kTenant, AgentWith("a2", {v1::CHANNEL_EMAIL}));
  }

  Stream<v1::Event> Watch(absl::string_view tenant, uint64_t from) {
    Stream<v1::Event> s;
    s.context = std::make_unique<grpc::ClientContext>();
    SetDeadline(*s.context);
    v1::WatchEventsRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_from_sequence(from);
    s.reader = events_->WatchEvents(s.context.get(), r);
    return s;
  }

  Stream<v1::OfferUpdate> Offers(absl::string_view tenant, absl::string_view agent) {
    Stream<v1::OfferUpdate> s;
    s.context = std::make_unique<grpc::ClientContext>();
    SetDeadline(*s.context);
    v1::StreamOffersRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_agent_id(std::string(agent));
    s.reader = routing_->StreamOffers(s.context.get(), r);
    return s;
  }

  // A new customer's email: a few events (customer, identity, conversation,
  // message, task...).
  v1::IngestMessageResponse Mail(int n, absl::string_view tenant = kTenant) {
    return Ingest(EmailMessage(tenant, absl::StrCat("customer", n, "@example.com"),
                               absl::StrCat("<m", n, "@example.com>"), "hello"));
  }
};

// ------------------------------------------------------------ WatchEvents

TEST_F(StreamsTest, WatchFromOneDeliversEveryEventInOrderThenTheLiveOnes) {
  SetUpTenant();
  CreateTenant("other");
  for (int i = 0; i < 10; ++i) Mail(i);
  const uint64_t stored = LastSequence(kTenant);
  ASSERT_GT(stored, 10u);

  Stream<v1::Event> stream = Watch(kTenant, 1);
  v1::Event event;
  for (uint64_t want = 1; want <= stored; ++want) {
    ASSERT_TRUE(stream.Next(&event)) << "waiting for " << want;
    ASSERT_EQ(event.sequence(), want);
    EXPECT_EQ(event.tenant_id(), kTenant);
    if (want == 1) EXPECT_TRUE(event.has_tenant_configured()) << event.ShortDebugString();
  }

  // Then each new event as it is committed; another tenant's never.
  Mail(100, "other");
  const v1::IngestMessageResponse live = Mail(100);
  const uint64_t last = LastSequence(kTenant);
  ASSERT_GT(last, stored);
  bool saw_message = false;
  for (uint64_t want = stored + 1; want <= last; ++want) {
    ASSERT_TRUE(stream.Next(&event)) << "waiting for " << want;
    ASSERT_EQ(event.sequence(), want);
    EXPECT_EQ(event.tenant_id(), kTenant);
    if (event.has_message_recorded()) {
      saw_message = true;
      EXPECT_EQ(event.message_recorded().message_id(), live.message_id());
      EXPECT_EQ(event.message_recorded().external_id(), "<m100@example.com>");
    }
  }
  EXPECT_TRUE(saw_message);
  EXPECT_EQ(stream.Cancel().error_code(), grpc::StatusCode::CANCELLED);

  // From past the end: nothing until the next event, which comes first.
  Stream<v1::Event> tail = Watch(kTenant, last + 1);
  Mail(101);
  ASSERT_TRUE(tail.Next(&event));
  EXPECT_EQ(event.sequence(), last + 1);
  tail.Cancel();

  // 0 is read as 1: the whole log.
  Stream<v1::Event> whole = Watch(kTenant, 0);
  ASSERT_TRUE(whole.Next(&event));
  EXPECT_EQ(event.sequence(), 1u);
  whole.Cancel();
}

TEST_F(StreamsTest, WatchOfAnUnknownTenantFailsWithNotFound) {
  Stream<v1::Event> stream = Watch("nobody", 1);
  v1::Event event;
  EXPECT_FALSE(stream.reader->Read(&event));
  const grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("tenant"));
}

// An archive holds the conversation's whole history, which the feed carried
// already: the feed names the archived conversation and leaves the archive
// out, and the conversation is still read over the API.
TEST_F(StreamsTest, WatchAnnouncesAnArchivedConversationWithoutItsArchive) {
  v1::TenantSettings settings;
  settings.set_max_body_bytes(1 << 16);
  *settings.mutable_closed_retention() = ToDurationProto(absl::ZeroDuration());
  CreateTenant(kTenant, &settings);
  const uint64_t conversation = Mail(1).conversation_id();
  SetStatus(kTenant, conversation, v1::CONVERSATION_STATUS_CLOSED, "a1");
  EXPECT_GE(RunDueTimers(kTenant), 1);

  Stream<v1::Event> stream = Watch(kTenant, 1);
  const uint64_t last = LastSequence(kTenant);
  std::optional<v1::Event> archived;
  v1::Event event;
  while (stream.Next(&event)) {
    if (event.has_conversation_archived()) archived = event;
    if (event.sequence() == last) break;
  }
  ASSERT_TRUE(archived.has_value()) << "no ConversationArchived up to " << last;
  EXPECT_EQ(archived->conversation_archived().conversation_id(), conversation);
  EXPECT_FALSE(archived->conversation_archived().has_archive());
  stream.Cancel();

  const v1::Conversation read = GetConversation(kTenant, conversation);
  EXPECT_EQ(read.status(), v1::CONVERSATION_STATUS_CLOSED);
  EXPECT_EQ(read.message_count(), 1);
}

// Disconnects after k events and resumes from k + 1 while another client
// keeps committing: across both streams every event 1..N arrives exactly
// once, and equal to what a full read from 1 returns.
TEST_F(StreamsTest, ResumeAfterADisconnectMissesAndRepeatsNothingWhileCommandsRun) {
  SetUpTenant();
  SetPresence(kTenant, "a1", v1::AGENT_PRESENCE_AVAILABLE);
  for (int i = 0; i < 20; ++i) Mail(i);
  const uint64_t before = LastSequence(kTenant);
  const uint64_t k = before / 2 + 3;

  std::vector<v1::Event> received;
  {
    Stream<v1::Event> first = Watch(kTenant, 1);
    v1::Event event;
    while (received.size() < k && first.Next(&event)) received.push_back(event);
    ASSERT_EQ(received.size(), k);
    first.Cancel();
  }

  constexpr int kCommands = 60;
  Background writer([this] {
    for (int i = 1000; i < 1000 + kCommands; ++i) Mail(i);
  });
  Stream<v1::Event> second = Watch(kTenant, k + 1);
  // Read while the writer runs, up to what existed before it started...
  v1::Event event;
  while (received.size() < before && second.Next(&event)) received.push_back(event);
  writer.Join();
  // ...then to the end of what it committed.
  const uint64_t last = LastSequence(kTenant);
  ASSERT_GT(last, before);
  while (received.size() < last && second.Next(&event)) received.push_back(event);
  second.Cancel();

  ASSERT_EQ(received.size(), last);
  for (uint64_t i = 0; i < last; ++i) {
    ASSERT_EQ(received[i].sequence(), i + 1) << "at position " << i << " (k = " << k << ")";
  }
  const std::vector<v1::Event> whole = ReadEvents(kTenant, 1, last);
  ASSERT_EQ(whole.size(), received.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(whole[i], received[i])) << "sequence " << i + 1;
  }
}

// The same, disconnecting again and again at arbitrary points, so that
// resumes land in the stored past, at its end, and in the live tail.
TEST_F(StreamsTest, RepeatedDisconnectsAndResumesSeeEachEventOnce) {
  SetUpTenant();
  for (int i = 0; i < 5; ++i) Mail(i);
  constexpr int kCommands = 80;
  std::atomic<bool> writer_done{false};
  Background writer([this, &writer_done] {
    for (int i = 1000; i < 1000 + kCommands; ++i) Mail(i);
    writer_done = true;
  });
  std::vector<uint64_t> seen;
  uint64_t next = 1;
  int rounds = 0;
  while (true) {
    // Read in this order: once the writer is done, `known` covers all.
    const bool finished = writer_done.load();
    const uint64_t known = LastSequence(kTenant);
    if (next > known) {
      if (finished) break;
      continue;
    }
    // Only what is known to exist is awaited; 1 to 13 events per stream.
    const uint64_t take = std::min<uint64_t>(1 + (rounds * 7) % 13, known - next + 1);
    Stream<v1::Event> stream = Watch(kTenant, next);
    v1::Event event;
    for (uint64_t i = 0; i < take; ++i) {
      ASSERT_TRUE(stream.Next(&event)) << "waiting for " << next;
      seen.push_back(event.sequence());
      next = event.sequence() + 1;
    }
    stream.Cancel();
    ++rounds;
  }
  writer.Join();
  const uint64_t last = LastSequence(kTenant);
  ASSERT_EQ(seen.size(), last) << "over " << rounds << " streams";
  for (uint64_t i = 0; i < last; ++i) ASSERT_EQ(seen[i], i + 1) << "position " << i;
  EXPECT_GT(rounds, 10);
}

// ------------------------------------------------------------ StreamOffers

TEST_F(StreamsTest, OfferStreamShowsPendingOffersNewOnesAndHowEachEnds) {
  SetUpTenant();
  SetPresence(kTenant, "a1", v1::AGENT_PRESENCE_AVAILABLE);
  const v1::IngestMessageResponse m1 = Mail(1);
  ASSERT_EQ(m1.task().offer().agent_id(), "a1");
  const uint64_t t1 = m1.task().task_id();

  // Pending when the stream opens.
  Stream<v1::OfferUpdate> a1 = Offers(kTenant, "a1");
  v1::OfferUpdate u;
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
  EXPECT_EQ(u.task().task_id(), t1);
  EXPECT_EQ(u.task().offer().agent_id(), "a1");
  uint64_t sequence = u.sequence();

  // A new offer as it is made.
  const absl::Time offered_at = clock_.Now();
  const uint64_t t2 = Mail(2).task().task_id();
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
  EXPECT_EQ(u.task().task_id(), t2);
  EXPECT_EQ(u.task().conversation_id(), GetTask(kTenant, t2).conversation_id());
  EXPECT_EQ(FromTimestamp(u.task().offer().expires_at()), offered_at + absl::Seconds(30));
  EXPECT_GT(u.sequence(), sequence);
  sequence = u.sequence();

  // Accepted.
  ASSERT_TRUE(AcceptOffer(kTenant, t1, "a1").ok());
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_ASSIGNED);
  EXPECT_EQ(u.task().task_id(), t1);
  EXPECT_EQ(u.task().agent_id(), "a1");
  EXPECT_GT(u.sequence(), sequence);
  sequence = u.sequence();

  // Declined: re-offered to the other agent's stream.
  SetPresence(kTenant, "a2", v1::AGENT_PRESENCE_AVAILABLE);
  Stream<v1::OfferUpdate> a2 = Offers(kTenant, "a2");
  ASSERT_TRUE(DeclineOffer(kTenant, t2, "a1", "not mine").ok());
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_DECLINED);
  EXPECT_EQ(u.task().task_id(), t2);
  ASSERT_TRUE(a2.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
  EXPECT_EQ(u.task().task_id(), t2);
  EXPECT_EQ(u.task().offer().agent_id(), "a2");
  EXPECT_THAT(GetTask(kTenant, t2).excluded_agent_ids(), Contains("a1"));

  // The second agent declines too; the task waits, and is never offered
  // back to the first: the next update on a1's stream is the next new task.
  ASSERT_TRUE(DeclineOffer(kTenant, t2, "a2").ok());
  ASSERT_TRUE(a2.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_DECLINED);
  EXPECT_EQ(u.task().task_id(), t2);
  EXPECT_EQ(GetTask(kTenant, t2).status(), v1::TASK_STATUS_WAITING);
  SetPresence(kTenant, "a2", v1::AGENT_PRESENCE_OFFLINE);
  const uint64_t t3 = Mail(3).task().task_id();
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
  EXPECT_EQ(u.task().task_id(), t3);

  // Expired once the offer timeout has passed on the server's clock.
  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(RunDueTimers(kTenant), 0);
  EXPECT_EQ(GetTask(kTenant, t3).status(), v1::TASK_STATUS_OFFERED);
  clock_.Advance(absl::Seconds(1));
  EXPECT_GE(RunDueTimers(kTenant), 1);
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_EXPIRED);
  EXPECT_EQ(u.task().task_id(), t3);
  EXPECT_EQ(GetAgent(kTenant, "a1").consecutive_expiries(), 1);
  const v1::Task expired = GetTask(kTenant, t3);
  EXPECT_EQ(expired.status(), v1::TASK_STATUS_WAITING);
  EXPECT_THAT(expired.excluded_agent_ids(), Contains("a1"));

  // Withdrawn when the agent leaves AVAILABLE.
  const uint64_t t4 = Mail(4).task().task_id();
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
  EXPECT_EQ(u.task().task_id(), t4);
  SetPresence(kTenant, "a1", v1::AGENT_PRESENCE_BUSY);
  ASSERT_TRUE(a1.Next(&u));
  EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_WITHDRAWN);
  EXPECT_EQ(u.task().task_id(), t4);
  EXPECT_LE(u.sequence(), LastSequence(kTenant));

  EXPECT_EQ(a1.Cancel().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(a2.Cancel().error_code(), grpc::StatusCode::CANCELLED);
}

// A reconnecting agent is told again about every offer still pending, each
// once, then follows new ones.
TEST_F(StreamsTest, ReopenedOfferStreamListsEveryPendingOfferOnce) {
  SetUpTenant();
  SetPresence(kTenant, "a1", v1::AGENT_PRESENCE_AVAILABLE);
  const uint64_t t1 = Mail(1).task().task_id();
  const uint64_t t2 = Mail(2).task().task_id();
  std::vector<uint64_t> pending;
  for (int open = 0; open < 2; ++open) {
    Stream<v1::OfferUpdate> stream = Offers(kTenant, "a1");
    v1::OfferUpdate u;
    ASSERT_TRUE(stream.Next(&u));
    const uint64_t first = u.task().task_id();
    EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
    ASSERT_TRUE(stream.Next(&u));
    EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
    EXPECT_THAT((std::vector<uint64_t>{first, u.task().task_id()}),
                ::testing::UnorderedElementsAre(t1, t2));
    // The next update is the new offer, not a repeat of a pending one.
    const uint64_t t = Mail(10 + open).task().task_id();
    ASSERT_TRUE(stream.Next(&u));
    EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_OFFERED);
    EXPECT_EQ(u.task().task_id(), t);
    ASSERT_TRUE(DeclineOffer(kTenant, t, "a1").ok());
    ASSERT_TRUE(stream.Next(&u));
    EXPECT_EQ(u.kind(), v1::OfferUpdate::KIND_DECLINED);
    EXPECT_EQ(u.task().task_id(), t);
    stream.Cancel();
  }
}

TEST_F(StreamsTest, OfferStreamOfAnUnknownAgentOrTenantFailsWithNotFound) {
  SetUpTenant();
  for (const auto& [tenant, agent, field] :
       {std::tuple<const char*, const char*, const char*>{kTenant, "nobody", "agent"},
        std::tuple<const char*, const char*, const char*>{"nobody", "a1", "tenant"}}) {
    Stream<v1::OfferUpdate> stream = Offers(tenant, agent);
    v1::OfferUpdate u;
    EXPECT_FALSE(stream.reader->Read(&u)) << tenant << "/" << agent;
    const grpc::Status status = stream.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr(field));
  }
}

}  // namespace
}  // namespace omniroute::service_test
