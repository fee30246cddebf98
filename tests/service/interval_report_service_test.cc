// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// RoutingService.GetIntervalReport over gRPC, against an in-process server
// on a manual clock: one scenario's rows over the wire (their start
// timestamps and figures), and the requests refused (from or to missing,
// to before from). The figures expected are worked out from the timeline.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service_test_support.h"

namespace omniroute::service_test {
namespace {

constexpr char kTenant[] = "report-tenant";

absl::Duration FromDurationProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

class IntervalReportServiceTest : public ServiceTest {
 protected:
  // One email queue with a one-minute first-response target; Bea takes one
  // email at a time.
  void SetUpTenant() {
    CreateTenant(kTenant);
    v1::QueueConfig email = Queue("email", {v1::CHANNEL_EMAIL});
    *email.mutable_first_response_target() = ToDurationProto(absl::Minutes(1));
    UpsertQueue(kTenant, email);
    v1::RoutingSettings routing;
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "email");
    ConfigureRouting(kTenant, routing);
    UpsertAgent(kTenant, AgentWith("bea", {v1::CHANNEL_EMAIL}, {}, /*capacity=*/1));
  }

  uint64_t Email(absl::string_view from) {
    const std::string address = absl::StrCat(from, "@example.com");
    return Ingest(EmailMessage(kTenant, address, absl::StrCat("mail-", from), "Hello"))
        .task()
        .task_id();
  }

