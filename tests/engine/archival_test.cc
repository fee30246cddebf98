// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Archival (TenantOptions::closed_retention): a closed conversation that
// leaves the working set reads exactly as it did in memory. The key test
// plays one seeded workload on two tenants, one archiving at the first
// RunDueTimers after a close and one that never archives, and compares every
// read after every few steps. The others pin down what archival must keep:
// restart (snapshot + tail, and pure replay), redelivery of an archived
// message, a late reply, what holds a closed conversation in memory, and
// paged reads of archived data.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "store/sqlite_test_files.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_internal::DirectMessage;
using testing_internal::Email;
using testing_internal::EmailMessage;
using testing_internal::Handle;
using testing_internal::Inbound;
using testing_internal::Phone;
using testing_internal::PublicPost;

constexpr char kTenant[] = "acme";
constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kDm = v1::CHANNEL_PRIVATE_SOCIAL;
constexpr Channel kPost = v1::CHANNEL_PUBLIC_SOCIAL;
constexpr Channel kVoice = v1::CHANNEL_VOICE;
// Longer than any test runs: a tenant with it never archives.
constexpr absl::Duration kNever = absl::Hours(24 * 365 * 100);

TenantOptions Retention(absl::Duration retention) {
  TenantOptions options;
  options.closed_retention = retention;
  return options;
}

// ------------------------------------------------------------ canonical text
//
// Views as text, every field, so that two reads compare with one EXPECT_EQ
// and a difference shows where it is.

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}
std::string Time(const std::optional<absl::Time>& t) { return t.has_value() ? Time(*t) : "-"; }

template <typename Id>
std::string Ids(const std::vector<Id>& ids) {
  return absl::StrJoin(ids, ",", [](std::string* out, Id id) { absl::StrAppend(out, id.value()); });
}

std::string Text(const absl::Status& s) { return absl::StatusCodeToString(s.code()); }

std::string Text(const HandoffView& h) {
  return absl::StrCat(ChannelName(h.from_channel), "->", ChannelName(h.to_channel), " '",
                      h.reason, "' by ", static_cast<int>(h.actor.kind), ":", h.actor.id, " at ",
                      Time(h.at));
}

std::string Text(const ConversationView& v) {
  std::string out = absl::StrCat(
      "conversation ", v.id.value(), " customer=", v.customer.value(),
      " status=", ConversationStatusName(v.status), " first=", ChannelName(v.first_channel),
      " channel=", ChannelName(v.channel), " used=[");
  for (Channel c : v.channels_used) absl::StrAppend(&out, ChannelName(c), ",");
  absl::StrAppend(&out, "] opened=", Time(v.opened_at), " last=", Time(v.last_activity_at),
                  " due=", Time(v.first_response_due), " responded=", Time(v.first_responded_at),
                  " resolved=", Time(v.resolved_at), " messages=", v.message_count,
                  " merged_into=", v.merged_into.has_value() ? v.merged_into->value() : 0,
                  " public=", v.began_in_public, " handoffs=[");
  for (const HandoffView& h : v.handoffs) absl::StrAppend(&out, Text(h), ";");
  return out + "]";
}

std::string Text(const MessageView& m) {
  return absl::StrCat("message ", m.id.value(), " in ", m.conversation.value(), " ",
                      ChannelName(m.channel), " dir=", static_cast<int>(m.direction),
                      " vis=", static_cast<int>(m.visibility), " ext=", m.external_id,
                      " key=", m.thread_key, " refs=[", absl::StrJoin(m.references, ","),
                      "] body=", m.body, " sender=", ToString(m.sender), " agent=", m.agent_id,
                      " at=", Time(m.recorded_at));
}

std::string Text(const TimelineEntry& e) {
  std::string out = Time(e.at);
  if (e.message.has_value()) absl::StrAppend(&out, " ", Text(*e.message));
  if (e.handoff.has_value()) absl::StrAppend(&out, " handoff ", Text(*e.handoff));
  return out;
}

std::string Text(const TimelinePage& page) {
  std::string out;
  for (const TimelineEntry& e : page.entries) absl::StrAppend(&out, Text(e), "\n");
  return absl::StrCat(out, page.next_page_token.empty() ? "(last page)" : "(more)");
}

std::string Text(const ConversationPage& page) {
  std::string out;
  for (const ConversationView& v : page.conversations) absl::StrAppend(&out, Text(v), "\n");
  return absl::StrCat(out, page.next_page_token.empty() ? "(last page)" : "(more)");
}

std::string Text(const TaskView& t) {
  return absl::StrCat(
      "task ", t.id.value(), " conversation=", t.conversation.value(), " queue=", t.queue,
      " channel=", ChannelName(t.channel), " reason=", static_cast<int>(t.reason),
      " status=", static_cast<int>(t.status), " created=", Time(t.created_at),
      " points=", t.priority_points, " due=", Time(t.first_response_due),
      " preferred=", t.preferred_agent, " until=", Time(t.preferred_until),
      " offer=", t.offer.has_value() ? absl::StrCat(t.offer->agent, "@", Time(t.offer->offered_at),
                                                    "..", Time(t.offer->expires_at))
                                     : "-",
      " agent=", t.agent, " excluded=[", absl::StrJoin(t.excluded_agents, ","),
      "] step=", t.expansion_step,
      " commitment=", t.commitment.has_value() ? t.commitment->value() : 0,
      " previous=", t.previous_task.has_value() ? t.previous_task->value() : 0,
      " end=", static_cast<int>(t.end), " cancel=", static_cast<int>(t.cancel_reason));
}

std::string Text(const CommitmentView& c) {
  return absl::StrCat("commitment ", c.id.value(), " conversation=", c.conversation.value(),
                      " kind=", static_cast<int>(c.kind), " '", c.description, "' due=",
                      Time(c.due_at), " deadline=", Time(c.deadline), " channel=",
                      ChannelName(c.channel), " queue=", c.queue, " agent=", c.agent,
                      " status=", static_cast<int>(c.status),
                      " task=", c.task.has_value() ? c.task->value() : 0, " missed=", c.missed);
}

std::string Text(const std::vector<CommitmentView>& list) {
  std::string out;
  for (const CommitmentView& c : list) absl::StrAppend(&out, Text(c), "\n");
  return out;
}

std::string Text(const ConversationRouting& r) {
  return absl::StrCat("routing of ", r.conversation.value(), " owner=", r.owner, " tasks=[",
                      Ids(r.tasks), "] transfers=", r.transfers, " handoffs=", r.handoffs,
                      " agents=", r.agents, " same=", r.same_agent_throughout);
}

// Everything but `conversations`, which lists working-set conversations only
// (compared on its own, see ArchivalTwin::CompareCustomers).
std::string Text(const CustomerView& c) {
  return absl::StrCat("customer ", c.id.value(), " name=", c.display_name, " lang=", c.language,
                      " tier=", c.tier, " reach=", c.reach, " created=", Time(c.created_at),
                      " identities=[",
                      absl::StrJoin(c.identities, ",",
                                    [](std::string* out, const Identity& i) {
                                      absl::StrAppend(out, ToString(i));
                                    }),
                      "] merged_into=", c.merged_into.has_value() ? c.merged_into->value() : 0,
                      " erased=", c.erased);
}

std::string Text(const IngestResult& r) {
  return absl::StrCat("customer=", r.customer.value(), " conversation=", r.conversation.value(),
                      " message=", r.message.value(), " outcome=", ThreadOutcomeName(r.outcome),
                      " created=", r.customer_created, " duplicate=", r.duplicate,
                      " task=", r.task.has_value() ? r.task->value() : 0, " view=",
                      r.task_view.has_value() ? Text(*r.task_view) : "-");
}

std::string Text(const LinkResult& r) {
  std::string out = absl::StrCat("customer=", r.customer.value(),
                                 " absorbed=", r.absorbed.has_value() ? r.absorbed->value() : 0,
                                 " threads=[");
  for (const auto& [target, source] : r.merged_threads) {
    absl::StrAppend(&out, source.value(), "->", target.value(), ",");
  }
  return out + "]";
}

std::string Text(const AgentView& a) {
  return absl::StrCat("agent ", a.config.id, " presence=", static_cast<int>(a.presence),
                      " load=", a.load, " offered=[", Ids(a.offered_tasks), "] assigned=[",
                      Ids(a.assigned_tasks), "] wrapping=[", Ids(a.wrapping_up_tasks),
                      "] expiries=", a.consecutive_expiries,
                      " last_end=", Time(a.last_assignment_end));
}

std::string Text(const QueueStats& q) {
  return absl::StrCat("queue ", q.queue, " waiting=", q.waiting, " offered=", q.offered,
                      " assigned=", q.assigned, " entered=", q.entered,
                      " assigned_total=", q.assigned_total, " cancelled=", q.cancelled_total,
                      " within=", q.assigned_within_target,
                      " oldest=", Time(q.oldest_waiting_since));
}

std::string Text(TaskId id) { return ToString(id); }
std::string Text(CommitmentId id) { return ToString(id); }
std::string Text(ConversationId id) { return ToString(id); }
std::string Text(MessageId id) { return ToString(id); }

// A read: the view, or the whole error.
template <typename T>
std::string Read(const absl::StatusOr<T>& r) {
  return r.ok() ? Text(*r) : r.status().ToString();
}

// A command's answer: its result, or the error's code (the wording may name
// what the engine holds in memory, which is not the point here).
template <typename T>
std::string Answer(const absl::StatusOr<T>& r) {
  return r.ok() ? Text(*r) : absl::StrCat("error ", Text(r.status()));
}
std::string Answer(const absl::Status& s) { return Text(s); }

