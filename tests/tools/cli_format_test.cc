// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The readable output of the omniroute command line (timelines, customers,
// tasks, offers, commitments, events) and its --json lines, from messages
// built here: what a user reads must not depend on a server to be checked.

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/conversation_format.h"
#include "cli/event_format.h"
#include "cli/paging.h"
#include "cli/printer.h"
#include "cli/routing_format.h"
#include "cli/text_block.h"
#include "cli/time_text.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/service.pb.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(TextBlockTest, OneLineColumnsAndKeyValues) {
  EXPECT_EQ(OneLine("Hello,\r\n\r\nthe jar\tis spoiled"), "Hello, the jar is spoiled");
  EXPECT_EQ(OneLine("bell\x07"), "bell?");
  EXPECT_EQ(OneLine("abcdef", 3), "abc...");
  // "é" is two bytes: the cut never splits it.
  EXPECT_EQ(OneLine("ab\xC3\xA9", 3), "ab...");

  Columns columns;
  columns.AddRow({"a", "bbb", "c"});
  columns.AddRow({"aaa", "b", ""});
  EXPECT_EQ(columns.Render(), "a    bbb  c\naaa  b\n");

  KeyValueBlock block;
  block.Add("task", "12").Add("first response due", "").AddIfSet("agent", "");
  EXPECT_EQ(block.Render(), "task                12\nfirst response due  -\n");
}

TEST(ConversationFormatTest, TimelineIsOneAlignedLinePerMessageAndHandoff) {
  const auto timeline = Parse<v1::GetTimelineResponse>(R"pb(
    entries {
      at { seconds: 1714640400 }
      message {
        channel: CHANNEL_PUBLIC_SOCIAL
        direction: DIRECTION_INBOUND
        sender { kind: IDENTITY_KIND_SOCIAL_HANDLE network: "x" value: "parent_of_lea" }
        body: "The jar was spoiled!\nPhoto attached."
      }
    }
    entries {
      at { seconds: 1714641600 }
      message {
        channel: CHANNEL_PUBLIC_SOCIAL
        direction: DIRECTION_OUTBOUND
        agent_id: "ann"
        body: "Sorry! Please DM us."
      }
    }
    entries {
      at { seconds: 1714641660 }
      handoff {
        from_channel: CHANNEL_PUBLIC_SOCIAL
        to_channel: CHANNEL_PRIVATE_SOCIAL
        reason: "personal data"
        actor { kind: ACTOR_KIND_AGENT id: "ann" }
      }
    }
  )pb");
  EXPECT_THAT(Lines(FormatTimeline(timeline)),
              ElementsAre("2024-05-02T09:00:00Z  PUBLIC_SOCIAL   in       handle@x:parent_of_lea  "
                          "The jar was spoiled! Photo attached.",
                          "2024-05-02T09:20:00Z  PUBLIC_SOCIAL   out      agent ann               "
                          "Sorry! Please DM us.",
                          "2024-05-02T09:21:00Z  PRIVATE_SOCIAL  handoff  agent ann               "
                          "from PUBLIC_SOCIAL: personal data"));
  EXPECT_EQ(FormatTimeline(v1::GetTimelineResponse()), "(empty timeline)\n");
}

