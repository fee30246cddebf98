// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The real omniroute-server binary (tools/omniroute_server.cc), started as a
// child process on 127.0.0.1 port 0 with a temporary data directory and a
// --config_dir holding one tenant file (proto/omniroute/v1/config.proto):
// it answers the standard health check, serves the API, stops on SIGTERM
// with exit code 0, and a restart on the same data directory finds
// everything it acknowledged. A configuration file it cannot use makes it
// exit non-zero with the file and the line (or field) in its stderr.
//
// Waits are bounded and event-driven: inotify for the port file, a pidfd
// for the child's exit, WaitForConnected for the channel. Nothing sleeps.

#include "service/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "service/service_test_support.h"
#include "store/postgres_test_server.h"

extern char** environ;

namespace omniroute::service_test {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;


// The tenant configuration file of the test (text format).
constexpr char kAcmeConfig[] = R"pb(
  tenant_id: "acme"
  settings {
    default_country_code: "33"
    merge_threads_on_customer_merge: true
    thread_merge_window { seconds: 604800 }
    close_public_loop: true
  }
  queues {
    queue_id: "social"
    channels: [ CHANNEL_PUBLIC_SOCIAL, CHANNEL_PRIVATE_SOCIAL ]
    offer_timeout { seconds: 3600 }
  }
  queues {
    queue_id: "mail"
    channels: [ CHANNEL_EMAIL ]
    offer_timeout { seconds: 3600 }
  }
  routing {
    rules {
      name: "social"
      channels: [ CHANNEL_PUBLIC_SOCIAL, CHANNEL_PRIVATE_SOCIAL ]
      queue_id: "social"
    }
    rules {
      name: "email"
      channels: [ CHANNEL_EMAIL ]
      queue_id: "mail"
    }
  }
  agents {
    agent_id: "camille"
    channels: [ CHANNEL_PUBLIC_SOCIAL, CHANNEL_PRIVATE_SOCIAL, CHANNEL_EMAIL ]
    capacity: 4
  }
)pb";

class ServerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "omniroute-server-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << strerror(errno);
    dir_ = pattern;
    fs::create_directories(dir_ / "config");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::vector<std::string> Args() const {
    return {"--listen=127.0.0.1:0", absl::StrCat("--data_dir=", (dir_ / "data").string()),
            absl::StrCat("--port_file=", (dir_ / "port").string()),
            absl::StrCat("--config_dir=", (dir_ / "config").string())};
  }

  // Starts the server and connects stubs to it; false on failure.
  bool Connect(ServerProcess& server) {
    std::optional<int> port = server.WaitForPort(dir_ / "port");
    if (!port.has_value()) return false;
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + kRpcDeadline)) {
      ADD_FAILURE() << "cannot connect to port " << *port;
      return false;
    }
    tenants_ = v1::TenantService::NewStub(channel_);
    customers_ = v1::CustomerService::NewStub(channel_);
    conversations_ = v1::ConversationService::NewStub(channel_);
    routing_ = v1::RoutingService::NewStub(channel_);
    commitments_ = v1::CommitmentService::NewStub(channel_);
    events_ = v1::EventService::NewStub(channel_);
    return true;
  }

  // grpc.health.v1.Health/Check for the whole server, by a generic call:
  // the empty request is zero bytes, and HealthCheckResponse.status is
  // field 1 (SERVING = 1).
  int HealthStatus() {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    SetDeadline(context);
    const grpc::Slice empty(std::string{});
    const grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                   &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
    const grpc::Status status = done.get_future().get();
    EXPECT_TRUE(status.ok()) << Describe(status);
    std::vector<grpc::Slice> slices;
    if (!status.ok() || !response.Dump(&slices).ok()) return -1;
    std::string bytes;
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    google::protobuf::UnknownFieldSet fields;
    if (!fields.ParseFromString(bytes) || fields.field_count() != 1 ||
        fields.field(0).number() != 1 ||
        fields.field(0).type() != google::protobuf::UnknownField::TYPE_VARINT) {
      ADD_FAILURE() << "not a HealthCheckResponse: " << bytes.size() << " bytes";
      return -1;
    }
    return static_cast<int>(fields.field(0).varint());
  }

  // What a client can read back of the tenant, for comparing two runs.
  struct Snapshot {
    std::vector<std::string> tenants;
    v1::Customer customer;
    v1::Customer found;
    v1::Conversation conversation;
    v1::GetTimelineResponse timeline;
    v1::ConversationRouting routing;
    v1::Task task;
    v1::Agent agent;
    v1::Commitment commitment;
    uint64_t last_sequence = 0;
    std::vector<v1::Event> events;
  };

  Snapshot Read(uint64_t customer, uint64_t conversation, uint64_t task, uint64_t commitment) {
    Snapshot s;
    v1::ListTenantsResponse tenants =
        MustInvoke(*tenants_, &v1::TenantService::Stub::ListTenants, v1::ListTenantsRequest());
    s.tenants.assign(tenants.tenant_ids().begin(), tenants.tenant_ids().end());
    v1::GetCustomerRequest gc;
    gc.set_tenant_id("acme");
    gc.set_customer_id(customer);
    s.customer = MustInvoke(*customers_, &v1::CustomerService::Stub::GetCustomer, gc);
    v1::FindCustomerRequest fc;
    fc.set_tenant_id("acme");
    *fc.mutable_identity() = EmailId("PARENT@example.com");
    s.found = MustInvoke(*customers_, &v1::CustomerService::Stub::FindCustomer, fc);
    v1::GetConversationRequest cv;
    cv.set_tenant_id("acme");
    cv.set_conversation_id(conversation);
    s.conversation =
        MustInvoke(*conversations_, &v1::ConversationService::Stub::GetConversation, cv);
    v1::GetTimelineRequest tl;
    tl.set_tenant_id("acme");
    tl.set_conversation_id(conversation);
    s.timeline = MustInvoke(*conversations_, &v1::ConversationService::Stub::GetTimeline, tl);
    v1::GetConversationRoutingRequest cr;
    cr.set_tenant_id("acme");
    cr.set_conversation_id(conversation);
    s.routing = MustInvoke(*routing_, &v1::RoutingService::Stub::GetConversationRouting, cr);
    v1::GetTaskRequest gt;
    gt.set_tenant_id("acme");
    gt.set_task_id(task);
    s.task = MustInvoke(*routing_, &v1::RoutingService::Stub::GetTask, gt);
    v1::GetAgentRequest ga;
    ga.set_tenant_id("acme");
    ga.set_agent_id("camille");
    s.agent = MustInvoke(*routing_, &v1::RoutingService::Stub::GetAgent, ga);
    v1::GetCommitmentRequest gm;
    gm.set_tenant_id("acme");
    gm.set_commitment_id(commitment);
    s.commitment = MustInvoke(*commitments_, &v1::CommitmentService::Stub::GetCommitment, gm);
    v1::GetLastSequenceRequest ls;
    ls.set_tenant_id("acme");
    s.last_sequence = MustInvoke(*events_, &v1::EventService::Stub::GetLastSequence, ls).sequence();
    grpc::ClientContext context;
    SetDeadline(context);
    v1::WatchEventsRequest w;
    w.set_tenant_id("acme");
    w.set_from_sequence(1);
    auto stream = events_->WatchEvents(&context, w);
    v1::Event e;
    while (s.events.size() < s.last_sequence && stream->Read(&e)) s.events.push_back(e);
    context.TryCancel();
    stream->Finish();
    EXPECT_EQ(s.events.size(), s.last_sequence);
    return s;
  }

  fs::path dir_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TenantService::Stub> tenants_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::ConversationService::Stub> conversations_;
  std::unique_ptr<v1::RoutingService::Stub> routing_;
  std::unique_ptr<v1::CommitmentService::Stub> commitments_;
  std::unique_ptr<v1::EventService::Stub> events_;
};

void ExpectSame(const google::protobuf::Message& before, const google::protobuf::Message& after) {
  EXPECT_TRUE(MessageDifferencer::Equals(before, after))
      << "before: " << before.ShortDebugString() << "\nafter:  " << after.ShortDebugString();
}

