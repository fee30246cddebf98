// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What each request of a load run is. The workload keeps a model of the
// customers it has created (their identities, their conversation and the
// channel it is on) and draws the next operation from it:
//
//   ping    DiagnosticsService.Ping with a small payload: the transport's
//           ceiling.
//   ingest  IngestMessage: 80% messages of customers already seen, on their
//           conversation (a reply references their previous message on the
//           channel), 20% first messages of new customers, across email,
//           chat, public and private social and SMS.
//   mixed   80% ingest as above (a quarter from new customers), 5%
//           LinkIdentity (a new identity, or in 40% of them another
//           customer's, which merges the two), 5% Handoff to another
//           channel, 10% GetConversation. Agents answering the offers run
//           beside it (agents.h).
//   offers  IngestMessage of new customers alone, on email and chat: each
//           operation opens a conversation whose task is routed at once, to
//           the agents answering beside it (agents.h). What routing over
//           the wire delivers: offers received per second, and the time
//           from a task's creation to its offer's arrival.
//   churn   Conversations opened and closed at a steady rate by a fixed
//           population of customers (--population): each conversation gets
//           a first message, one reply, then SetConversationStatus CLOSED,
//           and the customer's next message opens a new one. New customers
//           write in until the population is reached; after that the
//           tenant's customers stay as many while its history grows, which
//           is what a soak of the working set needs (benchmarks/soak.sh).
//
// A customer that an operation changes is held by it until its answer is
// in, so that no two operations race on one customer: every request is one
// the server must accept, and any error it answers is the server's.

#ifndef OMNIROUTE_TOOLS_LOAD_WORKLOAD_H_
#define OMNIROUTE_TOOLS_LOAD_WORKLOAD_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "omniroute/v1/service.pb.h"

namespace omniroute::load {

enum class WorkloadKind { kPing, kIngest, kMixed, kChurn, kOffers };

absl::StatusOr<WorkloadKind> ParseWorkload(absl::string_view name);
const char* WorkloadName(WorkloadKind kind);

// One operation: its first request, and the customers it holds.
struct Operation {
  enum class Kind {
    kPing,
    kIngestNew,       // The first message of a new customer.
    kIngestExisting,  // A known customer writes again.
    kLinkNew,         // A new identity for a known customer.
    kLinkMerge,       // Another customer's identity: the two merge.
    kHandoff,
    kRead,            // GetConversation.
    kClose,           // SetConversationStatus CLOSED (churn).
  };
  Kind kind = Kind::kPing;
  v1::PingRequest ping;
  v1::IngestMessageRequest ingest;
  v1::LinkIdentityRequest link;
  v1::HandoffRequest handoff;
  v1::GetConversationRequest read;
  v1::SetConversationStatusRequest close;
  // Indexes into the model; -1: none. Held until Finish().
  int customer = -1;
  int other = -1;
};

class Workload {
 public:
  // `seed` makes a run's sequence of operations repeatable; `population`
  // bounds the customers of the churn workload (the others ignore it).
  Workload(WorkloadKind kind, std::string tenant, uint64_t seed, int population = 10000);

  WorkloadKind kind() const { return kind_; }

  // Thread-safe: operations are drawn by many threads at once.
  Operation Next();

  // The answers, which update the model and release the customers held.
  // An operation that failed releases them unchanged.
  void FinishIngest(const Operation& op, bool ok, const v1::IngestMessageResponse& response);
  void FinishHandoff(const Operation& op, bool ok);
  void FinishRead(const Operation& op);
  void FinishClose(const Operation& op);
  // A merge leaves the survivor's conversation on a channel the model cannot
  // know (the thread most recently active decides), so it stays held and
  // the caller reads the conversation back: the request is returned, or
  // nullopt when the operation is over.
  std::optional<v1::GetConversationRequest> FinishLink(const Operation& op, bool ok,
                                                        const v1::LinkIdentityResponse& response);
  // The conversation read back after a merge (FinishLink).
  void FinishMergeRead(const Operation& op, bool ok, const v1::Conversation& conversation);

  // Customers known to the model (merged ones included), for the report.
  int64_t customers() const;

 private:
  struct Customer {
    uint64_t id = 0;
    uint64_t conversation = 0;
    // CHANNEL_UNSPECIFIED: not known (no handoff until it is).
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
    std::string email;  // Empty: none yet.
    std::string phone;
    std::string handle;
    bool has_crm = false;
    // The external id of the customer's last message, and its channel, for
    // the reference of a reply on the same channel.
    std::string last_external_id;
    v1::Channel last_channel = v1::CHANNEL_UNSPECIFIED;
    bool absorbed = false;
    // Churn: messages in the customer's open conversation; 0: none open.
    int open_messages = 0;
    // Position in idle_, or -1 while an operation holds it.
    int idle_position = -1;
  };

  Operation NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillNewIngest(Operation& op, v1::Channel channel) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FillExistingIngest(Operation& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A message of customers_[index], held already: a reply on its last
  // channel mostly, sometimes on another of its channels.
  void FillReply(Operation& op, int index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FillLinkNew(Operation& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FillLinkMerge(Operation& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FillHandoff(Operation& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FillRead(Operation& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FillChurn(Operation& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // A random idle customer, taken out of the idle set; -1 if none.
  int TakeIdle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(int index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Body() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NextExternalId(v1::Channel channel) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int Percent() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WorkloadKind kind_;
  const std::string tenant_;
  const int population_;
  mutable absl::Mutex mu_;
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  std::vector<Customer> customers_ ABSL_GUARDED_BY(mu_);
  std::vector<int> idle_ ABSL_GUARDED_BY(mu_);
  // Numbers behind the generated identities and external ids: unique within
  // the run, and the tenant is the run's own.
  uint64_t next_identity_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_message_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_WORKLOAD_H_
