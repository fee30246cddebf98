// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The real-time statistics over gRPC: RoutingService.GetQueueStatistics,
// GetAgentStatistics, the wait estimate in GetTask, and the
// WatchQueueStatistics stream, against an in-process server on a manual
// clock. The figures expected are worked out from each scenario's timeline.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service_test_support.h"

namespace omniroute::service_test {
namespace {

constexpr char kTenant[] = "statistics-tenant";

absl::Duration FromDurationProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

class StatisticsServiceTest : public ServiceTest {
 protected:
  // One email queue and one agent, Bea, who takes one email at a time.
  void SetUpTenant() {
    CreateTenant(kTenant);
    UpsertQueue(kTenant, Queue("email", {v1::CHANNEL_EMAIL}));
    UpsertQueue(kTenant, Queue("phone", {v1::CHANNEL_VOICE}));
    v1::RoutingSettings routing;
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "email");
    *routing.add_rules() = Rule("phone", {v1::CHANNEL_VOICE}, "phone");
    ConfigureRouting(kTenant, routing);
    UpsertAgent(kTenant, AgentWith("bea", {v1::CHANNEL_EMAIL}, {}, /*capacity=*/1));
  }

  Reply<v1::GetQueueStatisticsResponse> QueueStatistics(std::vector<std::string> ids,
                                                        absl::string_view tenant = kTenant) {
    v1::GetQueueStatisticsRequest r;
    r.set_tenant_id(std::string(tenant));
    for (const std::string& id : ids) r.add_queue_ids(id);
    return Invoke(*routing_, &v1::RoutingService::Stub::GetQueueStatistics, r);
  }

  Reply<v1::AgentStatistics> AgentStatistics(absl::string_view agent) {
    v1::GetAgentRequest r;
    r.set_tenant_id(kTenant);
    r.set_agent_id(std::string(agent));
    return Invoke(*routing_, &v1::RoutingService::Stub::GetAgentStatistics, r);
  }