TEST(ConversationFormatTest, IngestLinkAndCustomer) {
  const auto ingest = Parse<v1::IngestMessageResponse>(R"pb(
    customer_id: 1
    conversation_id: 3
    message_id: 5
    outcome: THREAD_OUTCOME_JOINED_BY_REFERENCE
    task {
      task_id: 2
      conversation_id: 3
      channel: CHANNEL_EMAIL
      reason: TASK_REASON_INBOUND
      status: TASK_STATUS_WAITING
      queue_id: "support"
      priority_points: 10
    }
  )pb");
  EXPECT_THAT(Lines(FormatIngest(ingest)),
              ElementsAre("message 5 in conversation 3 (joined by reference) of customer 1",
                          "task 2  conversation 3  EMAIL  INBOUND  WAITING in support  "
                          "priority 10"));

  const auto link = Parse<v1::LinkIdentityResponse>(R"pb(
    customer_id: 1
    absorbed_customer_id: 2
    merged_threads { target_conversation_id: 3 source_conversation_id: 4 }
  )pb");
  EXPECT_THAT(Lines(FormatLink(link)), ElementsAre("customer 1 absorbed customer 2",
                                                   "conversation 4 merged into conversation 3"));

  const auto customer = Parse<v1::Customer>(R"pb(
    customer_id: 1
    display_name: "Lea's parent"
    identities { kind: IDENTITY_KIND_EMAIL value: "ann@example.com" }
    identities { kind: IDENTITY_KIND_SOCIAL_HANDLE network: "x" value: "parent_of_lea" }
    conversation_ids: 3
    conversation_ids: 4
  )pb");
  EXPECT_THAT(FormatCustomer(customer),
              AllOf(HasSubstr("identity       email:ann@example.com\n"),
                    HasSubstr("identity       handle@x:parent_of_lea\n"),
                    HasSubstr("conversations  3 4\n"), HasSubstr("name           Lea's parent")));
}

TEST(RoutingFormatTest, EachTaskStateReads) {
  auto task = Parse<v1::Task>(R"pb(
    task_id: 12
    conversation_id: 3
    channel: CHANNEL_VOICE
    reason: TASK_REASON_COMMITMENT
    queue_id: "callbacks"
    priority_points: 40
    status: TASK_STATUS_OFFERED
    offer {
      agent_id: "ann"
      expires_at { seconds: 1714640430 }
    }
  )pb");
  EXPECT_EQ(FormatTaskLine(task),
            "task 12  conversation 3  VOICE  COMMITMENT  OFFERED to ann until "
            "2024-05-02T09:00:30Z  queue callbacks  priority 40");
  task.set_status(v1::TASK_STATUS_ASSIGNED);
  task.set_agent_id("ann");
  EXPECT_EQ(TaskState(task), "ASSIGNED to ann");
  task.set_status(v1::TASK_STATUS_COMPLETED);
  task.set_end(v1::TASK_END_HANDED_OFF);
  EXPECT_EQ(TaskState(task), "COMPLETED by ann (HANDED_OFF)");
  task.set_status(v1::TASK_STATUS_CANCELLED);
  task.set_cancel_reason(v1::CANCEL_REASON_ABANDONED);
  EXPECT_EQ(TaskState(task), "CANCELLED (ABANDONED)");
  task.set_status(v1::TASK_STATUS_WAITING);
  task.set_preferred_agent_id("ann");
  task.mutable_preferred_until()->set_seconds(1714640460);
  EXPECT_EQ(TaskState(task), "WAITING for ann until 2024-05-02T09:01:00Z");
  EXPECT_THAT(FormatTaskLine(task),
              HasSubstr("WAITING for ann until 2024-05-02T09:01:00Z  queue callbacks"));
  task.clear_preferred_until();
  task.clear_queue_id();
  EXPECT_EQ(TaskState(task), "WAITING unrouted (no queue matched)");

  EXPECT_THAT(FormatTask(task),
              AllOf(HasSubstr("task                12\n"), HasSubstr("preferred agent     ann\n")));
}

