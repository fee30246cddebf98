// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Writes the seed corpora of the fuzz targets from what the library itself
// produces: identities as channels send them, the events of a scenario (the
// whole log and the pieces of it that exercise merges, splits, archival and
// erasure), the SQLite store file holding that log with a snapshot, and API
// requests.
//
//   omniroute_fuzz_seeds fuzz/corpus
//
// tenant_config seeds are the files of examples/config, copied as they are.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/service.pb.h"

namespace {

namespace fs = std::filesystem;
namespace v1 = ::omniroute::v1;
using omniroute::Actor;
using omniroute::ConversationId;
using omniroute::CustomerId;

constexpr char kTenant[] = "acme";

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::cerr << "cannot write " << path << "\n";
    std::exit(1);
  }
}

void Note(const absl::Status& status, const char* step) {
  if (!status.ok()) {
    std::cerr << "make_seeds: " << step << ": " << status << "\n";
    std::exit(1);
  }
}

template <typename T>
T Need(absl::StatusOr<T> result, const char* step) {
  Note(result.status(), step);
  return *std::move(result);
}

// ------------------------------------------------------------ identities

std::string IdentitySeed(v1::IdentityKind kind, const std::string& country,
                         const std::string& network, const std::string& value) {
  std::string seed;
  seed.push_back(static_cast<char>(kind));
  seed.push_back(static_cast<char>(country.size()));
  seed.push_back(static_cast<char>(network.size()));
  return seed + country + network + value;
}

void WriteIdentities(const fs::path& dir) {
  struct Seed {
    const char* name;
    v1::IdentityKind kind;
    const char* country;
    const char* network;
    const char* value;
  };
  const Seed seeds[] = {
      {"email", v1::IDENTITY_KIND_EMAIL, "", "", " Parent.Lea@Example.org "},
      {"email_unicode", v1::IDENTITY_KIND_EMAIL, "", "", "léa@exämple.fr"},
      {"phone_national", v1::IDENTITY_KIND_PHONE, "33", "", "06 12 34 56 78"},
      {"phone_00", v1::IDENTITY_KIND_PHONE, "44", "", "0044 20 7946 0958"},
      {"phone_plus", v1::IDENTITY_KIND_PHONE, "1", "", "+1 (415) 555-0100"},
      {"handle", v1::IDENTITY_KIND_SOCIAL_HANDLE, "", "X", "@Parent_Of_Lea"},
      {"social_id", v1::IDENTITY_KIND_SOCIAL_ID, "", "facebook", "100004412345678"},
      {"crm", v1::IDENTITY_KIND_CRM_ID, "", "", " CRM-0042 "},
      {"crm_network", v1::IDENTITY_KIND_CRM_ID, "", "salesforce", "003Dn00000ABCDE"},
      {"custom", v1::IDENTITY_KIND_CUSTOM, "", "loyalty", "card 9921"},
      {"nbsp", v1::IDENTITY_KIND_SOCIAL_HANDLE, "", "instagram", "\xC2\xA0lea.b"},
  };
  for (const Seed& s : seeds) {
    Write(dir / s.name, IdentitySeed(s.kind, s.country, s.network, s.value));
  }
}

// ------------------------------------------------------------ a scenario

