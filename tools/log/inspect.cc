// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-log inspect: what a store holds, per tenant. Every event is read
// (and so checked against its checksum), none is applied.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "log/commands.h"
#include "log/store_access.h"
#include "log/text_output.h"
#include "omniroute/event_store.h"

namespace omniroute::log_tool {
namespace {

constexpr char kUsage[] = "omniroute-log inspect [--json] <db>";

constexpr char kHelp[] = R"(usage: omniroute-log inspect [--json] <db>

Shows what the event store <db> holds, per tenant: the number of events,
the first and last sequence and their times, the number of events of each
type (the Event payload: customer_created, message_recorded, ...) and the
sequence of the tenant's snapshot, if it has one; then the totals.

Every event is read and checked against its checksum: damage is reported
(DATA_LOSS, naming the tenant and the sequence) and the exit code is 1.
The store is opened read-only and never changed.

Options:
  --json     one JSON object instead of tables:
             {"store": ..., "tenants": [{"tenant", "events", "first_sequence",
              "last_sequence", "first_time", "last_time", "event_types": {...},
              "snapshot_sequence" (null if none)}], "total": {"tenants",
              "events", "event_types": {...}}}
  -h, --help show this help

Exit codes: 0 success, 1 failure (missing, foreign or damaged store),
2 usage error.
)";

struct TenantReport {
  std::string tenant;
  uint64_t events = 0;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  absl::Time first_time;
  absl::Time last_time;
  // Events per payload field number (0: none), in field order.
  std::map<int, uint64_t> types;
  std::optional<uint64_t> snapshot_sequence;
};

absl::StatusOr<TenantReport> InspectTenant(const EventStore& store, const std::string& tenant) {
  TenantReport report;
  report.tenant = tenant;
  absl::Status read = store.Read(tenant, 1, [&](const ::omniroute::v1::Event& event) {
    if (report.events == 0) {
      report.first_sequence = event.sequence();
      report.first_time = EventTime(event);
    }
    report.last_sequence = event.sequence();
    report.last_time = EventTime(event);
    ++report.events;
    ++report.types[static_cast<int>(event.payload_case())];
    return true;
  });
  if (!read.ok()) return read;
  absl::StatusOr<EventStore::Snapshot> snapshot = store.LoadSnapshot(tenant);
  if (snapshot.ok()) {
    report.snapshot_sequence = snapshot->sequence;
  } else if (!absl::IsNotFound(snapshot.status())) {
    return snapshot.status();
  }
  return report;
}

std::string JsonTypes(const std::map<int, uint64_t>& types) {
  return absl::StrCat("{",
                      absl::StrJoin(types, ",",
                                    [](std::string* out, const auto& entry) {
                                      absl::StrAppend(out, JsonString(EventTypeName(entry.first)),
                                                      ":", entry.second);
                                    }),
                      "}");
}

std::string RenderJson(const std::string& path, const std::vector<TenantReport>& reports,
                       const std::map<int, uint64_t>& total_types, uint64_t total_events) {
  std::string out = absl::StrCat("{\"store\":", JsonString(path), ",\"tenants\":[");
  for (size_t i = 0; i < reports.size(); ++i) {
    const TenantReport& r = reports[i];
    absl::StrAppend(
        &out, i == 0 ? "" : ",", "{\"tenant\":", JsonString(r.tenant), ",\"events\":", r.events,
        ",\"first_sequence\":", r.first_sequence, ",\"last_sequence\":", r.last_sequence,
        ",\"first_time\":", JsonString(FormatUtc(r.first_time)),
        ",\"last_time\":", JsonString(FormatUtc(r.last_time)),
        ",\"event_types\":", JsonTypes(r.types), ",\"snapshot_sequence\":",
        r.snapshot_sequence.has_value() ? absl::StrCat(*r.snapshot_sequence) : "null", "}");
  }
  absl::StrAppend(&out, "],\"total\":{\"tenants\":", reports.size(), ",\"events\":", total_events,
                  ",\"event_types\":", JsonTypes(total_types), "}}\n");
  return out;
}

std::string RenderText(const std::string& path, const std::vector<TenantReport>& reports,
                       const std::map<int, uint64_t>& total_types, uint64_t total_events) {
  std::string out = absl::StrCat("store: ", path, "\n");
  if (reports.empty()) {
    absl::StrAppend(&out, "no tenants, no events\n");
    return out;
  }
  TextTable tenants({"tenant", "events", "first", "last", "first time", "last time", "snapshot"});
  absl::Time first = absl::InfiniteFuture();
  absl::Time last = absl::InfinitePast();
  for (const TenantReport& r : reports) {
    tenants.AddRow({r.tenant, absl::StrCat(r.events), absl::StrCat(r.first_sequence),
                    absl::StrCat(r.last_sequence), FormatUtc(r.first_time), FormatUtc(r.last_time),
                    r.snapshot_sequence.has_value() ? absl::StrCat(*r.snapshot_sequence) : "-"});
    first = std::min(first, r.first_time);
    last = std::max(last, r.last_time);
  }
  tenants.AddRow(
      {absl::StrCat("total (", reports.size(), reports.size() == 1 ? " tenant)" : " tenants)"),
       absl::StrCat(total_events), "", "", FormatUtc(first), FormatUtc(last)});
  out += tenants.Render();

  // Event types down, tenants across: one column per tenant and the total.
  std::vector<std::string> header = {"event type"};
  for (const TenantReport& r : reports) header.push_back(r.tenant);
  header.push_back("total");
  TextTable types(std::move(header));
  for (const auto& [payload_case, count] : total_types) {
    std::vector<std::string> row = {std::string(EventTypeName(payload_case))};
    for (const TenantReport& r : reports) {
      auto it = r.types.find(payload_case);
      row.push_back(absl::StrCat(it == r.types.end() ? 0 : it->second));
    }
    row.push_back(absl::StrCat(count));
    types.AddRow(std::move(row));
  }
  absl::StrAppend(&out, "\n", types.Render());
  return out;
}

}  // namespace

int RunInspect(const Invocation& invocation) {
  static constexpr OptionSpec kOptions[] = {{"json", false}};
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
  const std::string& path = args->positional()[0];

  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenStoreForReading(path);
  if (!store.ok()) return Failure(invocation, path, store.status());
  absl::StatusOr<std::vector<std::string>> tenants = (*store)->ListTenants();
  if (!tenants.ok()) return Failure(invocation, path, tenants.status());

  std::vector<TenantReport> reports;
  std::map<int, uint64_t> total_types;
  uint64_t total_events = 0;
  for (const std::string& tenant : *tenants) {
    absl::StatusOr<TenantReport> report = InspectTenant(**store, tenant);
    if (!report.ok()) return Failure(invocation, path, report.status());
    for (const auto& [payload_case, count] : report->types) total_types[payload_case] += count;
    total_events += report->events;
    reports.push_back(*std::move(report));
  }
  *invocation.out << (args->Has("json") ? RenderJson(path, reports, total_types, total_events)
                                        : RenderText(path, reports, total_types, total_events));
  return FinishOutput(invocation);
}

}  // namespace omniroute::log_tool