// The conversations in a tenant's working set, from its state dump
// ("conversation <id> customer=...").
std::set<uint64_t> WorkingSetOf(const Engine& engine, absl::string_view tenant) {
  std::set<uint64_t> ids;
  absl::StatusOr<std::string> dump = engine.DumpState(tenant);
  EXPECT_TRUE(dump.ok()) << dump.status();
  if (!dump.ok()) return ids;
  for (absl::string_view line : absl::StrSplit(*dump, '\n')) {
    if (!absl::ConsumePrefix(&line, "conversation ")) continue;
    uint64_t id = 0;
    EXPECT_TRUE(absl::SimpleAtoi(line.substr(0, line.find(' ')), &id)) << line;
    ids.insert(id);
  }
  return ids;
}

// Every entry of a conversation's timeline, walked `page_size` at a time.
std::vector<std::string> WalkTimeline(const Engine& engine, absl::string_view tenant,
                                      ConversationId id, int page_size, int* pages = nullptr) {
  std::vector<std::string> entries;
  PageRequest request{.page_size = page_size};
  int count = 0;
  while (true) {
    absl::StatusOr<TimelinePage> page = engine.GetTimelinePage(tenant, id, request);
    EXPECT_TRUE(page.ok()) << id << ": " << page.status();
    if (!page.ok()) break;
    ++count;
    EXPECT_LE(page->entries.size(), static_cast<size_t>(page_size));
    for (const TimelineEntry& e : page->entries) entries.push_back(Text(e));
    if (page->next_page_token.empty()) break;
    EXPECT_EQ(page->entries.size(), static_cast<size_t>(page_size)) << "a short page that is not the last";
    request.page_token = page->next_page_token;
    if (count > 10000) {
      ADD_FAILURE() << "the timeline of " << id << " never ends";
      break;
    }
  }
  if (pages != nullptr) *pages = count;
  return entries;
}

void SetUpRouting(Engine& engine, absl::string_view tenant) {
  QueueConfig queue;
  queue.id = "care";
  queue.channels = {kEmail, kDm, kPost, kVoice};
  ASSERT_TRUE(engine.UpsertQueue(tenant, queue).ok());
  RoutingSettings settings;
  settings.default_queue = "care";
  ASSERT_TRUE(engine.ConfigureRouting(tenant, settings).ok());
  AgentConfig ann;
  ann.id = "ann";
  ann.channels = {kEmail, kDm, kPost};
  AgentConfig bob;
  bob.id = "bob";
  bob.channels = {kVoice, kEmail};
  for (const AgentConfig& agent : {ann, bob}) {
    ASSERT_TRUE(engine.UpsertAgent(tenant, agent).ok());
    ASSERT_TRUE(engine.SetAgentPresence(tenant, agent.id, v1::AGENT_PRESENCE_AVAILABLE).ok());
  }
}

// ------------------------------------------------------------ the twin run

constexpr int kPersons = 5;
const char* const kAgents[] = {"ann", "bob"};

// One seeded workload applied step by step to two engines on one clock: the
// tenant of `eager_` archives a closed conversation at the first RunDueTimers
// (closed_retention 0), the one of `never_` never does. `never_` is the
// reference: whatever it answers, `eager_` must answer too.
class ArchivalTwin {
 public:
  explicit ArchivalTwin(uint32_t seed) : seed_(seed), rng_(seed) {}

  void Run(int steps) {
    for (auto [engine, retention] : {std::pair{&eager_, absl::ZeroDuration()},
                                     std::pair{&never_, kNever}}) {
      auto opened = Engine::Open({.clock = &clock_});
      ASSERT_TRUE(opened.ok()) << opened.status();
      *engine = *std::move(opened);
      ASSERT_TRUE((*engine)->CreateTenant(kTenant, Retention(retention)).ok());
      ASSERT_NO_FATAL_FAILURE(SetUpRouting(**engine, kTenant));
    }
    for (step_ = 0; step_ < steps; ++step_) {
      Step();
      if (Pick(10) < 4) RunTimers();
      if (step_ % 4 == 3) Check();
      if (::testing::Test::HasFailure()) return;
    }
    Check();
    if (::testing::Test::HasFailure()) return;
    archived_before_close_out_ = archived_;
    CloseOut();
  }

  // Conversations archived over the run (RunDueTimers counts of `eager_`
  // beyond those of `never_`, whose routing timers are the same).
  int archived() const { return archived_; }
  int archived_before_close_out() const { return archived_before_close_out_; }
  // The most conversations out of `eager_`'s working set at one check
  // before the close-out.
  size_t most_out_of_memory() const { return most_out_of_memory_; }

 private:
  uint32_t Pick(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(rng_() % n); }
  template <typename T>
  const T& PickFrom(const std::vector<T>& v) {
    return v[Pick(static_cast<uint32_t>(v.size()))];
  }

  std::string Where() const {
    return absl::StrCat("seed ", seed_, " step ", step_, "; steps so far:\n",
                        absl::StrJoin(trace_, "\n"));
  }
  void Note(std::string op) { trace_.push_back(absl::StrCat(step_, ": ", op)); }

  // Applies one command to both and expects the same answer.
  template <typename F>
  auto Both(absl::string_view what, F command) {
    auto e = command(*eager_);
    auto n = command(*never_);
    Note(absl::StrCat(what, " -> ", Answer(n)));
    EXPECT_EQ(Answer(e), Answer(n)) << what << "\n" << Where();
    if constexpr (!std::is_same_v<decltype(n), absl::Status>) return n;
  }

  ConversationId AnyConversation() { return ConversationId(1 + Pick(conversations_)); }
  CustomerId AnyCustomer() { return CustomerId(1 + Pick(customers_)); }
  RawIdentity IdentityOf(int person, int kind) {
    switch (kind) {
      case 0:
        return Email(absl::StrCat("p", person, "@example.com"));
      case 1:
        return Handle("x", absl::StrCat("p", person));
      default:
        return Phone(absl::StrCat("+1555010000", person));
    }
  }

  void Step() {
    const uint32_t roll = Pick(100);
    if (roll < 31) return IngestNew();
    if (roll < 37) return Redeliver();
    if (roll < 43) return Outbound();
    if (roll < 58) return ChangeStatus();
    if (roll < 60) return HandoffOne();
    if (roll < 63) return MergeCustomers();
    if (roll < 66) return LinkIdentity();
    if (roll < 70) return Unmerge();
    if (roll < 73) return MergeConversations();
    if (roll < 75) return Split();
    if (roll < 80) return Accept();
    if (roll < 84) return Complete();
    if (roll < 86) return Presence();
    if (roll < 88) return Commit();
    if (roll < 90) return CloseCommitment();
    return Advance();
  }

  void Ingest(const InboundMessage& m, bool redelivery) {
    auto n = Both(absl::StrCat("ingest ", ChannelName(m.channel), " ", m.external_id, " key=",
                               m.thread_key, " refs=", absl::StrJoin(m.references, ",")),
                  [&](Engine& e) { return e.IngestMessage(kTenant, m); });
    ASSERT_TRUE(n.ok()) << n.status() << "\n" << Where();
    // Spec, not just agreement: a message seen before is a duplicate.
    EXPECT_EQ(n->duplicate, redelivery) << Where();
    if (redelivery) return;
    inbound_.push_back(m);
    keys_[m.channel].push_back(m.external_id);
    if (!m.thread_key.empty()) threads_[m.channel].push_back(m.thread_key);
    conversations_ = std::max<uint32_t>(conversations_, n->conversation.value());
    customers_ = std::max<uint32_t>(customers_, n->customer.value());
    if (n->task.has_value()) tasks_ = std::max<uint32_t>(tasks_, n->task->value());
  }

  void IngestNew() {
    const int person = static_cast<int>(Pick(kPersons));
    const std::string n = absl::StrCat(++counter_);
    const std::string body = absl::StrCat("body ", n);
    const uint32_t kind = Pick(4);
    InboundMessage m;
    if (kind == 0) {
      std::vector<std::string> refs;
      if (!keys_[kEmail].empty() && Pick(5) < 3) refs.push_back(PickFrom(keys_[kEmail]));
      m = EmailMessage(absl::StrCat("p", person, "@example.com"), absl::StrCat("e", n), body,
                       refs);
    } else if (kind == 1) {
      const std::string key = !threads_[kDm].empty() && Pick(5) < 3 ? PickFrom(threads_[kDm])
                                                                    : absl::StrCat("t", n);
      m = DirectMessage("x", absl::StrCat("p", person), absl::StrCat("d", n), body, key);
    } else if (kind == 2) {
      m = PublicPost("x", absl::StrCat("p", person), absl::StrCat("p", n), body);
      if (!keys_[kPost].empty() && Pick(5) < 2) m.references.push_back(PickFrom(keys_[kPost]));
    } else {
      const std::string key = !threads_[kVoice].empty() && Pick(5) < 2
                                  ? PickFrom(threads_[kVoice])
                                  : absl::StrCat("call", n);
      m = Inbound(kVoice, IdentityOf(person, 2), absl::StrCat("v", n), body, {}, key);
    }
    Ingest(m, /*redelivery=*/false);
  }

  void Redeliver() {
    if (inbound_.empty()) return IngestNew();
    Ingest(PickFrom(inbound_), /*redelivery=*/true);
  }

  void Outbound() {
    if (conversations_ == 0) return;
    const ConversationId c = AnyConversation();
    absl::StatusOr<ConversationView> view = never_->GetConversation(kTenant, c);
    if (!view.ok()) return;
    OutboundMessage m;
    m.conversation = c;
    m.channel = Pick(6) == 0 ? kPost : view->channel;
    if (m.channel == kEmail || m.channel == kPost) m.external_id = absl::StrCat("o", ++counter_);
    m.body = "answer";
    m.agent_id = PickFrom(std::vector<std::string>{"ann", "bob"});
    auto n = Both(absl::StrCat("outbound ", ToString(c), " on ", ChannelName(m.channel)),
                  [&](Engine& e) { return e.RecordOutbound(kTenant, m); });
    if (n.ok() && !m.external_id.empty()) keys_[m.channel].push_back(m.external_id);
  }

