// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-log replay: rebuilds each tenant's state from its log with the
// library's own fold (tenant::TenantState::Apply), as the engine does at
// start-up, and shows what it holds and its fingerprint.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"
#include "log/commands.h"
#include "log/state_fingerprint.h"
#include "log/store_access.h"
#include "omniroute/event_store.h"
#include "omniroute/types.h"
#include "omniroute/v1/snapshot.pb.h"

namespace omniroute::log_tool {
namespace {

namespace v1 = ::omniroute::v1;

constexpr char kUsage[] = "omniroute-log replay [--tenant T] [--from-snapshot] [--dump] <db>";

constexpr char kHelp[] = R"(usage: omniroute-log replay [--tenant T] [--from-snapshot] [--dump] <db>

Rebuilds each tenant's state from the event store <db> by folding its events,
from sequence 1, into a fresh state, exactly as the engine does at start-up
(stored snapshots are ignored unless --from-snapshot), and prints a summary
per tenant: customers (active and merged), identities, conversations by
status, messages by channel and direction, handoffs, how fast the replay ran
(events/s), and the state's fingerprint: a 64-bit FNV-1a hash of its
canonical dump (what Engine::DumpState returns), in hex. Equal fingerprints
mean equal states, so two replays (of a store and its backup, or before and
after an upgrade) can be compared by their fingerprints. A last line gives
the totals and the fingerprint of all the tenants' dumps in order.

An event that is damaged or does not fit the state is reported (DATA_LOSS,
naming the tenant and the sequence) and the exit code is 1. The store is
opened read-only and never changed.

Options:
  --tenant T       only tenant T (an error if the store holds no event of it)
  --from-snapshot  start from the tenant's stored snapshot and replay only the
                   events after it (a tenant without a snapshot is replayed
                   from sequence 1); the fingerprint must be the same
  --dump           print each tenant's whole state dump instead of the summary
  -h, --help       show this help

Exit codes: 0 success, 1 failure (missing, foreign or damaged store),
2 usage error.
)";

// What one tenant's replay did.
struct Replay {
  // Set when the replay started from a snapshot (its sequence).
  std::optional<uint64_t> snapshot_sequence;
  uint64_t events = 0;
  uint64_t first_sequence = 0;
  double seconds = 0;
};

absl::Status SnapshotDamage(absl::string_view tenant, uint64_t sequence, absl::string_view what,
                            absl::StatusCode code = absl::StatusCode::kDataLoss) {
  return absl::Status(
      code, absl::StrCat("snapshots: tenant ", tenant, ", sequence ", sequence, ": ", what));
}

// The tenant's stored snapshot as a state; nullopt if it has none.
absl::StatusOr<std::optional<tenant::TenantState>> LoadSnapshotState(const EventStore& store,
                                                                   const std::string& tenant) {
  absl::StatusOr<EventStore::Snapshot> snapshot = store.LoadSnapshot(tenant);
  if (absl::IsNotFound(snapshot.status())) return std::nullopt;
  if (!snapshot.ok()) return snapshot.status();
  v1::TenantSnapshot proto;
  if (!proto.ParseFromString(snapshot->state)) {
    return SnapshotDamage(tenant, snapshot->sequence, "the stored state is not a TenantSnapshot");
  }
  if (proto.tenant_id() != tenant || proto.sequence() != snapshot->sequence) {
    return SnapshotDamage(tenant, snapshot->sequence,
                          absl::StrCat("the stored state is tenant ", proto.tenant_id(),
                                       " at sequence ", proto.sequence()));
  }
  absl::StatusOr<tenant::TenantState> state = tenant::TenantState::FromSnapshot(proto);
  if (!state.ok()) {
    return SnapshotDamage(tenant, snapshot->sequence, state.status().message(),
                          state.status().code());
  }
  return std::optional<tenant::TenantState>(*std::move(state));
}

absl::StatusOr<std::pair<tenant::TenantState, Replay>> ReplayTenant(const EventStore& store,
                                                                  const std::string& tenant,
                                                                  bool from_snapshot) {
  const auto start = std::chrono::steady_clock::now();
  Replay replay;
  tenant::TenantState state(tenant);
  if (from_snapshot) {
    absl::StatusOr<std::optional<tenant::TenantState>> loaded = LoadSnapshotState(store, tenant);
    if (!loaded.ok()) return loaded.status();
    if (loaded->has_value()) {
      state = **std::move(loaded);
      replay.snapshot_sequence = state.last_sequence();
    }
  }
  absl::Status applied;
  absl::Status read = store.Read(tenant, state.last_sequence() + 1, [&](const v1::Event& event) {
    if (absl::Status s = state.Apply(event); !s.ok()) {
      applied = absl::Status(
          s.code(), absl::StrCat("events: tenant ", tenant, ", sequence ", event.sequence(),
                                 ": cannot be applied: ", s.message()));
      return false;
    }
    if (replay.events == 0) replay.first_sequence = event.sequence();
    ++replay.events;
    return true;
  });
  if (!read.ok()) return read;
  if (!applied.ok()) return applied;
  replay.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::make_pair(std::move(state), replay);
}

std::string Rate(uint64_t events, double seconds) {
  if (seconds <= 0) return "n/a events/s";
  return absl::StrFormat("%.0f events/s", static_cast<double>(events) / seconds);
}

std::string Millis(double seconds) { return absl::StrFormat("%.3f ms", seconds * 1000); }

std::string Summary(const tenant::TenantState& state, const Replay& replay,
                    absl::string_view fingerprint) {
  std::string out = absl::StrCat("tenant ", state.tenant_id(), ": ");
  if (replay.snapshot_sequence.has_value()) {
    absl::StrAppend(&out, "snapshot at sequence ", *replay.snapshot_sequence, ", then ");
  }
  absl::StrAppend(&out, replay.events, replay.events == 1 ? " event" : " events");
  if (replay.events > 0) {
    absl::StrAppend(&out, " (sequences ", replay.first_sequence, " to ", state.last_sequence(),
                    ")");
  }
  absl::StrAppend(&out, " replayed in ", Millis(replay.seconds), " (",
                  Rate(replay.events, replay.seconds), ")\n");

  uint64_t active = 0;
  uint64_t identities = 0;
  for (const core::CustomerState& c : state.customers()) {
    if (!c.merged_into.valid()) ++active;
    identities += c.profile.identity_count();
  }
  std::map<int, uint64_t> by_status;
  uint64_t handoffs = 0;
  for (const core::ConversationState* conversation : state.ConversationsById()) {
    const core::ConversationState& c = *conversation;
    ++by_status[static_cast<int>(c.status)];
    handoffs += c.handoffs.size();
  }
  struct Traffic {
    uint64_t in = 0;
    uint64_t out = 0;
    uint64_t unspecified = 0;  // No direction: only a foreign log has these.
  };
  std::map<int, Traffic> by_channel;
  for (const core::MessageState* message : state.MessagesById()) {
    const core::MessageState& m = *message;
    Traffic& t = by_channel[static_cast<int>(m.channel)];
    ++(m.direction == v1::DIRECTION_INBOUND    ? t.in
       : m.direction == v1::DIRECTION_OUTBOUND ? t.out
                                               : t.unspecified);
  }

  auto line = [&out](absl::string_view label, absl::string_view value) {
    absl::StrAppendFormat(&out, "  %-14s %s\n", label, value);
  };
  line("customers", absl::StrCat(state.customer_count(), " (", active, " active, ",
                                 state.customer_count() - active, " merged)"));
  line("identities", absl::StrCat(identities));
  std::string conversations = absl::StrCat(state.conversation_count());
  if (!by_status.empty()) {
    absl::StrAppend(
        &conversations, " (",
        absl::StrJoin(by_status, ", ",
                      [](std::string* o, const auto& entry) {
                        absl::StrAppend(
                            o, ConversationStatusName(static_cast<ConversationStatus>(entry.first)),
                            " ", entry.second);
                      }),
        ")");
  }
  // Closed conversations past their retention are in the store's archive,
  // with their messages.
  const uint64_t archived = state.NextConversationId().value() - 1 - state.conversation_count();
  if (archived > 0) absl::StrAppend(&conversations, "; ", archived, " archived");
  line("conversations", conversations);
  std::string messages = absl::StrCat(state.message_count());
  const uint64_t archived_messages = state.NextMessageId().value() - 1 - state.message_count();
  if (archived_messages > 0) absl::StrAppend(&messages, "; ", archived_messages, " archived");
  line("messages", messages);
  for (const auto& [channel, traffic] : by_channel) {
    absl::StrAppendFormat(&out, "    %-16s %d in, %d out%s\n",
                          ChannelName(static_cast<Channel>(channel)), traffic.in, traffic.out,
                          traffic.unspecified == 0
                              ? ""
                              : absl::StrCat(", ", traffic.unspecified, " without direction"));
  }
  line("handoffs", absl::StrCat(handoffs));
  line("fingerprint", fingerprint);
  return out;
}

}  // namespace