  uint64_t Email(absl::string_view from) {
    const std::string address = absl::StrCat(from, "@example.com");
    return Ingest(EmailMessage(kTenant, address, absl::StrCat("mail-", from), "Hello"))
        .task()
        .task_id();
  }
};

TEST_F(StatisticsServiceTest, QueueAndAgentFiguresFollowTheDay) {
  SetUpTenant();
  // 19:00:00, the start of a minute.
  SetPresence(kTenant, "bea", v1::AGENT_PRESENCE_AVAILABLE);
  // Anna's email is offered at once and taken; Ben's and Carl's wait.
  const uint64_t anna = Email("anna");
  Accept(kTenant, anna, "bea");
  const uint64_t ben = Email("ben");
  const uint64_t carl = Email("carl");
  v1::Task waiting = GetTask(kTenant, carl);
  ASSERT_TRUE(waiting.has_wait_estimate());
  EXPECT_EQ(waiting.wait_estimate().position(), 2);
  EXPECT_FALSE(waiting.wait_estimate().has_wait()) << "one answer is not enough to estimate";
  EXPECT_EQ(waiting.wait_estimate().answers(), 1);
  EXPECT_EQ(GetTask(kTenant, ben).wait_estimate().position(), 1);
  EXPECT_FALSE(GetTask(kTenant, anna).has_wait_estimate()) << "assigned";

  // Each email takes Bea two minutes: Ben waits 2, Carl 4.
  clock_.Advance(absl::Minutes(2));
  Complete(kTenant, anna, "bea");
  Accept(kTenant, ben, "bea");
  clock_.Advance(absl::Minutes(2));
  Complete(kTenant, ben, "bea");
  Accept(kTenant, carl, "bea");
  clock_.Advance(absl::Minutes(2));
  Complete(kTenant, carl, "bea");
  // Bea stays available four more minutes, then steps away at 19:10.
  clock_.Advance(absl::Minutes(4));
  SetPresence(kTenant, "bea", v1::AGENT_PRESENCE_AWAY);
  const uint64_t dora = Email("dora");
  const uint64_t emil = Email("emil");
  const uint64_t fay = Email("fay");
  clock_.Advance(absl::Seconds(30));

  // Three answers over the ten and a half minutes since 19:00: one every
  // 3.5 minutes.
  v1::Task second = GetTask(kTenant, emil);
  ASSERT_TRUE(second.has_wait_estimate());
  EXPECT_EQ(second.wait_estimate().position(), 2);
  EXPECT_EQ(second.wait_estimate().answers(), 3);
  EXPECT_EQ(FromDurationProto(second.wait_estimate().span()), absl::Seconds(630));
  ASSERT_TRUE(second.wait_estimate().has_wait());
  EXPECT_EQ(FromDurationProto(second.wait_estimate().wait()), absl::Minutes(7));
  EXPECT_EQ(FromDurationProto(GetTask(kTenant, dora).wait_estimate().wait()), absl::Seconds(210));

  Reply<v1::GetQueueStatisticsResponse> all = QueueStatistics({});
  ASSERT_TRUE(all.ok()) << Describe(all.status);
  ASSERT_EQ(all.value.queues_size(), 2);
  EXPECT_EQ(all.value.queues(0).queue_id(), "email") << "configuration order";
  EXPECT_EQ(all.value.queues(1).queue_id(), "phone");
  EXPECT_EQ(FromTimestamp(all.value.at()), Start() + absl::Seconds(630));
  const v1::QueueStatistics& email = all.value.queues(0);
  EXPECT_EQ(email.waiting(), 3);
  EXPECT_EQ(email.offered(), 0);
  EXPECT_EQ(email.assigned(), 0);
  EXPECT_EQ(FromDurationProto(email.longest_wait()), absl::Seconds(30));
  EXPECT_EQ(email.agents_away(), 1);
  EXPECT_EQ(email.agents_available(), 0);
  const v1::WindowFigures& last15 = email.last_15_minutes();
  EXPECT_EQ(FromDurationProto(last15.window()), absl::Minutes(15));
  EXPECT_EQ(last15.offered(), 6);
  EXPECT_EQ(last15.answered(), 3);
  EXPECT_EQ(last15.answered_within_target(), 3);
  EXPECT_EQ(last15.abandoned(), 0);
  EXPECT_EQ(last15.handled(), 3);
  EXPECT_EQ(FromDurationProto(last15.average_speed_of_answer()), absl::Minutes(2));
  EXPECT_EQ(FromDurationProto(last15.average_handle_time()), absl::Minutes(2));
  ASSERT_TRUE(last15.has_service_level());
  EXPECT_DOUBLE_EQ(last15.service_level(), 1.0);
  ASSERT_EQ(email.channels_size(), 1);
  EXPECT_EQ(email.channels(0).channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(email.channels(0).waiting(), 3);
  EXPECT_EQ(email.channels(0).new_task_wait().position(), 4);
  EXPECT_EQ(FromDurationProto(email.channels(0).new_task_wait().wait()), absl::Seconds(840));
  // Nobody serves the phone queue: no agents, nothing to estimate from.
  const v1::QueueStatistics& phone = all.value.queues(1);
  EXPECT_EQ(phone.waiting(), 0);
  EXPECT_EQ(phone.agents_away() + phone.agents_available() + phone.agents_busy(), 0);
  EXPECT_FALSE(phone.last_15_minutes().has_service_level());
  EXPECT_FALSE(phone.channels(0).new_task_wait().has_wait());

  // Fay gives up: one abandoned of four that ended their wait.
  v1::AbandonTaskRequest abandon;
  abandon.set_tenant_id(kTenant);
  abandon.set_task_id(fay);
  MustInvoke(*routing_, &v1::RoutingService::Stub::AbandonTask, abandon);
  Reply<v1::GetQueueStatisticsResponse> after = QueueStatistics({"email"});
  ASSERT_TRUE(after.ok()) << Describe(after.status);
  ASSERT_EQ(after.value.queues_size(), 1);
  EXPECT_EQ(after.value.queues(0).last_15_minutes().abandoned(), 1);
  EXPECT_DOUBLE_EQ(after.value.queues(0).last_15_minutes().service_level(), 0.75);
  EXPECT_EQ(after.value.queues(0).waiting(), 2);

  // Bea: signed in 10.5 minutes, busy 6 of them, three emails of two
  // minutes each.
  Reply<v1::AgentStatistics> bea = AgentStatistics("bea");
  ASSERT_TRUE(bea.ok()) << Describe(bea.status);
  EXPECT_EQ(bea.value.presence(), v1::AGENT_PRESENCE_AWAY);
  EXPECT_EQ(FromDurationProto(bea.value.window()), absl::Minutes(60));
  EXPECT_EQ(FromDurationProto(bea.value.staffed()), absl::Seconds(630));
  EXPECT_EQ(FromDurationProto(bea.value.busy()), absl::Minutes(6));
  ASSERT_TRUE(bea.value.has_occupancy());
  EXPECT_DOUBLE_EQ(bea.value.occupancy(), 360.0 / 630.0);
  EXPECT_EQ(bea.value.handled(), 3);
  EXPECT_EQ(FromDurationProto(bea.value.average_handle_time()), absl::Minutes(2));

  // Twenty minutes later (19:30:30) the short window, 19:16 on, holds
  // nothing; the hour still holds everything.
  clock_.Advance(absl::Minutes(20));
  Reply<v1::GetQueueStatisticsResponse> later = QueueStatistics({"email"});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later.value.queues(0).last_15_minutes().answered(), 0);
  EXPECT_FALSE(later.value.queues(0).last_15_minutes().has_average_speed_of_answer());
  EXPECT_EQ(later.value.queues(0).last_60_minutes().answered(), 3);
  EXPECT_EQ(later.value.queues(0).last_60_minutes().offered(), 6);
  EXPECT_FALSE(GetTask(kTenant, emil).wait_estimate().has_wait()) << "no recent answers";
}

TEST_F(StatisticsServiceTest, BadRequestsAreRefusedNamingTheField) {
  SetUpTenant();
  Reply<v1::GetQueueStatisticsResponse> unknown = QueueStatistics({"email", "chat"});
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(unknown.status.error_message(), "queue_ids[1]"))
      << Describe(unknown.status);
  Reply<v1::GetQueueStatisticsResponse> malformed = QueueStatistics({"no spaces"});
  EXPECT_EQ(malformed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(malformed.status.error_message(), "queue_ids[0]"))
      << Describe(malformed.status);
  EXPECT_EQ(QueueStatistics({}, "no-such-tenant").status.error_code(), grpc::StatusCode::NOT_FOUND);

