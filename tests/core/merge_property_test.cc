// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Merge and unmerge, as a property: random sequences of commands through the
// Engine (ingest with redeliveries and references, outbound messages,
// identity links that merge, explicit customer merges, unmerges, conversation
// merges and splits, handoffs, status changes) on a ManualClock, with the
// invariants of DESIGN.md ("No merge or unmerge ever loses or duplicates a
// message", "a command is applied whole or not at all", "replaying the log
// rebuilds exactly the same state") checked after every command.
//
// Each sequence has a fixed seed; a failure names the seed and the step, and
// the sequence replays identically with that seed.

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/identity.h"

namespace omniroute {
namespace {

using ::testing::UnorderedElementsAreArray;

constexpr char kTenant[] = "prop";
constexpr char kCountryCode[] = "33";

constexpr Channel kChannels[] = {
    ::omniroute::v1::CHANNEL_PUBLIC_SOCIAL, ::omniroute::v1::CHANNEL_PRIVATE_SOCIAL,
    ::omniroute::v1::CHANNEL_EMAIL,         ::omniroute::v1::CHANNEL_VOICE,
    ::omniroute::v1::CHANNEL_CHAT,          ::omniroute::v1::CHANNEL_SMS,
    ::omniroute::v1::CHANNEL_MESSAGING,
};

// One person-identifier of the random pool, with the ways a channel may
// spell it (all normalizing to `normalized`).
struct PoolIdentity {
  std::vector<RawIdentity> spellings;
  Identity normalized;
};

std::vector<PoolIdentity> MakePool() {
  std::vector<PoolIdentity> pool;
  auto add = [&](std::vector<RawIdentity> spellings) {
    absl::StatusOr<Identity> n = NormalizeIdentity(spellings[0], kCountryCode);
    EXPECT_TRUE(n.ok()) << n.status();
    for (const RawIdentity& raw : spellings) {
      absl::StatusOr<Identity> m = NormalizeIdentity(raw, kCountryCode);
      EXPECT_TRUE(m.ok() && *m == *n) << "pool spelling " << raw.value;
    }
    pool.push_back({std::move(spellings), *n});
  };
  constexpr auto kEmail = ::omniroute::v1::IDENTITY_KIND_EMAIL;
  constexpr auto kPhone = ::omniroute::v1::IDENTITY_KIND_PHONE;
  constexpr auto kHandle = ::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE;
  constexpr auto kSocialId = ::omniroute::v1::IDENTITY_KIND_SOCIAL_ID;
  for (int i = 0; i < 6; ++i) {
    add({{kEmail, "", absl::StrCat("user", i, "@example.com")},
         {kEmail, "", absl::StrCat("  User", i, "@Example.COM ")}});
  }
  for (int i = 0; i < 5; ++i) {
    add({{kPhone, "", absl::StrCat("+3361234560", i)},
         {kPhone, "", absl::StrCat("06 12 34 56 0", i)},
         {kPhone, "", absl::StrCat("0033 6.12.34.56.0", i)}});
  }
  for (int i = 0; i < 5; ++i) {
    add({{kHandle, "x", absl::StrCat("user_", i)}, {kHandle, " X ", absl::StrCat("@User_", i)}});
  }
  for (int i = 0; i < 2; ++i) {
    add({{kSocialId, "x", absl::StrCat("9000", i)}});
  }
  return pool;
}

RawIdentity ToRaw(const Identity& identity) {
  return {identity.kind, identity.network, identity.value};
}

struct Stats {
  int commands = 0;
  int failures = 0;
  int ingested = 0;
  int duplicates = 0;
  int joined_by_reference = 0;
  int outbound = 0;
  int link_merges = 0;
  int explicit_merges = 0;
  int thread_merges = 0;
  int unmerges = 0;
  int conversation_merges = 0;
  int splits = 0;
  int handoffs = 0;
  int status_changes = 0;

  void Add(const Stats& o) {
    commands += o.commands;
    failures += o.failures;
    ingested += o.ingested;
    duplicates += o.duplicates;
    joined_by_reference += o.joined_by_reference;
    outbound += o.outbound;
    link_merges += o.link_merges;
    explicit_merges += o.explicit_merges;
    thread_merges += o.thread_merges;
    unmerges += o.unmerges;
    conversation_merges += o.conversation_merges;
    splits += o.splits;
    handoffs += o.handoffs;
    status_changes += o.status_changes;
  }
};

// One random sequence: an engine on a memory store and a manual clock, the
// generator, and what the test has seen accepted.
class Sequence {
 public:
  Sequence(uint32_t seed, bool merge_threads) : rng_(seed), pool_(MakePool()) {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Open({.clock = &clock_, .store = store_.get()});
    EXPECT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    TenantOptions options;
    options.default_country_code = kCountryCode;
    options.merge_threads_on_customer_merge = merge_threads;
    options.continuity_windows[::omniroute::v1::CHANNEL_CHAT] = absl::Minutes(30);
    EXPECT_TRUE(engine_->CreateTenant(kTenant, options).ok());
    dump_ = Dump();
    sequence_ = Last();
  }

  // Runs `steps` random commands, checking the invariants after each.
  // Stops at the first failure.
  void Run(int steps) {
    for (int step = 0; step < steps; ++step) {
      Step();
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "at step " << step << ": " << last_command_;
        return;
      }
    }
  }

  // (e) The log replayed into a fresh engine gives the identical state.
  void CheckReplay() {
    absl::StatusOr<std::unique_ptr<Engine>> replayed =
        Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    absl::StatusOr<std::string> dump = (*replayed)->DumpState(kTenant);
    ASSERT_TRUE(dump.ok()) << dump.status();
    EXPECT_EQ(*dump, Dump());
    EXPECT_EQ(*(*replayed)->LastSequence(kTenant), Last());
  }

  const Stats& stats() const { return stats_; }

 private:
  // ------------------------------------------------------------ randomness

