// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The wallboard: a page for a wall screen that shows one tenant's queues as
// they are (waiting, longest wait, service level and speed of answer over
// 15 minutes, abandoned, agents by state, the estimated wait of a new task),
// and the event stream that keeps it current. Served on the metrics
// listener (HttpEndpoint):
//
//   GET /wallboard?tenant=T         the page (HTML, no external resources)
//   GET /wallboard/events?tenant=T  server-sent events: the figures as JSON
//                                   when the stream opens, then each time
//                                   they change, read every 500 ms
//
// A missing tenant is answered 400, one not served here 404, both naming
// the `tenant` parameter. The JSON is {"tenant", "statistics" (a
// GetQueueStatisticsResponse in protobuf's JSON form, field names as in
// the .proto), "agents" (by presence)}.

#ifndef OMNIROUTE_LIB_SERVICE_WALLBOARD_H_
#define OMNIROUTE_LIB_SERVICE_WALLBOARD_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "omniroute/engine.h"
#include "service/http_endpoint.h"

namespace omniroute::service {

// The wallboard's pages. `engine()` is the engine to read while the server
// serves, null otherwise (answered 503); it must outlive the endpoint.
std::map<std::string, HttpEndpoint::Handler> WallboardPages(std::function<const Engine*()> engine);

// The JSON document one event carries, as of now.
absl::StatusOr<std::string> WallboardFigures(const Engine& engine, const std::string& tenant);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_WALLBOARD_H_
