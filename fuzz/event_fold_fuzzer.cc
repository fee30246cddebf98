// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The fold of a tenant's events (TenantState::Apply, lib/tenant): any
// sequence of events is applied one by one, each either OK or DATA_LOSS,
// never a crash. An event refused leaves the state as it was (the accepted
// events alone, replayed, fold to the same state). After the sequence, the state must survive a snapshot round trip (the restore
// checks that every reference resolves) and the restored state must be the
// same state (equal canonical dumps).
//
// Input: the events in the wire format of a message with `repeated Event
// events = 1` (what omniroute_fuzz_seeds writes from a scenario's log).
// Each event is given the tenant id and the sequence that follows, so that
// every input reaches the event's own checks.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/snapshot.pb.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"

namespace {

using ::google::protobuf::internal::WireFormatLite;

constexpr char kTenant[] = "fuzz";
constexpr int kMaxEvents = 256;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "event_fold_fuzzer: %s\n", what.c_str());
  std::abort();
}

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it;
// inputs are mostly such, and the log would bury libFuzzer's.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  google::protobuf::io::CodedInputStream input(data, static_cast<int>(size));
  omniroute::tenant::TenantState state(kTenant);
  omniroute::v1::Event event;
  std::vector<omniroute::v1::Event> accepted;
  for (int n = 0; n < kMaxEvents; ++n) {
    const uint32_t tag = input.ReadTag();
    if (tag == 0) break;
    if (tag != WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      if (!WireFormatLite::SkipField(&input, tag)) break;
      continue;
    }
    uint32_t length;
    if (!input.ReadVarint32(&length)) break;
    std::string bytes;
    if (!input.ReadString(&bytes, static_cast<int>(length))) break;
    if (!event.ParseFromString(bytes)) continue;
    event.set_tenant_id(kTenant);
    event.set_sequence(state.last_sequence() + 1);

    const absl::Status applied = state.Apply(event);
    if (applied.ok()) {
      accepted.push_back(event);
      continue;
    }
    if (applied.code() != absl::StatusCode::kDataLoss) {
      Fail("Apply returned " + applied.ToString() + " for " + event.ShortDebugString());
    }
  }

  // A refused event left the state as it was: the accepted events alone
  // fold to the same state.
  const std::string dump = omniroute::tenant::DumpState(state);
  omniroute::tenant::TenantState replayed(kTenant);
  for (const omniroute::v1::Event& e : accepted) {
    if (absl::Status s = replayed.Apply(e); !s.ok()) {
      Fail("an accepted event is refused on replay: " + s.ToString());
    }
  }
  if (omniroute::tenant::DumpState(replayed) != dump) {
    Fail("a refused event changed the state:\n" + dump + "\n--- accepted events only:\n" +
         omniroute::tenant::DumpState(replayed));
  }

  // The state as a snapshot, restored: the same state.
  omniroute::v1::TenantSnapshot snapshot;
  state.ToSnapshot(&snapshot);
  std::string serialized;
  if (!snapshot.SerializeToString(&serialized)) Fail("snapshot does not serialize");
  absl::StatusOr<omniroute::tenant::TenantState> restored =
      omniroute::tenant::TenantState::FromSerializedSnapshot(serialized);
  if (!restored.ok()) {
    Fail("the snapshot of a folded state is refused: " + restored.status().ToString());
  }
  if (omniroute::tenant::DumpState(*restored) != dump) {
    Fail("the restored state differs:\n" + dump + "\n--- restored:\n" +
         omniroute::tenant::DumpState(*restored));
  }
  return 0;
}
