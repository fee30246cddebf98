// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/incremental_hash_map.h"
#include "google/protobuf/arena.h"
#include "omniroute/event_store.h"
#include "store/customer_redaction.h"
#include "store/message_history.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;

// A tenant's log and the history derived from it.
struct TenantLog {
  static google::protobuf::ArenaOptions ArenaOptions() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 64 << 10;
    options.max_block_size = 1 << 20;
    return options;
  }

  const Event& event(uint64_t sequence) const { return *events[sequence - 1]; }

  // A message of the index; its event is event(sequence).
  struct Message {
    uint64_t conversation = 0;
    int64_t recorded_at = 0;  // Nanoseconds, as store::MessageRow.
    uint64_t sequence = 0;
  };
  // (recorded_at, id): a conversation's timeline order.
  using TimelineKey = std::pair<int64_t, uint64_t>;
  // (channel, external id or thread key).
  using LookupKey = std::pair<Channel, std::string>;

  // The events live on `arena`: copying one there bumps a pointer for each
  // string and submessage, where a copy on the heap took a malloc for each
  // (a fifth of an in-process ingest went to those copies). Nothing is freed
  // before the store is: a redaction rewrites events in place.
  google::protobuf::Arena arena{ArenaOptions()};
  // A deque, not a vector: a vector of millions of events doubling moves
  // every one of them under the store's lock, a pause of every append of
  // every tenant; a deque grows by blocks and never moves an event.
  std::deque<Event*> events;
  // The indexes grow by migrating a few entries per insert, not by
  // rehashing them all in one append (base/incremental_hash_map.h).
  template <typename K, typename V>
  using Index = base::IncrementalHashMap<absl::flat_hash_map<K, V>>;
  Index<uint64_t, Message> messages;
  // Sorted. Messages nearly always arrive in timeline order, so an insert is
  // an append to a vector: no node to allocate as a set would per
  // conversation and per few messages.
  using Timeline = std::vector<TimelineKey>;
  Index<uint64_t, Timeline> timelines;
  // The lowest id with the key: the one SQLite's index finds first.
  Index<LookupKey, uint64_t> by_external_id;
  // The highest id with the key.
  Index<LookupKey, uint64_t> by_thread_key;
  // (kind, item id) -> the sequence of its ConversationArchived event.
  Index<std::pair<int, uint64_t>, uint64_t> archive;
  // Customer -> their archived conversations.
  Index<uint64_t, absl::btree_set<uint64_t>> archived_by_customer;
  // Sequence of a CustomerErased event -> its customer, until its
  // redaction is done.
  std::map<uint64_t, uint64_t> unredacted_erasures;
};

// Applies the projection's operations to a tenant's index. Cannot fail: the
// Append has been checked before the first operation, which makes the
// Append all or nothing.
class MemoryHistoryWriter final : public store::MessageHistorySink {
 public:
  explicit MemoryHistoryWriter(TenantLog& log) : log_(log) {}

  absl::Status InsertMessage(const store::MessageRow& row) override {
    auto [it, inserted] = log_.messages.try_emplace(
        row.message_id, TenantLog::Message{row.conversation_id, row.recorded_at_nanos,
                                           row.sequence});
    if (!inserted) return absl::OkStatus();  // The first record stands.
    Insert(log_.timelines[row.conversation_id],
           TenantLog::TimelineKey(row.recorded_at_nanos, row.message_id));
    if (!row.external_id.empty()) {
      auto [found, added] = log_.by_external_id.try_emplace(
          TenantLog::LookupKey(row.channel, std::string(row.external_id)), row.message_id);
      if (!added && row.message_id < found->second) found->second = row.message_id;
    }
    if (!row.thread_key.empty()) {
      auto [found, added] = log_.by_thread_key.try_emplace(
          TenantLog::LookupKey(row.channel, std::string(row.thread_key)), row.message_id);
      if (!added && row.message_id > found->second) found->second = row.message_id;
    }
    return absl::OkStatus();
  }