  void ChangeStatus() {
    if (conversations_ == 0) return;
    const ConversationId c = AnyConversation();
    const uint32_t roll = Pick(20);
    const ConversationStatus status = roll < 6    ? v1::CONVERSATION_STATUS_RESOLVED
                                      : roll < 15 ? v1::CONVERSATION_STATUS_CLOSED
                                      : roll < 18 ? v1::CONVERSATION_STATUS_OPEN
                                                  : v1::CONVERSATION_STATUS_PENDING_CUSTOMER;
    Both(absl::StrCat("status ", ToString(c), " ", ConversationStatusName(status)), [&](Engine& e) {
      return e.SetConversationStatus(kTenant, c, status, Actor::Agent("ann"));
    });
  }

  void HandoffOne() {
    if (conversations_ == 0) return;
    const ConversationId c = AnyConversation();
    const Channel to = std::vector<Channel>{kEmail, kDm, kPost, kVoice}[Pick(4)];
    Both(absl::StrCat("handoff ", ToString(c), " to ", ChannelName(to)), [&](Engine& e) {
      return e.Handoff(kTenant, c, to, "moved", Actor::Agent("ann"));
    });
  }

  void MergeCustomers() {
    if (customers_ < 2) return;
    const CustomerId a = AnyCustomer();
    const CustomerId b = AnyCustomer();
    (void)Both(absl::StrCat("merge customers ", ToString(a), " ", ToString(b)), [&](Engine& e) {
      return e.MergeCustomers(kTenant, a, b, Actor::Agent("ann"));
    });
  }

  void LinkIdentity() {
    if (customers_ == 0) return;
    const CustomerId a = AnyCustomer();
    const RawIdentity identity =
        IdentityOf(static_cast<int>(Pick(kPersons)), static_cast<int>(Pick(3)));
    (void)Both(absl::StrCat("link ", identity.value, " to ", ToString(a)), [&](Engine& e) {
      return e.LinkIdentity(kTenant, a, identity, Actor::Agent("ann"));
    });
  }

  void Unmerge() {
    if (customers_ == 0) return;
    // Mostly a customer that is merged, so that unmerges happen.
    std::vector<CustomerId> merged;
    for (uint32_t i = 1; i <= customers_; ++i) {
      absl::StatusOr<CustomerView> c = never_->GetCustomer(kTenant, CustomerId(i));
      if (c.ok() && c->merged_into.has_value()) merged.push_back(c->id);
    }
    const CustomerId a = !merged.empty() && Pick(4) != 0 ? PickFrom(merged) : AnyCustomer();
    Both(absl::StrCat("unmerge ", ToString(a)),
         [&](Engine& e) { return e.UnmergeCustomer(kTenant, a, Actor::Agent("ann")); });
  }

  void MergeConversations() {
    if (conversations_ == 0) return;
    ConversationId source = AnyConversation();
    ConversationId target = AnyConversation();
    // Mostly two live conversations of one customer, which merge.
    std::vector<std::pair<ConversationId, ConversationId>> pairs;
    for (uint32_t i = 1; i <= customers_; ++i) {
      absl::StatusOr<std::vector<ConversationView>> list =
          never_->ListConversations(kTenant, CustomerId(i));
      if (!list.ok()) continue;
      std::vector<ConversationId> live;
      for (const ConversationView& c : *list) {
        if (c.status != v1::CONVERSATION_STATUS_CLOSED) live.push_back(c.id);
      }
      for (ConversationId x : live) {
        for (ConversationId y : live) {
          if (x != y) pairs.emplace_back(x, y);
        }
      }
    }
    if (!pairs.empty() && Pick(4) != 0) std::tie(source, target) = PickFrom(pairs);
    Both(absl::StrCat("merge conversations ", ToString(source), " into ", ToString(target)),
         [&](Engine& e) {
           return e.MergeConversations(kTenant, target, source, Actor::Agent("ann"));
         });
  }

  void Split() {
    if (conversations_ == 0) return;
    const ConversationId c = AnyConversation();
    absl::StatusOr<std::vector<TimelineEntry>> timeline = never_->GetTimeline(kTenant, c);
    if (!timeline.ok()) return;
    std::vector<MessageId> ids = testing_internal::MessageIds(*timeline);
    if (ids.size() < 2) return;
    // Its latest messages, not all of them.
    const size_t keep = 1 + Pick(static_cast<uint32_t>(ids.size() - 1));
    std::vector<MessageId> moving(ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end());
    auto n = Both(absl::StrCat("split ", ToString(c), " [", Ids(moving), "]"), [&](Engine& e) {
      return e.SplitConversation(kTenant, c, moving, Actor::Agent("ann"));
    });
    if (n.ok()) conversations_ = std::max<uint32_t>(conversations_, n->value());
  }

  TaskId AnyTask() { return TaskId(1 + Pick(tasks_)); }

  void Accept() {
    if (tasks_ == 0) return;
    const TaskId t = AnyTask();
    absl::StatusOr<TaskView> view = never_->GetTask(kTenant, t);
    const std::string agent =
        view.ok() && view->offer.has_value() ? view->offer->agent : kAgents[Pick(2)];
    Both(absl::StrCat("accept ", ToString(t), " by ", agent),
         [&](Engine& e) { return e.AcceptOffer(kTenant, t, agent); });
  }

  void Complete() {
    if (tasks_ == 0) return;
    const TaskId t = AnyTask();
    absl::StatusOr<TaskView> view = never_->GetTask(kTenant, t);
    const std::string agent = view.ok() && !view->agent.empty() ? view->agent : kAgents[Pick(2)];
    Both(absl::StrCat("complete ", ToString(t), " by ", agent),
         [&](Engine& e) { return e.CompleteTask(kTenant, t, agent); });
  }

  void Presence() {
    const std::string agent = kAgents[Pick(2)];
    const AgentPresence presence =
        Pick(5) == 0 ? v1::AGENT_PRESENCE_AWAY : v1::AGENT_PRESENCE_AVAILABLE;
    Both(absl::StrCat("presence ", agent, " ", static_cast<int>(presence)),
         [&](Engine& e) { return e.SetAgentPresence(kTenant, agent, presence); });
  }

  void Commit() {
    if (conversations_ == 0) return;
    CommitmentRequest request;
    request.conversation = AnyConversation();
    request.description = "call back";
    request.due_at = clock_.Now() + absl::Hours(1 + Pick(48));
    if (Pick(2) == 0) request.agent = "ann";
    request.actor = Actor::Agent("ann");
    auto n = Both(absl::StrCat("commitment on ", ToString(request.conversation)),
                  [&](Engine& e) { return e.RecordCommitment(kTenant, request); });
    if (n.ok()) commitments_ = std::max<uint32_t>(commitments_, n->value());
  }

  void CloseCommitment() {
    if (commitments_ == 0) return;
    const CommitmentId c(1 + Pick(commitments_));
    const CommitmentStatus status =
        Pick(2) == 0 ? v1::COMMITMENT_STATUS_FULFILLED : v1::COMMITMENT_STATUS_CANCELLED;
    Both(absl::StrCat("close ", ToString(c)), [&](Engine& e) {
      return e.CloseCommitment(kTenant, c, status, Actor::Agent("ann"), "done");
    });
  }

  void RunTimers() {
    absl::StatusOr<int> e = eager_->RunDueTimers(kTenant);
    absl::StatusOr<int> n = never_->RunDueTimers(kTenant);
    ASSERT_TRUE(e.ok()) << e.status() << "\n" << Where();
    ASSERT_TRUE(n.ok()) << n.status() << "\n" << Where();
    Note(absl::StrCat("timers: ", *n, " (+", *e - *n, " archived)"));
    // The same routing timers fire in both; the eager one archives too.
    EXPECT_GE(*e, *n) << Where();
    archived_ += *e - *n;
  }

  void Advance() {
    static constexpr absl::Duration kSteps[] = {absl::Seconds(10), absl::Seconds(40),
                                                absl::Minutes(11), absl::Hours(3),
                                                absl::Hours(30),   absl::Hours(72)};
    const absl::Duration d = kSteps[Pick(6)];
    clock_.Advance(d);
    Note(absl::StrCat("advance ", absl::FormatDuration(d)));
    RunTimers();
  }

  // Ids are given in order from 1 in both tenants: walk them until the
  // reference tenant says NOT_FOUND (and compare that answer too).
  template <typename Get>
  uint32_t CompareIds(absl::string_view what, Get get) {
    uint32_t last = 0;
    for (uint32_t i = 1;; ++i) {
      auto n = get(*never_, i);
      auto e = get(*eager_, i);
      EXPECT_EQ(Read(e), Read(n)) << what << " " << i << "\n" << Where();
      if (!n.ok()) {
        EXPECT_EQ(n.status().code(), absl::StatusCode::kNotFound) << n.status();
        break;
      }
      last = i;
    }
    return last;
  }

  static std::vector<std::string> Export(const Engine& engine, CustomerId customer) {
    std::vector<std::string> lines;
    absl::Status s = engine.ExportCustomer(kTenant, customer, [&](absl::string_view line) {
      lines.emplace_back(line);
      return absl::OkStatus();
    });
    if (!s.ok()) lines.push_back(s.ToString());
    return lines;
  }

