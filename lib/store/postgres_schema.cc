// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/postgres_schema.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace omniroute::store {
namespace {

// "OmRt", as the SQLite store's application_id: the first key of the
// advisory lock that serializes the creation of a store's tables.
constexpr int32_t kLockKey = 0x4F6D5274;

constexpr char kCreateTables[] = R"sql(
CREATE TABLE schema_version (
  application text NOT NULL,
  version integer NOT NULL
);
CREATE TABLE events (
  tenant text COLLATE "C" NOT NULL,
  sequence bigint NOT NULL,
  payload bytea NOT NULL,
  crc bigint NOT NULL,
  PRIMARY KEY (tenant, sequence)
);
CREATE TABLE snapshots (
  tenant text COLLATE "C" NOT NULL PRIMARY KEY,
  sequence bigint NOT NULL,
  state bytea NOT NULL,
  crc bigint NOT NULL
);
CREATE TABLE messages (
  tenant text COLLATE "C" NOT NULL,
  message_id bigint NOT NULL,
  conversation_id bigint NOT NULL,
  recorded_at bigint NOT NULL,
  sequence bigint NOT NULL,
  channel integer NOT NULL,
  external_id bytea NOT NULL,
  thread_key bytea NOT NULL,
  PRIMARY KEY (tenant, message_id)
);
CREATE INDEX messages_by_conversation
  ON messages (tenant, conversation_id, recorded_at, message_id);
CREATE INDEX messages_by_external_id
  ON messages (tenant, channel, external_id, message_id) WHERE external_id <> '';
CREATE INDEX messages_by_thread_key
  ON messages (tenant, channel, thread_key, message_id) WHERE thread_key <> '';
CREATE TABLE archive (
  tenant text COLLATE "C" NOT NULL,
  kind integer NOT NULL,
  item_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  sequence bigint NOT NULL,
  PRIMARY KEY (tenant, kind, item_id)
);
CREATE INDEX archive_by_customer
  ON archive (tenant, customer_id, item_id) WHERE kind = 1 AND customer_id <> 0;
CREATE TABLE unredacted_erasures (
  tenant text COLLATE "C" NOT NULL,
  sequence bigint NOT NULL,
  customer_id bigint NOT NULL,
  PRIMARY KEY (tenant, sequence)
);
)sql";

constexpr char kLock[] = "SELECT pg_advisory_xact_lock($1, hashtext($2))";
// Tables, views and the like of the schema: a schema with none is free.
// The cluster's tables (postgres_leases.h) may come first: they are ours.
constexpr char kCountRelations[] =
    "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
    "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND c.relname NOT IN ('nodes', 'leases')";
constexpr char kHasVersionTable[] =
    "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
    "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'schema_version' "
    "AND c.relkind = 'r'";
constexpr char kReadVersion[] =
    "SELECT application, version FROM schema_version ORDER BY version DESC LIMIT 1";

std::string Quoted(absl::string_view schema) { return absl::StrCat("\"", schema, "\""); }

// Inside the open transaction, under the lock: what the schema holds.
absl::Status Inspect(PgConnection& connection, absl::string_view schema, bool create) {
  const std::string context = absl::StrCat("opening the store in schema ", schema);
  PgParams by_schema;
  by_schema.Text(schema);
  absl::StatusOr<PgResult> has_version = connection.Run(kHasVersionTable, by_schema, context);
  if (!has_version.ok()) return has_version.status();
  if (has_version->Int64(0, 0) > 0) {
    absl::StatusOr<PgResult> version = connection.Run(kReadVersion, PgParams(), context);
    if (!version.ok()) return version.status();
    if (version->rows() == 0 || version->Bytes(0, 0) != "omniroute") {
      return absl::FailedPreconditionError(
          absl::StrCat("schema ", schema, " on PostgreSQL at ", connection.target(),
                       " is not an omniroute event store: its schema_version table is not ours"));
    }
    const int64_t found = version->Int64(0, 1);
    if (found != kPostgresSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "schema ", schema, " on PostgreSQL at ", connection.target(),
          " holds an omniroute store of schema version ", found, "; this build reads version ",
          kPostgresSchemaVersion, found > kPostgresSchemaVersion ? " (a newer omniroute wrote it)"
                                                                 : ""));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<PgResult> relations = connection.Run(kCountRelations, by_schema, context);
  if (!relations.ok()) return relations.status();
  if (const int64_t count = relations->Int64(0, 0); count > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("schema ", schema, " on PostgreSQL at ", connection.target(), " holds ",
                     count, " tables or views but no omniroute event store; use another schema"));
  }
  if (!create) {
    return absl::NotFoundError(absl::StrCat("schema ", schema, " on PostgreSQL at ",
                                            connection.target(), " holds no event store"));
  }
  if (absl::Status s = connection.Execute(
          absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", Quoted(schema), "; SET LOCAL search_path TO ",
                       Quoted(schema), "; ", kCreateTables,
                       "INSERT INTO schema_version (application, version) VALUES ('omniroute', ",
                       kPostgresSchemaVersion, ");"),
          absl::StrCat("creating the store's tables in schema ", schema));
      !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckPostgresSchemaName(absl::string_view schema) {
  if (schema.empty() || schema.size() > 63) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema: must be 1 to 63 characters, got ", schema.size()));
  }
  for (size_t i = 0; i < schema.size(); ++i) {
    const char c = schema[i];
    const bool letter = (c >= 'a' && c <= 'z') || c == '_';
    if (!letter && !(i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "schema: \"", schema,
          "\" must be lower-case letters, digits and underscores, starting with a letter or an "
          "underscore"));
    }
  }
  if (schema.substr(0, 3) == "pg_") {
    return absl::InvalidArgumentError(
        absl::StrCat("schema: \"", schema, "\" is reserved by PostgreSQL (pg_ prefix)"));
  }
  return absl::OkStatus();
}

std::string PostgresSessionSetup(absl::string_view schema) {
  return absl::StrCat("SET search_path TO ", Quoted(schema));
}

absl::Status PreparePostgresSchema(PgConnection& connection, absl::string_view schema,
                                   bool create) {
  const std::string context = absl::StrCat("opening the store in schema ", schema);
  if (absl::Status s = connection.Execute("BEGIN", context); !s.ok()) return s;
  PgParams lock;
  lock.Int32(kLockKey).Text(schema);
  absl::Status status = connection.Run(kLock, lock, context).status();
  if (status.ok()) status = Inspect(connection, schema, create);
  if (status.ok()) status = connection.Execute("COMMIT", context);
  if (!status.ok() && connection.InTransaction()) (void)connection.Execute("ROLLBACK", context);
  return status;
}

}  // namespace omniroute::store
