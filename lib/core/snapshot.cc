// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// CoreState <-> the core's fields of a TenantSnapshot (the tenant writes the
// rest: lib/tenant/tenant_snapshot.cc). A snapshot holds what the fold
// built; the lookup indexes are rebuilt from it on restore rather than
// stored twice.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/core_state.h"
#include "core/proto_convert.h"
#include "core/records.h"

namespace omniroute::core {
namespace {

// The ids a snapshot lists, for its consistency checks. The records come
// sorted by id, so a check is a bit test in a bitmap of a few MB (or, when
// the ids are too sparse for one, a binary search) rather than a lookup in
// the state's maps: a cache miss per check into a node map, which was a
// fifth of a start-up from a snapshot of 500k open conversations.
uint64_t IdOf(uint64_t id) { return id; }
template <typename Record>
uint64_t IdOf(const Record& r) {
  return r.id();
}

class ListedIds {
 public:
  // `records` (records with an id(), or ids) sorted by ascending id;
  // ListedIds::Sorted() tells whether they were.
  template <typename Records>
  explicit ListedIds(const Records& records) {
    if (records.empty()) return;
    first_ = IdOf(*records.begin());
    const uint64_t last = IdOf(*records.rbegin());
    if (last < first_) {
      sorted_ = false;
      return;
    }
    const uint64_t span = last - first_ + 1;
    const uint64_t count = static_cast<uint64_t>(records.size());
    // A bit per id while that costs at most 8 bytes per listed id.
    if (span / 64 <= count) {
      bits_.assign(span / 64 + 1, 0);
    } else {
      ids_.reserve(records.size());
    }
    uint64_t previous = 0;
    for (const auto& r : records) {
      if (IdOf(r) <= previous) sorted_ = false;
      previous = IdOf(r);
      if (IdOf(r) < first_ || IdOf(r) > last) continue;
      if (bits_.empty()) {
        ids_.push_back(IdOf(r));
      } else {
        const uint64_t offset = IdOf(r) - first_;
        bits_[offset / 64] |= uint64_t{1} << (offset % 64);
      }
    }
  }

  bool Sorted() const { return sorted_; }

  bool contains(uint64_t id) const {
    if (!bits_.empty()) {
      if (id < first_) return false;
      const uint64_t offset = id - first_;
      if (offset / 64 >= bits_.size()) return false;
      return (bits_[offset / 64] >> (offset % 64)) & 1;
    }
    return std::binary_search(ids_.begin(), ids_.end(), id);
  }

