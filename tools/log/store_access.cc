// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "log/store_access.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "omniroute/sqlite_event_store.h"

namespace omniroute::log_tool {

absl::StatusOr<std::unique_ptr<EventStore>> OpenStoreForReading(const std::string& path) {
  // SQLite's own message for these ("unable to open database file") does not
  // say which of them it is.
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return absl::NotFoundError("no such file");
  }
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot read it: ", error.message()));
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return absl::FailedPreconditionError("is a directory, not an omniroute event store");
  }
  if (status.type() != std::filesystem::file_type::regular) {
    return absl::FailedPreconditionError("is not a regular file, so not an omniroute event store");
  }
  SqliteStoreOptions options;
  options.path = path;
  options.read_only = true;
  options.create_if_missing = false;
  return OpenSqliteEventStore(options);
}

absl::StatusOr<std::vector<std::string>> SelectTenants(const EventStore& store,
                                                       absl::string_view path,
                                                       const std::optional<std::string>& only) {
  absl::StatusOr<std::vector<std::string>> tenants = store.ListTenants();
  if (!tenants.ok() || !only.has_value()) return tenants;
  if (std::find(tenants->begin(), tenants->end(), *only) == tenants->end()) {
    return absl::NotFoundError(absl::StrCat("tenant ", *only, " has no events in ", path));
  }
  return std::vector<std::string>{*only};
}

absl::string_view EventTypeName(int payload_case) {
  const google::protobuf::FieldDescriptor* field =
      payload_case == 0 ? nullptr
                        : ::omniroute::v1::Event::descriptor()->FindFieldByNumber(payload_case);
  if (field == nullptr || field->containing_oneof() == nullptr) return "none";
  return field->name();
}

absl::Time EventTime(const ::omniroute::v1::Event& event) {
  return absl::FromUnixSeconds(event.time().seconds()) + absl::Nanoseconds(event.time().nanos());
}

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

}  // namespace omniroute::log_tool
