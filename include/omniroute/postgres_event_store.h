// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The shared store: every tenant's events in one PostgreSQL database, so
// that several omniroute nodes can serve tenants from the same data.
//
//   omniroute::PostgresStoreOptions options;
//   options.conninfo = "postgresql://omniroute@db.internal/omniroute";
//   absl::StatusOr<std::unique_ptr<omniroute::EventStore>> store =
//       omniroute::OpenPostgresEventStore(options);
//
// Durability. Append returns OK only once PostgreSQL has committed the
// transaction that holds its events, as durable as the server's
// synchronous_commit makes a commit (on by default: flushed to the
// server's write-ahead log; with synchronous replication, also on the
// standbys it names). The store never changes synchronous_commit. A write
// that fails is not in the log; but when the connection broke during the
// COMMIT itself (UNAVAILABLE), the commit may still have happened. Retrying
// is safe either way: a batch that did land makes its retry fail with
// FAILED_PRECONDITION instead of storing it twice.
//
// Group commit. Appends from all threads are queued; the thread whose append
// is first in the queue commits every queued append (up to
// max_batch_bytes) in one transaction on the store's writer connection,
// each under its own SAVEPOINT, so that a batch that does not continue its
// tenant's log is refused alone, without failing the others of its group.
// The check that a batch continues the log runs inside that transaction,
// and (tenant, sequence) is the events table's primary key: two writers
// (threads, or stores on different nodes) can never both store the same
// sequence, and the one that loses gets FAILED_PRECONDITION. Snapshots and
// redactions do not go through the queue: they run on a pooled connection
// in transactions of their own, so that a large snapshot never holds up the
// appends of other tenants.
//
// Every stored event and snapshot carries a CRC-32C of its bytes; reads
// verify it, so damage is reported as DATA_LOSS instead of being replayed.
//
// Erasure, and what PostgreSQL keeps. RedactCustomer rewrites the erased
// customer's events, message keys and older snapshots in one transaction
// (see EventStore). An UPDATE leaves the old row version in the table's
// pages, and a plain VACUUM only marks its space free: the old bytes stay
// in the page until something overwrites them. So after the rewrite commits
// the store runs VACUUM FULL on each table it changed (events, messages,
// snapshots, with their indexes and TOAST), which writes a new copy of the
// table without the old versions and truncates the old files. It takes an
// ACCESS EXCLUSIVE lock on each table while it copies it: every tenant's
// appends and reads wait that long (seconds per gigabyte). Erasures are
// rare; plan for that pause. A transaction older than the rewrite (any
// session of the database that has held one open since before it, a
// prepared transaction, a replication slot's xmin) keeps old versions
// visible, and VACUUM FULL then keeps them too: RedactCustomer reports that
// as UNAVAILABLE and leaves the erasure listed (ListUnredactedErasures), so
// that a retry once that transaction has ended finishes it.
// What the store cannot erase: PostgreSQL's write-ahead log (pg_wal) holds
// the rows as they were inserted and full-page images of the pages the
// rewrite changed. Checkpoints recycle WAL segments once they are no longer
// needed (max_wal_size, wal_keep_size, replication slots decide when), and
// a recycled segment is overwritten as new WAL is written, so the old bytes
// leave pg_wal in the course of normal traffic, not at a moment the store
// can name. WAL archives (archive_command), base backups, pg_dump copies and
// logical replicas made before the erasure keep the data until they are
// removed; those are the operator's to manage. Physical standbys replay the
// rewrite and the VACUUM FULL, so their tables are cleaned as the
// primary's are (their own pg_wal holds what the primary's does).
//
// Thread-safety: the returned store is thread-safe; see EventStore. Writes
// of appends go through one writer connection, used by one commit at a time.
// Every other call borrows a connection from a pool of at most `pool_size`
// (waiting when all are busy) and gives it back before calling any visitor,
// so a visitor may call the store. Reads see exactly the writes whose call
// has returned OK (and possibly some still in progress). The store must not
// be destroyed while a call is in progress.

