// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Engine::GetQueueStatistics, Engine::GetAgentStatistics and
// TaskView::wait_estimate on the manual clock: answers, waits, abandons and
// service level over the 15- and 60-minute windows as they slide; handle
// time with and without wrap-up; the agents of a queue by state; an agent's
// staffed and busy time and occupancy; the estimated wait of a waiting task
// and of a new one; the errors; and the same figures after a restart from
// the log and from a snapshot. Every expected value is worked out from the
// scenario, not read from the output.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::PublicPost;
using ::omniroute::testing_internal::RoutingFixture;
using ::testing::HasSubstr;

constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kPublic = v1::CHANNEL_PUBLIC_SOCIAL;
constexpr Channel kVoice = v1::CHANNEL_VOICE;
constexpr AgentPresence kAvailable = v1::AGENT_PRESENCE_AVAILABLE;
constexpr AgentPresence kAway = v1::AGENT_PRESENCE_AWAY;
constexpr AgentPresence kBusy = v1::AGENT_PRESENCE_BUSY;
constexpr AgentPresence kOffline = v1::AGENT_PRESENCE_OFFLINE;

// --- Renderings, to compare two reads whole.

std::string Describe(const std::optional<absl::Duration>& d) {
  return d.has_value() ? absl::FormatDuration(*d) : "unset";
}
std::string Describe(const std::optional<double>& d) {
  return d.has_value() ? absl::StrCat(*d) : "unset";
}
std::string Describe(const WindowFigures& f) {
  return absl::StrCat(
      "{window=", absl::FormatDuration(f.window), " offered=", f.offered, " answered=", f.answered,
      " within=", f.answered_within_target, " abandoned=", f.abandoned, " handled=", f.handled,
      " asa=", Describe(f.average_speed_of_answer), " sl=", Describe(f.service_level),
      " aht=", Describe(f.average_handle_time), "}");
}
std::string Describe(const WaitEstimate& e) {
  return absl::StrCat("{position=", e.position, " wait=", Describe(e.wait), " answers=", e.answers,
                      " span=", absl::FormatDuration(e.span), "}");
}
std::string Describe(const QueueStatistics& q) {
  std::string out = absl::StrCat(
      q.queue, " at=", absl::FormatTime(q.at), " waiting=", q.waiting, " offered=", q.offered,
      " assigned=", q.assigned, " longest=", Describe(q.longest_wait),
      " agents=", q.agents_available, "/", q.agents_busy, "/", q.agents_wrapping_up, "/",
      q.agents_away, " 15=", Describe(q.last_15_minutes), " 60=", Describe(q.last_60_minutes));
  for (const ChannelStatistics& c : q.channels) {
    absl::StrAppend(&out, "\n  channel ", c.channel, " waiting=", c.waiting,
                    " longest=", Describe(c.longest_wait), " 15=", Describe(c.last_15_minutes),
                    " 60=", Describe(c.last_60_minutes), " new=", Describe(c.new_task_wait));
  }
  return out;
}
std::string Describe(const AgentStatistics& a) {
  return absl::StrCat(a.agent, " presence=", a.presence, " at=", absl::FormatTime(a.at),
                      " window=", absl::FormatDuration(a.window),
                      " staffed=", absl::FormatDuration(a.staffed),
                      " busy=", absl::FormatDuration(a.busy), " occupancy=", Describe(a.occupancy),
                      " handled=", a.handled, " aht=", Describe(a.average_handle_time));
}

class StatisticsTest : public RoutingFixture {
 protected:
  // A queue whose offers are accepted at once: a task is answered the moment
  // an agent can take it, so waits are set by the clock alone.
  static QueueConfig AutoQueue(std::string id, std::vector<Channel> channels,
                               absl::Duration target = absl::ZeroDuration()) {
    QueueConfig q = MakeQueue(std::move(id), std::move(channels));
    q.auto_accept = true;
    q.first_response_target = target;
    return q;
  }
  void DefaultQueue(const std::string& queue) {
    RoutingSettings settings;
    settings.default_queue = queue;
    Configure(settings);
  }

  // An email from a new or known customer `who`; its task.
  TaskId Mail(absl::string_view who) {
    const IngestResult r = Ingest(EmailMessage(absl::StrCat(who, "@example.com"),
                                               absl::StrCat("<", who, "-", ++messages_, ">")));
    EXPECT_TRUE(r.task.has_value()) << who;
    return r.task.value_or(TaskId());
  }
  // A public post by `handle` with `reach` followers; its task.
  TaskId Post(absl::string_view handle, int64_t reach) {
    InboundMessage m = PublicPost("x", handle, absl::StrCat("post-", ++messages_));
    m.profile.reach = reach;
    const IngestResult r = Ingest(m);
    EXPECT_TRUE(r.task.has_value()) << handle;
    return r.task.value_or(TaskId());
  }
  void Abandon(TaskId task) {
    absl::Status s = engine_->AbandonTask(kTenant, task);
    ASSERT_TRUE(s.ok()) << task << ": " << s;
  }

  QueueStatistics QueueStatisticsOf(const std::string& queue) {
    const std::vector<std::string> ids = {queue};
    absl::StatusOr<std::vector<QueueStatistics>> r = engine_->GetQueueStatistics(kTenant, ids);
    EXPECT_TRUE(r.ok()) << queue << ": " << r.status();
    if (!r.ok() || r->size() != 1) {
      ADD_FAILURE() << queue << ": not one queue";
      return QueueStatistics{};
    }
    EXPECT_EQ((*r)[0].queue, queue);
    return (*r)[0];
  }
  std::vector<QueueStatistics> AllQueueStatistics() {
    absl::StatusOr<std::vector<QueueStatistics>> r = engine_->GetQueueStatistics(kTenant, {});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<QueueStatistics>{};
  }
  AgentStatistics AgentStatisticsOf(absl::string_view agent) {
    absl::StatusOr<AgentStatistics> r = engine_->GetAgentStatistics(kTenant, agent);
    EXPECT_TRUE(r.ok()) << agent << ": " << r.status();
    return r.ok() ? *r : AgentStatistics{};
  }
  static ChannelStatistics ChannelOf(const QueueStatistics& q, Channel channel) {
    for (const ChannelStatistics& c : q.channels) {
      if (c.channel == channel) return c;
    }
    ADD_FAILURE() << q.queue << " has no channel " << channel;
    return ChannelStatistics{};
  }
  // The estimate GetTask gives; a failure if there is none.
  WaitEstimate EstimateOf(TaskId task) {
    const TaskView view = Task(task);
    EXPECT_EQ(view.status, v1::TASK_STATUS_WAITING) << task;
    EXPECT_TRUE(view.wait_estimate.has_value()) << task;
    return view.wait_estimate.value_or(WaitEstimate{.position = -1});
  }

  int messages_ = 0;
};