TEST(RoutingFormatTest, AWaitingTaskShowsItsWaitEstimate) {
  auto task = Parse<v1::Task>(R"pb(
    task_id: 12
    conversation_id: 3
    channel: CHANNEL_EMAIL
    reason: TASK_REASON_INBOUND
    status: TASK_STATUS_WAITING
    queue_id: "support"
    priority_points: 10
    wait_estimate {
      position: 3
      wait { seconds: 359 nanos: 700000000 }
      answers: 5
      span { seconds: 600 }
    }
  )pb");
  EXPECT_EQ(FormatTaskLine(task),
            "task 12  conversation 3  EMAIL  INBOUND  WAITING in support  priority 10  "
            "position 3, about 6m");
  EXPECT_THAT(FormatTask(task), HasSubstr("\nwait estimate       position 3, about 6m\n"));

  task.mutable_wait_estimate()->clear_wait();
  EXPECT_EQ(FormatWaitEstimate(task.wait_estimate()), "position 3, wait unknown");
  EXPECT_THAT(FormatTask(task), HasSubstr("\nwait estimate       position 3, wait unknown\n"));
  // Held for its preferred agent: not in line.
  EXPECT_EQ(FormatWaitEstimate(Parse<v1::WaitEstimate>("position: 0")), "not in line");

  // No estimate (a task that is not waiting): nothing said.
  task.clear_wait_estimate();
  EXPECT_EQ(FormatTaskLine(task),
            "task 12  conversation 3  EMAIL  INBOUND  WAITING in support  priority 10");
  EXPECT_THAT(FormatTask(task), Not(HasSubstr("wait estimate")));
}

TEST(RoutingFormatTest, MeasuredDurationsAndPercentages) {
  const auto duration = [](int64_t seconds, int32_t nanos) {
    google::protobuf::Duration d;
    d.set_seconds(seconds);
    d.set_nanos(nanos);
    return FormatMeasuredDuration(d);
  };
  EXPECT_EQ(duration(42, 600000000), "43s");
  EXPECT_EQ(duration(249, 500000000), "4m10s");
  EXPECT_EQ(duration(3600, 200000000), "1h");
  EXPECT_EQ(duration(0, 250000000), "250ms");
  EXPECT_EQ(duration(0, 400), "0s");
  EXPECT_EQ(duration(0, 0), "0s");
  EXPECT_EQ(FormatPercent(0.625), "62.5%");
  EXPECT_EQ(FormatPercent(2.0 / 3.0), "66.7%");
  EXPECT_EQ(FormatPercent(1.0), "100.0%");
  EXPECT_EQ(FormatPercent(0.0), "0.0%");
}

TEST(RoutingFormatTest, QueueStatisticsAreOneRowPerQueue) {
  const auto response = Parse<v1::GetQueueStatisticsResponse>(R"pb(
    at { seconds: 1714640400 }
    queues {
      queue_id: "support"
      waiting: 1
      offered: 1
      assigned: 3
      longest_wait { seconds: 150 }
      agents_available: 1
      agents_busy: 2
      agents_wrapping_up: 0
      agents_away: 1
      last_15_minutes {
        window { seconds: 900 }
        offered: 8
        answered: 6
        answered_within_target: 5
        abandoned: 2
        handled: 4
        average_speed_of_answer { seconds: 42 nanos: 600000000 }
        service_level: 0.625
        average_handle_time { seconds: 250 }
      }
      last_60_minutes { window { seconds: 3600 } offered: 30 }
      channels {
        channel: CHANNEL_EMAIL
        waiting: 1
        new_task_wait {
          position: 2
          wait { seconds: 420 }
          answers: 4
          span { seconds: 840 }
        }
      }
      channels {
        channel: CHANNEL_CHAT
        new_task_wait { position: 1 answers: 2 span { seconds: 840 } }
      }
    }
    queues {
      queue_id: "billing"
      last_15_minutes { window { seconds: 900 } }
      last_60_minutes { window { seconds: 3600 } }
      channels {
        channel: CHANNEL_VOICE
        new_task_wait { position: 1 }
      }
    }
  )pb");
  // Written out by hand: each column as wide as its widest cell, two spaces
  // apart.
  EXPECT_THAT(
      Lines(FormatQueueStatistics(response)),
      ElementsAre("at 2024-05-02T09:00:00Z; OFFERED to AHT over the last 15 minutes",
                  "QUEUE    WAITING  LONGEST  AVAIL  BUSY  WRAP-UP  AWAY  OFFERED  ANSWERED  "
                  "ABANDONED  SL     ASA  AHT    NEW TASK WAIT",
                  "support  1        2m30s    1      2     0        1     8        6         "
                  "2          62.5%  43s  4m10s  EMAIL 7m, CHAT unknown",
                  "billing  0        -        0      0     0        0     0        0         "
                  "0          -      -    -      VOICE unknown"));
  EXPECT_EQ(FormatQueueStatistics(v1::GetQueueStatisticsResponse()), "(no queues)\n");

  // --json: the whole response, the 60-minute window and channels included.
  std::ostringstream out;
  Printer printer(out, /*json=*/true);
  ASSERT_TRUE(printer.Print(response, [&] { return FormatQueueStatistics(response); }).ok());
  v1::GetQueueStatisticsResponse back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out.str(), &back).ok()) << out.str();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, response)) << out.str();
  EXPECT_THAT(out.str(), AllOf(HasSubstr("\"serviceLevel\":0.625"), HasSubstr("\"newTaskWait\"")));
}

