// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The server's Prometheus page (ServerOptions::metrics_listen): read over
// real HTTP from an in-process server while the test drives gRPC calls,
// checked by Debian's promtool, and each figure checked against what the
// test did. Also the listener's refusals: a port in use, a bad address, an
// unknown page, a method other than GET.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "service/http_endpoint.h"
#include "service/server.h"
#include "service_test_support.h"

namespace omniroute::service_test {
namespace {

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One HTTP/1.1 request to 127.0.0.1:port, read to the end (the endpoint
// closes each connection).
HttpReply HttpRequest(int port, const std::string& method, const std::string& path) {
  HttpReply reply;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return reply;
  }
  const std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return reply;
  }
  std::string response;
  char buffer[8192];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  const size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos) return reply;
  reply.headers = response.substr(0, end);
  reply.body = response.substr(end + 4);
  // "HTTP/1.1 200 OK"
  const std::vector<std::string> status_line = absl::StrSplit(reply.headers, ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &reply.status)) {
    reply.status = -1;
  }
  return reply;
}

// The value of the sample whose name and labels are exactly `series` (as
// written on the page, e.g. `omniroute_queue_waiting_tasks{tenant="t",queue="q"}`);
// nullopt if the page has no such line.
std::optional<double> Sample(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::StartsWith(line, series)) continue;
    absl::string_view rest = line.substr(series.size());
    if (rest.empty() || rest.front() != ' ') continue;
    double value = 0;
    if (absl::SimpleAtod(rest.substr(1), &value)) return value;
  }
  return std::nullopt;
}

// Runs promtool's linter on the page: its exit status and what it said.
std::pair<int, std::string> PromtoolCheck(const std::string& page) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      absl::StrCat("omniroute-metrics-", getpid(), "-",
                   ::testing::UnitTest::GetInstance()->random_seed(), ".txt");
  {
    std::ofstream out(file);
    out << page;
  }
  const std::string command = absl::StrCat("promtool check metrics < ", file.string(), " 2>&1");
  std::string said;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) said.append(buffer, n);
  const int status = pclose(pipe);
  std::filesystem::remove(file);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, said};
}

constexpr char kTenant[] = "metrics-tenant";

class MetricsTest : public ServiceTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    options.metrics_listen = "127.0.0.1:0";
  }

  std::string Scrape() {
    HttpReply reply = HttpRequest(server_->metrics_port(), "GET", "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.headers << "\n" << reply.body;
    EXPECT_TRUE(absl::StrContains(reply.headers, "text/plain; version=0.0.4")) << reply.headers;
    return reply.body;
  }

  // A tenant with a social queue, a rule that sends public posts there and
  // one agent, offline.
  void SetUpTenant() {
    CreateTenant(kTenant);
    UpsertQueue(kTenant, Queue("social", {v1::CHANNEL_PUBLIC_SOCIAL}));
    UpsertQueue(kTenant, Queue("email", {v1::CHANNEL_EMAIL}));
    v1::RoutingSettings routing;
    *routing.add_rules() = Rule("social", {v1::CHANNEL_PUBLIC_SOCIAL}, "social");
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "email");
    ConfigureRouting(kTenant, routing);
    UpsertAgent(kTenant, AgentWith("amira", {v1::CHANNEL_PUBLIC_SOCIAL}, {}, /*capacity=*/1));
  }

  static std::string QueueSeries(const char* family, const char* queue) {
    return absl::StrCat(family, "{tenant=\"", kTenant, "\",queue=\"", queue, "\"}");
  }
};