  size_t Uniform(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(v.size())];
  }
  Channel AnyChannel() { return kChannels[Uniform(std::size(kChannels))]; }

  void AdvanceClock() {
    const int r = static_cast<int>(Uniform(100));
    if (r < 65) {
      clock_.Advance(absl::Seconds(static_cast<int64_t>(Uniform(121))));
    } else if (r < 90) {
      clock_.Advance(absl::Minutes(static_cast<int64_t>(Uniform(6 * 60))));
    } else if (r < 98) {
      clock_.Advance(absl::Hours(static_cast<int64_t>(Uniform(72))));
    } else {
      clock_.Advance(absl::Hours(24 * static_cast<int64_t>(1 + Uniform(9))));
    }
  }

  // ------------------------------------------------------------ queries

  std::string Dump() const {
    absl::StatusOr<std::string> dump = engine_->DumpState(kTenant);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? *dump : "";
  }
  uint64_t Last() const {
    absl::StatusOr<uint64_t> last = engine_->LastSequence(kTenant);
    EXPECT_TRUE(last.ok()) << last.status();
    return last.ok() ? *last : 0;
  }

  // Every customer / conversation, by probing ids 1, 2, ... until NOT_FOUND.
  std::vector<CustomerView> Customers() const {
    std::vector<CustomerView> out;
    for (uint64_t id = 1;; ++id) {
      absl::StatusOr<CustomerView> c = engine_->GetCustomer(kTenant, CustomerId(id));
      if (!c.ok()) {
        EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
        return out;
      }
      EXPECT_EQ(c->id, CustomerId(id));
      out.push_back(*std::move(c));
    }
  }
  std::vector<ConversationView> Conversations() const {
    std::vector<ConversationView> out;
    for (uint64_t id = 1;; ++id) {
      absl::StatusOr<ConversationView> c = engine_->GetConversation(kTenant, ConversationId(id));
      if (!c.ok()) {
        EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
        return out;
      }
      EXPECT_EQ(c->id, ConversationId(id));
      out.push_back(*std::move(c));
    }
  }
  std::vector<MessageId> TimelineMessages(ConversationId id) const {
    std::vector<MessageId> out;
    absl::StatusOr<std::vector<TimelineEntry>> timeline = engine_->GetTimeline(kTenant, id);
    EXPECT_TRUE(timeline.ok()) << timeline.status();
    if (!timeline.ok()) return out;
    for (const TimelineEntry& e : *timeline) {
      if (e.message) out.push_back(e.message->id);
    }
    return out;
  }

  // A conversation id: mostly an existing one, sometimes one past the end
  // or 0.
  ConversationId SomeConversation(size_t count) {
    if (count == 0 || Chance(0.03)) return ConversationId(Chance(0.5) ? 0 : count + 1);
    return ConversationId(1 + Uniform(count));
  }
  CustomerId SomeCustomer(size_t count) {
    if (count == 0 || Chance(0.03)) return CustomerId(Chance(0.5) ? 0 : count + 1);
    return CustomerId(1 + Uniform(count));
  }

  // ------------------------------------------------------------ commands

  // What a command may answer with besides OK: errors of the caller's
  // making, never INTERNAL or DATA_LOSS.
  static bool IsCallerError(const absl::Status& s) {
    switch (s.code()) {
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kAlreadyExists:
      case absl::StatusCode::kFailedPrecondition:
      case absl::StatusCode::kResourceExhausted:
        return true;
      default:
        return false;
    }
  }

  void Step() {
    AdvanceClock();
    ++stats_.commands;
    const int r = static_cast<int>(Uniform(100));
    absl::Status status;
    if (r < 38) {
      status = Ingest();
    } else if (r < 50) {
      status = Outbound();
    } else if (r < 60) {
      status = Link();
    } else if (r < 66) {
      status = MergeCustomers();
    } else if (r < 74) {
      status = Unmerge();
    } else if (r < 80) {
      status = MergeConversations();
    } else if (r < 87) {
      status = Split();
    } else if (r < 93) {
      status = Handoff();
    } else {
      status = SetStatus();
    }
    if (::testing::Test::HasFailure()) return;
    EXPECT_TRUE(status.ok() || IsCallerError(status)) << status;

    // (d) A failing command changes nothing; a command that recorded no
    // event changes nothing either.
    const std::string dump = Dump();
    const uint64_t sequence = Last();
    if (!status.ok()) {
      ++stats_.failures;
      EXPECT_EQ(sequence, sequence_) << "failed with " << status;
      EXPECT_EQ(dump, dump_) << "failed with " << status;
    } else if (sequence == sequence_) {
      EXPECT_EQ(dump, dump_) << "no event, yet the state changed";
    } else {
      EXPECT_GT(sequence, sequence_);
    }
    dump_ = dump;
    sequence_ = sequence;
    CheckInvariants();
  }

