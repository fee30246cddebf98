// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/http_endpoint.h"

#include <arpa/inet.h>

#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
                       : response.status == 400 ? "Bad Request"
                       : response.status == 404 ? "Not Found"
                       : response.status == 405 ? "Method Not Allowed"
                       : response.status == 503 ? "Service Unavailable"
                                                : "Error";
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            response.status, reason, response.content_type.c_str(), response.body.size());
  if (with_body) mg_write(connection, response.body.data(), response.body.size());
}

std::map<std::string, std::string> ParseQuery(const char* query) {
  std::map<std::string, std::string> out;
  if (query == nullptr) return out;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    const std::string raw_name(pair.substr(0, eq));
    const std::string raw_value(eq == absl::string_view::npos ? "" : pair.substr(eq + 1));
    std::string name(raw_name.size() + 1, '\0');
    std::string value(raw_value.size() + 1, '\0');
    const int n = mg_url_decode(raw_name.data(), static_cast<int>(raw_name.size()), name.data(),
                                static_cast<int>(name.size()), /*is_form_url_encoded=*/1);
    const int v = mg_url_decode(raw_value.data(), static_cast<int>(raw_value.size()), value.data(),
                                static_cast<int>(value.size()), 1);
    if (n < 0 || v < 0) continue;
    name.resize(static_cast<size_t>(n));
    value.resize(static_cast<size_t>(v));
    out.emplace(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace

class HttpEndpoint::Sink final : public EventSink {
 public:
  Sink(HttpEndpoint& endpoint, struct mg_connection* connection)
      : endpoint_(endpoint), connection_(connection) {}

  bool Send(absl::string_view data) override {
    std::string event;
    for (absl::string_view line : absl::StrSplit(data, '\n')) {
      absl::StrAppend(&event, "data: ", line, "\n");
    }
    event.push_back('\n');
    return mg_write(connection_, event.data(), event.size()) == static_cast<int>(event.size());
  }

  bool KeepAlive() override {
    static constexpr absl::string_view kComment = ":\n\n";
    return mg_write(connection_, kComment.data(), kComment.size()) ==
           static_cast<int>(kComment.size());
  }

  bool Wait(absl::Duration timeout) override {
    absl::MutexLock lock(&endpoint_.mu_);
    endpoint_.mu_.AwaitWithTimeout(absl::Condition(&endpoint_.stopping_), timeout);
    return !endpoint_.stopping_;
  }

 private:
  HttpEndpoint& endpoint_;
  struct mg_connection* const connection_;
};

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const std::string& field, const std::string& address, std::map<std::string, Handler> handlers) {
  if (absl::Status s = CheckAddress(field, address); !s.ok()) return s;
  InitCivetweb();
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(std::move(handlers)));
  // Two for pages and scrapes, beside the event streams.
  static const std::string kThreadCount = absl::StrCat(kMaxEventStreams + 2);
  const char* kThreads = kThreadCount.c_str();
  const char* options[] = {
      "listening_ports", address.c_str(),     "num_threads", kThreads,    "request_timeout_ms",
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
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (context_ != nullptr) mg_stop(context_);
}

void HttpEndpoint::RunEvents(struct mg_connection* connection,
                             const std::function<void(EventSink&)>& events) {
  bool admitted = false;
  {
    absl::MutexLock lock(&mu_);
    admitted = event_streams_ < kMaxEventStreams;
    if (admitted) ++event_streams_;
  }
  if (!admitted) {
    HttpResponse busy;
    busy.status = 503;
    busy.body = absl::StrCat("already ", kMaxEventStreams, " event streams open; try later\n");
    Send(connection, busy, true);
    return;
  }
  mg_printf(connection,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
  Sink sink(*this, connection);
  events(sink);
  absl::MutexLock lock(&mu_);
  --event_streams_;
}

int HttpEndpoint::Serve(struct mg_connection* connection, void* data) {
  HttpEndpoint& endpoint = *static_cast<HttpEndpoint*>(data);
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
    response = it->second(HttpRequest{std::string(path), ParseQuery(request->query_string)});
    if (response.events) {
      endpoint.RunEvents(connection, response.events);
      return 200;
    }
  }
  Send(connection, response, std::strcmp(request->request_method, "HEAD") != 0);
  // The status line's code, as civetweb's access log expects.
  return response.status;
}

}  // namespace omniroute::service
