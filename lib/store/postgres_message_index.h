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

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_POSTGRES_MESSAGE_INDEX_H_
