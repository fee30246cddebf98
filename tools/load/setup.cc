// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/setup.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "load/stats.h"

namespace omniroute::load {
namespace {

struct QueueSpec {
  const char* id;
  std::vector<v1::Channel> channels;
};

const std::vector<QueueSpec>& Queues() {
  static const auto* queues = new std::vector<QueueSpec>{
      {"email", {v1::CHANNEL_EMAIL}},
      {"chat", {v1::CHANNEL_CHAT}},
      {"social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}},
      {"sms", {v1::CHANNEL_SMS}},
      {"voice", {v1::CHANNEL_VOICE}},
  };
  return *queues;
}

class Steps {
 public:
  Steps(Connections& connections, std::chrono::milliseconds timeout)
      : stubs_(connections.First()), timeout_(timeout) {}

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + timeout_);
    return context;
  }

  Stubs& stubs() { return stubs_; }

 private:
  Stubs& stubs_;
  const std::chrono::milliseconds timeout_;
};

absl::Status Failed(absl::string_view step, const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(step, ": ", StatusCodeName(status.error_code()), " ",
                                   status.error_message()));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SetUpTenant(Connections& connections,
                                                    const SetupOptions& options) {
  std::vector<std::string> agents;
  if (options.workload == WorkloadKind::kPing) return agents;  // No tenant needed.
  Steps steps(connections, options.rpc_timeout);

  v1::CreateTenantRequest create;
  create.set_tenant_id(options.tenant);
  create.mutable_settings()->set_default_country_code("33");
  if (options.closed_retention.has_value()) {
    const int64_t nanos = absl::ToInt64Nanoseconds(*options.closed_retention);
    create.mutable_settings()->mutable_closed_retention()->set_seconds(nanos / 1000000000);
    create.mutable_settings()->mutable_closed_retention()->set_nanos(
        static_cast<int32_t>(nanos % 1000000000));
  }
  v1::CreateTenantResponse created;
  if (grpc::Status s = steps.stubs().tenants->CreateTenant(steps.Context().get(), create, &created);
      !s.ok()) {
    return Failed(absl::StrCat("create tenant ", options.tenant), s);
  }
  if (options.workload != WorkloadKind::kMixed && options.workload != WorkloadKind::kOffers) {
    return agents;
  }

  for (const QueueSpec& spec : Queues()) {
    v1::UpsertQueueRequest queue;
    queue.set_tenant_id(options.tenant);
    queue.mutable_queue()->set_queue_id(spec.id);
    for (v1::Channel c : spec.channels) queue.mutable_queue()->add_channels(c);
    queue.mutable_queue()->set_strategy(v1::SELECTION_STRATEGY_LONGEST_IDLE);
    v1::UpsertQueueResponse done;
    if (grpc::Status s = steps.stubs().routing->UpsertQueue(steps.Context().get(), queue, &done);
        !s.ok()) {
      return Failed(absl::StrCat("queue ", spec.id), s);
    }
  }
  v1::ConfigureRoutingRequest routing;
  routing.set_tenant_id(options.tenant);
  for (const QueueSpec& spec : Queues()) {
    v1::RoutingRule* rule = routing.mutable_settings()->add_rules();
    rule->set_name(spec.id);
    for (v1::Channel c : spec.channels) rule->add_channels(c);
    rule->set_queue_id(spec.id);
  }
  routing.mutable_settings()->set_default_queue_id("email");
  v1::ConfigureRoutingResponse configured;
  if (grpc::Status s =
          steps.stubs().routing->ConfigureRouting(steps.Context().get(), routing, &configured);
      !s.ok()) {
    return Failed("configure routing", s);
  }
  for (int i = 0; i < options.agents; ++i) {
    const std::string id = absl::StrCat("load-agent-", i);
    v1::UpsertAgentRequest agent;
    agent.set_tenant_id(options.tenant);
    v1::AgentConfig* config = agent.mutable_agent();
    config->set_agent_id(id);
    config->set_display_name(absl::StrCat("Agent ", i));
    for (const QueueSpec& spec : Queues()) {
      for (v1::Channel c : spec.channels) config->add_channels(c);
    }
    config->set_capacity(options.agent_capacity);
    v1::UpsertAgentResponse upserted;
    if (grpc::Status s = steps.stubs().routing->UpsertAgent(steps.Context().get(), agent, &upserted);
        !s.ok()) {
      return Failed(absl::StrCat("agent ", id), s);
    }
    v1::SetAgentPresenceRequest presence;
    presence.set_tenant_id(options.tenant);
    presence.set_agent_id(id);
    presence.set_presence(v1::AGENT_PRESENCE_AVAILABLE);
    v1::SetAgentPresenceResponse present;
    if (grpc::Status s =
            steps.stubs().routing->SetAgentPresence(steps.Context().get(), presence, &present);
        !s.ok()) {
      return Failed(absl::StrCat("presence of ", id), s);
    }
    agents.push_back(id);
  }
  return agents;
}

}  // namespace omniroute::load
