// Scenario 1 of SCENARIOS.md: the spoiled baby food.
//
// A parent posts a photo of a spoiled jar publicly and, the same evening,
// emails the complaints address. The community manager answers in public and
// asks for contact details; the parent gives their email in a private message.
// Linking that email to the social account makes the two customers one and
// their two conversations one thread, so when the phone agent calls two days
// later, the whole story is in front of them.
//
// The phone agent promises a courier pick-up the same afternoon and the lab
// results within a week. Those promises are commitments: due, they become
// routed tasks; not kept by their deadline, they are missed and escalate.
// Resolving the conversation, which began in public, leaves a task to close
// the loop in public.
//
// Runs on a manual clock, so its output is the same every time.

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"

namespace {

using omniroute::Actor;
using omniroute::ManualClock;
namespace v1 = omniroute::v1;

[[noreturn]] void Fail(const absl::Status& status, const char* step) {
  std::cerr << "spoiled_baby_food: " << step << ": " << status << "\n";
  std::exit(1);
}

template <typename T>
T Check(absl::StatusOr<T> result, const char* step) {
  if (!result.ok()) Fail(result.status(), step);
  return *std::move(result);
}

void Check(const absl::Status& status, const char* step) {
  if (!status.ok()) Fail(status, step);
}

std::string Time(absl::Time t) {
  return absl::FormatTime("%a %H:%M", t, absl::UTCTimeZone());
}

}  // namespace

