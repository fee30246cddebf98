// Scenario 1 of SCENARIOS.md: the spoiled baby food.
//
// A parent posts a photo of a spoiled jar publicly and, the same evening,
// emails the complaints address. The community manager answers in public and
// asks for contact details; the parent gives their email in a private message.
// Linking that email to the social account makes the two customers one and
// their two conversations one thread, so when the phone agent calls two days
// later, the whole story is in front of them.
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

  // 19:00 — the public post.
  omniroute::InboundMessage post;
  post.channel = v1::CHANNEL_PUBLIC_SOCIAL;
  post.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", "@Parent_Of_Lea"};
  post.profile = {.display_name = "Parent of Léa", .language = "fr", .reach = 5400};
  post.external_id = "post-881";
  post.body = "Opened a sealed jar of your baby food tonight: spoiled. Photo attached.";
  auto on_post = Check(engine->IngestMessage(tenant, post), "ingest post");

  // 19:20 — the email to the complaints address, from a customer nobody links
  // to the post yet.
  clock.Advance(absl::Minutes(20));
  omniroute::InboundMessage email;
  email.channel = v1::CHANNEL_EMAIL;
  email.sender = {v1::IDENTITY_KIND_EMAIL, "", " Parent.Lea@Example.org "};
  email.external_id = "<cafe01@example.org>";
  email.body = "Batch 4411, bought Saturday. The jar was sealed and the food spoiled.";
  auto on_email = Check(engine->IngestMessage(tenant, email), "ingest email");

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

  // Wednesday 10:00 — the phone agent calls the parent back.
  clock.Advance(absl::Hours(37) + absl::Minutes(30));
  Check(engine->Handoff(tenant, on_post.conversation, v1::CHANNEL_VOICE,
                        "call the parent back about the jar", Actor::Agent("phone-paul")),
        "handoff to voice");

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
  return 0;
}
