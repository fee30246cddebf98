// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/workload.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace omniroute::load {
namespace {

// First messages by channel, in percent: email 30, chat 25, public social
// 15, private social 15, SMS 15.
v1::Channel NewCustomerChannel(int percent) {
  if (percent < 30) return v1::CHANNEL_EMAIL;
  if (percent < 55) return v1::CHANNEL_CHAT;
  if (percent < 70) return v1::CHANNEL_PUBLIC_SOCIAL;
  if (percent < 85) return v1::CHANNEL_PRIVATE_SOCIAL;
  return v1::CHANNEL_SMS;
}

// Where a handoff may send a conversation.
constexpr std::array<v1::Channel, 5> kHandoffChannels = {
    v1::CHANNEL_EMAIL, v1::CHANNEL_CHAT, v1::CHANNEL_SMS, v1::CHANNEL_VOICE,
    v1::CHANNEL_PRIVATE_SOCIAL};

constexpr std::array<absl::string_view, 6> kBodies = {
    "Hello, my order has not arrived yet and the tracking page has not moved for days.",
    "The jar I opened tonight was spoiled. Batch number on the lid: 4411.",
    "Any news? I wrote about this yesterday.",
    "I was charged twice for the same subscription this month, please refund one.",
    "Thanks, that works. One more question about the invoice address though.",
    "@brand your app logs me out every five minutes since the update, what is going on?",
};

}  // namespace

absl::StatusOr<WorkloadKind> ParseWorkload(absl::string_view name) {
  if (name == "ping") return WorkloadKind::kPing;
  if (name == "ingest") return WorkloadKind::kIngest;
  if (name == "mixed") return WorkloadKind::kMixed;
  if (name == "churn") return WorkloadKind::kChurn;
  if (name == "offers") return WorkloadKind::kOffers;
  return absl::InvalidArgumentError(
      absl::StrCat("--workload: \"", name, "\" must be ping, ingest, mixed, churn or offers"));
}

const char* WorkloadName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kPing:
      return "ping";
    case WorkloadKind::kIngest:
      return "ingest";
    case WorkloadKind::kMixed:
      return "mixed";
    case WorkloadKind::kChurn:
      return "churn";
    case WorkloadKind::kOffers:
      return "offers";
  }
  return "?";
}

Workload::Workload(WorkloadKind kind, std::string tenant, uint64_t seed, int population)
    : kind_(kind), tenant_(std::move(tenant)), population_(population), random_(seed) {}

Operation Workload::Next() {
  absl::MutexLock lock(&mu_);
  return NextLocked();
}

int64_t Workload::customers() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(customers_.size());
}

int Workload::Percent() { return static_cast<int>(random_() % 100); }

Operation Workload::NextLocked() {
  Operation op;
  if (kind_ == WorkloadKind::kPing) {
    op.kind = Operation::Kind::kPing;
    op.ping.set_payload(std::string(32, 'p'));
    return op;
  }
  const int percent = Percent();
  bool filled = false;
  if (kind_ == WorkloadKind::kOffers) {
    FillNewIngest(op, percent < 50 ? v1::CHANNEL_EMAIL : v1::CHANNEL_CHAT);
    return op;
  }
  if (kind_ == WorkloadKind::kChurn) {
    // Half new customers until the population is reached, none after.
    const bool grow = static_cast<int64_t>(customers_.size()) < population_ && percent < 50;
    filled = !grow && FillChurn(op);
  } else if (kind_ == WorkloadKind::kIngest) {
    filled = percent >= 20 && FillExistingIngest(op);
  } else if (percent < 80) {
    filled = Percent() >= 25 && FillExistingIngest(op);
  } else if (percent < 85) {
    filled = Percent() < 40 ? FillLinkMerge(op) : FillLinkNew(op);
  } else if (percent < 90) {
    filled = FillHandoff(op);
  } else {
    filled = FillRead(op);
  }
  // Until the model has idle customers of the right kind, new customers
  // write in.
  if (!filled) FillNewIngest(op, NewCustomerChannel(Percent()));
  return op;
}

int Workload::TakeIdle() {
  if (idle_.empty()) return -1;
  const size_t at = random_() % idle_.size();
  const int index = idle_[at];
  idle_[at] = idle_.back();
  customers_[idle_[at]].idle_position = static_cast<int>(at);
  idle_.pop_back();
  customers_[index].idle_position = -1;
  return index;
}

void Workload::Release(int index) {
  if (index < 0) return;
  Customer& c = customers_[index];
  if (c.absorbed || c.id == 0 || c.idle_position >= 0) return;
  c.idle_position = static_cast<int>(idle_.size());
  idle_.push_back(index);
}

