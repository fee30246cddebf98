// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The cluster's tables in the event store's schema (omniroute/tenant_lease.h
// says what they mean):
//
//   nodes(id text PRIMARY KEY, address text, expires_at bigint,
//         draining boolean)
//     expires_at: microseconds since the Unix epoch, by the writing node's
//     clock.
//   leases(tenant text COLLATE "C" PRIMARY KEY, owner text, epoch bigint)
//     owner '' when nobody owns the tenant.
//
// They are created with IF NOT EXISTS by whoever needs them first (the
// lease table, or a fenced event store), under the schema's advisory lock;
// they are not part of the event store's versioned tables, so a store
// without them is still a valid version-1 store.
//
// Thread-compatible: each function uses the connection it is given.

#ifndef OMNIROUTE_LIB_STORE_POSTGRES_LEASES_H_
#define OMNIROUTE_LIB_STORE_POSTGRES_LEASES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/postgres_connection.h"

namespace omniroute::store {

// Creates the schema (if missing) and the tables nodes and leases (if
// missing) on `connection`'s database. The session's search_path must
// name `schema`.
absl::Status PreparePostgresClusterTables(PgConnection& connection, absl::string_view schema);

// Inside the open transaction of an append: OK if the tenant's lease row
// names `owner` at `epoch`, and then keeps the row locked (FOR SHARE) until
// the transaction ends, so that no takeover commits in between. Otherwise
// FAILED_PRECONDITION with kNotOwnerPayload, naming the tenant, the epoch
// this node held and who holds the lease now.
// The lease row of a tenant as an append's transaction read it.
struct PostgresLeaseRow {
  std::string owner;  // Empty: nobody holds it.
  uint64_t epoch = 0;
};

// CheckPostgresLease's verdict on `row` (nullopt: the tenant has no lease
// row), for a group of appends whose lease rows were read (and locked) by
// one statement.
absl::Status JudgePostgresLease(absl::string_view tenant, absl::string_view owner, uint64_t epoch,
                                const std::optional<PostgresLeaseRow>& row);

absl::Status CheckPostgresLease(PgConnection& connection, absl::string_view tenant,
                                absl::string_view owner, uint64_t epoch);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_POSTGRES_LEASES_H_