  // Every read of both tenants, compared.
  void Check() {
    const int page_size = 1 + static_cast<int>(Pick(4));
    const std::set<uint64_t> eager_memory = WorkingSetOf(*eager_, kTenant);
    const std::set<uint64_t> never_memory = WorkingSetOf(*never_, kTenant);

    // Conversations: views, every page of the timeline, routing, commitments.
    conversations_ = CompareIds("conversation", [](Engine& e, uint32_t i) {
      return e.GetConversation(kTenant, ConversationId(i));
    });
    for (uint32_t i = 1; i <= conversations_; ++i) {
      const ConversationId id(i);
      PageRequest re{.page_size = page_size};
      PageRequest rn{.page_size = page_size};
      for (int pages = 0; pages < 1000; ++pages) {
        absl::StatusOr<TimelinePage> e = eager_->GetTimelinePage(kTenant, id, re);
        absl::StatusOr<TimelinePage> n = never_->GetTimelinePage(kTenant, id, rn);
        EXPECT_EQ(Read(e), Read(n)) << "timeline of " << id << " page " << pages << "\n"
                                    << Where();
        if (!e.ok() || !n.ok() || n->next_page_token.empty() || e->next_page_token.empty()) break;
        re.page_token = e->next_page_token;
        rn.page_token = n->next_page_token;
      }
      EXPECT_EQ(Read(eager_->GetConversationRouting(kTenant, id)),
                Read(never_->GetConversationRouting(kTenant, id)))
          << id << "\n" << Where();
      EXPECT_EQ(Read(eager_->ListCommitments(kTenant, id)),
                Read(never_->ListCommitments(kTenant, id)))
          << id << "\n" << Where();
      // Only closed conversations (with those merged into them) leave.
      if (eager_memory.contains(i)) continue;
      EXPECT_TRUE(never_memory.contains(i));
      absl::StatusOr<ConversationView> view = never_->GetConversation(kTenant, id);
      ASSERT_TRUE(view.ok());
      while (view.ok() && view->merged_into.has_value()) {
        view = never_->GetConversation(kTenant, *view->merged_into);
      }
      ASSERT_TRUE(view.ok());
      EXPECT_EQ(view->status, v1::CONVERSATION_STATUS_CLOSED)
          << id << " left memory but is not closed\n" << Where();
    }
    for (uint64_t id : eager_memory) EXPECT_TRUE(never_memory.contains(id)) << id;
    // Before the close-out, which archives everything.
    if (step_ >= 0) {
      most_out_of_memory_ =
          std::max(most_out_of_memory_, never_memory.size() - eager_memory.size());
    }

    // Customers, and every page of their conversations.
    customers_ = CompareIds(
        "customer", [](Engine& e, uint32_t i) { return e.GetCustomer(kTenant, CustomerId(i)); });
    for (uint32_t i = 1; i <= customers_; ++i) {
      const CustomerId id(i);
      // CustomerView::conversations lists the working set's conversations
      // only: the eager tenant's list is the reference's without those it
      // archived, in the same order.
      absl::StatusOr<CustomerView> e = eager_->GetCustomer(kTenant, id);
      absl::StatusOr<CustomerView> n = never_->GetCustomer(kTenant, id);
      ASSERT_TRUE(e.ok() && n.ok());
      std::vector<ConversationId> expected;
      for (ConversationId c : n->conversations) {
        if (eager_memory.contains(c.value())) expected.push_back(c);
      }
      EXPECT_EQ(Ids(e->conversations), Ids(expected)) << id << "\n" << Where();

      PageRequest re{.page_size = page_size};
      PageRequest rn{.page_size = page_size};
      for (int pages = 0; pages < 1000; ++pages) {
        absl::StatusOr<ConversationPage> ep = eager_->ListConversationsPage(kTenant, id, re);
        absl::StatusOr<ConversationPage> np = never_->ListConversationsPage(kTenant, id, rn);
        EXPECT_EQ(Read(ep), Read(np)) << "conversations of " << id << " page " << pages << "\n"
                                      << Where();
        if (!ep.ok() || !np.ok() || np->next_page_token.empty() || ep->next_page_token.empty()) {
          break;
        }
        re.page_token = ep->next_page_token;
        rn.page_token = np->next_page_token;
      }
    }

    // The customer's export (GDPR art. 15): its conversations, archived or
    // not, and their messages.
    for (uint32_t i = 1; i <= customers_; ++i) {
      EXPECT_EQ(Export(*eager_, CustomerId(i)), Export(*never_, CustomerId(i)))
          << "export of customer " << i << "\n" << Where();
    }

    tasks_ = CompareIds("task", [](Engine& e, uint32_t i) { return e.GetTask(kTenant, TaskId(i)); });
    commitments_ = CompareIds("commitment", [](Engine& e, uint32_t i) {
      return e.GetCommitment(kTenant, CommitmentId(i));
    });
    for (const char* agent : kAgents) {
      EXPECT_EQ(Read(eager_->GetAgent(kTenant, agent)), Read(never_->GetAgent(kTenant, agent)))
          << Where();
    }
    EXPECT_EQ(Read(eager_->GetQueueStats(kTenant, "care")),
              Read(never_->GetQueueStats(kTenant, "care")))
        << Where();
  }

  // Ends all work, undoes every merge and closes every conversation: then
  // nothing holds any of them, and the eager tenant's working set empties.
  void CloseOut() {
    step_ = -1;
    for (int round = 0; round < 10; ++round) {
      bool any = false;
      for (uint32_t i = 1; i <= customers_; ++i) {
        absl::StatusOr<CustomerView> c = never_->GetCustomer(kTenant, CustomerId(i));
        ASSERT_TRUE(c.ok());
        if (!c->merged_into.has_value()) continue;
        any = true;
        Both(absl::StrCat("unmerge ", ToString(c->id)), [&](Engine& e) {
          return e.UnmergeCustomer(kTenant, c->id, Actor::Agent("ann"));
        });
      }
      if (!any) break;
    }
    for (uint32_t i = 1; i <= commitments_; ++i) {
      absl::StatusOr<CommitmentView> c = never_->GetCommitment(kTenant, CommitmentId(i));
      ASSERT_TRUE(c.ok());
      if (c->status == v1::COMMITMENT_STATUS_FULFILLED ||
          c->status == v1::COMMITMENT_STATUS_CANCELLED) {
        continue;
      }
      Both(absl::StrCat("close ", ToString(c->id)), [&](Engine& e) {
        return e.CloseCommitment(kTenant, c->id, v1::COMMITMENT_STATUS_CANCELLED,
                                 Actor::Agent("ann"), "closing out");
      });
    }
    for (uint32_t i = 1; i <= conversations_; ++i) {
      absl::StatusOr<ConversationView> c = never_->GetConversation(kTenant, ConversationId(i));
      ASSERT_TRUE(c.ok());
      if (c->status == v1::CONVERSATION_STATUS_CLOSED ||
          c->status == v1::CONVERSATION_STATUS_MERGED) {
        continue;
      }
      Both(absl::StrCat("close ", ToString(c->id)), [&](Engine& e) {
        return e.SetConversationStatus(kTenant, c->id, v1::CONVERSATION_STATUS_CLOSED,
                                       Actor::Agent("ann"));
      });
    }
    // Assigned tasks outlive a close until their agents complete them.
    tasks_ = CompareIds("task", [](Engine& e, uint32_t i) { return e.GetTask(kTenant, TaskId(i)); });
    for (uint32_t i = 1; i <= tasks_; ++i) {
      absl::StatusOr<TaskView> t = never_->GetTask(kTenant, TaskId(i));
      ASSERT_TRUE(t.ok());
      if (t->status != v1::TASK_STATUS_ASSIGNED) continue;
      Both(absl::StrCat("complete ", ToString(t->id)),
           [&](Engine& e) { return e.CompleteTask(kTenant, t->id, t->agent); });
    }
    for (int round = 0; round < 4; ++round) {
      clock_.Advance(absl::Hours(80));
      RunTimers();
    }
    Check();
    // Everything is closed, nothing holds it: all has left the eager
    // tenant's memory, but for threads that hold conversations of more than
    // one customer (merged while their customers were, then unmerged), which
    // must stay where each customer finds its own.
    std::map<uint64_t, std::set<uint64_t>> customers_of_thread;
    for (uint32_t i = 1; i <= conversations_; ++i) {
      absl::StatusOr<ConversationView> c = never_->GetConversation(kTenant, ConversationId(i));
      ASSERT_TRUE(c.ok());
      const uint64_t customer = c->customer.value();
      while (c.ok() && c->merged_into.has_value()) {
        c = never_->GetConversation(kTenant, *c->merged_into);
      }
      ASSERT_TRUE(c.ok());
      customers_of_thread[c->id.value()].insert(customer);
    }
    for (uint64_t id : WorkingSetOf(*eager_, kTenant)) {
      absl::StatusOr<ConversationView> c = never_->GetConversation(kTenant, ConversationId(id));
      ASSERT_TRUE(c.ok());
      while (c.ok() && c->merged_into.has_value()) {
        c = never_->GetConversation(kTenant, *c->merged_into);
      }
      ASSERT_TRUE(c.ok());
      EXPECT_GT(customers_of_thread[c->id.value()].size(), 1u)
          << "conversation " << id << " is closed and nothing holds it\n" << Where();
    }
    absl::StatusOr<std::optional<absl::Time>> next = eager_->NextTimer(kTenant);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, std::nullopt) << Where();
  }

  const uint32_t seed_;
  std::mt19937 rng_;
  ManualClock clock_;
  std::unique_ptr<Engine> eager_;
  std::unique_ptr<Engine> never_;
  int step_ = 0;
  std::vector<std::string> trace_;

  uint64_t counter_ = 0;
  uint32_t conversations_ = 0;
  uint32_t customers_ = 0;
  uint32_t tasks_ = 0;
  uint32_t commitments_ = 0;
  std::vector<InboundMessage> inbound_;
  std::map<Channel, std::vector<std::string>> keys_;
  std::map<Channel, std::vector<std::string>> threads_;

  int archived_ = 0;
  int archived_before_close_out_ = 0;
  size_t most_out_of_memory_ = 0;
};

TEST(ArchivalPropertyTest, ArchivingChangesNoReadOrDecision) {
  int archived = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    ArchivalTwin twin(seed);
    twin.Run(100);
    if (HasFailure()) return;
    // The run did archive, before the close-out too: RunDueTimers counted
    // archivals, and the eager tenant's working set was smaller at a check.
    EXPECT_GT(twin.archived_before_close_out(), 0);
    EXPECT_GT(twin.most_out_of_memory(), 0u);
    archived += twin.archived();
  }
  EXPECT_GT(archived, 100);
}