std::string Workload::Body() { return std::string(kBodies[random_() % kBodies.size()]); }

std::string Workload::NextExternalId(v1::Channel channel) {
  const uint64_t n = next_message_++;
  // Shaped as the channels shape them; unique within the run.
  if (channel == v1::CHANNEL_EMAIL) return absl::StrCat("<m", n, "@mail.load.example>");
  return absl::StrCat(v1::Channel_Name(channel), "-", n);
}

void Workload::FillNewIngest(Operation& op, v1::Channel channel) {
  op.kind = Operation::Kind::kIngestNew;
  op.customer = static_cast<int>(customers_.size());
  Customer& c = customers_.emplace_back();
  const uint64_t n = next_identity_++;
  v1::IngestMessageRequest& r = op.ingest;
  r.set_tenant_id(tenant_);
  r.set_channel(channel);
  switch (channel) {
    case v1::CHANNEL_EMAIL:
    case v1::CHANNEL_CHAT:
      c.email = absl::StrCat("customer", n, "@load.example");
      r.mutable_sender()->set_kind(v1::IDENTITY_KIND_EMAIL);
      r.mutable_sender()->set_value(c.email);
      break;
    case v1::CHANNEL_SMS:
      c.phone = absl::StrFormat("+336%08d", n % 100000000);
      r.mutable_sender()->set_kind(v1::IDENTITY_KIND_PHONE);
      r.mutable_sender()->set_value(c.phone);
      break;
    default:
      c.handle = absl::StrCat("@load_", n);
      r.mutable_sender()->set_kind(v1::IDENTITY_KIND_SOCIAL_HANDLE);
      r.mutable_sender()->set_network("x");
      r.mutable_sender()->set_value(c.handle);
      break;
  }
  r.mutable_profile()->set_display_name(absl::StrCat("Customer ", n));
  r.mutable_profile()->set_language(Percent() < 70 ? "en" : "fr");
  if (channel == v1::CHANNEL_PUBLIC_SOCIAL) {
    r.mutable_profile()->set_reach(static_cast<int64_t>(random_() % 100000));
  }
  r.set_external_id(NextExternalId(channel));
  r.set_body(Body());
}

bool Workload::FillExistingIngest(Operation& op) {
  const int index = TakeIdle();
  if (index < 0) return false;
  FillReply(op, index);
  return true;
}

void Workload::FillReply(Operation& op, int index) {
  Customer& c = customers_[index];
  // The channels this customer can write on, with the identity each uses.
  struct Option {
    v1::Channel channel;
    v1::IdentityKind kind;
    const std::string* value;
  };
  std::vector<Option> options;
  if (!c.email.empty()) {
    options.push_back({v1::CHANNEL_EMAIL, v1::IDENTITY_KIND_EMAIL, &c.email});
    options.push_back({v1::CHANNEL_CHAT, v1::IDENTITY_KIND_EMAIL, &c.email});
  }
  if (!c.phone.empty()) options.push_back({v1::CHANNEL_SMS, v1::IDENTITY_KIND_PHONE, &c.phone});
  if (!c.handle.empty()) {
    options.push_back({v1::CHANNEL_PUBLIC_SOCIAL, v1::IDENTITY_KIND_SOCIAL_HANDLE, &c.handle});
    options.push_back({v1::CHANNEL_PRIVATE_SOCIAL, v1::IDENTITY_KIND_SOCIAL_HANDLE, &c.handle});
  }
  // Mostly a reply on the channel of the last message; sometimes the
  // customer moves (continuity joins the thread and records the handoff).
  const Option* chosen = &options[random_() % options.size()];
  if (Percent() < 75) {
    for (const Option& o : options) {
      if (o.channel == c.last_channel) chosen = &o;
    }
  }
  op.kind = Operation::Kind::kIngestExisting;
  op.customer = index;
  v1::IngestMessageRequest& r = op.ingest;
  r.set_tenant_id(tenant_);
  r.set_channel(chosen->channel);
  r.mutable_sender()->set_kind(chosen->kind);
  if (chosen->kind == v1::IDENTITY_KIND_SOCIAL_HANDLE) r.mutable_sender()->set_network("x");
  r.mutable_sender()->set_value(*chosen->value);
  r.set_external_id(NextExternalId(chosen->channel));
  if (chosen->channel == c.last_channel && !c.last_external_id.empty()) {
    r.add_references(c.last_external_id);
  }
  r.set_body(Body());
}