// A tenant's life: the demo configuration, messages on every channel,
// identities linked, customers merged and unmerged, a conversation split
// and merged, offers accepted, declined and expired, a transfer, a
// commitment kept and one missed, closing, archival and an erasure.
// Returns the sequence after each step, to cut the log into pieces.
std::vector<uint64_t> PlayScenario(omniroute::Engine& e, omniroute::ManualClock& clock) {
  std::vector<uint64_t> marks;
  const auto mark = [&] { marks.push_back(Need(e.LastSequence(kTenant), "LastSequence")); };
  omniroute::TenantOptions options;
  options.default_country_code = "33";
  options.closed_retention = absl::Hours(1);
  Note(e.CreateTenant(kTenant, options), "CreateTenant");
  Note(e.UpsertQueue(kTenant, {.id = "social",
                               .required_skills = {{"social", 3}},
                               .channels = {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL},
                               .base_priority = 10}),
       "queue social");
  Note(e.UpsertQueue(kTenant, {.id = "email",
                               .required_skills = {{"complaints", 2}},
                               .channels = {v1::CHANNEL_EMAIL}}),
       "queue email");
  Note(e.UpsertQueue(kTenant, {.id = "phone", .channels = {v1::CHANNEL_VOICE}}), "queue phone");
  omniroute::RoutingSettings routing;
  routing.rules = {{.name = "social",
                    .channels = {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL},
                    .queue = "social"},
                   {.name = "email", .channels = {v1::CHANNEL_EMAIL}, .queue = "email"},
                   {.name = "voice", .channels = {v1::CHANNEL_VOICE}, .queue = "phone"}};
  Note(e.ConfigureRouting(kTenant, routing), "routing");
  Note(e.UpsertAgent(kTenant, {.id = "camille",
                               .skills = {{"social", 5}, {"complaints", 3}},
                               .channels = {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL,
                                            v1::CHANNEL_EMAIL}}),
       "agent camille");
  Note(e.UpsertAgent(kTenant, {.id = "paul",
                               .skills = {{"complaints", 2}},
                               .channels = {v1::CHANNEL_VOICE, v1::CHANNEL_EMAIL}}),
       "agent paul");
  Note(e.SetAgentPresence(kTenant, "camille", v1::AGENT_PRESENCE_AVAILABLE), "camille available");
  Note(e.SetAgentPresence(kTenant, "paul", v1::AGENT_PRESENCE_AVAILABLE), "paul available");
  mark();

  omniroute::InboundMessage post;
  post.channel = v1::CHANNEL_PUBLIC_SOCIAL;
  post.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", "@Parent_Of_Lea"};
  post.profile = {.display_name = "Parent of Léa", .language = "fr", .reach = 5400};
  post.external_id = "post-881";
  post.body = "Opened a sealed jar of your baby food tonight: spoiled.";
  post.tags = {"quality"};
  auto on_post = Need(e.IngestMessage(kTenant, post), "post");
  if (on_post.task) Note(e.AcceptOffer(kTenant, *on_post.task, "camille"), "accept post");
  clock.Advance(absl::Minutes(20));

  omniroute::InboundMessage email;
  email.channel = v1::CHANNEL_EMAIL;
  email.sender = {v1::IDENTITY_KIND_EMAIL, "", " Parent.Lea@Example.org "};
  email.external_id = "<cafe01@example.org>";
  email.thread_key = "t-1";
  email.body = "Batch 4411, bought Saturday.";
  auto on_email = Need(e.IngestMessage(kTenant, email), "email");
  if (on_email.task) {
    (void)e.DeclineOffer(kTenant, *on_email.task, "camille", "busy");
  }
  mark();

  clock.Advance(absl::Minutes(10));
  Note(e.RecordOutbound(kTenant, {.conversation = on_post.conversation,
                                  .channel = v1::CHANNEL_PUBLIC_SOCIAL,
                                  .external_id = "post-882",
                                  .references = {"post-881"},
                                  .body = "Sorry: please send us a private message.",
                                  .agent_id = "camille"})
           .status(),
       "outbound");
  Note(e.Handoff(kTenant, on_post.conversation, v1::CHANNEL_PRIVATE_SOCIAL, "details in private",
                 Actor::Agent("camille")),
       "handoff");
  omniroute::InboundMessage dm;
  dm.channel = v1::CHANNEL_PRIVATE_SOCIAL;
  dm.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", "parent_of_lea"};
  dm.external_id = "dm-5531";
  dm.thread_key = "dm-thread-77";
  dm.body = "My email is parent.lea@example.org.";
  Need(e.IngestMessage(kTenant, dm), "dm");
  mark();

  auto link = Need(e.LinkIdentity(kTenant, on_post.customer,
                                  {v1::IDENTITY_KIND_EMAIL, "", "parent.lea@example.org"},
                                  Actor::Agent("camille")),
                   "link");
  mark();
  (void)e.UnmergeCustomer(kTenant, on_email.customer, Actor::Agent("camille"));
  mark();
  (void)e.MergeCustomers(kTenant, on_post.customer, on_email.customer, Actor::Agent("camille"));
  mark();

  omniroute::InboundMessage call;
  call.channel = v1::CHANNEL_VOICE;
  call.sender = {v1::IDENTITY_KIND_PHONE, "", "06 12 34 56 78"};
  call.external_id = "call-1";
  call.body = "Voicemail: please call me back.";
  auto on_call = Need(e.IngestMessage(kTenant, call), "call");
  omniroute::CommitmentRequest callback;
  callback.conversation = on_call.conversation;
  callback.kind = v1::COMMITMENT_KIND_CALLBACK;
  callback.description = "call back about batch 4411";
  callback.due_at = clock.Now() + absl::Hours(2);
  auto commitment = Need(e.RecordCommitment(kTenant, callback), "commitment");
  if (on_call.task) {
    (void)e.TransferTask(kTenant, *on_call.task, {.queue = "email"}, Actor::Agent("paul"));
  }
  mark();

  // A split and a merge back.
  auto split = e.SplitConversation(kTenant, on_post.conversation, {on_post.message},
                                   Actor::Agent("camille"));
  if (split.ok()) {
    (void)e.MergeConversations(kTenant, on_post.conversation, *split, Actor::Agent("camille"));
  }
  mark();

  // Time passes: offers expire, the commitment falls due and is missed.
  for (int i = 0; i < 6; ++i) {
    clock.Advance(absl::Minutes(40));
    (void)e.RunDueTimers(kTenant);
  }
  (void)e.CloseCommitment(kTenant, commitment, v1::COMMITMENT_STATUS_FULFILLED,
                          Actor::Agent("paul"), "called");
  mark();

  // Resolve and close everything, then let archival run.
  for (ConversationId c : {on_post.conversation, on_email.conversation, on_call.conversation}) {
    auto routing = e.GetConversationRouting(kTenant, c);
    if (routing.ok()) {
      for (auto task : routing->tasks) {
        (void)e.AbandonTask(kTenant, task);
      }
    }
    (void)e.SetConversationStatus(kTenant, c, v1::CONVERSATION_STATUS_RESOLVED,
                                  Actor::Agent("camille"));
    (void)e.SetConversationStatus(kTenant, c, v1::CONVERSATION_STATUS_CLOSED,
                                  Actor::Agent("camille"));
  }
  clock.Advance(absl::Hours(2));
  (void)e.RunDueTimers(kTenant);
  mark();

  // Another customer, erased.
  omniroute::InboundMessage sms;
  sms.channel = v1::CHANNEL_SMS;
  sms.sender = {v1::IDENTITY_KIND_PHONE, "", "+44 20 7946 0958"};
  sms.external_id = "sms-1";
  sms.body = "Stop writing to me.";
  auto on_sms = Need(e.IngestMessage(kTenant, sms), "sms");
  (void)e.SetConversationStatus(kTenant, on_sms.conversation, v1::CONVERSATION_STATUS_CLOSED,
                                Actor::Agent("paul"));
  (void)e.EraseCustomer(kTenant, on_sms.customer, Actor::System());
  mark();
  (void)link;
  return marks;
}