  absl::Status MoveMessages(absl::Span<const uint64_t> message_ids,
                            uint64_t conversation_id) override {
    // Gathered per conversation first: a merge moves a whole conversation,
    // and taking its messages out of a sorted vector one at a time would
    // shift the rest for each.
    absl::flat_hash_map<uint64_t, TenantLog::Timeline> leaving;
    TenantLog::Timeline arriving;
    for (const uint64_t id : message_ids) {
      auto it = log_.messages.find(id);
      if (it == log_.messages.end()) continue;  // See message_history.h.
      TenantLog::Message& message = it->second;
      if (message.conversation == conversation_id) continue;
      const TenantLog::TimelineKey key(message.recorded_at, id);
      leaving[message.conversation].push_back(key);
      arriving.push_back(key);
      message.conversation = conversation_id;
    }
    for (auto& [from_id, gone] : leaving) {
      // A name of its own: a lambda may not capture a structured binding
      // before C++20 (clang 14).
      TenantLog::Timeline& keys = gone;
      std::sort(keys.begin(), keys.end());
      auto from = log_.timelines.find(from_id);
      if (from == log_.timelines.end()) continue;
      TenantLog::Timeline& timeline = from->second;
      std::erase_if(timeline, [&keys](const TenantLog::TimelineKey& key) {
        return std::binary_search(keys.begin(), keys.end(), key);
      });
      if (timeline.empty()) log_.timelines.erase(from);
    }
    if (arriving.empty()) return absl::OkStatus();
    std::sort(arriving.begin(), arriving.end());
    TenantLog::Timeline& timeline = log_.timelines[conversation_id];
    const size_t had = timeline.size();
    timeline.insert(timeline.end(), arriving.begin(), arriving.end());
    std::inplace_merge(timeline.begin(), timeline.begin() + had, timeline.end());
    return absl::OkStatus();
  }

  // Inserts `key`, absent, into `timeline` in order.
  static void Insert(TenantLog::Timeline& timeline, const TenantLog::TimelineKey& key) {
    if (timeline.empty() || timeline.back() < key) {
      timeline.push_back(key);
    } else {
      timeline.insert(std::lower_bound(timeline.begin(), timeline.end(), key), key);
    }
  }

  absl::Status InsertArchived(EventStore::ArchivedKind kind, uint64_t item_id,
                              uint64_t customer_id, uint64_t sequence) override {
    const bool inserted =
        log_.archive.try_emplace({static_cast<int>(kind), item_id}, sequence).second;
    if (inserted && kind == EventStore::ArchivedKind::kConversation && customer_id != 0) {
      log_.archived_by_customer[customer_id].insert(item_id);
    }
    return absl::OkStatus();
  }

  absl::Status InsertErasure(uint64_t customer_id, uint64_t sequence) override {
    log_.unredacted_erasures.try_emplace(sequence, customer_id);
    return absl::OkStatus();
  }

 private:
  TenantLog& log_;
};

class MemoryEventStore final : public EventStore {
 public:
  absl::Status Append(absl::string_view tenant_id, absl::Span<const Event> events) override {
    absl::MutexLock lock(&mu_);
    TenantLog& log = logs_[std::string(tenant_id)];
    uint64_t expected = log.events.size() + 1;
    for (const auto& event : events) {
      if (event.sequence() != expected++) {
        return absl::FailedPreconditionError(
            absl::StrCat("events: sequence ", event.sequence(), " does not continue tenant ",
                         tenant_id, "'s log at ", log.events.size()));
      }
    }
    for (const Event& event : events) {
      Event* copy = google::protobuf::Arena::CreateMessage<Event>(&log.arena);
      *copy = event;
      log.events.push_back(copy);
    }
    MemoryHistoryWriter writer(log);
    // The writer never fails.
    (void)store::ProjectMessageHistory(events, writer);
    return absl::OkStatus();
  }

  absl::Status Read(absl::string_view tenant_id, uint64_t from_sequence,
                    const std::function<bool(const Event&)>& visitor) const override {
    // Copied a chunk at a time, outside the lock, so that the visitor may
    // call back into the store, and a reader that stops early (a bisection,
    // a stream catching up) copies little.
    constexpr size_t kChunk = 256;
    std::vector<Event> chunk;
    uint64_t next = from_sequence == 0 ? 0 : from_sequence - 1;
    // The log as it stands now: events appended meanwhile are not visited.
    uint64_t end = 0;
    {
      absl::MutexLock lock(&mu_);
      auto it = logs_.find(tenant_id);
      if (it == logs_.end()) return absl::OkStatus();
      end = it->second.events.size();
    }
    for (;;) {
      chunk.clear();
      {
        absl::MutexLock lock(&mu_);
        auto it = logs_.find(tenant_id);
        if (it == logs_.end()) return absl::OkStatus();
        const std::deque<Event*>& events = it->second.events;
        end = std::min<uint64_t>(end, events.size());
        for (; next < end && chunk.size() < kChunk; ++next) chunk.push_back(*events[next]);
      }
      if (chunk.empty()) return absl::OkStatus();
      for (const auto& event : chunk) {
        if (!visitor(event)) return absl::OkStatus();
      }
    }
  }