// Checks every figure of a window.
void ExpectFigures(const WindowFigures& f, absl::Duration window, int64_t offered, int64_t answered,
                   int64_t within, int64_t abandoned, int64_t handled,
                   std::optional<absl::Duration> asa, std::optional<double> service_level,
                   std::optional<absl::Duration> aht, absl::string_view where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(f.window, window);
  EXPECT_EQ(f.offered, offered);
  EXPECT_EQ(f.answered, answered);
  EXPECT_EQ(f.answered_within_target, within);
  EXPECT_EQ(f.abandoned, abandoned);
  EXPECT_EQ(f.handled, handled);
  EXPECT_EQ(f.average_speed_of_answer, asa);
  EXPECT_EQ(f.service_level.has_value(), service_level.has_value());
  if (f.service_level.has_value() && service_level.has_value()) {
    EXPECT_DOUBLE_EQ(*f.service_level, *service_level);
  }
  EXPECT_EQ(f.average_handle_time, aht);
}

void ExpectEmpty(const WindowFigures& f, absl::Duration window, absl::string_view where) {
  ExpectFigures(f, window, 0, 0, 0, 0, 0, std::nullopt, std::nullopt, std::nullopt, where);
}

// ------------------------------------------------------------ queue windows

// Four emails wait for Ann (capacity 1, offers accepted at once, a 5-minute
// first-response target). She answers A after 2 minutes, B after 4 and C
// after 7 (late); D's customer gives up after 8.
class AnswerScenarioTest : public StatisticsTest {
 protected:
  void SetUp() override {
    Start();
    Queue(AutoQueue("email", {kEmail}, absl::Minutes(5)));
    DefaultQueue("email");
    AddAgent(MakeAgent("ann", {kEmail}, /*capacity=*/1), kOffline);
    t0_ = clock_.Now();
    a_ = Mail("a");
    b_ = Mail("b");
    c_ = Mail("c");
    d_ = Mail("d");

    QueueStatistics s = QueueStatisticsOf("email");
    EXPECT_EQ(s.waiting, 4);
    EXPECT_EQ(s.assigned, 0);
    EXPECT_EQ(s.longest_wait, absl::ZeroDuration());
    ExpectFigures(s.last_15_minutes, absl::Minutes(15), 4, 0, 0, 0, 0, std::nullopt, std::nullopt,
                  std::nullopt, "four offered");

    clock_.Advance(absl::Minutes(2));
    SetPresence("ann", kAvailable);
    ASSERT_EQ(Task(a_).status, v1::TASK_STATUS_ASSIGNED);
    s = QueueStatisticsOf("email");
    EXPECT_EQ(s.waiting, 3);
    EXPECT_EQ(s.assigned, 1);
    EXPECT_EQ(s.longest_wait, absl::Minutes(2));
    ExpectFigures(s.last_15_minutes, absl::Minutes(15), 4, 1, 1, 0, 0, absl::Minutes(2), 1.0,
                  std::nullopt, "A answered");

    clock_.Advance(absl::Minutes(2));  // t0 + 4 min
    Complete(a_, "ann");
    ASSERT_EQ(Task(b_).status, v1::TASK_STATUS_ASSIGNED);
    clock_.Advance(absl::Minutes(3));  // t0 + 7 min
    Complete(b_, "ann");
    ASSERT_EQ(Task(c_).status, v1::TASK_STATUS_ASSIGNED);
    clock_.Advance(absl::Minutes(1));  // t0 + 8 min
    Abandon(d_);
    ASSERT_EQ(Task(d_).status, v1::TASK_STATUS_CANCELLED);
  }

  absl::Time t0_;
  TaskId a_, b_, c_, d_;
};

TEST_F(AnswerScenarioTest, CountsAnswersWaitsAbandonsAndServiceLevel) {
  // Waits 2, 4 and 7 minutes: 13/3 minutes = 260 s on average; 2 of 3
  // within 5 minutes; service level 2 / (3 answered + 1 abandoned). A was
  // handled in 2 minutes, B in 3: 150 s on average.
  const QueueStatistics s = QueueStatisticsOf("email");
  EXPECT_EQ(s.at, t0_ + absl::Minutes(8));
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.offered, 0);
  EXPECT_EQ(s.assigned, 1);
  EXPECT_EQ(s.longest_wait, std::nullopt);
  for (const auto& [f, window] : {std::pair{s.last_15_minutes, absl::Minutes(15)},
                                  std::pair{s.last_60_minutes, absl::Minutes(60)}}) {
    ExpectFigures(f, window, /*offered=*/4, /*answered=*/3, /*within=*/2, /*abandoned=*/1,
                  /*handled=*/2, absl::Seconds(260), 0.5, absl::Seconds(150),
                  absl::StrCat(absl::FormatDuration(window), " window"));
  }
  // One channel: its figures are the queue's.
  ASSERT_EQ(s.channels.size(), 1u);
  const ChannelStatistics& email = s.channels[0];
  EXPECT_EQ(email.channel, kEmail);
  EXPECT_EQ(email.waiting, 0);
  EXPECT_EQ(email.longest_wait, std::nullopt);
  EXPECT_EQ(Describe(email.last_15_minutes), Describe(s.last_15_minutes));
  EXPECT_EQ(Describe(email.last_60_minutes), Describe(s.last_60_minutes));
}

TEST_F(AnswerScenarioTest, TheShortWindowForgetsWhatTheLongOneStillCounts) {
  const auto figures = [&](absl::Duration since_t0) {
    clock_.AdvanceTo(t0_ + since_t0);
    return QueueStatisticsOf("email");
  };
  const auto full_hour = [](const WindowFigures& f, absl::string_view where) {
    ExpectFigures(f, absl::Minutes(60), 4, 3, 2, 1, 2, absl::Seconds(260), 0.5, absl::Seconds(150),
                  where);
  };
  // t0 + 21 min: the 15 minutes are minutes 7 to 21 after t0: C's answer
  // (7 min, late), B's end (3 min) and D's abandon.
  QueueStatistics s = figures(absl::Minutes(21));
  ExpectFigures(s.last_15_minutes, absl::Minutes(15), 0, 1, 0, 1, 1, absl::Minutes(7), 0.0,
                absl::Minutes(3), "15 at +21");
  full_hour(s.last_60_minutes, "60 at +21");
  // t0 + 22 min: only D's abandon: a service level of 0, nothing to average.
  s = figures(absl::Minutes(22));
  ExpectFigures(s.last_15_minutes, absl::Minutes(15), 0, 0, 0, 1, 0, std::nullopt, 0.0,
                std::nullopt, "15 at +22");
  full_hour(s.last_60_minutes, "60 at +22");
  // 20 minutes after the last activity: the 15 minutes are empty, the hour
  // holds everything.
  s = figures(absl::Minutes(28));
  ExpectEmpty(s.last_15_minutes, absl::Minutes(15), "15 at +28");
  full_hour(s.last_60_minutes, "60 at +28");
  ExpectEmpty(s.channels[0].last_15_minutes, absl::Minutes(15), "email 15 at +28");
  full_hour(s.channels[0].last_60_minutes, "email 60 at +28");
  // t0 + 66 min: the hour is minutes 7 to 66.
  s = figures(absl::Minutes(66));
  ExpectFigures(s.last_60_minutes, absl::Minutes(60), 0, 1, 0, 1, 1, absl::Minutes(7), 0.0,
                absl::Minutes(3), "60 at +66");
  s = figures(absl::Minutes(67));
  ExpectFigures(s.last_60_minutes, absl::Minutes(60), 0, 0, 0, 1, 0, std::nullopt, 0.0,
                std::nullopt, "60 at +67");
  // 60 minutes after the last activity: both windows are empty.
  s = figures(absl::Minutes(68));
  ExpectEmpty(s.last_15_minutes, absl::Minutes(15), "15 at +68");
  ExpectEmpty(s.last_60_minutes, absl::Minutes(60), "60 at +68");
  ExpectEmpty(s.channels[0].last_60_minutes, absl::Minutes(60), "email 60 at +68");
  EXPECT_EQ(s.assigned, 1);

  // C, answered at +7, is finished at +69: handled, with 62 minutes of
  // handling, although its answer is out of both windows.
  clock_.AdvanceTo(t0_ + absl::Minutes(69));
  Complete(c_, "ann");
  s = QueueStatisticsOf("email");
  ExpectFigures(s.last_15_minutes, absl::Minutes(15), 0, 0, 0, 0, 1, std::nullopt, std::nullopt,
                absl::Minutes(62), "15 at +69");
  ExpectFigures(s.last_60_minutes, absl::Minutes(60), 0, 0, 0, 0, 1, std::nullopt, std::nullopt,
                absl::Minutes(62), "60 at +69");
}