int RunReplay(const Invocation& invocation) {
  static constexpr OptionSpec kOptions[] = {
      {"tenant", true}, {"from-snapshot", false}, {"dump", false}};
  absl::StatusOr<ParsedArgs> args = ParseArgs(invocation.args, kOptions);
  if (!args.ok()) return UsageError(invocation, kUsage, args.status().message());
  if (args->help()) {
    *invocation.out << kHelp;
    return FinishOutput(invocation);
  }
  if (args->positional().empty()) return UsageError(invocation, kUsage, "missing <db>");
  if (args->positional().size() > 1) {
    return UsageError(invocation, kUsage,
                      absl::StrCat("unexpected argument ", args->positional()[1]));
  }
  const std::string& path = args->positional()[0];
  const bool dump = args->Has("dump");

  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenStoreForReading(path);
  if (!store.ok()) return Failure(invocation, path, store.status());
  absl::StatusOr<std::vector<std::string>> tenants =
      SelectTenants(**store, path, args->Value("tenant"));
  if (!tenants.ok()) return Failure(invocation, path, tenants.status());

  uint64_t all_events = 0;
  double all_seconds = 0;
  uint64_t all_fingerprint = kEmptyFingerprint;
  for (const std::string& tenant : *tenants) {
    absl::StatusOr<std::pair<tenant::TenantState, Replay>> replayed =
        ReplayTenant(**store, tenant, args->Has("from-snapshot"));
    if (!replayed.ok()) return Failure(invocation, path, replayed.status());
    const auto& [state, replay] = *replayed;
    const std::string text = tenant::DumpState(state);
    all_events += replay.events;
    all_seconds += replay.seconds;
    all_fingerprint = ExtendFingerprint(all_fingerprint, text);
    *invocation.out << (dump ? text
                             : Summary(state, replay, FormatFingerprint(StateFingerprint(text))));
  }
  if (!dump) {
    *invocation.out << "total: " << tenants->size()
                    << (tenants->size() == 1 ? " tenant, " : " tenants, ") << all_events
                    << " events replayed in " << Millis(all_seconds) << " ("
                    << Rate(all_events, all_seconds) << "), fingerprint "
                    << FormatFingerprint(all_fingerprint) << "\n";
  }
  return FinishOutput(invocation);
}

}  // namespace omniroute::log_tool
