// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The conversion of the API's requests (proto/omniroute/v1/service.proto,
// lib/service/convert.h and the library's FromProto of settings, queues,
// agents and routing) and what the library makes of them: each request is
// parsed from bytes, converted as the service converts it and handed to a
// small engine (one tenant "acme" with a queue, an agent, a customer, a
// conversation with an offered task and a commitment); the answer is
// converted back to its response message. Any request gets an OK or an
// error status, never a crash, and after the requests the tenant's state is
// exactly the fold of its log (a replay of the stored events gives the same
// state), as the event-sourced core promises.
//
// Input: records of one byte (the request type, modulo kRequestTypes), two
// bytes of length (little-endian) and that many bytes of the serialized
// request. The tenant of every request but CreateTenant is "acme".

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/proto_convert.h"
#include "google/protobuf/duration.pb.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/service.pb.h"
#include "routing/routing_config.h"
#include "service/convert.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"

namespace {

namespace v1 = ::omniroute::v1;
using omniroute::CommitmentId;
using omniroute::ConversationId;
using omniroute::CustomerId;
using omniroute::MessageId;
using omniroute::TaskId;
using omniroute::service::FromProto;
using omniroute::service::ToProto;

constexpr char kTenant[] = "acme";
constexpr int kMaxRequests = 12;
constexpr int kRequestTypes = 40;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "request_conversion_fuzzer: %s\n", what.c_str());
  std::abort();
}

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) Fail(std::string(what) + ": " + status.ToString());
}