// An overflow and a transfer bring a task into a queue (offered there); a
// task cancelled for another reason than the customer giving up is not
// abandoned.
TEST_F(StatisticsTest, OverflowsAndTransfersAreOfferedInTheirNewQueue) {
  Start();
  QueueConfig front = AutoQueue("front", {kEmail});
  front.expansion_steps.push_back({.after = absl::Minutes(5), .overflow_queue = "back"});
  Queue(AutoQueue("back", {kEmail}));
  Queue(front);
  DefaultQueue("front");
  AddAgent(MakeAgent("ann", {kEmail}), kOffline);
  const absl::Time t0 = clock_.Now();
  const TaskId a = Mail("a");
  const TaskId b = Mail("b");
  EXPECT_EQ(QueueStatisticsOf("front").last_15_minutes.offered, 2);
  EXPECT_EQ(QueueStatisticsOf("back").last_15_minutes.offered, 0);

  // Both overflow at +5 min.
  clock_.AdvanceTo(t0 + absl::Minutes(5));
  EXPECT_GE(RunTimers(), 2);
  ASSERT_EQ(Task(a).queue, "back");
  ASSERT_EQ(Task(b).queue, "back");
  EXPECT_EQ(QueueStatisticsOf("front").last_15_minutes.offered, 2);
  EXPECT_EQ(QueueStatisticsOf("front").waiting, 0);
  EXPECT_EQ(QueueStatisticsOf("back").last_15_minutes.offered, 2);
  EXPECT_EQ(QueueStatisticsOf("back").waiting, 2);

  // B's conversation is closed: cancelled, not abandoned.
  ASSERT_TRUE(engine_
                  ->SetConversationStatus(kTenant, Task(b).conversation,
                                          v1::CONVERSATION_STATUS_CLOSED, Actor::Agent("ann"))
                  .ok());
  ASSERT_EQ(Task(b).status, v1::TASK_STATUS_CANCELLED);

  // Ann answers A at +7 min: it waited 2 minutes in "back" (since the
  // overflow), 7 since it was created.
  clock_.AdvanceTo(t0 + absl::Minutes(7));
  SetPresence("ann", kAvailable);
  ASSERT_EQ(Task(a).status, v1::TASK_STATUS_ASSIGNED);
  QueueStatistics back = QueueStatisticsOf("back");
  ExpectFigures(back.last_15_minutes, absl::Minutes(15), 2, 1, 1, 0, 0, absl::Minutes(2), 1.0,
                std::nullopt, "back at +7");
  ExpectFigures(QueueStatisticsOf("front").last_15_minutes, absl::Minutes(15), 2, 0, 0, 0, 0,
                std::nullopt, std::nullopt, std::nullopt, "front at +7");

  // At +8 min she transfers it to "front": a new task enters "front" and
  // she, available, gets it at once; A's minute of handling ends.
  clock_.AdvanceTo(t0 + absl::Minutes(8));
  absl::StatusOr<TaskId> moved =
      engine_->TransferTask(kTenant, a, {.queue = "front"}, Actor::Agent("ann"));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(Task(*moved).queue, "front");
  ExpectFigures(QueueStatisticsOf("front").last_15_minutes, absl::Minutes(15), 3, 1, 1, 0, 0,
                absl::ZeroDuration(), 1.0, std::nullopt, "front at +8");
  back = QueueStatisticsOf("back");
  ExpectFigures(back.last_15_minutes, absl::Minutes(15), 2, 1, 1, 0, 1, absl::Minutes(2), 1.0,
                absl::Minutes(1), "back at +8");
}

// ------------------------------------------------------------ handle time