TEST(RoutingFormatTest, AgentStatisticsAreAKeyValueBlock) {
  auto stats = Parse<v1::AgentStatistics>(R"pb(
    agent_id: "ann"
    presence: AGENT_PRESENCE_AVAILABLE
    at { seconds: 1714640400 }
    window { seconds: 3600 }
    staffed { seconds: 2700 }
    busy { seconds: 1800 nanos: 400000000 }
    occupancy: 0.6667
    handled: 3
    average_handle_time { seconds: 599 nanos: 800000000 }
  )pb");
  EXPECT_EQ(FormatAgentStatistics(stats),
            "agent                ann\n"
            "presence             AVAILABLE\n"
            "at                   2024-05-02T09:00:00Z\n"
            "window               the last 1h\n"
            "staffed              45m\n"
            "busy                 30m\n"
            "occupancy            66.7%\n"
            "handled              3\n"
            "average handle time  10m\n");

  // Not staffed in the window, nothing handled: nothing to divide.
  stats.clear_staffed();
  stats.clear_busy();
  stats.clear_occupancy();
  stats.clear_average_handle_time();
  stats.set_handled(0);
  stats.set_presence(v1::AGENT_PRESENCE_OFFLINE);
  EXPECT_THAT(FormatAgentStatistics(stats),
              AllOf(HasSubstr("\npresence             OFFLINE\n"),
                    HasSubstr("\nstaffed              0s\n"),
                    HasSubstr("\noccupancy            -\n"),
                    HasSubstr("\nhandled              0\n"),
                    HasSubstr("\naverage handle time  -\n")));
}

// Three rows over two intervals: one with every figure, one with only an
// offer (nothing to average or divide), one with whole percentages.
v1::IntervalReport ThreeRowReport() {
  return Parse<v1::IntervalReport>(R"pb(
    from { seconds: 1796634000 }
    to { seconds: 1796637600 }
    events_read: 1234
    rows {
      start { seconds: 1796634000 }
      queue_id: "billing"
      channel: CHANNEL_EMAIL
      offered: 3
      answered: 2
      answered_within_target: 1
      abandoned: 1
      handled: 2
      transferred: 0
      handed_off: 1
      repeat_answers: 2
      same_agent_answers: 1
      average_speed_of_answer { seconds: 42 nanos: 600000000 }
      service_level: 0.3333333333333333
      average_handle_time { seconds: 250 }
      same_agent_rate: 0.5
    }
    rows {
      start { seconds: 1796634900 }
      queue_id: "support"
      channel: CHANNEL_CHAT
      offered: 1
    }
    rows {
      start { seconds: 1796634900 }
      queue_id: "support"
      channel: CHANNEL_VOICE
      offered: 12
      answered: 10
      answered_within_target: 10
      handled: 9
      transferred: 2
      repeat_answers: 4
      same_agent_answers: 4
      average_speed_of_answer { nanos: 250000000 }
      service_level: 1
      average_handle_time { seconds: 3600 nanos: 200000000 }
      same_agent_rate: 1
    }
  )pb");
}

