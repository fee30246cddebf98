// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The tables of the PostgreSQL event store, and the check that a schema
// holds one before the store touches it.
//
// A store lives in one PostgreSQL schema (PostgresStoreOptions::schema; the
// store's sessions set search_path to it alone), with the tables:
//
//   schema_version(application text, version integer)
//     One row: 'omniroute' and kPostgresSchemaVersion. Written in the
//     transaction that creates the tables, so a schema has either no store
//     or a whole one.
//   events(tenant text COLLATE "C", sequence bigint, payload bytea,
//          crc bigint, PRIMARY KEY (tenant, sequence))
//     payload: an omniroute.v1.Event, serialized; crc: its CRC-32C. The
//     primary key is what keeps two writers from storing one sequence twice,
//     and its index serves a replay (a range) and the last sequence (one
//     backward step). COLLATE "C": tenants sort byte by byte (ListTenants),
//     whatever the database's locale, as in the SQLite store.
//   snapshots(tenant text COLLATE "C" PRIMARY KEY, sequence bigint,
//             state bytea, crc bigint)
//     The tenant's latest snapshot, whole (PostgreSQL moves a large state
//     to its TOAST table by itself).
//   messages(tenant, message_id bigint, conversation_id bigint,
//            recorded_at bigint, sequence bigint, channel integer,
//            external_id bytea, thread_key bytea,
//            PRIMARY KEY (tenant, message_id))
//     The message history, as the SQLite store's messages table (see
//     sqlite_schema.h), written by the projection of message_history.h in
//     the transaction of the events. external_id and thread_key are bytea:
//     a key may hold any bytes a protobuf string holds (NUL included), which
//     text refuses; '' when the message has none. Indexes:
//     messages_by_conversation (tenant, conversation_id, recorded_at,
//     message_id); messages_by_external_id (tenant, channel, external_id,
//     message_id) WHERE external_id <> ''; messages_by_thread_key (tenant,
//     channel, thread_key, message_id) WHERE thread_key <> ''.
//   archive(tenant, kind integer, item_id bigint, customer_id bigint,
//           sequence bigint, PRIMARY KEY (tenant, kind, item_id))
//     As the SQLite store's archive; index archive_by_customer (tenant,
//     customer_id, item_id) WHERE kind = 1 AND customer_id <> 0.
//   unredacted_erasures(tenant, sequence bigint, customer_id bigint,
//                       PRIMARY KEY (tenant, sequence))
//     As the SQLite store's: the CustomerErased events whose redaction is
//     not finished.
// Ids and sequences are unsigned 64-bit numbers kept as the bigint of the
// same bits, as the SQLite store keeps them.
//
// A schema change bumps kPostgresSchemaVersion; a build refuses versions it
// does not know instead of guessing.
//
// Thread-compatible: called once, at open, before the store is shared.

#ifndef OMNIROUTE_LIB_STORE_POSTGRES_SCHEMA_H_
#define OMNIROUTE_LIB_STORE_POSTGRES_SCHEMA_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/postgres_connection.h"

namespace omniroute::store {

// The schema version this build reads and writes.
inline constexpr int32_t kPostgresSchemaVersion = 1;

// OK if `schema` is a name the store accepts (PostgresStoreOptions::schema);
// INVALID_ARGUMENT saying why otherwise.
absl::Status CheckPostgresSchemaName(absl::string_view schema);

// The SQL that points a new session at `schema` (a checked name).
std::string PostgresSessionSetup(absl::string_view schema);

// Makes sure that `schema`, on `connection`'s database, holds an omniroute
// store of kPostgresSchemaVersion, creating the schema and its tables when
// it has none and `create` is set. Concurrent opens (other processes) are
// serialized by a transaction-scoped advisory lock, so exactly one creates
// the tables. Never changes a schema that holds anything else.
//
// Returns NOT_FOUND when there is no store and `create` is not set,
// FAILED_PRECONDITION when the schema holds tables that are not a store or a
// store of an unknown version, and the connection's errors otherwise.
absl::Status PreparePostgresSchema(PgConnection& connection, absl::string_view schema,
                                   bool create);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_POSTGRES_SCHEMA_H_