// Ann has 2 minutes of wrap-up, Bob none. Ann answers A at once and
// finishes it at +3 (wrap-up to +5); Bob signs in at +1, answers B (1
// minute of waiting) and finishes it at +4.
TEST_F(StatisticsTest, HandleTimeRunsFromAssignmentToTheEndOfWrapUp) {
  Start();
  Queue(AutoQueue("email", {kEmail}, absl::Minutes(5)));
  DefaultQueue("email");
  AgentConfig ann = MakeAgent("ann", {kEmail}, 1);
  ann.wrap_up = absl::Minutes(2);
  AddAgent(ann, kAvailable);
  AddAgent(MakeAgent("bob", {kEmail}, 1), kOffline);
  const absl::Time t0 = clock_.Now();
  const TaskId a = Mail("a");
  const TaskId b = Mail("b");
  ASSERT_EQ(Task(a).agent, "ann");
  ASSERT_EQ(Task(b).status, v1::TASK_STATUS_WAITING);

  clock_.AdvanceTo(t0 + absl::Minutes(1));
  SetPresence("bob", kAvailable);
  ASSERT_EQ(Task(b).agent, "bob");
  clock_.AdvanceTo(t0 + absl::Minutes(3));
  Complete(a, "ann");
  QueueStatistics s = QueueStatisticsOf("email");
  EXPECT_EQ(s.last_15_minutes.handled, 0) << "A is in wrap-up";
  EXPECT_EQ(s.last_15_minutes.average_handle_time, std::nullopt);
  EXPECT_EQ(s.agents_wrapping_up, 1);
  EXPECT_EQ(s.agents_busy, 1);
  EXPECT_EQ(s.agents_available, 0);

  clock_.AdvanceTo(t0 + absl::Minutes(4));
  Complete(b, "bob");
  s = QueueStatisticsOf("email");
  ExpectFigures(s.last_15_minutes, absl::Minutes(15), 2, 2, 2, 0, 1, absl::Seconds(30), 1.0,
                absl::Minutes(3), "B done");

  // A second before the wrap-up ends nothing changes; at +5 it ends.
  clock_.AdvanceTo(t0 + absl::Minutes(5) - absl::Seconds(1));
  RunTimers();
  EXPECT_EQ(QueueStatisticsOf("email").last_15_minutes.handled, 1);
  clock_.AdvanceTo(t0 + absl::Minutes(5));
  EXPECT_GE(RunTimers(), 1);
  s = QueueStatisticsOf("email");
  // A: 5 minutes (3 assigned + 2 wrap-up), B: 3. Waits 0 and 1 minute.
  for (const auto& [f, window] : {std::pair{s.last_15_minutes, absl::Minutes(15)},
                                  std::pair{s.last_60_minutes, absl::Minutes(60)}}) {
    ExpectFigures(f, window, 2, 2, 2, 0, 2, absl::Seconds(30), 1.0, absl::Minutes(4),
                  absl::StrCat(absl::FormatDuration(window), " after wrap-up"));
  }
  EXPECT_EQ(s.agents_wrapping_up, 0);
  EXPECT_EQ(s.agents_available, 2);

  // Ann: signed in and busy for all 5 minutes. Bob: 4 minutes signed in,
  // 3 of them busy.
  const AgentStatistics ann_stats = AgentStatisticsOf("ann");
  EXPECT_EQ(ann_stats.staffed, absl::Minutes(5));
  EXPECT_EQ(ann_stats.busy, absl::Minutes(5));
  ASSERT_TRUE(ann_stats.occupancy.has_value());
  EXPECT_DOUBLE_EQ(*ann_stats.occupancy, 1.0);
  EXPECT_EQ(ann_stats.handled, 1);
  EXPECT_EQ(ann_stats.average_handle_time, absl::Minutes(5));
  const AgentStatistics bob_stats = AgentStatisticsOf("bob");
  EXPECT_EQ(bob_stats.staffed, absl::Minutes(4));
  EXPECT_EQ(bob_stats.busy, absl::Minutes(3));
  ASSERT_TRUE(bob_stats.occupancy.has_value());
  EXPECT_DOUBLE_EQ(*bob_stats.occupancy, 0.75);
  EXPECT_EQ(bob_stats.handled, 1);
  EXPECT_EQ(bob_stats.average_handle_time, absl::Minutes(3));
}

// ------------------------------------------------------------ agents by state

TEST_F(StatisticsTest, CountsTheSignedInAgentsWhoServeTheQueueByState) {
  Start();
  QueueConfig email = AutoQueue("email", {kEmail});
  email.required_skills = {{"support", 2}};
  Queue(email);
  Queue(AutoQueue("phone", {kVoice}));
  DefaultQueue("email");
  AddAgent(MakeAgent("ann", {kEmail}), kOffline);
  AddAgent(MakeAgent("bob", {kEmail}), kOffline);
  AddAgent(MakeAgent("cat", {kEmail}), kOffline);
  AddAgent(MakeAgent("dan", {kEmail}), kOffline);
  AddAgent(MakeAgent("eve", {kVoice}), kOffline);
  AddAgent(MakeAgent("fay", {kEmail}, 4, {{"billing", 5}}), kOffline);
  AddAgent(MakeAgent("gil", {kEmail}, 4, {{"support", 1}}), kOffline);
  AddAgent(MakeAgent("hal", {kEmail, kVoice}, 1), kOffline);
  AgentConfig ivy = MakeAgent("ivy", {kEmail}, 1);
  ivy.wrap_up = absl::Minutes(10);
  AddAgent(ivy, kOffline);

  // Nobody signed in: nobody counted.
  QueueStatistics s = QueueStatisticsOf("email");
  EXPECT_EQ(s.agents_available + s.agents_busy + s.agents_wrapping_up + s.agents_away, 0);

  // Hal takes one email, Ivy another and finishes it (wrap-up).
  const TaskId t1 = Mail("one");
  SetPresence("hal", kAvailable);
  ASSERT_EQ(Task(t1).agent, "hal");
  const TaskId t2 = Mail("two");
  SetPresence("ivy", kAvailable);
  ASSERT_EQ(Task(t2).agent, "ivy");
  Complete(t2, "ivy");
  // Ann available, Bob away, Cat busy (presence), Dan offline; Eve serves
  // voice only, Fay lacks the skill, Gil has it below the level.
  SetPresence("ann", kAvailable);
  SetPresence("bob", kAway);
  SetPresence("cat", kBusy);
  SetPresence("eve", kAvailable);
  SetPresence("fay", kAvailable);
  SetPresence("gil", kAvailable);

  s = QueueStatisticsOf("email");
  EXPECT_EQ(s.agents_available, 1) << "ann";
  EXPECT_EQ(s.agents_busy, 1) << "hal";
  EXPECT_EQ(s.agents_wrapping_up, 1) << "ivy";
  EXPECT_EQ(s.agents_away, 2) << "bob and cat";
  // The phone queue (support 1, voice): Eve available, Hal busy with his
  // email.
  QueueStatistics phone = QueueStatisticsOf("phone");
  EXPECT_EQ(phone.agents_available, 1) << "eve";
  EXPECT_EQ(phone.agents_busy, 1) << "hal";
  EXPECT_EQ(phone.agents_wrapping_up, 0);
  EXPECT_EQ(phone.agents_away, 0);

  // Signing out takes an agent out of the counts.
  SetPresence("ann", kOffline);
  SetPresence("bob", kOffline);
  s = QueueStatisticsOf("email");
  EXPECT_EQ(s.agents_available, 0);
  EXPECT_EQ(s.agents_away, 1) << "cat";
  EXPECT_EQ(s.agents_busy, 1) << "hal";
  EXPECT_EQ(s.agents_wrapping_up, 1) << "ivy";

  // Also with work in hand: Hal's assigned email and Ivy's wrap-up stay
  // theirs, but they are not signed in (routing.h: QueueStatistics counts
  // the agents who "are signed in").
  SetPresence("hal", kOffline);
  SetPresence("ivy", kOffline);
  ASSERT_EQ(Task(t1).status, v1::TASK_STATUS_ASSIGNED);
  s = QueueStatisticsOf("email");
  EXPECT_EQ(s.assigned, 1);
  EXPECT_EQ(s.agents_busy, 0) << "hal is signed out";
  EXPECT_EQ(s.agents_wrapping_up, 0) << "ivy is signed out";
  EXPECT_EQ(s.agents_away, 1) << "cat";
  EXPECT_EQ(s.agents_available, 0);
  phone = QueueStatisticsOf("phone");
  EXPECT_EQ(phone.agents_busy, 0) << "hal is signed out";
  EXPECT_EQ(phone.agents_available, 1) << "eve";
}

// ------------------------------------------------------------ agents' time