  absl::Status Ingest() {
    // A redelivery of an earlier message (same channel and external id),
    // possibly with another body and spelling of the sender.
    if (!delivered_.empty() && Chance(0.12)) {
      const size_t i = Uniform(delivered_.size());
      InboundMessage m = delivered_[i].first;
      if (Chance(0.5)) m.body = "redelivered";
      last_command_ = absl::StrCat("redeliver ", ChannelName(m.channel), " ", m.external_id);
      absl::StatusOr<IngestResult> r = engine_->IngestMessage(kTenant, m);
      if (!r.ok()) return r.status();
      ++stats_.duplicates;
      EXPECT_TRUE(r->duplicate);
      EXPECT_FALSE(r->customer_created);
      EXPECT_EQ(r->message, delivered_[i].second);
      // Answered with where the message is now.
      std::vector<MessageId> there = TimelineMessages(r->conversation);
      EXPECT_EQ(std::count(there.begin(), there.end(), r->message), 1)
          << "redelivery answered " << r->conversation << " which does not hold " << r->message;
      absl::StatusOr<ConversationView> c = engine_->GetConversation(kTenant, r->conversation);
      EXPECT_TRUE(c.ok() && c->customer == r->customer && !c->merged_into.has_value());
      return absl::OkStatus();
    }

    InboundMessage m;
    m.channel = AnyChannel();
    const PoolIdentity& who = Pick(pool_);
    m.sender = Pick(who.spellings);
    m.external_id = absl::StrCat("in-", next_id_++);
    m.body = absl::StrCat("inbound ", next_id_);
    m.profile.display_name = absl::StrCat("name ", Uniform(5));
    // References to earlier messages: the message then travels on their channel.
    if (!known_external_ids_.empty() && Chance(0.3)) {
      const auto& [channel, id] = Pick(known_external_ids_);
      m.channel = channel;
      m.references.push_back(id);
      if (Chance(0.3)) m.references.push_back(Pick(known_external_ids_).second);
      if (Chance(0.2)) m.references.push_back("never-seen");
    }
    if (Chance(0.2)) m.thread_key = absl::StrCat("key-", Uniform(4));
    if (Chance(0.04)) m.external_id.clear();  // INVALID_ARGUMENT.
    if (Chance(0.03)) m.sender.value = "not an identity @@";
    last_command_ = absl::StrCat("ingest ", ChannelName(m.channel), " ", m.external_id, " from ",
                                 ToString(who.normalized), " refs=", m.references.size(),
                                 " key=", m.thread_key);
    absl::StatusOr<IngestResult> r = engine_->IngestMessage(kTenant, m);
    if (!r.ok()) return r.status();
    EXPECT_FALSE(r->duplicate);
    EXPECT_TRUE(accepted_.insert(r->message).second) << r->message << " handed out twice";
    ++stats_.ingested;
    if (r->outcome == ::omniroute::v1::THREAD_OUTCOME_JOINED_BY_REFERENCE) {
      ++stats_.joined_by_reference;
    }
    linked_.insert(who.normalized);
    delivered_.emplace_back(m, r->message);
    known_external_ids_.emplace_back(m.channel, m.external_id);
    // The sender now resolves to the answered customer, whose conversation
    // holds the message.
    absl::StatusOr<CustomerView> owner = engine_->FindCustomer(kTenant, m.sender);
    EXPECT_TRUE(owner.ok() && owner->id == r->customer);
    std::vector<MessageId> there = TimelineMessages(r->conversation);
    EXPECT_EQ(std::count(there.begin(), there.end(), r->message), 1);
    return absl::OkStatus();
  }

  absl::Status Outbound() {
    const size_t conversations = conversations_.size();
    OutboundMessage m;
    m.conversation = SomeConversation(conversations);
    m.channel = AnyChannel();
    if (absl::StatusOr<ConversationView> c = engine_->GetConversation(kTenant, m.conversation);
        c.ok() && Chance(0.9)) {
      m.channel = c->channel;
    }
    if (Chance(0.5)) m.external_id = absl::StrCat("out-", next_id_++);
    if (!known_external_ids_.empty() && Chance(0.05)) {
      // An external id already stored on this channel, if there is one:
      // ALREADY_EXISTS.
      for (const auto& [channel, id] : known_external_ids_) {
        if (channel == m.channel) m.external_id = id;
      }
    }
    m.agent_id = absl::StrCat("agent-", Uniform(3));
    m.body = "outbound";
    last_command_ = absl::StrCat("outbound ", ToString(m.conversation), " ", ChannelName(m.channel), " ",
                                 m.external_id);
    absl::StatusOr<MessageId> id = engine_->RecordOutbound(kTenant, m);
    if (!id.ok()) return id.status();
    ++stats_.outbound;
    EXPECT_TRUE(accepted_.insert(*id).second) << *id << " handed out twice";
    if (!m.external_id.empty()) known_external_ids_.emplace_back(m.channel, m.external_id);
    std::vector<MessageId> there = TimelineMessages(m.conversation);
    EXPECT_EQ(std::count(there.begin(), there.end(), *id), 1);
    return absl::OkStatus();
  }

  absl::Status Link() {
    const CustomerId customer = SomeCustomer(customers_.size());
    const PoolIdentity& who = Pick(pool_);
    RawIdentity raw = Pick(who.spellings);
    if (Chance(0.03)) raw.kind = ::omniroute::v1::IDENTITY_KIND_UNSPECIFIED;
    const LinkMode mode = Chance(0.3) ? LinkMode::kAutomatic : LinkMode::kExplicit;
    last_command_ = absl::StrCat("link ", ToString(who.normalized), " to ", ToString(customer),
                                 mode == LinkMode::kAutomatic ? " (automatic)" : "");
    absl::StatusOr<LinkResult> r =
        engine_->LinkIdentity(kTenant, customer, raw, Actor::Agent("agent-1"), mode);
    if (!r.ok()) return r.status();
    linked_.insert(who.normalized);
    if (r->absorbed) ++stats_.link_merges;
    stats_.thread_merges += static_cast<int>(r->merged_threads.size());
    absl::StatusOr<CustomerView> owner = engine_->FindCustomer(kTenant, raw);
    EXPECT_TRUE(owner.ok() && owner->id == r->customer);
    return absl::OkStatus();
  }

  absl::Status MergeCustomers() {
    const size_t customers = customers_.size();
    const CustomerId a = SomeCustomer(customers);
    const CustomerId b = SomeCustomer(customers);
    last_command_ = absl::StrCat("merge customers ", ToString(a), " and ", ToString(b));
    absl::StatusOr<LinkResult> r =
        engine_->MergeCustomers(kTenant, a, b, Actor::Agent("agent-2"));
    if (!r.ok()) return r.status();
    ++stats_.explicit_merges;
    stats_.thread_merges += static_cast<int>(r->merged_threads.size());
    EXPECT_TRUE(r->absorbed.has_value());
    return absl::OkStatus();
  }

