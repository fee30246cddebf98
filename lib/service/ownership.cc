// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/ownership.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "service/placement.h"

namespace omniroute::service {

absl::Status ValidateOwnershipOptions(const OwnershipOptions& options) {
  if (options.node_id.empty() || options.node_id.size() > 128) {
    return absl::InvalidArgumentError("node_id: must be 1 to 128 characters");
  }
  for (char c : options.node_id) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          absl::StrCat("node_id: \"", options.node_id, "\" may only hold printable characters"));
    }
  }
  if (options.lease < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease: must be at least 100ms, got ", absl::FormatDuration(options.lease)));
  }
  if (options.tick < absl::ZeroDuration() || options.tick >= options.lease) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tick: must be positive and below the lease (", absl::FormatDuration(options.lease),
        "), got ", absl::FormatDuration(options.tick)));
  }
  return absl::OkStatus();
}

namespace {
OwnershipOptions WithDefaults(OwnershipOptions options) {
  if (options.tick == absl::ZeroDuration()) options.tick = options.lease / 4;
  return options;
}
}  // namespace

Ownership::Ownership(const OwnershipOptions& options, TenantLeases& leases)
    : options_(WithDefaults(options)),
      clock_(options.clock != nullptr ? *options.clock : SystemClock()),
      leases_(leases) {}

Ownership::~Ownership() { Stop(/*hand_off=*/false); }

absl::Status Ownership::Start(Engine& engine, const EventStore& store, std::string address) {
  engine_ = &engine;
  address_ = address.empty() ? options_.address : std::move(address);
  if (address_.empty()) {
    return absl::InvalidArgumentError("address: required (the host:port clients reach it on)");
  }
  // Tenants stored before the store was shared have no lease row yet.
  absl::StatusOr<std::vector<std::string>> stored = store.ListTenants();
  if (!stored.ok()) return stored.status();
  if (absl::Status s = leases_.AddTenants(*stored); !s.ok()) return s;
  if (absl::Status s = Tick(); !s.ok()) return s;
  if (options_.run_thread) thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Ownership::Stop(bool hand_off) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    draining_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (engine_ == nullptr) return;
  if (hand_off) {
    // A draining node places nothing on itself: the round hands every
    // tenant off and tells the others (draining) to take them.
    (void)Tick();
    (void)leases_.RemoveNode(options_.node_id);
  }
  for (const std::string& tenant : Held()) Drop(tenant);
}

void Ownership::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void Ownership::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), NextRoundInLocked());
      if (stopping_) return;
      wake_ = false;
    }
    if (absl::Status s = Tick(); !s.ok()) {
      std::cerr << "omniroute-server: node " << options_.node_id << ": " << s << "\n";
    }
  }
}

absl::Duration Ownership::NextRoundIn() const {
  absl::MutexLock lock(&mu_);
  return NextRoundInLocked();
}

absl::Duration Ownership::NextRoundInLocked() const {
  const absl::Time now = clock_.Now();
  absl::Duration wait = options_.tick;
  for (const auto& [id, node] : nodes_) {
    if (id == options_.node_id || node.expires_at <= now) continue;
    // Just past the lapse: the lease query compares expires_at > now.
    wait = std::min(wait, node.expires_at - now + absl::Milliseconds(1));
  }
  return wait;
}

bool Ownership::Alive(absl::string_view node, absl::Time now) const {
  auto it = nodes_.find(node);
  return it != nodes_.end() && it->second.expires_at > now;
}

std::vector<std::string> Ownership::LiveNodes(absl::Time now) const {
  std::vector<std::string> live;
  for (const auto& [id, node] : nodes_) {
    if (node.expires_at > now && !node.draining) live.push_back(id);
  }
  return live;
}

void Ownership::Drop(const std::string& tenant) {
  // The engine first: until it has drained, appends still need the fence.
  (void)engine_->ReleaseTenant(tenant);
  absl::MutexLock lock(&mu_);
  held_.erase(tenant);
}