// Ann signs in at +1 min and takes a waiting email at once, works on it for
// 10 minutes, then stays available for 20.
TEST_F(StatisticsTest, AgentStaffedAndBusyTimeAndOccupancy) {
  Start();
  Queue(AutoQueue("email", {kEmail}));
  DefaultQueue("email");
  AddAgent(MakeAgent("ann", {kEmail}, 1), kOffline);
  AddAgent(MakeAgent("bob", {kEmail}, 1), kOffline);
  const absl::Time t0 = clock_.Now();
  const TaskId a = Mail("a");

  // Configured but never signed in: nothing.
  AgentStatistics ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.agent, "ann");
  EXPECT_EQ(ann.presence, kOffline);
  EXPECT_EQ(ann.at, t0);
  EXPECT_EQ(ann.window, absl::Minutes(60));
  EXPECT_EQ(ann.staffed, absl::ZeroDuration());
  EXPECT_EQ(ann.busy, absl::ZeroDuration());
  EXPECT_EQ(ann.occupancy, std::nullopt);
  EXPECT_EQ(ann.handled, 0);
  EXPECT_EQ(ann.average_handle_time, std::nullopt);

  clock_.AdvanceTo(t0 + absl::Minutes(1));
  SetPresence("ann", kAvailable);
  ASSERT_EQ(Task(a).agent, "ann");
  // Mid-task, at +6: 5 minutes signed in, all busy.
  clock_.AdvanceTo(t0 + absl::Minutes(6));
  ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.staffed, absl::Minutes(5));
  EXPECT_EQ(ann.busy, absl::Minutes(5));
  ASSERT_TRUE(ann.occupancy.has_value());
  EXPECT_DOUBLE_EQ(*ann.occupancy, 1.0);
  EXPECT_EQ(ann.handled, 0);

  clock_.AdvanceTo(t0 + absl::Minutes(11));
  Complete(a, "ann");
  clock_.AdvanceTo(t0 + absl::Minutes(31));
  ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.presence, kAvailable);
  EXPECT_EQ(ann.at, t0 + absl::Minutes(31));
  EXPECT_EQ(ann.staffed, absl::Minutes(30));
  EXPECT_EQ(ann.busy, absl::Minutes(10));
  ASSERT_TRUE(ann.occupancy.has_value());
  EXPECT_DOUBLE_EQ(*ann.occupancy, 10.0 / 30.0);
  EXPECT_EQ(ann.handled, 1);
  EXPECT_EQ(ann.average_handle_time, absl::Minutes(10));

  // She signs out: ten minutes later nothing more is counted.
  SetPresence("ann", kOffline);
  clock_.AdvanceTo(t0 + absl::Minutes(41));
  ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.presence, kOffline);
  EXPECT_EQ(ann.staffed, absl::Minutes(30));
  EXPECT_EQ(ann.busy, absl::Minutes(10));
  EXPECT_DOUBLE_EQ(ann.occupancy.value_or(-1), 10.0 / 30.0);

  // The hour slides: at +70 it is minutes 11 to 70 (the task was finished
  // in minute 11, her busy minutes 1 to 10 are gone); at +71, 12 to 71.
  clock_.AdvanceTo(t0 + absl::Minutes(70));
  ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.staffed, absl::Minutes(20));
  EXPECT_EQ(ann.busy, absl::ZeroDuration());
  EXPECT_DOUBLE_EQ(ann.occupancy.value_or(-1), 0.0);
  EXPECT_EQ(ann.handled, 1);
  EXPECT_EQ(ann.average_handle_time, absl::Minutes(10));
  clock_.AdvanceTo(t0 + absl::Minutes(71));
  ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.staffed, absl::Minutes(19));
  EXPECT_EQ(ann.handled, 0);
  EXPECT_EQ(ann.average_handle_time, std::nullopt);
  // An hour after she signed out: not staffed in the window.
  clock_.AdvanceTo(t0 + absl::Minutes(91));
  ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.staffed, absl::ZeroDuration());
  EXPECT_EQ(ann.occupancy, std::nullopt);

  // Bob never signed in.
  const AgentStatistics bob = AgentStatisticsOf("bob");
  EXPECT_EQ(bob.staffed, absl::ZeroDuration());
  EXPECT_EQ(bob.busy, absl::ZeroDuration());
  EXPECT_EQ(bob.occupancy, std::nullopt);
  EXPECT_EQ(bob.handled, 0);
}

TEST_F(StatisticsTest, AnAgentSignedInForMoreThanAnHourCountsTheLastHour) {
  Start();
  Queue(AutoQueue("email", {kEmail}));
  DefaultQueue("email");
  const absl::Time t0 = clock_.Now();
  AddAgent(MakeAgent("ann", {kEmail}), kAvailable);
  // Signed in at t0 and never changed since: at +2 h 30 s the window is
  // minutes 61 to 120, 59 minutes and 30 seconds of them.
  clock_.AdvanceTo(t0 + absl::Hours(2) + absl::Seconds(30));
  const AgentStatistics ann = AgentStatisticsOf("ann");
  EXPECT_EQ(ann.staffed, absl::Minutes(59) + absl::Seconds(30));
  EXPECT_EQ(ann.busy, absl::ZeroDuration());
  EXPECT_DOUBLE_EQ(ann.occupancy.value_or(-1), 0.0);
}

// ------------------------------------------------------------ wait estimate

TEST_F(StatisticsTest, NoWaitIsEstimatedFromFewerThanThreeAnswers) {
  Start();
  Queue(AutoQueue("email", {kEmail}));
  DefaultQueue("email");
  AddAgent(MakeAgent("ann", {kEmail}, 1), kAvailable);
  AddAgent(MakeAgent("bob", {kEmail}, 1), kOffline);
  const absl::Time t0 = clock_.Now();
  const TaskId e0 = Mail("e0");
  ASSERT_EQ(Task(e0).agent, "ann");
  clock_.AdvanceTo(t0 + absl::Minutes(1));
  Complete(e0, "ann");
  const TaskId e1 = Mail("e1");
  ASSERT_EQ(Task(e1).agent, "ann");
  // An assigned task has no estimate.
  EXPECT_EQ(Task(e1).wait_estimate, std::nullopt);
  EXPECT_EQ(Task(e0).wait_estimate, std::nullopt) << "completed";

  clock_.AdvanceTo(t0 + absl::Minutes(2));
  const TaskId w = Mail("w");
  const TaskId x = Mail("x");
  WaitEstimate estimate = EstimateOf(w);
  EXPECT_EQ(estimate.position, 1);
  EXPECT_EQ(estimate.answers, 2);
  EXPECT_EQ(estimate.span, absl::Minutes(2));
  EXPECT_EQ(estimate.wait, std::nullopt) << "2 answers";
  estimate = EstimateOf(x);
  EXPECT_EQ(estimate.position, 2);
  EXPECT_EQ(estimate.wait, std::nullopt) << "2 answers";

  // Bob signs in at +3 and answers W: three answers in the minutes since
  // t0, so X, next in line, waits 180 s / 3.
  clock_.AdvanceTo(t0 + absl::Minutes(3));
  SetPresence("bob", kAvailable);
  ASSERT_EQ(Task(w).agent, "bob");
  EXPECT_EQ(Task(w).wait_estimate, std::nullopt);
  estimate = EstimateOf(x);
  EXPECT_EQ(estimate.position, 1);
  EXPECT_EQ(estimate.answers, 3);
  EXPECT_EQ(estimate.span, absl::Minutes(3));
  EXPECT_EQ(estimate.wait, absl::Seconds(60));
}

