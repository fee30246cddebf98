// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// TenantState <-> TenantSnapshot: the tenant writes the format version, its
// id and sequence, and lets each part write its own fields (the core's:
// lib/core/snapshot.cc; routing's: lib/routing/routing_snapshot.cc).

#include <cstdint>
#include <optional>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "tenant/tenant_state.h"

namespace omniroute::tenant {
namespace {

// 2: messages without bodies, senders, references or keys (history, in the
// event store).
// 3: sparse ids (archived conversations, messages, tasks and commitments are
// not listed; the next ids are), closed_at.
// Version 4 lists the message records in columns (MessageColumns); version
// 3, which listed them as MessageRecords, is still read.
constexpr uint32_t kSnapshotFormatVersion = 4;
constexpr uint32_t kOldestSnapshotFormatVersion = 3;

// Below this many routing records a second thread costs more than it saves.
constexpr int kParallelRecords = 10'000;

bool LargeRouting(const v1::RoutingSnapshot& r) {
  return r.tasks_size() + r.conversations_size() + r.commitments_size() >= kParallelRecords;
}

absl::Status CheckFormat(const v1::TenantSnapshot& snapshot) {
  if (snapshot.format_version() >= kOldestSnapshotFormatVersion &&
      snapshot.format_version() <= kSnapshotFormatVersion) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("snapshot of tenant ", snapshot.tenant_id(), " has format version ",
                   snapshot.format_version(), "; this build reads versions ",
                   kOldestSnapshotFormatVersion, " to ", kSnapshotFormatVersion));
}

// Where the routing field of a serialized TenantSnapshot is: the whole
// field [begin, end) and its payload.
struct FieldSpan {
  size_t begin = 0;
  size_t end = 0;
  absl::string_view payload;
};

// Reads a varint at `*pos`, advancing it; false past the end or beyond 64
// bits.
bool ReadVarint(absl::string_view bytes, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && *pos < bytes.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(bytes[(*pos)++]);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// The routing field (TenantSnapshot.routing, field 9) when the top level
// holds it exactly once; nullopt otherwise (then the whole snapshot is
// parsed in one piece, and a malformed one is reported by that parse).
std::optional<FieldSpan> FindRoutingField(absl::string_view bytes) {
  constexpr uint64_t kRoutingField = v1::TenantSnapshot::kRoutingFieldNumber;
  std::optional<FieldSpan> found;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t begin = pos;
    uint64_t tag = 0;
    if (!ReadVarint(bytes, &pos, &tag)) return std::nullopt;
    uint64_t value = 0;
    switch (tag & 7) {
      case 0:  // varint
        if (!ReadVarint(bytes, &pos, &value)) return std::nullopt;
        break;
      case 1:  // 64-bit
        pos += 8;
        break;
      case 5:  // 32-bit
        pos += 4;
        break;
      case 2: {  // length-delimited
        if (!ReadVarint(bytes, &pos, &value) || value > bytes.size() - pos) return std::nullopt;
        const size_t payload_begin = pos;
        pos += value;
        if ((tag >> 3) == kRoutingField) {
          if (found.has_value()) return std::nullopt;
          found = FieldSpan{begin, pos, bytes.substr(payload_begin, value)};
        }
        break;
      }
      default:  // groups: not in this message
        return std::nullopt;
    }
    if (pos > bytes.size()) return std::nullopt;
  }
  return found;
}

}  // namespace

google::protobuf::ArenaOptions SnapshotArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  return options;
}

void TenantState::ToSnapshot(::omniroute::v1::TenantSnapshot* snapshot) const {
  snapshot->set_format_version(kSnapshotFormatVersion);
  snapshot->set_tenant_id(tenant_id());
  snapshot->set_sequence(last_sequence_);
  core_.ToSnapshot(snapshot);
  routing_.ToSnapshot(snapshot->mutable_routing());
}

absl::StatusOr<TenantState> TenantState::FromSnapshot(
    const ::omniroute::v1::TenantSnapshot& snapshot) {
  if (absl::Status s = CheckFormat(snapshot); !s.ok()) return s;
  const auto& r = snapshot.routing();
  return Assemble(snapshot, LargeRouting(r), [&] { return routing::RoutingState::FromSnapshot(r); });
}

absl::StatusOr<TenantState> TenantState::FromSerializedSnapshot(absl::string_view bytes) {
  google::protobuf::Arena arena(SnapshotArenaOptions());
  auto* snapshot = google::protobuf::Arena::CreateMessage<v1::TenantSnapshot>(&arena);
  const std::optional<FieldSpan> routing_field = FindRoutingField(bytes);
  // Large enough to be worth a thread: judged by its size in bytes, since
  // it is not parsed yet (kParallelRecords records of 60 bytes or more).
  if (!routing_field.has_value() || routing_field->payload.size() < kParallelRecords * 60) {
    if (!snapshot->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError("tenant snapshot does not parse");
    }
    return FromSnapshot(*snapshot);
  }
  // Everything but the routing field, in two pieces: parsing the second
  // merges it into the first, as protobuf does for concatenated messages.
  const absl::string_view before = bytes.substr(0, routing_field->begin);
  const absl::string_view after = bytes.substr(routing_field->end);
  google::protobuf::io::CodedInputStream rest(reinterpret_cast<const uint8_t*>(after.data()),
                                              static_cast<int>(after.size()));
  if (!snapshot->ParsePartialFromArray(before.data(), static_cast<int>(before.size())) ||
      !snapshot->MergePartialFromCodedStream(&rest) || !rest.ConsumedEntireMessage()) {
    return absl::DataLossError("tenant snapshot does not parse");
  }
  if (absl::Status s = CheckFormat(*snapshot); !s.ok()) return s;
  return Assemble(*snapshot, /*parallel=*/true,
                  [payload = routing_field->payload]() -> absl::StatusOr<routing::RoutingState> {
                    google::protobuf::Arena routing_arena(SnapshotArenaOptions());
                    auto* r =
                        google::protobuf::Arena::CreateMessage<v1::RoutingSnapshot>(&routing_arena);
                    if (!r->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
                      return absl::DataLossError("the routing part does not parse");
                    }
                    return routing::RoutingState::FromSnapshot(*r);
                  });
}

absl::StatusOr<TenantState> TenantState::Assemble(
    const ::omniroute::v1::TenantSnapshot& snapshot, bool parallel,
    absl::FunctionRef<absl::StatusOr<routing::RoutingState>()> build_routing) {
  // The two parts read disjoint fields of the snapshot and build disjoint
  // states, so a large routing part is built on a second thread while this
  // one builds the core: at 500k open conversations that took a third of a
  // start-up from a snapshot off the critical path.
  absl::StatusOr<routing::RoutingState> routing = absl::UnknownError("not built");
  std::thread routing_builder;
  if (parallel) {
    routing_builder = std::thread([&] { routing = build_routing(); });
  } else {
    routing = build_routing();
  }
  absl::StatusOr<core::CoreState> core = core::CoreState::FromSnapshot(snapshot);
  if (routing_builder.joinable()) routing_builder.join();
  if (!core.ok()) return core.status();
  if (!routing.ok()) {
    return absl::DataLossError(absl::StrCat("snapshot of tenant ", snapshot.tenant_id(),
                                            " at sequence ", snapshot.sequence(),
                                            " is inconsistent: ", routing.status().message()));
  }
  return TenantState(*std::move(core), *std::move(routing), snapshot.sequence());
}

}  // namespace omniroute::tenant
