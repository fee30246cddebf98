// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A cluster node's share of the tenants (omniroute/tenant_lease.h says how
// leases and fencing work; placement.h where a tenant belongs).
//
// Every `tick` (and when woken) the node, on a thread of its own:
//   1. if its last heartbeat is a whole lease old (it was paused, or the
//      database was out of reach), lets every tenant go, since others may
//      have taken them (it takes them again, read afresh, if they are
//      still its own); then heartbeats its node row, alive until now +
//      lease (this renews all of its leases at once);
//   2. reads the node and lease rows; a tenant it holds whose row names
//      another owner or epoch was taken from it: it lets it go;
//   3. places every tenant over the live nodes (alive, not draining);
//   4. hands off each tenant it holds that belongs elsewhere now: the engine
//      drains it (commands applied are stored and answered, new calls are
//      turned away with UNAVAILABLE and the owner's address), then the
//      lease row is released, and the new owner takes it on its next tick;
//   5. takes each tenant that belongs to it and whose lease is free, its
//      own, or its owner's node row expired: the epoch goes up by one and
//      the engine reads the tenant from the store (snapshot and tail).
// A node that stops (Stop) first marks itself draining and hands every
// tenant off, then removes its row. A node killed outright stops
// heartbeating: its leases lapse after `lease` and the others take its
// tenants; what it had not committed was never acknowledged.
//
// Calls for a tenant this node does not hold answer UNAVAILABLE, naming the
// owner (or the node the tenant is placed on, while it moves) and its
// address, also attached to the status as kOwnerAddressPayload (the service
// sends it as the trailing metadata key "omniroute-owner", so that a client
// can retry there). A forwarding layer can use the same lookup (OwnerOf).
//
// CreateTenant on a node the new tenant is not placed on is answered
// UNAVAILABLE with the address of the node it is placed on (create it
// there); on its own node the lease row (epoch 1) is written before the
// tenant's first event.
//
// Thread-safe.

#ifndef OMNIROUTE_LIB_SERVICE_OWNERSHIP_H_
#define OMNIROUTE_LIB_SERVICE_OWNERSHIP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/tenant_lease.h"

namespace omniroute::service {

// The payload of a status that names where a tenant is served (its value:
// host:port), and the gRPC trailing metadata key it is sent under.
inline constexpr absl::string_view kOwnerAddressPayload =
    "type.omniroute.dev/omniroute.OwnerAddress";
inline constexpr char kOwnerMetadataKey[] = "omniroute-owner";

struct OwnershipOptions {
  // This node's id: 1 to 128 printable characters, unique in the cluster.
  // Required.
  std::string node_id;
  // Where clients reach this node (host:port). Required (by Start at the
  // latest: a server knows its port only once it listens).
  std::string address;
  // How long a node row stays alive after a heartbeat, hence how long a dead
  // node's tenants wait before another node takes them. Must be at least
  // 100 ms. Default: 2 s.
  absl::Duration lease = absl::Seconds(2);
  // How often the node heartbeats and rebalances. Must be positive and
  // below `lease`. Default (zero): lease / 4.
  absl::Duration tick = absl::ZeroDuration();
  // Time source for heartbeats and expiry. Not owned. Default: the system
  // clock.
  Clock* clock = nullptr;
  // Run the ticks on a thread of its own. Tests on a ManualClock turn it off
  // and call Tick(). Default: true.
  bool run_thread = true;
  // Called on the round's thread after this node took a tenant and read it
  // from the store (not for one it created: see CreateTenant), while it
  // holds the lease. Must not call this object. Default: none. A server
  // applies the tenant's configuration file here.
  std::function<void(const std::string& tenant_id)> on_taken;
};

// INVALID_ARGUMENT naming the option when `options` is out of range.
absl::Status ValidateOwnershipOptions(const OwnershipOptions& options);

class Ownership final : public AppendFence {
 public:
  // `leases` is not owned and must outlive this object.
  Ownership(const OwnershipOptions& options, TenantLeases& leases);
  ~Ownership() override;
  Ownership(const Ownership&) = delete;
  Ownership& operator=(const Ownership&) = delete;

  // Adds lease rows for the stored tenants that have none, runs a first
  // tick, and starts the thread. `engine` (opened with open_tenants false)
  // must outlive Stop. The store's errors.
  // `address`, when not empty, replaces OwnershipOptions::address.
  absl::Status Start(Engine& engine, const EventStore& store, std::string address = "");

  // Hands every tenant off (when `hand_off`) and removes the node row, then
  // stops the thread. Without `hand_off` the tenants are only let go in
  // memory (the leases lapse). Idempotent.
  void Stop(bool hand_off);

  // One round (see the file comment). Returns the first error met; the
  // round goes on with the other tenants.
  absl::Status Tick();

  // How long the thread waits before its next round: the tick, or less when
  // the heartbeat of another node (as last read) lapses sooner, so that a
  // dead node's tenants are taken as soon as they may be rather than up to
  // a tick later.
  absl::Duration NextRoundIn() const;
  // Runs a round on the thread now rather than at the next tick.
  void Wake();

  // See the file comment. `caller` is recorded in the tenant's first event
  // (Engine::CreateTenant).
  absl::Status CreateTenant(absl::string_view tenant_id, const TenantOptions& options,
                            const Caller& caller = {});

  // UNAVAILABLE for a call on a tenant this node does not hold, naming who
  // serves it, with kOwnerAddressPayload when an address is known.
  absl::Status NotHere(absl::string_view tenant_id) const;

  // Where the tenant is served, as this node last read the tables: the
  // owner's (or, while it moves, the placed node's) id and address;
  // nullopt when no live node is known.
  struct Owner {
    std::string node_id;
    std::string address;
  };
  std::optional<Owner> OwnerOf(absl::string_view tenant_id) const;

  // The tenants this node holds, sorted.
  std::vector<std::string> Held() const;
  // Appends the store refused because the lease had moved on (or none was
  // held) since Start.
  int64_t refused_appends() const;

  // AppendFence.
  const std::string& node_id() const override { return options_.node_id; }
  std::optional<uint64_t> HeldEpoch(absl::string_view tenant) const override;
  void Refused(absl::string_view tenant, const absl::Status& why) override;

 private:
  void Loop();
  // Lets the tenant go in the engine and forgets its epoch.
  void Drop(const std::string& tenant);
  std::vector<std::string> LiveNodes(absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool Alive(absl::string_view node, absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::Duration NextRoundInLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const OwnershipOptions options_;
  // Set by Start, read-only after.
  std::string address_;
  Clock& clock_;
  TenantLeases& leases_;
  Engine* engine_ = nullptr;

  // One round at a time (the thread's, a test's, Stop's), and no round
  // while CreateTenant places a new tenant here.
  absl::Mutex tick_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  mutable absl::Mutex mu_;
  // The epoch of each tenant this node holds (the fence).
  std::map<std::string, uint64_t, std::less<>> held_ ABSL_GUARDED_BY(mu_);
  // The tables as last read.
  std::map<std::string, ClusterNode, std::less<>> nodes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> owners_ ABSL_GUARDED_BY(mu_);
  absl::Time last_heartbeat_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  int64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_OWNERSHIP_H_
