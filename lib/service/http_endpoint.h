// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// HttpEndpoint: a small HTTP/1.1 listener beside the gRPC port, for what
// plain HTTP clients read: Prometheus scrapes /metrics, a browser shows the
// wallboard. Built on civetweb (Debian's libcivetweb), so that parsing HTTP
// is left to a library that does only that.
//
// Only GET is served; each path's handler returns the whole body, which is
// sent with its content type and length, or a stream of server-sent events
// (text/event-stream) that lasts until the client goes or the endpoint
// stops. Unknown paths get 404, other methods 405; event streams beyond
// kMaxEventStreams at once get 503.
//
// Thread-safe. Handlers run on the endpoint's own threads, possibly at the
// same time, and must be thread-safe themselves; each open event stream
// holds one. The destructor stops listening, ends the event streams and
// waits for the requests being served.

#ifndef OMNIROUTE_LIB_SERVICE_HTTP_ENDPOINT_H_
#define OMNIROUTE_LIB_SERVICE_HTTP_ENDPOINT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct mg_context;
struct mg_connection;

namespace omniroute::service {

struct HttpRequest {
  std::string path;
  // The query string's parameters, percent-decoded; a name given twice
  // keeps its first value.
  std::map<std::string, std::string> query;
};

// Where an event stream's handler sends its events.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Sends one event (`data` on one or more data: lines). False once the
  // client has gone: the handler returns then.
  virtual bool Send(absl::string_view data) = 0;
  // A comment line, which the client ignores: finds out whether it is
  // still there when there is nothing to send. False once it has gone.
  virtual bool KeepAlive() = 0;
  // Waits `timeout`; false at once when the endpoint is stopping.
  virtual bool Wait(absl::Duration timeout) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Set: the answer is an event stream (status 200), run on the request's
  // thread until it returns; status, type and body are not used.
  std::function<void(EventSink&)> events;
};

// Event streams open at once on one endpoint.
inline constexpr int kMaxEventStreams = 8;

class HttpEndpoint {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Listens on `address` (IPv4 "a.b.c.d:port" or IPv6 "[addr]:port"; port
  // 0 picks a free one) and serves `handlers` by exact path. Errors name
  // `field` (the option or flag the address came from): INVALID_ARGUMENT
  // for an address that is not of that form, UNAVAILABLE when it cannot be
  // bound (in use, or not an address of this machine).
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(
      const std::string& field, const std::string& address,
      std::map<std::string, Handler> handlers);

  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The port bound (useful with port 0).
  int port() const { return port_; }

 private:
  class Sink;
  explicit HttpEndpoint(std::map<std::string, Handler> handlers) : handlers_(std::move(handlers)) {}
  static int Serve(struct mg_connection* connection, void* endpoint);
  void RunEvents(struct mg_connection* connection, const std::function<void(EventSink&)>& events);

  const std::map<std::string, Handler> handlers_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int event_streams_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_HTTP_ENDPOINT_H_
