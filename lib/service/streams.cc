// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The server streams: the change feed (EventService.WatchEvents) and an
// agent's offers (RoutingService.StreamOffers). Both follow the tenant's
// ChangeFeed; the change feed first reads the past from the store.

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/convert.h"
#include "service/relay_stream.h"
#include "service/services.h"

namespace omniroute::service {
namespace {

using ::omniroute::v1::Event;

// Events read from the store per step of a catch-up, so that a watcher
// starting from the beginning of a long log does not hold it all in memory.
constexpr int kCatchUpChunk = 512;

// Turns an event into what the stream sends, or nothing (filtered out).
template <typename Out>
using Translate = std::function<std::optional<Out>(const Event&)>;

// A server stream that follows one tenant's events from `next_sequence` on.
// Writes one message at a time (gRPC allows one outstanding write); events
// that arrive meanwhile wait in the subscription.
template <typename Out>
class FeedWriter final : public grpc::ServerWriteReactor<Out> {
 public:
  // `subscription` is the tenant's, taken before the handler checked that
  // the tenant is served here.
  FeedWriter(grpc::CallbackServerContext* context, ChangeFeed& feed, std::string tenant,
             std::shared_ptr<Subscription> subscription, uint64_t next_sequence, EventStore* store,
             Translate<Out> translate, std::deque<Out> first, TenantLimiter::StreamSlot slot)
      : context_(context),
        feed_(feed),
        tenant_(std::move(tenant)),
        next_(next_sequence),
        store_(store),
        catching_up_(store != nullptr),
        translate_(std::move(translate)),
        outbox_(std::move(first)),
        subscription_(std::move(subscription)),
        token_(std::make_shared<Token>()),
        slot_(std::move(slot)) {
    token_->writer = this;
    std::weak_ptr<Token> token = token_;
    subscription_->SetWake([token] {
      if (std::shared_ptr<Token> t = token.lock()) {
        absl::MutexLock lock(&t->mu);
        if (t->writer != nullptr) t->writer->Pump(/*may_read_store=*/false);
      }
    });
    Pump(/*may_read_store=*/true);
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok && !finished_) {
        finished_ = true;
        finish_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed");
      }
    }
    if (!ok) {
      FinishOnce();
      return;
    }
    Pump(/*may_read_store=*/true);
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    Pump(/*may_read_store=*/false);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&token_->mu);
      token_->writer = nullptr;
    }
    feed_.Unsubscribe(tenant_, subscription_);
    delete this;
  }

 private:
  struct Token {
    absl::Mutex mu;
    FeedWriter* writer = nullptr;
  };

  // Starts the next write if none is in flight and there is something to
  // send; ends the stream when cancelled or fallen behind.
  void Pump(bool may_read_store) {
    Out* to_write = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (cancelled_) {
        finished_ = true;
        finish_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client");
      } else {
        Fill(may_read_store);
        if (!finished_ && !outbox_.empty()) {
          current_ = std::move(outbox_.front());
          outbox_.pop_front();
          writing_ = true;
          to_write = &current_;
        }
      }
    }
    if (to_write != nullptr) {
      this->StartWrite(to_write);
    } else {
      FinishOnce();
    }
  }

  void FinishOnce() {
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (!finished_ || finish_called_ || writing_) return;
      finish_called_ = true;
      status = finish_status_;
    }
    this->Finish(status);
  }

  void Fill(bool may_read_store) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (outbox_.empty()) {
      if (catching_up_) {
        if (!may_read_store) return;
        int read = 0;
        absl::Status s = store_->Read(tenant_, next_, [&](const Event& event) {
          Take(event);
          return ++read < kCatchUpChunk;
        });
        if (!s.ok()) {
          finished_ = true;
          finish_status_ = ToGrpcStatus(s);
          return;
        }
        if (read < kCatchUpChunk) catching_up_ = false;
        continue;
      }
      bool overflowed = false;
      absl::Status ended;
      std::deque<EventBatch> live = subscription_->Take(&overflowed, &ended);
      if (overflowed) {
        finished_ = true;
        finish_status_ = grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat("the stream fell too far behind the tenant's events; resume from "
                         "sequence ",
                         next_));
        return;
      }
      if (live.empty()) {
        if (!ended.ok()) {
          // The tenant left this node: everything it published here has
          // been sent; the client resumes from next_ where it is now.
          finished_ = true;
          finish_status_ = ToGrpcStatus(ended);
          AddOwnerHint(context_, ended);
        }
        return;
      }
      for (const EventBatch& batch : live) {
        for (const Event& event : *batch) {
          // Below next_: already read from the store.
          if (event.sequence() >= next_) Take(event);
        }
      }
    }
  }

  void Take(const Event& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    next_ = event.sequence() + 1;
    if (std::optional<Out> out = translate_(event)) outbox_.push_back(*std::move(out));
  }

  grpc::CallbackServerContext* const context_;
  ChangeFeed& feed_;
  const std::string tenant_;
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_);
  EventStore* const store_;
  bool catching_up_ ABSL_GUARDED_BY(mu_);
  Translate<Out> translate_;
  std::deque<Out> outbox_ ABSL_GUARDED_BY(mu_);
  Out current_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Subscription> subscription_;
  std::shared_ptr<Token> token_;
  // Counts the stream against its tenant's limit until OnDone deletes this.
  TenantLimiter::StreamSlot slot_;
};

