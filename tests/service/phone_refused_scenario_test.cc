// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Scenario 4 of SCENARIOS.md ("phone refused, public post answered") driven
// only through the omniroute.v1 API over a real gRPC channel: the public
// post resolves to the earlier caller once the number given in private is
// linked, the social agent sees the call in the thread, transfers between
// desks are counted, and public posts are boosted by reach within the
// tenant's bound so that private channels are not starved.
//
// Expected values follow the priority rule of include/omniroute/routing.h
// ("points = queue base + tier * tier_points + (public channels only)
// min(max_public_boost, reach_points_per_decade * log10(reach)) +
// escalations", ordered by points * aging_per_point - creation time) and
// the configuration each test sets.

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

constexpr char kSupplier[] = "supplier";

class PhoneRefusedTest : public ServiceTest {
 protected:
  // An energy supplier: phone, social and billing desks. Public boost: 5
  // points per decade of reach, at most `max_public_boost`; one point is
  // worth 6 seconds of waiting. Everyone starts OFFLINE.
  void SetUpSupplier(absl::string_view tenant, int max_public_boost) {
    v1::TenantSettings settings;
    settings.set_default_country_code("33");
    settings.set_merge_threads_on_customer_merge(true);
    *settings.mutable_thread_merge_window() = ToDurationProto(absl::Hours(24 * 7));
    settings.set_close_public_loop(true);
    CreateTenant(tenant, &settings);
    UpsertQueue(tenant, Queue("phone", {v1::CHANNEL_VOICE}));
    v1::QueueConfig social =
        Queue("social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}, {{"social", 1}});
    social.set_base_priority(10);
    UpsertQueue(tenant, social);
    UpsertQueue(tenant, Queue("billing", {v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL},
                              {{"billing", 1}}));
    ConfigureRouting(tenant, Settings(max_public_boost));
    UpsertAgent(tenant, AgentWith("paula", {v1::CHANNEL_VOICE}));
    UpsertAgent(tenant, AgentWith("sam", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL},
                                  {{"social", 5}}));
    UpsertAgent(tenant, AgentWith("bill", {v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL},
                                  {{"billing", 5}}));
  }

  static v1::RoutingSettings Settings(int max_public_boost) {
    v1::RoutingSettings routing;
    *routing.add_rules() = Rule("voice", {v1::CHANNEL_VOICE}, "phone");
    *routing.add_rules() =
        Rule("social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}, "social");
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "billing");
    routing.set_tier_points(10);
    routing.set_reach_points_per_decade(5);
    routing.set_max_public_boost(max_public_boost);
    *routing.mutable_aging_per_point() = ToDurationProto(absl::Seconds(6));
    return routing;
  }

  v1::Task Transfer(absl::string_view tenant, uint64_t task, absl::string_view queue,
                    absl::string_view agent, absl::string_view by) {
    v1::TransferTaskRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_task_id(task);
    if (!queue.empty()) r.set_queue_id(std::string(queue));
    if (!agent.empty()) r.set_agent_id(std::string(agent));
    *r.mutable_actor() = AgentActor(by);
    return MustInvoke(*routing_, &v1::RoutingService::Stub::TransferTask, r);
  }
};

