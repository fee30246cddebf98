// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/postgres_message_index.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"

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

// The rows in array order, so the first of two rows of an id in one batch
// stands, as it would one statement after the other.
std::string InsertRowsSqlFrom(int first) {
  return absl::Substitute(
      "INSERT INTO messages (tenant, message_id, conversation_id, recorded_at, sequence, "
      "channel, external_id, thread_key) SELECT * FROM unnest($$$0::text[], $$$1::bigint[], "
      "$$$2::bigint[], $$$3::bigint[], $$$4::bigint[], $$$5::integer[], $$$6::bytea[], "
      "$$$7::bytea[]) ON CONFLICT DO NOTHING",
      first, first + 1, first + 2, first + 3, first + 4, first + 5, first + 6, first + 7);
}

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

PostgresMessageIndexBatch::PostgresMessageIndexBatch(PgConnection& connection)
    : connection_(connection) {}

absl::Status PostgresMessageIndexBatch::InsertMessage(const MessageRow& row) {
  tenants_.Add(tenant_);
  message_ids_.AddInt64(static_cast<int64_t>(row.message_id));
  conversation_ids_.AddInt64(static_cast<int64_t>(row.conversation_id));
  recorded_at_.AddInt64(row.recorded_at_nanos);
  sequences_.AddInt64(static_cast<int64_t>(row.sequence));
  channels_.AddInt32(static_cast<int32_t>(row.channel));
  external_ids_.Add(row.external_id);
  thread_keys_.Add(row.thread_key);
  return absl::OkStatus();
}

absl::Status PostgresMessageIndexBatch::MoveMessages(absl::Span<const uint64_t> message_ids,
                                                     uint64_t conversation_id) {
  if (absl::Status s = Flush(); !s.ok()) return s;
  return PostgresMessageIndexWriter(connection_, tenant_)
      .MoveMessages(message_ids, conversation_id);
}

absl::Status PostgresMessageIndexBatch::InsertArchived(EventStore::ArchivedKind kind,
                                                       uint64_t item_id, uint64_t customer_id,
                                                       uint64_t sequence) {
  if (absl::Status s = Flush(); !s.ok()) return s;
  return PostgresMessageIndexWriter(connection_, tenant_)
      .InsertArchived(kind, item_id, customer_id, sequence);
}

absl::Status PostgresMessageIndexBatch::InsertErasure(uint64_t customer_id, uint64_t sequence) {
  if (absl::Status s = Flush(); !s.ok()) return s;
  return PostgresMessageIndexWriter(connection_, tenant_).InsertErasure(customer_id, sequence);
}

std::string PostgresMessageIndexBatch::InsertRowsSql(int first) { return InsertRowsSqlFrom(first); }

void PostgresMessageIndexBatch::TakeRows(PgParams& params) {
  params.Array(tenants_)
      .Array(message_ids_)
      .Array(conversation_ids_)
      .Array(recorded_at_)
      .Array(sequences_)
      .Array(channels_)
      .Array(external_ids_)
      .Array(thread_keys_);
  for (PgArray* column : {&tenants_, &message_ids_, &conversation_ids_, &recorded_at_, &sequences_,
                          &channels_, &external_ids_, &thread_keys_}) {
    *column = PgArray(column->type());
  }
}

absl::Status PostgresMessageIndexBatch::Flush() {
  if (!has_rows()) return absl::OkStatus();
  static const std::string* const kSql = new std::string(InsertRowsSqlFrom(1));
  const int rows = tenants_.size();
  PgParams params;
  TakeRows(params);
  return connection_.Run(kSql->c_str(), params, absl::StrCat("indexing ", rows, " messages"))
      .status();
}

}  // namespace omniroute::store
