// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/agents.h"

#include <chrono>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace omniroute::load {

class AgentStream : public grpc::ClientReadReactor<v1::OfferUpdate> {
 public:
  AgentStream(Driver& driver, const std::string& tenant, const std::string& agent_id,
              Clock::time_point end)
      : driver_(driver), tenant_(tenant), agent_id_(agent_id), end_(end) {
    request_.set_tenant_id(tenant);
    request_.set_agent_id(agent_id);
    // Each stream on a channel of its own turn, like the other calls.
    Stubs& stubs = driver_.connections().Next();
    stubs.routing->async()->StreamOffers(&context_, &request_, this);
    StartRead(&update_);
    StartCall();
  }

  void Cancel() {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    context_.TryCancel();
  }

  void WaitDone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  // Empty unless the stream ended before it was cancelled.
  std::string failure() const {
    absl::MutexLock lock(&mu_);
    return failure_;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // The stream is over; OnDone follows.
    if (update_.kind() == v1::OfferUpdate::KIND_OFFERED) {
      driver_.recorder().OfferArrived(update_.task().task_id(), Clock::now(),
                                      std::chrono::system_clock::now());
      Answer(update_.task().task_id(), update_.task().offer().offered_at());
    } else if (update_.kind() == v1::OfferUpdate::KIND_ASSIGNED) {
      // Work given without an offer (a handoff the agent keeps) takes their
      // capacity like any other: finish it, or the agent fills up and
      // stops taking offers.
      bool accepted_here = false;
      {
        absl::MutexLock lock(&mu_);
        accepted_here = accepted_.erase(update_.task().task_id()) > 0;
      }
      if (!accepted_here && Clock::now() < end_) Complete(update_.task().task_id());
    }
    StartRead(&update_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      failure_ = absl::StrCat("StreamOffers of ", agent_id_, " ended: ",
                              StatusCodeName(status.error_code()), " ", status.error_message());
      // Counted with the calls, so that the run fails as it should.
      driver_.recorder().Record(Rpc::kStreamOffers, Clock::now(), Clock::now(), status.ok()
                                    ? grpc::Status(grpc::StatusCode::UNKNOWN, "stream ended")
                                    : status);
    }
    done_ = true;
  }

 private:
  void Answer(uint64_t task_id, const google::protobuf::Timestamp& offered_at) {
    const Clock::time_point now = Clock::now();
    if (now >= end_) return;
    driver_.recorder().CountOffer(now);
    {
      absl::MutexLock lock(&mu_);
      accepted_.insert(task_id);
    }
    v1::OfferAnswerRequest accept;
    accept.set_tenant_id(tenant_);
    accept.set_task_id(task_id);
    accept.set_agent_id(agent_id_);
    Stubs* stubs = &driver_.connections().Next();
    driver_.Issue<v1::Task>(
        Rpc::kAcceptOffer, now, accept,
        [stubs](grpc::ClientContext* c, const v1::OfferAnswerRequest* q, v1::Task* r,
                std::function<void(grpc::Status)> f) {
          stubs->routing->async()->AcceptOffer(c, q, r, std::move(f));
        },
        [this, task_id, offered_at, now](const grpc::Status& status, const v1::Task&) {
          if (!status.ok()) {
            Explain(Rpc::kAcceptOffer, task_id, now, status, v1::TASK_STATUS_OFFERED, offered_at);
            return;
          }
          driver_.recorder().Record(Rpc::kAcceptOffer, now, Clock::now(), status);
          Complete(task_id);
        },
        /*record=*/false);
  }

  void Complete(uint64_t task_id) {
    const Clock::time_point now = Clock::now();
    v1::CompleteTaskRequest complete;
    complete.set_tenant_id(tenant_);
    complete.set_task_id(task_id);
    complete.set_agent_id(agent_id_);
    Stubs* stubs = &driver_.connections().Next();
    driver_.Issue<v1::Task>(
        Rpc::kCompleteTask, now, complete,
        [stubs](grpc::ClientContext* c, const v1::CompleteTaskRequest* q, v1::Task* r,
                std::function<void(grpc::Status)> f) {
          stubs->routing->async()->CompleteTask(c, q, r, std::move(f));
        },
        [this, task_id, now](const grpc::Status& status, const v1::Task&) {
          if (!status.ok()) {
            Explain(Rpc::kCompleteTask, task_id, now, status, v1::TASK_STATUS_ASSIGNED, {});
            return;
          }
          driver_.recorder().Record(Rpc::kCompleteTask, now, Clock::now(), status);
        },
        /*record=*/false);
  }

  // A refused answer: superseded if the task has moved on from this agent
  // (it is no longer in `expected` status with them; for an offer, no
  // longer the same offer), an error otherwise.
  void Explain(Rpc rpc, uint64_t task_id, Clock::time_point start, const grpc::Status& refusal,
               v1::TaskStatus expected, const google::protobuf::Timestamp& offered_at) {
    const Clock::time_point end = Clock::now();
    if (refusal.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
      driver_.recorder().Record(rpc, start, end, refusal);
      return;
    }
    v1::GetTaskRequest get;
    get.set_tenant_id(tenant_);
    get.set_task_id(task_id);
    Stubs* stubs = &driver_.connections().Next();
    driver_.Issue<v1::Task>(
        Rpc::kGetTask, Clock::now(), get,
        [stubs](grpc::ClientContext* c, const v1::GetTaskRequest* q, v1::Task* r,
                std::function<void(grpc::Status)> f) {
          stubs->routing->async()->GetTask(c, q, r, std::move(f));
        },
        [this, rpc, start, end, refusal, expected, offered_at](const grpc::Status& status,
                                                                const v1::Task& task) {
          const bool still_ours =
              expected == v1::TASK_STATUS_OFFERED
                  ? task.status() == expected && task.offer().agent_id() == agent_id_ &&
                        task.offer().offered_at().seconds() == offered_at.seconds() &&
                        task.offer().offered_at().nanos() == offered_at.nanos()
                  : task.status() == expected && task.agent_id() == agent_id_;
          driver_.recorder().Record(rpc, start, end, refusal,
                                    /*superseded=*/status.ok() && !still_ours);
        });
  }

  Driver& driver_;
  const std::string tenant_;
  const std::string agent_id_;
  const Clock::time_point end_;
  grpc::ClientContext context_;
  // Tasks this agent accepted: their ASSIGNED update needs nothing more.
  absl::flat_hash_set<uint64_t> accepted_ ABSL_GUARDED_BY(mu_);
  v1::StreamOffersRequest request_;
  v1::OfferUpdate update_;
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::string failure_ ABSL_GUARDED_BY(mu_);
};

Agents::Agents(Driver& driver, const std::string& tenant,
               const std::vector<std::string>& agent_ids, Clock::time_point end) {
  for (const std::string& id : agent_ids) {
    streams_.push_back(std::make_unique<AgentStream>(driver, tenant, id, end));
  }
}

Agents::~Agents() { Stop(); }

void Agents::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& stream : streams_) stream->Cancel();
  for (auto& stream : streams_) stream->WaitDone();
}

std::vector<std::string> Agents::failures() const {
  std::vector<std::string> all;
  for (const auto& stream : streams_) {
    if (std::string f = stream->failure(); !f.empty()) all.push_back(std::move(f));
  }
  return all;
}

}  // namespace omniroute::load
