// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The lease and node tables on PostgreSQL (omniroute/tenant_lease.h,
// store/postgres_leases.h), and the check a fenced append runs in its
// transaction.

#include "store/postgres_leases.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "omniroute/tenant_lease.h"
#include "store/postgres_connection.h"
#include "store/postgres_schema.h"

namespace omniroute {
namespace store {
namespace {

// Not the event store's key: the two creations may run at the same time.
constexpr int32_t kClusterLockKey = 0x4F6D4C73;
constexpr char kLock[] = "SELECT pg_advisory_xact_lock($1, hashtext($2))";
constexpr char kCreateClusterTables[] = R"sql(
CREATE TABLE IF NOT EXISTS nodes (
  id text COLLATE "C" PRIMARY KEY,
  address text NOT NULL,
  expires_at bigint NOT NULL,
  draining boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS leases (
  tenant text COLLATE "C" PRIMARY KEY,
  owner text COLLATE "C" NOT NULL DEFAULT '',
  epoch bigint NOT NULL DEFAULT 0
);
)sql";

constexpr char kCountClusterTables[] =
    "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1 "
    "AND tablename IN ('nodes', 'leases')";
constexpr char kReadLease[] = "SELECT owner, epoch FROM leases WHERE tenant = $1 FOR SHARE";
constexpr char kHeartbeat[] =
    "INSERT INTO nodes (id, address, expires_at, draining) VALUES ($1, $2, $3, $4 <> 0) "
    "ON CONFLICT (id) DO UPDATE SET address = excluded.address, "
    "expires_at = excluded.expires_at, draining = excluded.draining";
constexpr char kRemoveNode[] = "DELETE FROM nodes WHERE id = $1";
constexpr char kNodes[] =
    "SELECT id, address, expires_at, draining::integer FROM nodes ORDER BY id";
constexpr char kLeases[] = "SELECT tenant, owner, epoch FROM leases ORDER BY tenant";
constexpr char kAddTenant[] =
    "INSERT INTO leases (tenant, owner, epoch) VALUES ($1, '', 0) ON CONFLICT DO NOTHING";
constexpr char kCreateLease[] =
    "INSERT INTO leases (tenant, owner, epoch) VALUES ($1, $2, 1) ON CONFLICT DO NOTHING "
    "RETURNING epoch";
// Only while the tenant has no events: a tenant that exists is never
// forgotten by the lease table.
constexpr char kDeleteLease[] =
    "DELETE FROM leases WHERE tenant = $1 AND owner = $2 AND epoch = $3 "
    "AND NOT EXISTS (SELECT 1 FROM events WHERE tenant = $1)";
// One statement: the row is locked (waiting for appends that hold it FOR
// SHARE to commit) and its owner's liveness judged on the row's latest
// version.
constexpr char kAcquire[] =
    "INSERT INTO leases AS l (tenant, owner, epoch) VALUES ($1, $2, 1) "
    "ON CONFLICT (tenant) DO UPDATE SET owner = excluded.owner, epoch = l.epoch + 1 "
    "WHERE l.owner = '' OR l.owner = $2 OR NOT EXISTS ("
    "  SELECT 1 FROM nodes n WHERE n.id = l.owner AND n.expires_at > $3) "
    "RETURNING epoch";
constexpr char kRelease[] =
    "UPDATE leases SET owner = '' WHERE tenant = $1 AND owner = $2 AND epoch = $3";

int64_t Micros(absl::Time time) { return absl::ToUnixMicros(time); }

class PostgresTenantLeases final : public TenantLeases {
 public:
  explicit PostgresTenantLeases(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

  absl::Status Heartbeat(const ClusterNode& node) override {
    PgParams params;
    params.Text(node.id).Text(node.address).Int64(Micros(node.expires_at)).Int32(node.draining);
    return Run(kHeartbeat, params, absl::StrCat("heartbeat of node ", node.id)).status();
  }

  absl::Status RemoveNode(absl::string_view node_id) override {
    PgParams params;
    params.Text(node_id);
    return Run(kRemoveNode, params, absl::StrCat("removing node ", node_id)).status();
  }

  absl::StatusOr<std::vector<ClusterNode>> Nodes() const override {
    absl::StatusOr<PgResult> rows = Run(kNodes, PgParams(), "reading the nodes");
    if (!rows.ok()) return rows.status();
    std::vector<ClusterNode> nodes;
    for (int i = 0; i < rows->rows(); ++i) {
      nodes.push_back(ClusterNode{.id = std::string(rows->Bytes(i, 0)),
                                  .address = std::string(rows->Bytes(i, 1)),
                                  .expires_at = absl::FromUnixMicros(rows->Int64(i, 2)),
                                  .draining = rows->Int64(i, 3) != 0});
    }
    return nodes;
  }

  absl::StatusOr<std::vector<TenantLease>> Leases() const override {
    absl::StatusOr<PgResult> rows = Run(kLeases, PgParams(), "reading the leases");
    if (!rows.ok()) return rows.status();
    std::vector<TenantLease> leases;
    for (int i = 0; i < rows->rows(); ++i) {
      leases.push_back(TenantLease{.tenant = std::string(rows->Bytes(i, 0)),
                                   .owner = std::string(rows->Bytes(i, 1)),
                                   .epoch = static_cast<uint64_t>(rows->Int64(i, 2))});
    }
    return leases;
  }

  absl::Status AddTenants(const std::vector<std::string>& tenants) override {
    for (const std::string& tenant : tenants) {
      PgParams params;
      params.Text(tenant);
      if (absl::Status s = Run(kAddTenant, params, "adding the lease rows of stored tenants")
                               .status();
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<TenantLease> CreateLease(absl::string_view tenant,
                                          absl::string_view node) override {
    PgParams params;
    params.Text(tenant).Text(node);
    absl::StatusOr<PgResult> row =
        Run(kCreateLease, params, absl::StrCat("creating the lease of tenant ", tenant));
    if (!row.ok()) return row.status();
    if (row->rows() == 0) {
      return absl::AlreadyExistsError(absl::StrCat("tenant_id: \"", tenant, "\" already exists"));
    }
    return TenantLease{std::string(tenant), std::string(node),
                       static_cast<uint64_t>(row->Int64(0, 0))};
  }

  absl::Status DeleteLease(absl::string_view tenant, absl::string_view node,
                           uint64_t epoch) override {
    PgParams params;
    params.Text(tenant).Text(node).Int64(static_cast<int64_t>(epoch));
    return Run(kDeleteLease, params, absl::StrCat("deleting the lease of tenant ", tenant))
        .status();
  }

  absl::StatusOr<std::optional<TenantLease>> Acquire(absl::string_view tenant,
                                                     absl::string_view node,
                                                     absl::Time now) override {
    PgParams params;
    params.Text(tenant).Text(node).Int64(Micros(now));
    absl::StatusOr<PgResult> row =
        Run(kAcquire, params, absl::StrCat("taking the lease of tenant ", tenant));
    if (!row.ok()) return row.status();
    if (row->rows() == 0) return std::nullopt;
    return TenantLease{std::string(tenant), std::string(node),
                       static_cast<uint64_t>(row->Int64(0, 0))};
  }

  absl::Status Release(absl::string_view tenant, absl::string_view node,
                       uint64_t epoch) override {
    PgParams params;
    params.Text(tenant).Text(node).Int64(static_cast<int64_t>(epoch));
    return Run(kRelease, params, absl::StrCat("releasing the lease of tenant ", tenant)).status();
  }

 private:
  // One statement at a time on the one connection, each its own
  // transaction. A connection that broke (the database restarted or failed
  // over) is reconnected first, on every call until that succeeds: the
  // node's heartbeats resume as soon as the database is back.
  absl::StatusOr<PgResult> Run(const char* sql, const PgParams& params,
                               absl::string_view context) const {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = db_->EnsureConnected(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
    }
    return db_->Run(sql, params, context);
  }

  mutable absl::Mutex mu_;
  const std::unique_ptr<PgConnection> db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace

absl::Status PreparePostgresClusterTables(PgConnection& connection, absl::string_view schema) {
  const std::string context = absl::StrCat("creating the cluster tables in schema ", schema);
  // Tables already there need no DDL, so a node may run as a role without
  // the CREATE privilege (PostgreSQL checks it even for IF NOT EXISTS).
  PgParams names;
  names.Text(schema);
  absl::StatusOr<PgResult> existing = connection.Run(kCountClusterTables, names, context);
  if (!existing.ok()) return existing.status();
  if (existing->Int64(0, 0) == 2) return absl::OkStatus();
  if (absl::Status s = connection.Execute("BEGIN", context); !s.ok()) return s;
  PgParams lock;
  lock.Int32(kClusterLockKey).Text(schema);
  absl::Status status = connection.Run(kLock, lock, context).status();
  if (status.ok()) {
    status = connection.Execute(
        absl::StrCat("CREATE SCHEMA IF NOT EXISTS \"", schema, "\"; ", kCreateClusterTables),
        context);
  }
  if (status.ok()) status = connection.Execute("COMMIT", context);
  if (!status.ok() && connection.InTransaction()) (void)connection.Execute("ROLLBACK", context);
  return status;
}

absl::Status JudgePostgresLease(absl::string_view tenant, absl::string_view owner, uint64_t epoch,
                                const std::optional<PostgresLeaseRow>& row) {
  if (row.has_value() && row->owner == owner && row->epoch == epoch) return absl::OkStatus();
  const std::string now_held =
      !row.has_value() ? std::string("the tenant has no lease row")
      : row->owner.empty()
          ? absl::StrCat("nobody holds it now (epoch ", row->epoch, ")")
          : absl::StrCat("node ", row->owner, " holds it now at epoch ", row->epoch);
  absl::Status refused = absl::FailedPreconditionError(
      absl::StrCat("tenant_id: \"", tenant, "\": node ", owner, " lost its lease (epoch ", epoch,
                   "): ", now_held, "; nothing was stored"));
  refused.SetPayload(kNotOwnerPayload, absl::Cord(owner));
  return refused;
}

absl::Status CheckPostgresLease(PgConnection& connection, absl::string_view tenant,
                                absl::string_view owner, uint64_t epoch) {
  PgParams params;
  params.Text(tenant);
  absl::StatusOr<PgResult> row =
      connection.Run(kReadLease, params, absl::StrCat("checking the lease of tenant ", tenant));
  if (!row.ok()) return row.status();
  std::optional<PostgresLeaseRow> lease;
  if (row->rows() == 1) {
    lease =
        PostgresLeaseRow{std::string(row->Bytes(0, 0)), static_cast<uint64_t>(row->Int64(0, 1))};
  }
  return JudgePostgresLease(tenant, owner, epoch, lease);
}

}  // namespace store

absl::StatusOr<std::unique_ptr<TenantLeases>> OpenPostgresTenantLeases(
    const PostgresLeaseOptions& options) {
  if (options.conninfo.empty()) {
    return absl::InvalidArgumentError(
        "conninfo: must name the database (a connection string or a postgresql:// URI)");
  }
  if (absl::Status s = store::CheckPostgresSchemaName(options.schema); !s.ok()) return s;
  absl::StatusOr<std::string> target = store::DescribePostgresTarget(options.conninfo);
  if (!target.ok()) return target.status();
  if (options.lock_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lock_timeout: must not be negative");
  }
  std::string setup = store::PostgresSessionSetup(options.schema);
  if (options.lock_timeout > absl::ZeroDuration()) {
    absl::StrAppend(&setup, "; SET lock_timeout = ",
                    std::max<int64_t>(1, absl::ToInt64Milliseconds(options.lock_timeout)));
  }
  absl::StatusOr<std::unique_ptr<store::PgConnection>> db =
      store::PgConnection::Connect(options.conninfo, *target, setup);
  if (!db.ok()) return db.status();
  if (absl::Status s = store::PreparePostgresClusterTables(**db, options.schema); !s.ok()) {
    return s;
  }
  return std::unique_ptr<TenantLeases>(new store::PostgresTenantLeases(*std::move(db)));
}

}  // namespace omniroute