  absl::Status Unmerge() {
    std::vector<CustomerId> merged;
    for (const CustomerView& c : customers_) {
      if (c.merged_into) merged.push_back(c.id);
    }
    const CustomerId customer =
        !merged.empty() && Chance(0.7) ? Pick(merged) : SomeCustomer(customers_.size());
    last_command_ = absl::StrCat("unmerge ", ToString(customer));
    absl::Status s = engine_->UnmergeCustomer(kTenant, customer, Actor::Agent("agent-3"));
    if (!s.ok()) return s;
    ++stats_.unmerges;
    absl::StatusOr<CustomerView> c = engine_->GetCustomer(kTenant, customer);
    EXPECT_TRUE(c.ok() && !c->merged_into.has_value());
    return s;
  }

  absl::Status MergeConversations() {
    ConversationId target, source;
    // Mostly two conversations of one customer, which may merge.
    if (!customers_.empty() && Chance(0.8)) {
      const CustomerView& c = Pick(customers_);
      if (c.conversations.size() >= 2) {
        target = Pick(c.conversations);
        source = Pick(c.conversations);
      }
    }
    if (!target.valid()) {
      const size_t conversations = conversations_.size();
      target = SomeConversation(conversations);
      source = SomeConversation(conversations);
    }
    last_command_ = absl::StrCat("merge conversation ", ToString(source), " into ", ToString(target));
    std::vector<MessageId> expected = TimelineMessagesIfLive(target);
    std::vector<MessageId> from_source = TimelineMessagesIfLive(source);
    absl::Status s = engine_->MergeConversations(kTenant, target, source, Actor::Agent("agent-1"));
    if (!s.ok()) return s;
    ++stats_.conversation_merges;
    // The target holds both threads' messages, the source none.
    expected.insert(expected.end(), from_source.begin(), from_source.end());
    EXPECT_THAT(TimelineMessages(target), UnorderedElementsAreArray(expected));
    absl::StatusOr<ConversationView> merged = engine_->GetConversation(kTenant, source);
    EXPECT_TRUE(merged.ok() && merged->merged_into == target && merged->message_count == 0);
    return s;
  }

  std::vector<MessageId> TimelineMessagesIfLive(ConversationId id) const {
    absl::StatusOr<ConversationView> c = engine_->GetConversation(kTenant, id);
    if (!c.ok() || c->merged_into) return {};
    return TimelineMessages(id);
  }

  absl::Status Split() {
    const size_t conversations = conversations_.size();
    ConversationId source = SomeConversation(conversations);
    // Prefer a conversation with several messages.
    for (int attempt = 0; attempt < 4; ++attempt) {
      absl::StatusOr<ConversationView> c = engine_->GetConversation(kTenant, source);
      if (c.ok() && c->message_count >= 2) break;
      source = SomeConversation(conversations);
    }
    std::vector<MessageId> messages = TimelineMessagesIfLive(source);
    std::shuffle(messages.begin(), messages.end(), rng_);
    std::vector<MessageId> moving;
    if (!messages.empty()) {
      moving.assign(messages.begin(), messages.begin() + 1 + Uniform(messages.size()));
    }
    // Sometimes all of them (refused), or a foreign or repeated message.
    if (moving.size() == messages.size() && messages.size() > 1 && Chance(0.8)) moving.pop_back();
    if (!moving.empty() && Chance(0.04)) moving.push_back(moving.front());
    if (Chance(0.04)) moving.push_back(MessageId(1 + Uniform(accepted_.size() + 2)));
    last_command_ = absl::StrCat("split ", moving.size(), " of ", messages.size(),
                                 " messages off ", ToString(source));
    absl::StatusOr<ConversationId> target =
        engine_->SplitConversation(kTenant, source, moving, Actor::Agent("agent-1"));
    if (!target.ok()) return target.status();
    ++stats_.splits;
    EXPECT_THAT(TimelineMessages(*target), UnorderedElementsAreArray(moving));
    std::vector<MessageId> left = TimelineMessages(source);
    EXPECT_EQ(left.size() + moving.size(), messages.size());
    for (MessageId id : moving) EXPECT_EQ(std::count(left.begin(), left.end(), id), 0);
    return absl::OkStatus();
  }

  absl::Status Handoff() {
    const ConversationId c = SomeConversation(conversations_.size());
    const Channel to = AnyChannel();
    last_command_ = absl::StrCat("handoff ", ToString(c), " to ", ChannelName(to));
    absl::Status s = engine_->Handoff(kTenant, c, to, "random handoff", Actor::Agent("agent-1"));
    if (!s.ok()) return s;
    ++stats_.handoffs;
    absl::StatusOr<ConversationView> view = engine_->GetConversation(kTenant, c);
    EXPECT_TRUE(view.ok() && view->channel == to);
    return s;
  }

  absl::Status SetStatus() {
    const ConversationId c = SomeConversation(conversations_.size());
    static constexpr ConversationStatus kStatuses[] = {
        ::omniroute::v1::CONVERSATION_STATUS_OPEN,
        ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER,
        ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER,
        ::omniroute::v1::CONVERSATION_STATUS_RESOLVED,
        ::omniroute::v1::CONVERSATION_STATUS_RESOLVED,
        ::omniroute::v1::CONVERSATION_STATUS_OPEN,
        ::omniroute::v1::CONVERSATION_STATUS_CLOSED,
        ::omniroute::v1::CONVERSATION_STATUS_RESOLVED,
        ::omniroute::v1::CONVERSATION_STATUS_OPEN,
        ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER,
        // Not settable: INVALID_ARGUMENT.
        ::omniroute::v1::CONVERSATION_STATUS_MERGED,
    };
    ConversationStatus status = kStatuses[Uniform(std::size(kStatuses) - 1)];
    if (Chance(0.03)) status = kStatuses[std::size(kStatuses) - 1];
    last_command_ = absl::StrCat("set ", ToString(c), " ", ConversationStatusName(status));
    absl::Status s = engine_->SetConversationStatus(kTenant, c, status, Actor::Agent("agent-1"));
    if (!s.ok()) return s;
    ++stats_.status_changes;
    absl::StatusOr<ConversationView> view = engine_->GetConversation(kTenant, c);
    EXPECT_TRUE(view.ok() && view->status == status);
    return s;
  }

