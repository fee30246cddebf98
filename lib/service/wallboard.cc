// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/wallboard.h"

#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "service/convert.h"

namespace omniroute::service {
namespace {

// How often an open wallboard reads the figures again, and how long it stays
// silent at most (a comment then tells whether the screen is still there).
constexpr absl::Duration kReadEvery = absl::Milliseconds(500);
constexpr absl::Duration kKeepAliveEvery = absl::Seconds(15);

HttpResponse Plain(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// The tenant a request names, or the answer refusing it.
std::variant<std::string, HttpResponse> TenantOf(const HttpRequest& request) {
  auto it = request.query.find("tenant");
  if (it == request.query.end() || it->second.empty()) {
    return Plain(400, absl::StrCat("tenant: required (", request.path, "?tenant=ID)\n"));
  }
  return it->second;
}

extern const char kPage[];

}  // namespace

absl::StatusOr<std::string> WallboardFigures(const Engine& engine, const std::string& tenant) {
  absl::StatusOr<std::vector<QueueStatistics>> queues = engine.GetQueueStatistics(tenant, {});
  if (!queues.ok()) return queues.status();
  absl::StatusOr<RoutingOverview> overview = engine.GetRoutingOverview(tenant);
  if (!overview.ok()) return overview.status();
  v1::GetQueueStatisticsResponse statistics;
  for (const QueueStatistics& q : *queues) ToProto(q, statistics.add_queues());
  if (!queues->empty()) ToProto(queues->front().at, statistics.mutable_at());
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (auto s = google::protobuf::util::MessageToJsonString(statistics, &json, options); !s.ok()) {
    return absl::InternalError(absl::StrCat("wallboard: ", s.ToString()));
  }
  nlohmann::ordered_json doc;
  doc["tenant"] = tenant;
  doc["statistics"] = nlohmann::ordered_json::parse(json);
  doc["agents"] = nlohmann::ordered_json::object();
  for (const auto& [presence, count] : overview->agents_by_presence) {
    doc["agents"][PresenceLabel(presence)] = count;
  }
  return doc.dump();
}

std::map<std::string, HttpEndpoint::Handler> WallboardPages(std::function<const Engine*()> engine) {
  std::map<std::string, HttpEndpoint::Handler> pages;
  pages["/wallboard"] = [](const HttpRequest&) {
    HttpResponse response;
    response.content_type = "text/html; charset=utf-8";
    response.body = kPage;
    return response;
  };
  pages["/wallboard/events"] = [engine](const HttpRequest& request) -> HttpResponse {
    const Engine* serving = engine();
    if (serving == nullptr) return Plain(503, "omniroute-server is starting or stopping\n");
    std::variant<std::string, HttpResponse> tenant = TenantOf(request);
    if (auto* refusal = std::get_if<HttpResponse>(&tenant)) return *refusal;
    const std::string id = std::get<std::string>(tenant);
    absl::StatusOr<std::string> figures = WallboardFigures(*serving, id);
    if (!figures.ok()) {
      if (figures.status().code() == absl::StatusCode::kNotFound) {
        return Plain(404, absl::StrCat("tenant: \"", id, "\" is not served here\n"));
      }
      return Plain(503, absl::StrCat("tenant: \"", id, "\": ", figures.status().message(), "\n"));
    }
    HttpResponse response;
    response.events = [engine, id, last = *std::move(figures)](EventSink& sink) mutable {
      if (!sink.Send(last)) return;
      absl::Duration silent = absl::ZeroDuration();
      while (sink.Wait(kReadEvery)) {
        const Engine* serving = engine();
        if (serving == nullptr) return;
        absl::StatusOr<std::string> now = WallboardFigures(*serving, id);
        // The tenant left this node: the page reconnects, and is told.
        if (!now.ok()) return;
        if (*now == last) {
          silent += kReadEvery;
          if (silent >= kKeepAliveEvery) {
            if (!sink.KeepAlive()) return;
            silent = absl::ZeroDuration();
          }
          continue;
        }
        last = *std::move(now);
        silent = absl::ZeroDuration();
        if (!sink.Send(last)) return;
      }
    };
    return response;
  };
  return pages;
}

namespace {

// Cells are filled with textContent, never as HTML: queue ids and figures
// are shown as text whatever they hold.
const char kPage[] = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>omniroute wallboard</title>
<style>
  body { margin: 0; background: #101214; color: #eceff1; font-family: system-ui, sans-serif; }
  header { display: flex; justify-content: space-between; align-items: baseline;
           padding: 1rem 2rem; font-size: 2.2rem; }
  #status { font-size: 1.4rem; color: #90a4ae; }
  #status.stale { color: #ff6e6e; }
  table { width: 100%; border-collapse: collapse; font-size: 2.4rem; }
  th { font-size: 1.1rem; color: #90a4ae; font-weight: normal; text-align: right;
       padding: .5rem 1rem; }
  td { padding: .7rem 1rem; text-align: right; border-top: 1px solid #2a2f33;
       font-variant-numeric: tabular-nums; }
  th:first-child, td:first-child { text-align: left; }
  .good { color: #69f0ae; } .warn { color: #ffd54f; } .bad { color: #ff5252; }
  footer { padding: 1rem 2rem; font-size: 1.6rem; color: #b0bec5; }
</style>
</head>
<body>
<header><span id="tenant"></span><span id="status">connecting</span></header>
<table>
<thead><tr>
  <th>Queue</th><th>Waiting</th><th>Longest wait</th><th>Service level (15 min)</th>
  <th>Speed of answer</th><th>Abandoned</th><th>Available</th><th>Busy</th>
  <th>Wrap-up</th><th>Away</th><th>A new task waits</th>
</tr></thead>
<tbody id="queues"></tbody>
</table>
<footer id="agents"></footer>
<script>
"use strict";
const FIELDS = ["queue", "waiting", "longest_wait", "service_level", "speed_of_answer",
                "abandoned", "agents_available", "agents_busy", "agents_wrapping_up",
                "agents_away", "new_task_wait"];
const tenant = new URLSearchParams(location.search).get("tenant") || "";
document.getElementById("tenant").textContent = tenant || "Add ?tenant=ID to the address";

// "75.5s" (protobuf's JSON for a Duration) as m:ss or h:mm:ss.
function clock(duration) {
  if (!duration) return "\u2013";
  const total = Math.round(parseFloat(duration));
  const h = Math.floor(total / 3600), m = Math.floor(total % 3600 / 60), s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return (h > 0 ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
}

function cell(row, field, text, tone) {
  const td = row.querySelector('[data-field="' + field + '"]');
  td.textContent = text;
  td.className = tone || "";
}

function render(doc) {
  const body = document.getElementById("queues");
  const shown = new Set();
  for (const q of doc.statistics.queues || []) {
    const id = "queue-" + q.queue_id;
    shown.add(id);
    let row = document.getElementById(id);
    if (!row) {
      row = document.createElement("tr");
      row.id = id;
      for (const field of FIELDS) {
        const td = document.createElement("td");
        td.dataset.field = field;
        row.appendChild(td);
      }
      body.appendChild(row);
    }
    const w = q.last_15_minutes || {};
    const level = typeof w.service_level === "number" ? w.service_level : null;
    const waits = (q.channels || [])
        .filter(c => c.new_task_wait && c.new_task_wait.wait)
        .map(c => clock(c.new_task_wait.wait));
    cell(row, "queue", q.queue_id);
    cell(row, "waiting", String(q.waiting), q.waiting > 0 ? "warn" : "");
    cell(row, "longest_wait", clock(q.longest_wait));
    cell(row, "service_level", level === null ? "\u2013" : Math.round(level * 100) + "%",
         level === null ? "" : level >= 0.8 ? "good" : level >= 0.6 ? "warn" : "bad");
    cell(row, "speed_of_answer", clock(w.average_speed_of_answer));
    cell(row, "abandoned", String(Number(w.abandoned || 0)));
    cell(row, "agents_available", String(q.agents_available));
    cell(row, "agents_busy", String(q.agents_busy));
    cell(row, "agents_wrapping_up", String(q.agents_wrapping_up));
    cell(row, "agents_away", String(q.agents_away));
    cell(row, "new_task_wait", waits.length > 0 ? waits.join(" / ") : "\u2013");
  }
  for (const row of Array.from(body.children)) {
    if (!shown.has(row.id)) row.remove();
  }
  const a = doc.agents || {};
  document.getElementById("agents").textContent =
      "Agents: " + (a.available || 0) + " available \u00b7 " + (a.busy || 0) + " busy \u00b7 " +
      (a.away || 0) + " away \u00b7 " + (a.offline || 0) + " offline";
  const status = document.getElementById("status");
  status.classList.remove("stale");
  const at = doc.statistics.at ? new Date(doc.statistics.at) : new Date();
  status.textContent = "updated " + at.toLocaleTimeString();
}

if (tenant) {
  const source = new EventSource("/wallboard/events?tenant=" + encodeURIComponent(tenant));
  source.onmessage = event => render(JSON.parse(event.data));
  source.onerror = () => {
    const status = document.getElementById("status");
    status.textContent = "reconnecting";
    status.classList.add("stale");
  };
}
</script>
</body>
</html>
)html";

}  // namespace
}  // namespace omniroute::service
