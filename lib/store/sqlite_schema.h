// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The file format of the SQLite event store, and the check that a file is
// one before the store touches it.
//
// A store is a SQLite database in WAL mode whose header carries
// application_id kSqliteApplicationId and user_version (the schema version)
// kSqliteSchemaVersion, with the tables:
//
//   events(tenant TEXT, sequence INTEGER, payload BLOB, crc INTEGER,
//          PRIMARY KEY(tenant, sequence)) WITHOUT ROWID
//     payload: an omniroute.v1.Event, serialized; crc: its CRC-32C.
//     Clustered by (tenant, sequence), so a tenant's replay is one range scan
//     and its last sequence one index seek.
//   snapshots(tenant TEXT PRIMARY KEY, sequence INTEGER, state BLOB,
//             crc INTEGER, parts INTEGER)
//     The tenant's latest snapshot, taken after event `sequence`; crc: the
//     CRC-32C of the snapshot's bytes. parts (version 5): 0 when `state`
//     holds the bytes; otherwise `state` is empty and the bytes are the
//     `parts` rows of snapshot_parts of this tenant and sequence, in part
//     order. An ordinary rowid table, because states are large rows, which
//     WITHOUT ROWID tables store poorly.
//   snapshot_parts(tenant TEXT, sequence INTEGER, part INTEGER, bytes BLOB,
//                  PRIMARY KEY(tenant, sequence, part))
//     A large snapshot in pieces (version 5), each written in a commit of
//     its own, so that no commit of appends carries (and syncs) the whole
//     state at once; the snapshots row that names them is written last.
//     Rows of a sequence older than the tenant's snapshot are left by a
//     replaced snapshot and deleted a piece per commit after it; rows of a
//     newer sequence, by a save that did not finish. A rowid table, for the
//     same reason as snapshots.
//   messages(tenant TEXT, message_id INTEGER, conversation_id INTEGER,
//            recorded_at INTEGER, sequence INTEGER, channel INTEGER,
//            external_id TEXT, thread_key TEXT,
//            PRIMARY KEY(tenant, message_id)) WITHOUT ROWID
//     The message history (version 2): a row per MessageRecorded event,
//     made by the projection of message_history.h and written in the
//     transaction that appends the event. conversation_id: the conversation
//     that holds the message now (moves update it); recorded_at: the event's
//     time in nanoseconds since the Unix epoch; sequence: the event's, so
//     the body is read from `events` (joined on tenant and sequence, and
//     checked against its CRC like any read) and never stored twice;
//     channel: the omniroute.v1.Channel number; external_id, thread_key: ''
//     when the message has none. Indexes:
//       messages_by_conversation (tenant, conversation_id, recorded_at,
//         message_id, sequence): a conversation's timeline, paged from a
//         cursor; `sequence` since version 6, so that a page joins each
//         message's event from the index alone, without a seek into
//         `messages` per message (a random page in a large store);
//       messages_by_external_id (tenant, channel, external_id)
//         WHERE external_id <> '': a redelivery's lookup;
//       messages_by_thread_key (tenant, channel, thread_key, message_id)
//         WHERE thread_key <> '': the latest message of a DM thread or call.
//     The partial indexes leave out the many messages without the key; a
//     query must repeat the WHERE clause for SQLite to use them.
//   archive(tenant TEXT, kind INTEGER, item_id INTEGER, customer_id INTEGER,
//           sequence INTEGER, PRIMARY KEY(tenant, kind, item_id)) WITHOUT ROWID
//     What left the working set (version 3): a row per conversation, task
//     and commitment of each ConversationArchived event (kind 1, 2, 3; see
//     EventStore::ArchivedKind), made by the same projection. sequence: the
//     event's, which holds the records (read from `events`, never stored
//     twice); customer_id: the archived conversation's customer, 0 for the
//     conversations merged into it and for tasks and commitments. Index:
//       archive_by_customer (tenant, customer_id, item_id)
//         WHERE kind = 1 AND customer_id <> 0: a customer's archived
//         conversations, by id.
//   unredacted_erasures(tenant TEXT, sequence INTEGER, customer_id INTEGER,
//                       PRIMARY KEY(tenant, sequence)) WITHOUT ROWID
//     The erasures whose redaction is not done (version 4): a row per
//     CustomerErased event, written by the same projection in the
//     transaction that appends it, and deleted by RedactCustomer once the
//     rewrite is committed and the write-ahead log truncated
//     (EventStore::ListUnredactedErasures). customer_id: the event's.
//     Empty but for an erasure interrupted before its redaction finished.
//
// A schema change bumps kSqliteSchemaVersion; a build refuses versions it
// does not know instead of guessing, and upgrades the older ones it knows
// when it opens them writable: version 1 (events and snapshots only) gets
// the messages table, filled from the stored events, versions 1 and 2
// the (empty: they predate archival) archive table, and versions 1 to 3 the
// unredacted_erasures table (filled by the backfill of a version-1 store,
// empty for versions 2 and 3: an erasure of theirs left unfinished is
// finished by erasing the customer again), and versions 1 to 4 the parts
// column of snapshots (0: every older snapshot is whole) and the empty
// snapshot_parts table, and versions 2 to 5 messages_by_conversation built
// again with `sequence`, in one transaction with the new version number. Read-only, a version-1
// store is read as it is (events and snapshots; no history), a store of
// versions 1 to 4 has whole snapshots only, and one of versions 2 to 5 reads
// timelines through its older index, at one more seek per message.
//
// Thread-compatible: called once, at open, before the store is shared.

#ifndef OMNIROUTE_LIB_STORE_SQLITE_SCHEMA_H_
#define OMNIROUTE_LIB_STORE_SQLITE_SCHEMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/sqlite_connection.h"

namespace omniroute::store {

// "OmRt": marks the file as an omniroute store for anyone who opens it (the
// sqlite3 shell shows it, file(1) can match it).
inline constexpr int32_t kSqliteApplicationId = 0x4F6D5274;

// The schema version this build reads and writes.
inline constexpr int32_t kSqliteSchemaVersion = 6;

// Makes sure that the database of `connection` (the file at `path`) is an
// omniroute store in WAL mode, creating the schema in an empty database when
// `create` is set and upgrading a store of an older schema version. Never
// changes a file it did not create or does not recognise. On a read-only
// connection it only checks: a store is accepted in whatever journal mode
// and known version it is in. Returns the schema version the file has now:
// kSqliteSchemaVersion, or an older one on a read-only connection.
//
// Returns FAILED_PRECONDITION when the file is not an omniroute store or has
// an unknown schema version, NOT_FOUND for an empty database when `create` is
// not set, DATA_LOSS when the file is damaged (an upgrade meets a damaged
// event: the file is left as it was), and the errors of SqliteError
// otherwise.
absl::StatusOr<int32_t> PrepareSqliteSchema(SqliteConnection& connection, absl::string_view path,
                                            bool create);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_SQLITE_SCHEMA_H_
