// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// One owner per tenant among several omniroute nodes that share a store:
// the lease table every node reads and writes, and the fence that makes a
// store refuse the appends of a node that is no longer a tenant's owner.
//
// How ownership works. Each tenant has a lease row: its owner (a node id,
// or none) and an epoch, a number that grows by one each time the tenant
// changes hands (the fencing token). Each node has a node row: its id, the
// address it serves on, and until when it is alive (a heartbeat moves that
// forward). A lease is valid exactly as long as its owner's node row is
// alive: a node renews all of its leases at once by its heartbeat, and a
// dead node's leases all lapse together. Another node may take a tenant
// whose lease has no owner, or whose owner's node row has expired (by the
// taker's clock); taking it sets the owner and adds one to the epoch, in one
// statement.
//
// Fencing. Clocks decide only when a lease may be taken, never whether a
// write is safe. A store opened with an AppendFence checks, inside the
// transaction of every append, that the tenant's lease row still names this
// node with the epoch the node took it at (reading the row FOR SHARE); a
// taker's UPDATE of that row waits for such a transaction to end, and every
// later append sees the new epoch. So an owner that was paused, partitioned
// or slow past its lease can never write again once another node took the
// tenant: its append is refused with FAILED_PRECONDITION carrying the
// kNotOwnerPayload payload (IsNotOwnerError), nothing of it is stored, and
// the new owner, which reads the log only after its takeover committed,
// misses nothing that was acknowledged.
//
// Thread-safety: TenantLeases is thread-safe. An AppendFence is called by
// the store from any of its threads.

#ifndef OMNIROUTE_TENANT_LEASE_H_
#define OMNIROUTE_TENANT_LEASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "omniroute/clock.h"

namespace omniroute {

// The payload type URL that marks a store's refusal of an append because
// the writer is not (or no longer) the tenant's owner.
inline constexpr absl::string_view kNotOwnerPayload = "type.omniroute.dev/omniroute.NotOwner";

// Whether `status` is such a refusal.
inline bool IsNotOwnerError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kNotOwnerPayload).has_value();
}

// Which epoch of which tenants a node holds, as the node believes it: what
// a fenced store checks each append against.
class AppendFence {
 public:
  virtual ~AppendFence() = default;

  // The node's id (the lease rows' owner).
  virtual const std::string& node_id() const = 0;
  // The epoch at which this node took `tenant`, or nullopt if it holds no
  // lease on it (then the append is refused without reaching the database).
  virtual std::optional<uint64_t> HeldEpoch(absl::string_view tenant) const = 0;
  // Told, on one of the store's appending threads, each time an append was
  // refused because the node holds no lease on the tenant or its lease row
  // moved on (`why` says which). Must be quick and must not call the store.
  virtual void Refused(absl::string_view tenant, const absl::Status& why) = 0;
};

// A tenant's lease row.
struct TenantLease {
  std::string tenant;
  // Empty when nobody owns it (released, or never taken).
  std::string owner;
  // 0 for a tenant never taken; one more each time it is taken.
  uint64_t epoch = 0;
};

// A node row.
struct ClusterNode {
  std::string id;
  // Where clients reach it (host:port), as it advertises itself.
  std::string address;
  // Alive until then; its leases lapse after.
  absl::Time expires_at;
  // Set while it hands its tenants off before exiting: it takes none.
  bool draining = false;
};

// The lease and node tables. Every call is one statement (or one short
// transaction) on the database; nothing is cached.
class TenantLeases {
 public:
  virtual ~TenantLeases() = default;

  // Writes this node's row: alive until `node.expires_at` (upsert).
  virtual absl::Status Heartbeat(const ClusterNode& node) = 0;
  // Removes the node's row (an orderly exit, once its tenants are handed off).
  virtual absl::Status RemoveNode(absl::string_view node_id) = 0;
  // Every node row, live or not, sorted by id.
  virtual absl::StatusOr<std::vector<ClusterNode>> Nodes() const = 0;
  // Every lease row, sorted by tenant: the cluster's tenants.
  virtual absl::StatusOr<std::vector<TenantLease>> Leases() const = 0;

  // Adds a lease row without owner for each of `tenants` that has none
  // (tenants created before the store was shared). Idempotent.
  virtual absl::Status AddTenants(const std::vector<std::string>& tenants) = 0;

  // Creates the lease row of a new tenant, owned by `node` at epoch 1.
  // ALREADY_EXISTS if the tenant has a lease row.
  virtual absl::StatusOr<TenantLease> CreateLease(absl::string_view tenant,
                                                  absl::string_view node) = 0;
  // Deletes the lease row of a tenant that `node` created at `epoch` and
  // that has no events (a creation that failed). OK if it is gone already.
  virtual absl::Status DeleteLease(absl::string_view tenant, absl::string_view node,
                                   uint64_t epoch) = 0;

  // Takes the tenant for `node` if its lease has no owner, is `node`'s own
  // (held by a former life of the node), or its owner's node row expired
  // before `now`: the row then names `node` with the epoch plus one, which
  // is returned. nullopt if another live node holds it. A tenant without a
  // lease row gets one.
  virtual absl::StatusOr<std::optional<TenantLease>> Acquire(absl::string_view tenant,
                                                             absl::string_view node,
                                                             absl::Time now) = 0;
  // Gives the tenant up: the row keeps its epoch and names no owner, if it
  // still names `node` at `epoch`. OK either way.
  virtual absl::Status Release(absl::string_view tenant, absl::string_view node,
                               uint64_t epoch) = 0;
};

// Options of OpenPostgresTenantLeases. Plain data; each field says its
// default.
struct PostgresLeaseOptions {
  // The database, as PostgresStoreOptions::conninfo. Required.
  std::string conninfo;
  // The schema of the event store the nodes share (the tables nodes and
  // leases are created there if missing). Default: "omniroute".
  std::string schema = "omniroute";
  // When positive, a statement waits at most this long for a row lock
  // (PostgreSQL's lock_timeout) and then fails, so that taking a tenant
  // whose lease row a stalled owner holds fails and is tried again, rather
  // than hold up everything else. Must not be negative. Default: zero
  // (PostgreSQL's own setting).
  absl::Duration lock_timeout = absl::ZeroDuration();
};

// Connects and makes sure the tables exist (creating the schema too if it
// has none). The caller owns the result. INVALID_ARGUMENT for a bad option,
// UNAVAILABLE when the database cannot be reached, PERMISSION_DENIED when
// the tables cannot be created.
absl::StatusOr<std::unique_ptr<TenantLeases>> OpenPostgresTenantLeases(
    const PostgresLeaseOptions& options);

}  // namespace omniroute

#endif  // OMNIROUTE_TENANT_LEASE_H_