TEST_F(PhoneRefusedTest, ThePublicPostJoinsTheCallersThreadAndTransfersAreCounted) {
  SetUpSupplier(kSupplier, 20);
  for (const char* agent : {"paula", "sam", "bill"}) {
    SetPresence(kSupplier, agent, v1::AGENT_PRESENCE_AVAILABLE);
  }
  const absl::Time call_at = clock_.Now();
  const v1::IngestMessageResponse call =
      Ingest(PhoneCall(kSupplier, "06 12 34 56 78", "call-77", "Cancel the add-on, please."));
  EXPECT_TRUE(call.customer_created());
  ASSERT_EQ(call.task().offer().agent_id(), "paula");
  Accept(kSupplier, call.task().task_id(), "paula");
  Answer(Outbound(kSupplier, call.conversation_id(), v1::CHANNEL_VOICE, "", "paula",
                  "Too late: another whole year."));
  Complete(kSupplier, call.task().task_id(), "paula");

  // Three days later the letter arrives and the customer posts it.
  clock_.Advance(absl::Hours(72));
  const v1::IngestMessageResponse post =
      Ingest(PublicPost(kSupplier, "@Angry", "post-9", "Charged a whole year. @supplier", 12000));
  EXPECT_TRUE(post.customer_created());
  EXPECT_NE(post.customer_id(), call.customer_id());
  ASSERT_EQ(post.task().offer().agent_id(), "sam");
  Accept(kSupplier, post.task().task_id(), "sam");
  clock_.Advance(absl::Hours(1));
  Answer(Outbound(kSupplier, post.conversation_id(), v1::CHANNEL_PUBLIC_SOCIAL, "post-10", "sam",
                  "Please DM us."));
  clock_.Advance(absl::Minutes(30));
  const v1::IngestMessageResponse dm =
      Ingest(DirectMessage(kSupplier, "angry", "dm-9", "My number is 06 12 34 56 78"));
  EXPECT_EQ(dm.conversation_id(), post.conversation_id());
  ASSERT_TRUE(dm.has_task());
  EXPECT_EQ(dm.task().reason(), v1::TASK_REASON_INBOUND);
  EXPECT_EQ(dm.task().preferred_agent_id(), "sam");
  ASSERT_EQ(dm.task().offer().agent_id(), "sam");
  Accept(kSupplier, dm.task().task_id(), "sam");

  // The number given in private is linked: the caller (older) absorbs the
  // social account, and the call and the post become one thread.
  const v1::LinkIdentityResponse link =
      Link(kSupplier, post.customer_id(), PhoneId("+33 6 12 34 56 78"), "sam");
  EXPECT_EQ(link.customer_id(), call.customer_id());
  EXPECT_EQ(link.absorbed_customer_id(), post.customer_id());
  ASSERT_EQ(link.merged_threads_size(), 1);
  EXPECT_EQ(link.merged_threads(0).target_conversation_id(), call.conversation_id());
  EXPECT_EQ(link.merged_threads(0).source_conversation_id(), post.conversation_id());
  EXPECT_EQ(Find(kSupplier, HandleId("x", "@ANGRY")).customer_id(), call.customer_id());

  // The social agent sees the earlier call in the thread.
  const std::vector<v1::TimelineEntry> timeline = Timeline(kSupplier, post.conversation_id());
  ASSERT_EQ(MessageIds(timeline).size(), 5u);
  ASSERT_TRUE(timeline.front().has_message());
  EXPECT_EQ(timeline.front().message().message_id(), call.message_id());
  EXPECT_EQ(timeline.front().message().channel(), v1::CHANNEL_VOICE);
  EXPECT_EQ(timeline.front().message().sender().value(), "+33612345678");
  EXPECT_EQ(FromTimestamp(timeline.front().at()), call_at);

  // A transfer to billing, then back to Sam by name: both counted.
  const v1::Task to_billing = Transfer(kSupplier, dm.task().task_id(), "billing", "", "sam");
  EXPECT_EQ(to_billing.reason(), v1::TASK_REASON_TRANSFER);
  EXPECT_EQ(to_billing.queue_id(), "billing");
  EXPECT_EQ(to_billing.channel(), v1::CHANNEL_PRIVATE_SOCIAL);
  EXPECT_EQ(to_billing.previous_task_id(), dm.task().task_id());
  EXPECT_EQ(to_billing.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(to_billing.offer().agent_id(), "bill");
  const v1::Task ended = GetTask(kSupplier, dm.task().task_id());
  EXPECT_EQ(ended.status(), v1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(ended.end(), v1::TASK_END_TRANSFERRED);
  EXPECT_EQ(Routing(kSupplier, to_billing.conversation_id()).transfers(), 1);
  Accept(kSupplier, to_billing.task_id(), "bill");
  const v1::Task back = Transfer(kSupplier, to_billing.task_id(), "", "sam", "bill");
  EXPECT_EQ(back.reason(), v1::TASK_REASON_TRANSFER);
  EXPECT_EQ(back.previous_task_id(), to_billing.task_id());
  EXPECT_EQ(back.offer().agent_id(), "sam");
  EXPECT_EQ(Routing(kSupplier, back.conversation_id()).transfers(), 2);
}

TEST_F(PhoneRefusedTest, PublicBoostFollowsReachAndIsBoundedByTheTenantSetting) {
  SetUpSupplier(kSupplier, 20);
  // Queue base 10 + min(20, 5 * decades of reach); nobody is available, so
  // every task waits with its points.
  struct Case {
    const char* handle;
    int64_t reach;
    int64_t points;
  };
  for (const Case& c : {Case{"@unknown", 0, 10}, Case{"@one", 1, 10}, Case{"@ten", 10, 15},
                        Case{"@thousand", 1000, 25}, Case{"@million", 1000000, 30},
                        Case{"@billion", 1000000000, 30}}) {
    const v1::IngestMessageResponse r = Ingest(
        PublicPost(kSupplier, c.handle, absl::StrCat("post-", c.reach), "outraged", c.reach));
    ASSERT_TRUE(r.has_task()) << c.handle;
    EXPECT_EQ(r.task().status(), v1::TASK_STATUS_WAITING) << c.handle;
    EXPECT_EQ(r.task().priority_points(), c.points) << c.handle << " reach " << c.reach;
  }
  // Private channels get no boost, whatever the reach.
  const v1::IngestMessageResponse dm =
      Ingest(DirectMessage(kSupplier, "@famous", "dm-1", "hello", 1000000));
  EXPECT_EQ(dm.task().priority_points(), 10);

  // The tenant lowers the bound to 8.
  ConfigureRouting(kSupplier, Settings(8));
  EXPECT_EQ(Ingest(PublicPost(kSupplier, "@star", "star-1", "!", 1000000)).task().priority_points(),
            18);
  EXPECT_EQ(Ingest(PublicPost(kSupplier, "@local", "local-1", "!", 10)).task().priority_points(),
            15);
}

// A private message that has waited three minutes goes before a public post
// of a billion followers: 20 points are worth 2 minutes. Without the bound
// (45 points, 4.5 minutes) the post would go first.
TEST_F(PhoneRefusedTest, TheBoundOnThePublicBoostKeepsPrivateMessagesFromStarving) {
  for (const auto& [tenant, max_boost, first] :
       {std::tuple<const char*, int, const char*>{"bounded", 20, "dm"},
        std::tuple<const char*, int, const char*>{"unbounded", 100, "post"}}) {
    SCOPED_TRACE(tenant);
    SetUpSupplier(tenant, max_boost);
    UpsertAgent(tenant, AgentWith("sam", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL},
                                  {{"social", 5}}, /*capacity=*/1));
    const absl::Time t0 = clock_.Now();
    const v1::IngestMessageResponse dm =
        Ingest(DirectMessage(tenant, "@quiet", "dm-1", "I was charged twice."));
    clock_.AdvanceTo(t0 + absl::Minutes(3));
    const v1::IngestMessageResponse post =
        Ingest(PublicPost(tenant, "@famous", "post-1", "Charged twice!", 1000000000));
    EXPECT_EQ(dm.task().priority_points(), 10);
    EXPECT_EQ(post.task().priority_points(), 10 + std::min(max_boost, 45));
    SetPresence(tenant, "sam", v1::AGENT_PRESENCE_AVAILABLE);
    const v1::Task dm_task = GetTask(tenant, dm.task().task_id());
    const v1::Task post_task = GetTask(tenant, post.task().task_id());
    const v1::Task& winner = std::string(first) == "dm" ? dm_task : post_task;
    const v1::Task& loser = std::string(first) == "dm" ? post_task : dm_task;
    EXPECT_EQ(winner.status(), v1::TASK_STATUS_OFFERED);
    EXPECT_EQ(winner.offer().agent_id(), "sam");
    EXPECT_EQ(loser.status(), v1::TASK_STATUS_WAITING);
  }
}

}  // namespace
}  // namespace omniroute::service_test