TEST_F(MetricsTest, ThePagePassesPromtoolAndItsFiguresFollowTheCalls) {
  ASSERT_GT(server_->metrics_port(), 0);
  SetUpTenant();
  const std::string ingest = "/omniroute.v1.ConversationService/IngestMessage";
  // prometheus-cpp writes a family's labels in name order.
  const std::string ok_ingests =
      absl::StrCat("omniroute_grpc_server_handled_total{code=\"OK\",method=\"", ingest, "\"}");
  const std::string bad_ingests = absl::StrCat(
      "omniroute_grpc_server_handled_total{code=\"INVALID_ARGUMENT\",method=\"", ingest, "\"}");

  std::string page = Scrape();
  EXPECT_EQ(Sample(page, ok_ingests), std::nullopt) << "no ingest yet";
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_waiting_tasks", "social")), 0);
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_longest_wait_seconds", "social")), 0);
  EXPECT_EQ(
      Sample(page, absl::StrCat("omniroute_agents{tenant=\"", kTenant, "\",presence=\"offline\"}")),
      1);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_agents{tenant=\"", kTenant,
                                      "\",presence=\"available\"}")),
            0);

  // Two public posts from two customers: two tasks wait in "social".
  Ingest(PublicPost(kTenant, "nadia", "post-1", "Where is my parcel?"));
  Ingest(PublicPost(kTenant, "omar", "post-2", "Still no refund."));
  // A refused call is counted under its code.
  v1::IngestMessageRequest bad = PublicPost(kTenant, "omar", "post-3", "again");
  bad.clear_channel();
  EXPECT_EQ(Invoke(*conversations_, &v1::ConversationService::Stub::IngestMessage, bad)
                .status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  clock_.Advance(absl::Seconds(30));

  page = Scrape();
  EXPECT_EQ(Sample(page, ok_ingests), 2);
  EXPECT_EQ(Sample(page, bad_ingests), 1);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_grpc_server_handling_seconds_count{method=\"",
                                      ingest, "\"}")),
            3);
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_waiting_tasks", "social")), 2);
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_waiting_tasks", "email")), 0);
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_longest_wait_seconds", "social")), 30);
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_tasks_entered_total", "social")), 2);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_offers_pending{tenant=\"", kTenant, "\"}")), 0);

  // The agent comes in: one of the tasks is offered to her.
  SetPresence(kTenant, "amira", v1::AGENT_PRESENCE_AVAILABLE);
  page = Scrape();
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_waiting_tasks", "social")), 1);
  EXPECT_EQ(Sample(page, QueueSeries("omniroute_queue_offered_tasks", "social")), 1);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_offers_pending{tenant=\"", kTenant, "\"}")), 1);
  EXPECT_EQ(
      Sample(page, absl::StrCat("omniroute_agents{tenant=\"", kTenant, "\",presence=\"offline\"}")),
      0);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_agents{tenant=\"", kTenant,
                                      "\",presence=\"available\"}")),
            1);
  // Holding an offer only, she is available for the social queue; the
  // email queue has nobody.
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_queue_agents{tenant=\"", kTenant,
                                      "\",queue=\"social\",state=\"available\"}")),
            1);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_queue_agents{tenant=\"", kTenant,
                                      "\",queue=\"email\",state=\"available\"}")),
            0);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_queue_window_answered_tasks{tenant=\"", kTenant,
                                      "\",queue=\"social\",window=\"15m\"}")),
            0);
  // She accepts after the 30 s the posts waited: one answer, 30 s to answer,
  // within target.
  const v1::Agent amira = GetAgent(kTenant, "amira");
  ASSERT_EQ(amira.offered_task_ids_size(), 1);
  Accept(kTenant, amira.offered_task_ids(0), "amira");
  page = Scrape();
  const std::string social_15m =
      absl::StrCat("{tenant=\"", kTenant, "\",queue=\"social\",window=\"15m\"}");
  EXPECT_EQ(Sample(page, "omniroute_queue_window_answered_tasks" + social_15m), 1);
  EXPECT_EQ(Sample(page, "omniroute_queue_average_speed_of_answer_seconds" + social_15m), 30);
  EXPECT_EQ(Sample(page, "omniroute_queue_service_level_ratio" + social_15m), 1);
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_queue_agents{tenant=\"", kTenant,
                                      "\",queue=\"social\",state=\"busy\"}")),
            1);
  // One answer is too few to estimate the wait of the post still waiting.
  EXPECT_EQ(Sample(page, absl::StrCat("omniroute_queue_estimated_wait_seconds{tenant=\"", kTenant,
                                      "\",queue=\"social\",channel=\"public_social\"}")),
            std::nullopt);
  // In memory there is no store write to time and no snapshot; the
  // process's own figures are there.
  EXPECT_EQ(Sample(page, "omniroute_snapshots_total{result=\"saved\"}"), 0);
  const std::optional<double> resident = Sample(page, "process_resident_memory_bytes");
  ASSERT_TRUE(resident.has_value());
  EXPECT_GT(*resident, 1 << 20);

  const auto [status, said] = PromtoolCheck(page);
  EXPECT_EQ(status, 0) << said << "\n" << page;
}

