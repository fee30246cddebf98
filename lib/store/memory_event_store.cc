// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "omniroute/event_store.h"

namespace omniroute {
namespace {

class MemoryEventStore final : public EventStore {
 public:
  absl::Status Append(absl::string_view tenant_id,
                      absl::Span<const ::omniroute::v1::Event> events) override {
    absl::MutexLock lock(&mu_);
    std::vector<::omniroute::v1::Event>& log = logs_[std::string(tenant_id)];
    uint64_t expected = log.size() + 1;
    for (const auto& event : events) {
      if (event.sequence() != expected++) {
        return absl::FailedPreconditionError(
            absl::StrCat("events: sequence ", event.sequence(), " does not continue tenant ",
                         tenant_id, "'s log at ", log.size()));
      }
    }
    log.insert(log.end(), events.begin(), events.end());
    return absl::OkStatus();
  }

  absl::Status Read(absl::string_view tenant_id, uint64_t from_sequence,
                    const std::function<bool(const ::omniroute::v1::Event&)>& visitor)
      const override {
    // Copy the range first so that the visitor may call back into the store.
    std::vector<::omniroute::v1::Event> range;
    {
      absl::MutexLock lock(&mu_);
      auto it = logs_.find(tenant_id);
      if (it == logs_.end()) return absl::OkStatus();
      const uint64_t first = from_sequence == 0 ? 0 : from_sequence - 1;
      if (first < it->second.size()) range.assign(it->second.begin() + first, it->second.end());
    }
    for (const auto& event : range) {
      if (!visitor(event)) break;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> LastSequence(absl::string_view tenant_id) const override {
    absl::MutexLock lock(&mu_);
    auto it = logs_.find(tenant_id);
    return it == logs_.end() ? 0 : it->second.size();
  }

  absl::Status SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                            absl::string_view state) override {
    absl::MutexLock lock(&mu_);
    auto it = logs_.find(tenant_id);
    const uint64_t last = it == logs_.end() ? 0 : it->second.size();
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
      if (!log.empty()) tenants.push_back(tenant);
    }
    return tenants;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<::omniroute::v1::Event>, std::less<>> logs_;
  std::map<std::string, Snapshot, std::less<>> snapshots_;
};

}  // namespace

std::unique_ptr<EventStore> NewMemoryEventStore() { return std::make_unique<MemoryEventStore>(); }

}  // namespace omniroute