absl::Status Ownership::Tick() {
  absl::MutexLock round(&tick_mu_);
  absl::Status first_error;
  auto note = [&](absl::Status s) {
    if (!s.ok() && first_error.ok()) first_error = std::move(s);
  };
  const absl::Time now = clock_.Now();
  bool draining;
  bool lapsed;
  {
    absl::MutexLock lock(&mu_);
    draining = draining_;
    lapsed = last_heartbeat_ != absl::InfinitePast() && now - last_heartbeat_ >= options_.lease;
  }
  // No heartbeat for a whole lease (the process was paused, or the
  // database out of reach): others may have taken every tenant by now, so
  // serve none of them until taken again, which reads them afresh. (Their
  // appends would be refused anyway; this stops the stale reads.)
  if (lapsed) {
    for (const std::string& tenant : Held()) Drop(tenant);
  }
  // Beats again during a long round too (taking tenants reads their
  // snapshots and tails, which on a busy machine can outlast a lease): a
  // node that seemed dead while it worked would have its tenants taken,
  // take them back on its next round, and two nodes could trade every
  // tenant for ever, each seeing the other's heartbeat lapse.
  auto beat_now = [&](absl::Time at) {
    absl::Status beat = leases_.Heartbeat(ClusterNode{.id = options_.node_id,
                                                      .address = address_,
                                                      .expires_at = at + options_.lease,
                                                      .draining = draining});
    absl::MutexLock lock(&mu_);
    if (beat.ok()) last_heartbeat_ = at;
    return beat;
  };
  auto beat_if_due = [&] {
    const absl::Time at = clock_.Now();
    absl::Time last;
    {
      absl::MutexLock lock(&mu_);
      last = last_heartbeat_;
    }
    if (at - last >= options_.lease / 4) note(beat_now(at));
  };
  if (absl::Status beat = beat_now(now); !beat.ok()) return beat;
  absl::StatusOr<std::vector<ClusterNode>> nodes = leases_.Nodes();
  if (!nodes.ok()) return nodes.status();
  absl::StatusOr<std::vector<TenantLease>> rows = leases_.Leases();
  if (!rows.ok()) return rows.status();
  std::vector<std::string> live;
  {
    absl::MutexLock lock(&mu_);
    nodes_.clear();
    for (ClusterNode& node : *nodes) nodes_[node.id] = std::move(node);
    owners_.clear();
    for (const TenantLease& row : *rows) owners_[row.tenant] = row.owner;
    live = LiveNodes(now);
  }
  for (const TenantLease& row : *rows) {
    const std::optional<uint64_t> held_epoch = HeldEpoch(row.tenant);
    bool held = held_epoch.has_value();
    const uint64_t epoch_held = held_epoch.value_or(0);
    if (held && (row.owner != options_.node_id || row.epoch != epoch_held)) {
      // Taken from this node (it was paused or cut off past its lease).
      Drop(row.tenant);
      held = false;
    }
    const std::string placed = PlaceTenant(row.tenant, live);
    if (held) {
      if (draining || (!placed.empty() && placed != options_.node_id)) {
        // A clean handoff: drained here before anyone else may take it.
        Drop(row.tenant);
        note(leases_.Release(row.tenant, options_.node_id, epoch_held));
      }
      continue;
    }
    if (draining || placed != options_.node_id) {
      // A row that still names this node for a tenant it does not hold (it
      // let the tenant go when its heartbeats lapsed, or could not read it)
      // is released, or the node it is placed on would wait for ever for a
      // handoff from this live node.
      if (row.owner == options_.node_id) {
        note(leases_.Release(row.tenant, options_.node_id, row.epoch));
      }
      continue;
    }
    bool owner_alive;
    {
      absl::MutexLock lock(&mu_);
      owner_alive = !row.owner.empty() && row.owner != options_.node_id && Alive(row.owner, now);
    }
    if (owner_alive) continue;  // It hands off on its own round.
    beat_if_due();
    absl::StatusOr<std::optional<TenantLease>> taken =
        leases_.Acquire(row.tenant, options_.node_id, now);
    if (!taken.ok()) {
      note(taken.status());
      continue;
    }
    if (!taken->has_value()) continue;
    const uint64_t epoch = (*taken)->epoch;
    {
      absl::MutexLock lock(&mu_);
      held_[row.tenant] = epoch;
      owners_[row.tenant] = options_.node_id;
    }
    if (absl::Status s = engine_->AdoptTenant(row.tenant); !s.ok()) {
      {
        absl::MutexLock lock(&mu_);
        held_.erase(row.tenant);
      }
      (void)leases_.Release(row.tenant, options_.node_id, epoch);
      note(absl::Status(s.code(), absl::StrCat("taking tenant ", row.tenant, ": ", s.message())));
    } else if (options_.on_taken) {
      options_.on_taken(row.tenant);
    }
  }
  return first_error;
}

