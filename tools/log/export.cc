// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-log export: events as JSON lines, for other tools (jq, a data
// warehouse, a diff).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "log/commands.h"
#include "log/store_access.h"
#include "omniroute/event_store.h"

namespace omniroute::log_tool {
namespace {

constexpr char kUsage[] = "omniroute-log export [--tenant T] [--from N] <db>";

constexpr char kHelp[] = R"(usage: omniroute-log export [--tenant T] [--from N] <db>

Writes the events of the event store <db> on standard output as JSON lines:
one omniroute.v1.Event per line, in the proto3 JSON mapping (the format of
protobuf's JsonStringToMessage: lowerCamelCase field names, enums by name,
64-bit integers as strings, times in RFC 3339, fields at their default value
left out). Each event carries its tenantId and sequence. Tenants come in
sorted order, each tenant's events in sequence order.

Every event is checked against its checksum; at the first damaged one the
export stops (the lines before it are written), DATA_LOSS naming the tenant
and the sequence is reported and the exit code is 1. The store is opened
read-only and never changed.

Options:
  --tenant T  only tenant T (an error if the store holds no event of it)
  --from N    only events with sequence N or later (N >= 1), in each tenant
  -h, --help  show this help

Exit codes: 0 success, 1 failure (missing, foreign or damaged store, output
not writable), 2 usage error.
)";

}  // namespace

int RunExport(const Invocation& invocation) {
  static constexpr OptionSpec kOptions[] = {{"tenant", true}, {"from", true}};
  absl::StatusOr<ParsedArgs> args = ParseArgs(invocation.args, kOptions);
  if (!args.ok()) return UsageError(invocation, kUsage, args.status().message());
  if (args->help()) {
    *invocation.out << kHelp;
    return FinishOutput(invocation);
  }
  if (args->positional().empty()) return UsageError(invocation, kUsage, "missing <db>");
  if (args->positional().size() > 1) {
    return UsageError(invocation, kUsage,
                      absl::StrCat("unexpected argument ", args->positional()[1]));
  }
  uint64_t from = 1;
  if (std::optional<std::string> text = args->Value("from"); text.has_value()) {
    absl::StatusOr<uint64_t> parsed = ParsePositiveInteger("from", *text);
    if (!parsed.ok()) return UsageError(invocation, kUsage, parsed.status().message());
    from = *parsed;
  }
  const std::string& path = args->positional()[0];

  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenStoreForReading(path);
  if (!store.ok()) return Failure(invocation, path, store.status());
  absl::StatusOr<std::vector<std::string>> tenants =
      SelectTenants(**store, path, args->Value("tenant"));
  if (!tenants.ok()) return Failure(invocation, path, tenants.status());

  google::protobuf::util::JsonPrintOptions json_options;  // One line per event.
  std::string line;
  for (const std::string& tenant : *tenants) {
    absl::Status failure;
    absl::Status read = (*store)->Read(tenant, from, [&](const ::omniroute::v1::Event& event) {
      line.clear();
      const auto converted =
          google::protobuf::util::MessageToJsonString(event, &line, json_options);
      if (!converted.ok()) {
        failure =
            absl::InternalError(absl::StrCat("tenant ", tenant, ", sequence ", event.sequence(),
                                             ": cannot convert to JSON: ", converted.ToString()));
        return false;
      }
      line += '\n';
      invocation.out->write(line.data(), static_cast<std::streamsize>(line.size()));
      return invocation.out->good();  // Stop early when the output is gone.
    });
    if (!read.ok()) return Failure(invocation, path, read);
    if (!failure.ok()) return Failure(invocation, path, failure);
    if (!invocation.out->good()) break;
  }
  return FinishOutput(invocation);
}

}  // namespace omniroute::log_tool
