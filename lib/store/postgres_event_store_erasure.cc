// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The PostgreSQL event store's redaction of erased customers
// (RedactCustomer) and its list of erasures to finish. The plan is made by
// customer_redaction.h, from the store's own reads.
//
// Why the old data is gone from the tables: an UPDATE writes a new row
// version and leaves the old one in its page; a plain VACUUM marks the old
// version's space free but does not overwrite it (PostgreSQL has no
// secure_delete), so its bytes stay in the table file until a later row
// happens to reuse the space. VACUUM FULL instead copies the live rows into
// new files (table, TOAST and indexes) and truncates the old ones when it
// commits. It keeps the dead versions that some transaction older than the
// rewrite may still see; its VERBOSE report says how many, and any is a
// failure to retry (the erasure stays listed). What the write-ahead log
// keeps is said in omniroute/postgres_event_store.h.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "store/crc32c.h"
#include "store/customer_redaction.h"
#include "store/postgres_connection.h"
#include "store/postgres_event_store_internal.h"

namespace omniroute::store {
namespace {

constexpr char kRewriteEvent[] =
    "UPDATE events SET payload = $3, crc = $4 WHERE tenant = $1 AND sequence = $2";
constexpr char kClearMessageKeys[] =
    "UPDATE messages SET external_id = '', thread_key = '' "
    "WHERE tenant = $1 AND message_id = ANY ($2) AND (external_id <> '' OR thread_key <> '')";
constexpr char kDeleteOlderSnapshots[] =
    "DELETE FROM snapshots WHERE tenant = $1 AND sequence < $2";
constexpr char kCountErasures[] =
    "SELECT count(*) FROM unredacted_erasures "
    "WHERE tenant = $1 AND customer_id = ANY ($2) AND sequence <= $3";
constexpr char kForgetErasures[] =
    "DELETE FROM unredacted_erasures "
    "WHERE tenant = $1 AND customer_id = ANY ($2) AND sequence <= $3";
constexpr char kUnredactedErasures[] =
    "SELECT sequence FROM unredacted_erasures WHERE tenant = $1 ORDER BY sequence";

// How many dead row versions VACUUM's VERBOSE report says it kept ("N dead
// row versions cannot be removed yet"), summed over its lines; nullopt when
// the report is not in English (the server's lc_messages), which the store
// cannot read.
std::optional<int64_t> KeptDeadVersions(absl::string_view report) {
  constexpr absl::string_view kKept = " dead row versions cannot be removed yet";
  bool understood = false;
  int64_t kept = 0;
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    const size_t at = line.find(kKept);
    if (at == absl::string_view::npos) continue;
    absl::string_view number = line.substr(0, at);
    number = number.substr(number.find_last_of(' ') == absl::string_view::npos
                               ? 0
                               : number.find_last_of(' ') + 1);
    int64_t value = 0;
    if (absl::SimpleAtoi(number, &value)) {
      understood = true;
      kept += value;
    }
  }
  if (!understood) return std::nullopt;
  return kept;
}

}  // namespace