  // ------------------------------------------------------------ invariants

  void CheckInvariants() {
    customers_ = Customers();
    conversations_ = Conversations();
    const std::vector<CustomerView>& customers = customers_;
    const std::vector<ConversationView>& conversations = conversations_;
    auto customer = [&](CustomerId id) -> const CustomerView* {
      return id.valid() && id.value() <= customers.size() ? &customers[id.value() - 1] : nullptr;
    };

    absl::flat_hash_map<MessageId, int> seen;  // Message → timelines holding it.
    absl::flat_hash_map<ConversationId, int> listed;  // Conversation → active customers listing it.
    absl::flat_hash_map<Identity, CustomerId> owners;
    for (const CustomerView& c : customers) {
      if (c.merged_into) {
        // A merged customer holds nothing; it stands for an active one.
        EXPECT_TRUE(c.identities.empty()) << c.id;
        EXPECT_TRUE(c.conversations.empty()) << c.id;
        CustomerId at = c.id;
        for (size_t hops = 0; hops <= customers.size(); ++hops) {
          const CustomerView* next = customer(at);
          if (next == nullptr || !next->merged_into) break;
          at = *next->merged_into;
        }
        const CustomerView* survivor = customer(at);
        EXPECT_TRUE(survivor != nullptr && !survivor->merged_into) << c.id << " resolves nowhere";
        continue;
      }
      for (ConversationId id : c.conversations) ++listed[id];
      for (const Identity& identity : c.identities) {
        auto [it, inserted] = owners.emplace(identity, c.id);
        EXPECT_TRUE(inserted) << ToString(identity) << " listed by " << it->second << " and "
                              << c.id;
      }
      absl::StatusOr<std::vector<ConversationView>> live = engine_->ListConversations(kTenant, c.id);
      EXPECT_TRUE(live.ok()) << live.status();
      if (!live.ok()) continue;
      for (const ConversationView& view : *live) {
        EXPECT_EQ(view.customer, c.id);
        EXPECT_FALSE(view.merged_into.has_value());
        absl::StatusOr<std::vector<TimelineEntry>> timeline = engine_->GetTimeline(kTenant, view.id);
        EXPECT_TRUE(timeline.ok()) << timeline.status();
        if (!timeline.ok()) continue;
        int messages = 0;
        for (size_t i = 0; i < timeline->size(); ++i) {
          const TimelineEntry& e = (*timeline)[i];
          if (i > 0) {
            EXPECT_LE((*timeline)[i - 1].at, e.at) << "timeline of " << view.id;
          }
          if (!e.message) continue;
          ++messages;
          ++seen[e.message->id];
          EXPECT_EQ(e.message->conversation, view.id);
        }
        EXPECT_EQ(messages, view.message_count) << view.id;
      }
    }

    // (a) Every accepted message is in exactly one timeline; no timeline
    // holds a message the test did not see accepted.
    for (MessageId id : accepted_) {
      auto it = seen.find(id);
      const int count = it == seen.end() ? 0 : it->second;
      EXPECT_EQ(count, 1) << id << " is in " << count << " timelines";
    }
    for (const auto& [id, count] : seen) {
      EXPECT_TRUE(accepted_.contains(id)) << id << " appeared from nowhere";
    }

    // (b) Every identity ever linked resolves to an active customer that
    // lists it; every listed identity resolves to its lister.
    for (const Identity& identity : linked_) {
      absl::StatusOr<CustomerView> owner = engine_->FindCustomer(kTenant, ToRaw(identity));
      EXPECT_TRUE(owner.ok()) << ToString(identity) << ": " << owner.status();
      if (!owner.ok()) continue;
      EXPECT_FALSE(owner->merged_into.has_value())
          << ToString(identity) << " resolves to merged " << owner->id;
      EXPECT_EQ(std::count(owner->identities.begin(), owner->identities.end(), identity), 1)
          << ToString(identity) << " resolves to " << owner->id << ", which does not list it";
    }
    EXPECT_EQ(owners.size(), linked_.size()) << "identities listed that were never linked";

    // (c) Each conversation that was not merged belongs to an active customer
    // that lists it (and no other active customer does).
    for (const ConversationView& c : conversations) {
      const int listers = listed.contains(c.id) ? listed[c.id] : 0;
      if (c.merged_into) {
        EXPECT_EQ(c.message_count, 0) << c.id << " was merged but holds messages";
        EXPECT_LE(listers, 1) << c.id;
        continue;
      }
      const CustomerView* owner = customer(c.customer);
      EXPECT_TRUE(owner != nullptr && !owner->merged_into)
          << c.id << " belongs to " << c.customer << ", which is not active";
      EXPECT_EQ(listers, 1) << c.id << " is listed by " << listers << " active customers";
      if (owner != nullptr) {
        EXPECT_EQ(std::count(owner->conversations.begin(), owner->conversations.end(), c.id), 1)
            << c.customer << " does not list " << c.id;
      }
    }
  }

  std::mt19937 rng_;
  ManualClock clock_;
  std::unique_ptr<EventStore> store_ = NewMemoryEventStore();
  std::unique_ptr<Engine> engine_;
  const std::vector<PoolIdentity> pool_;

  // As of the last check: every customer and conversation.
  std::vector<CustomerView> customers_;
  std::vector<ConversationView> conversations_;
  std::string dump_;
  uint64_t sequence_ = 0;
  std::string last_command_;
  int next_id_ = 1;
  absl::flat_hash_set<MessageId> accepted_;
  absl::flat_hash_set<Identity> linked_;
  std::vector<std::pair<InboundMessage, MessageId>> delivered_;
  std::vector<std::pair<Channel, std::string>> known_external_ids_;
  Stats stats_;
};