TEST_F(ServerProcessTest, ServesStopsOnSigtermAndARestartFindsEverything) {
  WriteFile(dir_ / "config" / "acme.textproto", kAcmeConfig);
  uint64_t customer = 0, conversation = 0, task = 0, commitment = 0;
  Snapshot before;
  {
    ServerProcess server(Args(), dir_ / "first.log");
    ASSERT_TRUE(Connect(server));
    EXPECT_EQ(HealthStatus(), 1) << "SERVING";

    // The configuration file made the tenant, its queues and its agent.
    v1::GetQueueRequest gq;
    gq.set_tenant_id("acme");
    gq.set_queue_id("mail");
    EXPECT_EQ(MustInvoke(*routing_, &v1::RoutingService::Stub::GetQueue, gq).channels_size(), 1);
    v1::SetAgentPresenceRequest presence;
    presence.set_tenant_id("acme");
    presence.set_agent_id("camille");
    presence.set_presence(v1::AGENT_PRESENCE_AVAILABLE);
    MustInvoke(*routing_, &v1::RoutingService::Stub::SetAgentPresence, presence);

    const v1::IngestMessageResponse post =
        MustInvoke(*conversations_, &v1::ConversationService::Stub::IngestMessage,
                   PublicPost("acme", "@Parent", "post-881", "Sealed jar of baby food, spoiled."));
    const v1::IngestMessageResponse email = MustInvoke(
        *conversations_, &v1::ConversationService::Stub::IngestMessage,
        EmailMessage("acme", "parent@example.com", "<cafe01@example.com>", "Batch 4411"));
    ASSERT_EQ(post.task().offer().agent_id(), "camille");
    v1::OfferAnswerRequest accept;
    accept.set_tenant_id("acme");
    accept.set_task_id(post.task().task_id());
    accept.set_agent_id("camille");
    MustInvoke(*routing_, &v1::RoutingService::Stub::AcceptOffer, accept);
    MustInvoke(*conversations_, &v1::ConversationService::Stub::RecordOutbound,
               Outbound("acme", post.conversation_id(), v1::CHANNEL_PUBLIC_SOCIAL, "post-882",
                        "camille", "Please send us your details."));
    v1::LinkIdentityRequest link;
    link.set_tenant_id("acme");
    link.set_customer_id(post.customer_id());
    *link.mutable_identity() = EmailId("parent@example.com");
    *link.mutable_actor() = AgentActor("camille");
    const v1::LinkIdentityResponse linked =
        MustInvoke(*customers_, &v1::CustomerService::Stub::LinkIdentity, link);
    EXPECT_EQ(linked.absorbed_customer_id(), email.customer_id());
    v1::RecordCommitmentRequest promise;
    promise.set_tenant_id("acme");
    promise.set_conversation_id(post.conversation_id());
    promise.set_kind(v1::COMMITMENT_KIND_FOLLOW_UP);
    promise.set_description("send the lab results");
    *promise.mutable_due_at() = ToTimestamp(absl::Now() + absl::Hours(24 * 14));
    *promise.mutable_actor() = AgentActor("camille");
    commitment = MustInvoke(*commitments_, &v1::CommitmentService::Stub::RecordCommitment, promise)
                     .commitment_id();
    customer = post.customer_id();
    conversation = post.conversation_id();
    task = post.task().task_id();
    before = Read(customer, conversation, task, commitment);
    EXPECT_THAT(before.tenants, Contains("acme"));
    EXPECT_EQ(before.timeline.entries_size(), 3);

    std::optional<int> code = server.Terminate();
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << server.log();
  }
  if (HasFailure()) return;

  // Same data directory, same configuration: everything is there, and the
  // configuration, already applied, adds no event.
  fs::remove(dir_ / "port");
  ServerProcess again(Args(), dir_ / "second.log");
  ASSERT_TRUE(Connect(again));
  EXPECT_EQ(HealthStatus(), 1) << "SERVING";
  const Snapshot after = Read(customer, conversation, task, commitment);
  EXPECT_EQ(after.tenants, before.tenants);
  ExpectSame(before.customer, after.customer);
  ExpectSame(before.found, after.found);
  ExpectSame(before.conversation, after.conversation);
  ExpectSame(before.timeline, after.timeline);
  ExpectSame(before.routing, after.routing);
  ExpectSame(before.task, after.task);
  ExpectSame(before.agent, after.agent);
  ExpectSame(before.commitment, after.commitment);
  EXPECT_EQ(after.last_sequence, before.last_sequence);
  ASSERT_EQ(after.events.size(), before.events.size());
  for (size_t i = 0; i < before.events.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(before.events[i], after.events[i])) << "event " << i + 1;
  }

  // It goes on from there.
  const v1::IngestMessageResponse more =
      MustInvoke(*conversations_, &v1::ConversationService::Stub::IngestMessage,
                 EmailMessage("acme", "parent@example.com", "<cafe02@example.com>", "Any news?"));
  EXPECT_EQ(more.customer_id(), customer);
  EXPECT_FALSE(more.customer_created());
  v1::GetLastSequenceRequest ls;
  ls.set_tenant_id("acme");
  EXPECT_GT(MustInvoke(*events_, &v1::EventService::Stub::GetLastSequence, ls).sequence(),
            before.last_sequence);
  std::optional<int> code = again.Terminate();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << again.log();
}