#ifndef OMNIROUTE_POSTGRES_EVENT_STORE_H_
#define OMNIROUTE_POSTGRES_EVENT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/event_store.h"
#include "omniroute/tenant_lease.h"

namespace omniroute {

// Options of OpenPostgresEventStore. Plain data; each field says its default.
struct PostgresStoreOptions {
  // Where the database is: a libpq connection string
  // ("host=/run/postgresql dbname=omniroute user=omniroute") or a URI
  // ("postgresql://omniroute:secret@db.internal:5432/omniroute"). Anything
  // libpq accepts (sslmode, connect_timeout, ...) and its environment
  // variables (PGHOST, PGPASSWORD, ...) apply. Unless the string says
  // otherwise, a connection attempt gives up after 10 seconds and sets
  // application_name to "omniroute". Required. Errors name the host or
  // socket directory, port, database and user, never the password.
  std::string conninfo;

  // The PostgreSQL schema (namespace) that holds the store's tables, so that
  // the store can share a database with other applications. Created if
  // missing. Lower-case letters, digits and underscores, starting with a
  // letter or an underscore, at most 63 characters. Default: "omniroute".
  std::string schema = "omniroute";

  // Whether OpenPostgresEventStore creates the schema and its tables when the
  // schema has no store. Default: true. When false, a missing store is
  // NOT_FOUND.
  bool create_if_missing = true;

  // The most connections the store opens besides its writer connection: for
  // reads, snapshots and redactions. Calls beyond it wait for a connection.
  // Must be positive. Default: 4.
  int pool_size = 4;

  // The most bytes (serialized events) that one group commit takes from the
  // queue; the rest waits for the next commit. A single append bigger than
  // this is committed alone, never split or refused. Must be positive.
  // Default: 4 MiB.
  int64_t max_batch_bytes = int64_t{4} << 20;

  // When set, the store is shared by several nodes and each tenant has one
  // owner (omniroute/tenant_lease.h): every append checks, in its own
  // transaction, that the tenant's lease row still names
  // fence->node_id() at fence->HeldEpoch(tenant), and is refused with
  // FAILED_PRECONDITION carrying kNotOwnerPayload (nothing stored) when it
  // does not or when the node holds no lease on the tenant. Open then also
  // creates the lease tables if missing. Not owned; must outlive the store.
  // Default: null (one writer, no check).
  AppendFence* fence = nullptr;

  // When positive, PostgreSQL ends any session of the store that stays idle
  // inside a transaction this long (idle_in_transaction_session_timeout),
  // rolling it back and releasing its locks. A cluster node sets it below
  // its lease: a node paused (SIGSTOP, a stalled VM) in the middle of an
  // append holds the tenant's lease row FOR SHARE, and would otherwise
  // keep every other node from taking the tenant until it woke. Must not
  // be negative. Default: zero (PostgreSQL's own setting).
  absl::Duration idle_in_transaction_timeout = absl::ZeroDuration();
};

// Connects to the database of `options.conninfo` and opens the store in
// `options.schema`, creating the schema and its tables if they are missing
// and `options.create_if_missing`. The caller owns the store; destroying it
// closes its connections.
//
// The schema's version is kept in its table schema_version; a store written
// by a newer omniroute is refused, never changed.
//
// Returns:
//   INVALID_ARGUMENT    an option is out of range, or `conninfo` is not a
//                       connection string or URI (the message names it);
//   UNAVAILABLE         the server cannot be reached or refuses the
//                       connection (an unknown database, authentication),
//                       with libpq's message and where it tried;
//   NOT_FOUND           no store in the schema and not `create_if_missing`;
//   FAILED_PRECONDITION the schema holds something that is not an omniroute
//                       store, or a store of a schema version this build does
//                       not know (a newer omniroute wrote it);
//   PERMISSION_DENIED   the user may not create or read the tables.
absl::StatusOr<std::unique_ptr<EventStore>> OpenPostgresEventStore(
    const PostgresStoreOptions& options);

}  // namespace omniroute

#endif  // OMNIROUTE_POSTGRES_EVENT_STORE_H_