 private:
  uint64_t first_ = 0;
  bool sorted_ = true;
  std::vector<uint64_t> bits_;
  std::vector<uint64_t> ids_;
};

// Below this many customers a second thread costs more than it saves.
constexpr int kParallelCustomers = 10'000;

// Joins a thread, if it runs, when leaving the scope: an early return must
// not leave it writing into a state about to be destroyed.
class JoinOnExit {
 public:
  explicit JoinOnExit(std::thread& thread) : thread_(thread) {}
  JoinOnExit(const JoinOnExit&) = delete;
  JoinOnExit& operator=(const JoinOnExit&) = delete;
  ~JoinOnExit() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread& thread_;
};

template <typename Ids>
void AddIds(const Ids& ids, google::protobuf::RepeatedField<uint64_t>* out) {
  out->Reserve(static_cast<int>(ids.size()));
  for (auto id : ids) out->Add(id.value());
}

// Whether the message's time is within the columns' nanoseconds.
bool TimeFitsInColumns(const MessageState* m) {
  return m->recorded_at >= absl::FromUnixNanos(std::numeric_limits<int64_t>::min()) &&
         m->recorded_at <= absl::FromUnixNanos(std::numeric_limits<int64_t>::max());
}

// The message records as columns (snapshot.proto, MessageColumns).
void WriteMessageColumns(const std::vector<const MessageState*>& messages,
                         ::omniroute::v1::MessageColumns* columns) {
  const int n = static_cast<int>(messages.size());
  columns->mutable_id_deltas()->Reserve(n);
  columns->mutable_conversation_ids()->Reserve(n);
  columns->mutable_origin_conversation_ids()->Reserve(n);
  columns->mutable_recorded_at_deltas()->Reserve(n);
  columns->mutable_channels()->Reserve(n);
  columns->mutable_directions()->Reserve(n);
  columns->mutable_visibilities()->Reserve(n);
  columns->mutable_outcomes()->Reserve(n);
  columns->mutable_sender_fingerprints()->Reserve(n);
  uint64_t previous_id = 0;
  int64_t previous_ns = 0;
  for (const MessageState* m : messages) {
    columns->add_id_deltas(m->id.value() - previous_id);
    previous_id = m->id.value();
    columns->add_conversation_ids(m->conversation.value());
    columns->add_origin_conversation_ids(m->origin.value());
    const int64_t ns = absl::ToUnixNanos(m->recorded_at);
    // Wraps like the reader's sum: exact for any two times of an event.
    columns->add_recorded_at_deltas(
        static_cast<int64_t>(static_cast<uint64_t>(ns) - static_cast<uint64_t>(previous_ns)));
    previous_ns = ns;
    columns->add_channels(m->channel);
    columns->add_directions(m->direction);
    columns->add_visibilities(m->visibility);
    columns->add_outcomes(m->outcome);
    columns->add_sender_fingerprints(m->sender_fingerprint);
  }
}

// The ids of MessageColumns, summed up from their deltas; nullopt when the
// columns are not all as long as the ids, or an id is not above the one
// before it.
std::optional<std::vector<uint64_t>> ColumnIds(const ::omniroute::v1::MessageColumns& c) {
  const int n = c.id_deltas_size();
  if (c.conversation_ids_size() != n || c.origin_conversation_ids_size() != n ||
      c.recorded_at_deltas_size() != n || c.channels_size() != n || c.directions_size() != n ||
      c.visibilities_size() != n || c.outcomes_size() != n || c.sender_fingerprints_size() != n) {
    return std::nullopt;
  }
  std::vector<uint64_t> ids;
  ids.reserve(n);
  uint64_t id = 0;
  for (uint64_t delta : c.id_deltas()) {
    if (delta == 0 || delta > std::numeric_limits<uint64_t>::max() - id) return std::nullopt;
    id += delta;
    ids.push_back(id);
  }
  return ids;
}

}  // namespace

void ConversationToRecord(const ConversationState& c, ::omniroute::v1::ConversationRecord* r) {
  r->set_id(c.id.value());
  r->set_customer_id(c.customer.value());
  r->set_status(c.status);
  r->set_first_channel(c.first_channel);
  r->set_channel(c.channel);
  ToProto(c.opened_at, r->mutable_opened_at());
  ToProto(c.last_activity_at, r->mutable_last_activity_at());
  ToProto(c.first_response_due, r->mutable_first_response_due());
  // Unset means never.
  if (c.first_responded_at != absl::InfiniteFuture()) {
    ToProto(c.first_responded_at, r->mutable_first_responded_at());
  }
  if (c.resolved_at != absl::InfiniteFuture()) ToProto(c.resolved_at, r->mutable_resolved_at());
  AddIds(c.messages, r->mutable_message_ids());
  for (const HandoffView& h : c.handoffs) {
    auto* hr = r->add_handoffs();
    hr->set_from_channel(h.from_channel);
    hr->set_to_channel(h.to_channel);
    hr->set_reason(h.reason);
    ToProto(h.actor, hr->mutable_actor());
    ToProto(h.at, hr->mutable_at());
  }
  AddIds(c.absorbed, r->mutable_absorbed_ids());
  r->set_merged_into(c.merged_into.value());
  r->set_began_in_public(c.began_in_public);
  r->set_status_before_merge(c.status_before_merge);
  if (c.closed_at != absl::InfiniteFuture()) ToProto(c.closed_at, r->mutable_closed_at());
}

void MessageToRecord(const MessageState& m, ::omniroute::v1::MessageRecord* r) {
  r->set_id(m.id.value());
  r->set_conversation_id(m.conversation.value());
  r->set_channel(m.channel);
  r->set_direction(m.direction);
  r->set_visibility(m.visibility);
  ToProto(m.recorded_at, r->mutable_recorded_at());
  r->set_outcome(m.outcome);
  r->set_origin_conversation_id(m.origin.value());
  r->set_sender_fingerprint(m.sender_fingerprint);
}

ConversationState ConversationFromRecord(const ::omniroute::v1::ConversationRecord& r) {
  ConversationState c;
  c.id = ConversationId(r.id());
  c.customer = CustomerId(r.customer_id());
  c.status = r.status();
  c.first_channel = r.first_channel();
  c.channel = r.channel();
  c.opened_at = FromProto(r.opened_at());
  c.last_activity_at = FromProto(r.last_activity_at());
  c.first_response_due = FromProto(r.first_response_due());
  if (r.has_first_responded_at()) c.first_responded_at = FromProto(r.first_responded_at());
  if (r.has_resolved_at()) c.resolved_at = FromProto(r.resolved_at());
  if (r.has_closed_at()) c.closed_at = FromProto(r.closed_at());
  for (uint64_t id : r.message_ids()) c.messages.push_back(MessageId(id));
  for (const auto& h : r.handoffs()) {
    c.handoffs.push_back({h.from_channel(), h.to_channel(), h.reason(), FromProto(h.actor()),
                          FromProto(h.at())});
  }
  for (uint64_t id : r.absorbed_ids()) c.absorbed.push_back(ConversationId(id));
  c.merged_into = ConversationId(r.merged_into());
  c.began_in_public = r.began_in_public();
  c.status_before_merge = r.status_before_merge();
  return c;
}

MessageState MessageFromRecord(const ::omniroute::v1::MessageRecord& r) {
  MessageState m;
  m.id = MessageId(r.id());
  m.conversation = ConversationId(r.conversation_id());
  m.channel = r.channel();
  m.direction = r.direction();
  m.visibility = r.visibility();
  m.recorded_at = FromProto(r.recorded_at());
  m.outcome = r.outcome();
  m.origin = ConversationId(r.origin_conversation_id());
  m.sender_fingerprint = r.sender_fingerprint();
  return m;
}

void CoreState::ToSnapshot(::omniroute::v1::TenantSnapshot* snapshot) const {
  if (configured_) ToProto(options_, snapshot->mutable_settings());
  for (const CustomerState& c : customers_) {
    auto* r = snapshot->add_customers();
    r->set_id(c.id.value());
    r->set_display_name(c.display_name().data(), c.display_name().size());
    r->set_language(c.language().data(), c.language().size());
    r->set_tier(c.tier);
    r->set_reach(c.reach);
    r->set_created_at_ns(c.created_at_ns);
    c.profile.ForEachIdentity([&](const IdentityRef& identity) {
      auto* out = r->add_identities();
      out->set_kind(identity.kind);
      out->set_network(identity.network.data(), identity.network.size());
      out->set_value(identity.value.data(), identity.value.size());
    });
    AddIds(c.conversations, r->mutable_conversation_ids());
    r->set_merged_into(c.merged_into.value());
    if (c.erased) {
      r->set_erased(true);
      ToProto(ErasedAt(c.id), r->mutable_erased_at());
    }
  }
  for (const ConversationState* c : ConversationsById()) {
    ConversationToRecord(*c, snapshot->add_conversations());
  }
  const std::vector<const MessageState*> messages = MessagesById();
  if (std::all_of(messages.begin(), messages.end(), TimeFitsInColumns)) {
    WriteMessageColumns(messages, snapshot->mutable_message_columns());
  } else {
    // A time the columns cannot hold (they count nanoseconds in 64 bits:
    // years 1678 to 2262; an event may carry any year from 1 to 9999):
    // every message as a record, as format 3 wrote them, which this
    // version reads too.
    for (const MessageState* m : messages) MessageToRecord(*m, snapshot->add_messages());
  }
  snapshot->set_next_conversation_id(next_conversation_id_);
  snapshot->set_next_message_id(next_message_id_);
  // Sorted by absorbed id so that equal states give equal bytes.
  std::vector<CustomerId> absorbed;
  for (const auto& [id, record] : active_merges_) absorbed.push_back(id);
  std::sort(absorbed.begin(), absorbed.end());
  for (CustomerId id : absorbed) {
    const MergeRecord& record = active_merges_.at(id);
    auto* r = snapshot->add_merges();
    r->set_survivor_id(record.survivor.value());
    r->set_absorbed_id(record.absorbed.value());
    for (const Identity& identity : record.identities) ToProto(identity, r->add_identities());
    AddIds(record.conversations, r->mutable_conversation_ids());
    for (const MergeRecord::Thread& t : record.threads) {
      auto* tr = r->add_threads();
      tr->set_target_conversation_id(t.target.value());
      tr->set_source_conversation_id(t.source.value());
      AddIds(t.messages, tr->mutable_message_ids());
      tr->set_target_channel_before(t.target_channel_before);
    }
  }
}

absl::StatusOr<CoreState> CoreState::FromSnapshot(
    const ::omniroute::v1::TenantSnapshot& snapshot) {
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("snapshot of tenant ", snapshot.tenant_id(), " at sequence ",
                     snapshot.sequence(), " is inconsistent: ", why));
  };
  CoreState state(snapshot.tenant_id());
  state.configured_ = snapshot.has_settings();
  if (state.configured_) state.options_ = FromProto(snapshot.settings());

  const uint64_t customer_count = snapshot.customers_size();
  auto valid = [](uint64_t id, uint64_t count) { return id >= 1 && id <= count; };
  auto optional_valid = [](uint64_t id, uint64_t count) { return id <= count; };
  // Conversations and messages first: customers and merges point at them.
  const ListedIds listed_conversations(snapshot.conversations());
  // Format 4 lists the messages in columns, format 3 as records.
  const ::omniroute::v1::MessageColumns& columns = snapshot.message_columns();
  if (snapshot.messages_size() > 0 && columns.id_deltas_size() > 0) {
    return corrupt("messages listed both as records and in columns");
  }
  std::optional<std::vector<uint64_t>> column_ids = ColumnIds(columns);
  if (!column_ids.has_value())
    return corrupt("message columns of unequal lengths or ids out of order");
  const ListedIds listed_messages =
      snapshot.messages_size() > 0 ? ListedIds(snapshot.messages()) : ListedIds(*column_ids);
  if (!listed_conversations.Sorted()) return corrupt("conversation ids out of order");
  if (!listed_messages.Sorted()) return corrupt("message ids out of order");
  auto listed = [&](ConversationId id) { return listed_conversations.contains(id.value()); };
  // The customers and their identity index read nothing the loops over
  // conversations and messages write, so a large tenant's are built on a
  // second thread meanwhile (joined on every way out).
  absl::Status customers_loaded;
  auto load_customers = [&]() -> absl::Status {
    size_t identity_count = 0;
    for (const auto& r : snapshot.customers()) identity_count += r.identities_size();
    state.identity_owner_.Reserve(identity_count);
    for (int i = 0; i < snapshot.customers_size(); ++i) {
      const auto& r = snapshot.customers(i);
      if (r.id() != static_cast<uint64_t>(i) + 1) return corrupt("customer ids out of order");
      if (!optional_valid(r.merged_into(), customer_count)) return corrupt("dangling merged_into");
      CustomerState& c = state.customers_.emplace_back();
      c.id = CustomerId(r.id());
      c.tier = r.tier();
      c.reach = r.reach();
      c.created_at_ns =
          r.has_created_at() ? absl::ToUnixNanos(FromProto(r.created_at())) : r.created_at_ns();
      std::vector<Identity> identities;
      identities.reserve(r.identities_size());
      for (const auto& identity : r.identities()) {
        identities.push_back(FromProto(identity));
        const Identity& added = identities.back();
        // The customer's own profile is built after the loop: its earlier
        // identities are those read so far.
        auto holds = [&](CustomerId holder) {
          return holder == c.id ? std::count(identities.begin(), identities.end(), added) > 1
                                : state.customers_[holder.value() - 1].profile.Holds(added);
        };
        if (!state.identity_owner_.Insert(added, c.id, holds)) {
          return corrupt("an identity belongs to two customers");
        }
      }
      c.profile = CustomerProfile(r.display_name(), r.language(), identities);
      for (uint64_t id : r.conversation_ids()) {
        if (!listed(ConversationId(id))) return corrupt("dangling conversation id");
        c.conversations.push_back(ConversationId(id));
      }
      c.merged_into = CustomerId(r.merged_into());
      if (r.erased()) {
        c.erased = true;
        state.erased_at_[c.id] = FromProto(r.erased_at());
      }
    }
    return absl::OkStatus();
  };
  std::thread customers_builder;
  JoinOnExit join_customers(customers_builder);
  if (snapshot.customers_size() >= kParallelCustomers) {
    customers_builder = std::thread([&] { customers_loaded = load_customers(); });
  }
  // Sized once: growing by doubling would rehash a million entries twenty
  // times over during a start-up.
  state.conversations_.reserve(snapshot.conversations_size());
  state.messages_.reserve(snapshot.messages_size() + column_ids->size());
  uint64_t last_conversation = 0;
  for (const auto& r : snapshot.conversations()) {
    last_conversation = r.id();
    if (!valid(r.customer_id(), customer_count)) return corrupt("dangling id in a conversation");
    const ConversationState& c =
        state.conversations_.emplace(r.id(), ConversationFromRecord(r)).first->second;
    if (c.merged_into.valid() && !listed(c.merged_into)) return corrupt("dangling merged_into");
    for (MessageId m : c.messages) {
      if (!listed_messages.contains(m.value())) return corrupt("dangling message id");
    }
    for (ConversationId a : c.absorbed) {
      if (!listed(a)) return corrupt("dangling absorbed id");
    }
    // Archivable once closed, unless a merge pins it (Pin() below).
    if (c.status == ::omniroute::v1::CONVERSATION_STATUS_CLOSED) {
      state.archivable_.insert({c.closed_at, c.id});
    }
  }
  uint64_t last_message = 0;
  // An origin may name an archived conversation: any id below
  // next_conversation_id.
  const uint64_t next_conversation = snapshot.next_conversation_id();
  auto check_message = [&](const MessageState& m) -> absl::Status {
    if (!listed(m.conversation)) return corrupt("dangling conversation");
    if (m.origin.value() < 1 || m.origin.value() >= next_conversation) {
      return corrupt("dangling origin");
    }
    return absl::OkStatus();
  };
  for (const auto& r : snapshot.messages()) {
    last_message = r.id();
    MessageState m = MessageFromRecord(r);
    if (absl::Status s = check_message(m); !s.ok()) return s;
    state.messages_.emplace(r.id(), m);
  }
  int64_t recorded_at_ns = 0;
  for (size_t i = 0; i < column_ids->size(); ++i) {
    MessageState m;
    m.id = MessageId((*column_ids)[i]);
    m.conversation = ConversationId(columns.conversation_ids(i));
    m.origin = ConversationId(columns.origin_conversation_ids(i));
    recorded_at_ns = static_cast<int64_t>(static_cast<uint64_t>(recorded_at_ns) +
                                          static_cast<uint64_t>(columns.recorded_at_deltas(i)));
    m.recorded_at = absl::FromUnixNanos(recorded_at_ns);
    m.channel = static_cast<Channel>(columns.channels(i));
    m.direction = static_cast<Direction>(columns.directions(i));
    m.visibility = static_cast<Visibility>(columns.visibilities(i));
    m.outcome = static_cast<ThreadOutcome>(columns.outcomes(i));
    m.sender_fingerprint = columns.sender_fingerprints(i);
    if (absl::Status s = check_message(m); !s.ok()) return s;
    last_message = m.id.value();
    state.messages_.emplace(m.id.value(), m);
  }
  if (next_conversation <= last_conversation || snapshot.next_message_id() <= last_message) {
    return corrupt("next ids behind the ids in use");
  }
  state.next_conversation_id_ = next_conversation;
  state.next_message_id_ = snapshot.next_message_id();

  if (customers_builder.joinable()) {
    customers_builder.join();
  } else {
    customers_loaded = load_customers();
  }
  if (!customers_loaded.ok()) return customers_loaded;
  for (const auto& r : snapshot.merges()) {
    if (!valid(r.survivor_id(), customer_count) || !valid(r.absorbed_id(), customer_count)) {
      return corrupt("dangling customer in a merge record");
    }
    MergeRecord record;
    record.survivor = CustomerId(r.survivor_id());
    record.absorbed = CustomerId(r.absorbed_id());
    for (const auto& identity : r.identities()) record.identities.push_back(FromProto(identity));
    for (uint64_t id : r.conversation_ids()) {
      if (!listed(ConversationId(id))) return corrupt("dangling conversation in a merge");
      record.conversations.push_back(ConversationId(id));
    }
    for (const auto& t : r.threads()) {
      if (!listed(ConversationId(t.target_conversation_id())) ||
          !listed(ConversationId(t.source_conversation_id()))) {
        return corrupt("dangling thread in a merge");
      }
      MergeRecord::Thread thread{ConversationId(t.target_conversation_id()),
                                 ConversationId(t.source_conversation_id()),
                                 {},
                                 t.target_channel_before()};
      for (uint64_t id : t.message_ids()) {
        // A message may have left with its conversation since (archived).
        if (!valid(id, state.next_message_id_ - 1)) return corrupt("dangling message in a merge");
        thread.messages.push_back(MessageId(id));
      }
      record.threads.push_back(std::move(thread));
    }
    state.Pin(record);
    state.active_merges_[record.absorbed] = std::move(record);
  }
  return state;
}

absl::StatusOr<CoreState> CoreState::FromArchive(
    absl::string_view tenant_id, const ::omniroute::v1::ConversationArchive& archive) {
  CoreState state{std::string(tenant_id)};
  for (const auto& r : archive.conversations()) {
    state.conversations_.emplace(r.id(), ConversationFromRecord(r));
  }
  for (const auto& r : archive.messages()) state.messages_.emplace(r.id(), MessageFromRecord(r));
  for (const auto& [id, c] : state.conversations_) {
    for (MessageId m : c.messages) {
      if (state.message(m) == nullptr) {
        return absl::DataLossError(absl::StrCat("the archive of conversation ", id, " of tenant ",
                                                tenant_id, " lacks message ", m.value()));
      }
    }
    for (ConversationId a : c.absorbed) {
      if (state.conversation(a) == nullptr) {
        return absl::DataLossError(absl::StrCat("the archive of conversation ", id, " of tenant ",
                                                tenant_id, " lacks conversation ", a.value()));
      }
    }
  }
  return state;
}

}  // namespace omniroute::core