// Ann serves email and public posts (capacity 1, offers accepted at once).
// She answers six emails at 0, 2, 4, 6, 8 and 10 minutes, taking a minute
// each, and three posts at 1, 3 and 5 minutes, taking 30 seconds each.
// Then she steps away and work waits.
class WaitEstimateTest : public StatisticsTest {
 protected:
  void SetUp() override {
    Start();
    Queue(AutoQueue("desk", {kEmail, kPublic}));
    DefaultQueue("desk");
    AgentConfig ann = MakeAgent("ann", {kEmail, kPublic}, 1);
    AddAgent(ann, kAvailable);
    t0_ = clock_.Now();
    for (int i = 0; i < 6; ++i) {
      ASSERT_EQ(clock_.Now(), t0_ + absl::Minutes(2 * i));
      const TaskId e = Mail(absl::StrCat("e", i));
      ASSERT_EQ(Task(e).agent, "ann") << i;
      EXPECT_EQ(Task(e).wait_estimate, std::nullopt) << "assigned " << i;
      if (i == 2) ExpectEarlyNewTaskWaits();
      clock_.Advance(absl::Minutes(1));
      Complete(e, "ann");
      if (i < 3) {
        const TaskId p = Post(absl::StrCat("h", i), 0);
        ASSERT_EQ(Task(p).agent, "ann") << i;
        clock_.Advance(absl::Seconds(30));
        Complete(p, "ann");
        clock_.Advance(absl::Seconds(30));
      } else {
        clock_.Advance(absl::Minutes(1));
      }
    }
    ASSERT_EQ(clock_.Now(), t0_ + absl::Minutes(12));
    SetPresence("ann", kAway);
  }

  // At +4 min, with E2 just answered: three email answers since minute 0,
  // two post answers since minute 1.
  void ExpectEarlyNewTaskWaits() {
    const QueueStatistics s = QueueStatisticsOf("desk");
    const ChannelStatistics email = ChannelOf(s, kEmail);
    EXPECT_EQ(email.waiting, 0);
    EXPECT_EQ(email.new_task_wait.position, 1);
    EXPECT_EQ(email.new_task_wait.answers, 3);
    EXPECT_EQ(email.new_task_wait.span, absl::Minutes(4));
    EXPECT_EQ(email.new_task_wait.wait, absl::Seconds(80));
    const ChannelStatistics post = ChannelOf(s, kPublic);
    EXPECT_EQ(post.new_task_wait.position, 1);
    EXPECT_EQ(post.new_task_wait.answers, 2);
    EXPECT_EQ(post.new_task_wait.span, absl::Minutes(3));
    EXPECT_EQ(post.new_task_wait.wait, std::nullopt) << "2 answers";
  }

  absl::Time t0_;
};

TEST_F(WaitEstimateTest, PositionAndWaitOfWaitingTasks) {
  // +12:00: E0's customer writes again (held for Ann, the owner) and N1
  // writes; +12:10 N2 writes and Low posts; +12:20 Star (1,000 followers,
  // 15 points: 90 s of priority) posts.
  const TaskId held = Mail("e0");
  const TaskId n1 = Mail("n1");
  clock_.Advance(absl::Seconds(10));
  const TaskId n2 = Mail("n2");
  const TaskId low = Post("low", 0);
  clock_.Advance(absl::Seconds(10));
  const TaskId star = Post("star", 1000);
  clock_.Advance(absl::Seconds(10));
  ASSERT_EQ(clock_.Now(), t0_ + absl::Minutes(12) + absl::Seconds(30));
  ASSERT_EQ(Task(held).preferred_agent, "ann");
  ASSERT_TRUE(Task(held).preferred_until.has_value());
  ASSERT_GT(*Task(held).preferred_until, clock_.Now()) << "held for Ann";
  ASSERT_EQ(Task(low).priority_points, 0);
  ASSERT_EQ(Task(star).priority_points, 15);

  // Email: 6 answers since minute 0, 750 s ago: one per 125 s.
  WaitEstimate e = EstimateOf(held);
  EXPECT_EQ(e.position, 0) << "held for its preferred agent";
  EXPECT_EQ(e.wait, std::nullopt);
  e = EstimateOf(n1);
  EXPECT_EQ(e.position, 1);
  EXPECT_EQ(e.answers, 6);
  EXPECT_EQ(e.span, absl::Seconds(750));
  EXPECT_EQ(e.wait, absl::Seconds(125));
  e = EstimateOf(n2);
  EXPECT_EQ(e.position, 2);
  EXPECT_EQ(e.wait, absl::Seconds(250));
  // Posts: 3 answers since minute 1, 690 s ago; Star is ahead of Low, and
  // the emails are not in their line.
  e = EstimateOf(star);
  EXPECT_EQ(e.position, 1);
  EXPECT_EQ(e.answers, 3);
  EXPECT_EQ(e.span, absl::Seconds(690));
  EXPECT_EQ(e.wait, absl::Seconds(230));
  e = EstimateOf(low);
  EXPECT_EQ(e.position, 2);
  EXPECT_EQ(e.wait, absl::Seconds(460));

  // A new task would come after those in line (the held one is not).
  const QueueStatistics s = QueueStatisticsOf("desk");
  EXPECT_EQ(s.waiting, 5);
  EXPECT_EQ(s.longest_wait, absl::Seconds(30));
  ASSERT_EQ(s.channels.size(), 2u);
  EXPECT_EQ(s.channels[0].channel, kEmail);
  EXPECT_EQ(s.channels[1].channel, kPublic);
  const ChannelStatistics email = s.channels[0];
  EXPECT_EQ(email.waiting, 3);
  EXPECT_EQ(email.longest_wait, absl::Seconds(30));
  EXPECT_EQ(email.new_task_wait.position, 3);
  EXPECT_EQ(email.new_task_wait.answers, 6);
  EXPECT_EQ(email.new_task_wait.span, absl::Seconds(750));
  EXPECT_EQ(email.new_task_wait.wait, absl::Seconds(375));
  const ChannelStatistics post = s.channels[1];
  EXPECT_EQ(post.waiting, 2);
  EXPECT_EQ(post.longest_wait, absl::Seconds(20));
  EXPECT_EQ(post.new_task_wait.position, 3);
  EXPECT_EQ(post.new_task_wait.wait, absl::Seconds(690));
  // Nine answers in the window, all at once (so none late), none
  // abandoned; 14 tasks entered; 6 minutes and 3 half-minutes of handling.
  ExpectFigures(s.last_15_minutes, absl::Minutes(15), 14, 9, 9, 0, 9, absl::ZeroDuration(), 1.0,
                (6 * absl::Minutes(1) + 3 * absl::Seconds(30)) / 9, "desk at +12:30");
}