TEST_F(MetricsTest, OnlyGetOfTheMetricsPageIsServed) {
  const HttpReply missing = HttpRequest(server_->metrics_port(), "GET", "/no-such-page");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(absl::StrContains(missing.body, "/no-such-page")) << missing.body;
  const HttpReply post = HttpRequest(server_->metrics_port(), "POST", "/metrics");
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(absl::StrContains(post.body, "POST")) << post.body;
  const HttpReply head = HttpRequest(server_->metrics_port(), "HEAD", "/metrics");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

// On SQLite, each command's write to the store and each snapshot show.
class DurableMetricsTest : public MetricsTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    MetricsTest::Configure(options);
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("omniroute-metrics-test-", getpid(), "-", ++counter_);
    std::filesystem::remove_all(dir_);
    options.data_dir = dir_.string();
    options.durability = Durability::kNoSync;
  }
  void TearDown() override {
    MetricsTest::TearDown();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

TEST_F(DurableMetricsTest, StoreWritesAndSnapshotsAreCounted) {
  SetUpTenant();
  std::string page = Scrape();
  const std::optional<double> writes_before = Sample(page, "omniroute_store_write_events_count");
  const std::optional<double> events_before = Sample(page, "omniroute_store_write_events_sum");
  ASSERT_TRUE(writes_before.has_value());
  ASSERT_TRUE(events_before.has_value());
  const std::optional<double> last =
      Sample(page, absl::StrCat("omniroute_tenant_events{tenant=\"", kTenant, "\"}"));
  ASSERT_TRUE(last.has_value());
  // Every event of the tenant was written through a timed write.
  EXPECT_GE(*events_before, *last);

  Ingest(PublicPost(kTenant, "nadia", "post-1", "Where is my parcel?"));
  ASSERT_TRUE(server_->engine().TakeSnapshot(kTenant).ok());

  page = Scrape();
  const std::optional<double> events_after = Sample(page, "omniroute_store_write_events_sum");
  const std::optional<double> last_after =
      Sample(page, absl::StrCat("omniroute_tenant_events{tenant=\"", kTenant, "\"}"));
  ASSERT_TRUE(events_after.has_value());
  ASSERT_TRUE(last_after.has_value());
  EXPECT_GT(*last_after, *last);
  // The ingest's events (customer, identity, conversation, message, task...)
  // went through the store's write, counted once each.
  EXPECT_EQ(*events_after - *events_before, *last_after - *last);
  EXPECT_GT(*Sample(page, "omniroute_store_write_events_count"), *writes_before);
  EXPECT_EQ(Sample(page, "omniroute_store_write_failures_total"), 0);
  EXPECT_EQ(Sample(page, "omniroute_snapshots_total{result=\"saved\"}"), 1);
  EXPECT_EQ(Sample(page, "omniroute_snapshot_seconds_count"), 1);
  EXPECT_GT(*Sample(page, "omniroute_snapshot_last_bytes"), 0);
  EXPECT_EQ(Sample(page, "omniroute_snapshot_last_sequence"), *last_after);
  const auto [status, said] = PromtoolCheck(page);
  EXPECT_EQ(status, 0) << said;
}

TEST(MetricsListenerTest, APortInUseIsRefusedNamingTheOption) {
  absl::StatusOr<std::unique_ptr<service::HttpEndpoint>> first =
      service::HttpEndpoint::Start("metrics_listen", "127.0.0.1:0", {});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = absl::StrCat("127.0.0.1:", (*first)->port());

  service::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.metrics_listen = taken;
  absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable) << server.status();
  EXPECT_TRUE(absl::StrContains(server.status().message(), "metrics_listen")) << server.status();
  EXPECT_TRUE(absl::StrContains(server.status().message(), taken)) << server.status();
}

TEST(MetricsListenerTest, AnAddressThatIsNotHostAndPortIsRefusedNamingTheOption) {
  for (const char* address : {"localhost", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:http",
                              "example.com:9100", "[::1:9100", ":9100"}) {
    service::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.metrics_listen = address;
    absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
    ASSERT_FALSE(server.ok()) << address;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
        << address << ": " << server.status();
    EXPECT_TRUE(absl::StartsWith(server.status().message(), "metrics_listen: ")) << server.status();
  }
}

}  // namespace
}  // namespace omniroute::service_test