  Reply<v1::AgentStatistics> nobody = AgentStatistics("zoe");
  EXPECT_EQ(nobody.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(nobody.status.error_message(), "agent_id"))
      << Describe(nobody.status);
  EXPECT_EQ(AgentStatistics("").status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Never signed in: no occupancy to speak of.
  Reply<v1::AgentStatistics> bea = AgentStatistics("bea");
  ASSERT_TRUE(bea.ok());
  EXPECT_FALSE(bea.value.has_occupancy());
  EXPECT_EQ(bea.value.presence(), v1::AGENT_PRESENCE_OFFLINE);
}

// ------------------------------------------------------------ the stream

class WatchQueueStatisticsTest : public StatisticsServiceTest {
 protected:
  std::unique_ptr<grpc::ClientReader<v1::QueueStatisticsUpdate>> Watch(
      grpc::ClientContext& context, std::vector<std::string> ids,
      absl::Duration interval = absl::Milliseconds(100)) {
    SetDeadline(context);
    v1::WatchQueueStatisticsRequest r;
    r.set_tenant_id(kTenant);
    for (const std::string& id : ids) r.add_queue_ids(id);
    *r.mutable_interval() = ToDurationProto(interval);
    return routing_->WatchQueueStatistics(&context, r);
  }

  // The stream's status when it ends at once.
  grpc::Status Refusal(std::vector<std::string> ids, absl::Duration interval) {
    grpc::ClientContext context;
    auto reader = Watch(context, ids, interval);
    v1::QueueStatisticsUpdate update;
    EXPECT_FALSE(reader->Read(&update)) << update.ShortDebugString();
    return reader->Finish();
  }
};

TEST_F(WatchQueueStatisticsTest, SendsEveryQueueThenWhatChanged) {
  SetUpTenant();
  grpc::ClientContext context;
  auto reader = Watch(context, {});
  v1::QueueStatisticsUpdate update;
  ASSERT_TRUE(reader->Read(&update)) << Describe(reader->Finish());
  ASSERT_EQ(update.queues_size(), 2);
  EXPECT_EQ(update.queues(0).queue_id(), "email");
  EXPECT_EQ(update.queues(0).waiting(), 0);
  EXPECT_EQ(FromTimestamp(update.at()), Start());

  // The clock stands still, so nothing changes until the email comes: the
  // next update is about it, and about the email queue only.
  Email("anna");
  ASSERT_TRUE(reader->Read(&update));
  ASSERT_EQ(update.queues_size(), 1);
  EXPECT_EQ(update.queues(0).queue_id(), "email");
  EXPECT_EQ(update.queues(0).waiting(), 1);
  EXPECT_EQ(update.queues(0).last_15_minutes().offered(), 1);

  // A queue configured while watching every queue shows up.
  UpsertQueue(kTenant, Queue("chat", {v1::CHANNEL_CHAT}));
  ASSERT_TRUE(reader->Read(&update));
  ASSERT_EQ(update.queues_size(), 1);
  EXPECT_EQ(update.queues(0).queue_id(), "chat");

  // The clock moves: the wait grows.
  clock_.Advance(absl::Seconds(45));
  ASSERT_TRUE(reader->Read(&update));
  ASSERT_EQ(update.queues_size(), 1);
  EXPECT_EQ(FromDurationProto(update.queues(0).longest_wait()), absl::Seconds(45));
  EXPECT_EQ(FromTimestamp(update.at()), Start() + absl::Seconds(45));

  context.TryCancel();
  while (reader->Read(&update)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(WatchQueueStatisticsTest, OnlyTheQueuesAskedForAreSent) {
  SetUpTenant();
  grpc::ClientContext context;
  auto reader = Watch(context, {"phone"});
  v1::QueueStatisticsUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  ASSERT_EQ(update.queues_size(), 1);
  EXPECT_EQ(update.queues(0).queue_id(), "phone");
  // An email changes nothing watched; a call does.
  Email("anna");
  Ingest(PhoneCall(kTenant, "+4915112345678", "call-1", "Calling about my order"));
  ASSERT_TRUE(reader->Read(&update));
  ASSERT_EQ(update.queues_size(), 1);
  EXPECT_EQ(update.queues(0).queue_id(), "phone");
  EXPECT_EQ(update.queues(0).waiting(), 1);
  context.TryCancel();
  while (reader->Read(&update)) {
  }
  reader->Finish();
}

TEST_F(WatchQueueStatisticsTest, BadRequestsEndTheStreamNamingTheField) {
  SetUpTenant();
  grpc::Status fast = Refusal({}, absl::Milliseconds(10));
  EXPECT_EQ(fast.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(fast.error_message(), "interval")) << Describe(fast);
  grpc::Status slow = Refusal({}, absl::Minutes(5));
  EXPECT_EQ(slow.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status unknown = Refusal({"email", "chat"}, absl::Seconds(1));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(unknown.error_message(), "queue_ids[1]")) << Describe(unknown);

  grpc::ClientContext context;
  SetDeadline(context);
  v1::WatchQueueStatisticsRequest r;
  r.set_tenant_id("no-such-tenant");
  auto reader = routing_->WatchQueueStatistics(&context, r);
  v1::QueueStatisticsUpdate update;
  EXPECT_FALSE(reader->Read(&update));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace omniroute::service_test
