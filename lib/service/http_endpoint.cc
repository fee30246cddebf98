// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/http_endpoint.h"

#include <arpa/inet.h>

#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "civetweb.h"

namespace omniroute::service {
namespace {

// civetweb's global initialisation, once per process (its contexts are
// independent after that).
void InitCivetweb() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

absl::Status CheckAddress(const std::string& field, const std::string& address) {
  const size_t colon = address.rfind(':');
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", address, "\": ", why,
                     " (expected an IPv4 a.b.c.d:port or IPv6 [address]:port; port 0 picks "
                     "a free one)"));
  };
  if (colon == std::string::npos || colon == 0) return bad("no host:port");
  int port = 0;
  if (!absl::SimpleAtoi(absl::string_view(address).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return bad("the port is not a number from 0 to 65535");
  }
  const std::string host = address.substr(0, colon);
  unsigned char buffer[16];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buffer) != 1) {
      return bad("not an IPv6 address");
    }
  } else if (inet_pton(AF_INET, host.c_str(), buffer) != 1) {
    return bad("the host is not an IP address");
  }
  return absl::OkStatus();
}

void Send(struct mg_connection* connection, const HttpResponse& response, bool with_body) {
  const char* reason = response.status == 200   ? "OK"
                       : response.status == 404 ? "Not Found"
                       : response.status == 405 ? "Method Not Allowed"
                                                : "Error";
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            response.status, reason, response.content_type.c_str(), response.body.size());
  if (with_body) mg_write(connection, response.body.data(), response.body.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const std::string& field, const std::string& address, std::map<std::string, Handler> handlers) {
  if (absl::Status s = CheckAddress(field, address); !s.ok()) return s;
  InitCivetweb();
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(std::move(handlers)));
  const char* options[] = {
      "listening_ports", address.c_str(),     "num_threads", "2",    "request_timeout_ms",
      "10000",           "enable_keep_alive", "no",          nullptr};
  struct mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  // civetweb would print its errors to stderr; they are returned instead.
  callbacks.log_message = [](const struct mg_connection*, const char*) { return 1; };
  struct mg_init_data init;
  init.callbacks = &callbacks;
  init.user_data = endpoint.get();
  init.configuration_options = options;
  char error_text[256] = {0};
  unsigned error_code = 0;
  struct mg_error_data error;
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  endpoint->context_ = mg_start2(&init, &error);
  if (endpoint->context_ == nullptr) {
    return absl::UnavailableError(absl::StrCat(field, ": cannot listen on ", address, ": ",
                                               error_text[0] != 0 ? error_text : "unknown error",
                                               " (is the port in use?)"));
  }
  struct mg_server_port ports[4];
  std::memset(ports, 0, sizeof(ports));
  const int count = mg_get_server_ports(endpoint->context_, 4, ports);
  if (count < 1) {
    return absl::UnavailableError(
        absl::StrCat(field, ": listening on ", address, " but the port bound is unknown"));
  }
  endpoint->port_ = ports[0].port;
  mg_set_request_handler(endpoint->context_, "/", &HttpEndpoint::Serve, endpoint.get());
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() {
  if (context_ != nullptr) mg_stop(context_);
}

int HttpEndpoint::Serve(struct mg_connection* connection, void* data) {
  const HttpEndpoint& endpoint = *static_cast<const HttpEndpoint*>(data);
  const struct mg_request_info* request = mg_get_request_info(connection);
  const absl::string_view path = request->local_uri != nullptr ? request->local_uri : "";
  const auto it = endpoint.handlers_.find(std::string(path));
  HttpResponse response;
  if (it == endpoint.handlers_.end()) {
    response.status = 404;
    response.body = absl::StrCat("no such page: ", path, "\n");
  } else if (std::strcmp(request->request_method, "GET") != 0 &&
             std::strcmp(request->request_method, "HEAD") != 0) {
    response.status = 405;
    response.body = absl::StrCat(request->request_method, " is not served here; use GET\n");
  } else {
    response = it->second();
  }
  Send(connection, response, std::strcmp(request->request_method, "HEAD") != 0);
  // The status line's code, as civetweb's access log expects.
  return response.status;
}

}  // namespace omniroute::service