TEST(RoutingFormatTest, IntervalReportIsOneRowPerIntervalQueueAndChannel) {
  const v1::IntervalReport report = ThreeRowReport();
  // Written out by hand: each column as wide as its widest cell, two spaces
  // apart, the last one not padded.
  EXPECT_EQ(FormatIntervalReport(report),
            "from 2026-12-07T09:00:00Z to 2026-12-07T10:00:00Z; 1234 events read\n"
            "START             QUEUE    CHANNEL  OFFERED  ANSWERED  ABANDONED  SL      ASA    "
            "AHT    TRANSFERRED  HANDED OFF  SAME AGENT\n"
            "2026-12-07 09:00  billing  EMAIL    3        2         1          33.3%   43s    "
            "4m10s  0            1           50.0%\n"
            "2026-12-07 09:15  support  CHAT     1        0         0          -       -      "
            "-      0            0           -\n"
            "2026-12-07 09:15  support  VOICE    12       10        0          100.0%  250ms  "
            "1h     2            0           100.0%\n");

  v1::IntervalReport empty;
  *empty.mutable_from() = report.from();
  *empty.mutable_to() = report.to();
  empty.set_events_read(7);
  EXPECT_EQ(FormatIntervalReport(empty),
            "from 2026-12-07T09:00:00Z to 2026-12-07T10:00:00Z; 7 events read\n"
            "(no activity)\n");

  // --json: the whole response, every figure of every row.
  std::ostringstream out;
  Printer printer(out, /*json=*/true);
  ASSERT_TRUE(printer.Print(report, [&] { return FormatIntervalReport(report); }).ok());
  EXPECT_THAT(Lines(out.str()), testing::SizeIs(1));
  v1::IntervalReport back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out.str(), &back).ok()) << out.str();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, report)) << out.str();
  EXPECT_THAT(out.str(),
              AllOf(HasSubstr("\"eventsRead\":\"1234\""), HasSubstr("\"sameAgentRate\":0.5"),
                    HasSubstr("\"answeredWithinTarget\":\"10\"")));
}

TEST(RoutingFormatTest, IntervalReportAsCsv) {
  const std::string header =
      "start,queue_id,channel,offered,answered,answered_within_target,abandoned,handled,"
      "transferred,handed_off,repeat_answers,same_agent_answers,"
      "average_speed_of_answer_seconds,service_level,average_handle_time_seconds,"
      "same_agent_rate\r\n";
  // Times RFC 3339, durations in seconds (to the millisecond), fractions to
  // six decimals at most; the row with only an offer has its four averages
  // and rates empty.
  EXPECT_EQ(FormatIntervalReportCsv(ThreeRowReport()),
            header +
                "2026-12-07T09:00:00Z,billing,EMAIL,3,2,1,1,2,0,1,2,1,42.6,0.333333,250,0.5\r\n"
                "2026-12-07T09:15:00Z,support,CHAT,1,0,0,0,0,0,0,0,0,,,,\r\n"
                "2026-12-07T09:15:00Z,support,VOICE,12,10,10,0,9,2,0,4,4,0.25,1,3600.2,1\r\n");
  // No rows: the header alone.
  EXPECT_EQ(FormatIntervalReportCsv(v1::IntervalReport()), header);

  // Durations are rounded to the millisecond, half up.
  const auto row = Parse<v1::IntervalReport>(R"pb(
    rows {
      start { seconds: 1796634000 }
      queue_id: "q"
      channel: CHANNEL_SMS
      average_speed_of_answer { seconds: 1 nanos: 999600000 }
      average_handle_time { nanos: 1500000 }
      service_level: 0
    }
  )pb");
  EXPECT_EQ(Lines(FormatIntervalReportCsv(row))[1],
            "2026-12-07T09:00:00Z,q,SMS,0,0,0,0,0,0,0,0,0,2,0,0.002,\r");

  // Quoting as RFC 4180 says, should a field ever need it.
  EXPECT_EQ(CsvField("support"), "support");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\r\nlines"), "\"two\r\nlines\"");
}

