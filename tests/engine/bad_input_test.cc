// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Every Engine entry point against bad input: each case issues one call and
// expects a status code and a message that names the field. For every case
// the tenant's state (DumpState), its last sequence number and the list of
// tenants must be exactly what they were before the call ("nothing is
// half-applied").

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"
#include "omniroute/tenant_options.h"

namespace omniroute {
namespace {

using ::omniroute::testing_internal::DirectMessage;
using ::omniroute::testing_internal::Email;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::Handle;
using ::omniroute::testing_internal::Outbound;
using ::omniroute::testing_internal::Phone;
using ::omniroute::testing_internal::PublicPost;
using ::testing::HasSubstr;

namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "acme";
constexpr uint32_t kMaxBody = 1000;

// A populated tenant, and the ids of what it holds.
struct World {
  ManualClock clock;
  std::unique_ptr<Engine> engine;

  CustomerId ann;           // x:ann, conversation `ann_thread` (PUBLIC_SOCIAL, 2 messages)
  ConversationId ann_thread;
  MessageId ann_post;
  MessageId ann_reply;
  CustomerId bob;           // bob@example.com, conversation `bob_thread` (EMAIL)
  ConversationId bob_thread;
  MessageId bob_email;
  CustomerId carol;         // survivor of carol_social
  CustomerId carol_social;  // merged into carol
  ConversationId carol_thread;         // holds both of carol's messages
  ConversationId carol_merged_thread;  // MERGED into carol_thread
  CustomerId erin;
  ConversationId closed_thread;  // CLOSED
  CustomerId gina;
  CustomerId gina_social;  // merged into gina, then unmerged
};

// Builds the world; returns false (after recording failures) if it cannot.
bool Build(World& w) {
  auto ok = [](const auto& r) {
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok();
  };
  auto engine = Engine::Open({.clock = &w.clock});
  if (!ok(engine)) return false;
  w.engine = *std::move(engine);
  Engine& e = *w.engine;
  TenantOptions options;
  options.default_country_code = "33";
  options.max_body_bytes = kMaxBody;
  if (absl::Status s = e.CreateTenant(kTenant, options); !s.ok()) {
    ADD_FAILURE() << s;
    return false;
  }
  // Another tenant, so that ListTenants has something to keep.
  if (absl::Status s = e.CreateTenant("other", TenantOptions{}); !s.ok()) {
    ADD_FAILURE() << s;
    return false;
  }

  auto post = e.IngestMessage(kTenant, PublicPost("x", "ann", "post-1", "broken"));
  if (!ok(post)) return false;
  w.ann = post->customer;
  w.ann_thread = post->conversation;
  w.ann_post = post->message;
  w.clock.Advance(absl::Minutes(5));
  auto reply = e.RecordOutbound(
      kTenant, Outbound(w.ann_thread, v1::CHANNEL_PUBLIC_SOCIAL, "post-2", "cm", "sorry"));
  if (!ok(reply)) return false;
  w.ann_reply = *reply;

  w.clock.Advance(absl::Minutes(5));
  auto bob = e.IngestMessage(kTenant, EmailMessage("bob@example.com", "<b1@example.com>"));
  if (!ok(bob)) return false;
  w.bob = bob->customer;
  w.bob_thread = bob->conversation;
  w.bob_email = bob->message;

  w.clock.Advance(absl::Minutes(5));
  auto carol = e.IngestMessage(kTenant, EmailMessage("carol@example.com", "<c1@example.com>"));
  if (!ok(carol)) return false;
  w.clock.Advance(absl::Minutes(5));
  auto carol_post = e.IngestMessage(kTenant, PublicPost("x", "carol", "post-c"));
  if (!ok(carol_post)) return false;
  auto carol_link = e.LinkIdentity(kTenant, carol_post->customer, Email("carol@example.com"),
                                   Actor::Agent("agent"));
  if (!ok(carol_link)) return false;
  w.carol = carol->customer;
  w.carol_social = carol_post->customer;
  w.carol_thread = carol->conversation;
  w.carol_merged_thread = carol_post->conversation;
  EXPECT_EQ(carol_link->customer, w.carol);
  EXPECT_EQ(carol_link->merged_threads.size(), 1u);

  w.clock.Advance(absl::Minutes(5));
  auto erin = e.IngestMessage(kTenant, EmailMessage("erin@example.com", "<e1@example.com>"));
  if (!ok(erin)) return false;
  w.erin = erin->customer;
  w.closed_thread = erin->conversation;
  if (absl::Status s = e.SetConversationStatus(kTenant, w.closed_thread,
                                               v1::CONVERSATION_STATUS_CLOSED,
                                               Actor::Agent("agent"));
      !s.ok()) {
    ADD_FAILURE() << s;
    return false;
  }

  w.clock.Advance(absl::Minutes(5));
  auto gina = e.IngestMessage(kTenant, EmailMessage("gina@example.com", "<g1@example.com>"));
  if (!ok(gina)) return false;
  auto gina_post = e.IngestMessage(kTenant, PublicPost("x", "gina", "post-g"));
  if (!ok(gina_post)) return false;
  w.gina = gina->customer;
  w.gina_social = gina_post->customer;
  auto merge = e.MergeCustomers(kTenant, w.gina, w.gina_social, Actor::Agent("agent"));
  if (!ok(merge)) return false;
  if (absl::Status s = e.UnmergeCustomer(kTenant, w.gina_social, Actor::Agent("agent"));
      !s.ok()) {
    ADD_FAILURE() << s;
    return false;
  }
  w.clock.Advance(absl::Minutes(5));
  return true;
}

struct Case {
  std::string name;
  std::function<absl::Status(World&)> call;
  absl::StatusCode code;
  // The field the message must name.
  std::string field;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

InboundMessage ValidInbound() {
  return EmailMessage("zed@example.com", "<z1@example.com>", "hello");
}

// IngestMessage with one change made to a valid message.
std::function<absl::Status(World&)> Ingest(std::function<void(InboundMessage&)> change,
                                           std::string tenant = kTenant) {
  return [change, tenant](World& w) {
    InboundMessage m = ValidInbound();
    change(m);
    return w.engine->IngestMessage(tenant, m).status();
  };
}

// RecordOutbound on ann's PUBLIC_SOCIAL conversation with one change made.
std::function<absl::Status(World&)> Answer(std::function<void(OutboundMessage&, World&)> change,
                                           std::string tenant = kTenant) {
  return [change, tenant](World& w) {
    OutboundMessage m =
        Outbound(w.ann_thread, v1::CHANNEL_PUBLIC_SOCIAL, "post-3", "cm", "an answer");
    change(m, w);
    return w.engine->RecordOutbound(tenant, m).status();
  };
}

std::function<absl::Status(World&)> Link(std::function<CustomerId(World&)> customer,
                                         RawIdentity identity,
                                         LinkMode mode = LinkMode::kExplicit) {
  return [customer, identity, mode](World& w) {
    return w.engine->LinkIdentity(kTenant, customer(w), identity, Actor::Agent("a"), mode)
        .status();
  };
}

std::function<absl::Status(World&)> Create(std::string tenant,
                                           std::function<void(TenantOptions&)> change) {
  return [tenant, change](World& w) {
    TenantOptions options;
    change(options);
    return w.engine->CreateTenant(tenant, options);
  };
}

std::function<absl::Status(World&)> Split(
    std::function<ConversationId(World&)> source,
    std::function<std::vector<MessageId>(World&)> messages) {
  return [source, messages](World& w) {
    return w.engine->SplitConversation(kTenant, source(w), messages(w), Actor::Agent("a"))
        .status();
  };
}

const ConversationId kNoConversation(999);
const CustomerId kNoCustomer(999);
const MessageId kNoMessage(999);

std::vector<Case> Cases() {
  using Code = absl::StatusCode;
  const std::string long_id(kMaxExternalIdBytes + 1, 'x');
  std::vector<Case> cases = {
      // -------------------------------------------------------- CreateTenant
      {"CreateDuplicateTenant", Create(kTenant, [](TenantOptions&) {}), Code::kAlreadyExists,
       "tenant_id"},
      {"CreateTenantIdWithSpaceAndBang", Create("Bad Tenant!", [](TenantOptions&) {}),
       Code::kInvalidArgument, "tenant_id"},
      {"CreateTenantIdUpperCase", Create("Acme", [](TenantOptions&) {}),
       Code::kInvalidArgument, "tenant_id"},
      {"CreateTenantIdEmpty", Create("", [](TenantOptions&) {}), Code::kInvalidArgument,
       "tenant_id"},
      {"CreateTenantId65Chars", Create(std::string(65, 'a'), [](TenantOptions&) {}),
       Code::kInvalidArgument, "tenant_id"},
      {"CreateCountryCodeWithPlus",
       Create("new", [](TenantOptions& o) { o.default_country_code = "+33"; }),
       Code::kInvalidArgument, "default_country_code"},
      {"CreateCountryCodeLetters",
       Create("new", [](TenantOptions& o) { o.default_country_code = "fr"; }),
       Code::kInvalidArgument, "default_country_code"},
      {"CreateNegativeDefaultContinuityWindow",
       Create("new", [](TenantOptions& o) { o.default_continuity_window = absl::Hours(-1); }),
       Code::kInvalidArgument, "default_continuity_window"},
      {"CreateNegativeChannelContinuityWindow",
       Create("new",
              [](TenantOptions& o) {
                o.continuity_windows[v1::CHANNEL_EMAIL] = absl::Minutes(-5);
              }),
       Code::kInvalidArgument, "continuity_windows"},
      {"CreateContinuityWindowForUnknownChannel",
       Create("new",
              [](TenantOptions& o) {
                o.continuity_windows[static_cast<Channel>(99)] = absl::Hours(1);
              }),
       Code::kInvalidArgument, "continuity_windows"},
      {"CreateFirstResponseTargetForUnspecifiedChannel",
       Create("new",
              [](TenantOptions& o) {
                o.first_response_targets[v1::CHANNEL_UNSPECIFIED] = absl::Hours(1);
              }),
       Code::kInvalidArgument, "first_response_targets"},
      {"CreateZeroChannelContinuityWindow",
       Create("new",
              [](TenantOptions& o) {
                o.continuity_windows[v1::CHANNEL_SMS] = absl::ZeroDuration();
              }),
       Code::kInvalidArgument, "continuity_windows"},
      {"CreateNegativeFirstResponseTarget",
       Create("new",
              [](TenantOptions& o) {
                o.first_response_targets[v1::CHANNEL_VOICE] = absl::Seconds(-30);
              }),
       Code::kInvalidArgument, "first_response_targets"},
      {"CreateNegativeThreadMergeWindow",
       Create("new", [](TenantOptions& o) { o.thread_merge_window = absl::Hours(-24); }),
       Code::kInvalidArgument, "thread_merge_window"},
      {"CreateMaxBodyBytesZero", Create("new", [](TenantOptions& o) { o.max_body_bytes = 0; }),
       Code::kInvalidArgument, "max_body_bytes"},
      {"CreateMaxBodyBytesOverCeiling",
       Create("new", [](TenantOptions& o) { o.max_body_bytes = kMaxBodyBytesCeiling + 1; }),
       Code::kInvalidArgument, "max_body_bytes"},

      // -------------------------------------------------------- IngestMessage
      {"IngestEmailWithoutAt",
       Ingest([](InboundMessage& m) { m.sender = Email("zed.example.com"); }),
       Code::kInvalidArgument, "sender.value"},
      {"IngestPhoneWithLetters",
       Ingest([](InboundMessage& m) {
         m.channel = v1::CHANNEL_SMS;
         m.sender = Phone("+33 6 12 AB 56 78");
       }),
       Code::kInvalidArgument, "sender.value"},
      {"IngestPhoneWith16Digits",
       Ingest([](InboundMessage& m) {
         m.channel = v1::CHANNEL_VOICE;
         m.sender = Phone("+1234567890123456");
       }),
       Code::kInvalidArgument, "sender.value"},
      {"IngestHandleWithoutNetwork",
       Ingest([](InboundMessage& m) {
         m.channel = v1::CHANNEL_PUBLIC_SOCIAL;
         m.sender = Handle("", "@zed");
       }),
       Code::kInvalidArgument, "sender.network"},
      {"IngestUnspecifiedIdentityKind",
       Ingest([](InboundMessage& m) { m.sender = {v1::IDENTITY_KIND_UNSPECIFIED, "", "zed"}; }),
       Code::kInvalidArgument, "sender.kind"},
      {"IngestUnknownIdentityKind",
       Ingest([](InboundMessage& m) {
         m.sender = {static_cast<IdentityKind>(99), "", "zed"};
       }),
       Code::kInvalidArgument, "sender.kind"},
      {"IngestMissingExternalId", Ingest([](InboundMessage& m) { m.external_id.clear(); }),
       Code::kInvalidArgument, "external_id"},
      {"IngestOversizeExternalId",
       Ingest([long_id](InboundMessage& m) { m.external_id = long_id; }),
       Code::kInvalidArgument, "external_id"},
      // Text that is not UTF-8 could not be read back from the event log.
      {"IngestBodyNotUtf8", Ingest([](InboundMessage& m) { m.body = "caf\xe9 au lait"; }),
       Code::kInvalidArgument, "body"},
      {"IngestExternalIdNotUtf8", Ingest([](InboundMessage& m) { m.external_id = "id-\xff"; }),
       Code::kInvalidArgument, "external_id"},
      {"IngestReferenceOverlongUtf8",
       Ingest([](InboundMessage& m) { m.references = {"\xc0\xaf"}; }),
       Code::kInvalidArgument, "references[0]"},
      {"IngestDisplayNameSurrogate",
       Ingest([](InboundMessage& m) { m.profile.display_name = "\xed\xa0\x80"; }),
       Code::kInvalidArgument, "profile.display_name"},
      {"OutboundBodyNotUtf8", Answer([](OutboundMessage& m, World&) { m.body = "\x80"; }),
       Code::kInvalidArgument, "body"},
      {"HandoffActorIdNotUtf8",
       [](World& w) {
         return w.engine->Handoff(kTenant, w.ann_thread, v1::CHANNEL_EMAIL, "docs",
                                  Actor::Agent("agent-\xfe"));
       },
       Code::kInvalidArgument, "actor.id"},
      {"MergeCustomersUnspecifiedActorKind",
       [](World& w) {
         return w.engine->MergeCustomers(kTenant, CustomerId(1), CustomerId(2),
                                         Actor{v1::ACTOR_KIND_UNSPECIFIED, ""})
             .status();
       },
       Code::kInvalidArgument, "actor.kind"},
      {"StatusOversizeActorId",
       [](World& w) {
         return w.engine->SetConversationStatus(kTenant, w.ann_thread,
                                                v1::CONVERSATION_STATUS_RESOLVED,
                                                Actor::Agent(std::string(129, 'a')));
       },
       Code::kInvalidArgument, "actor.id"},
      {"IngestOversizeThreadKey",
       Ingest([long_id](InboundMessage& m) { m.thread_key = long_id; }),
       Code::kInvalidArgument, "thread_key"},
      {"IngestUnspecifiedChannel",
       Ingest([](InboundMessage& m) { m.channel = v1::CHANNEL_UNSPECIFIED; }),
       Code::kInvalidArgument, "channel"},
      {"IngestUnknownChannel",
       Ingest([](InboundMessage& m) { m.channel = static_cast<Channel>(99); }),
       Code::kInvalidArgument, "channel"},
      {"IngestUnknownVisibility",
       Ingest([](InboundMessage& m) { m.visibility = static_cast<Visibility>(99); }),
       Code::kInvalidArgument, "visibility"},
      {"IngestBodyOverTenantLimit",
       Ingest([](InboundMessage& m) { m.body = std::string(kMaxBody + 1, 'b'); }),
       Code::kResourceExhausted, "body"},
      {"IngestTooManyReferences",
       Ingest([](InboundMessage& m) {
         for (size_t i = 0; i <= kMaxReferences; ++i) {
           m.references.push_back(absl::StrCat("<r", i, "@example.com>"));
         }
       }),
       Code::kResourceExhausted, "references"},
      {"IngestOversizeReference",
       Ingest([long_id](InboundMessage& m) { m.references = {"<ok@example.com>", long_id}; }),
       Code::kInvalidArgument, "references[1]"},
      {"IngestEmptyReference", Ingest([](InboundMessage& m) { m.references = {""}; }),
       Code::kInvalidArgument, "references[0]"},
      {"IngestNegativeReach", Ingest([](InboundMessage& m) { m.profile.reach = -1; }),
       Code::kInvalidArgument, "profile.reach"},
      {"IngestUnknownTenant", Ingest([](InboundMessage&) {}, "nobody"), Code::kNotFound,
       "tenant_id"},
      {"IngestBadTenantId", Ingest([](InboundMessage&) {}, "Bad Tenant!"), Code::kNotFound,
       "tenant_id"},
      {"IngestEmptyTenantId", Ingest([](InboundMessage&) {}, ""), Code::kNotFound,
       "tenant_id"},
      {"IngestTenantId65Chars", Ingest([](InboundMessage&) {}, std::string(65, 'a')),
       Code::kNotFound, "tenant_id"},

      // -------------------------------------------------------- RecordOutbound
      {"OutboundUnknownConversation",
       Answer([](OutboundMessage& m, World&) { m.conversation = kNoConversation; }),
       Code::kNotFound, "conversation"},
      {"OutboundConversationZero",
       Answer([](OutboundMessage& m, World&) { m.conversation = ConversationId(); }),
       Code::kNotFound, "conversation"},
      {"OutboundOnAChannelTheConversationIsNotOn",
       Answer([](OutboundMessage& m, World&) { m.channel = v1::CHANNEL_EMAIL; }),
       Code::kFailedPrecondition, "channel"},
      {"OutboundUnspecifiedChannel",
       Answer([](OutboundMessage& m, World&) { m.channel = v1::CHANNEL_UNSPECIFIED; }),
       Code::kInvalidArgument, "channel"},
      {"OutboundUnknownChannel",
       Answer([](OutboundMessage& m, World&) { m.channel = static_cast<Channel>(99); }),
       Code::kInvalidArgument, "channel"},
      {"OutboundToMergedConversation",
       Answer([](OutboundMessage& m, World& w) { m.conversation = w.carol_merged_thread; }),
       Code::kFailedPrecondition, "conversation"},
      {"OutboundToClosedConversation",
       Answer([](OutboundMessage& m, World& w) {
         m.conversation = w.closed_thread;
         m.channel = v1::CHANNEL_EMAIL;
       }),
       Code::kFailedPrecondition, "conversation"},
      {"OutboundBodyOverTenantLimit",
       Answer([](OutboundMessage& m, World&) { m.body = std::string(kMaxBody + 1, 'b'); }),
       Code::kResourceExhausted, "body"},
      {"OutboundTooManyReferences",
       Answer([](OutboundMessage& m, World&) {
         m.references.assign(kMaxReferences + 1, "post-1");
       }),
       Code::kResourceExhausted, "references"},
      {"OutboundOversizeExternalId",
       Answer([long_id](OutboundMessage& m, World&) { m.external_id = long_id; }),
       Code::kInvalidArgument, "external_id"},
      {"OutboundReusedExternalId",
       Answer([](OutboundMessage& m, World&) { m.external_id = "post-1"; }),
       Code::kAlreadyExists, "external_id"},
      {"OutboundUnknownVisibility",
       Answer([](OutboundMessage& m, World&) { m.visibility = static_cast<Visibility>(99); }),
       Code::kInvalidArgument, "visibility"},
      {"OutboundUnknownTenant", Answer([](OutboundMessage&, World&) {}, "nobody"),
       Code::kNotFound, "tenant_id"},

      // -------------------------------------------------------- LinkIdentity
      {"LinkUnknownCustomer", Link([](World&) { return kNoCustomer; }, Email("z@example.com")),
       Code::kNotFound, "customer"},
      {"LinkCustomerZero", Link([](World&) { return CustomerId(); }, Email("z@example.com")),
       Code::kNotFound, "customer"},
      {"LinkEmailWithoutAt", Link([](World& w) { return w.ann; }, Email("ann.example.com")),
       Code::kInvalidArgument, "identity.value"},
      {"LinkPhoneWithLetters", Link([](World& w) { return w.ann; }, Phone("06 12 34 5X 78")),
       Code::kInvalidArgument, "identity.value"},
      {"LinkPhoneWith16Digits",
       Link([](World& w) { return w.ann; }, Phone("+33 6123 4567 8901 23")),
       Code::kInvalidArgument, "identity.value"},
      {"LinkHandleWithoutNetwork", Link([](World& w) { return w.ann; }, Handle(" ", "ann2")),
       Code::kInvalidArgument, "identity.network"},
      {"LinkUnspecifiedKind",
       Link([](World& w) { return w.ann; }, {v1::IDENTITY_KIND_UNSPECIFIED, "", "ann"}),
       Code::kInvalidArgument, "identity.kind"},
      {"LinkAutomaticAcrossTwoAccountsOfOneNetwork",
       Link([](World& w) { return w.ann; }, Email("carol@example.com"), LinkMode::kAutomatic),
       Code::kFailedPrecondition, "identity"},
      {"LinkUnknownTenant",
       [](World& w) {
         return w.engine
             ->LinkIdentity("nobody", w.ann, Email("z@example.com"), Actor::Agent("a"))
             .status();
       },
       Code::kNotFound, "tenant_id"},

      // -------------------------------------------------------- MergeCustomers
      {"MergeCustomerWithItself",
       [](World& w) {
         return w.engine->MergeCustomers(kTenant, w.ann, w.ann, Actor::Agent("a")).status();
       },
       Code::kFailedPrecondition, "customer_b"},
      {"MergeTwoAlreadyMergedCustomers",
       [](World& w) {
         return w.engine->MergeCustomers(kTenant, w.carol, w.carol_social, Actor::Agent("a"))
             .status();
       },
       Code::kFailedPrecondition, "customer_b"},
      {"MergeTwoAlreadyMergedCustomersAbsorbedFirst",
       [](World& w) {
         return w.engine->MergeCustomers(kTenant, w.carol_social, w.carol, Actor::Agent("a"))
             .status();
       },
       Code::kFailedPrecondition, "customer_b"},
      {"MergeUnknownFirstCustomer",
       [](World& w) {
         return w.engine->MergeCustomers(kTenant, kNoCustomer, w.ann, Actor::Agent("a"))
             .status();
       },
       Code::kNotFound, "customer_a"},
      {"MergeUnknownSecondCustomer",
       [](World& w) {
         return w.engine->MergeCustomers(kTenant, w.ann, kNoCustomer, Actor::Agent("a"))
             .status();
       },
       Code::kNotFound, "customer_b"},
      {"MergeCustomersUnknownTenant",
       [](World& w) {
         return w.engine->MergeCustomers("nobody", w.ann, w.bob, Actor::Agent("a")).status();
       },
       Code::kNotFound, "tenant_id"},

      // -------------------------------------------------------- UnmergeCustomer
      {"UnmergeNeverMergedCustomer",
       [](World& w) { return w.engine->UnmergeCustomer(kTenant, w.ann, Actor::Agent("a")); },
       Code::kFailedPrecondition, "customer"},
      {"UnmergeTheSurvivor",
       [](World& w) { return w.engine->UnmergeCustomer(kTenant, w.carol, Actor::Agent("a")); },
       Code::kFailedPrecondition, "customer"},
      {"UnmergeTwice",
       [](World& w) {
         return w.engine->UnmergeCustomer(kTenant, w.gina_social, Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "customer"},
      {"UnmergeUnknownCustomer",
       [](World& w) {
         return w.engine->UnmergeCustomer(kTenant, kNoCustomer, Actor::Agent("a"));
       },
       Code::kNotFound, "customer"},
      {"UnmergeUnknownTenant",
       [](World& w) {
         return w.engine->UnmergeCustomer("nobody", w.carol_social, Actor::Agent("a"));
       },
       Code::kNotFound, "tenant_id"},

      // -------------------------------------------------------- Handoff
      {"HandoffToTheSameChannel",
       [](World& w) {
         return w.engine->Handoff(kTenant, w.ann_thread, v1::CHANNEL_PUBLIC_SOCIAL, "again",
                                  Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "to_channel"},
      {"HandoffToUnspecifiedChannel",
       [](World& w) {
         return w.engine->Handoff(kTenant, w.ann_thread, v1::CHANNEL_UNSPECIFIED, "",
                                  Actor::Agent("a"));
       },
       Code::kInvalidArgument, "to_channel"},
      {"HandoffToUnknownChannel",
       [](World& w) {
         return w.engine->Handoff(kTenant, w.ann_thread, static_cast<Channel>(99), "",
                                  Actor::Agent("a"));
       },
       Code::kInvalidArgument, "to_channel"},
      {"HandoffUnknownConversation",
       [](World& w) {
         return w.engine->Handoff(kTenant, kNoConversation, v1::CHANNEL_EMAIL, "",
                                  Actor::Agent("a"));
       },
       Code::kNotFound, "conversation"},
      {"HandoffMergedConversation",
       [](World& w) {
         return w.engine->Handoff(kTenant, w.carol_merged_thread, v1::CHANNEL_VOICE, "",
                                  Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "conversation"},
      {"HandoffClosedConversation",
       [](World& w) {
         return w.engine->Handoff(kTenant, w.closed_thread, v1::CHANNEL_VOICE, "",
                                  Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "conversation"},
      {"HandoffOversizeReason",
       [](World& w) {
         return w.engine->Handoff(kTenant, w.ann_thread, v1::CHANNEL_EMAIL,
                                  std::string(5000, 'r'), Actor::Agent("a"));
       },
       Code::kInvalidArgument, "reason"},
      {"HandoffUnknownTenant",
       [](World& w) {
         return w.engine->Handoff("nobody", w.ann_thread, v1::CHANNEL_EMAIL, "",
                                  Actor::Agent("a"));
       },
       Code::kNotFound, "tenant_id"},

      // -------------------------------------------------------- SetConversationStatus
      {"StatusToMerged",
       [](World& w) {
         return w.engine->SetConversationStatus(kTenant, w.ann_thread,
                                                v1::CONVERSATION_STATUS_MERGED, Actor::Agent("a"));
       },
       Code::kInvalidArgument, "status"},
      {"StatusToUnspecified",
       [](World& w) {
         return w.engine->SetConversationStatus(
             kTenant, w.ann_thread, v1::CONVERSATION_STATUS_UNSPECIFIED, Actor::Agent("a"));
       },
       Code::kInvalidArgument, "status"},
      {"StatusToUnknownValue",
       [](World& w) {
         return w.engine->SetConversationStatus(
             kTenant, w.ann_thread, static_cast<ConversationStatus>(99), Actor::Agent("a"));
       },
       Code::kInvalidArgument, "status"},
      {"StatusOnClosedConversation",
       [](World& w) {
         return w.engine->SetConversationStatus(kTenant, w.closed_thread,
                                                v1::CONVERSATION_STATUS_OPEN, Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "conversation"},
      {"StatusOnMergedConversation",
       [](World& w) {
         return w.engine->SetConversationStatus(kTenant, w.carol_merged_thread,
                                                v1::CONVERSATION_STATUS_RESOLVED,
                                                Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "conversation"},
      {"StatusOnUnknownConversation",
       [](World& w) {
         return w.engine->SetConversationStatus(kTenant, kNoConversation,
                                                v1::CONVERSATION_STATUS_RESOLVED,
                                                Actor::Agent("a"));
       },
       Code::kNotFound, "conversation"},

      // -------------------------------------------------------- MergeConversations
      {"MergeConversationWithItself",
       [](World& w) {
         return w.engine->MergeConversations(kTenant, w.ann_thread, w.ann_thread,
                                             Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "source"},
      {"MergeConversationsOfDifferentCustomers",
       [](World& w) {
         return w.engine->MergeConversations(kTenant, w.ann_thread, w.bob_thread,
                                             Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "source"},
      {"MergeConversationsUnknownTarget",
       [](World& w) {
         return w.engine->MergeConversations(kTenant, kNoConversation, w.ann_thread,
                                             Actor::Agent("a"));
       },
       Code::kNotFound, "target"},
      {"MergeConversationsUnknownSource",
       [](World& w) {
         return w.engine->MergeConversations(kTenant, w.ann_thread, kNoConversation,
                                             Actor::Agent("a"));
       },
       Code::kNotFound, "source"},
      {"MergeConversationsMergedSource",
       [](World& w) {
         return w.engine->MergeConversations(kTenant, w.carol_thread, w.carol_merged_thread,
                                             Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "source"},
      {"MergeConversationsClosedTarget",
       [](World& w) {
         return w.engine->MergeConversations(kTenant, w.closed_thread, w.ann_thread,
                                             Actor::Agent("a"));
       },
       Code::kFailedPrecondition, "target"},

      // -------------------------------------------------------- SplitConversation
      {"SplitEmptyList",
       Split([](World& w) { return w.ann_thread; },
             [](World&) { return std::vector<MessageId>{}; }),
       Code::kInvalidArgument, "messages"},
      {"SplitForeignMessage",
       Split([](World& w) { return w.ann_thread; },
             [](World& w) { return std::vector<MessageId>{w.bob_email}; }),
       Code::kInvalidArgument, "messages[0]"},
      {"SplitUnknownMessage",
       Split([](World& w) { return w.ann_thread; },
             [](World&) { return std::vector<MessageId>{kNoMessage}; }),
       Code::kNotFound, "messages[0]"},
      {"SplitDuplicateMessage",
       Split([](World& w) { return w.carol_thread; },
             [](World& w) {
               const MessageId first = w.engine->GetTimeline(kTenant, w.carol_thread)
                                           .value()
                                           .front()
                                           .message->id;
               return std::vector<MessageId>{first, first};
             }),
       Code::kInvalidArgument, "messages[1]"},
      {"SplitAllMessages",
       Split([](World& w) { return w.ann_thread; },
             [](World& w) { return std::vector<MessageId>{w.ann_reply, w.ann_post}; }),
       Code::kFailedPrecondition, "messages"},
      {"SplitUnknownSource",
       Split([](World&) { return kNoConversation; },
             [](World& w) { return std::vector<MessageId>{w.ann_post}; }),
       Code::kNotFound, "source"},
      {"SplitMergedSource",
       Split([](World& w) { return w.carol_merged_thread; },
             [](World& w) { return std::vector<MessageId>{w.ann_post}; }),
       Code::kFailedPrecondition, "source"},
      {"SplitClosedSource",
       Split([](World& w) { return w.closed_thread; },
             [](World&) { return std::vector<MessageId>{MessageId(1)}; }),
       Code::kFailedPrecondition, "source"},
      {"SplitUnknownTenant",
       [](World& w) {
         return w.engine
             ->SplitConversation("nobody", w.ann_thread, std::vector<MessageId>{w.ann_post},
                                 Actor::Agent("a"))
             .status();
       },
       Code::kNotFound, "tenant_id"},

      // -------------------------------------------------------- queries
      {"GetUnknownCustomer",
       [](World& w) { return w.engine->GetCustomer(kTenant, kNoCustomer).status(); },
       Code::kNotFound, "customer"},
      {"GetCustomerUnknownTenant",
       [](World& w) { return w.engine->GetCustomer("nobody", w.ann).status(); },
       Code::kNotFound, "tenant_id"},
      {"FindMalformedIdentity",
       [](World& w) { return w.engine->FindCustomer(kTenant, Email("no-at-sign")).status(); },
       Code::kInvalidArgument, "identity.value"},
      {"FindUnknownIdentity",
       [](World& w) {
         return w.engine->FindCustomer(kTenant, Email("nobody@example.com")).status();
       },
       Code::kNotFound, "identity"},
      {"GetUnknownConversation",
       [](World& w) { return w.engine->GetConversation(kTenant, kNoConversation).status(); },
       Code::kNotFound, "conversation"},
      {"TimelineOfUnknownConversation",
       [](World& w) { return w.engine->GetTimeline(kTenant, kNoConversation).status(); },
       Code::kNotFound, "conversation"},
      {"ListConversationsOfUnknownCustomer",
       [](World& w) { return w.engine->ListConversations(kTenant, kNoCustomer).status(); },
       Code::kNotFound, "customer"},
      {"StatusUnknownTenant",
       [](World& w) {
         return w.engine->SetConversationStatus("nobody", w.ann_thread,
                                                v1::CONVERSATION_STATUS_RESOLVED,
                                                Actor::Agent("a"));
       },
       Code::kNotFound, "tenant_id"},
      {"MergeConversationsUnknownTenant",
       [](World& w) {
         return w.engine->MergeConversations("nobody", w.carol_thread, w.ann_thread,
                                             Actor::Agent("a"));
       },
       Code::kNotFound, "tenant_id"},
      {"FindCustomerUnknownTenant",
       [](World& w) { return w.engine->FindCustomer("nobody", Handle("x", "ann")).status(); },
       Code::kNotFound, "tenant_id"},
      {"GetConversationUnknownTenant",
       [](World& w) { return w.engine->GetConversation("nobody", w.ann_thread).status(); },
       Code::kNotFound, "tenant_id"},
      {"TimelineUnknownTenant",
       [](World& w) { return w.engine->GetTimeline("nobody", w.ann_thread).status(); },
       Code::kNotFound, "tenant_id"},
      {"ListConversationsUnknownTenant",
       [](World& w) { return w.engine->ListConversations("nobody", w.ann).status(); },
       Code::kNotFound, "tenant_id"},
      {"LastSequenceUnknownTenant",
       [](World& w) { return w.engine->LastSequence("nobody").status(); }, Code::kNotFound,
       "tenant_id"},
      {"DumpStateUnknownTenant", [](World& w) { return w.engine->DumpState("nobody").status(); },
       Code::kNotFound, "tenant_id"},
  };
  return cases;
}

class BadInputTest : public ::testing::TestWithParam<Case> {};

TEST_P(BadInputTest, AnswersWithTheRightStatusAndChangesNothing) {
  const Case& c = GetParam();
  World w;
  ASSERT_TRUE(Build(w));
  absl::StatusOr<std::string> dump = w.engine->DumpState(kTenant);
  absl::StatusOr<uint64_t> sequence = w.engine->LastSequence(kTenant);
  absl::StatusOr<std::string> other_dump = w.engine->DumpState("other");
  ASSERT_TRUE(dump.ok() && sequence.ok() && other_dump.ok());
  const std::vector<std::string> tenants = w.engine->ListTenants();

  const absl::Status status = c.call(w);

  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(c.field)) << status;
  EXPECT_EQ(w.engine->LastSequence(kTenant).value(), *sequence);
  EXPECT_EQ(w.engine->DumpState(kTenant).value(), *dump);
  EXPECT_EQ(w.engine->DumpState("other").value(), *other_dump);
  EXPECT_EQ(w.engine->ListTenants(), tenants);
  EXPECT_EQ(w.engine->DumpState("new").status().code(), absl::StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(EveryEntryPoint, BadInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

// The table needs a world in which each case is the only thing wrong: check
// that the valid versions of the calls the table breaks do succeed.
TEST(BadInputBaselineTest, TheUnbrokenCallsSucceed) {
  World w;
  ASSERT_TRUE(Build(w));
  EXPECT_TRUE(w.engine->IngestMessage(kTenant, ValidInbound()).ok());
  EXPECT_TRUE(w.engine
                  ->RecordOutbound(kTenant, Outbound(w.ann_thread, v1::CHANNEL_PUBLIC_SOCIAL,
                                                     "post-3", "cm", "an answer"))
                  .ok());
  EXPECT_TRUE(w.engine->CreateTenant("new", TenantOptions{}).ok());
  EXPECT_TRUE(w.engine->Handoff(kTenant, w.ann_thread, v1::CHANNEL_EMAIL, "", Actor::Agent("a"))
                  .ok());
  EXPECT_TRUE(w.engine->LinkIdentity(kTenant, w.ann, Email("ann@example.com"), Actor::Agent("a"))
                  .ok());
  EXPECT_TRUE(w.engine
                  ->SplitConversation(kTenant, w.ann_thread, std::vector<MessageId>{w.ann_reply},
                                      Actor::Agent("a"))
                  .ok());
  absl::StatusOr<LinkResult> merged =
      w.engine->MergeCustomers(kTenant, w.ann, w.bob, Actor::Agent("a"));
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_FALSE(merged->merged_threads.empty());
  EXPECT_TRUE(w.engine->UnmergeCustomer(kTenant, w.bob, Actor::Agent("a")).ok());
  EXPECT_TRUE(w.engine
                  ->SetConversationStatus(kTenant, w.ann_thread,
                                          v1::CONVERSATION_STATUS_RESOLVED, Actor::Agent("a"))
                  .ok());
  // A duplicate inbound changes nothing but is not an error.
  EXPECT_TRUE(w.engine->IngestMessage(kTenant, ValidInbound())->duplicate);
}

// A message too large for one tenant is fine for another with a larger limit:
// the limit is the tenant's, and RESOURCE_EXHAUSTED is about that limit.
TEST(BadInputBaselineTest, BodyLimitIsPerTenant) {
  World w;
  ASSERT_TRUE(Build(w));
  InboundMessage m = ValidInbound();
  m.body = std::string(kMaxBody + 1, 'b');
  EXPECT_EQ(w.engine->IngestMessage(kTenant, m).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(w.engine->IngestMessage("other", m).ok());
  m.body = std::string(kMaxBody, 'b');
  m.external_id = "<z2@example.com>";
  EXPECT_TRUE(w.engine->IngestMessage(kTenant, m).ok());
}

}  // namespace
}  // namespace omniroute
