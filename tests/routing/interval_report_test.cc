// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Engine::GetIntervalReport on the manual clock: a day's activity folded
// into 15-minute rows per queue and channel (offered, answered, abandoned,
// handled, speed of answer, service level, handle time with wrap-up), the
// span widened to quarter hours, the 24-hour lookback, transfers, handoffs
// and overflows, the same-agent rate, the same report after a restart, and
// the errors. Every expected value is worked out from the scenario's
// timeline, not read from the output.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::testing_internal::DirectMessage;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::RoutingFixture;
using ::testing::HasSubstr;

constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kDm = v1::CHANNEL_PRIVATE_SOCIAL;
constexpr AgentPresence kAvailable = v1::AGENT_PRESENCE_AVAILABLE;
constexpr AgentPresence kAway = v1::AGENT_PRESENCE_AWAY;
constexpr AgentPresence kOffline = v1::AGENT_PRESENCE_OFFLINE;

// 2026-01-01 00:00 UTC: the fixture's clock starts at 19:00 that day.
const absl::Time kJan1 = absl::FromUnixSeconds(1767225600);
const absl::Time kJan2 = kJan1 + absl::Hours(24);

absl::Time On(absl::Time day, int hour, int minute, int second = 0) {
  return day + absl::Hours(hour) + absl::Minutes(minute) + absl::Seconds(second);
}

// --- Renderings, to compare two reports whole and to show a row.

std::string Describe(const std::optional<absl::Duration>& d) {
  return d.has_value() ? absl::FormatDuration(*d) : "unset";
}
std::string Describe(const std::optional<double>& d) {
  return d.has_value() ? absl::StrCat(*d) : "unset";
}
std::string Describe(const IntervalFigures& f) {
  return absl::StrCat(absl::FormatTime("%H:%M", f.start, absl::UTCTimeZone()), " ", f.queue, "/",
                      ChannelName(f.channel), " offered=", f.offered, " answered=", f.answered,
                      " within=", f.answered_within_target, " abandoned=", f.abandoned,
                      " handled=", f.handled, " transferred=", f.transferred,
                      " handed_off=", f.handed_off, " repeat=", f.repeat_answers,
                      " same=", f.same_agent_answers, " asa=", Describe(f.average_speed_of_answer),
                      " sl=", Describe(f.service_level), " aht=", Describe(f.average_handle_time),
                      " sar=", Describe(f.same_agent_rate));
}
std::string Describe(const IntervalReport& r) {
  std::string out = absl::StrCat("from=", absl::FormatTime(r.from), " to=", absl::FormatTime(r.to),
                                 " events_read=", r.events_read, "\n");
  for (const IntervalFigures& f : r.rows) absl::StrAppend(&out, Describe(f), "\n");
  return out;
}

// What a row is expected to hold; what is not set is zero or unset.
struct Expected {
  absl::Time start;
  std::string queue;
  Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t offered = 0;
  int64_t answered = 0;
  int64_t within = 0;
  int64_t abandoned = 0;
  int64_t handled = 0;
  int64_t transferred = 0;
  int64_t handed_off = 0;
  int64_t repeat = 0;
  int64_t same = 0;
  std::optional<absl::Duration> asa;
  std::optional<double> service_level;
  std::optional<absl::Duration> aht;
  std::optional<double> same_agent_rate;
};

void ExpectOptionalDouble(const std::optional<double>& actual,
                          const std::optional<double>& expected, absl::string_view what) {
  EXPECT_EQ(actual.has_value(), expected.has_value()) << what;
  if (actual.has_value() && expected.has_value()) EXPECT_DOUBLE_EQ(*actual, *expected) << what;
}

void ExpectRow(const IntervalFigures& f, const Expected& e) {
  SCOPED_TRACE(Describe(f));
  EXPECT_EQ(f.start, e.start) << absl::FormatTime(e.start);
  EXPECT_EQ(f.queue, e.queue);
  EXPECT_EQ(f.channel, e.channel);
  EXPECT_EQ(f.offered, e.offered);
  EXPECT_EQ(f.answered, e.answered);
  EXPECT_EQ(f.answered_within_target, e.within);
  EXPECT_EQ(f.abandoned, e.abandoned);
  EXPECT_EQ(f.handled, e.handled);
  EXPECT_EQ(f.transferred, e.transferred);
  EXPECT_EQ(f.handed_off, e.handed_off);
  EXPECT_EQ(f.repeat_answers, e.repeat);
  EXPECT_EQ(f.same_agent_answers, e.same);
  EXPECT_EQ(f.average_speed_of_answer, e.asa);
  ExpectOptionalDouble(f.service_level, e.service_level, "service_level");
  EXPECT_EQ(f.average_handle_time, e.aht);
  ExpectOptionalDouble(f.same_agent_rate, e.same_agent_rate, "same_agent_rate");
}

void ExpectRows(const IntervalReport& report, const std::vector<Expected>& expected) {
  SCOPED_TRACE(Describe(report));
  ASSERT_EQ(report.rows.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("row ", i));
    ExpectRow(report.rows[i], expected[i]);
  }
}