// ------------------------------------------------------------ focused tests

IngestResult MustIngest(Engine& engine, absl::string_view tenant, const InboundMessage& m) {
  absl::StatusOr<IngestResult> r = engine.IngestMessage(tenant, m);
  EXPECT_TRUE(r.ok()) << m.external_id << ": " << r.status();
  return r.ok() ? *r : IngestResult{};
}

void MustClose(Engine& engine, absl::string_view tenant, ConversationId c) {
  absl::Status s =
      engine.SetConversationStatus(tenant, c, v1::CONVERSATION_STATUS_CLOSED, Actor::Agent("ann"));
  EXPECT_TRUE(s.ok()) << c << ": " << s;
}

int MustRunTimers(Engine& engine, absl::string_view tenant) {
  absl::StatusOr<int> fired = engine.RunDueTimers(tenant);
  EXPECT_TRUE(fired.ok()) << fired.status();
  return fired.ok() ? *fired : -1;
}

std::vector<uint64_t> ListedIds(const Engine& engine, absl::string_view tenant, CustomerId c) {
  std::vector<uint64_t> ids;
  absl::StatusOr<std::vector<ConversationView>> list = engine.ListConversations(tenant, c);
  EXPECT_TRUE(list.ok()) << list.status();
  if (!list.ok()) return ids;
  for (const ConversationView& v : *list) ids.push_back(v.id.value());
  return ids;
}

// Every read of a tenant, as text: conversations (view, timeline two
// entries a page, routing, commitments), customers (view with its list and
// every page of its conversations), tasks, commitments.
std::vector<std::string> EveryRead(const Engine& engine, absl::string_view tenant) {
  std::vector<std::string> reads;
  for (uint64_t i = 1;; ++i) {
    absl::StatusOr<ConversationView> view = engine.GetConversation(tenant, ConversationId(i));
    reads.push_back(Read(view));
    if (!view.ok()) break;
    for (std::string& entry : WalkTimeline(engine, tenant, ConversationId(i), 2)) {
      reads.push_back(std::move(entry));
    }
    reads.push_back(Read(engine.GetConversationRouting(tenant, ConversationId(i))));
    reads.push_back(Read(engine.ListCommitments(tenant, ConversationId(i))));
  }
  for (uint64_t i = 1;; ++i) {
    absl::StatusOr<CustomerView> view = engine.GetCustomer(tenant, CustomerId(i));
    // CustomerView::conversations is left out: it lists the working set's.
    reads.push_back(Read(view));
    if (!view.ok()) break;
    PageRequest request{.page_size = 1};
    while (true) {
      absl::StatusOr<ConversationPage> page =
          engine.ListConversationsPage(tenant, CustomerId(i), request);
      reads.push_back(Read(page));
      if (!page.ok() || page->next_page_token.empty()) break;
      request.page_token = page->next_page_token;
    }
  }
  for (uint64_t i = 1;; ++i) {
    absl::StatusOr<TaskView> view = engine.GetTask(tenant, TaskId(i));
    reads.push_back(Read(view));
    if (!view.ok()) break;
  }
  for (uint64_t i = 1;; ++i) {
    absl::StatusOr<CommitmentView> view = engine.GetCommitment(tenant, CommitmentId(i));
    reads.push_back(Read(view));
    if (!view.ok()) break;
  }
  return reads;
}

// Restart on a SQLite file: archived conversations read the same, the state
// is rebuilt whole, and ids go on where they stopped. With a snapshot taken
// after the first archivals (the tail archives more), and by pure replay.
class ArchivalRestartTest : public ::testing::TestWithParam<bool> {};

TEST_P(ArchivalRestartTest, ArchivedDataAndIdsSurviveARestart) {
  const bool with_snapshot = GetParam();
  testing_internal::ScratchDir dir;
  const std::string path = dir.File("acme.db");
  ManualClock clock;
  std::string dump_before;
  std::vector<std::string> reads_before;
  uint64_t last_sequence = 0;
  {
    auto store = OpenSqliteEventStore({.path = path});
    ASSERT_TRUE(store.ok()) << store.status();
    auto engine = Engine::Open({.clock = &clock, .store = store->get()});
    ASSERT_TRUE(engine.ok()) << engine.status();
    Engine& e = **engine;
    ASSERT_TRUE(e.CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());

    // Ann: two emails (one thread) and an answer; Bob: a DM.
    const IngestResult a1 = MustIngest(e, kTenant, EmailMessage("ann@example.com", "<a1>", "one"));
    clock.Advance(absl::Minutes(1));
    const IngestResult a2 =
        MustIngest(e, kTenant, EmailMessage("ann@example.com", "<a2>", "two", {"<a1>"}));
    EXPECT_EQ(a2.conversation, a1.conversation);
    ASSERT_TRUE(e.RecordOutbound(kTenant, testing_internal::Outbound(a1.conversation, kEmail,
                                                                      "<r1>", "ann"))
                    .ok());
    const IngestResult b1 = MustIngest(e, kTenant, DirectMessage("x", "bob", "d1", "hi", "kb"));
    EXPECT_EQ(b1.conversation, ConversationId(2));
    clock.Advance(absl::Minutes(1));
    MustClose(e, kTenant, a1.conversation);
    MustClose(e, kTenant, b1.conversation);
    // Nothing else is due: the two closed conversations are all it does.
    EXPECT_EQ(MustRunTimers(e, kTenant), 2);
    EXPECT_THAT(WorkingSetOf(e, kTenant), ::testing::IsEmpty());
    if (with_snapshot) ASSERT_TRUE(e.TakeSnapshot(kTenant).ok());

    // The tail: a new customer, a late reply of Ann (a new conversation),
    // and one more archival.
    clock.Advance(absl::Hours(1));
    const IngestResult c1 = MustIngest(e, kTenant, EmailMessage("cy@example.com", "<c1>"));
    EXPECT_EQ(c1.conversation, ConversationId(3));
    const IngestResult late =
        MustIngest(e, kTenant, EmailMessage("ann@example.com", "<a3>", "late", {"<r1>"}));
    EXPECT_EQ(late.conversation, ConversationId(4));
    EXPECT_EQ(late.customer, a1.customer);
    clock.Advance(absl::Minutes(1));
    MustClose(e, kTenant, c1.conversation);
    EXPECT_EQ(MustRunTimers(e, kTenant), 1);
    EXPECT_THAT(WorkingSetOf(e, kTenant), ElementsAre(4u));

    dump_before = *e.DumpState(kTenant);
    reads_before = EveryRead(e, kTenant);
    last_sequence = *e.LastSequence(kTenant);
  }

  auto store = OpenSqliteEventStore({.path = path});
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<EventStore::Snapshot> snapshot = (*store)->LoadSnapshot(kTenant);
  if (with_snapshot) {
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    EXPECT_GT(snapshot->sequence, 0u);
    EXPECT_LT(snapshot->sequence, last_sequence) << "the restart replays a tail";
  } else {
    EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kNotFound) << "a pure replay";
  }
  auto engine = Engine::Open({.clock = &clock, .store = store->get()});
  ASSERT_TRUE(engine.ok()) << engine.status();
  Engine& e = **engine;
  EXPECT_EQ(*e.DumpState(kTenant), dump_before);
  const std::vector<std::string> reads_after = EveryRead(e, kTenant);
  EXPECT_EQ(reads_after, reads_before);
  // Four conversations, six messages (five inbound, one answer), four
  // tasks (Ann's second email joined the work of her first) were given:
  // nothing of the archived ones is given again.
  clock.Advance(absl::Minutes(1));
  const IngestResult d1 = MustIngest(e, kTenant, EmailMessage("dee@example.com", "<d1>"));
  EXPECT_EQ(d1.conversation, ConversationId(5));
  EXPECT_EQ(d1.message, MessageId(7));
  EXPECT_EQ(d1.customer, CustomerId(4));
  EXPECT_EQ(d1.task, std::optional<TaskId>(TaskId(5)));
  // A redelivery of an archived message is still recognised after the restart.
  const IngestResult again = MustIngest(e, kTenant, EmailMessage("ann@example.com", "<a2>", "two", {"<a1>"}));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message, MessageId(2));
  EXPECT_EQ(again.conversation, ConversationId(1));
}

INSTANTIATE_TEST_SUITE_P(Archival, ArchivalRestartTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FromSnapshotAndTail" : "FromTheWholeLog";
                         });

