// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing and commitments over gRPC (unary calls; the offer stream is in
// streams.cc).

#include "absl/strings/str_cat.h"
#include "routing/routing_config.h"
#include "service/convert.h"
#include "service/services.h"

namespace omniroute::service {
namespace {

// Answers with the task as it stands after a command.
absl::Status FillTask(Engine& engine, absl::string_view tenant, TaskId id, v1::Task* out) {
  auto task = engine.GetTask(tenant, id);
  if (!task.ok()) return task.status();
  ToProto(*task, out);
  return absl::OkStatus();
}

absl::Status FillCommitment(Engine& engine, absl::string_view tenant, CommitmentId id,
                            v1::Commitment* out) {
  auto c = engine.GetCommitment(tenant, id);
  if (!c.ok()) return c.status();
  ToProto(*c, out);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* RoutingServiceImpl::ConfigureRouting(
    grpc::CallbackServerContext* context, const v1::ConfigureRoutingRequest* request,
    v1::ConfigureRoutingResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.RoutingService/ConfigureRouting", request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) -> absl::Status {
    if (absl::Status s = CheckRoutingSettings(request->settings(), "settings"); !s.ok()) return s;
    return engine_.ConfigureRouting(request->tenant_id(), routing::FromProto(request->settings()),
                                    caller);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetRoutingSettings(
    grpc::CallbackServerContext* context, const v1::GetRoutingSettingsRequest* request,
    v1::RoutingSettings* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.RoutingService/GetRoutingSettings", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    auto settings = engine_.GetRoutingSettings(request->tenant_id());
    if (!settings.ok()) return settings.status();
    routing::ToProto(*settings, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::UpsertQueue(grpc::CallbackServerContext* context,
                                                          const v1::UpsertQueueRequest* request,
                                                          v1::UpsertQueueResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/UpsertQueue",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) {
    return engine_.UpsertQueue(request->tenant_id(), routing::FromProto(request->queue()), caller);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetQueue(grpc::CallbackServerContext* context,
                                                       const v1::GetQueueRequest* request,
                                                       v1::QueueConfig* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/GetQueue",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    auto queue = engine_.GetQueue(request->tenant_id(), request->queue_id());
    if (!queue.ok()) return queue.status();
    routing::ToProto(*queue, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetQueueStats(grpc::CallbackServerContext* context,
                                                            const v1::GetQueueRequest* request,
                                                            v1::QueueStats* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/GetQueueStats",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    auto stats = engine_.GetQueueStats(request->tenant_id(), request->queue_id());
    if (!stats.ok()) return stats.status();
    ToProto(*stats, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetQueueStatistics(
    grpc::CallbackServerContext* context, const v1::GetQueueStatisticsRequest* request,
    v1::GetQueueStatisticsResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.RoutingService/GetQueueStatistics", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    const std::vector<std::string> ids(request->queue_ids().begin(), request->queue_ids().end());
    auto stats = engine_.GetQueueStatistics(request->tenant_id(), ids);
    if (!stats.ok()) return stats.status();
    for (const QueueStatistics& queue : *stats) ToProto(queue, response->add_queues());
    if (!stats->empty()) ToProto(stats->front().at, response->mutable_at());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetAgentStatistics(
    grpc::CallbackServerContext* context, const v1::GetAgentRequest* request,
    v1::AgentStatistics* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.RoutingService/GetAgentStatistics", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    auto stats = engine_.GetAgentStatistics(request->tenant_id(), request->agent_id());
    if (!stats.ok()) return stats.status();
    ToProto(*stats, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetIntervalReport(
    grpc::CallbackServerContext* context, const v1::GetIntervalReportRequest* request,
    v1::IntervalReport* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.RoutingService/GetIntervalReport", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (!request->has_from()) return absl::InvalidArgumentError("from: required");
    if (!request->has_to()) return absl::InvalidArgumentError("to: required");
    auto report = engine_.GetIntervalReport(request->tenant_id(), FromProto(request->from()),
                                            FromProto(request->to()));
    if (!report.ok()) return report.status();
    ToProto(*report, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::UpsertAgent(grpc::CallbackServerContext* context,
                                                          const v1::UpsertAgentRequest* request,
                                                          v1::UpsertAgentResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/UpsertAgent",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) -> absl::Status {
    if (absl::Status s = CheckAgentConfig(request->agent(), "agent"); !s.ok()) return s;
    return engine_.UpsertAgent(request->tenant_id(), routing::FromProto(request->agent()), caller);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetAgent(grpc::CallbackServerContext* context,
                                                       const v1::GetAgentRequest* request,
                                                       v1::Agent* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/GetAgent",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    auto agent = engine_.GetAgent(request->tenant_id(), request->agent_id());
    if (!agent.ok()) return agent.status();
    ToProto(*agent, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::SetAgentPresence(
    grpc::CallbackServerContext* context, const v1::SetAgentPresenceRequest* request,
    v1::SetAgentPresenceResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.RoutingService/SetAgentPresence", request, response};
  return Unary(executor_, context, forwarding, [=, this] {
    return engine_.SetAgentPresence(request->tenant_id(), request->agent_id(),
                                    request->presence());
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::AcceptOffer(grpc::CallbackServerContext* context,
                                                          const v1::OfferAnswerRequest* request,
                                                          v1::Task* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/AcceptOffer",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->task_id(), "task_id"); !s.ok()) return s;
    const TaskId id(request->task_id());
    if (absl::Status s = engine_.AcceptOffer(request->tenant_id(), id, request->agent_id());
        !s.ok()) {
      return s;
    }
    return FillTask(engine_, request->tenant_id(), id, response);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::DeclineOffer(grpc::CallbackServerContext* context,
                                                           const v1::OfferAnswerRequest* request,
                                                           v1::Task* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/DeclineOffer",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->task_id(), "task_id"); !s.ok()) return s;
    const TaskId id(request->task_id());
    if (absl::Status s =
            engine_.DeclineOffer(request->tenant_id(), id, request->agent_id(), request->reason());
        !s.ok()) {
      return s;
    }
    return FillTask(engine_, request->tenant_id(), id, response);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::CompleteTask(grpc::CallbackServerContext* context,
                                                           const v1::CompleteTaskRequest* request,
                                                           v1::Task* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/CompleteTask",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->task_id(), "task_id"); !s.ok()) return s;
    const TaskId id(request->task_id());
    if (absl::Status s = engine_.CompleteTask(request->tenant_id(), id, request->agent_id());
        !s.ok()) {
      return s;
    }
    return FillTask(engine_, request->tenant_id(), id, response);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::TransferTask(grpc::CallbackServerContext* context,
                                                           const v1::TransferTaskRequest* request,
                                                           v1::Task* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/TransferTask",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->task_id(), "task_id"); !s.ok()) return s;
    TransferTarget target;
    if (request->has_queue_id()) target.queue = request->queue_id();
    if (request->has_agent_id()) target.agent = request->agent_id();
    if (target.queue.empty() && target.agent.empty()) {
      return absl::InvalidArgumentError("target: one of queue_id and agent_id is required");
    }
    auto id = engine_.TransferTask(request->tenant_id(), TaskId(request->task_id()), target,
                                   FromProto(request->actor()));
    if (!id.ok()) return id.status();
    return FillTask(engine_, request->tenant_id(), *id, response);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::AbandonTask(grpc::CallbackServerContext* context,
                                                          const v1::AbandonTaskRequest* request,
                                                          v1::Task* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/AbandonTask",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->task_id(), "task_id"); !s.ok()) return s;
    const TaskId id(request->task_id());
    if (absl::Status s = engine_.AbandonTask(request->tenant_id(), id); !s.ok()) return s;
    return FillTask(engine_, request->tenant_id(), id, response);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetTask(grpc::CallbackServerContext* context,
                                                      const v1::GetTaskRequest* request,
                                                      v1::Task* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/GetTask",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->task_id(), "task_id"); !s.ok()) return s;
    return FillTask(engine_, request->tenant_id(), TaskId(request->task_id()), response);
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetConversationRouting(
    grpc::CallbackServerContext* context, const v1::GetConversationRoutingRequest* request,
    v1::ConversationRouting* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.RoutingService/GetConversationRouting", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    auto routing = engine_.GetConversationRouting(request->tenant_id(),
                                                  ConversationId(request->conversation_id()));
    if (!routing.ok()) return routing.status();
    FillConversationRouting(engine_, request->tenant_id(), *routing, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingServiceImpl::RunDueTimers(grpc::CallbackServerContext* context,
                                                           const v1::RunDueTimersRequest* request,
                                                           v1::RunDueTimersResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.RoutingService/RunDueTimers",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    auto fired = engine_.RunDueTimers(request->tenant_id());
    if (!fired.ok()) return fired.status();
    response->set_fired(*fired);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------ commitments

grpc::ServerUnaryReactor* CommitmentServiceImpl::RecordCommitment(
    grpc::CallbackServerContext* context, const v1::RecordCommitmentRequest* request,
    v1::Commitment* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.CommitmentService/RecordCommitment", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    if (!request->has_due_at()) return absl::InvalidArgumentError("due_at: required");
    auto id = engine_.RecordCommitment(request->tenant_id(), FromProto(*request));
    if (!id.ok()) return id.status();
    return FillCommitment(engine_, request->tenant_id(), *id, response);
  });
}

grpc::ServerUnaryReactor* CommitmentServiceImpl::CloseCommitment(
    grpc::CallbackServerContext* context, const v1::CloseCommitmentRequest* request,
    v1::Commitment* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.CommitmentService/CloseCommitment", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->commitment_id(), "commitment_id"); !s.ok()) return s;
    const CommitmentId id(request->commitment_id());
    if (absl::Status s = engine_.CloseCommitment(request->tenant_id(), id, request->status(),
                                                 FromProto(request->actor()), request->reason());
        !s.ok()) {
      return s;
    }
    return FillCommitment(engine_, request->tenant_id(), id, response);
  });
}

grpc::ServerUnaryReactor* CommitmentServiceImpl::GetCommitment(
    grpc::CallbackServerContext* context, const v1::GetCommitmentRequest* request,
    v1::Commitment* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.CommitmentService/GetCommitment", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->commitment_id(), "commitment_id"); !s.ok()) return s;
    return FillCommitment(engine_, request->tenant_id(), CommitmentId(request->commitment_id()),
                          response);
  });
}

grpc::ServerUnaryReactor* CommitmentServiceImpl::ListCommitments(
    grpc::CallbackServerContext* context, const v1::ListCommitmentsRequest* request,
    v1::ListCommitmentsResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.CommitmentService/ListCommitments", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    auto list = engine_.ListCommitments(request->tenant_id(),
                                        ConversationId(request->conversation_id()));
    if (!list.ok()) return list.status();
    for (const CommitmentView& c : *list) ToProto(c, response->add_commitments());
    return absl::OkStatus();
  });
}

}  // namespace omniroute::service