void RunSequences(bool merge_threads, uint32_t first_seed, int sequences, int steps,
                  Stats* total) {
  for (int i = 0; i < sequences; ++i) {
    const uint32_t seed = first_seed + static_cast<uint32_t>(i);
    SCOPED_TRACE(absl::StrFormat("seed %u, merge_threads=%d", seed, merge_threads));
    Sequence sequence(seed, merge_threads);
    sequence.Run(steps);
    if (::testing::Test::HasFailure()) return;
    sequence.CheckReplay();
    if (::testing::Test::HasFailure()) return;
    total->Add(sequence.stats());
  }
}

// The commands must really have exercised what the invariants are about.
void ExpectCoverage(const Stats& s) {
  std::printf(
      "[ coverage ] %d commands (%d refused): %d ingested, %d redelivered, %d joined by "
      "reference, %d outbound, %d link merges, %d explicit merges, %d thread merges, "
      "%d unmerges, %d conversation merges, %d splits, %d handoffs, %d status changes\n",
      s.commands, s.failures, s.ingested, s.duplicates, s.joined_by_reference, s.outbound,
      s.link_merges, s.explicit_merges, s.thread_merges, s.unmerges, s.conversation_merges,
      s.splits, s.handoffs, s.status_changes);
  EXPECT_GT(s.ingested, 0);
  EXPECT_GT(s.duplicates, 0);
  EXPECT_GT(s.joined_by_reference, 0);
  EXPECT_GT(s.outbound, 0);
  EXPECT_GT(s.link_merges, 0);
  EXPECT_GT(s.explicit_merges, 0);
  EXPECT_GT(s.unmerges, 0);
  EXPECT_GT(s.conversation_merges, 0);
  EXPECT_GT(s.splits, 0);
  EXPECT_GT(s.handoffs, 0);
  EXPECT_GT(s.status_changes, 0);
  EXPECT_GT(s.failures, 0);
  EXPECT_LT(s.failures, s.commands);
}

TEST(MergePropertyTest, RandomSequencesWithThreadMergeKeepEveryInvariant) {
  Stats total;
  RunSequences(/*merge_threads=*/true, /*first_seed=*/1000, /*sequences=*/100, /*steps=*/200,
               &total);
  if (HasFailure()) return;
  ExpectCoverage(total);
  EXPECT_GT(total.thread_merges, 0);
}

TEST(MergePropertyTest, RandomSequencesWithoutThreadMergeKeepEveryInvariant) {
  Stats total;
  RunSequences(/*merge_threads=*/false, /*first_seed=*/5000, /*sequences=*/100, /*steps=*/200,
               &total);
  if (HasFailure()) return;
  ExpectCoverage(total);
  EXPECT_EQ(total.thread_merges, 0);
}


// ---------------------------------------------------------------- targeted

// Three customers, each with two identities and messages on two channels,
// created C first (the oldest), then B, then A.
class ChainedMergeTest : public ::testing::TestWithParam<bool> {
 protected:
  struct Own {
    std::vector<Identity> identities;
    std::vector<MessageId> messages;
  };

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(*engine);
    TenantOptions options;
    options.default_country_code = kCountryCode;
    options.merge_threads_on_customer_merge = GetParam();
    ASSERT_TRUE(engine_->CreateTenant(kTenant, options).ok());