TEST(ArchivalRedeliveryTest, AnArchivedMessageRedeliveredIsADuplicateAndChangesNothing) {
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock});
  ASSERT_TRUE(engine.ok());
  Engine& e = **engine;
  ASSERT_TRUE(e.CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());

  // Zoe (customer 1, older) and Ann (customer 2).
  const IngestResult zoe = MustIngest(e, kTenant, EmailMessage("zoe@example.com", "<z1>"));
  clock.Advance(absl::Minutes(1));
  const InboundMessage first = EmailMessage("ann@example.com", "<a1>", "first");
  const IngestResult a1 = MustIngest(e, kTenant, first);
  // A second thread of Ann's, merged into the first: its message moves.
  clock.Advance(absl::Minutes(1));
  const InboundMessage dm = DirectMessage("x", "ann", "d1", "dm", "k1");
  ASSERT_TRUE(e.LinkIdentity(kTenant, a1.customer, Handle("x", "ann"), Actor::Agent("ann")).ok());
  const IngestResult d1 = MustIngest(e, kTenant, dm);
  ASSERT_EQ(d1.customer, a1.customer);
  // Continuity joined it to the open conversation; split it off, then merge
  // it back, so that the message lives in a conversation not its own.
  ConversationId source = d1.conversation;
  if (d1.conversation == a1.conversation) {
    absl::StatusOr<ConversationId> split =
        e.SplitConversation(kTenant, a1.conversation, {d1.message}, Actor::Agent("ann"));
    ASSERT_TRUE(split.ok()) << split.status();
    source = *split;
  }
  ASSERT_TRUE(e.MergeConversations(kTenant, a1.conversation, source, Actor::Agent("ann")).ok());
  MustClose(e, kTenant, a1.conversation);
  EXPECT_EQ(MustRunTimers(e, kTenant), 1);
  ASSERT_EQ(WorkingSetOf(e, kTenant), std::set<uint64_t>{zoe.conversation.value()});

  const uint64_t sequence = *e.LastSequence(kTenant);
  const std::string dump = *e.DumpState(kTenant);
  for (const auto& [m, original] : {std::pair{first, a1}, std::pair{dm, d1}}) {
    const IngestResult again = MustIngest(e, kTenant, m);
    EXPECT_TRUE(again.duplicate) << m.external_id;
    EXPECT_FALSE(again.customer_created);
    EXPECT_EQ(again.message, original.message);
    // Where it is now: the conversation that holds it when it was archived.
    EXPECT_EQ(again.conversation, a1.conversation);
    EXPECT_EQ(again.customer, a1.customer);
    EXPECT_EQ(again.outcome, original.outcome);
    EXPECT_EQ(again.task, std::nullopt);
  }
  EXPECT_EQ(*e.LastSequence(kTenant), sequence) << "a redelivery records nothing";
  EXPECT_EQ(*e.DumpState(kTenant), dump);

  // Ann merged into Zoe since: the redelivery names the customer she stands for.
  auto merged = e.MergeCustomers(kTenant, zoe.customer, a1.customer, Actor::Agent("ann"));
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->customer, zoe.customer);
  const IngestResult after_merge = MustIngest(e, kTenant, first);
  EXPECT_TRUE(after_merge.duplicate);
  EXPECT_EQ(after_merge.customer, zoe.customer);
  EXPECT_EQ(after_merge.conversation, a1.conversation);
  // No conversation was opened by the redeliveries: the next one is the next id.
  clock.Advance(absl::Minutes(1));
  const IngestResult next = MustIngest(e, kTenant, EmailMessage("new@example.com", "<n1>"));
  EXPECT_EQ(next.conversation.value(), source.value() + 1);
}

// The same script on a tenant that archives and on one that does not.
struct LateReplyRun {
  IngestResult email_reply;
  IngestResult dm_reply;
  std::vector<std::string> reads;
  std::set<uint64_t> working_set;
};

LateReplyRun PlayLateReplies(Engine& e, ManualClock& clock, absl::string_view tenant) {
  LateReplyRun run;
  const IngestResult ann = MustIngest(e, tenant, EmailMessage("ann@example.com", "<m1>", "help"));
  EXPECT_TRUE(e.RecordOutbound(tenant, testing_internal::Outbound(ann.conversation, kEmail, "<r1>",
                                                                  "ann"))
                  .ok());
  const IngestResult bob = MustIngest(e, tenant, DirectMessage("x", "bob", "d1", "hi", "kb"));
  clock.Advance(absl::Minutes(5));
  MustClose(e, tenant, ann.conversation);
  MustClose(e, tenant, bob.conversation);
  MustRunTimers(e, tenant);
  // Well within the continuity window, but the conversations are closed.
  clock.Advance(absl::Minutes(5));
  run.email_reply =
      MustIngest(e, tenant, EmailMessage("ann@example.com", "<m2>", "again", {"<r1>", "<m1>"}));
  run.dm_reply = MustIngest(e, tenant, DirectMessage("x", "bob", "d2", "again", "kb"));
  run.reads = EveryRead(e, tenant);
  run.working_set = WorkingSetOf(e, tenant);
  return run;
}

TEST(ArchivalLateReplyTest, AReplyToAnArchivedConversationOpensANewOneAsWithoutArchival) {
  // Two engines with their own clocks (both start at the same instant): one
  // archives, the reference does not.
  ManualClock clock;
  ManualClock other_clock;
  auto engine = Engine::Open({.clock = &clock});
  auto other = Engine::Open({.clock = &other_clock});
  ASSERT_TRUE(engine.ok() && other.ok());
  ASSERT_TRUE((*engine)->CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());
  ASSERT_TRUE((*other)->CreateTenant(kTenant, Retention(kNever)).ok());
  const LateReplyRun eager = PlayLateReplies(**engine, clock, kTenant);
  const LateReplyRun never = PlayLateReplies(**other, other_clock, kTenant);

  // The archiving tenant did archive both conversations.
  EXPECT_EQ(eager.working_set, (std::set<uint64_t>{3, 4}));
  EXPECT_EQ(never.working_set, (std::set<uint64_t>{1, 2, 3, 4}));
  // Ann (customer 1) wrote in conversation 1, Bob (customer 2) in 2: their
  // replies open 3 and 4.
  for (const LateReplyRun* run : {&eager, &never}) {
    EXPECT_EQ(run->email_reply.customer, CustomerId(1));
    EXPECT_EQ(run->email_reply.conversation, ConversationId(3));
    EXPECT_EQ(run->email_reply.outcome, v1::THREAD_OUTCOME_OPENED);
    EXPECT_FALSE(run->email_reply.customer_created);
    EXPECT_FALSE(run->email_reply.duplicate);
    EXPECT_EQ(run->dm_reply.customer, CustomerId(2));
    EXPECT_EQ(run->dm_reply.conversation, ConversationId(4));
    EXPECT_EQ(run->dm_reply.outcome, v1::THREAD_OUTCOME_OPENED);
  }
  EXPECT_EQ(Text(eager.email_reply), Text(never.email_reply));
  EXPECT_EQ(Text(eager.dm_reply), Text(never.dm_reply));
  EXPECT_EQ(eager.reads, never.reads);
  // Each customer's list holds the archived conversation and the new one.
  EXPECT_THAT(ListedIds(**engine, kTenant, CustomerId(1)), ElementsAre(1u, 3u));
  EXPECT_THAT(ListedIds(**engine, kTenant, CustomerId(2)), ElementsAre(2u, 4u));
  auto list = (*engine)->ListConversations(kTenant, CustomerId(1));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].status, v1::CONVERSATION_STATUS_CLOSED);
  EXPECT_EQ((*list)[1].status, v1::CONVERSATION_STATUS_OPEN);
  // The customer's own list in memory holds only the new one.
  auto customer = (*engine)->GetCustomer(kTenant, CustomerId(1));
  ASSERT_TRUE(customer.ok());
  EXPECT_THAT(customer->conversations, ElementsAre(ConversationId(3)));
}

// A conversation an active customer merge names stays in memory: undoing
// the merge needs it. Once undone, it may go.
TEST(ArchivalPinningTest, AConversationOfAnActiveMergeIsKeptUntilTheUnmerge) {
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock});
  ASSERT_TRUE(engine.ok());
  Engine& e = **engine;
  ASSERT_TRUE(e.CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());
  const IngestResult ann = MustIngest(e, kTenant, EmailMessage("ann@example.com", "<a1>"));
  clock.Advance(absl::Minutes(1));
  const IngestResult dm = MustIngest(e, kTenant, DirectMessage("x", "ann", "d1", "hi", "k1"));
  ASSERT_NE(dm.customer, ann.customer);
  // Closed, then merged before any RunDueTimers.
  MustClose(e, kTenant, dm.conversation);
  auto merged = e.MergeCustomers(kTenant, ann.customer, dm.customer, Actor::Agent("ann"));
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->absorbed, std::optional<CustomerId>(dm.customer));

  EXPECT_EQ(MustRunTimers(e, kTenant), 0);
  clock.Advance(absl::Hours(72));
  MustRunTimers(e, kTenant);
  EXPECT_TRUE(WorkingSetOf(e, kTenant).contains(dm.conversation.value()))
      << "an active merge names it";
  EXPECT_EQ(e.GetConversation(kTenant, dm.conversation)->customer, ann.customer);

  ASSERT_TRUE(e.UnmergeCustomer(kTenant, dm.customer, Actor::Agent("ann")).ok());
  EXPECT_EQ(e.GetConversation(kTenant, dm.conversation)->customer, dm.customer);
  EXPECT_EQ(MustRunTimers(e, kTenant), 1);
  EXPECT_FALSE(WorkingSetOf(e, kTenant).contains(dm.conversation.value()));
  auto archived = e.GetConversation(kTenant, dm.conversation);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->customer, dm.customer);
  EXPECT_EQ(archived->status, v1::CONVERSATION_STATUS_CLOSED);
  EXPECT_THAT(ListedIds(e, kTenant, dm.customer), ElementsAre(dm.conversation.value()));
  EXPECT_THAT(ListedIds(e, kTenant, ann.customer), ElementsAre(ann.conversation.value()));
}