// SIGTERM while clients follow the change feed and an offer stream: the
// server still stops with exit code 0 (streams in flight are ended after
// the shutdown grace), and the streams end instead of hanging.
TEST_F(ServerProcessTest, StopsOnSigtermWhileStreamsAreOpen) {
  WriteFile(dir_ / "config" / "acme.textproto", kAcmeConfig);
  ServerProcess server(Args(), dir_ / "server.log");
  ASSERT_TRUE(Connect(server));
  grpc::ClientContext watch_context;
  SetDeadline(watch_context, kStopTimeout);
  v1::WatchEventsRequest watch;
  watch.set_tenant_id("acme");
  watch.set_from_sequence(1);
  auto events = events_->WatchEvents(&watch_context, watch);
  v1::Event event;
  ASSERT_TRUE(events->Read(&event));
  EXPECT_EQ(event.sequence(), 1u);
  grpc::ClientContext offers_context;
  SetDeadline(offers_context, kStopTimeout);
  v1::StreamOffersRequest offers_request;
  offers_request.set_tenant_id("acme");
  offers_request.set_agent_id("camille");
  auto offers = routing_->StreamOffers(&offers_context, offers_request);

  std::optional<int> code = server.Terminate();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << server.log();
  // Whatever was still buffered, each stream then ends with an error.
  while (events->Read(&event)) {
  }
  EXPECT_FALSE(events->Finish().ok());
  v1::OfferUpdate update;
  while (offers->Read(&update)) {
  }
  EXPECT_FALSE(offers->Finish().ok());
}

// A configuration file the server cannot use: it exits non-zero, without
// listening, and says where the problem is.
struct BadConfig {
  const char* name;
  const char* text;
  // Expected in stderr, after the file's path.
  const char* where;
};

class BadConfigTest : public ServerProcessTest, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(BadConfigTest, ExitsNonZeroNamingTheFileAndLine) {
  const fs::path file = dir_ / "config" / "broken.textproto";
  WriteFile(file, GetParam().text);
  ServerProcess server(Args(), dir_ / "server.log");
  std::optional<int> status = server.WaitForExit(kStartTimeout);
  ASSERT_TRUE(status.has_value()) << "still running:\n" << server.log();
  ASSERT_TRUE(WIFEXITED(*status)) << server.log();
  EXPECT_NE(WEXITSTATUS(*status), 0) << server.log();
  EXPECT_THAT(server.log(), HasSubstr(absl::StrCat(file.string(), GetParam().where)));
  EXPECT_FALSE(fs::exists(dir_ / "port"));
}

INSTANTIATE_TEST_SUITE_P(Files, BadConfigTest,
                         ::testing::Values(BadConfig{"SyntaxError",
                                                     "tenant_id: \"broken\"\n"
                                                     "queues {\n"
                                                     "  queue_id: \"mail\"\n"
                                                     "  base_priority: ten\n"
                                                     "}\n",
                                                     ":4:"},
                                           BadConfig{"UnknownField",
                                                     "tenant_id: \"broken\"\n"
                                                     "colour: \"blue\"\n",
                                                     ":2:"},
                                           BadConfig{"QueueWithoutChannels",
                                                     "tenant_id: \"broken\"\n"
                                                     "queues { queue_id: \"mail\" }\n",
                                                     ": queues[0]: "},
                                           BadConfig{"QueueListedTwice",
                                                     "tenant_id: \"broken\"\n"
                                                     "queues { queue_id: \"mail\" channels: "
                                                     "CHANNEL_EMAIL }\n"
                                                     "queues { queue_id: \"mail\" channels: "
                                                     "CHANNEL_VOICE }\n",
                                                     ": queues[1].queue_id: \"mail\" is listed "
                                                     "already (queues[0])"},
                                           BadConfig{"AgentListedTwice",
                                                     "tenant_id: \"broken\"\n"
                                                     "agents { agent_id: \"paul\" channels: "
                                                     "CHANNEL_EMAIL capacity: 2 }\n"
                                                     "agents { agent_id: \"paul\" channels: "
                                                     "CHANNEL_VOICE capacity: 4 }\n",
                                                     ": agents[1].agent_id: \"paul\" is listed "
                                                     "already (agents[0])"}),
                         [](const ::testing::TestParamInfo<BadConfig>& info) {
                           return std::string(info.param.name);
                         });