    c_ = MakeCustomer("c", ::omniroute::v1::CHANNEL_EMAIL, ::omniroute::v1::CHANNEL_SMS, &own_c_);
    clock_.Advance(absl::Hours(1));
    b_ = MakeCustomer("b", ::omniroute::v1::CHANNEL_PRIVATE_SOCIAL,
                      ::omniroute::v1::CHANNEL_EMAIL, &own_b_);
    clock_.Advance(absl::Hours(1));
    a_ = MakeCustomer("a", ::omniroute::v1::CHANNEL_CHAT, ::omniroute::v1::CHANNEL_SMS, &own_a_);
    ASSERT_TRUE(c_ < b_ && b_ < a_);
  }

  // A customer known by "<name>@example.com" and a handle or phone, with an
  // inbound message from each and an answer.
  CustomerId MakeCustomer(absl::string_view name, Channel first, Channel second, Own* own) {
    const int n = name[0] - 'a';
    RawIdentity email{::omniroute::v1::IDENTITY_KIND_EMAIL, "", absl::StrCat(name, "@example.com")};
    RawIdentity other =
        second == ::omniroute::v1::CHANNEL_SMS
            ? RawIdentity{::omniroute::v1::IDENTITY_KIND_PHONE, "", absl::StrCat("+3370000000", n)}
            : RawIdentity{::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", std::string(name)};
    // The first message comes from the identity that suits its channel.
    const bool email_first = first == ::omniroute::v1::CHANNEL_EMAIL ||
                             first == ::omniroute::v1::CHANNEL_CHAT;
    const RawIdentity& first_sender = email_first ? email : other;
    const RawIdentity& second_sender = email_first ? other : email;

    InboundMessage m;
    m.channel = first;
    m.sender = first_sender;
    m.external_id = absl::StrCat(name, "-1");
    m.body = absl::StrCat("first from ", name);
    absl::StatusOr<IngestResult> r1 = engine_->IngestMessage(kTenant, m);
    EXPECT_TRUE(r1.ok() && r1->customer_created);
    if (!r1.ok()) return CustomerId();
    own->messages.push_back(r1->message);

    clock_.Advance(absl::Minutes(1));
    absl::StatusOr<LinkResult> link =
        engine_->LinkIdentity(kTenant, r1->customer, second_sender, Actor::Agent("agent-1"));
    EXPECT_TRUE(link.ok() && !link->absorbed);

    clock_.Advance(absl::Minutes(1));
    m.channel = second;
    m.sender = second_sender;
    m.external_id = absl::StrCat(name, "-2");
    m.body = absl::StrCat("second from ", name);
    absl::StatusOr<IngestResult> r2 = engine_->IngestMessage(kTenant, m);
    EXPECT_TRUE(r2.ok() && r2->customer == r1->customer && !r2->customer_created);
    if (!r2.ok()) return CustomerId();
    own->messages.push_back(r2->message);

    clock_.Advance(absl::Minutes(1));
    OutboundMessage answer;
    answer.conversation = r2->conversation;
    answer.channel = second;
    answer.body = absl::StrCat("answer to ", name);
    answer.agent_id = "agent-1";
    absl::StatusOr<MessageId> out = engine_->RecordOutbound(kTenant, answer);
    EXPECT_TRUE(out.ok()) << out.status();
    if (out.ok()) own->messages.push_back(*out);

    for (const RawIdentity& raw : {email, other}) {
      own->identities.push_back(*NormalizeIdentity(raw, kCountryCode));
    }
    return r1->customer;
  }

  // What a customer holds now: its identities and the messages of its
  // conversations that were not merged away.
  Own Holds(CustomerId id) const {
    Own own;
    absl::StatusOr<CustomerView> c = engine_->GetCustomer(kTenant, id);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return own;
    own.identities = c->identities;
    absl::StatusOr<std::vector<ConversationView>> conversations =
        engine_->ListConversations(kTenant, id);
    EXPECT_TRUE(conversations.ok());
    for (const ConversationView& view : *conversations) {
      absl::StatusOr<std::vector<TimelineEntry>> timeline = engine_->GetTimeline(kTenant, view.id);
      EXPECT_TRUE(timeline.ok());
      for (const TimelineEntry& e : *timeline) {
        if (e.message) own.messages.push_back(e.message->id);
      }
    }
    return own;
  }

  static std::vector<std::string> Names(const std::vector<Identity>& identities) {
    std::vector<std::string> names;
    for (const Identity& i : identities) names.push_back(ToString(i));
    return names;
  }

  static Own Union(std::initializer_list<const Own*> parts) {
    Own all;
    for (const Own* p : parts) {
      all.identities.insert(all.identities.end(), p->identities.begin(), p->identities.end());
      all.messages.insert(all.messages.end(), p->messages.begin(), p->messages.end());
    }
    return all;
  }

  // `id` is active and holds exactly `expected`, and its identities resolve
  // to it.
  void ExpectHoldsExactly(CustomerId id, const Own& expected, absl::string_view who) {
    SCOPED_TRACE(who);
    absl::StatusOr<CustomerView> c = engine_->GetCustomer(kTenant, id);
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->merged_into.has_value());
    const Own holds = Holds(id);
    EXPECT_THAT(Names(holds.identities), UnorderedElementsAreArray(Names(expected.identities)));
    EXPECT_THAT(holds.messages, UnorderedElementsAreArray(expected.messages));
    for (const Identity& identity : expected.identities) {
      absl::StatusOr<CustomerView> owner = engine_->FindCustomer(kTenant, ToRaw(identity));
      EXPECT_TRUE(owner.ok() && owner->id == id) << ToString(identity);
    }
  }

  void ExpectMerged(CustomerId id, CustomerId into) {
    absl::StatusOr<CustomerView> c = engine_->GetCustomer(kTenant, id);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->merged_into, std::optional<CustomerId>(into));
  }

  void MergeAIntoBThenBIntoC() {
    clock_.Advance(absl::Minutes(10));
    absl::StatusOr<LinkResult> ab = engine_->MergeCustomers(kTenant, a_, b_, Actor::Agent("agent-2"));
    ASSERT_TRUE(ab.ok()) << ab.status();
    EXPECT_EQ(ab->customer, b_);  // The older survives.
    EXPECT_EQ(ab->absorbed, a_);
    ExpectMerged(a_, b_);
    ExpectHoldsExactly(b_, Union({&own_a_, &own_b_}), "B after absorbing A");

    clock_.Advance(absl::Minutes(10));
    absl::StatusOr<LinkResult> bc = engine_->MergeCustomers(kTenant, b_, c_, Actor::Agent("agent-2"));
    ASSERT_TRUE(bc.ok()) << bc.status();
    EXPECT_EQ(bc->customer, c_);
    EXPECT_EQ(bc->absorbed, b_);
    ExpectMerged(b_, c_);
    ExpectHoldsExactly(c_, Union({&own_a_, &own_b_, &own_c_}), "C after absorbing B");
  }

  void ExpectReplayGivesTheSameState() {
    absl::StatusOr<std::unique_ptr<Engine>> replayed =
        Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(replayed.ok());
    EXPECT_EQ(*(*replayed)->DumpState(kTenant), *engine_->DumpState(kTenant));
  }

  ManualClock clock_;
  std::unique_ptr<EventStore> store_ = NewMemoryEventStore();
  std::unique_ptr<Engine> engine_;
  CustomerId a_, b_, c_;
  Own own_a_, own_b_, own_c_;
};

TEST_P(ChainedMergeTest, UnmergeAThenBGivesEachCustomerBackExactlyItsOwn) {
  MergeAIntoBThenBIntoC();
  if (HasFatalFailure()) return;

  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, a_, Actor::Agent("agent-3")).ok());
  ExpectHoldsExactly(a_, own_a_, "A after unmerging A");
  ExpectMerged(b_, c_);
  ExpectHoldsExactly(c_, Union({&own_b_, &own_c_}), "C after unmerging A");

  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, b_, Actor::Agent("agent-3")).ok());
  ExpectHoldsExactly(a_, own_a_, "A after unmerging B");
  ExpectHoldsExactly(b_, own_b_, "B after unmerging B");
  ExpectHoldsExactly(c_, own_c_, "C after unmerging B");

  // Nothing is left to undo.
  for (CustomerId id : {a_, b_, c_}) {
    EXPECT_EQ(engine_->UnmergeCustomer(kTenant, id, Actor::Agent("agent-3")).code(),
              absl::StatusCode::kFailedPrecondition);
  }
  ExpectReplayGivesTheSameState();
}