class IntervalReportTest : public RoutingFixture {
 protected:
  static QueueConfig AutoQueue(std::string id, std::vector<Channel> channels,
                               absl::Duration target = absl::ZeroDuration(),
                               std::vector<Skill> required = {{"support", 1}}) {
    QueueConfig q = MakeQueue(std::move(id), std::move(channels), std::move(required));
    q.auto_accept = true;
    q.first_response_target = target;
    return q;
  }

  // An email from a new or known customer `who` (tagged), a DM; the task.
  TaskId Mail(absl::string_view who, std::vector<std::string> tags = {}) {
    InboundMessage m = EmailMessage(absl::StrCat(who, "@example.com"),
                                    absl::StrCat("<", who, "-", ++messages_, ">"));
    m.tags = std::move(tags);
    const IngestResult r = Ingest(m);
    EXPECT_TRUE(r.task.has_value()) << who;
    return r.task.value_or(TaskId());
  }
  TaskId Dm(absl::string_view who) {
    const IngestResult r = Ingest(DirectMessage("x", who, absl::StrCat("dm-", ++messages_)));
    EXPECT_TRUE(r.task.has_value()) << who;
    return r.task.value_or(TaskId());
  }
  void Abandon(TaskId task) {
    absl::Status s = engine_->AbandonTask(kTenant, task);
    ASSERT_TRUE(s.ok()) << task << ": " << s;
  }
  TaskId Transfer(TaskId task, const std::string& queue) {
    absl::StatusOr<TaskId> moved =
        engine_->TransferTask(kTenant, task, {.queue = queue}, Actor::Agent("ann"));
    EXPECT_TRUE(moved.ok()) << moved.status();
    return moved.value_or(TaskId());
  }

  IntervalReport Report(absl::Time from, absl::Time to) {
    absl::StatusOr<IntervalReport> r = engine_->GetIntervalReport(kTenant, from, to);
    EXPECT_TRUE(r.ok()) << absl::FormatTime(from) << " .. " << absl::FormatTime(to) << ": "
                        << r.status();
    return r.ok() ? *r : IntervalReport{};
  }