TEST(RoutingFormatTest, OfferUpdatesAndCommitments) {
  const auto update = Parse<v1::OfferUpdate>(R"pb(
    kind: KIND_OFFERED
    sequence: 42
    task {
      task_id: 12
      conversation_id: 3
      channel: CHANNEL_EMAIL
      reason: TASK_REASON_INBOUND
      status: TASK_STATUS_OFFERED
      queue_id: "support"
      offer {
        agent_id: "ann"
        expires_at { seconds: 1714640430 }
      }
    }
  )pb");
  EXPECT_THAT(FormatOfferUpdateLine(update),
              StartsWith("#42 OFFERED  task 12  conversation 3  EMAIL  INBOUND  OFFERED to ann"));

  const auto commitment = Parse<v1::Commitment>(R"pb(
    commitment_id: 4
    conversation_id: 3
    kind: COMMITMENT_KIND_PICKUP
    status: COMMITMENT_STATUS_PENDING
    channel: CHANNEL_VOICE
    description: "courier picks up the jar"
    due_at { seconds: 1714658400 }
    deadline { seconds: 1714662000 }
    agent_id: "bob"
  )pb");
  EXPECT_EQ(FormatCommitmentLine(commitment),
            "commitment 4  conversation 3  PICKUP  PENDING  due 2024-05-02T14:00:00Z  "
            "deadline 2024-05-02T15:00:00Z  VOICE  agent bob  \"courier picks up the jar\"");
  EXPECT_EQ(FormatCommitmentList(v1::ListCommitmentsResponse()), "(no commitments)\n");
}

TEST(EventFormatTest, OneLinePerEventWithItsTypeAndWhatItSays) {
  const auto message = Parse<v1::Event>(R"pb(
    sequence: 17
    time { seconds: 1714640400 }
    tenant_id: "acme"
    message_recorded {
      message_id: 5
      conversation_id: 3
      channel: CHANNEL_EMAIL
      direction: DIRECTION_INBOUND
      sender { kind: IDENTITY_KIND_EMAIL value: "ann@example.com" }
      body: "The jar\nwas spoiled"
      outcome: THREAD_OUTCOME_OPENED
    }
  )pb");
  EXPECT_EQ(EventTypeName(message), "message_recorded");
  EXPECT_EQ(FormatEventLine(message),
            "#17 2024-05-02T09:00:00Z message_recorded  message 5 in conversation 3  EMAIL in  "
            "email:ann@example.com  opened  \"The jar was spoiled\"");

  const auto merged = Parse<v1::Event>(R"pb(
    sequence: 20
    time { seconds: 1714640400 }
    customers_merged {
      survivor_id: 1
      absorbed_id: 2
      moved_identities { kind: IDENTITY_KIND_EMAIL value: "ann@example.com" }
      moved_conversation_ids: 4
      thread_merges { target_conversation_id: 3 source_conversation_id: 4 }
      actor { kind: ACTOR_KIND_AGENT id: "ann" }
    }
  )pb");
  EXPECT_EQ(FormatEventLine(merged),
            "#20 2024-05-02T09:00:00Z customers_merged  customer 2 into 1  1 identity  "
            "1 conversation  threads 4->3  by agent ann");

  const auto offered = Parse<v1::Event>(R"pb(
    sequence: 21
    time { seconds: 1714640400 }
    task_offered {
      task_id: 12
      agent_id: "ann"
      expires_at { seconds: 1714640430 }
    }
  )pb");
  EXPECT_EQ(FormatEventLine(offered),
            "#21 2024-05-02T09:00:00Z task_offered  task 12  to ann  until 2024-05-02T09:00:30Z");

  v1::Event empty;
  empty.set_sequence(1);
  EXPECT_EQ(FormatEventLine(empty), "#1 - unknown");
}

