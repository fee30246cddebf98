// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The wallboard's pages on the metrics listener (lib/service/wallboard.h),
// read over real HTTP from an in-process server: the page, the event
// stream's first event and the next one after an ingest, the refusals
// (missing or unknown tenant, too many streams), and a stream ended by the
// server's shutdown. The page in a browser: tests/wallboard.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/http_endpoint.h"
#include "service/server.h"
#include "service_test_support.h"

namespace omniroute::service_test {
namespace {

constexpr char kTenant[] = "board";

// One GET on 127.0.0.1:port, its connection kept open for reading.
class HttpConnection {
 public:
  HttpConnection(int port, const std::string& target) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{20, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return;
    const std::string request =
        absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    connected_ = write(fd_, request.data(), request.size()) == static_cast<ssize_t>(request.size());
  }
  ~HttpConnection() {
    if (fd_ >= 0) close(fd_);
  }

  // Reads until `delimiter` has arrived after what earlier calls returned;
  // returns what came before it, or nullopt if the connection ended (or 20 s
  // passed) first.
  std::optional<std::string> ReadUntil(const std::string& delimiter) {
    for (;;) {
      const size_t at = buffer_.find(delimiter);
      if (at != std::string::npos) {
        std::string out = buffer_.substr(0, at);
        buffer_.erase(0, at + delimiter.size());
        return out;
      }
      if (!connected_) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  std::optional<std::string> ReadHead() {
    head_read_ = true;
    return ReadUntil("\r\n\r\n");
  }

  // Everything until the server closes the connection.
  std::string ReadToEnd() {
    for (;;) {
      char chunk[4096];
      const ssize_t n = connected_ ? read(fd_, chunk, sizeof(chunk)) : 0;
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return std::move(buffer_);
  }

  // The next server-sent event's data (the response's head and comments
  // skipped).
  std::optional<std::string> NextEvent() {
    if (!head_read_) {
      if (!ReadUntil("\r\n\r\n").has_value()) return std::nullopt;
      head_read_ = true;
    }
    for (;;) {
      std::optional<std::string> event = ReadUntil("\n\n");
      if (!event.has_value()) return std::nullopt;
      if (absl::StartsWith(*event, "data: ")) return event->substr(6);
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool head_read_ = false;
  std::string buffer_;
};

class WallboardTest : public ServiceTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    options.metrics_listen = "127.0.0.1:0";
  }

  void SetUpTenant() {
    CreateTenant(kTenant);
    UpsertQueue(kTenant, Queue("email", {v1::CHANNEL_EMAIL}));
    v1::RoutingSettings routing;
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "email");
    ConfigureRouting(kTenant, routing);
  }

  int port() const { return server_->metrics_port(); }
};

TEST_F(WallboardTest, ServesThePage) {
  HttpConnection page(port(), "/wallboard?tenant=board");
  const std::string reply = page.ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 200")) << reply.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(reply, "Content-Type: text/html")) << reply.substr(0, 300);
  EXPECT_TRUE(absl::StrContains(reply, "new EventSource(\"/wallboard/events?tenant=\""));
}

TEST_F(WallboardTest, TheStreamSendsTheFiguresThenEachChange) {
  SetUpTenant();
  HttpConnection stream(port(), "/wallboard/events?tenant=board");
  std::optional<std::string> headers = stream.ReadHead();
  ASSERT_TRUE(headers.has_value());
  EXPECT_TRUE(absl::StartsWith(*headers, "HTTP/1.1 200")) << *headers;
  EXPECT_TRUE(absl::StrContains(*headers, "Content-Type: text/event-stream")) << *headers;

  std::optional<std::string> first = stream.NextEvent();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(absl::StartsWith(*first, "{\"tenant\":\"board\",\"statistics\":{")) << *first;
  EXPECT_TRUE(absl::StrContains(*first, "\"queue_id\":\"email\"")) << *first;
  EXPECT_TRUE(absl::StrContains(*first, "\"waiting\":0")) << *first;
  EXPECT_TRUE(absl::StrContains(*first, "\"agents\":{\"available\":0,\"busy\":0,\"away\":0,"
                                        "\"offline\":0}"))
      << *first;

  // The manual clock stands still: the next event is the email's.
  Ingest(EmailMessage(kTenant, "ann@example.com", "mail-1", "Where is my parcel?"));
  std::optional<std::string> next = stream.NextEvent();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(absl::StrContains(*next, "\"waiting\":1")) << *next;
  EXPECT_TRUE(absl::StrContains(*next, "\"offered\":\"1\"")) << "last_15_minutes: " << *next;
}

TEST_F(WallboardTest, RefusesAMissingOrUnknownTenant) {
  HttpConnection missing(port(), "/wallboard/events");
  const std::string no_tenant = missing.ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(no_tenant, "HTTP/1.1 400")) << no_tenant;
  EXPECT_TRUE(absl::StrContains(no_tenant, "tenant: required")) << no_tenant;

  // Percent-encoded like a browser's: "no body" is decoded and named.
  HttpConnection unknown(port(), "/wallboard/events?tenant=no%20body");
  const std::string not_here = unknown.ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(not_here, "HTTP/1.1 404")) << not_here;
  EXPECT_TRUE(absl::StrContains(not_here, "tenant: \"no body\" is not served here")) << not_here;
}

TEST_F(WallboardTest, StreamsBeyondTheLimitAreRefusedAndShutdownEndsTheOthers) {
  SetUpTenant();
  std::vector<std::unique_ptr<HttpConnection>> open;
  for (int i = 0; i < service::kMaxEventStreams; ++i) {
    auto stream =
        std::make_unique<HttpConnection>(port(), "/wallboard/events?tenant=board");
    // Its first event: the stream holds its thread now.
    ASSERT_TRUE(stream->NextEvent().has_value()) << "stream " << i;
    open.push_back(std::move(stream));
  }
  HttpConnection one_more(port(), "/wallboard/events?tenant=board");
  const std::string refused = one_more.ReadToEnd();
  EXPECT_TRUE(absl::StartsWith(refused, "HTTP/1.1 503")) << refused;
  // The metrics page is still served beside them.
  HttpConnection metrics(port(), "/metrics");
  EXPECT_TRUE(absl::StartsWith(metrics.ReadToEnd(), "HTTP/1.1 200"));

  // Shutdown ends every stream: each connection reaches its end.
  server_->Shutdown();
  for (auto& stream : open) EXPECT_FALSE(stream->NextEvent().has_value());
}

}  // namespace
}  // namespace omniroute::service_test