// The agent an offer stream's event is about (offered, assigned, declined,
// expired, withdrawn), or null for the events no offer stream sends.
const std::string* AgentOf(const Event& event) {
  switch (event.payload_case()) {
    case Event::kTaskOffered:
      return &event.task_offered().agent_id();
    case Event::kTaskAssigned:
      return &event.task_assigned().agent_id();
    case Event::kOfferDeclined:
      return &event.offer_declined().agent_id();
    case Event::kOfferExpired:
      return &event.offer_expired().agent_id();
    case Event::kOfferWithdrawn:
      return &event.offer_withdrawn().agent_id();
    default:
      return nullptr;
  }
}

// The offer updates of one agent, from events alone: the stream's thread
// may be the committing one, which must not call back into the engine.
std::optional<v1::OfferUpdate> OfferUpdateOf(const Event& event, const std::string& agent,
                                             absl::flat_hash_set<uint64_t>& announced) {
  // Most events are not for this agent (each agent's stream sees all of
  // them): nothing is allocated until one is.
  std::optional<v1::OfferUpdate> update;
  auto start = [&]() -> v1::Task* {
    update.emplace();
    update->set_sequence(event.sequence());
    return update->mutable_task();
  };
  switch (event.payload_case()) {
    case Event::kTaskOffered: {
      const auto& e = event.task_offered();
      if (e.agent_id() != agent) return std::nullopt;
      // Already sent as pending when the stream opened.
      if (announced.erase(e.task_id()) > 0) return std::nullopt;
      v1::Task* task = start();
      update->set_kind(v1::OfferUpdate::KIND_OFFERED);
      task->set_task_id(e.task_id());
      task->set_conversation_id(e.conversation_id());
      task->set_channel(e.channel());
      task->set_queue_id(e.queue_id());
      task->set_status(v1::TASK_STATUS_OFFERED);
      v1::Offer* offer = task->mutable_offer();
      offer->set_agent_id(e.agent_id());
      *offer->mutable_offered_at() = event.time();
      *offer->mutable_expires_at() = e.expires_at();
      return update;
    }
    case Event::kTaskAssigned: {
      const auto& e = event.task_assigned();
      if (e.agent_id() != agent) return std::nullopt;
      announced.erase(e.task_id());
      v1::Task* task = start();
      update->set_kind(v1::OfferUpdate::KIND_ASSIGNED);
      task->set_task_id(e.task_id());
      task->set_conversation_id(e.conversation_id());
      task->set_channel(e.channel());
      task->set_status(v1::TASK_STATUS_ASSIGNED);
      task->set_agent_id(e.agent_id());
      return update;
    }
    case Event::kOfferDeclined:
    case Event::kOfferExpired:
    case Event::kOfferWithdrawn: {
      const uint64_t id = event.has_offer_declined()  ? event.offer_declined().task_id()
                          : event.has_offer_expired() ? event.offer_expired().task_id()
                                                      : event.offer_withdrawn().task_id();
      const std::string& who = event.has_offer_declined()  ? event.offer_declined().agent_id()
                               : event.has_offer_expired() ? event.offer_expired().agent_id()
                                                           : event.offer_withdrawn().agent_id();
      if (who != agent) return std::nullopt;
      announced.erase(id);
      v1::Task* task = start();
      update->set_kind(event.has_offer_declined()  ? v1::OfferUpdate::KIND_DECLINED
                       : event.has_offer_expired() ? v1::OfferUpdate::KIND_EXPIRED
                                                   : v1::OfferUpdate::KIND_WITHDRAWN);
      task->set_task_id(id);
      task->set_status(v1::TASK_STATUS_WAITING);
      return update;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

grpc::ServerWriteReactor<v1::Event>* EventServiceImpl::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  absl::StatusOr<TenantLimiter::StreamSlot> slot =
      AdmitStream(admission_, context, "/omniroute.v1.EventService/WatchEvents", request);
  if (!slot.ok()) return new FailedStream<v1::Event>(context, slot.status());
  const std::string& tenant = request->tenant_id();
  // Subscribed first: once the check below found the tenant here, the end
  // of its stay (ChangeFeed::End) reaches this subscription.
  std::shared_ptr<Subscription> subscription = feed_.Subscribe(tenant);
  absl::StatusOr<uint64_t> last = engine_.LastSequence(tenant);
  if (!last.ok()) {
    feed_.Unsubscribe(tenant, subscription);
    return RefusedStream<v1::Event>(
        forwarder_, context, last.status(),
        [request](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* client,
                  grpc::ClientReadReactor<v1::Event>* reactor) {
          v1::EventService::NewStub(channel)->async()->WatchEvents(client, request, reactor);
        },
        *std::move(slot));
  }
  const uint64_t from = std::max<uint64_t>(1, request->from_sequence());
  return new FeedWriter<v1::Event>(
      context, feed_, tenant, std::move(subscription), from, &store_,
      [](const Event& event) -> std::optional<v1::Event> {
        // The archive repeats what the feed carried already (and may
        // be large): the feed says which conversation left the working
        // set, its history is read with GetConversation and
        // GetTimeline.
        if (event.has_conversation_archived()) {
          v1::Event announced = event;
          announced.mutable_conversation_archived()->clear_archive();
          return announced;
        }
        return event;
      },
      {}, *std::move(slot));
}

grpc::ServerUnaryReactor* EventServiceImpl::GetLastSequence(
    grpc::CallbackServerContext* context, const v1::GetLastSequenceRequest* request,
    v1::GetLastSequenceResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.EventService/GetLastSequence",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    absl::StatusOr<uint64_t> last = engine_.LastSequence(request->tenant_id());
    if (!last.ok()) return last.status();
    response->set_sequence(*last);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::OfferUpdate>* RoutingServiceImpl::StreamOffers(
    grpc::CallbackServerContext* context, const v1::StreamOffersRequest* request) {
  absl::StatusOr<TenantLimiter::StreamSlot> slot =
      AdmitStream(admission_, context, "/omniroute.v1.RoutingService/StreamOffers", request);
  if (!slot.ok()) return new FailedStream<v1::OfferUpdate>(context, slot.status());
  const std::string& tenant = request->tenant_id();
  std::shared_ptr<Subscription> subscription =
      feed_.Subscribe(tenant, [agent_id = request->agent_id()](const Event& event) {
        const std::string* agent = AgentOf(event);
        return agent != nullptr && *agent == agent_id;
      });
  absl::StatusOr<uint64_t> last = engine_.LastSequence(tenant);
  if (!last.ok()) {
    feed_.Unsubscribe(tenant, subscription);
    return RefusedStream<v1::OfferUpdate>(
        forwarder_, context, last.status(),
        [request](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* client,
                  grpc::ClientReadReactor<v1::OfferUpdate>* reactor) {
          v1::RoutingService::NewStub(channel)->async()->StreamOffers(client, request, reactor);
        },
        *std::move(slot));
  }
  absl::StatusOr<AgentView> agent = engine_.GetAgent(tenant, request->agent_id());
  if (!agent.ok()) {
    feed_.Unsubscribe(tenant, subscription);
    return new FailedStream<v1::OfferUpdate>(context, agent.status());
  }
  // The offers pending now, read after `last`; the stream then reads the
  // events after `last` (from the store, then live), so an offer made in
  // between shows up both here and in the feed, and the feed's copy is
  // dropped.
  auto announced = std::make_shared<absl::flat_hash_set<uint64_t>>();
  std::deque<v1::OfferUpdate> first;
  for (TaskId id : agent->offered_tasks) {
    absl::StatusOr<TaskView> task = engine_.GetTask(tenant, id);
    if (!task.ok() || task->status != v1::TASK_STATUS_OFFERED) continue;
    v1::OfferUpdate& update = first.emplace_back();
    update.set_kind(v1::OfferUpdate::KIND_OFFERED);
    update.set_sequence(*last);
    ToProto(*task, update.mutable_task());
    announced->insert(id.value());
  }
  const std::string agent_id = request->agent_id();
  return new FeedWriter<v1::OfferUpdate>(
      context, feed_, tenant, std::move(subscription), *last + 1, &store_,
      [agent_id, announced](const Event& event) {
        return OfferUpdateOf(event, agent_id, *announced);
      },
      std::move(first), *std::move(slot));
}

}  // namespace omniroute::service