TEST_P(ChainedMergeTest, UnmergeBThenAGivesEachCustomerBackExactlyItsOwn) {
  MergeAIntoBThenBIntoC();
  if (HasFatalFailure()) return;

  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, b_, Actor::Agent("agent-3")).ok());
  // B comes back with what it held when it was merged: A's part too, since A
  // is still merged into B.
  ExpectMerged(a_, b_);
  ExpectHoldsExactly(b_, Union({&own_a_, &own_b_}), "B after unmerging B");
  ExpectHoldsExactly(c_, own_c_, "C after unmerging B");

  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, a_, Actor::Agent("agent-3")).ok());
  ExpectHoldsExactly(a_, own_a_, "A after unmerging A");
  ExpectHoldsExactly(b_, own_b_, "B after unmerging A");
  ExpectHoldsExactly(c_, own_c_, "C after unmerging A");
  ExpectReplayGivesTheSameState();
}

TEST_P(ChainedMergeTest, UnmergingBAfterAWasUnmergedAndMergedIntoCDirectlyLeavesAsPartAlone) {
  // A's merge into B is undone, then A is merged straight into C. B's merge
  // record (taken when B held A's part) must not hand A's identities and
  // conversations to B when B is unmerged: they are C's by A's new merge.
  MergeAIntoBThenBIntoC();
  if (HasFatalFailure()) return;
  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, a_, Actor::Agent("agent-3")).ok());
  clock_.Advance(absl::Minutes(10));
  absl::StatusOr<LinkResult> ac = engine_->MergeCustomers(kTenant, a_, c_, Actor::Agent("agent-2"));
  ASSERT_TRUE(ac.ok()) << ac.status();
  ExpectMerged(a_, c_);

  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, b_, Actor::Agent("agent-3")).ok());
  ExpectHoldsExactly(b_, own_b_, "B after unmerging B");
  ExpectMerged(a_, c_);

  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, a_, Actor::Agent("agent-3")).ok());
  ExpectHoldsExactly(a_, own_a_, "A after unmerging A again");
  ExpectHoldsExactly(b_, own_b_, "B at the end");
  ExpectHoldsExactly(c_, own_c_, "C at the end");
  ExpectReplayGivesTheSameState();
}

TEST(UnmergeThreadsTest, AMessageWrittenIntoAJoinedThreadAfterTheMergeGoesBackOnce) {
  // A has two open conversations, both joined into B's thread by the merge;
  // A then writes into the joined thread. Unmerging A must give that message
  // back to A once, not once per joined conversation.
  ManualClock clock;
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open({.clock = &clock, .store = store.get()});
  ASSERT_TRUE(opened.ok());
  Engine& engine = **opened;
  ASSERT_TRUE(engine.CreateTenant(kTenant, {}).ok());
  const RawIdentity a_email{::omniroute::v1::IDENTITY_KIND_EMAIL, "", "a@example.com"};
  const RawIdentity b_email{::omniroute::v1::IDENTITY_KIND_EMAIL, "", "b@example.com"};
  auto ingest = [&](const RawIdentity& sender, absl::string_view id) {
    InboundMessage m;
    m.channel = ::omniroute::v1::CHANNEL_EMAIL;
    m.sender = sender;
    m.external_id = std::string(id);
    m.body = std::string(id);
    absl::StatusOr<IngestResult> r = engine.IngestMessage(kTenant, m);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : IngestResult{};
  };

  const IngestResult b1 = ingest(b_email, "b-1");
  clock.Advance(absl::Hours(1));
  const IngestResult a1 = ingest(a_email, "a-1");
  clock.Advance(absl::Minutes(1));
  const IngestResult a2 = ingest(a_email, "a-2");
  ASSERT_EQ(a2.conversation, a1.conversation);
  const MessageId split_off[] = {a2.message};
  absl::StatusOr<ConversationId> second =
      engine.SplitConversation(kTenant, a1.conversation, split_off, Actor::Agent("agent-1"));
  ASSERT_TRUE(second.ok()) << second.status();

  clock.Advance(absl::Minutes(10));
  absl::StatusOr<LinkResult> merge =
      engine.MergeCustomers(kTenant, a1.customer, b1.customer, Actor::Agent("agent-1"));
  ASSERT_TRUE(merge.ok()) << merge.status();
  ASSERT_EQ(merge->customer, b1.customer);
  ASSERT_EQ(merge->merged_threads.size(), 2u);  // Both of A's into B's.

  clock.Advance(absl::Minutes(10));
  const IngestResult a3 = ingest(a_email, "a-3");
  ASSERT_EQ(a3.conversation, b1.conversation);

  clock.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine.UnmergeCustomer(kTenant, a1.customer, Actor::Agent("agent-1")).ok());

  // Every message in exactly one live timeline.
  absl::flat_hash_map<MessageId, int> seen;
  absl::flat_hash_map<MessageId, CustomerId> holder;
  for (CustomerId customer : {a1.customer, b1.customer}) {
    absl::StatusOr<std::vector<ConversationView>> conversations =
        engine.ListConversations(kTenant, customer);
    ASSERT_TRUE(conversations.ok());
    for (const ConversationView& c : *conversations) {
      absl::StatusOr<std::vector<TimelineEntry>> timeline = engine.GetTimeline(kTenant, c.id);
      ASSERT_TRUE(timeline.ok());
      for (const TimelineEntry& e : *timeline) {
        if (!e.message) continue;
        ++seen[e.message->id];
        holder[e.message->id] = customer;
      }
    }
  }
  for (const IngestResult& r : {b1, a1, a2, a3}) {
    EXPECT_EQ(seen[r.message], 1) << r.message << " is in " << seen[r.message] << " timelines";
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(holder[b1.message], b1.customer);
  for (const IngestResult& r : {a1, a2, a3}) EXPECT_EQ(holder[r.message], a1.customer) << r.message;
}

INSTANTIATE_TEST_SUITE_P(ThreadMerge, ChainedMergeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "WithThreadMerge" : "WithoutThreadMerge";
                         });

}  // namespace
}  // namespace omniroute
