// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// HttpEndpoint: a small HTTP/1.1 listener beside the gRPC port, for what
// plain HTTP clients read: Prometheus scrapes /metrics. Built on civetweb
// (Debian's libcivetweb), so that parsing HTTP is left to a library that
// does only that.
//
// Only GET is served; each path's handler returns the whole body, which is
// sent with its content type and length. Unknown paths get 404, other
// methods 405.
//
// Thread-safe. Handlers run on the endpoint's own threads (two), possibly
// at the same time, and must be thread-safe themselves. The destructor
// stops listening and waits for the requests being served.

#ifndef OMNIROUTE_LIB_SERVICE_HTTP_ENDPOINT_H_
#define OMNIROUTE_LIB_SERVICE_HTTP_ENDPOINT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace omniroute::service {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpEndpoint {
 public:
  using Handler = std::function<HttpResponse()>;

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
  explicit HttpEndpoint(std::map<std::string, Handler> handlers) : handlers_(std::move(handlers)) {}
  static int Serve(struct mg_connection* connection, void* endpoint);

  const std::map<std::string, Handler> handlers_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_HTTP_ENDPOINT_H_