TEST_F(WaitEstimateTest, NoWaitWithoutASignedInAgentForTheChannel) {
  const TaskId n1 = Mail("n1");
  const TaskId star = Post("star", 1000);
  clock_.Advance(absl::Seconds(30));
  ASSERT_EQ(EstimateOf(n1).wait, absl::Seconds(125));
  ASSERT_EQ(EstimateOf(star).wait, absl::Seconds(230));

  // Ann signs out: nobody serves the queue; the line and the rate stay.
  SetPresence("ann", kOffline);
  WaitEstimate e = EstimateOf(n1);
  EXPECT_EQ(e.position, 1);
  EXPECT_EQ(e.answers, 6);
  EXPECT_EQ(e.span, absl::Seconds(750));
  EXPECT_EQ(e.wait, std::nullopt);
  EXPECT_EQ(EstimateOf(star).wait, std::nullopt);
  QueueStatistics s = QueueStatisticsOf("desk");
  EXPECT_EQ(ChannelOf(s, kEmail).new_task_wait.position, 2);
  EXPECT_EQ(ChannelOf(s, kEmail).new_task_wait.wait, std::nullopt);
  EXPECT_EQ(ChannelOf(s, kPublic).new_task_wait.wait, std::nullopt);

  // Bob, away but signed in, serves email only: emails get their wait
  // back, posts do not.
  AddAgent(MakeAgent("bob", {kEmail}), kAway);
  EXPECT_EQ(EstimateOf(n1).wait, absl::Seconds(125));
  EXPECT_EQ(EstimateOf(star).wait, std::nullopt);
  s = QueueStatisticsOf("desk");
  EXPECT_EQ(ChannelOf(s, kEmail).new_task_wait.wait, absl::Seconds(250));
  EXPECT_EQ(ChannelOf(s, kPublic).new_task_wait.wait, std::nullopt);
}

TEST_F(WaitEstimateTest, TheRateComesFromTheLastFifteenMinutes) {
  const TaskId n1 = Mail("n1");
  const TaskId n2 = Mail("n2");
  // +17:00: the window is minutes 3 to 17. Its first minute with activity
  // is 3 (E1 finished then); the answers in it are E2 to E5 (minutes 4, 6,
  // 8, 10): 4 answers over 14 minutes.
  clock_.AdvanceTo(t0_ + absl::Minutes(17));
  WaitEstimate e = EstimateOf(n1);
  EXPECT_EQ(e.position, 1);
  EXPECT_EQ(e.answers, 4);
  EXPECT_EQ(e.span, absl::Minutes(14));
  EXPECT_EQ(e.wait, absl::Seconds(210));
  EXPECT_EQ(EstimateOf(n2).wait, absl::Seconds(420));
  // +18:30: minutes 4 to 18, from minute 4 (E2 answered): 4 answers over
  // 14.5 minutes.
  clock_.AdvanceTo(t0_ + absl::Minutes(18) + absl::Seconds(30));
  e = EstimateOf(n1);
  EXPECT_EQ(e.answers, 4);
  EXPECT_EQ(e.span, absl::Minutes(14) + absl::Seconds(30));
  EXPECT_EQ(e.wait, absl::Seconds(870) / 4);
  // +26:00: minutes 12 to 26; only the waiting tasks' arrival in minute
  // 12, no answers.
  clock_.AdvanceTo(t0_ + absl::Minutes(26));
  e = EstimateOf(n1);
  EXPECT_EQ(e.position, 1);
  EXPECT_EQ(e.answers, 0);
  EXPECT_EQ(e.span, absl::Minutes(14));
  EXPECT_EQ(e.wait, std::nullopt);
}

// ------------------------------------------------------------ errors, order

TEST_F(StatisticsTest, QueuesInConfigurationOrderAndErrors) {
  Start();
  Queue(AutoQueue("zeta", {kEmail}));
  Queue(AutoQueue("alpha", {kEmail}));
  Queue(AutoQueue("mid", {kPublic, kEmail}));
  DefaultQueue("zeta");
  AddAgent(MakeAgent("ann", {kEmail}), kOffline);
  clock_.Advance(absl::Seconds(42));

  std::vector<QueueStatistics> all = AllQueueStatistics();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].queue, "zeta");
  EXPECT_EQ(all[1].queue, "alpha");
  EXPECT_EQ(all[2].queue, "mid");
  for (const QueueStatistics& q : all) EXPECT_EQ(q.at, clock_.Now()) << q.queue;
  // A queue's channels in configuration order.
  ASSERT_EQ(all[2].channels.size(), 2u);
  EXPECT_EQ(all[2].channels[0].channel, kPublic);
  EXPECT_EQ(all[2].channels[1].channel, kEmail);
  // Named queues come in the order asked.
  {
    const std::vector<std::string> ids = {"mid", "zeta"};
    absl::StatusOr<std::vector<QueueStatistics>> r = engine_->GetQueueStatistics(kTenant, ids);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].queue, "mid");
    EXPECT_EQ((*r)[1].queue, "zeta");
  }
  // The first unknown queue is named.
  {
    const std::vector<std::string> ids = {"alpha", "nowhere", "elsewhere"};
    absl::StatusOr<std::vector<QueueStatistics>> r = engine_->GetQueueStatistics(kTenant, ids);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("queue_ids[1]"));
    EXPECT_THAT(r.status().message(), HasSubstr("nowhere"));
  }
  {
    const std::vector<std::string> ids = {"nowhere"};
    absl::StatusOr<std::vector<QueueStatistics>> r = engine_->GetQueueStatistics(kTenant, ids);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("queue_ids[0]"));
  }
  const std::vector<std::string> bad_queue_ids = {"bad queue", "", "a/b", std::string(65, 'q')};
  for (const std::string& bad : bad_queue_ids) {
    const std::vector<std::string> ids = {"alpha", bad};
    absl::StatusOr<std::vector<QueueStatistics>> r = engine_->GetQueueStatistics(kTenant, ids);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad << ": " << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("queue_ids[1]")) << bad;
  }
  EXPECT_EQ(engine_->GetQueueStatistics("nobody", {}).status().code(), absl::StatusCode::kNotFound);

  // Agents.
  EXPECT_TRUE(engine_->GetAgentStatistics(kTenant, "ann").ok());
  absl::StatusOr<AgentStatistics> agent = engine_->GetAgentStatistics(kTenant, "zoe");
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kNotFound) << agent.status();
  EXPECT_THAT(agent.status().message(), HasSubstr("zoe"));
  const std::vector<std::string> bad_agent_ids = {"bad agent", "", "a/b", std::string(65, 'a')};
  for (const std::string& bad : bad_agent_ids) {
    agent = engine_->GetAgentStatistics(kTenant, bad);
    EXPECT_EQ(agent.status().code(), absl::StatusCode::kInvalidArgument)
        << bad << ": " << agent.status();
    EXPECT_THAT(agent.status().message(), HasSubstr("agent_id")) << bad;
  }
  EXPECT_EQ(engine_->GetAgentStatistics("nobody", "ann").status().code(),
            absl::StatusCode::kNotFound);
}