bool Workload::FillLinkNew(Operation& op) {
  const int index = TakeIdle();
  if (index < 0) return false;
  Customer& c = customers_[index];
  const uint64_t n = next_identity_++;
  op.kind = Operation::Kind::kLinkNew;
  op.customer = index;
  v1::LinkIdentityRequest& r = op.link;
  r.set_tenant_id(tenant_);
  r.set_customer_id(c.id);
  r.mutable_actor()->set_kind(v1::ACTOR_KIND_AGENT);
  r.mutable_actor()->set_id("load-agent-0");
  r.set_mode(v1::LINK_MODE_EXPLICIT);
  v1::RawIdentity* identity = r.mutable_identity();
  if (c.phone.empty()) {
    identity->set_kind(v1::IDENTITY_KIND_PHONE);
    identity->set_value(absl::StrFormat("+336%08d", n % 100000000));
  } else if (c.email.empty()) {
    identity->set_kind(v1::IDENTITY_KIND_EMAIL);
    identity->set_value(absl::StrCat("customer", n, "@load.example"));
  } else if (c.handle.empty()) {
    identity->set_kind(v1::IDENTITY_KIND_SOCIAL_HANDLE);
    identity->set_network("x");
    identity->set_value(absl::StrCat("@load_", n));
  } else {
    // Every channel's identity is known: the CRM's account number.
    identity->set_kind(v1::IDENTITY_KIND_CRM_ID);
    identity->set_network("crm");
    identity->set_value(absl::StrCat("acct-", n));
  }
  return true;
}

bool Workload::FillLinkMerge(Operation& op) {
  if (idle_.size() < 2) return false;
  const int a = TakeIdle();
  const int b = TakeIdle();
  const Customer& other = customers_[b];
  op.kind = Operation::Kind::kLinkMerge;
  op.customer = a;
  op.other = b;
  v1::LinkIdentityRequest& r = op.link;
  r.set_tenant_id(tenant_);
  r.set_customer_id(customers_[a].id);
  r.mutable_actor()->set_kind(v1::ACTOR_KIND_AGENT);
  r.mutable_actor()->set_id("load-agent-0");
  r.set_mode(v1::LINK_MODE_EXPLICIT);
  // The other customer's identity: an agent recognised them as one person.
  v1::RawIdentity* identity = r.mutable_identity();
  if (!other.email.empty()) {
    identity->set_kind(v1::IDENTITY_KIND_EMAIL);
    identity->set_value(other.email);
  } else if (!other.phone.empty()) {
    identity->set_kind(v1::IDENTITY_KIND_PHONE);
    identity->set_value(other.phone);
  } else {
    identity->set_kind(v1::IDENTITY_KIND_SOCIAL_HANDLE);
    identity->set_network("x");
    identity->set_value(other.handle);
  }
  return true;
}

bool Workload::FillHandoff(Operation& op) {
  const int index = TakeIdle();
  if (index < 0) return false;
  Customer& c = customers_[index];
  if (c.channel == v1::CHANNEL_UNSPECIFIED || c.conversation == 0) {
    Release(index);
    return false;
  }
  v1::Channel to = c.channel;
  while (to == c.channel) to = kHandoffChannels[random_() % kHandoffChannels.size()];
  op.kind = Operation::Kind::kHandoff;
  op.customer = index;
  v1::HandoffRequest& r = op.handoff;
  r.set_tenant_id(tenant_);
  r.set_conversation_id(c.conversation);
  r.set_to_channel(to);
  r.set_reason(to == v1::CHANNEL_VOICE ? "the customer asked to be called" : "moved by the agent");
  r.mutable_actor()->set_kind(v1::ACTOR_KIND_AGENT);
  r.mutable_actor()->set_id("load-agent-0");
  return true;
}

bool Workload::FillRead(Operation& op) {
  // A read changes nothing, so it holds no customer: any known one will do.
  if (idle_.empty()) return false;
  const Customer& c = customers_[idle_[random_() % idle_.size()]];
  op.kind = Operation::Kind::kRead;
  op.read.set_tenant_id(tenant_);
  op.read.set_conversation_id(c.conversation);
  return true;
}

void Workload::FinishIngest(const Operation& op, bool ok,
                            const v1::IngestMessageResponse& response) {
  absl::MutexLock lock(&mu_);
  Customer& c = customers_[op.customer];
  if (!ok) {
    // A failed first message leaves no customer behind that the model can
    // name; a failed reply may or may not have moved the conversation.
    if (op.kind == Operation::Kind::kIngestNew) {
      c.absorbed = true;
      return;
    }
    c.channel = v1::CHANNEL_UNSPECIFIED;
    Release(op.customer);
    return;
  }
  c.id = response.customer_id();
  c.open_messages = c.conversation == response.conversation_id() ? c.open_messages + 1 : 1;
  c.conversation = response.conversation_id();
  // The conversation is on the channel of its latest message: a message on
  // another channel hands it off there.
  c.channel = op.ingest.channel();
  c.last_channel = op.ingest.channel();
  c.last_external_id = op.ingest.external_id();
  Release(op.customer);
}