  absl::StatusOr<uint64_t> LastSequence(absl::string_view tenant_id) const override {
    absl::MutexLock lock(&mu_);
    auto it = logs_.find(tenant_id);
    return it == logs_.end() ? 0 : it->second.events.size();
  }

  absl::Status SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                            absl::string_view state) override {
    absl::MutexLock lock(&mu_);
    auto it = logs_.find(tenant_id);
    const uint64_t last = it == logs_.end() ? 0 : it->second.events.size();
    if (sequence > last) {
      return absl::InvalidArgumentError(absl::StrCat("sequence: ", sequence,
                                                     " is beyond the tenant's last event ", last));
    }
    snapshots_[std::string(tenant_id)] = Snapshot{sequence, std::string(state)};
    return absl::OkStatus();
  }

  absl::StatusOr<Snapshot> LoadSnapshot(absl::string_view tenant_id) const override {
    absl::MutexLock lock(&mu_);
    auto it = snapshots_.find(tenant_id);
    if (it == snapshots_.end()) {
      return absl::NotFoundError(absl::StrCat("tenant ", tenant_id, " has no snapshot"));
    }
    return it->second;
  }

  absl::StatusOr<std::vector<std::string>> ListTenants() const override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> tenants;
    for (const auto& [tenant, log] : logs_) {
      if (!log.events.empty()) tenants.push_back(tenant);
    }
    return tenants;
  }

  absl::StatusOr<std::vector<StoredMessage>> ReadConversationMessages(
      absl::string_view tenant_id, ConversationId conversation,
      std::optional<MessageCursor> after, size_t limit) const override {
    std::vector<StoredMessage> out;
    absl::MutexLock lock(&mu_);
    auto log = logs_.find(tenant_id);
    if (log == logs_.end() || limit == 0) return out;
    auto timeline = log->second.timelines.find(conversation.value());
    if (timeline == log->second.timelines.end()) return out;
    const TenantLog::Timeline& keys = timeline->second;
    auto it =
        after.has_value()
            ? std::upper_bound(keys.begin(), keys.end(),
                               TenantLog::TimelineKey(store::ToHistoryNanos(after->recorded_at),
                                                      after->id.value()))
            : keys.begin();
    for (; it != keys.end() && out.size() < limit; ++it) {
      out.push_back(Stored(log->second, it->second));
    }
    return out;
  }

  absl::StatusOr<StoredMessage> ReadMessage(absl::string_view tenant_id,
                                            MessageId message) const override {
    absl::MutexLock lock(&mu_);
    auto log = logs_.find(tenant_id);
    if (log == logs_.end() || !log->second.messages.contains(message.value())) {
      return absl::NotFoundError(
          absl::StrCat("tenant ", tenant_id, " has no message ", message.value()));
    }
    return Stored(log->second, message.value());
  }

  absl::StatusOr<std::optional<MessageLocation>> FindMessageByExternalId(
      absl::string_view tenant_id, Channel channel,
      absl::string_view external_id) const override {
    absl::MutexLock lock(&mu_);
    auto log = logs_.find(tenant_id);
    if (log == logs_.end() || external_id.empty()) return std::nullopt;
    return Find(log->second, log->second.by_external_id, channel, external_id);
  }

  absl::StatusOr<std::optional<MessageLocation>> FindLatestMessageByThreadKey(
      absl::string_view tenant_id, Channel channel, absl::string_view thread_key) const override {
    absl::MutexLock lock(&mu_);
    auto log = logs_.find(tenant_id);
    if (log == logs_.end() || thread_key.empty()) return std::nullopt;
    return Find(log->second, log->second.by_thread_key, channel, thread_key);
  }

  absl::StatusOr<std::optional<Event>> FindArchive(absl::string_view tenant_id,
                                                   ArchivedKind kind,
                                                   uint64_t id) const override {
    absl::MutexLock lock(&mu_);
    auto log = logs_.find(tenant_id);
    if (log == logs_.end()) return std::nullopt;
    auto it = log->second.archive.find({static_cast<int>(kind), id});
    if (it == log->second.archive.end()) return std::nullopt;
    return log->second.event(it->second);
  }

  absl::StatusOr<std::vector<ConversationId>> ListArchivedConversations(
      absl::string_view tenant_id, absl::Span<const CustomerId> customers, ConversationId after,
      size_t limit) const override {
    std::vector<ConversationId> ids;
    absl::MutexLock lock(&mu_);
    auto log = logs_.find(tenant_id);
    if (log == logs_.end()) return ids;
    for (CustomerId customer : customers) {
      auto list = log->second.archived_by_customer.find(customer.value());
      if (list == log->second.archived_by_customer.end()) continue;
      // At most `limit` of each customer: the merged list keeps the lowest.
      size_t taken = 0;
      for (auto it = list->second.upper_bound(after.value());
           it != list->second.end() && taken < limit; ++it, ++taken) {
        ids.push_back(ConversationId(*it));
      }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.size() > limit) ids.resize(limit);
    return ids;
  }

  absl::Status RedactCustomer(absl::string_view tenant_id,
                              const CustomerRedaction& redaction) override {
    // One redaction at a time: the plan is read without the lock and must
    // not be overtaken by another one's rewrite of the same events.
    absl::MutexLock redacting(&redaction_mu_);
    absl::StatusOr<store::RedactionPlan> plan =
        store::PlanCustomerRedaction(*this, tenant_id, redaction);
    if (!plan.ok()) return plan.status();
    absl::MutexLock lock(&mu_);
    auto it = logs_.find(tenant_id);
    if (it != logs_.end()) {
      TenantLog& log = it->second;
      for (Event& event : plan->events) *log.events[event.sequence() - 1] = event;
      // The keys of the redacted messages are empty now: the lookups are
      // rebuilt from the events, as a replay of the log would build them.
      if (!plan->message_ids.empty()) {
        log.by_external_id.clear();
        log.by_thread_key.clear();
        for (const auto& [id, message] : log.messages) {
          const Event& event = log.event(message.sequence);
          const auto& m = event.message_recorded();
          if (!m.external_id().empty()) {
            auto [found, added] = log.by_external_id.try_emplace(
                TenantLog::LookupKey(m.channel(), m.external_id()), id);
            if (!added && id < found->second) found->second = id;
          }
          if (!m.thread_key().empty()) {
            auto [found, added] = log.by_thread_key.try_emplace(
                TenantLog::LookupKey(m.channel(), m.thread_key()), id);
            if (!added && id > found->second) found->second = id;
          }
        }
      }
    }
    auto snapshot = snapshots_.find(tenant_id);
    if (snapshot != snapshots_.end() && snapshot->second.sequence < redaction.erased_at_sequence) {
      snapshots_.erase(snapshot);
    }
    if (it != logs_.end()) {
      std::map<uint64_t, uint64_t>& pending = it->second.unredacted_erasures;
      for (auto e = pending.begin();
           e != pending.end() && e->first <= redaction.erased_at_sequence;) {
        const bool done = std::find(redaction.customers.begin(), redaction.customers.end(),
                                    CustomerId(e->second)) != redaction.customers.end();
        e = done ? pending.erase(e) : std::next(e);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<uint64_t>> ListUnredactedErasures(
      absl::string_view tenant_id) const override {
    std::vector<uint64_t> sequences;
    absl::MutexLock lock(&mu_);
    auto log = logs_.find(tenant_id);
    if (log == logs_.end()) return sequences;
    for (const auto& [sequence, customer] : log->second.unredacted_erasures) {
      sequences.push_back(sequence);
    }
    return sequences;
  }

 private:
  // Message `id` of `log`, which has it.
  static StoredMessage Stored(const TenantLog& log, uint64_t id) {
    const TenantLog::Message& message = log.messages.at(id);
    return StoredMessage{MessageId(id), ConversationId(message.conversation),
                         log.event(message.sequence)};
  }

  static std::optional<MessageLocation> Find(
      const TenantLog& log, const TenantLog::Index<TenantLog::LookupKey, uint64_t>& index,
      Channel channel, absl::string_view value) {
    auto it = index.find(TenantLog::LookupKey(channel, std::string(value)));
    if (it == index.end()) return std::nullopt;
    return MessageLocation{MessageId(it->second),
                           ConversationId(log.messages.at(it->second).conversation)};
  }

  absl::Mutex redaction_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::map<std::string, TenantLog, std::less<>> logs_;
  std::map<std::string, Snapshot, std::less<>> snapshots_;
};

}  // namespace

std::unique_ptr<EventStore> NewMemoryEventStore() { return std::make_unique<MemoryEventStore>(); }

}  // namespace omniroute