absl::Status PostgresEventStore::RedactCustomer(absl::string_view tenant_id,
                                                const CustomerRedaction& redaction) {
  absl::MutexLock redacting(&redaction_mu_);
  absl::StatusOr<RedactionPlan> plan = PlanCustomerRedaction(*this, tenant_id, redaction);
  if (!plan.ok()) return plan.status();

  const auto erased_at = static_cast<int64_t>(std::min<uint64_t>(
      redaction.erased_at_sequence, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  std::vector<int64_t> customers;
  for (CustomerId customer : redaction.customers) {
    customers.push_back(static_cast<int64_t>(customer.value()));
  }
  std::vector<int64_t> message_ids;
  for (uint64_t id : plan->message_ids) message_ids.push_back(static_cast<int64_t>(id));

  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgConnection& db = **connection;
  const std::string context = absl::StrCat("redacting customers of tenant ", tenant_id);

  // The rewrite, in one transaction. The lease closes the connection if a
  // failure leaves the transaction open.
  int64_t cleared_keys = 0;
  int64_t deleted_snapshots = 0;
  int64_t unfinished = 0;
  {
    if (absl::Status s = db.Execute("BEGIN", context); !s.ok()) return s;
    std::string payload;
    for (const ::omniroute::v1::Event& event : plan->events) {
      payload.clear();
      if (!event.AppendToString(&payload)) {
        (void)db.Execute("ROLLBACK", context);
        return absl::InternalError(absl::StrCat("redacting event ", event.sequence(),
                                                " of tenant ", tenant_id, ": cannot serialize it"));
      }
      PgParams params;
      params.Text(tenant_id)
          .Int64(static_cast<int64_t>(event.sequence()))
          .Bytes(payload)
          .Int64(Crc32c(payload));
      if (absl::Status s = db.Run(kRewriteEvent, params,
                                  absl::StrCat("redacting event ", event.sequence(), " of tenant ",
                                               tenant_id))
                               .status();
          !s.ok()) {
        return s;
      }
    }
    if (!message_ids.empty()) {
      PgParams params;
      params.Text(tenant_id).Int64Array(message_ids);
      absl::StatusOr<PgResult> cleared = db.Run(
          kClearMessageKeys, params, absl::StrCat("clearing message keys of tenant ", tenant_id));
      if (!cleared.ok()) return cleared.status();
      cleared_keys = cleared->AffectedRows();
    }
    {
      PgParams params;
      params.Text(tenant_id).Int64(erased_at);
      absl::StatusOr<PgResult> deleted = db.Run(
          kDeleteOlderSnapshots, params,
          absl::StrCat("deleting the snapshots of tenant ", tenant_id, " taken before the erasure"));
      if (!deleted.ok()) return deleted.status();
      deleted_snapshots = deleted->AffectedRows();
    }
    {
      PgParams params;
      params.Text(tenant_id).Int64Array(customers).Int64(erased_at);
      absl::StatusOr<PgResult> count = db.Run(kCountErasures, params, context);
      if (!count.ok()) return count.status();
      unfinished = count->Int64(0, 0);
    }
    if (absl::Status s = db.Execute("COMMIT", context); !s.ok()) return s;
  }

  // The old row versions, out of the files. An erasure still listed may be
  // one whose rewrite committed before a failure here: every table is
  // cleaned again then.
  std::vector<const char*> tables;
  if (!plan->events.empty() || unfinished > 0) tables.push_back("events");
  if (cleared_keys > 0 || unfinished > 0) tables.push_back("messages");
  if (deleted_snapshots > 0 || unfinished > 0) tables.push_back("snapshots");
  if (!tables.empty()) {
    // VACUUM's report in English, if the server lets this session choose
    // (a superuser's); otherwise the check below is skipped.
    (void)db.Execute("SET lc_messages TO 'C'", context);
  }
  for (const char* table : tables) {
    (void)db.TakeNotices();
    const std::string vacuum_context = absl::StrCat(
        "removing the old row versions of table ", table, " after a redaction in tenant ",
        tenant_id, " (the rewrite is committed; retry to finish)");
    if (absl::Status s = db.Execute(absl::StrCat("VACUUM (FULL, VERBOSE) ", table), vacuum_context);
        !s.ok()) {
      return s;
    }
    if (const std::optional<int64_t> kept = KeptDeadVersions(db.TakeNotices());
        kept.has_value() && *kept > 0) {
      return absl::UnavailableError(absl::StrCat(
          vacuum_context, ": ", *kept,
          " old row versions are still visible to a transaction older than the rewrite (a "
          "long-running or prepared transaction, or a replication slot), so VACUUM kept them"));
    }
  }

  // Only now is the erasure finished.
  PgParams params;
  params.Text(tenant_id).Int64Array(customers).Int64(erased_at);
  return db.Run(kForgetErasures, params,
                absl::StrCat("recording that the erasures of tenant ", tenant_id,
                             " are redacted (the redaction itself is done)"))
      .status();
}

absl::StatusOr<std::vector<uint64_t>> PostgresEventStore::ListUnredactedErasures(
    absl::string_view tenant_id) const {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgParams params;
  params.Text(tenant_id);
  absl::StatusOr<PgResult> rows = (*connection)->Run(
      kUnredactedErasures, params,
      absl::StrCat("listing the erasures of tenant ", tenant_id, " still to redact"));
  if (!rows.ok()) return rows.status();
  std::vector<uint64_t> sequences;
  sequences.reserve(rows->rows());
  for (int row = 0; row < rows->rows(); ++row) {
    sequences.push_back(static_cast<uint64_t>(rows->Int64(row, 0)));
  }
  return sequences;
}

}  // namespace omniroute::store