void Workload::FinishHandoff(const Operation& op, bool ok) {
  absl::MutexLock lock(&mu_);
  Customer& c = customers_[op.customer];
  // A call that failed may still have been applied (a deadline): the
  // channel is then unknown.
  c.channel = ok ? op.handoff.to_channel() : v1::CHANNEL_UNSPECIFIED;
  Release(op.customer);
}

void Workload::FinishRead(const Operation&) {}

bool Workload::FillChurn(Operation& op) {
  if (idle_.empty()) return false;
  const int index = TakeIdle();
  Customer& c = customers_[index];
  if (c.open_messages < 2) {
    // The reply, or the first message of the customer's next conversation
    // (its reference names a closed conversation's message, which threading
    // does not join).
    FillReply(op, index);
    return true;
  }
  op.kind = Operation::Kind::kClose;
  op.customer = index;
  v1::SetConversationStatusRequest& r = op.close;
  r.set_tenant_id(tenant_);
  r.set_conversation_id(c.conversation);
  r.set_status(v1::CONVERSATION_STATUS_CLOSED);
  r.mutable_actor()->set_kind(v1::ACTOR_KIND_AGENT);
  r.mutable_actor()->set_id("load-agent-0");
  return true;
}

void Workload::FinishClose(const Operation& op) {
  absl::MutexLock lock(&mu_);
  // Even a close that failed may have been applied (a deadline): the next
  // message's answer says whether it opened a new conversation.
  customers_[op.customer].open_messages = 0;
  Release(op.customer);
}

std::optional<v1::GetConversationRequest> Workload::FinishLink(
    const Operation& op, bool ok, const v1::LinkIdentityResponse& response) {
  absl::MutexLock lock(&mu_);
  Customer& a = customers_[op.customer];
  if (op.kind == Operation::Kind::kLinkNew) {
    if (ok) {
      const v1::RawIdentity& identity = op.link.identity();
      switch (identity.kind()) {
        case v1::IDENTITY_KIND_PHONE:
          a.phone = identity.value();
          break;
        case v1::IDENTITY_KIND_EMAIL:
          a.email = identity.value();
          break;
        case v1::IDENTITY_KIND_SOCIAL_HANDLE:
          a.handle = identity.value();
          break;
        default:
          a.has_crm = true;
          break;
      }
    }
    Release(op.customer);
    return std::nullopt;
  }
  Customer& b = customers_[op.other];
  if (!ok) {
    // Perhaps merged, perhaps not: neither is used for handoffs again.
    a.channel = v1::CHANNEL_UNSPECIFIED;
    b.channel = v1::CHANNEL_UNSPECIFIED;
    Release(op.customer);
    Release(op.other);
    return std::nullopt;
  }
  const bool a_survives = response.customer_id() == a.id;
  Customer& survivor = a_survives ? a : b;
  Customer& absorbed = a_survives ? b : a;
  // The survivor answers to the identities of both now.
  if (survivor.email.empty()) survivor.email = absorbed.email;
  if (survivor.phone.empty()) survivor.phone = absorbed.phone;
  if (survivor.handle.empty()) survivor.handle = absorbed.handle;
  absorbed.absorbed = true;
  const int survivor_index = a_survives ? op.customer : op.other;
  if (response.merged_threads().empty()) {
    // Two open conversations for one customer: which one a message joins
    // is the server's choice, so the model no longer hands off either.
    survivor.channel = v1::CHANNEL_UNSPECIFIED;
    Release(survivor_index);
    return std::nullopt;
  }
  survivor.conversation = response.merged_threads(0).target_conversation_id();
  survivor.channel = v1::CHANNEL_UNSPECIFIED;
  v1::GetConversationRequest read;
  read.set_tenant_id(tenant_);
  read.set_conversation_id(survivor.conversation);
  return read;
}

void Workload::FinishMergeRead(const Operation& op, bool ok,
                               const v1::Conversation& conversation) {
  absl::MutexLock lock(&mu_);
  const int survivor_index =
      customers_[op.customer].absorbed ? op.other : op.customer;
  Customer& survivor = customers_[survivor_index];
  if (ok) {
    survivor.conversation = conversation.conversation_id();
    survivor.channel = conversation.channel();
  }
  Release(survivor_index);
}

}  // namespace omniroute::load