std::string EventsSeed(const omniroute::EventStore& store, uint64_t from, uint64_t to) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    Note(store.Read(kTenant, from,
                    [&](const v1::Event& event) {
                      if (event.sequence() > to) return false;
                      out.WriteTag(1 << 3 | 2);
                      out.WriteVarint32(static_cast<uint32_t>(event.ByteSizeLong()));
                      event.SerializeWithCachedSizes(&out);
                      return true;
                    }),
         "Read");
  }
  return bytes;
}

// ------------------------------------------------------------ requests

std::string Record(int type, const google::protobuf::Message& request) {
  const std::string bytes = request.SerializeAsString();
  std::string record;
  record.push_back(static_cast<char>(type));
  record.push_back(static_cast<char>(bytes.size() & 0xFF));
  record.push_back(static_cast<char>(bytes.size() >> 8));
  return record + bytes;
}

void WriteRequests(const fs::path& dir) {
  v1::CreateTenantRequest create;
  create.set_tenant_id("globex");
  create.mutable_settings()->set_default_country_code("44");
  create.mutable_settings()->mutable_closed_retention()->set_seconds(3600);
  Write(dir / "create_tenant", Record(0, create));

  v1::FindCustomerRequest find;
  find.mutable_identity()->set_kind(v1::IDENTITY_KIND_EMAIL);
  find.mutable_identity()->set_value("ann@example.com");
  Write(dir / "find_customer", Record(2, find));

  v1::LinkIdentityRequest link;
  link.set_customer_id(1);
  link.mutable_identity()->set_kind(v1::IDENTITY_KIND_PHONE);
  link.mutable_identity()->set_value("06 12 34 56 78");
  link.mutable_actor()->set_kind(v1::ACTOR_KIND_AGENT);
  link.mutable_actor()->set_id("camille");
  Write(dir / "link_identity", Record(3, link));

  v1::IngestMessageRequest ingest;
  ingest.set_channel(v1::CHANNEL_PUBLIC_SOCIAL);
  ingest.mutable_sender()->set_kind(v1::IDENTITY_KIND_SOCIAL_HANDLE);
  ingest.mutable_sender()->set_network("x");
  ingest.mutable_sender()->set_value("@Parent_Of_Lea");
  ingest.mutable_profile()->set_display_name("Parent of Léa");
  ingest.mutable_profile()->set_reach(5400);
  ingest.set_external_id("post-881");
  ingest.set_body("Opened a sealed jar of your baby food tonight: spoiled.");
  ingest.add_tags("quality");
  Write(dir / "ingest", Record(9, ingest));

  v1::IngestMessageRequest reply = ingest;
  reply.set_channel(v1::CHANNEL_EMAIL);
  reply.mutable_sender()->set_kind(v1::IDENTITY_KIND_EMAIL);
  reply.mutable_sender()->clear_network();
  reply.mutable_sender()->set_value("ann@example.com");
  reply.set_external_id("m-2");
  reply.add_references("m-1");
  reply.set_thread_key("t-1");
  Write(dir / "ingest_reply", Record(9, reply));

  v1::RecordOutboundRequest outbound;
  outbound.set_conversation_id(1);
  outbound.set_channel(v1::CHANNEL_EMAIL);
  outbound.set_external_id("a-1");
  outbound.add_references("m-1");
  outbound.set_body("We are sorry.");
  outbound.set_agent_id("camille");
  Write(dir / "record_outbound", Record(10, outbound));

  v1::HandoffRequest handoff;
  handoff.set_conversation_id(1);
  handoff.set_to_channel(v1::CHANNEL_VOICE);
  handoff.set_reason("call back");
  Write(dir / "handoff", Record(11, handoff));

  v1::SetConversationStatusRequest status;
  status.set_conversation_id(1);
  status.set_status(v1::CONVERSATION_STATUS_RESOLVED);
  Write(dir / "set_status", Record(12, status));

  v1::SplitConversationRequest split;
  split.set_conversation_id(1);
  split.add_message_ids(1);
  Write(dir / "split", Record(14, split));

  v1::GetTimelineRequest timeline;
  timeline.set_conversation_id(1);
  timeline.set_page_size(1);
  Write(dir / "timeline", Record(16, timeline));

  v1::ListConversationsRequest list;
  list.set_customer_id(1);
  list.set_page_size(2);
  Write(dir / "list_conversations", Record(8, list));

  v1::ConfigureRoutingRequest routing;
  auto* rule = routing.mutable_settings()->add_rules();
  rule->set_name("email");
  rule->add_channels(v1::CHANNEL_EMAIL);
  rule->set_queue_id("email");
  routing.mutable_settings()->set_max_public_boost(20);
  Write(dir / "configure_routing", Record(17, routing));

  v1::UpsertQueueRequest queue;
  queue.mutable_queue()->set_queue_id("social");
  queue.mutable_queue()->add_channels(v1::CHANNEL_PUBLIC_SOCIAL);
  auto* skill = queue.mutable_queue()->add_required_skills();
  skill->set_skill("social");
  skill->set_level(3);
  queue.mutable_queue()->mutable_offer_timeout()->set_seconds(60);
  auto* step = queue.mutable_queue()->add_expansion_steps();
  step->mutable_after()->set_seconds(3600);
  step->set_relax_levels(1);
  Write(dir / "upsert_queue", Record(19, queue));

  v1::UpsertAgentRequest agent;
  agent.mutable_agent()->set_agent_id("paul");
  agent.mutable_agent()->add_channels(v1::CHANNEL_VOICE);
  agent.mutable_agent()->set_capacity(4);
  agent.mutable_agent()->mutable_wrap_up()->set_seconds(60);
  Write(dir / "upsert_agent", Record(21, agent));

  v1::SetAgentPresenceRequest presence;
  presence.set_agent_id("camille");
  presence.set_presence(v1::AGENT_PRESENCE_AWAY);
  Write(dir / "set_presence", Record(23, presence));

  v1::OfferAnswerRequest accept;
  accept.set_task_id(1);
  accept.set_agent_id("camille");
  v1::CompleteTaskRequest complete;
  complete.set_task_id(1);
  complete.set_agent_id("camille");
  Write(dir / "accept_complete", Record(24, accept) + Record(26, complete));
  Write(dir / "decline", Record(25, accept));

  v1::TransferTaskRequest transfer;
  transfer.set_task_id(1);
  transfer.set_queue_id("email");
  Write(dir / "transfer", Record(24, accept) + Record(27, transfer));

  v1::RecordCommitmentRequest commitment;
  commitment.set_conversation_id(1);
  commitment.set_kind(v1::COMMITMENT_KIND_FOLLOW_UP);
  commitment.set_description("send the refund");
  commitment.mutable_due_at()->set_seconds(1767229200);
  Write(dir / "record_commitment", Record(32, commitment));

  v1::CloseCommitmentRequest close;
  close.set_commitment_id(1);
  close.set_status(v1::COMMITMENT_STATUS_FULFILLED);
  Write(dir / "close_commitment", Record(33, close));

  google::protobuf::Duration hour;
  hour.set_seconds(3600);
  Write(dir / "timers", Record(39, hour) + Record(39, hour));

  v1::MergeCustomersRequest merge;
  merge.set_customer_id(1);
  merge.set_other_customer_id(2);
  v1::UnmergeCustomerRequest unmerge;
  unmerge.set_customer_id(2);
  Write(dir / "merge_unmerge", Record(9, reply) + Record(4, merge) + Record(5, unmerge));

  v1::EraseCustomerRequest erase;
  erase.set_customer_id(1);
  Write(dir / "erase", Record(28, accept) + Record(33, close) + Record(6, erase));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: omniroute_fuzz_seeds CORPUS_DIR\n";
    return 2;
  }
  const fs::path corpus = argv[1];
  WriteIdentities(corpus / "identity_fuzzer");
  WriteRequests(corpus / "request_conversion_fuzzer");

  char dir_name[] = "/tmp/omniroute-seeds-XXXXXX";
  if (mkdtemp(dir_name) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path store_path = fs::path(dir_name) / "events.db";
  {
    auto store = Need(omniroute::OpenSqliteEventStore(
                          {.path = store_path, .durability = omniroute::Durability::kNoSync}),
                      "OpenSqliteEventStore");
    omniroute::ManualClock clock(absl::FromUnixSeconds(1772478000));
    auto engine = Need(omniroute::Engine::Open({.clock = &clock, .store = store.get()}), "Engine");
    const std::vector<uint64_t> marks = PlayScenario(*engine, clock);
    const fs::path events = corpus / "event_fold_fuzzer";
    Write(events / "whole_log", EventsSeed(*store, 1, marks.back()));
    uint64_t from = 1;
    for (size_t i = 0; i < marks.size(); ++i) {
      // Each step with everything before it, so that it applies.
      Write(events / absl::StrCat("up_to_step_", i), EventsSeed(*store, 1, marks[i]));
      from = marks[i] + 1;
    }
    (void)from;
    Note(engine->TakeSnapshot(kTenant), "TakeSnapshot");
    engine->WaitForSnapshots();
  }
  std::ifstream in(store_path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Write(corpus / "sqlite_store_fuzzer" / "scenario.db", file);
  std::cout << "store file: " << file.size() << " bytes\n";
  fs::remove_all(dir_name);
  return 0;
}