TEST(EventFormatTest, AnAuditedEventEndsWithItsCaller) {
  auto merged = Parse<v1::Event>(R"pb(
    sequence: 20
    time { seconds: 1714640400 }
    customers_merged {
      survivor_id: 1
      absorbed_id: 2
      moved_identities { kind: IDENTITY_KIND_EMAIL value: "bob@example.com" }
      moved_conversation_ids: 4
      actor { kind: ACTOR_KIND_AGENT id: "ann" }
      caller { principal: "ops-1" role: "integration" credential: CALLER_CREDENTIAL_API_KEY }
    }
  )pb");
  EXPECT_EQ(FormatEventLine(merged),
            "#20 2024-05-02T09:00:00Z customers_merged  customer 2 into 1  1 identity  "
            "1 conversation  by agent ann  caller ops-1 (integration, API key)");

  const auto configured = Parse<v1::Event>(R"pb(
    sequence: 2
    time { seconds: 1714640400 }
    queue_configured {
      queue { queue_id: "support" base_priority: 3 }
      caller { principal: "root" role: "admin" credential: CALLER_CREDENTIAL_JWT }
    }
  )pb");
  EXPECT_THAT(FormatEventLine(configured), EndsWith("priority 3  caller root (admin, JWT)"));

  const auto erased = Parse<v1::Event>(R"pb(
    sequence: 9
    customer_erased {
      customer_id: 5
      caller { credential: CALLER_CREDENTIAL_NONE }
    }
  )pb");
  EXPECT_THAT(FormatEventLine(erased), EndsWith("caller unauthenticated"));

  const auto from_file = Parse<v1::Event>(R"pb(
    sequence: 1
    tenant_configured {
      caller {
        principal: "/etc/omniroute/acme.textproto"
        credential: CALLER_CREDENTIAL_CONFIG_FILE
      }
    }
  )pb");
  EXPECT_THAT(FormatEventLine(from_file), EndsWith("caller file /etc/omniroute/acme.textproto"));

  // Not recorded: nothing said.
  merged.mutable_customers_merged()->clear_caller();
  EXPECT_THAT(FormatEventLine(merged), EndsWith("by agent ann"));
}

TEST(EventFormatTest, EveryEventTypeHasALine) {
  const google::protobuf::OneofDescriptor* payload =
      v1::Event::descriptor()->FindOneofByName("payload");
  ASSERT_NE(payload, nullptr);
  for (int i = 0; i < payload->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = payload->field(i);
    SCOPED_TRACE(field->name());
    v1::Event event;
    event.set_sequence(7);
    event.GetReflection()->MutableMessage(&event, field);
    const std::string line = FormatEventLine(event);
    EXPECT_EQ(EventTypeName(event), field->name());
    // Every type says something beyond its name.
    EXPECT_THAT(line, StartsWith(absl::StrCat("#7 - ", field->name(), "  "))) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

TEST(PagingFormatTest, OnePageEndsWithTheOptionThatReadsTheNext) {
  EXPECT_EQ(FormatNextPage("CAESBgoEAQ"), "next page: --page-token=CAESBgoEAQ\n");
  EXPECT_EQ(FormatNextPage(""), "");
}

TEST(PrinterTest, JsonIsOneParsableLinePerResponse) {
  const auto ingest = Parse<v1::IngestMessageResponse>(
      R"pb(customer_id: 1 conversation_id: 3 message_id: 5 outcome: THREAD_OUTCOME_OPENED)pb");
  std::ostringstream out;
  Printer printer(out, /*json=*/true);
  ASSERT_TRUE(printer.Print(ingest, [] { return std::string("unused"); }).ok());
  ASSERT_TRUE(printer.Print(ingest, [] { return std::string("unused"); }).ok());
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2);
  v1::IngestMessageResponse back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &back).ok()) << lines[0];
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, ingest));

  std::ostringstream text;
  Printer readable(text, /*json=*/false);
  ASSERT_TRUE(readable.Print(ingest, [] { return std::string("no newline"); }).ok());
  EXPECT_EQ(text.str(), "no newline\n");
}

}  // namespace
}  // namespace omniroute::cli