  // A request; a time left unset when `from` or `to` is nullopt.
  Reply<v1::IntervalReport> Report(std::optional<absl::Time> from, std::optional<absl::Time> to,
                                   absl::string_view tenant = kTenant) {
    v1::GetIntervalReportRequest r;
    r.set_tenant_id(std::string(tenant));
    if (from.has_value()) *r.mutable_from() = ToTimestamp(*from);
    if (to.has_value()) *r.mutable_to() = ToTimestamp(*to);
    return Invoke(*routing_, &v1::RoutingService::Stub::GetIntervalReport, r);
  }
};

// From 19:00: Anna's email is accepted at once; Ben's (19:02) waits for
// Bea until she is done with Anna's at 19:04 (2 minutes, past the
// 1-minute target). Bea finishes Ben's at 19:16. Carl's email (19:17) is
// offered to her and he gives up at 19:20.
TEST_F(IntervalReportServiceTest, RowsOverTheWire) {
  SetUpTenant();
  SetPresence(kTenant, "bea", v1::AGENT_PRESENCE_AVAILABLE);
  const uint64_t anna = Email("anna");
  Accept(kTenant, anna, "bea");
  clock_.Advance(absl::Minutes(2));
  const uint64_t ben = Email("ben");
  clock_.Advance(absl::Minutes(2));
  Complete(kTenant, anna, "bea");
  Accept(kTenant, ben, "bea");
  clock_.AdvanceTo(Start() + absl::Minutes(16));
  Complete(kTenant, ben, "bea");
  clock_.AdvanceTo(Start() + absl::Minutes(17));
  const uint64_t carl = Email("carl");
  ASSERT_EQ(GetTask(kTenant, carl).status(), v1::TASK_STATUS_OFFERED);
  clock_.AdvanceTo(Start() + absl::Minutes(20));
  v1::AbandonTaskRequest abandon;
  abandon.set_tenant_id(kTenant);
  abandon.set_task_id(carl);
  MustInvoke(*routing_, &v1::RoutingService::Stub::AbandonTask, abandon);

  // 19:03 to 19:29 is widened to 19:00 to 19:30.
  Reply<v1::IntervalReport> report =
      Report(Start() + absl::Minutes(3), Start() + absl::Minutes(29));
  ASSERT_TRUE(report.ok()) << Describe(report.status);
  EXPECT_EQ(FromTimestamp(report.value.from()), Start());
  EXPECT_EQ(FromTimestamp(report.value.to()), Start() + absl::Minutes(30));
  EXPECT_GT(report.value.events_read(), 0);
  ASSERT_EQ(report.value.rows_size(), 2) << report.value.ShortDebugString();

  // 19:00: Anna and Ben offered and answered (after 0 and 2 minutes, one
  // within the target); Anna handled in 4 minutes.
  const v1::IntervalFigures& first = report.value.rows(0);
  EXPECT_EQ(FromTimestamp(first.start()), Start());
  EXPECT_EQ(first.queue_id(), "email");
  EXPECT_EQ(first.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(first.offered(), 2);
  EXPECT_EQ(first.answered(), 2);
  EXPECT_EQ(first.answered_within_target(), 1);
  EXPECT_EQ(first.abandoned(), 0);
  EXPECT_EQ(first.handled(), 1);
  EXPECT_EQ(first.transferred(), 0);
  EXPECT_EQ(first.handed_off(), 0);
  EXPECT_EQ(first.repeat_answers(), 0);
  EXPECT_EQ(first.same_agent_answers(), 0);
  ASSERT_TRUE(first.has_average_speed_of_answer());
  EXPECT_EQ(FromDurationProto(first.average_speed_of_answer()), absl::Minutes(1));
  ASSERT_TRUE(first.has_service_level());
  EXPECT_DOUBLE_EQ(first.service_level(), 0.5);
  ASSERT_TRUE(first.has_average_handle_time());
  EXPECT_EQ(FromDurationProto(first.average_handle_time()), absl::Minutes(4));
  EXPECT_FALSE(first.has_same_agent_rate());

  // 19:15: Carl offered and abandoned; Ben handled in 12 minutes.
  const v1::IntervalFigures& second = report.value.rows(1);
  EXPECT_EQ(FromTimestamp(second.start()), Start() + absl::Minutes(15));
  EXPECT_EQ(second.queue_id(), "email");
  EXPECT_EQ(second.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(second.offered(), 1);
  EXPECT_EQ(second.answered(), 0);
  EXPECT_EQ(second.answered_within_target(), 0);
  EXPECT_EQ(second.abandoned(), 1);
  EXPECT_EQ(second.handled(), 1);
  EXPECT_FALSE(second.has_average_speed_of_answer()) << "nothing answered";
  ASSERT_TRUE(second.has_service_level());
  EXPECT_DOUBLE_EQ(second.service_level(), 0.0);
  ASSERT_TRUE(second.has_average_handle_time());
  EXPECT_EQ(FromDurationProto(second.average_handle_time()), absl::Minutes(12));
  EXPECT_FALSE(second.has_same_agent_rate());

  // The second interval alone.
  Reply<v1::IntervalReport> later =
      Report(Start() + absl::Minutes(15), Start() + absl::Minutes(30));
  ASSERT_TRUE(later.ok()) << Describe(later.status);
  ASSERT_EQ(later.value.rows_size(), 1) << later.value.ShortDebugString();
  EXPECT_EQ(FromTimestamp(later.value.rows(0).start()), Start() + absl::Minutes(15));
  EXPECT_EQ(later.value.rows(0).handled(), 1);
}

TEST_F(IntervalReportServiceTest, BadRequestsAreRefusedNamingTheField) {
  SetUpTenant();
  const absl::Time from = Start();
  Reply<v1::IntervalReport> no_from = Report(std::nullopt, from + absl::Hours(1));
  EXPECT_EQ(no_from.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(no_from.status.error_message(), "from")) << Describe(no_from.status);
  Reply<v1::IntervalReport> no_to = Report(from, std::nullopt);
  EXPECT_EQ(no_to.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(no_to.status.error_message(), "to")) << Describe(no_to.status);
  Reply<v1::IntervalReport> neither = Report(std::nullopt, std::nullopt);
  EXPECT_EQ(neither.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Reply<v1::IntervalReport> backwards = Report(from, from - absl::Minutes(15));
  EXPECT_EQ(backwards.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(backwards.status.error_message(), "to:"))
      << Describe(backwards.status);
  Reply<v1::IntervalReport> too_long = Report(from, from + absl::Hours(24 * 32));
  EXPECT_EQ(too_long.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(too_long.status.error_message(), "to:"))
      << Describe(too_long.status);
  EXPECT_EQ(Report(from, from + absl::Hours(1), "no-such-tenant").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A good request for comparison: nothing happened, so no rows.
  Reply<v1::IntervalReport> empty = Report(from, from + absl::Hours(1));
  ASSERT_TRUE(empty.ok()) << Describe(empty.status);
  EXPECT_EQ(empty.value.rows_size(), 0);
}

}  // namespace
}  // namespace omniroute::service_test
