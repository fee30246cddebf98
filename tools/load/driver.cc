// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/driver.h"

#include <random>
#include <thread>

#include "absl/time/time.h"

namespace omniroute::load {
namespace {

// How deep closed-loop slots may nest on one thread before the next
// operation is handed to the loop's thread.
constexpr int kMaxSlotDepth = 4;
thread_local int slot_depth = 0;

}  // namespace

void Driver::Begin() {
  absl::MutexLock lock(&mu_);
  ++in_flight_;
}

void Driver::End() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

void Driver::Drain() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

void Driver::Execute(Operation op, Clock::time_point start, std::function<void()> done) {
  Stubs* stubs = &connections_.Next();
  auto shared = std::make_shared<Operation>(std::move(op));
  switch (shared->kind) {
    case Operation::Kind::kPing:
      Issue<v1::PingResponse>(
          Rpc::kPing, start, shared->ping,
          [stubs](grpc::ClientContext* c, const v1::PingRequest* q, v1::PingResponse* r,
                  std::function<void(grpc::Status)> f) {
            stubs->diagnostics->async()->Ping(c, q, r, std::move(f));
          },
          [done](const grpc::Status&, const v1::PingResponse&) { done(); });
      return;
    case Operation::Kind::kIngestNew:
    case Operation::Kind::kIngestExisting:
      Issue<v1::IngestMessageResponse>(
          Rpc::kIngestMessage, start, shared->ingest,
          [stubs](grpc::ClientContext* c, const v1::IngestMessageRequest* q,
                  v1::IngestMessageResponse* r, std::function<void(grpc::Status)> f) {
            stubs->conversations->async()->IngestMessage(c, q, r, std::move(f));
          },
          [this, shared, done](const grpc::Status& status, const v1::IngestMessageResponse& r) {
            if (status.ok() && r.task().task_id() != 0) {
              const google::protobuf::Timestamp& created = r.task().created_at();
              recorder_.TaskCreated(
                  r.task().task_id(),
                  std::chrono::system_clock::time_point(
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::chrono::seconds(created.seconds()) +
                          std::chrono::nanoseconds(created.nanos()))));
            }
            workload_.FinishIngest(*shared, status.ok(), r);
            done();
          });
      return;
    case Operation::Kind::kLinkNew:
    case Operation::Kind::kLinkMerge:
      Issue<v1::LinkIdentityResponse>(
          Rpc::kLinkIdentity, start, shared->link,
          [stubs](grpc::ClientContext* c, const v1::LinkIdentityRequest* q,
                  v1::LinkIdentityResponse* r, std::function<void(grpc::Status)> f) {
            stubs->customers->async()->LinkIdentity(c, q, r, std::move(f));
          },
          [this, stubs, shared, done](const grpc::Status& status,
                                      const v1::LinkIdentityResponse& r) {
            std::optional<v1::GetConversationRequest> read =
                workload_.FinishLink(*shared, status.ok(), r);
            if (!read.has_value()) {
              done();
              return;
            }
            Issue<v1::Conversation>(
                Rpc::kGetConversation, Clock::now(), *std::move(read),
                [stubs](grpc::ClientContext* c, const v1::GetConversationRequest* q,
                        v1::Conversation* r, std::function<void(grpc::Status)> f) {
                  stubs->conversations->async()->GetConversation(c, q, r, std::move(f));
                },
                [this, shared, done](const grpc::Status& status, const v1::Conversation& r) {
                  workload_.FinishMergeRead(*shared, status.ok(), r);
                  done();
                });
          });
      return;
    case Operation::Kind::kHandoff:
      Issue<v1::HandoffResponse>(
          Rpc::kHandoff, start, shared->handoff,
          [stubs](grpc::ClientContext* c, const v1::HandoffRequest* q, v1::HandoffResponse* r,
                  std::function<void(grpc::Status)> f) {
            stubs->conversations->async()->Handoff(c, q, r, std::move(f));
          },
          [this, shared, done](const grpc::Status& status, const v1::HandoffResponse&) {
            workload_.FinishHandoff(*shared, status.ok());
            done();
          });
      return;
    case Operation::Kind::kClose:
      Issue<v1::SetConversationStatusResponse>(
          Rpc::kSetConversationStatus, start, shared->close,
          [stubs](grpc::ClientContext* c, const v1::SetConversationStatusRequest* q,
                  v1::SetConversationStatusResponse* r, std::function<void(grpc::Status)> f) {
            stubs->conversations->async()->SetConversationStatus(c, q, r, std::move(f));
          },
          [this, shared, done](const grpc::Status&, const v1::SetConversationStatusResponse&) {
            workload_.FinishClose(*shared);
            done();
          });
      return;
    case Operation::Kind::kRead:
      Issue<v1::Conversation>(
          Rpc::kGetConversation, start, shared->read,
          [stubs](grpc::ClientContext* c, const v1::GetConversationRequest* q,
                  v1::Conversation* r, std::function<void(grpc::Status)> f) {
            stubs->conversations->async()->GetConversation(c, q, r, std::move(f));
          },
          [this, shared, done](const grpc::Status&, const v1::Conversation&) {
            workload_.FinishRead(*shared);
            done();
          });
      return;
  }
}

void Driver::StartSlot(Clock::time_point end) {
  const Clock::time_point now = Clock::now();
  if (now >= end) {
    absl::MutexLock lock(&mu_);
    --open_operations_;
    return;
  }
  Execute(workload_.Next(), now, [this, end] {
    if (slot_depth >= kMaxSlotDepth) {
      absl::MutexLock lock(&mu_);
      ++deferred_slots_;
      return;
    }
    ++slot_depth;
    StartSlot(end);
    --slot_depth;
  });
}

void Driver::RunClosedLoop(int concurrency, Clock::time_point end) {
  {
    absl::MutexLock lock(&mu_);
    open_operations_ = concurrency;
  }
  for (int i = 0; i < concurrency; ++i) StartSlot(end);
  for (;;) {
    int64_t deferred = 0;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return deferred_slots_ > 0 || open_operations_ == 0;
      };
      mu_.Await(absl::Condition(&ready));
      if (deferred_slots_ == 0) break;  // Every slot has ended.
      deferred = deferred_slots_;
      deferred_slots_ = 0;
    }
    for (int64_t i = 0; i < deferred; ++i) StartSlot(end);
  }
  Drain();
}

void Driver::RunOpenLoop(double rate, bool poisson, Clock::time_point end, int max_in_flight,
                         uint64_t seed) {
  std::mt19937_64 random(seed);
  std::exponential_distribution<double> gap(rate);
  const auto even = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / rate));
  Clock::time_point next = Clock::now();
  while (next < end) {
    std::this_thread::sleep_until(next);
    {
      absl::MutexLock lock(&mu_);
      if (open_operations_ >= max_in_flight) {
        delayed_starts_.fetch_add(1);
        auto room = [this, max_in_flight]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return open_operations_ < max_in_flight;
        };
        mu_.Await(absl::Condition(&room));
      }
      ++open_operations_;
    }
    // Intended start: the schedule's, not the moment the call went out.
    Execute(workload_.Next(), next, [this] {
      absl::MutexLock lock(&mu_);
      --open_operations_;
    });
    next += poisson ? std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(gap(random)))
                    : even;
  }
  Drain();
}

}  // namespace omniroute::load