int main() {
  // Monday 2026-03-02 19:00 UTC.
  ManualClock clock(absl::FromUnixSeconds(1772478000));
  auto engine = Check(omniroute::Engine::Open({.clock = &clock}), "open");

  omniroute::TenantOptions options;
  options.default_country_code = "33";
  Check(engine->CreateTenant("babyfood", options), "create tenant");
  const std::string tenant = "babyfood";

  // Three desks and two agents: the community manager serves social and
  // email, the phone agent voice and email.
  Check(engine->UpsertQueue(tenant, {.id = "social",
                                     .channels = {v1::CHANNEL_PUBLIC_SOCIAL,
                                                  v1::CHANNEL_PRIVATE_SOCIAL}}),
        "social queue");
  Check(engine->UpsertQueue(tenant, {.id = "email", .channels = {v1::CHANNEL_EMAIL}}),
        "email queue");
  Check(engine->UpsertQueue(tenant, {.id = "phone", .channels = {v1::CHANNEL_VOICE}}),
        "phone queue");
  omniroute::RoutingSettings routing;
  routing.rules = {{.name = "social",
                    .channels = {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL},
                    .queue = "social"},
                   {.name = "email", .channels = {v1::CHANNEL_EMAIL}, .queue = "email"},
                   {.name = "voice", .channels = {v1::CHANNEL_VOICE}, .queue = "phone"}};
  Check(engine->ConfigureRouting(tenant, routing), "routing");
  Check(engine->UpsertAgent(tenant, {.id = "community-claire",
                                     .channels = {v1::CHANNEL_PUBLIC_SOCIAL,
                                                  v1::CHANNEL_PRIVATE_SOCIAL,
                                                  v1::CHANNEL_EMAIL}}),
        "agent claire");
  Check(engine->UpsertAgent(tenant, {.id = "phone-paul",
                                     .channels = {v1::CHANNEL_VOICE, v1::CHANNEL_EMAIL}}),
        "agent paul");
  Check(engine->SetAgentPresence(tenant, "community-claire", v1::AGENT_PRESENCE_AVAILABLE),
        "claire available");

  // 19:00 — the public post.
  omniroute::InboundMessage post;
  post.channel = v1::CHANNEL_PUBLIC_SOCIAL;
  post.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", "@Parent_Of_Lea"};
  post.profile = {.display_name = "Parent of Léa", .language = "fr", .reach = 5400};
  post.external_id = "post-881";
  post.body = "Opened a sealed jar of your baby food tonight: spoiled. Photo attached.";
  auto on_post = Check(engine->IngestMessage(tenant, post), "ingest post");
  auto post_task = Check(engine->GetTask(tenant, *on_post.task), "post task");
  std::cout << "The post becomes " << omniroute::ToString(post_task.id) << " in queue "
            << post_task.queue << ", offered to " << post_task.offer->agent << "\n";
  Check(engine->AcceptOffer(tenant, post_task.id, post_task.offer->agent), "accept post");

  // 19:20 — the email to the complaints address, from a customer nobody links
  // to the post yet.
  clock.Advance(absl::Minutes(20));
  omniroute::InboundMessage email;
  email.channel = v1::CHANNEL_EMAIL;
  email.sender = {v1::IDENTITY_KIND_EMAIL, "", " Parent.Lea@Example.org "};
  email.external_id = "<cafe01@example.org>";
  email.body = "Batch 4411, bought Saturday. The jar was sealed and the food spoiled.";
  auto on_email = Check(engine->IngestMessage(tenant, email), "ingest email");
  Check(engine->AcceptOffer(tenant, *on_email.task, "community-claire"), "accept email");

  std::cout << "Before the link:\n"
            << "  public post -> " << on_post.customer << ", " << on_post.conversation << "\n"
            << "  email       -> " << on_email.customer << ", " << on_email.conversation
            << "\n";

  // 20:05 — the community manager answers in public and asks for details.
  clock.Advance(absl::Minutes(45));
  Check(engine->RecordOutbound(tenant, {.conversation = on_post.conversation,
                                        .channel = v1::CHANNEL_PUBLIC_SOCIAL,
                                        .external_id = "post-882",
                                        .references = {"post-881"},
                                        .body = "We are sorry. Please send us a private "
                                                "message with your contact details.",
                                        .agent_id = "community-claire"}),
        "public answer");
  Check(engine->Handoff(tenant, on_post.conversation, v1::CHANNEL_PRIVATE_SOCIAL,
                        "take contact details in private", Actor::Agent("community-claire")),
        "handoff to DM");

  // 20:30 — the parent's private message gives the email address.
  clock.Advance(absl::Minutes(25));
  omniroute::InboundMessage dm;
  dm.channel = v1::CHANNEL_PRIVATE_SOCIAL;
  dm.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", "parent_of_lea"};
  dm.external_id = "dm-5531";
  dm.thread_key = "dm-thread-77";
  dm.body = "My email is parent.lea@example.org, I already wrote to you there.";
  Check(engine->IngestMessage(tenant, dm), "ingest DM");

  // The agent links the email to the social account: one customer, one thread.
  auto link = Check(engine->LinkIdentity(tenant, on_post.customer,
                                         {v1::IDENTITY_KIND_EMAIL, "", "parent.lea@example.org"},
                                         Actor::Agent("community-claire")),
                    "link email");
  std::cout << "Linking parent.lea@example.org to " << on_post.customer << ": "
            << (link.absorbed ? absl::StrCat("merged ", omniroute::ToString(*link.absorbed),
                                             " into ", omniroute::ToString(link.customer))
                              : std::string("no merge"))
            << ", " << link.merged_threads.size() << " thread(s) joined\n";

  // Wednesday 10:00 — the phone desk calls the parent back. The community
  // manager does not take calls: the call goes to the phone queue.
  clock.Advance(absl::Hours(37) + absl::Minutes(30));
  Check(engine->SetAgentPresence(tenant, "phone-paul", v1::AGENT_PRESENCE_AVAILABLE),
        "paul available");
  Check(engine->Handoff(tenant, on_post.conversation, v1::CHANNEL_VOICE,
                        "call the parent back about the jar", Actor::Agent("community-claire")),
        "handoff to voice");
  // Claire was preferred for a while; the wait for her runs out.
  clock.Advance(absl::Seconds(30));
  Check(engine->RunDueTimers(tenant), "preferred-agent wait");
  auto after_handoff =
      Check(engine->GetConversationRouting(tenant, on_post.conversation), "routing");
  auto call = Check(engine->GetTask(tenant, after_handoff.tasks.back()), "call task");
  std::cout << "The call-back is " << omniroute::ToString(call.id) << " in queue " << call.queue
            << ", offered to " << (call.offer ? call.offer->agent : std::string("nobody"))
            << "\n";
  Check(engine->AcceptOffer(tenant, call.id, "phone-paul"), "accept call");

  auto customer = Check(engine->FindCustomer(tenant, {v1::IDENTITY_KIND_EMAIL, "",
                                                       "parent.lea@example.org"}),
                        "find customer");
  auto conversation = Check(engine->GetConversation(tenant, on_post.conversation), "conversation");
  auto timeline = Check(engine->GetTimeline(tenant, on_post.conversation), "timeline");

  std::cout << "\nWhat the phone agent sees (" << omniroute::ToString(customer.id) << ", \""
            << customer.display_name << "\", " << customer.identities.size()
            << " identities):\n";
  for (const auto& identity : customer.identities) {
    std::cout << "  " << omniroute::ToString(identity) << "\n";
  }
  std::cout << omniroute::ToString(conversation.id) << " — "
            << omniroute::ConversationStatusName(conversation.status) << ", now on "
            << omniroute::ChannelName(conversation.channel) << ", began in "
            << (conversation.began_in_public ? "public" : "private") << ", first response due "
            << Time(conversation.first_response_due) << ", answered "
            << (conversation.first_responded_at ? Time(*conversation.first_responded_at)
                                                : std::string("never"))
            << "\n";
  for (const auto& entry : timeline) {
    if (entry.message) {
      const auto& m = *entry.message;
      std::cout << "  " << Time(entry.at) << "  "
                << (m.direction == v1::DIRECTION_INBOUND ? "<- " : "-> ")
                << omniroute::ChannelName(m.channel) << "  "
                << (m.direction == v1::DIRECTION_INBOUND ? omniroute::ToString(m.sender)
                                                         : m.agent_id)
                << ": " << m.body << "\n";
    } else {
      const auto& h = *entry.handoff;
      std::cout << "  " << Time(entry.at) << "  handoff " << omniroute::ChannelName(h.from_channel)
                << " -> " << omniroute::ChannelName(h.to_channel) << " (" << h.reason << ")\n";
    }
  }

  // On the phone, Paul promises a courier this afternoon and the lab
  // results within a week.
  auto pickup = Check(engine->RecordCommitment(
                          tenant, {.conversation = on_post.conversation,
                                   .kind = v1::COMMITMENT_KIND_PICKUP,
                                   .description = "courier picks up the jar",
                                   .due_at = clock.Now() + absl::Hours(4),
                                   .deadline = clock.Now() + absl::Hours(8),
                                   .channel = v1::CHANNEL_VOICE,
                                   .agent = "phone-paul",
                                   .actor = Actor::Agent("phone-paul")}),
                      "pick-up commitment");
  auto results = Check(engine->RecordCommitment(
                           tenant, {.conversation = on_post.conversation,
                                    .kind = v1::COMMITMENT_KIND_CALLBACK,
                                    .description = "call with the lab results",
                                    .due_at = clock.Now() + absl::Hours(24 * 7),
                                    .agent = "phone-paul",
                                    .actor = Actor::Agent("phone-paul")}),
                       "results commitment");
  Check(engine->CompleteTask(tenant, call.id, "phone-paul"), "call done");
  std::cout << "\nPromises: " << omniroute::ToString(pickup) << " (courier), "
            << omniroute::ToString(results) << " (lab results)\n";

  // 14:00: the pick-up is due and becomes work for Paul; nobody confirms it.
  clock.Advance(absl::Hours(4));
  Check(engine->RunDueTimers(tenant), "pick-up due");
  auto due = Check(engine->GetCommitment(tenant, pickup), "pick-up");
  auto due_task = Check(engine->GetTask(tenant, *due.task), "pick-up task");
  std::cout << Time(clock.Now()) << "  " << omniroute::ToString(pickup) << " due: "
            << omniroute::ToString(due_task.id) << " on "
            << omniroute::ChannelName(due_task.channel) << ", "
            << omniroute::v1::TaskStatus_Name(due_task.status) << "\n";
  Check(engine->DeclineOffer(tenant, due_task.id, "phone-paul", "on another call"), "decline");

  // 18:00: the deadline passes with the courier still not confirmed.
  clock.Advance(absl::Hours(4));
  Check(engine->RunDueTimers(tenant), "pick-up deadline");
  due = Check(engine->GetCommitment(tenant, pickup), "pick-up");
  due_task = Check(engine->GetTask(tenant, *due.task), "pick-up task");
  std::cout << Time(clock.Now()) << "  " << omniroute::ToString(pickup) << " "
            << omniroute::v1::CommitmentStatus_Name(due.status) << ": "
            << omniroute::ToString(due_task.id) << " escalated to "
            << due_task.priority_points << " points\n";

  // The case is settled by email later; resolving it leaves the public post
  // to answer, where other parents read it.
  Check(engine->SetConversationStatus(tenant, on_post.conversation,
                                      v1::CONVERSATION_STATUS_RESOLVED,
                                      Actor::Agent("phone-paul")),
        "resolve");
  // The loop-closure task waits for the conversation's owner (Paul, who does
  // not post in public) for ten minutes, then goes to the social desk.
  clock.Advance(absl::Minutes(10));
  Check(engine->RunDueTimers(tenant), "preferred-agent wait");
  auto resolved = Check(engine->GetConversationRouting(tenant, on_post.conversation), "routing");
  for (omniroute::TaskId id : resolved.tasks) {
    auto task = Check(engine->GetTask(tenant, id), "task");
    if (task.reason == v1::TASK_REASON_CLOSE_PUBLIC_LOOP) {
      std::cout << "Resolved: " << omniroute::ToString(task.id) << " closes the loop on "
                << omniroute::ChannelName(task.channel) << " (queue " << task.queue << ", "
                << (task.offer ? "offered to " + task.offer->agent
                               : omniroute::v1::TaskStatus_Name(task.status))
                << ")\n";
    }
  }
  return 0;
}