// The tenant every request but CreateTenant is about.
struct World {
  omniroute::ManualClock clock{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<omniroute::EventStore> store = omniroute::NewMemoryEventStore();
  std::unique_ptr<omniroute::Engine> engine;

  World() {
    absl::StatusOr<std::unique_ptr<omniroute::Engine>> opened =
        omniroute::Engine::Open({.clock = &clock, .store = store.get()});
    Check(opened.status(), "Engine::Open");
    engine = *std::move(opened);
    omniroute::Engine& e = *engine;
    Check(e.CreateTenant(kTenant, {.default_country_code = "33"}), "CreateTenant");
    Check(e.UpsertQueue(kTenant, {.id = "email",
                                  .required_skills = {{"complaints", 2}},
                                  .channels = {v1::CHANNEL_EMAIL, v1::CHANNEL_VOICE}}),
          "UpsertQueue");
    Check(e.ConfigureRouting(kTenant, {.rules = {{.channels = {v1::CHANNEL_EMAIL, v1::CHANNEL_VOICE},
                                                  .queue = "email"}}}),
          "ConfigureRouting");
    Check(e.UpsertAgent(kTenant, {.id = "camille",
                                  .skills = {{"complaints", 3}},
                                  .channels = {v1::CHANNEL_EMAIL, v1::CHANNEL_VOICE}}),
          "UpsertAgent");
    Check(e.SetAgentPresence(kTenant, "camille", v1::AGENT_PRESENCE_AVAILABLE), "SetAgentPresence");
    omniroute::InboundMessage email;
    email.channel = v1::CHANNEL_EMAIL;
    email.sender = {v1::IDENTITY_KIND_EMAIL, "", "Ann@Example.com"};
    email.external_id = "m-1";
    email.thread_key = "t-1";
    email.body = "The jar was spoiled.";
    Check(e.IngestMessage(kTenant, email).status(), "IngestMessage");
    omniroute::CommitmentRequest callback;
    callback.conversation = ConversationId(1);
    callback.kind = v1::COMMITMENT_KIND_CALLBACK;
    callback.description = "call back";
    callback.due_at = clock.Now() + absl::Hours(1);
    callback.channel = v1::CHANNEL_VOICE;
    callback.queue = "email";
    Check(e.RecordCommitment(kTenant, callback).status(), "RecordCommitment");
  }
};

template <typename Request>
bool Parse(absl::string_view bytes, Request* request) {
  if (!request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  if constexpr (requires { request->set_tenant_id(""); }) request->set_tenant_id(kTenant);
  return true;
}

// The task and commitment answers, as the services fill them.
void FillTask(omniroute::Engine& e, TaskId id) {
  absl::StatusOr<omniroute::TaskView> task = e.GetTask(kTenant, id);
  v1::Task proto;
  if (task.ok()) ToProto(*task, &proto);
}
void FillCommitment(omniroute::Engine& e, CommitmentId id) {
  absl::StatusOr<omniroute::CommitmentView> commitment = e.GetCommitment(kTenant, id);
  v1::Commitment proto;
  if (commitment.ok()) ToProto(*commitment, &proto);
}

void Run(World& w, int type, absl::string_view bytes) {
  omniroute::Engine& e = *w.engine;
  switch (type) {
    case 0: {
      v1::CreateTenantRequest r;
      if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
      const omniroute::TenantOptions options =
          r.has_settings() ? omniroute::core::FromProto(r.settings()) : omniroute::TenantOptions{};
      (void)e.CreateTenant(r.tenant_id(), options);
      return;
    }
    case 1: {
      v1::GetCustomerRequest r;
      if (!Parse(bytes, &r)) return;
      auto view = e.GetCustomer(kTenant, CustomerId(r.customer_id()));
      v1::Customer proto;
      if (view.ok()) ToProto(*view, &proto);
      return;
    }
    case 2: {
      v1::FindCustomerRequest r;
      if (!Parse(bytes, &r)) return;
      auto view = e.FindCustomer(kTenant, FromProto(r.identity()));
      v1::Customer proto;
      if (view.ok()) ToProto(*view, &proto);
      return;
    }
    case 3: {
      v1::LinkIdentityRequest r;
      if (!Parse(bytes, &r) || !v1::LinkMode_IsValid(r.mode())) return;
      auto result = e.LinkIdentity(kTenant, CustomerId(r.customer_id()), FromProto(r.identity()),
                                   FromProto(r.actor()),
                                   r.mode() == v1::LINK_MODE_AUTOMATIC
                                       ? omniroute::LinkMode::kAutomatic
                                       : omniroute::LinkMode::kExplicit);
      v1::LinkIdentityResponse proto;
      if (result.ok()) ToProto(*result, &proto);
      return;
    }
    case 4: {
      v1::MergeCustomersRequest r;
      if (!Parse(bytes, &r)) return;
      auto result = e.MergeCustomers(kTenant, CustomerId(r.customer_id()),
                                     CustomerId(r.other_customer_id()), FromProto(r.actor()));
      v1::LinkIdentityResponse proto;
      if (result.ok()) ToProto(*result, &proto);
      return;
    }
    case 5: {
      v1::UnmergeCustomerRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.UnmergeCustomer(kTenant, CustomerId(r.customer_id()), FromProto(r.actor()));
      return;
    }
    case 6: {
      v1::EraseCustomerRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.EraseCustomer(kTenant, CustomerId(r.customer_id()), FromProto(r.actor()));
      return;
    }
    case 7: {
      v1::ExportCustomerRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.ExportCustomerRecords(kTenant, CustomerId(r.customer_id()),
                                    [](const v1::CustomerExportRecord&) { return absl::OkStatus(); });
      return;
    }
    case 8: {
      v1::ListConversationsRequest r;
      if (!Parse(bytes, &r)) return;
      auto page = e.ListConversationsPage(kTenant, CustomerId(r.customer_id()),
                                          omniroute::service::PageRequestOf(r));
      if (page.ok()) {
        for (const auto& view : page->conversations) {
          v1::Conversation proto;
          ToProto(view, &proto);
        }
      }
      return;
    }
    case 9: {
      v1::IngestMessageRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.IngestMessage(kTenant, FromProto(r));
      return;
    }
    case 10: {
      v1::RecordOutboundRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.RecordOutbound(kTenant, FromProto(r));
      return;
    }
    case 11: {
      v1::HandoffRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.Handoff(kTenant, ConversationId(r.conversation_id()), r.to_channel(), r.reason(),
                      FromProto(r.actor()));
      return;
    }
    case 12: {
      v1::SetConversationStatusRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.SetConversationStatus(kTenant, ConversationId(r.conversation_id()), r.status(),
                                    FromProto(r.actor()));
      return;
    }
    case 13: {
      v1::MergeConversationsRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.MergeConversations(kTenant, ConversationId(r.target_conversation_id()),
                                 ConversationId(r.source_conversation_id()), FromProto(r.actor()));
      return;
    }
    case 14: {
      v1::SplitConversationRequest r;
      if (!Parse(bytes, &r)) return;
      std::vector<MessageId> messages;
      for (uint64_t id : r.message_ids()) messages.push_back(MessageId(id));
      (void)e.SplitConversation(kTenant, ConversationId(r.conversation_id()), messages,
                                FromProto(r.actor()));
      return;
    }
    case 15: {
      v1::GetConversationRequest r;
      if (!Parse(bytes, &r)) return;
      auto view = e.GetConversation(kTenant, ConversationId(r.conversation_id()));
      v1::Conversation proto;
      if (view.ok()) ToProto(*view, &proto);
      return;
    }
    case 16: {
      v1::GetTimelineRequest r;
      if (!Parse(bytes, &r)) return;
      auto page = e.GetTimelinePage(kTenant, ConversationId(r.conversation_id()),
                                    omniroute::service::PageRequestOf(r));
      if (page.ok()) {
        for (const auto& entry : page->entries) {
          v1::TimelineEntry proto;
          ToProto(entry, &proto);
        }
      }
      return;
    }
    case 17: {
      v1::ConfigureRoutingRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.ConfigureRouting(kTenant, omniroute::routing::FromProto(r.settings()));
      return;
    }
    case 18: {
      v1::GetRoutingSettingsRequest r;
      if (!Parse(bytes, &r)) return;
      auto settings = e.GetRoutingSettings(kTenant);
      v1::RoutingSettings proto;
      if (settings.ok()) omniroute::routing::ToProto(*settings, &proto);
      return;
    }
    case 19: {
      v1::UpsertQueueRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.UpsertQueue(kTenant, omniroute::routing::FromProto(r.queue()));
      return;
    }
    case 20: {
      v1::GetQueueRequest r;
      if (!Parse(bytes, &r)) return;
      auto queue = e.GetQueue(kTenant, r.queue_id());
      v1::QueueConfig proto;
      if (queue.ok()) omniroute::routing::ToProto(*queue, &proto);
      auto stats = e.GetQueueStats(kTenant, r.queue_id());
      v1::QueueStats stats_proto;
      if (stats.ok()) ToProto(*stats, &stats_proto);
      return;
    }
    case 21: {
      v1::UpsertAgentRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.UpsertAgent(kTenant, omniroute::routing::FromProto(r.agent()));
      return;
    }
    case 22: {
      v1::GetAgentRequest r;
      if (!Parse(bytes, &r)) return;
      auto agent = e.GetAgent(kTenant, r.agent_id());
      v1::Agent proto;
      if (agent.ok()) ToProto(*agent, &proto);
      return;
    }
    case 23: {
      v1::SetAgentPresenceRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.SetAgentPresence(kTenant, r.agent_id(), r.presence());
      return;
    }
    case 24: {
      v1::OfferAnswerRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.AcceptOffer(kTenant, TaskId(r.task_id()), r.agent_id());
      FillTask(e, TaskId(r.task_id()));
      return;
    }
    case 25: {
      v1::OfferAnswerRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.DeclineOffer(kTenant, TaskId(r.task_id()), r.agent_id(), r.reason());
      FillTask(e, TaskId(r.task_id()));
      return;
    }
    case 26: {
      v1::CompleteTaskRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.CompleteTask(kTenant, TaskId(r.task_id()), r.agent_id());
      FillTask(e, TaskId(r.task_id()));
      return;
    }
    case 27: {
      v1::TransferTaskRequest r;
      if (!Parse(bytes, &r)) return;
      omniroute::TransferTarget target;
      if (r.has_queue_id()) target.queue = r.queue_id();
      if (r.has_agent_id()) target.agent = r.agent_id();
      auto id = e.TransferTask(kTenant, TaskId(r.task_id()), target, FromProto(r.actor()));
      if (id.ok()) FillTask(e, *id);
      return;
    }
    case 28: {
      v1::AbandonTaskRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.AbandonTask(kTenant, TaskId(r.task_id()));
      FillTask(e, TaskId(r.task_id()));
      return;
    }
    case 29: {
      v1::GetTaskRequest r;
      if (!Parse(bytes, &r)) return;
      FillTask(e, TaskId(r.task_id()));
      return;
    }
    case 30: {
      v1::GetConversationRoutingRequest r;
      if (!Parse(bytes, &r)) return;
      auto routing = e.GetConversationRouting(kTenant, ConversationId(r.conversation_id()));
      if (routing.ok()) {
        for (TaskId id : routing->tasks) FillTask(e, id);
      }
      return;
    }
    case 31: {
      v1::RunDueTimersRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.RunDueTimers(kTenant);
      return;
    }
    case 32: {
      v1::RecordCommitmentRequest r;
      if (!Parse(bytes, &r) || !r.has_due_at()) return;
      auto id = e.RecordCommitment(kTenant, FromProto(r));
      if (id.ok()) FillCommitment(e, *id);
      return;
    }
    case 33: {
      v1::CloseCommitmentRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.CloseCommitment(kTenant, CommitmentId(r.commitment_id()), r.status(),
                              FromProto(r.actor()), r.reason());
      FillCommitment(e, CommitmentId(r.commitment_id()));
      return;
    }
    case 34: {
      v1::GetCommitmentRequest r;
      if (!Parse(bytes, &r)) return;
      FillCommitment(e, CommitmentId(r.commitment_id()));
      return;
    }
    case 35: {
      v1::ListCommitmentsRequest r;
      if (!Parse(bytes, &r)) return;
      auto list = e.ListCommitments(kTenant, ConversationId(r.conversation_id()));
      if (list.ok()) {
        for (const auto& view : *list) {
          v1::Commitment proto;
          ToProto(view, &proto);
        }
      }
      return;
    }
    case 36: {
      v1::WatchEventsRequest r;
      if (!Parse(bytes, &r)) return;
      int events = 0;
      (void)w.store->Read(kTenant, r.from_sequence() == 0 ? 1 : r.from_sequence(),
                          [&](const v1::Event&) { return ++events < 1000; });
      return;
    }
    case 37: {
      v1::GetLastSequenceRequest r;
      if (!Parse(bytes, &r)) return;
      (void)e.LastSequence(kTenant);
      return;
    }
    case 38: {
      v1::StreamOffersRequest r;
      if (!Parse(bytes, &r)) return;
      auto agent = e.GetAgent(kTenant, r.agent_id());
      if (agent.ok()) {
        for (TaskId id : agent->offered_tasks) FillTask(e, id);
      }
      return;
    }
    default: {
      // Time passes (a Duration, at most 30 days), then the timers run.
      google::protobuf::Duration d;
      if (!d.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
      const absl::Duration step = omniroute::routing::ToDuration(d);
      if (step > absl::ZeroDuration() && step <= absl::Hours(24 * 30)) w.clock.Advance(step);
      (void)e.RunDueTimers(kTenant);
      return;
    }
  }
}

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it;
// inputs are mostly such, and the log would bury libFuzzer's.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World world;
  size_t pos = 0;
  for (int n = 0; n < kMaxRequests && size - pos >= 3; ++n) {
    const int type = data[pos] % kRequestTypes;
    const size_t length = std::min<size_t>(data[pos + 1] | (size_t{data[pos + 2]} << 8), size - pos - 3);
    Run(world, type, absl::string_view(reinterpret_cast<const char*>(data + pos + 3), length));
    pos += 3 + length;
  }

  // The live state is the fold of the log.
  absl::StatusOr<std::string> live = world.engine->DumpState(kTenant);
  if (!live.ok()) Fail("DumpState: " + live.status().ToString());
  omniroute::tenant::TenantState replayed(kTenant);
  absl::Status replay = absl::OkStatus();
  Check(world.store->Read(kTenant, 1,
                          [&](const v1::Event& event) {
                            replay = replayed.Apply(event);
                            return replay.ok();
                          }),
        "Read");
  if (!replay.ok()) Fail("the log does not replay: " + replay.ToString());
  const std::string dump = omniroute::tenant::DumpState(replayed);
  if (dump != *live) Fail("the replay differs from the live state:\n" + *live + "\n--- replay:\n" + dump);
  return 0;
}
