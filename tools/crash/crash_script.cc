// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "crash/crash_script.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace omniroute::crash {
namespace {

namespace v1 = ::omniroute::v1;

// People who write again and again, each with an email address, a social
// handle and a phone number (three customers until something links them).
constexpr uint64_t kPoolSize = 25;
// The channels pool people write on.
constexpr std::array<Channel, 7> kPoolChannels = {
    v1::CHANNEL_EMAIL, v1::CHANNEL_CHAT,  v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL,
    v1::CHANNEL_SMS,   v1::CHANNEL_VOICE, v1::CHANNEL_MESSAGING};
// The census stops listing problems after this many.
constexpr size_t kMaxProblems = 40;

// SplitMix64: spreads consecutive command numbers over people and channels.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

RawIdentity MergeHandle(uint64_t n) {
  return {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", absl::StrCat("merge", n)};
}

Actor AgentFor(uint64_t n) { return Actor::Agent(absl::StrCat("agent-", n % 5)); }

// The live conversation that holds message "cmd-<m>" of ingest command m,
// found from its sender: FindCustomer, ListConversations, GetTimeline.
absl::StatusOr<ConversationView> ConversationOfIngest(const Engine& engine, uint64_t m) {
  const InboundMessage message = InboundOf(m);
  absl::StatusOr<CustomerView> sender = engine.FindCustomer(kTenant, message.sender);
  if (!sender.ok()) return sender.status();
  absl::StatusOr<std::vector<ConversationView>> conversations =
      engine.ListConversations(kTenant, sender->id);
  if (!conversations.ok()) return conversations.status();
  for (const ConversationView& c : *conversations) {
    absl::StatusOr<std::vector<TimelineEntry>> timeline = engine.GetTimeline(kTenant, c.id);
    if (!timeline.ok()) return timeline.status();
    for (const TimelineEntry& e : *timeline) {
      if (e.message && e.message->external_id == message.external_id &&
          e.message->channel == message.channel) {
        return c;
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("no conversation of ", ToString(sender->id),
                                          " holds ", message.external_id));
}

// Collects the census's problems, up to kMaxProblems.
class Problems {
 public:
  explicit Problems(std::vector<std::string>* out) : out_(out) {}
  ~Problems() {
    if (dropped_ > 0) out_->push_back(absl::StrCat("... and ", dropped_, " more problems"));
  }
  template <typename... Args>
  void Add(const Args&... args) {
    if (out_->size() < kMaxProblems) {
      out_->push_back(absl::StrCat(args...));
    } else {
      ++dropped_;
    }
  }

 private:
  std::vector<std::string>* out_;
  uint64_t dropped_ = 0;
};

}  // namespace

CommandKind KindOf(uint64_t n) {
  switch (n % 10) {
    case 0:
      return CommandKind::kIngestNewCustomer;
    case 3:
      return CommandKind::kOutbound;
    case 4:
      return CommandKind::kIngestMergeCandidate;
    case 5:
      return CommandKind::kHandoff;
    case 7:
      return CommandKind::kLink;
    default:
      return CommandKind::kIngestPool;
  }
}

bool IsIngest(CommandKind kind) {
  return kind == CommandKind::kIngestNewCustomer || kind == CommandKind::kIngestPool ||
         kind == CommandKind::kIngestMergeCandidate;
}

absl::string_view KindName(CommandKind kind) {
  switch (kind) {
    case CommandKind::kIngestNewCustomer:
      return "ingest (new customer)";
    case CommandKind::kIngestPool:
      return "ingest";
    case CommandKind::kOutbound:
      return "outbound";
    case CommandKind::kIngestMergeCandidate:
      return "ingest (merge candidate)";
    case CommandKind::kHandoff:
      return "handoff";
    case CommandKind::kLink:
      return "link";
  }
  return "?";
}

std::string TraceOf(uint64_t n) { return absl::StrCat("cmd-", n); }

std::optional<uint64_t> ParseTrace(absl::string_view text) {
  uint64_t n = 0;
  if (!absl::ConsumePrefix(&text, "cmd-") || !absl::SimpleAtoi(text, &n) || n == 0 ||
      text != absl::StrCat(n)) {
    return std::nullopt;
  }
  return n;
}

std::string BodyOf(uint64_t n) {
  return absl::StrCat("command ", n, ": ", KindName(KindOf(n)));
}

InboundMessage InboundOf(uint64_t n) {
  InboundMessage message;
  message.external_id = TraceOf(n);
  message.body = BodyOf(n);
  switch (KindOf(n)) {
    case CommandKind::kIngestNewCustomer:
      message.channel = v1::CHANNEL_EMAIL;
      message.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("New", n, "@Example.com")};
      message.profile = {absl::StrCat("New customer ", n), "en", 0};
      return message;
    case CommandKind::kIngestMergeCandidate:
      message.channel = v1::CHANNEL_PUBLIC_SOCIAL;
      message.sender = MergeHandle(n);
      message.profile = {absl::StrCat("Handle ", n), "fr", static_cast<int64_t>(n)};
      return message;
    default:
      break;
  }
  const uint64_t mix = Mix(n);
  const uint64_t person = mix % kPoolSize;
  message.channel = kPoolChannels[(mix >> 16) % kPoolChannels.size()];
  message.profile = {absl::StrCat("Person ", person), "en", 0};
  switch (message.channel) {
    case v1::CHANNEL_EMAIL:
    case v1::CHANNEL_CHAT:
      message.sender = {v1::IDENTITY_KIND_EMAIL, "",
                        absl::StrCat(" person", person, "@example.com")};
      break;
    case v1::CHANNEL_PUBLIC_SOCIAL:
    case v1::CHANNEL_PRIVATE_SOCIAL:
      message.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "X", absl::StrCat("@Person", person)};
      message.profile.reach = static_cast<int64_t>(100 * person);
      break;
    default:
      message.sender = {v1::IDENTITY_KIND_PHONE, "",
                        absl::StrFormat("+33 6 12 34 %02d %02d", person, person)};
      break;
  }
  if (message.channel == v1::CHANNEL_PRIVATE_SOCIAL) {
    message.thread_key = absl::StrCat("dm-person", person);
  } else if (message.channel == v1::CHANNEL_VOICE) {
    message.thread_key = absl::StrCat("call-", n);
  }
  return message;
}

absl::Status Run(Engine& engine, uint64_t n) {
  switch (KindOf(n)) {
    case CommandKind::kIngestNewCustomer:
    case CommandKind::kIngestPool:
    case CommandKind::kIngestMergeCandidate: {
      absl::StatusOr<IngestResult> result = engine.IngestMessage(kTenant, InboundOf(n));
      if (!result.ok()) return result.status();
      if (result->duplicate) {
        return absl::InternalError(absl::StrCat(TraceOf(n), " was already stored"));
      }
      return absl::OkStatus();
    }
    case CommandKind::kOutbound: {
      absl::StatusOr<ConversationView> c = ConversationOfIngest(engine, n - 1);
      if (!c.ok()) return c.status();
      OutboundMessage message;
      message.conversation = c->id;
      message.channel = c->channel;
      message.external_id = TraceOf(n);
      message.body = BodyOf(n);
      message.agent_id = AgentFor(n).id;
      return engine.RecordOutbound(kTenant, message).status();
    }
    case CommandKind::kHandoff: {
      absl::StatusOr<ConversationView> c = ConversationOfIngest(engine, n - 1);
      if (!c.ok()) return c.status();
      const Channel to =
          c->channel == v1::CHANNEL_PRIVATE_SOCIAL ? v1::CHANNEL_EMAIL : v1::CHANNEL_PRIVATE_SOCIAL;
      return engine.Handoff(kTenant, c->id, to, TraceOf(n), AgentFor(n));
    }
    case CommandKind::kLink: {
      absl::StatusOr<CustomerView> anchor = engine.FindCustomer(kTenant, InboundOf(n - 1).sender);
      if (!anchor.ok()) return anchor.status();
      absl::StatusOr<LinkResult> linked =
          engine.LinkIdentity(kTenant, anchor->id, MergeHandle(n - 3), AgentFor(n));
      if (!linked.ok()) return linked.status();
      if (!linked->absorbed.has_value()) {
        return absl::InternalError(absl::StrCat(TraceOf(n), ": the link merged no customer"));
      }
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown command kind");
}

bool ArchivesAfter(uint64_t n) { return n > 0 && n % 10 == 0; }

absl::Status CloseAndArchive(Engine& engine, uint64_t n) {
  for (uint64_t m : {n, n - 1}) {
    if (m == 0 || !IsIngest(KindOf(m))) continue;
    absl::StatusOr<ConversationView> c = ConversationOfIngest(engine, m);
    if (!c.ok()) return c.status();
    if (c->status == v1::CONVERSATION_STATUS_CLOSED) continue;
    if (absl::Status s = engine.SetConversationStatus(kTenant, c->id,
                                                      v1::CONVERSATION_STATUS_CLOSED,
                                                      Actor::System());
        !s.ok()) {
      return s;
    }
  }
  while (true) {
    absl::StatusOr<int> fired = engine.RunDueTimers(kTenant);
    if (!fired.ok()) return fired.status();
    if (*fired == 0) return absl::OkStatus();
  }
}

bool LinkApplied(const Engine& engine, uint64_t n) {
  if (n < 4 || KindOf(n) != CommandKind::kLink) return false;
  absl::StatusOr<CustomerView> linked = engine.FindCustomer(kTenant, MergeHandle(n - 3));
  absl::StatusOr<CustomerView> anchor = engine.FindCustomer(kTenant, InboundOf(n - 1).sender);
  return linked.ok() && anchor.ok() && linked->id == anchor->id;
}

absl::StatusOr<Census> TakeCensus(const Engine& engine) {
  Census census;
  const std::vector<std::string> tenants = engine.ListTenants();
  census.tenant_exists = std::find(tenants.begin(), tenants.end(), kTenant) != tenants.end();
  if (!census.tenant_exists) return census;
  Problems problems(&census.problems);

  // Customers: each active one reachable through its identities, with a
  // conversation.
  absl::flat_hash_map<uint64_t, CustomerView> customers;
  for (uint64_t id = 1;; ++id) {
    absl::StatusOr<CustomerView> c = engine.GetCustomer(kTenant, CustomerId(id));
    if (absl::IsNotFound(c.status())) break;
    if (!c.ok()) return c.status();
    ++census.customers;
    if (!c->merged_into.has_value()) {
      ++census.active_customers;
      if (c->identities.empty()) problems.Add(ToString(c->id), " has no identity");
      for (const Identity& identity : c->identities) {
        absl::StatusOr<CustomerView> owner =
            engine.FindCustomer(kTenant, {identity.kind, identity.network, identity.value});
        if (!owner.ok() || owner->id != c->id) {
          problems.Add(ToString(identity), " of ", ToString(c->id), " resolves to ",
                       owner.ok() ? ToString(owner->id) : owner.status().ToString());
        }
      }
      absl::StatusOr<std::vector<ConversationView>> live =
          engine.ListConversations(kTenant, c->id);
      if (!live.ok()) return live.status();
      if (live->empty()) problems.Add(ToString(c->id), " has no conversation");
    } else if (!c->identities.empty()) {
      problems.Add(ToString(c->id), " is merged but still has identities");
    }
    customers.emplace(id, *std::move(c));
  }

  // Conversations: every message and traced handoff of every live one.
  absl::flat_hash_map<uint64_t, int> message_copies;
  for (uint64_t id = 1;; ++id) {
    absl::StatusOr<ConversationView> c = engine.GetConversation(kTenant, ConversationId(id));
    if (absl::IsNotFound(c.status())) break;
    if (!c.ok()) return c.status();
    ++census.conversations;
    // A merged conversation's timeline is the one of the thread it joined.
    if (c->merged_into.has_value() || c->status == v1::CONVERSATION_STATUS_MERGED) continue;
    auto owner = customers.find(c->customer.value());
    // A customer lists its conversations of the working set: one it does
    // not list must be closed, and is read from the archive.
    bool archived = false;
    if (owner == customers.end() || owner->second.merged_into.has_value()) {
      problems.Add(ToString(c->id), " belongs to ", ToString(c->customer),
                   ", which is not an active customer");
    } else if (std::find(owner->second.conversations.begin(),
                         owner->second.conversations.end(),
                         c->id) == owner->second.conversations.end()) {
      if (c->status == v1::CONVERSATION_STATUS_CLOSED) {
        archived = true;
        ++census.archived_conversations;
      } else {
        problems.Add(ToString(c->id), " belongs to ", ToString(c->customer),
                     ", which does not list it, but it is not closed");
      }
    }
    absl::StatusOr<std::vector<TimelineEntry>> timeline = engine.GetTimeline(kTenant, c->id);
    if (!timeline.ok()) return timeline.status();
    int messages = 0;
    for (const TimelineEntry& e : *timeline) {
      if (e.handoff) {
        // Handoffs the customer made by writing elsewhere carry no trace.
        if (std::optional<uint64_t> n = ParseTrace(e.handoff->reason); n.has_value()) {
          ++census.copies[*n];
          if (KindOf(*n) != CommandKind::kHandoff) {
            problems.Add("a handoff has the trace of ", KindName(KindOf(*n)), " cmd-", *n);
          }
        }
        continue;
      }
      if (!e.message) continue;
      const MessageView& m = *e.message;
      ++messages;
      if (archived) ++census.archived_messages;
      ++message_copies[m.id.value()];
      if (m.conversation != c->id) {
        problems.Add(ToString(m.id), " is in the timeline of ", ToString(c->id), " but says ",
                     ToString(m.conversation));
      }
      std::optional<uint64_t> n = ParseTrace(m.external_id);
      if (!n.has_value()) {
        problems.Add(ToString(m.id), " has external id \"", m.external_id,
                     "\", which no command gives");
        continue;
      }
      ++census.copies[*n];
      const CommandKind kind = KindOf(*n);
      if (m.body != BodyOf(*n)) {
        problems.Add(ToString(m.id), " (cmd-", *n, ") has body \"", m.body, "\"");
      }
      if (kind == CommandKind::kOutbound) {
        if (m.direction != v1::DIRECTION_OUTBOUND) {
          problems.Add(ToString(m.id), " (cmd-", *n, ", outbound) is not outbound");
        }
        continue;
      }
      if (kind == CommandKind::kHandoff || kind == CommandKind::kLink) {
        problems.Add(ToString(m.id), " has the trace of ", KindName(kind), " cmd-", *n);
        continue;
      }
      const InboundMessage expected = InboundOf(*n);
      if (m.direction != v1::DIRECTION_INBOUND || m.channel != expected.channel) {
        problems.Add(ToString(m.id), " (cmd-", *n, ") is not the inbound ",
                     ChannelName(expected.channel), " message the script sent");
      }
      // The sender's identity, its customer and this conversation came with
      // the message (or before it) and stay together through merges.
      absl::StatusOr<CustomerView> sender =
          engine.FindCustomer(kTenant, {m.sender.kind, m.sender.network, m.sender.value});
      if (!sender.ok() || sender->id != c->customer) {
        problems.Add(ToString(m.id), " (cmd-", *n, ") from ", ToString(m.sender), " is in ",
                     ToString(c->id), " of ", ToString(c->customer), ", but the sender is ",
                     sender.ok() ? ToString(sender->id) : sender.status().ToString());
      }
    }
    if (messages == 0) problems.Add(ToString(c->id), " is live and has no message");
  }

  // Message ids 1..M, each in exactly one timeline.
  for (const auto& [id, copies] : message_copies) census.messages = std::max(census.messages, id);
  if (census.messages != message_copies.size()) {
    problems.Add("message ids run to ", census.messages, " but ", message_copies.size(),
                 " messages are in timelines");
  }
  for (const auto& [id, copies] : message_copies) {
    if (copies != 1) problems.Add("message/", id, " is in ", copies, " timelines");
  }

  // Commands 1..applied, each once, and nothing after.
  uint64_t highest = 0;
  for (const auto& [n, copies] : census.copies) {
    highest = std::max(highest, n);
    if (copies != 1) {
      problems.Add("cmd-", n, " (", KindName(KindOf(n)), ") is stored ", copies, " times");
    }
  }
  for (uint64_t n = 1; n < highest; ++n) {
    const bool present =
        KindOf(n) == CommandKind::kLink ? LinkApplied(engine, n) : census.copies.contains(n);
    if (!present) {
      problems.Add("cmd-", n, " (", KindName(KindOf(n)), ") is missing, but cmd-", highest,
                   " is stored");
    }
  }
  census.applied = highest;
  if (KindOf(highest + 1) == CommandKind::kLink && LinkApplied(engine, highest + 1)) {
    census.applied = highest + 1;
  }
  return census;
}

}  // namespace omniroute::crash