// ------------------------------------------------------------ restarts

class StatisticsRestartTest : public StatisticsTest {
 protected:
  std::string Read() {
    std::string out;
    for (const QueueStatistics& q : AllQueueStatistics()) absl::StrAppend(&out, Describe(q), "\n");
    for (absl::string_view agent : {"ann", "bob"}) {
      absl::StrAppend(&out, Describe(AgentStatisticsOf(agent)), "\n");
    }
    for (TaskId task : tasks_) {
      const TaskView view = Task(task);
      absl::StrAppend(&out, "task ", task.value(), " ", view.status, " ",
                      view.wait_estimate.has_value() ? Describe(*view.wait_estimate) : "none",
                      "\n");
    }
    return out;
  }
  std::vector<TaskId> tasks_;
};

// A history with answers, a wrap-up, abandons, a busy agent and waiting
// tasks; read before and after a restart from the log alone, and from a
// snapshot with and without a tail.
TEST_F(StatisticsRestartTest, TheFiguresAreTheSameAfterARestart) {
  Start();
  Queue(AutoQueue("desk", {kEmail}, absl::Minutes(5)));
  Queue(AutoQueue("spare", {kPublic}));
  DefaultQueue("desk");
  AgentConfig ann = MakeAgent("ann", {kEmail}, 1);
  ann.wrap_up = absl::Minutes(2);
  AddAgent(ann, kAvailable);
  AddAgent(MakeAgent("bob", {kEmail}, 1), kOffline);
  const absl::Time t0 = clock_.Now();
  const TaskId a = Mail("a");  // Ann, at once
  const TaskId b = Mail("b");
  const TaskId c = Mail("c");
  clock_.AdvanceTo(t0 + absl::Minutes(2));
  Complete(a, "ann");  // wrap-up to +4
  clock_.AdvanceTo(t0 + absl::Minutes(3));
  SetPresence("bob", kAvailable);  // B, after 3 minutes
  ASSERT_EQ(Task(b).agent, "bob");
  clock_.AdvanceTo(t0 + absl::Minutes(4));
  EXPECT_GE(RunTimers(), 1);  // Ann's wrap-up ends; C, after 4 minutes
  ASSERT_EQ(Task(c).agent, "ann");
  clock_.AdvanceTo(t0 + absl::Minutes(5));
  const TaskId d = Mail("d");
  const TaskId e = Mail("e");
  clock_.AdvanceTo(t0 + absl::Minutes(6));
  Abandon(e);
  const TaskId f = Mail("f");
  tasks_ = {a, b, c, d, e, f};
  ASSERT_TRUE(EstimateOf(d).wait.has_value()) << "3 answers, agents signed in";

  // From the log alone.
  const std::string before = Read();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Read(), before) << "after a replay of the log";

  // From a snapshot, then with a tail after it: Bob finishes B at +8 and
  // gets D (3 minutes of waiting); F's customer gives up at +9; Bob
  // finishes D at +10.
  ASSERT_TRUE(engine_->TakeSnapshot(kTenant).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Read(), before) << "after a restart from a snapshot";
  clock_.AdvanceTo(t0 + absl::Minutes(8));
  Complete(b, "bob");
  ASSERT_EQ(Task(d).agent, "bob");
  clock_.AdvanceTo(t0 + absl::Minutes(9));
  Abandon(f);
  ASSERT_TRUE(engine_->TakeSnapshot(kTenant).ok());
  clock_.AdvanceTo(t0 + absl::Minutes(10));
  Complete(d, "bob");
  const std::string later = Read();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Read(), later) << "after a restart from a snapshot and a tail";

  // The restarted engine goes on counting: at +20, Ann has been busy since
  // t0 (A, its wrap-up, then C); Bob signed in at +3 and was busy from +3
  // to +10.
  clock_.AdvanceTo(t0 + absl::Minutes(20));
  const std::string at_20 = Read();
  const AgentStatistics ann_stats = AgentStatisticsOf("ann");
  EXPECT_EQ(ann_stats.staffed, absl::Minutes(20));
  EXPECT_EQ(ann_stats.busy, absl::Minutes(20));
  EXPECT_EQ(ann_stats.handled, 1);
  EXPECT_EQ(ann_stats.average_handle_time, absl::Minutes(4));
  const AgentStatistics bob_stats = AgentStatisticsOf("bob");
  EXPECT_EQ(bob_stats.staffed, absl::Minutes(17));
  EXPECT_EQ(bob_stats.busy, absl::Minutes(7));
  EXPECT_DOUBLE_EQ(bob_stats.occupancy.value_or(-1), 7.0 / 17.0);
  EXPECT_EQ(bob_stats.handled, 2);
  EXPECT_EQ(bob_stats.average_handle_time, absl::Seconds(210));
  // The hour: six offered; A, B, C, D answered after 0, 3, 4 and 3
  // minutes, all within 5; E and F abandoned; A (4 min with wrap-up), B (5)
  // and D (2) handled. The 15 minutes (minutes 6 to 20): F offered, D
  // answered, E and F abandoned, B and D handled.
  const QueueStatistics desk = QueueStatisticsOf("desk");
  ExpectFigures(desk.last_60_minutes, absl::Minutes(60), 6, 4, 4, 2, 3, absl::Seconds(150),
                4.0 / 6.0, absl::Seconds(220), "desk 60 at +20");
  ExpectFigures(desk.last_15_minutes, absl::Minutes(15), 1, 1, 1, 2, 2, absl::Minutes(3), 1.0 / 3.0,
                absl::Seconds(210), "desk 15 at +20");
  EXPECT_EQ(desk.assigned, 1);
  EXPECT_EQ(desk.waiting, 0);
  EXPECT_EQ(desk.agents_busy, 1);
  EXPECT_EQ(desk.agents_available, 1);
  ExpectEmpty(QueueStatisticsOf("spare").last_60_minutes, absl::Minutes(60), "spare");

  // And once more from the whole log alone, on a store without the
  // snapshots.
  ASSERT_TRUE(store_->LoadSnapshot(kTenant).ok());
  std::vector<v1::Event> log;
  ASSERT_TRUE(store_
                  ->Read(kTenant, 1,
                         [&](const v1::Event& event) {
                           log.push_back(event);
                           return true;
                         })
                  .ok());
  std::unique_ptr<EventStore> log_only = NewMemoryEventStore();
  ASSERT_TRUE(log_only->Append(kTenant, log).ok());
  ASSERT_FALSE(log_only->LoadSnapshot(kTenant).ok());
  engine_.reset();
  store_ = std::move(log_only);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Read(), at_20) << "after a replay of the whole log at +20";
}

}  // namespace
}  // namespace omniroute
