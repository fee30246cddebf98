// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/postgres_message_index.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace omniroute::store {
namespace {

// DO NOTHING: the first record of an id stands (see message_history.h).
constexpr char kInsertMessage[] =
    "INSERT INTO messages (tenant, message_id, conversation_id, recorded_at, sequence, channel, "
    "external_id, thread_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";
// An id without a row matches nothing, which is the projection's rule.
constexpr char kMoveMessages[] =
    "UPDATE messages SET conversation_id = $3 WHERE tenant = $1 AND message_id = ANY ($2)";
constexpr char kInsertArchived[] =
    "INSERT INTO archive (tenant, kind, item_id, customer_id, sequence) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
constexpr char kInsertErasure[] =
    "INSERT INTO unredacted_erasures (tenant, sequence, customer_id) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING";

}  // namespace

absl::Status PostgresMessageIndexWriter::InsertMessage(const MessageRow& row) {
  PgParams params;
  params.Text(tenant_)
      .Int64(static_cast<int64_t>(row.message_id))
      .Int64(static_cast<int64_t>(row.conversation_id))
      .Int64(row.recorded_at_nanos)
      .Int64(static_cast<int64_t>(row.sequence))
      .Int32(static_cast<int32_t>(row.channel))
      .Bytes(row.external_id)
      .Bytes(row.thread_key);
  return connection_
      .Run(kInsertMessage, params,
           absl::StrCat("indexing message ", row.message_id, " of tenant ", tenant_, " (event ",
                        row.sequence, ")"))
      .status();
}

absl::Status PostgresMessageIndexWriter::MoveMessages(absl::Span<const uint64_t> message_ids,
                                                      uint64_t conversation_id) {
  if (message_ids.empty()) return absl::OkStatus();
  std::vector<int64_t> ids;
  ids.reserve(message_ids.size());
  for (const uint64_t id : message_ids) ids.push_back(static_cast<int64_t>(id));
  PgParams params;
  params.Text(tenant_).Int64Array(ids).Int64(static_cast<int64_t>(conversation_id));
  return connection_
      .Run(kMoveMessages, params,
           absl::StrCat("moving ", message_ids.size(), " messages of tenant ", tenant_,
                        " to conversation ", conversation_id))
      .status();
}

absl::Status PostgresMessageIndexWriter::InsertArchived(EventStore::ArchivedKind kind,
                                                        uint64_t item_id, uint64_t customer_id,
                                                        uint64_t sequence) {
  PgParams params;
  params.Text(tenant_)
      .Int32(static_cast<int32_t>(kind))
      .Int64(static_cast<int64_t>(item_id))
      .Int64(static_cast<int64_t>(customer_id))
      .Int64(static_cast<int64_t>(sequence));
  return connection_
      .Run(kInsertArchived, params,
           absl::StrCat("archiving item ", item_id, " of tenant ", tenant_, " (event ", sequence,
                        ")"))
      .status();
}

absl::Status PostgresMessageIndexWriter::InsertErasure(uint64_t customer_id, uint64_t sequence) {
  PgParams params;
  params.Text(tenant_).Int64(static_cast<int64_t>(sequence)).Int64(static_cast<int64_t>(customer_id));
  return connection_
      .Run(kInsertErasure, params,
           absl::StrCat("recording the erasure of customer ", customer_id, " of tenant ", tenant_,
                        " (event ", sequence, ") to redact"))
      .status();
}

}  // namespace omniroute::store