// A flag the server cannot use: exit code 2, without listening, naming the
// flag and what is wrong with it.
TEST_F(ServerProcessTest, BadFlagsExitWithCode2NamingTheFlag) {
  struct Case {
    std::string flag;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"--snapshot_every_events=-1", "--snapshot_every_events: must be >= 0 (0: never), got -1"},
      {"--durability=sometimes", "--durability: \"sometimes\" must be sync, periodic or none"},
      {"--max_message_bytes=0", "--max_message_bytes: must be positive"},
      {"--store=mysql://db", "--store: must be a postgresql:// URI"},
      {"--auth=maybe", "--auth: \"maybe\" is not one of required, none, auto"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> args = Args();
    args.push_back(cases[i].flag);
    ServerProcess server(args, dir_ / absl::StrCat("bad", i, ".log"));
    std::optional<int> status = server.WaitForExit(kStartTimeout);
    ASSERT_TRUE(status.has_value()) << cases[i].flag << ": still running:\n" << server.log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << cases[i].flag << ":\n"
                                                                 << server.log();
    EXPECT_THAT(server.log(), HasSubstr(cases[i].says)) << cases[i].flag;
    EXPECT_FALSE(fs::exists(dir_ / "port")) << cases[i].flag;
  }
}

// A tenant limit the server cannot use: it does not start, and says which.
TEST_F(ServerProcessTest, ABadTenantLimitIsRefusedNamingTheFlag) {
  std::vector<std::string> args = Args();
  args.push_back("--tenant_requests_per_second=-5");
  ServerProcess server(args, dir_ / "server.log");
  std::optional<int> status = server.WaitForExit(kStartTimeout);
  ASSERT_TRUE(status.has_value()) << "still running:\n" << server.log();
  ASSERT_TRUE(WIFEXITED(*status)) << server.log();
  EXPECT_NE(WEXITSTATUS(*status), 0) << server.log();
  EXPECT_THAT(server.log(), HasSubstr("tenant_requests_per_second: must be a number >= 0"));
  EXPECT_FALSE(fs::exists(dir_ / "port"));
}

// ------------------------------------------------------------ --metrics_listen

// The binary serves its metrics where --metrics_listen says and writes the
// port bound to --metrics_port_file; a second server asked for the same
// port exits 1 naming the flag and the address, before listening on gRPC.
TEST_F(ServerProcessTest, ServesMetricsAndAMetricsPortInUseExitsNamingTheFlag) {
  std::vector<std::string> args = Args();
  args.push_back("--metrics_listen=127.0.0.1:0");
  args.push_back(absl::StrCat("--metrics_port_file=", (dir_ / "metrics-port").string()));
  ServerProcess server(args, dir_ / "server.log");
  ASSERT_TRUE(Connect(server));
  std::optional<int> metrics_port = server.WaitForPort(dir_ / "metrics-port");
  ASSERT_TRUE(metrics_port.has_value());
  EXPECT_THAT(server.log(), HasSubstr(absl::StrCat("metrics on port ", *metrics_port)));
  {
    // A scrape over plain HTTP: the page lists the process's memory.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(*metrics_port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    std::string page;
    char buffer[8192];
    for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) page.append(buffer, n);
    close(fd);
    EXPECT_THAT(page, AllOf(HasSubstr("HTTP/1.1 200"), HasSubstr("process_resident_memory_bytes")));
  }

  const fs::path second_dir = dir_ / "second";
  fs::create_directories(second_dir);
  const std::string taken = absl::StrCat("127.0.0.1:", *metrics_port);
  ServerProcess second(
      {"--listen=127.0.0.1:0", absl::StrCat("--data_dir=", (second_dir / "data").string()),
       absl::StrCat("--port_file=", (second_dir / "port").string()),
       absl::StrCat("--metrics_listen=", taken)},
      dir_ / "second.log");
  std::optional<int> status = second.WaitForExit(kStartTimeout);
  ASSERT_TRUE(status.has_value()) << "still running:\n" << second.log();
  ASSERT_TRUE(WIFEXITED(*status)) << second.log();
  EXPECT_EQ(WEXITSTATUS(*status), 1) << second.log();
  EXPECT_THAT(second.log(), AllOf(HasSubstr("metrics_listen"), HasSubstr(taken)));
  EXPECT_FALSE(fs::exists(second_dir / "port"));
}

