// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The PostgreSQL store's message index (the messages, archive and
// unredacted_erasures tables, see postgres_schema.h): the sink that the
// projection of message_history.h feeds inside the transaction that appends
// the events, so that the rows and the events commit or roll back together.
//
// Thread-compatible: used by the holder of the writer connection.

#ifndef OMNIROUTE_LIB_STORE_POSTGRES_MESSAGE_INDEX_H_
#define OMNIROUTE_LIB_STORE_POSTGRES_MESSAGE_INDEX_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "store/message_history.h"
#include "store/postgres_connection.h"

namespace omniroute::store {

// Writes the projection's operations for one tenant with statements
// prepared once per connection. "Ignores what it already has" (see
// MessageHistorySink) is ON CONFLICT DO NOTHING.
class PostgresMessageIndexWriter final : public MessageHistorySink {
 public:
  // `tenant` must outlive the writer.
  PostgresMessageIndexWriter(PgConnection& connection, absl::string_view tenant)
      : connection_(connection), tenant_(tenant) {}

  absl::Status InsertMessage(const MessageRow& row) override;
  // One statement for all the ids (= ANY of an array).
  absl::Status MoveMessages(absl::Span<const uint64_t> message_ids,
                            uint64_t conversation_id) override;
  absl::Status InsertArchived(EventStore::ArchivedKind kind, uint64_t item_id,
                              uint64_t customer_id, uint64_t sequence) override;
  absl::Status InsertErasure(uint64_t customer_id, uint64_t sequence) override;

 private:
  PgConnection& connection_;
  const absl::string_view tenant_;
};

// The sink of a whole group of appends, of any tenants: the message rows,
// nearly every operation, are gathered and inserted by one statement
// (Flush); the other operations, rare, are written at once, after the rows
// gathered so far, since a move must find the rows it moves.
class PostgresMessageIndexBatch final : public MessageHistorySink {
 public:
  explicit PostgresMessageIndexBatch(PgConnection& connection);

  // The tenant of the operations that follow; it must outlive the batch.
  void SetTenant(absl::string_view tenant) { tenant_ = tenant; }

  absl::Status InsertMessage(const MessageRow& row) override;
  absl::Status MoveMessages(absl::Span<const uint64_t> message_ids,
                            uint64_t conversation_id) override;
  absl::Status InsertArchived(EventStore::ArchivedKind kind, uint64_t item_id, uint64_t customer_id,
                              uint64_t sequence) override;
  absl::Status InsertErasure(uint64_t customer_id, uint64_t sequence) override;

  // Inserts the rows gathered; nothing when there are none.
  absl::Status Flush();

  // For a statement that inserts the rows gathered along with something
  // else: whether there are any, the SQL that inserts them from the eight
  // parameters starting at $`first`, and those parameters (added to
  // `params`, after which the batch is empty).
  bool has_rows() const { return tenants_.size() > 0; }
  static std::string InsertRowsSql(int first);
  void TakeRows(PgParams& params);

 private:
  PgConnection& connection_;
  absl::string_view tenant_;
  // One array per column of the messages table.
  PgArray tenants_{PgArray::Type::kText};
  PgArray message_ids_{PgArray::Type::kInt64};
  PgArray conversation_ids_{PgArray::Type::kInt64};
  PgArray recorded_at_{PgArray::Type::kInt64};
  PgArray sequences_{PgArray::Type::kInt64};
  PgArray channels_{PgArray::Type::kInt32};
  PgArray external_ids_{PgArray::Type::kBytes};
  PgArray thread_keys_{PgArray::Type::kBytes};
};

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_POSTGRES_MESSAGE_INDEX_H_
