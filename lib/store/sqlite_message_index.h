// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite store's message index (the `messages` table, see
// sqlite_schema.h, with the archive and the erasures to redact): its
// writer, which the projection of message_history.h
// feeds inside the transaction that appends the events, and the backfill
// that builds it from the events of a store written before it existed.
//
// Thread-compatible: used by the holder of the writer connection.

#ifndef OMNIROUTE_LIB_STORE_SQLITE_MESSAGE_INDEX_H_
#define OMNIROUTE_LIB_STORE_SQLITE_MESSAGE_INDEX_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "store/message_history.h"
#include "store/sqlite_connection.h"

namespace omniroute::store {

// Writes the projection's operations for one tenant to `connection`'s
// `messages` table, with statements prepared once per connection. Must run
// inside a transaction (the one that stores the events), so that the rows
// and the events commit or roll back together.
class SqliteMessageIndexWriter final : public MessageHistorySink {
 public:
  // `tenant` must outlive the writer.
  SqliteMessageIndexWriter(SqliteConnection& connection, absl::string_view tenant)
      : connection_(connection), tenant_(tenant) {}

  absl::Status InsertMessage(const MessageRow& row) override;
  absl::Status MoveMessages(absl::Span<const uint64_t> message_ids,
                            uint64_t conversation_id) override;
  absl::Status InsertArchived(EventStore::ArchivedKind kind, uint64_t item_id,
                              uint64_t customer_id, uint64_t sequence) override;
  absl::Status InsertErasure(uint64_t customer_id, uint64_t sequence) override;

 private:
  SqliteConnection& connection_;
  const absl::string_view tenant_;
};

// Fills the empty `messages` table from every stored event, tenant by
// tenant in sequence order, verifying each payload as a read does. Runs in
// the caller's transaction. DATA_LOSS naming the tenant and sequence of a
// damaged or missing event (an index built past it would be wrong); the
// errors of SqliteError otherwise.
absl::Status BackfillMessageIndex(SqliteConnection& connection);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_SQLITE_MESSAGE_INDEX_H_