  // The events of the tenant's log whose time is in [from, to): what a
  // report of [from + lookback, to) reads.
  int64_t LogEventsBetween(absl::Time from, absl::Time to) {
    int64_t n = 0;
    absl::Status s = store_->Read(kTenant, 1, [&](const v1::Event& event) {
      const absl::Time at =
          absl::FromUnixSeconds(event.time().seconds()) + absl::Nanoseconds(event.time().nanos());
      if (at >= from && at < to) ++n;
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return n;
  }

  int messages_ = 0;
};

// ------------------------------------------------------------ a day

// Two queues: "support" (email and DMs; Ann, email only, one task at a
// time, 2 minutes of wrap-up) configured first, and "billing" (email
// tagged "billing"; Bob, one task at a time, no wrap-up). Both accept
// offers at once and have a 5-minute first-response target. On January 2:
//
//   09:50  E0 email, Ann takes it at once; done 09:55, wrap-up to 09:57.
//   10:02  E1 email waits (Ann signed out).        due 10:07
//   10:05  D1 DM waits (nobody serves DMs).
//   10:06  B1 billing email, Bob takes it at once.
//   10:08  Ann signs in: E1 answered after 6 min (late).
//   10:09  E2 email waits (Ann busy).              due 10:14
//   10:10  Ann done with E1, wrap-up to 10:12.
//   10:12  E1 handled (4 min); E2 answered after 3 min (in time).
//   10:14  D1's customer gives up.
//   10:15 to 10:30: nothing.
//   10:31  Bob done with B1 (25 min).
//   10:33  Ann done with E2, wrap-up to 10:35; handled then (23 min).
//   10:40  E3 email, Ann takes it at once.
//   10:50  Ann done with E3, wrap-up to 10:52; handled then (12 min).
//   11:05  B2 billing email, Bob takes it at once.
//   11:20  Bob done with B2 (15 min).
class IntervalDayTest : public IntervalReportTest {
 protected:
  void SetUp() override {
    Start();
    Queue(AutoQueue("support", {kEmail, kDm}, absl::Minutes(5)));
    Queue(AutoQueue("billing", {kEmail}, absl::Minutes(5), {{"billing", 1}}));
    RoutingSettings settings;
    settings.rules.push_back({.name = "billing", .tags = {"billing"}, .queue = "billing"});
    settings.default_queue = "support";
    Configure(settings);
    AgentConfig ann = MakeAgent("ann", {kEmail}, 1);
    ann.wrap_up = absl::Minutes(2);
    AddAgent(ann, kOffline);
    AddAgent(MakeAgent("bob", {kEmail}, 1, {{"billing", 5}}), kOffline);

    clock_.AdvanceTo(On(kJan2, 9, 50));
    SetPresence("ann", kAvailable);
    const TaskId e0 = Mail("e0");
    ASSERT_EQ(Task(e0).agent, "ann");
    clock_.AdvanceTo(On(kJan2, 9, 55));
    Complete(e0, "ann");
    clock_.AdvanceTo(On(kJan2, 9, 57));
    EXPECT_GE(RunTimers(), 1);
    SetPresence("ann", kOffline);

    clock_.AdvanceTo(On(kJan2, 10, 2));
    e1_ = Mail("e1");
    ASSERT_EQ(Task(e1_).queue, "support");
    clock_.AdvanceTo(On(kJan2, 10, 5));
    d1_ = Dm("d1");
    ASSERT_EQ(Task(d1_).queue, "support");
    clock_.AdvanceTo(On(kJan2, 10, 6));
    SetPresence("bob", kAvailable);
    b1_ = Mail("b1", {"billing"});
    ASSERT_EQ(Task(b1_).queue, "billing");
    ASSERT_EQ(Task(b1_).agent, "bob");
    clock_.AdvanceTo(On(kJan2, 10, 8));
    SetPresence("ann", kAvailable);
    ASSERT_EQ(Task(e1_).agent, "ann");
    clock_.AdvanceTo(On(kJan2, 10, 9));
    e2_ = Mail("e2");
    ASSERT_EQ(Task(e2_).status, v1::TASK_STATUS_WAITING);
    clock_.AdvanceTo(On(kJan2, 10, 10));
    Complete(e1_, "ann");
    ASSERT_EQ(Task(e2_).status, v1::TASK_STATUS_WAITING) << "Ann wraps up";
    clock_.AdvanceTo(On(kJan2, 10, 12));
    EXPECT_GE(RunTimers(), 1);
    ASSERT_EQ(Task(e2_).agent, "ann");
    ASSERT_EQ(Task(e2_).status, v1::TASK_STATUS_ASSIGNED);
    clock_.AdvanceTo(On(kJan2, 10, 14));
    Abandon(d1_);

    clock_.AdvanceTo(On(kJan2, 10, 31));
    Complete(b1_, "bob");
    clock_.AdvanceTo(On(kJan2, 10, 33));
    Complete(e2_, "ann");
    clock_.AdvanceTo(On(kJan2, 10, 35));
    EXPECT_GE(RunTimers(), 1);
    clock_.AdvanceTo(On(kJan2, 10, 40));
    e3_ = Mail("e3");
    ASSERT_EQ(Task(e3_).agent, "ann");
    clock_.AdvanceTo(On(kJan2, 10, 50));
    Complete(e3_, "ann");
    clock_.AdvanceTo(On(kJan2, 10, 52));
    EXPECT_GE(RunTimers(), 1);
    ASSERT_TRUE(Agent("ann").wrapping_up_tasks.empty());
    clock_.AdvanceTo(On(kJan2, 11, 5));
    b2_ = Mail("b2", {"billing"});
    ASSERT_EQ(Task(b2_).agent, "bob");
    clock_.AdvanceTo(On(kJan2, 11, 20));
    Complete(b2_, "bob");
    clock_.AdvanceTo(On(kJan2, 12, 0));
  }

  // The rows from 10:00 to 11:15, as the timeline makes them.
  static std::vector<Expected> MorningRows() {
    return {
        // B1 offered and answered at once.
        {.start = On(kJan2, 10, 0),
         .queue = "billing",
         .channel = kEmail,
         .offered = 1,
         .answered = 1,
         .within = 1,
         .asa = absl::ZeroDuration(),
         .service_level = 1.0},
        // DMs (channel 2) before emails (3), whatever the configuration
        // order: D1 abandoned, nothing answered.
        {.start = On(kJan2, 10, 0),
         .queue = "support",
         .channel = kDm,
         .offered = 1,
         .abandoned = 1,
         .service_level = 0.0},
        // E1 (6 min, late) and E2 (3 min, in time) answered; E1 handled
        // 10:08 to 10:12, wrap-up included.
        {.start = On(kJan2, 10, 0),
         .queue = "support",
         .channel = kEmail,
         .offered = 2,
         .answered = 2,
         .within = 1,
         .handled = 1,
         .asa = absl::Seconds(270),
         .service_level = 0.5,
         .aht = absl::Minutes(4)},
        // 10:15 to 10:30: no row. B1 handled 10:06 to 10:31.
        {.start = On(kJan2, 10, 30),
         .queue = "billing",
         .channel = kEmail,
         .handled = 1,
         .aht = absl::Minutes(25)},
        // E2 handled 10:12 to 10:35 (answered in an earlier interval); E3
        // offered and answered at once.
        {.start = On(kJan2, 10, 30),
         .queue = "support",
         .channel = kEmail,
         .offered = 1,
         .answered = 1,
         .within = 1,
         .handled = 1,
         .asa = absl::ZeroDuration(),
         .service_level = 1.0,
         .aht = absl::Minutes(23)},
        // E3 handled 10:40 to 10:52, in the next interval.
        {.start = On(kJan2, 10, 45),
         .queue = "support",
         .channel = kEmail,
         .handled = 1,
         .aht = absl::Minutes(12)},
        // B2 offered and answered at once.
        {.start = On(kJan2, 11, 0),
         .queue = "billing",
         .channel = kEmail,
         .offered = 1,
         .answered = 1,
         .within = 1,
         .asa = absl::ZeroDuration(),
         .service_level = 1.0},
    };
  }

  TaskId e1_, e2_, e3_, d1_, b1_, b2_;
};

TEST_F(IntervalDayTest, RowsPerIntervalQueueAndChannelOverAWidenedSpan) {
  // 10:07 widens to 10:00, 11:01 to 11:15.
  const IntervalReport report = Report(On(kJan2, 10, 7), On(kJan2, 11, 1));
  EXPECT_EQ(report.from, On(kJan2, 10, 0));
  EXPECT_EQ(report.to, On(kJan2, 11, 15));
  ExpectRows(report, MorningRows());
}

TEST_F(IntervalDayTest, TheWholeDayAddsTheRowsOutsideTheMorning) {
  // E0 at 09:45 (answered at once, handled 09:50 to 09:57) and B2's end at
  // 11:20 come in; the span is already whole intervals.
  const IntervalReport report = Report(On(kJan2, 9, 0), On(kJan2, 12, 0));
  EXPECT_EQ(report.from, On(kJan2, 9, 0));
  EXPECT_EQ(report.to, On(kJan2, 12, 0));
  std::vector<Expected> expected = {{.start = On(kJan2, 9, 45),
                                     .queue = "support",
                                     .channel = kEmail,
                                     .offered = 1,
                                     .answered = 1,
                                     .within = 1,
                                     .handled = 1,
                                     .asa = absl::ZeroDuration(),
                                     .service_level = 1.0,
                                     .aht = absl::Minutes(7)}};
  for (const Expected& e : MorningRows()) expected.push_back(e);
  expected.push_back({.start = On(kJan2, 11, 15),
                      .queue = "billing",
                      .channel = kEmail,
                      .handled = 1,
                      .aht = absl::Minutes(15)});
  ExpectRows(report, expected);
}

TEST_F(IntervalDayTest, EachFigureCountsInTheIntervalOfItsEvent) {
  // 10:30 to 10:45 only: E2, answered at 10:12, is handled at 10:35 with its
  // 23 minutes from the assignment; E3's end at 10:52 is after the span.
  IntervalReport report = Report(On(kJan2, 10, 30), On(kJan2, 10, 45));
  EXPECT_EQ(report.from, On(kJan2, 10, 30));
  EXPECT_EQ(report.to, On(kJan2, 10, 45));
  const std::vector<Expected> morning = MorningRows();
  ExpectRows(report, {morning[3], morning[4]});

  // An interval without activity has no row.
  report = Report(On(kJan2, 10, 15), On(kJan2, 10, 30));
  EXPECT_EQ(report.from, On(kJan2, 10, 15));
  EXPECT_EQ(report.to, On(kJan2, 10, 30));
  EXPECT_TRUE(report.rows.empty()) << Describe(report);
  EXPECT_GT(report.events_read, 0) << "the lookback is read";

  // A span inside one interval covers all of it: 10:20 to 10:21 is 10:15
  // to 10:30; 10:44:59 to 10:45:01 is 10:30 to 11:00.
  report = Report(On(kJan2, 10, 20), On(kJan2, 10, 21));
  EXPECT_EQ(report.from, On(kJan2, 10, 15));
  EXPECT_EQ(report.to, On(kJan2, 10, 30));
  EXPECT_TRUE(report.rows.empty()) << Describe(report);
  report = Report(On(kJan2, 10, 44, 59), On(kJan2, 10, 45, 1));
  EXPECT_EQ(report.from, On(kJan2, 10, 30));
  EXPECT_EQ(report.to, On(kJan2, 11, 0));
  ExpectRows(report, {morning[3], morning[4], morning[5]});

  // Before anything happened: nothing.
  report = Report(On(kJan1, 12, 0), On(kJan1, 18, 0));
  EXPECT_TRUE(report.rows.empty()) << Describe(report);
}

TEST_F(IntervalDayTest, TheReportReadsTheLookbackAndTheSpanOnly) {
  // 10:00 to 11:15 reads the log from 10:00 the day before (everything,
  // the tenant was created at 19:00) to 11:15.
  IntervalReport report = Report(On(kJan2, 10, 7), On(kJan2, 11, 1));
  EXPECT_EQ(report.events_read, LogEventsBetween(On(kJan1, 10, 0), On(kJan2, 11, 15)));
  EXPECT_LT(report.events_read, LogEventsBetween(kJan1, On(kJan2, 13, 0))) << "B2's end";
  // A report of 20:00 to 21:00 on January 2 reads from 20:00 on January 1:
  // the tenant's creation at 19:00 and its configuration are not read.
  report = Report(On(kJan2, 20, 0), On(kJan2, 21, 0));
  EXPECT_EQ(report.events_read, LogEventsBetween(On(kJan1, 20, 0), On(kJan2, 21, 0)));
  EXPECT_GT(report.events_read, 0);
  EXPECT_TRUE(report.rows.empty()) << Describe(report);
}

TEST_F(IntervalDayTest, TheSameReportAfterARestart) {
  const IntervalReport before = Report(On(kJan2, 9, 0), On(kJan2, 12, 0));
  ASSERT_EQ(before.rows.size(), 9u) << Describe(before);
  EXPECT_GT(before.events_read, 0);

  // From the log alone.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const IntervalReport replayed = Report(On(kJan2, 9, 0), On(kJan2, 12, 0));
  EXPECT_EQ(Describe(replayed), Describe(before)) << "after a replay of the log";
  EXPECT_GT(replayed.events_read, 0);

  // From a snapshot: the report still reads the log, not the state.
  ASSERT_TRUE(engine_->TakeSnapshot(kTenant).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const IntervalReport snapshotted = Report(On(kJan2, 9, 0), On(kJan2, 12, 0));
  EXPECT_EQ(Describe(snapshotted), Describe(before)) << "after a restart from a snapshot";

  // The restarted engine goes on: an email at 12:10, Ann takes it at once.
  clock_.AdvanceTo(On(kJan2, 12, 10));
  const TaskId e4 = Mail("e4");
  ASSERT_EQ(Task(e4).agent, "ann");
  IntervalReport later = Report(On(kJan2, 9, 0), On(kJan2, 12, 15));
  ASSERT_EQ(later.rows.size(), 10u) << Describe(later);
  ExpectRow(later.rows.back(), {.start = On(kJan2, 12, 0),
                                .queue = "support",
                                .channel = kEmail,
                                .offered = 1,
                                .answered = 1,
                                .within = 1,
                                .asa = absl::ZeroDuration(),
                                .service_level = 1.0});
  EXPECT_GT(later.events_read, before.events_read);
}

// ------------------------------------------------------------ lookback

// Ann (email, 4 at a time) is signed out from January 1, 19:00. Three
// emails wait for her: O from 19:30, X from 20:00:00 exactly, L from 20:30.
// She signs in on January 2 at 20:05 and takes all three; she is done with
// L at 20:10. The queue's first-response target is one hour.
class IntervalLookbackTest : public IntervalReportTest {
 protected:
  void SetUp() override {
    Start();
    Queue(AutoQueue("support", {kEmail}, absl::Hours(1)));
    RoutingSettings settings;
    settings.default_queue = "support";
    Configure(settings);
    AddAgent(MakeAgent("ann", {kEmail}, 4), kOffline);
    clock_.AdvanceTo(On(kJan1, 19, 30));
    o_ = Mail("o");
    clock_.AdvanceTo(On(kJan1, 20, 0));
    x_ = Mail("x");
    clock_.AdvanceTo(On(kJan1, 20, 30));
    l_ = Mail("l");
    clock_.AdvanceTo(On(kJan2, 20, 5));
    SetPresence("ann", kAvailable);
    for (TaskId t : {o_, x_, l_}) {
      ASSERT_EQ(Task(t).agent, "ann") << t;
      ASSERT_EQ(Task(t).status, v1::TASK_STATUS_ASSIGNED) << t;
    }
    clock_.AdvanceTo(On(kJan2, 20, 10));
    Complete(l_, "ann");
  }
  TaskId o_, x_, l_;
};

TEST_F(IntervalLookbackTest, ATaskWaitingSinceBeforeTheSpanCountsWithItsWholeWait) {
  // The report of 20:00 to 20:15 reads from 20:00 the day before: X (there
  // at 20:00 exactly) and L are answered with their whole waits, 24 h 5 min
  // and 23 h 35 min, both late; L is handled in 5 minutes. O, created
  // before the lookback, is not counted (routing.h: kReportLookback).
  // Nothing was offered in the span.
  const IntervalReport report = Report(On(kJan2, 20, 0), On(kJan2, 20, 15));
  ExpectRows(report, {{.start = On(kJan2, 20, 0),
                       .queue = "support",
                       .channel = kEmail,
                       .answered = 2,
                       .within = 0,
                       .handled = 1,
                       .asa = absl::Hours(23) + absl::Minutes(50),
                       .service_level = 0.0,
                       .aht = absl::Minutes(5)}});
  EXPECT_EQ(report.events_read, LogEventsBetween(On(kJan1, 20, 0), On(kJan2, 20, 15)));
}

TEST_F(IntervalLookbackTest, AnEarlierStartReachesFurtherBack) {
  // From 19:30 the lookback starts at 19:30 on January 1: O is counted too
  // (24 h 35 min). The rows are those of 20:00; 19:30 to 20:00 is empty.
  const IntervalReport report = Report(On(kJan2, 19, 30), On(kJan2, 20, 15));
  EXPECT_EQ(report.from, On(kJan2, 19, 30));
  ExpectRows(report, {{.start = On(kJan2, 20, 0),
                       .queue = "support",
                       .channel = kEmail,
                       .answered = 3,
                       .within = 0,
                       .handled = 1,
                       .asa = absl::Hours(24) + absl::Minutes(5),
                       .service_level = 0.0,
                       .aht = absl::Minutes(5)}});
}

TEST_F(IntervalLookbackTest, ATaskOfTheLookbackIsOfferedOnlyInItsOwnSpan) {
  // On January 1, 19:30 to 20:45: O, X and L offered, nothing else.
  const IntervalReport report = Report(On(kJan1, 19, 30), On(kJan1, 20, 45));
  ExpectRows(report,
             {
                 {.start = On(kJan1, 19, 30), .queue = "support", .channel = kEmail, .offered = 1},
                 {.start = On(kJan1, 20, 0), .queue = "support", .channel = kEmail, .offered = 1},
                 {.start = On(kJan1, 20, 30), .queue = "support", .channel = kEmail, .offered = 1},
             });
}

// ------------------------------------------------------------ transfers, handoffs

// "front" (email and DMs, offers accepted at once) overflows to "back"
// after 5 minutes; "back" needs a skill nobody has, so what reaches it
// waits. Ann (email and DMs) takes one task at a time. From 19:00 on
// January 1:
//
//   19:01  A email, Ann takes it.
//   19:02  W email waits.
//   19:03  W (waiting) transferred to "back".
//   19:04  A (assigned) transferred to "back": 3 minutes of handling.
//   19:05  H DM, Ann takes it.
//   19:06  H handed off to email: its DM task ends (1 minute); the email
//          task goes to Ann, its owner, at once.
//   19:07  G DM waits (Ann busy).
//   19:08  G handed off to email: its DM task is cancelled; the email task
//          waits in "front" (G has no owner).
//   19:13  that task overflows to "back".
TEST_F(IntervalReportTest, TransfersHandoffsAndOverflowsCountInTheirQueues) {
  Start();
  Queue(AutoQueue("back", {kEmail, kDm}, absl::ZeroDuration(), {{"billing", 1}}));
  QueueConfig front = AutoQueue("front", {kEmail, kDm});
  front.expansion_steps.push_back({.after = absl::Minutes(5), .overflow_queue = "back"});
  Queue(front);
  RoutingSettings settings;
  settings.default_queue = "front";
  Configure(settings);
  AddAgent(MakeAgent("ann", {kEmail, kDm}, 1), kOffline);

  clock_.AdvanceTo(On(kJan1, 19, 1));
  SetPresence("ann", kAvailable);
  const TaskId a = Mail("a");
  ASSERT_EQ(Task(a).agent, "ann");
  clock_.AdvanceTo(On(kJan1, 19, 2));
  const TaskId w = Mail("w");
  ASSERT_EQ(Task(w).status, v1::TASK_STATUS_WAITING);
  clock_.AdvanceTo(On(kJan1, 19, 3));
  const TaskId w2 = Transfer(w, "back");
  ASSERT_EQ(Task(w).cancel_reason, v1::CANCEL_REASON_TRANSFERRED);
  ASSERT_EQ(Task(w2).queue, "back");
  clock_.AdvanceTo(On(kJan1, 19, 4));
  const TaskId a2 = Transfer(a, "back");
  ASSERT_EQ(Task(a).end, v1::TASK_END_TRANSFERRED);
  ASSERT_EQ(Task(a2).queue, "back");
  ASSERT_EQ(Task(a2).status, v1::TASK_STATUS_WAITING);

  clock_.AdvanceTo(On(kJan1, 19, 5));
  const TaskId h = Dm("h");
  ASSERT_EQ(Task(h).agent, "ann");
  const ConversationId h_conversation = Task(h).conversation;
  clock_.AdvanceTo(On(kJan1, 19, 6));
  Handoff(h_conversation, kEmail, "ann");
  ASSERT_EQ(Task(h).end, v1::TASK_END_HANDED_OFF);
  const TaskId h2 = LatestTaskOn(h_conversation, kEmail);
  ASSERT_EQ(Task(h2).status, v1::TASK_STATUS_ASSIGNED);
  ASSERT_EQ(Task(h2).agent, "ann");
  ASSERT_EQ(Task(h2).queue, "front");

  clock_.AdvanceTo(On(kJan1, 19, 7));
  const TaskId g = Dm("g");
  ASSERT_EQ(Task(g).status, v1::TASK_STATUS_WAITING);
  const ConversationId g_conversation = Task(g).conversation;
  clock_.AdvanceTo(On(kJan1, 19, 8));
  Handoff(g_conversation, kEmail, "ann");
  ASSERT_EQ(Task(g).cancel_reason, v1::CANCEL_REASON_HANDED_OFF);
  const TaskId g2 = LatestTaskOn(g_conversation, kEmail);
  ASSERT_EQ(Task(g2).status, v1::TASK_STATUS_WAITING);
  ASSERT_EQ(Task(g2).queue, "front");
  clock_.AdvanceTo(On(kJan1, 19, 13));
  EXPECT_GE(RunTimers(), 1);
  ASSERT_EQ(Task(g2).queue, "back") << "overflowed";

  const IntervalReport report = Report(On(kJan1, 19, 0), On(kJan1, 19, 15));
  ExpectRows(report,
             {
                 // W and A transferred in, G's email task overflowed in.
                 {.start = On(kJan1, 19, 0), .queue = "back", .channel = kEmail, .offered = 3},
                 // H and G; H answered at once and handed off after a
                 // minute, G handed off while waiting.
                 {.start = On(kJan1, 19, 0),
                  .queue = "front",
                  .channel = kDm,
                  .offered = 2,
                  .answered = 1,
                  .within = 1,
                  .handled = 1,
                  .handed_off = 2,
                  .asa = absl::ZeroDuration(),
                  .service_level = 1.0,
                  .aht = absl::Minutes(1)},
                 // A, W, H's and G's email tasks; A and H's answered at once
                 // (H's by Ann again); W transferred waiting, A assigned
                 // after 3 minutes of handling.
                 {.start = On(kJan1, 19, 0),
                  .queue = "front",
                  .channel = kEmail,
                  .offered = 4,
                  .answered = 2,
                  .within = 2,
                  .handled = 1,
                  .transferred = 2,
                  .repeat = 1,
                  .same = 1,
                  .asa = absl::ZeroDuration(),
                  .service_level = 1.0,
                  .aht = absl::Minutes(3),
                  .same_agent_rate = 1.0},
             });
}

// ------------------------------------------------------------ same agent

// Ann and Bob take email, one at a time; a held email waits 2 minutes for
// its owner. From 19:00 on January 1: C1 writes at 19:01, Ann answers, done
// 19:02; C2 writes at 19:03, Ann answers, done 19:04; C1 writes again at
// 19:05 and Ann, its owner, answers again. Ann steps away, Bob signs in; C2
// writes again at 19:06, is held for Ann until 19:08, then goes to Bob.
TEST_F(IntervalReportTest, SameAgentRateOfRepeatAnswers) {
  Start();
  Queue(AutoQueue("desk", {kEmail}));
  RoutingSettings settings;
  settings.default_queue = "desk";
  settings.preferred_agent_waits[kEmail] = absl::Minutes(2);
  Configure(settings);
  AddAgent(MakeAgent("ann", {kEmail}, 1), kOffline);
  AddAgent(MakeAgent("bob", {kEmail}, 1), kOffline);

  clock_.AdvanceTo(On(kJan1, 19, 1));
  SetPresence("ann", kAvailable);
  const TaskId c1 = Mail("c1");
  ASSERT_EQ(Task(c1).agent, "ann");
  clock_.AdvanceTo(On(kJan1, 19, 2));
  Complete(c1, "ann");
  clock_.AdvanceTo(On(kJan1, 19, 3));
  const TaskId c2 = Mail("c2");
  ASSERT_EQ(Task(c2).agent, "ann");
  clock_.AdvanceTo(On(kJan1, 19, 4));
  Complete(c2, "ann");
  clock_.AdvanceTo(On(kJan1, 19, 5));
  const TaskId c1_again = Mail("c1");
  ASSERT_EQ(Task(c1_again).conversation, Task(c1).conversation);
  ASSERT_EQ(Task(c1_again).agent, "ann");
  SetPresence("ann", kAway);
  SetPresence("bob", kAvailable);
  clock_.AdvanceTo(On(kJan1, 19, 6));
  const TaskId c2_again = Mail("c2");
  ASSERT_EQ(Task(c2_again).conversation, Task(c2).conversation);
  ASSERT_EQ(Task(c2_again).preferred_agent, "ann");
  ASSERT_EQ(Task(c2_again).status, v1::TASK_STATUS_WAITING) << "held for Ann";
  clock_.AdvanceTo(On(kJan1, 19, 8));
  EXPECT_GE(RunTimers(), 1);
  ASSERT_EQ(Task(c2_again).agent, "bob");
  ASSERT_EQ(Routing(Task(c2).conversation).agents, 2);

  // Four answers, the last after 2 minutes: 30 s on average. Two of them
  // repeat a conversation's, one by the same agent. C1 and C2 handled in a
  // minute each.
  const IntervalReport report = Report(On(kJan1, 19, 0), On(kJan1, 19, 15));
  ExpectRows(report, {{.start = On(kJan1, 19, 0),
                       .queue = "desk",
                       .channel = kEmail,
                       .offered = 4,
                       .answered = 4,
                       .within = 4,
                       .handled = 2,
                       .repeat = 2,
                       .same = 1,
                       .asa = absl::Seconds(30),
                       .service_level = 1.0,
                       .aht = absl::Minutes(1),
                       .same_agent_rate = 0.5}});

  // The previous answer need not be in the span (it is in the lookback):
  // Bob finishes C2 at 19:20 (12 minutes); C2 writes a third time at 19:21
  // and Bob, now its owner, answers at once, although Ann is available.
  clock_.AdvanceTo(On(kJan1, 19, 20));
  SetPresence("ann", kAvailable);
  Complete(c2_again, "bob");
  clock_.AdvanceTo(On(kJan1, 19, 21));
  const TaskId c2_third = Mail("c2");
  ASSERT_EQ(Task(c2_third).preferred_agent, "bob");
  ASSERT_EQ(Task(c2_third).agent, "bob") << "Bob, the owner, is free";
  const IntervalReport later = Report(On(kJan1, 19, 15), On(kJan1, 19, 30));
  ExpectRows(later, {{.start = On(kJan1, 19, 15),
                      .queue = "desk",
                      .channel = kEmail,
                      .offered = 1,
                      .answered = 1,
                      .within = 1,
                      .handled = 1,
                      .repeat = 1,
                      .same = 1,
                      .asa = absl::ZeroDuration(),
                      .service_level = 1.0,
                      .aht = absl::Minutes(12),
                      .same_agent_rate = 1.0}});
}

// ------------------------------------------------------------ first response met

// The conversation is answered (a message from an agent) while its task
// waits: the target no longer applies to the task (events.proto:
// TaskFirstResponseMet), and the real-time statistics count its late
// assignment within target. The report counts it the same way.
TEST_F(IntervalReportTest, AnAnswerWhileWaitingMeetsTheTarget) {
  Start();
  Queue(AutoQueue("desk", {kEmail}, absl::Minutes(5)));
  RoutingSettings settings;
  settings.default_queue = "desk";
  Configure(settings);
  AddAgent(MakeAgent("ann", {kEmail}, 1), kOffline);
  const TaskId x = Mail("x");  // 19:00, due 19:05
  clock_.AdvanceTo(On(kJan1, 19, 2));
  Answer(Task(x).conversation, kEmail, "ann", "<reply-x>");
  ASSERT_EQ(Task(x).first_response_due, std::nullopt) << "met";
  clock_.AdvanceTo(On(kJan1, 19, 8));
  SetPresence("ann", kAvailable);
  ASSERT_EQ(Task(x).agent, "ann");

  const std::vector<std::string> ids = {"desk"};
  absl::StatusOr<std::vector<QueueStatistics>> live = engine_->GetQueueStatistics(kTenant, ids);
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].last_15_minutes.answered_within_target, 1) << "real-time";

  const IntervalReport report = Report(On(kJan1, 19, 0), On(kJan1, 19, 15));
  ExpectRows(report, {{.start = On(kJan1, 19, 0),
                       .queue = "desk",
                       .channel = kEmail,
                       .offered = 1,
                       .answered = 1,
                       .within = 1,
                       .asa = absl::Minutes(8),
                       .service_level = 1.0}});
}

// ------------------------------------------------------------ errors

TEST_F(IntervalReportTest, BadSpansAreRefusedNamingTheField) {
  Start();
  const absl::Time from = On(kJan1, 19, 0);
  const auto refused = [&](absl::Time f, absl::Time t, absl::string_view field) {
    absl::StatusOr<IntervalReport> r = engine_->GetIntervalReport(kTenant, f, t);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
        << absl::FormatTime(f) << " .. " << absl::FormatTime(t) << ": " << r.status();
    EXPECT_TRUE(absl::StartsWith(r.status().message(), absl::StrCat(field, ":"))) << r.status();
  };
  refused(absl::InfinitePast(), from, "from");
  refused(absl::InfiniteFuture(), from, "from");
  refused(from, absl::InfiniteFuture(), "to");
  refused(from, absl::InfinitePast(), "to");
  refused(from, from, "to");
  refused(from, from - absl::Minutes(15), "to");
  refused(from + absl::Minutes(7), from + absl::Minutes(6), "to");
  refused(from, from + absl::Hours(24 * 32), "to");
  refused(from, from + kMaxReportSpan + kReportInterval, "to");

  // Exactly 31 days is accepted, and covers them.
  absl::StatusOr<IntervalReport> longest =
      engine_->GetIntervalReport(kTenant, from, from + absl::Hours(24 * 31));
  ASSERT_TRUE(longest.ok()) << longest.status();
  EXPECT_EQ(longest->from, from);
  EXPECT_EQ(longest->to, from + absl::Hours(24 * 31));
  // As is the shortest span.
  EXPECT_TRUE(engine_->GetIntervalReport(kTenant, from, from + absl::Nanoseconds(1)).ok());

  absl::StatusOr<IntervalReport> unknown =
      engine_->GetIntervalReport("nobody", from, from + absl::Hours(1));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
  EXPECT_THAT(unknown.status().message(), HasSubstr("nobody"));
}

}  // namespace
}  // namespace omniroute