// ------------------------------------------------------------ --store

TEST_F(ServerProcessTest, AWrongOrUnreachableStoreExitsNonZeroWithAClearMessage) {
  {
    ServerProcess server({"--listen=127.0.0.1:0", "--store=mysql://db/events"},
                         dir_ / "scheme.log");
    std::optional<int> status = server.WaitForExit(kStartTimeout);
    ASSERT_TRUE(status.has_value()) << "still running:\n" << server.log();
    ASSERT_TRUE(WIFEXITED(*status)) << server.log();
    EXPECT_EQ(WEXITSTATUS(*status), 2) << server.log();
    EXPECT_THAT(server.log(), HasSubstr("--store: must be a postgresql:// URI"));
  }
  // No server listens in an empty directory.
  const fs::path nowhere = dir_ / "no-server";
  fs::create_directories(nowhere);
  ServerProcess server(
      {"--listen=127.0.0.1:0",
       absl::StrCat("--store=postgresql://app:hunter2@/events?host=", nowhere.string()),
       absl::StrCat("--port_file=", (dir_ / "port").string())},
      dir_ / "unreachable.log");
  std::optional<int> status = server.WaitForExit(kStartTimeout);
  ASSERT_TRUE(status.has_value()) << "still running:\n" << server.log();
  ASSERT_TRUE(WIFEXITED(*status)) << server.log();
  EXPECT_EQ(WEXITSTATUS(*status), 1) << server.log();
  EXPECT_THAT(server.log(), AllOf(HasSubstr("UNAVAILABLE"), HasSubstr("cannot connect to PostgreSQL"),
                                  HasSubstr(nowhere.string()), HasSubstr("database events"),
                                  Not(HasSubstr("hunter2"))));
  EXPECT_FALSE(fs::exists(dir_ / "port"));
}

TEST_F(ServerProcessTest, ServesOnAPostgresStoreAndARestartFindsEverything) {
  const std::string conninfo = testing_internal::NewPostgresDatabase();
  ASSERT_FALSE(conninfo.empty());
  const std::string uri =
      absl::StrCat("postgresql:///", testing_internal::DatabaseOf(conninfo),
                   "?user=omniroute&host=", testing_internal::SharedPostgresServer()->socket_dir());
  WriteFile(dir_ / "config" / "acme.textproto", kAcmeConfig);
  std::vector<std::string> args = {"--listen=127.0.0.1:0", absl::StrCat("--store=", uri),
                                   absl::StrCat("--port_file=", (dir_ / "port").string()),
                                   absl::StrCat("--config_dir=", (dir_ / "config").string())};
  v1::GetLastSequenceRequest ls;
  ls.set_tenant_id("acme");
  uint64_t last = 0;
  uint64_t customer = 0;
  {
    ServerProcess server(args, dir_ / "first.log");
    ASSERT_TRUE(Connect(server));
    const v1::IngestMessageResponse email = MustInvoke(
        *conversations_, &v1::ConversationService::Stub::IngestMessage,
        EmailMessage("acme", "parent@example.com", "<cafe01@example.com>", "Batch 4411"));
    customer = email.customer_id();
    last = MustInvoke(*events_, &v1::EventService::Stub::GetLastSequence, ls).sequence();
    EXPECT_GT(last, 0u);
    std::optional<int> code = server.Terminate();
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << server.log();
    // Read once the server has ended: the line follows the port file.
    EXPECT_THAT(server.log(), HasSubstr("listening on port"));
    EXPECT_THAT(server.log(), HasSubstr("PostgreSQL store"));
  }
  if (HasFailure()) return;
  // Nothing on this machine's disk: a data directory was never made.
  EXPECT_FALSE(fs::exists(dir_ / "data"));
  fs::remove(dir_ / "port");
  ServerProcess again(args, dir_ / "second.log");
  ASSERT_TRUE(Connect(again));
  EXPECT_EQ(MustInvoke(*events_, &v1::EventService::Stub::GetLastSequence, ls).sequence(), last);
  const v1::IngestMessageResponse more =
      MustInvoke(*conversations_, &v1::ConversationService::Stub::IngestMessage,
                 EmailMessage("acme", "parent@example.com", "<cafe02@example.com>", "Any news?"));
  EXPECT_EQ(more.customer_id(), customer);
  EXPECT_FALSE(more.customer_created());
  std::optional<int> code = again.Terminate();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << again.log();
}

}  // namespace
}  // namespace omniroute::service_test