// While merged, the absorbed customer's identities alone open a conversation
// (the survivor's): an unmerge gives it back to them (Engine::UnmergeCustomer),
// so it must not leave memory while the merge is active, and reads after the
// unmerge are those of a tenant that never archives.
TEST(ArchivalPinningTest, AConversationOpenedWhileMergedGoesBackAtTheUnmerge) {
  auto play = [](Engine& e, ManualClock& clock, absl::string_view tenant) {
    const IngestResult ann = MustIngest(e, tenant, EmailMessage("ann@example.com", "<a1>"));
    clock.Advance(absl::Minutes(1));
    const IngestResult dm = MustIngest(e, tenant, DirectMessage("x", "ann", "d1", "hi", "k1"));
    MustClose(e, tenant, dm.conversation);
    EXPECT_TRUE(e.MergeCustomers(tenant, ann.customer, dm.customer, Actor::Agent("ann")).ok());
    // Past the continuity window of the survivor's open conversation: the
    // absorbed handle's new DM opens conversation 3, of the survivor.
    clock.Advance(absl::Hours(72));
    const IngestResult later = MustIngest(e, tenant, DirectMessage("x", "ann", "d2", "again", "k2"));
    EXPECT_EQ(later.customer, ann.customer);
    EXPECT_EQ(later.conversation, ConversationId(3));
    EXPECT_EQ(later.outcome, v1::THREAD_OUTCOME_OPENED);
    MustClose(e, tenant, later.conversation);
    MustRunTimers(e, tenant);
    clock.Advance(absl::Hours(1));
    MustRunTimers(e, tenant);
    const std::set<uint64_t> while_merged = WorkingSetOf(e, tenant);
    EXPECT_TRUE(e.UnmergeCustomer(tenant, dm.customer, Actor::Agent("ann")).ok());
    MustRunTimers(e, tenant);
    return std::pair{while_merged, EveryRead(e, tenant)};
  };
  ManualClock eager_clock;
  ManualClock never_clock;
  auto eager = Engine::Open({.clock = &eager_clock});
  auto never = Engine::Open({.clock = &never_clock});
  ASSERT_TRUE(eager.ok() && never.ok());
  ASSERT_TRUE((*eager)->CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());
  ASSERT_TRUE((*never)->CreateTenant(kTenant, Retention(kNever)).ok());
  const auto [eager_memory, eager_reads] = play(**eager, eager_clock, kTenant);
  const auto [never_memory, never_reads] = play(**never, never_clock, kTenant);

  EXPECT_TRUE(eager_memory.contains(3)) << "the unmerge may give conversation 3 back";
  // Conversation 3 went back to the handle's customer (2).
  auto three = (*eager)->GetConversation(kTenant, ConversationId(3));
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->customer, CustomerId(2));
  EXPECT_THAT(ListedIds(**eager, kTenant, CustomerId(2)), ElementsAre(2u, 3u));
  EXPECT_THAT(ListedIds(**eager, kTenant, CustomerId(1)), ElementsAre(1u));
  EXPECT_EQ(eager_reads, never_reads);
  // Once unmerged nothing holds it.
  EXPECT_EQ(WorkingSetOf(**eager, kTenant), std::set<uint64_t>{1});
}

TEST(ArchivalPinningTest, LiveWorkAndOpenCommitmentsKeepAClosedConversation) {
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock});
  ASSERT_TRUE(engine.ok());
  Engine& e = **engine;
  ASSERT_TRUE(e.CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());
  ASSERT_NO_FATAL_FAILURE(SetUpRouting(e, kTenant));

  // A task assigned to Ann outlives the close.
  const IngestResult work = MustIngest(e, kTenant, EmailMessage("cy@example.com", "<c1>"));
  ASSERT_TRUE(work.task.has_value());
  ASSERT_EQ(e.GetTask(kTenant, *work.task)->offer.value_or(OfferView{}).agent, "ann");
  ASSERT_TRUE(e.AcceptOffer(kTenant, *work.task, "ann").ok());
  // A commitment stays open after the close.
  const IngestResult promise = MustIngest(e, kTenant, EmailMessage("dee@example.com", "<d1>"));
  ASSERT_TRUE(promise.task.has_value());
  ASSERT_TRUE(e.AbandonTask(kTenant, *promise.task).ok());
  CommitmentRequest request;
  request.conversation = promise.conversation;
  request.description = "send the invoice";
  request.due_at = clock.Now() + absl::Hours(24);
  request.actor = Actor::Agent("ann");
  absl::StatusOr<CommitmentId> commitment = e.RecordCommitment(kTenant, request);
  ASSERT_TRUE(commitment.ok()) << commitment.status();

  MustClose(e, kTenant, work.conversation);
  MustClose(e, kTenant, promise.conversation);
  MustRunTimers(e, kTenant);
  clock.Advance(absl::Minutes(30));
  MustRunTimers(e, kTenant);
  EXPECT_EQ(WorkingSetOf(e, kTenant),
            (std::set<uint64_t>{work.conversation.value(), promise.conversation.value()}));
  EXPECT_EQ(e.GetTask(kTenant, *work.task)->status, v1::TASK_STATUS_ASSIGNED);

  // The task done: its conversation goes, with the task.
  ASSERT_TRUE(e.CompleteTask(kTenant, *work.task, "ann").ok());
  EXPECT_EQ(MustRunTimers(e, kTenant), 1);
  EXPECT_EQ(WorkingSetOf(e, kTenant), std::set<uint64_t>{promise.conversation.value()});
  auto task = e.GetTask(kTenant, *work.task);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->status, v1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(task->agent, "ann");
  auto routing = e.GetConversationRouting(kTenant, work.conversation);
  ASSERT_TRUE(routing.ok()) << routing.status();
  EXPECT_EQ(routing->owner, "ann");
  EXPECT_THAT(routing->tasks, ElementsAre(*work.task));
  auto stats = e.GetQueueStats(kTenant, "care");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->assigned, 0);
  EXPECT_EQ(stats->assigned_total, 1);
  // Reconfiguring the queue looks at its tasks; the archived one is gone.
  QueueConfig queue;
  queue.id = "care";
  queue.channels = {kEmail, kDm, kPost, kVoice};
  EXPECT_TRUE(e.UpsertQueue(kTenant, queue).ok());

  // The commitment closed: its conversation goes too.
  ASSERT_TRUE(e.CloseCommitment(kTenant, *commitment, v1::COMMITMENT_STATUS_CANCELLED,
                                Actor::Agent("ann"), "no longer needed")
                  .ok());
  EXPECT_EQ(MustRunTimers(e, kTenant), 1);
  EXPECT_THAT(WorkingSetOf(e, kTenant), ::testing::IsEmpty());
  auto closed = e.GetCommitment(kTenant, *commitment);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->status, v1::COMMITMENT_STATUS_CANCELLED);
  EXPECT_EQ(closed->conversation, promise.conversation);
  auto listed = e.ListCommitments(kTenant, promise.conversation);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, *commitment);

  // Commands naming what was archived answer as they did before: closed,
  // ended, already closed (FAILED_PRECONDITION); ids never given are unknown.
  const auto refused = [](const absl::Status& s) { return s.code(); };
  EXPECT_EQ(refused(e.SetConversationStatus(kTenant, work.conversation,
                                            v1::CONVERSATION_STATUS_CLOSED, Actor::Agent("ann"))),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused(e.RecordOutbound(kTenant, testing_internal::Outbound(
                                                  work.conversation, kEmail, "", "ann"))
                        .status()),
            absl::StatusCode::kFailedPrecondition);
  request.conversation = work.conversation;
  EXPECT_EQ(refused(e.RecordCommitment(kTenant, request).status()),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused(e.CompleteTask(kTenant, *work.task, "ann")),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused(e.AbandonTask(kTenant, *work.task)), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused(e.CloseCommitment(kTenant, *commitment, v1::COMMITMENT_STATUS_FULFILLED,
                                      Actor::Agent("ann"), "again")),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused(e.SetConversationStatus(kTenant, ConversationId(3),
                                            v1::CONVERSATION_STATUS_CLOSED, Actor::Agent("ann"))),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(refused(e.AbandonTask(kTenant, TaskId(3))), absl::StatusCode::kNotFound);
  EXPECT_EQ(refused(e.CloseCommitment(kTenant, CommitmentId(2), v1::COMMITMENT_STATUS_FULFILLED,
                                      Actor::Agent("ann"), "")),
            absl::StatusCode::kNotFound);
}

// The routing of a conversation merged into another is archived with it:
// its tasks, owner and commitments read as they did in memory.
TEST(ArchivalPinningTest, ConversationsMergedIntoAnArchivedOneKeepTheirRouting) {
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock});
  ASSERT_TRUE(engine.ok());
  Engine& e = **engine;
  ASSERT_TRUE(e.CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());
  ASSERT_NO_FATAL_FAILURE(SetUpRouting(e, kTenant));
  // Two threads of Cy's: an email, and a DM split off from it.
  const IngestResult mail = MustIngest(e, kTenant, EmailMessage("cy@example.com", "<c1>"));
  ASSERT_TRUE(mail.task.has_value());
  ASSERT_TRUE(e.AcceptOffer(kTenant, *mail.task, "ann").ok());
  ASSERT_TRUE(e.LinkIdentity(kTenant, mail.customer, Handle("x", "cy"), Actor::Agent("ann")).ok());
  clock.Advance(absl::Minutes(1));
  const IngestResult dm = MustIngest(e, kTenant, DirectMessage("x", "cy", "d1", "hi", "k1"));
  ASSERT_EQ(dm.conversation, mail.conversation);
  absl::StatusOr<ConversationId> second =
      e.SplitConversation(kTenant, mail.conversation, {dm.message}, Actor::Agent("ann"));
  ASSERT_TRUE(second.ok()) << second.status();
  // Cy answers in the DM thread: work for the split-off conversation.
  clock.Advance(absl::Minutes(1));
  const IngestResult reply = MustIngest(e, kTenant, DirectMessage("x", "cy", "d2", "and?", "k1"));
  ASSERT_EQ(reply.conversation, *second);
  ASSERT_TRUE(reply.task.has_value());
  CommitmentRequest request;
  request.conversation = *second;
  request.description = "call back";
  request.due_at = clock.Now() + absl::Hours(2);
  request.actor = Actor::Agent("ann");
  absl::StatusOr<CommitmentId> commitment = e.RecordCommitment(kTenant, request);
  ASSERT_TRUE(commitment.ok()) << commitment.status();
  ASSERT_TRUE(e.CloseCommitment(kTenant, *commitment, v1::COMMITMENT_STATUS_FULFILLED,
                                Actor::Agent("ann"), "done")
                  .ok());
  // The split-off thread merges back; the first closes with its work done.
  ASSERT_TRUE(e.MergeConversations(kTenant, mail.conversation, *second, Actor::Agent("ann")).ok());
  ASSERT_TRUE(e.CompleteTask(kTenant, *mail.task, "ann").ok());
  MustClose(e, kTenant, mail.conversation);
  const std::string routing_before = Read(e.GetConversationRouting(kTenant, *second));
  const std::string commitments_before = Read(e.ListCommitments(kTenant, *second));
  ASSERT_THAT(routing_before, HasSubstr(absl::StrCat("tasks=[", reply.task->value(), "]")));
  ASSERT_THAT(commitments_before, HasSubstr(absl::StrCat("commitment ", commitment->value())));

  EXPECT_EQ(MustRunTimers(e, kTenant), 1);
  ASSERT_THAT(WorkingSetOf(e, kTenant), ::testing::IsEmpty());
  EXPECT_EQ(Read(e.GetConversationRouting(kTenant, *second)), routing_before);
  EXPECT_EQ(Read(e.ListCommitments(kTenant, *second)), commitments_before);
  auto fulfilled = e.GetCommitment(kTenant, *commitment);
  ASSERT_TRUE(fulfilled.ok()) << fulfilled.status();
  EXPECT_EQ(fulfilled->status, v1::COMMITMENT_STATUS_FULFILLED);
}