absl::Status Ownership::CreateTenant(absl::string_view tenant_id, const TenantOptions& options,
                                     const Caller& caller) {
  // Not during a round: a round that read the new lease's row before this
  // call recorded it as held would take the tenant again, find it in the
  // engine already (ALREADY_EXISTS), and release the lease of a tenant the
  // engine goes on holding, which every later round would then retry.
  absl::MutexLock round(&tick_mu_);
  absl::StatusOr<std::vector<ClusterNode>> nodes = leases_.Nodes();
  if (!nodes.ok()) return nodes.status();
  std::string placed;
  std::string address;
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return NotHere(tenant_id);
    nodes_.clear();
    for (ClusterNode& node : *nodes) nodes_[node.id] = std::move(node);
    std::vector<std::string> live = LiveNodes(clock_.Now());
    // This node is serving the call, so it counts as live even if its own
    // row has not been written yet.
    if (std::find(live.begin(), live.end(), options_.node_id) == live.end()) {
      live.push_back(options_.node_id);
    }
    placed = PlaceTenant(tenant_id, live);
    if (auto it = nodes_.find(placed); it != nodes_.end()) address = it->second.address;
  }
  if (placed != options_.node_id) {
    absl::Status elsewhere = absl::UnavailableError(
        absl::StrCat("tenant_id: \"", tenant_id, "\" is placed on node ", placed, " at ", address,
                     ", not on this node (", options_.node_id, "): create it there"));
    elsewhere.SetPayload(kOwnerAddressPayload, absl::Cord(address));
    return elsewhere;
  }
  absl::StatusOr<TenantLease> lease = leases_.CreateLease(tenant_id, options_.node_id);
  if (!lease.ok()) return lease.status();
  {
    absl::MutexLock lock(&mu_);
    held_[std::string(tenant_id)] = lease->epoch;
    owners_[std::string(tenant_id)] = options_.node_id;
  }
  absl::Status created = engine_->CreateTenant(tenant_id, options, caller);
  if (!created.ok()) {
    {
      absl::MutexLock lock(&mu_);
      held_.erase(std::string(tenant_id));
    }
    (void)leases_.DeleteLease(tenant_id, options_.node_id, lease->epoch);
  }
  return created;
}

std::optional<Ownership::Owner> Ownership::OwnerOf(absl::string_view tenant_id) const {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  std::string node;
  // A row that still names this node for a tenant it no longer holds is a
  // handoff under way: the tenant goes where it is placed.
  if (auto it = owners_.find(tenant_id);
      it != owners_.end() && !it->second.empty() && Alive(it->second, now) &&
      (it->second != options_.node_id || held_.contains(tenant_id))) {
    node = it->second;
  } else {
    node = PlaceTenant(tenant_id, LiveNodes(now));
  }
  auto it = nodes_.find(node);
  if (node.empty() || it == nodes_.end()) return std::nullopt;
  return Owner{node, it->second.address};
}

absl::Status Ownership::NotHere(absl::string_view tenant_id) const {
  std::optional<Owner> owner = OwnerOf(tenant_id);
  if (!owner.has_value() || owner->node_id == options_.node_id) {
    return absl::UnavailableError(absl::StrCat(
        "tenant_id: \"", tenant_id, "\" is not served by this node (", options_.node_id,
        ") and no other node serves it right now (it is moving, or unknown): retry shortly"));
  }
  absl::Status status = absl::UnavailableError(
      absl::StrCat("tenant_id: \"", tenant_id, "\" is served by node ", owner->node_id, " at ",
                   owner->address, ", not by this node (", options_.node_id, "): call it there"));
  status.SetPayload(kOwnerAddressPayload, absl::Cord(owner->address));
  return status;
}

std::vector<std::string> Ownership::Held() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> tenants;
  for (const auto& [tenant, epoch] : held_) tenants.push_back(tenant);
  return tenants;
}

int64_t Ownership::refused_appends() const {
  absl::MutexLock lock(&mu_);
  return refused_;
}

std::optional<uint64_t> Ownership::HeldEpoch(absl::string_view tenant) const {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(tenant);
  if (it == held_.end()) return std::nullopt;
  return it->second;
}

void Ownership::Refused(absl::string_view tenant, const absl::Status& why) {
  {
    absl::MutexLock lock(&mu_);
    ++refused_;
  }
  std::cerr << "omniroute-server: node " << options_.node_id << ": append refused for tenant "
            << tenant << ": " << why.message() << "\n";
}

}  // namespace omniroute::service