// A conversation merged into another while their customers were merged
// goes back to its customer at the unmerge, still merged into the other's
// thread: that thread stays in memory, so that each customer reads and
// exports its own, as without archival.
TEST(ArchivalPinningTest, AThreadHoldingAnotherCustomersConversationStays) {
  auto play = [](Engine& e, ManualClock& clock) {
    const IngestResult ann = MustIngest(e, kTenant, EmailMessage("ann@example.com", "<a1>"));
    clock.Advance(absl::Minutes(1));
    const IngestResult dm = MustIngest(e, kTenant, DirectMessage("x", "ann", "d1", "hi", "k1"));
    EXPECT_TRUE(e.MergeCustomers(kTenant, ann.customer, dm.customer, Actor::Agent("ann")).ok());
    EXPECT_TRUE(
        e.MergeConversations(kTenant, ann.conversation, dm.conversation, Actor::Agent("ann")).ok());
    EXPECT_TRUE(e.UnmergeCustomer(kTenant, dm.customer, Actor::Agent("ann")).ok());
    MustClose(e, kTenant, ann.conversation);
    MustRunTimers(e, kTenant);
    clock.Advance(absl::Hours(1));
    MustRunTimers(e, kTenant);
    std::vector<std::string> reads = EveryRead(e, kTenant);
    for (uint64_t customer : {1, 2}) {
      absl::Status s = e.ExportCustomer(kTenant, CustomerId(customer), [&](absl::string_view line) {
        reads.push_back(absl::StrCat("export ", customer, ": ", line));
        return absl::OkStatus();
      });
      EXPECT_TRUE(s.ok()) << s;
    }
    return reads;
  };
  TenantOptions options = Retention(absl::ZeroDuration());
  options.merge_threads_on_customer_merge = false;
  ManualClock eager_clock;
  ManualClock never_clock;
  auto eager = Engine::Open({.clock = &eager_clock});
  auto never = Engine::Open({.clock = &never_clock});
  ASSERT_TRUE(eager.ok() && never.ok());
  ASSERT_TRUE((*eager)->CreateTenant(kTenant, options).ok());
  options.closed_retention = kNever;
  ASSERT_TRUE((*never)->CreateTenant(kTenant, options).ok());
  const std::vector<std::string> eager_reads = play(**eager, eager_clock);
  const std::vector<std::string> never_reads = play(**never, never_clock);

  // Conversation 2 is the handle's customer's (2) again, merged into 1.
  auto two = (*eager)->GetConversation(kTenant, ConversationId(2));
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->customer, CustomerId(2));
  EXPECT_EQ(two->merged_into, std::optional<ConversationId>(ConversationId(1)));
  EXPECT_EQ(WorkingSetOf(**eager, kTenant), (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(eager_reads, never_reads);
  // Customer 2's export holds its conversation; customer 1's does not.
  EXPECT_THAT(eager_reads, ::testing::Contains(::testing::AllOf(
                               HasSubstr("export 2: "), HasSubstr(R"("conversation_id":"2")"))));
  EXPECT_THAT(eager_reads, ::testing::Not(::testing::Contains(::testing::AllOf(
                               HasSubstr("export 1: "), HasSubstr(R"({"conversation":{"conversation_id":"2")")))));
}

TEST(ArchivalPagingTest, ArchivedTimelinesAndListsReadPageByPage) {
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock});
  ASSERT_TRUE(engine.ok());
  Engine& e = **engine;
  ASSERT_TRUE(e.CreateTenant(kTenant, Retention(absl::ZeroDuration())).ok());

  // Conversation 1: five emails of Ann, a handoff to DMs, two answers
  // there: eight timeline entries.
  ConversationId one;
  for (int i = 1; i <= 5; ++i) {
    const IngestResult r = MustIngest(
        e, kTenant, EmailMessage("ann@example.com", absl::StrCat("<a", i, ">"), absl::StrCat("mail ", i)));
    if (i == 1) one = r.conversation;
    EXPECT_EQ(r.conversation, one);
    clock.Advance(absl::Minutes(1));
  }
  ASSERT_TRUE(e.Handoff(kTenant, one, kDm, "private details", Actor::Agent("ann")).ok());
  for (int i = 1; i <= 2; ++i) {
    clock.Advance(absl::Minutes(1));
    ASSERT_TRUE(e.RecordOutbound(kTenant, testing_internal::Outbound(one, kDm, "", "ann",
                                                                      absl::StrCat("dm ", i)))
                    .ok());
  }
  // Conversation 2 (Bob), archived too; conversation 3 (Bob) stays open.
  const IngestResult two = MustIngest(e, kTenant, EmailMessage("bob@example.com", "<b1>"));
  clock.Advance(absl::Minutes(1));
  MustIngest(e, kTenant, EmailMessage("bob@example.com", "<b2>", "more"));
  const std::vector<std::string> in_memory = WalkTimeline(e, kTenant, one, kMaxPageSize);
  ASSERT_EQ(in_memory.size(), 8u);
  MustClose(e, kTenant, one);
  MustClose(e, kTenant, two.conversation);
  ASSERT_EQ(MustRunTimers(e, kTenant), 2);
  clock.Advance(absl::Hours(72));
  const IngestResult three = MustIngest(e, kTenant, EmailMessage("bob@example.com", "<b3>"));
  ASSERT_EQ(three.conversation, ConversationId(3));
  clock.Advance(absl::Minutes(1));
  ASSERT_EQ(MustIngest(e, kTenant, EmailMessage("bob@example.com", "<b4>")).conversation,
            three.conversation);
  ASSERT_EQ(WorkingSetOf(e, kTenant), std::set<uint64_t>{3});

  // Every page size walks every entry, in order, in ceil(8 / size) pages.
  for (int size : {1, 2, 3, 7, 8, 100}) {
    int pages = 0;
    EXPECT_EQ(WalkTimeline(e, kTenant, one, size, &pages), in_memory) << size;
    EXPECT_EQ(pages, (8 + size - 1) / size) << size;
  }
  // Bob's list: archived 2 and open 3, one a page.
  PageRequest request{.page_size = 1};
  std::vector<uint64_t> listed;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = e.ListConversationsPage(kTenant, two.customer, request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const ConversationView& v : page->conversations) listed.push_back(v.id.value());
    if (page->next_page_token.empty()) break;
    request.page_token = page->next_page_token;
  }
  EXPECT_THAT(listed, ElementsAre(2u, 3u));

  // Tokens: only those this engine gave for the same list.
  auto first = e.GetTimelinePage(kTenant, one, {.page_size = 3});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->next_page_token.empty());
  auto of_two = e.GetTimelinePage(kTenant, two.conversation, {.page_size = 1});
  ASSERT_TRUE(of_two.ok()) << of_two.status();
  ASSERT_FALSE(of_two->next_page_token.empty());
  auto of_three = e.GetTimelinePage(kTenant, three.conversation, {.page_size = 1});
  ASSERT_TRUE(of_three.ok()) << of_three.status();
  ASSERT_FALSE(of_three->next_page_token.empty());
  std::string damaged = first->next_page_token;
  damaged[damaged.size() / 2] = damaged[damaged.size() / 2] == 'A' ? 'B' : 'A';
  struct Refused {
    ConversationId conversation;
    PageRequest request;
    const char* field;
  };
  for (const Refused& r : std::vector<Refused>{
           {two.conversation, {.page_size = 3, .page_token = first->next_page_token}, "page_token"},
           {one, {.page_size = 3, .page_token = of_two->next_page_token}, "page_token"},
           {one, {.page_size = 3, .page_token = "forged"}, "page_token"},
           {one, {.page_size = 3, .page_token = damaged}, "page_token"},
           {one, {.page_size = -1}, "page_size"},
           {one, {.page_size = kMaxPageSize + 1}, "page_size"},
       }) {
    auto page = e.GetTimelinePage(kTenant, r.conversation, r.request);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument)
        << r.conversation << " " << r.request.page_token << ": " << page.status();
    EXPECT_THAT(std::string(page.status().message()), HasSubstr(r.field));
  }
  // A token of a live conversation's timeline on an archived one, and a
  // timeline token on a customer's list, are refused too.
  auto crossed =
      e.GetTimelinePage(kTenant, one, {.page_size = 3, .page_token = of_three->next_page_token});
  EXPECT_EQ(crossed.status().code(), absl::StatusCode::kInvalidArgument) << crossed.status();
  EXPECT_THAT(std::string(crossed.status().message()), HasSubstr("page_token"));
  auto list = e.ListConversationsPage(kTenant, two.customer,
                                      {.page_size = 1, .page_token = first->next_page_token});
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument) << list.status();
  EXPECT_THAT(std::string(list.status().message()), HasSubstr("page_token"));
  // A conversation never given is unknown, not archived.
  auto unknown = e.GetTimelinePage(kTenant, ConversationId(4), {});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
}

}  // namespace
}  // namespace omniroute
