// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The real `omniroute` binary against a real omniroute-server, started on
// 127.0.0.1 port 0 with a fresh data directory and stopped with SIGTERM.
// Each test works in a tenant of its own, so they share one server.
//
// Nothing here sleeps: the server is ready once it has written its port file
// (the test waits on its stderr pipe, which it writes to right after, or
// closes by exiting) and the channel reports connected; a command is done
// when its process exits; a follower (`offers`) has subscribed once it has
// printed its first line.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/export.pb.h"
#include "omniroute/v1/service.grpc.pb.h"
#include "omniroute/v1/service.pb.h"

extern char** environ;

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kCli[] = OMNIROUTE_CLI_PATH;
constexpr char kServer[] = OMNIROUTE_SERVER_PATH;
// Generous: the machine is shared, and nothing waits this long when all is
// well.
constexpr auto kDeadline = std::chrono::seconds(60);

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

template <typename Message>
Message FromJson(const std::string& line) {
  Message message;
  const auto status = google::protobuf::util::JsonStringToMessage(line, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << line;
  return message;
}

// A child process: posix_spawn (safe while gRPC's threads run), stdin from a
// file or /dev/null, stderr into a file, stdout into a file or a pipe.
class Process {
 public:
  struct Options {
    std::string stdin_path = "/dev/null";
    std::string stdout_path;  // Empty: a pipe, read with ReadLine().
    std::string stderr_path;  // Empty: a pipe too (stdout must be a file).
  };

  Process(const std::string& program, const std::vector<std::string>& args,
          const Options& options) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, options.stdin_path.c_str(), O_RDONLY, 0);
    int pipe_fds[2] = {-1, -1};
    const bool pipe_stdout = options.stdout_path.empty();
    const bool pipe_stderr = options.stderr_path.empty();
    if (pipe_stdout || pipe_stderr) {
      // O_CLOEXEC: no other child inherits the pipe; dup2 clears it on the
      // child's own end.
      EXPECT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0) << strerror(errno);
      posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], pipe_stdout ? 1 : 2);
    }
    if (!pipe_stdout) {
      posix_spawn_file_actions_addopen(&actions, 1, options.stdout_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (!pipe_stderr) {
      posix_spawn_file_actions_addopen(&actions, 2, options.stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    std::vector<std::string> strings = {program};
    strings.insert(strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    const int spawned =
        posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (pipe_fds[1] >= 0) close(pipe_fds[1]);
    read_fd_ = pipe_fds[0];
    if (spawned != 0) {
      ADD_FAILURE() << "cannot run " << program << ": " << strerror(spawned);
      pid_ = -1;
    }
  }

  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (read_fd_ >= 0) close(read_fd_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of the piped output (without "\n"); nullopt at end of
  // output or when `deadline` passes first.
  std::optional<std::string> ReadLine(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (const size_t eol = buffered_.find('\n'); eol != std::string::npos) {
        std::string line = buffered_.substr(0, eol);
        buffered_.erase(0, eol + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd fd = {read_fd_, POLLIN, 0};
      const int ready = poll(&fd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(read_fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buffered_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Waits for the process to end; its exit code (128 + N if signal N).
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) {
        ADD_FAILURE() << "waitpid: " << strerror(errno);
        return -1;
      }
    }
    pid_ = -1;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
  }

  // Nonblocking: true if it has exited (and been reaped; see exit_code).
  bool Exited(int* exit_code) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done != pid_) return false;
    pid_ = -1;
    *exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    return true;
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  std::string buffered_;
};

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::ostream& operator<<(std::ostream& os, const CliRun& run) {
  return os << "exit code " << run.exit_code << "\n--- stdout:\n"
            << run.out << "--- stderr:\n"
            << run.err << "---";
}

class CliEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "omniroute-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << strerror(errno);
    dir_ = new std::filesystem::path(pattern);
    const std::string port_file = (*dir_ / "port").string();
    server_ =
        new Process(kServer,
                    {"--listen=127.0.0.1:0", absl::StrCat("--data_dir=", (*dir_ / "data").string()),
                     absl::StrCat("--port_file=", port_file)},
                    {.stdout_path = (*dir_ / "server.out").string(), .stderr_path = ""});
    // The server writes its port file, then a line on stderr; each wake-up
    // is a line or its exit (end of output), never a timer.
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    std::string log;
    for (;;) {
      std::optional<std::string> line = server_->ReadLine(deadline);
      int port = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(FileText(port_file)), &port) && port > 0) {
        port_ = port;
        break;
      }
      if (!line.has_value()) {
        FAIL() << "omniroute-server exited or did not write its port file in time:\n" << log;
      }
      absl::StrAppend(&log, *line, "\n");
    }
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() + kDeadline))
        << "omniroute-server on port " << port_ << " does not accept connections";
  }

  static void TearDownTestSuite() {
    if (server_ != nullptr && server_->pid() > 0) {
      kill(server_->pid(), SIGTERM);
      EXPECT_EQ(server_->Wait(), 0) << "omniroute-server did not stop cleanly on SIGTERM";
    }
    delete server_;
    server_ = nullptr;
    if (dir_ != nullptr) {
      std::error_code ignored;
      std::filesystem::remove_all(*dir_, ignored);
      delete dir_;
      dir_ = nullptr;
    }
  }

  // A tenant of the test's own, created through the CLI.
  void SetUp() override {
    ASSERT_GT(port_, 0) << "no server";
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    tenant_.clear();
    for (char c : name) tenant_.push_back(absl::ascii_isalnum(c) ? absl::ascii_tolower(c) : '-');
    const CliRun run = Cli({"create-tenant", tenant_, "--country=33"});
    ASSERT_EQ(run.exit_code, 0) << run;
    ASSERT_EQ(run.out, absl::StrCat("tenant ", tenant_, " created\n"));
  }

  std::vector<std::string> GlobalArgs() const {
    return {absl::StrCat("--server=127.0.0.1:", port_), absl::StrCat("--tenant=", tenant_)};
  }

  // Runs `omniroute` with the server and tenant flags and `args`, to its end.
  CliRun Cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    const std::string base = (*dir_ / absl::StrCat("run-", ++runs_)).string();
    Process::Options options{.stdout_path = base + ".out", .stderr_path = base + ".err"};
    if (!stdin_text.empty()) {
      options.stdin_path = base + ".in";
      std::ofstream(options.stdin_path) << stdin_text;
    }
    std::vector<std::string> all = GlobalArgs();
    all.insert(all.end(), args.begin(), args.end());
    Process process(kCli, all, options);
    CliRun run;
    run.exit_code = process.Wait();
    run.out = FileText(options.stdout_path);
    run.err = FileText(options.stderr_path);
    return run;
  }

  // `ingest ... --json`, parsed.
  v1::IngestMessageResponse Ingest(const std::vector<std::string>& args,
                                   const std::string& stdin_text = "") {
    std::vector<std::string> all = {"ingest", "--json"};
    all.insert(all.end(), args.begin(), args.end());
    const CliRun run = Cli(all, stdin_text);
    EXPECT_EQ(run.exit_code, 0) << run;
    EXPECT_THAT(Lines(run.out), SizeIs(1)) << run;
    return FromJson<v1::IngestMessageResponse>(run.out);
  }

  static std::filesystem::path* dir_;
  static Process* server_;
  static int port_;
  static int runs_;
  std::string tenant_;
};

std::filesystem::path* CliEndToEndTest::dir_ = nullptr;
Process* CliEndToEndTest::server_ = nullptr;
int CliEndToEndTest::port_ = 0;
int CliEndToEndTest::runs_ = 0;

// Scenario 1: a public post and an email of one parent, linked by an agent,
// read as one thread, then handed off to a call.
TEST_F(CliEndToEndTest, APostAndAnEmailBecomeOneThreadOnceLinked) {
  const v1::IngestMessageResponse post = Ingest(
      {"--channel=public_social", "--from=handle@x:parent_of_lea", "--id=post-1", "--reach=1200",
       "--name=Lea's parent", "The", "jar", "of", "baby", "food", "was", "spoiled"});
  EXPECT_TRUE(post.customer_created());
  EXPECT_EQ(post.outcome(), v1::THREAD_OUTCOME_OPENED);
  // The body of a mail comes from standard input, its lines and all.
  const v1::IngestMessageResponse email =
      Ingest({"--channel=EMAIL", "--from=email:Ann@Example.com", "--id=<m1@example.com>", "-"},
             "Photo of the jar attached.\nBatch 4411.\n");
  EXPECT_TRUE(email.customer_created());
  EXPECT_NE(email.customer_id(), post.customer_id());

  const CliRun reply =
      Cli({"reply", absl::StrCat(post.conversation_id()), "--channel=PUBLIC_SOCIAL", "--agent=ann",
           "Sorry!", "Could", "you", "DM", "us?"});
  ASSERT_EQ(reply.exit_code, 0) << reply;
  EXPECT_THAT(reply.out, StartsWith("message "));

  // A reply to the post joins its conversation by reference.
  const v1::IngestMessageResponse again =
      Ingest({"--channel=PUBLIC_SOCIAL", "--from=handle@x:parent_of_lea", "--id=post-2",
              "--ref=post-1", "Still waiting"});
  EXPECT_EQ(again.conversation_id(), post.conversation_id());
  EXPECT_EQ(again.outcome(), v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);

  // The agent links the email to the social account: the older customer
  // absorbs the newer, and their open conversations become one thread.
  const CliRun link =
      Cli({"link", absl::StrCat(post.customer_id()), "email:ann@example.com", "--agent=ann"});
  ASSERT_EQ(link.exit_code, 0) << link;
  EXPECT_THAT(Lines(link.out),
              ElementsAre(absl::StrCat("customer ", post.customer_id(), " absorbed customer ",
                                       email.customer_id()),
                          absl::StrCat("conversation ", email.conversation_id(),
                                       " merged into conversation ", post.conversation_id())));

  const CliRun find = Cli({"find", "email:ann@example.com"});
  ASSERT_EQ(find.exit_code, 0) << find;
  EXPECT_THAT(find.out, AllOf(ContainsRegex(absl::StrCat("^customer +", post.customer_id(), "\n")),
                              ContainsRegex("\nidentity +handle@x:parent_of_lea\n"),
                              ContainsRegex("\nidentity +email:ann@example.com\n")));

  const CliRun handoff = Cli({"handoff", absl::StrCat(post.conversation_id()), "voice",
                              "--agent=ann", "--reason=call back about the jar"});
  ASSERT_EQ(handoff.exit_code, 0) << handoff;
  EXPECT_THAT(handoff.out, StartsWith(absl::StrCat("conversation ", post.conversation_id(),
                                                   " handed off to VOICE\n")));

  // The phone agent sees the whole story.
  const CliRun timeline = Cli({"timeline", absl::StrCat(post.conversation_id())});
  ASSERT_EQ(timeline.exit_code, 0) << timeline;
  const std::vector<std::string> lines = Lines(timeline.out);
  ASSERT_THAT(lines, SizeIs(5)) << timeline;
  const auto columns = [](const std::string& line) {
    std::vector<std::string> parts = absl::StrSplit(line, "  ", absl::SkipWhitespace());
    for (std::string& part : parts) part = std::string(absl::StripAsciiWhitespace(part));
    return parts;
  };
  EXPECT_THAT(columns(lines[0]),
              ElementsAre(testing::_, "PUBLIC_SOCIAL", "in", "handle@x:parent_of_lea",
                          "The jar of baby food was spoiled"));
  EXPECT_THAT(columns(lines[1]), ElementsAre(testing::_, "EMAIL", "in", "email:ann@example.com",
                                             "Photo of the jar attached. Batch 4411."));
  EXPECT_THAT(columns(lines[2]), ElementsAre(testing::_, "PUBLIC_SOCIAL", "out", "agent ann",
                                             "Sorry! Could you DM us?"));
  EXPECT_THAT(columns(lines[3]), ElementsAre(testing::_, "PUBLIC_SOCIAL", "in",
                                             "handle@x:parent_of_lea", "Still waiting"));
  EXPECT_THAT(columns(lines[4]), ElementsAre(testing::_, "VOICE", "handoff", "agent ann",
                                             "from PUBLIC_SOCIAL: call back about the jar"));
  for (const std::string& line : lines) EXPECT_THAT(line, testing::MatchesRegex("^20[0-9-]+T.*"));
}

TEST_F(CliEndToEndTest, MergeAndUnmergeRestoreTheAbsorbedCustomer) {
  const v1::IngestMessageResponse a =
      Ingest({"--channel=SMS", "--from=phone:06 12 34 56 78", "--id=sms-1", "hello"});
  const v1::IngestMessageResponse b =
      Ingest({"--channel=CHAT", "--from=crm@salesforce:0031", "--id=chat-1", "hi again"});
  const CliRun merge =
      Cli({"merge", absl::StrCat(a.customer_id()), absl::StrCat(b.customer_id()), "--agent=bob"});
  ASSERT_EQ(merge.exit_code, 0) << merge;
  EXPECT_THAT(merge.out, StartsWith(absl::StrCat("customer ", a.customer_id(),
                                                 " absorbed customer ", b.customer_id())));

  CliRun absorbed = Cli({"customer", absl::StrCat(b.customer_id()), "--json"});
  ASSERT_EQ(absorbed.exit_code, 0) << absorbed;
  EXPECT_EQ(FromJson<v1::Customer>(absorbed.out).merged_into_customer_id(), a.customer_id());
  // The national number was completed with the tenant's country code.
  const CliRun found = Cli({"find", "crm@salesforce:0031"});
  ASSERT_EQ(found.exit_code, 0) << found;
  EXPECT_THAT(found.out, AllOf(ContainsRegex("\nidentity +phone:\\+33612345678\n"),
                               ContainsRegex("\nidentity +crm@salesforce:0031\n")));

  const CliRun unmerge = Cli({"unmerge", absl::StrCat(b.customer_id())});
  ASSERT_EQ(unmerge.exit_code, 0) << unmerge;
  absorbed = Cli({"customer", absl::StrCat(b.customer_id()), "--json"});
  const v1::Customer restored = FromJson<v1::Customer>(absorbed.out);
  EXPECT_EQ(restored.merged_into_customer_id(), 0u);
  ASSERT_THAT(restored.identities(), SizeIs(1));
  EXPECT_EQ(restored.identities(0).value(), "0031");
  const CliRun conversations = Cli({"conversations", absl::StrCat(b.customer_id())});
  ASSERT_EQ(conversations.exit_code, 0) << conversations;
  EXPECT_THAT(Lines(conversations.out), SizeIs(2)) << conversations;  // Header and one.
  EXPECT_THAT(conversations.out, HasSubstr("CHAT"));
}

TEST_F(CliEndToEndTest, EraseCustomerLeavesOnlyTheErasureToExport) {
  const v1::IngestMessageResponse a =
      Ingest({"--channel=EMAIL", "--from=cli.erased@example.com", "--id=er-1", "cli-erased-body"});
  const v1::IngestMessageResponse kept =
      Ingest({"--channel=EMAIL", "--from=cli.kept@example.com", "--id=ke-1", "cli-kept-body"});
  const std::string id = absl::StrCat(a.customer_id());

  // Export: one JSON record a line, with or without --json.
  CliRun run = Cli({"export-customer", id});
  ASSERT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(3)) << run;
  EXPECT_EQ(FromJson<v1::CustomerExportRecord>(lines[0]).customer().customer_id(), a.customer_id());
  EXPECT_EQ(FromJson<v1::CustomerExportRecord>(lines[2]).message().message().body(),
            "cli-erased-body");

  // The message waits for an answer: work in progress, named.
  ASSERT_TRUE(a.has_task());
  run = Cli({"erase-customer", id});
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, AllOf(HasSubstr("FAILED_PRECONDITION"),
                             HasSubstr(absl::StrCat("task/", a.task().task_id()))));

  // Once the customer gave up, the erasure goes through.
  auto routing = v1::RoutingService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  v1::AbandonTaskRequest abandon;
  abandon.set_tenant_id(tenant_);
  abandon.set_task_id(a.task().task_id());
  grpc::ClientContext context;
  v1::Task task;
  ASSERT_TRUE(routing->AbandonTask(&context, abandon, &task).ok());
  run = Cli({"erase-customer", id, "--agent=dpo"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, StartsWith(absl::StrCat("customer ", id, " erased")));

  run = Cli({"export-customer", id});
  ASSERT_EQ(run.exit_code, 0) << run;
  lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(1)) << run;
  const v1::CustomerExportRecord erasure = FromJson<v1::CustomerExportRecord>(lines[0]);
  EXPECT_EQ(erasure.erasure().customer_id(), a.customer_id());
  EXPECT_THAT(run.out, Not(HasSubstr("cli-erased")));

  run = Cli({"--json", "export-customer", absl::StrCat(kept.customer_id())});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), SizeIs(3)) << run;
  EXPECT_THAT(run.out, HasSubstr("cli-kept-body"));

  run = Cli({"export-customer", "999"});
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND"));
}

TEST_F(CliEndToEndTest, JsonPrintsOneParsableObjectPerResponse) {
  const v1::IngestMessageResponse in = Ingest({"--channel=EMAIL", "--from=ann@example.com",
                                               "--id=m-1", "--tag=refund", "where is my refund"});
  const std::string conversation = absl::StrCat(in.conversation_id());

  CliRun run = Cli({"--json", "conversation", conversation});
  ASSERT_EQ(run.exit_code, 0) << run;
  ASSERT_THAT(Lines(run.out), SizeIs(1));
  const v1::Conversation c = FromJson<v1::Conversation>(run.out);
  EXPECT_EQ(c.conversation_id(), in.conversation_id());
  EXPECT_EQ(c.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(c.message_count(), 1);

  run = Cli({"timeline", conversation, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run;
  const v1::GetTimelineResponse timeline = FromJson<v1::GetTimelineResponse>(run.out);
  ASSERT_THAT(timeline.entries(), SizeIs(1));
  EXPECT_EQ(timeline.entries(0).message().body(), "where is my refund");

  run = Cli({"tenants", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(FromJson<v1::ListTenantsResponse>(run.out).tenant_ids(), testing::Contains(tenant_));

  // The same commands without --json are text, not JSON.
  run = Cli({"conversation", conversation});
  EXPECT_THAT(run.out, AllOf(ContainsRegex(absl::StrCat("^conversation +", conversation, "\n")),
                             ContainsRegex("\nstatus +OPEN\n")));

  // A redelivery is recognised.
  run = Cli({"ingest", "--channel=EMAIL", "--from=ann@example.com", "--id=m-1", "again"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, StartsWith(absl::StrCat("duplicate: message ", in.message_id())));
}

TEST_F(CliEndToEndTest, WatchPrintsTheChangeFeedAndResumesFromASequence) {
  Ingest({"--channel=EMAIL", "--from=ann@example.com", "--id=w-1", "first"});
  Ingest({"--channel=EMAIL", "--from=ann@example.com", "--id=w-2", "second"});

  const CliRun all = Cli({"watch", "--count=4"});
  ASSERT_EQ(all.exit_code, 0) << all;
  const std::vector<std::string> lines = Lines(all.out);
  ASSERT_THAT(lines, SizeIs(4)) << all;
  EXPECT_THAT(lines[0], testing::MatchesRegex("^#1 20[^ ]+Z tenant_configured  .*"));
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_THAT(lines[i], StartsWith(absl::StrCat("#", i + 1, " "))) << lines[i];
  }

  const CliRun resumed = Cli({"watch", "--from=2", "--count=4", "--json"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed;
  const std::vector<std::string> json = Lines(resumed.out);
  ASSERT_THAT(json, SizeIs(4)) << resumed;
  std::vector<uint64_t> sequences;
  bool saw_message = false;
  for (const std::string& line : json) {
    const v1::Event event = FromJson<v1::Event>(line);
    sequences.push_back(event.sequence());
    EXPECT_EQ(event.tenant_id(), tenant_);
    saw_message |= event.has_message_recorded();
  }
  EXPECT_THAT(sequences, ElementsAre(2, 3, 4, 5));
  EXPECT_TRUE(saw_message);

  // From the end of the log, the feed follows what happens next.
  const CliRun last_run = Cli({"last-sequence", "--json"});
  ASSERT_EQ(last_run.exit_code, 0) << last_run;
  const uint64_t last = FromJson<v1::GetLastSequenceResponse>(last_run.out).sequence();
  EXPECT_EQ(Cli({"last-sequence"}).out, absl::StrCat(last, "\n"));
  const std::string err = (*dir_ / "follower.err").string();
  Process follower(kCli,
                   [&] {
                     std::vector<std::string> args = GlobalArgs();
                     for (const char* a : {"watch", "--count=1"}) args.push_back(a);
                     args.push_back(absl::StrCat("--from=", last + 1));
                     return args;
                   }(),
                   {.stderr_path = err});
  Ingest({"--channel=EMAIL", "--from=bob@example.com", "--id=w-3", "third"});
  const std::optional<std::string> next =
      follower.ReadLine(std::chrono::steady_clock::now() + kDeadline);
  ASSERT_TRUE(next.has_value()) << FileText(err);
  EXPECT_THAT(*next, testing::MatchesRegex(absl::StrCat("^#", last + 1, " 20[^ ]+Z [a-z_]+  .*")));
  EXPECT_EQ(follower.Wait(), 0) << FileText(err);
}

TEST_F(CliEndToEndTest, OffersFollowAnAgentFromOfferToAssignment) {
  ASSERT_EQ(
      Cli({"queue-upsert", "support", "--channels=EMAIL,CHAT", "--skill=refunds:3"}).exit_code, 0);
  const CliRun settings = Cli({"routing-settings", "--default-queue=support"});
  ASSERT_EQ(settings.exit_code, 0) << settings;
  EXPECT_THAT(settings.out, StartsWith("default queue"));
  EXPECT_THAT(settings.out, HasSubstr("support"));
  const CliRun agent = Cli({"agent-upsert", "ann", "--channels=email,chat", "--skill=refunds:5",
                            "--capacity=4", "--name=Ann"});
  ASSERT_EQ(agent.exit_code, 0) << agent;
  ASSERT_EQ(Cli({"presence", "ann", "available"}).out, "agent ann: AVAILABLE\n");

  const std::string err = (*dir_ / "offers.err").string();
  Process offers(kCli,
                 [&] {
                   std::vector<std::string> args = GlobalArgs();
                   for (const char* a : {"offers", "ann", "--count=2"}) args.push_back(a);
                   return args;
                 }(),
                 {.stderr_path = err});
  const v1::IngestMessageResponse in =
      Ingest({"--channel=EMAIL", "--from=ann@example.com", "--id=o-1", "refund please"});
  ASSERT_TRUE(in.has_task());
  const std::string task = absl::StrCat(in.task().task_id());

  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  const std::optional<std::string> offered = offers.ReadLine(deadline);
  ASSERT_TRUE(offered.has_value()) << FileText(err);
  EXPECT_THAT(*offered, AllOf(HasSubstr(" OFFERED  task " + task), HasSubstr("OFFERED to ann")));

  const CliRun accept = Cli({"accept", task, "ann"});
  ASSERT_EQ(accept.exit_code, 0) << accept;
  EXPECT_THAT(accept.out, HasSubstr("ASSIGNED to ann"));
  const std::optional<std::string> assigned = offers.ReadLine(deadline);
  ASSERT_TRUE(assigned.has_value()) << FileText(err);
  EXPECT_THAT(*assigned, HasSubstr(" ASSIGNED  task " + task));
  EXPECT_EQ(offers.Wait(), 0) << FileText(err);

  EXPECT_THAT(Cli({"task", task}).out, HasSubstr("ASSIGNED to ann"));
  EXPECT_THAT(Cli({"agent", "ann"}).out, AllOf(ContainsRegex("\npresence +AVAILABLE\n"),
                                               ContainsRegex("\nassigned tasks +" + task + "\n")));
  EXPECT_THAT(Cli({"stats", "support"}).out, ContainsRegex("\nassigned +1\n"));
  EXPECT_THAT(Cli({"routing", absl::StrCat(in.conversation_id())}).out,
              ContainsRegex("\nowner +ann\n"));
  const CliRun complete = Cli({"complete", task, "ann"});
  ASSERT_EQ(complete.exit_code, 0) << complete;
  EXPECT_THAT(complete.out, HasSubstr("COMPLETED by ann (DONE)"));
}

// A queue with a task waiting and nobody to answer it: one row of figures,
// the task's place in line, and the server's refusals naming the field.
TEST_F(CliEndToEndTest, StatisticsShowAWaitingTaskAndRefuseUnknownQueuesAndAgents) {
  ASSERT_EQ(Cli({"queue-upsert", "support", "--channels=EMAIL"}).exit_code, 0);
  ASSERT_EQ(Cli({"routing-settings", "--default-queue=support"}).exit_code, 0);
  const v1::IngestMessageResponse in =
      Ingest({"--channel=EMAIL", "--from=ann@example.com", "--id=s-1", "where", "is", "it"});
  ASSERT_TRUE(in.has_task());
  ASSERT_EQ(in.task().status(), v1::TASK_STATUS_WAITING);

  CliRun run = Cli({"statistics"});
  ASSERT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(3)) << run;  // When, the header, one queue.
  EXPECT_THAT(lines[0], testing::MatchesRegex("^at 20[^ ]+Z; OFFERED to AHT over the last 15 "
                                              "minutes$"));
  EXPECT_THAT(lines[1], StartsWith("QUEUE    WAITING  LONGEST  AVAIL  BUSY  WRAP-UP  AWAY  "));
  const std::vector<std::string> row = absl::StrSplit(lines[2], ' ', absl::SkipEmpty());
  // queue, waiting, longest, 4 agent states, offered, answered, abandoned,
  // SL, ASA, AHT, then the new task's wait on EMAIL: nobody serves it.
  ASSERT_THAT(row, SizeIs(15)) << lines[2];
  EXPECT_EQ(row[0], "support");
  EXPECT_EQ(row[1], "1") << lines[2];
  EXPECT_THAT(std::vector<std::string>(row.begin() + 3, row.end()),
              ElementsAre("0", "0", "0", "0", "1", "0", "0", "-", "-", "-", "EMAIL", "unknown"))
      << lines[2];

  // Named, and as JSON.
  run = Cli({"statistics", "support", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run;
  ASSERT_THAT(Lines(run.out), SizeIs(1)) << run;
  const auto stats = FromJson<v1::GetQueueStatisticsResponse>(run.out);
  ASSERT_EQ(stats.queues_size(), 1) << run.out;
  EXPECT_EQ(stats.queues(0).queue_id(), "support");
  EXPECT_EQ(stats.queues(0).waiting(), 1);
  EXPECT_EQ(stats.queues(0).last_15_minutes().offered(), 1);
  EXPECT_TRUE(stats.has_at());

  // The task itself: first in line, no rate to estimate its wait from.
  run = Cli({"task", absl::StrCat(in.task().task_id())});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, ContainsRegex("\nwait estimate +position 1, wait unknown\n")) << run;

  // An agent who never signed in: nothing staffed, nothing to divide.
  ASSERT_EQ(Cli({"agent-upsert", "bea", "--channels=CHAT"}).exit_code, 0);
  run = Cli({"agent-statistics", "bea"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, AllOf(StartsWith("agent                bea\n"),
                             ContainsRegex("\npresence +OFFLINE\n"),
                             ContainsRegex("\nstaffed +0s\n"), ContainsRegex("\noccupancy +-\n"),
                             ContainsRegex("\nhandled +0\n")))
      << run;

  run = Cli({"statistics", "nosuchqueue"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: NOT_FOUND: "), HasSubstr("queue_ids[0]"),
                             HasSubstr("nosuchqueue")))
      << run;
  EXPECT_THAT(run.err, Not(HasSubstr("usage:")));
  EXPECT_THAT(run.out, IsEmpty());
  // The second one named is the one refused.
  run = Cli({"statistics", "support", "nosuchqueue"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, HasSubstr("queue_ids[1]")) << run;

  run = Cli({"agent-statistics", "nobody"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err,
              AllOf(StartsWith("error: NOT_FOUND: "), HasSubstr("agent_id"), HasSubstr("nobody")))
      << run;
  EXPECT_THAT(run.out, IsEmpty());
}

// One email waiting in a queue: the interval report has one row for the
// queue and channel, offered 1, as a table, as CSV and as JSON; a span whose
// end is before its start is the server's refusal, naming `to`.
TEST_F(CliEndToEndTest, ReportCountsAnIngestedEmailInItsInterval) {
  ASSERT_EQ(Cli({"queue-upsert", "support", "--channels=EMAIL"}).exit_code, 0);
  ASSERT_EQ(Cli({"routing-settings", "--default-queue=support"}).exit_code, 0);
  const absl::Time before = absl::Now();
  const v1::IngestMessageResponse in =
      Ingest({"--channel=EMAIL", "--from=ann@example.com", "--id=r-1", "how", "much"});
  const absl::Time after = absl::Now();
  ASSERT_TRUE(in.has_task());
  ASSERT_EQ(in.task().queue_id(), "support");

  const auto rfc3339 = [](absl::Time t) {
    return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
  };
  const std::string from = absl::StrCat("--from=", rfc3339(before - absl::Hours(1)));
  const std::string to = absl::StrCat("--to=", rfc3339(after + absl::Hours(1)));

  CliRun run = Cli({"report", from, to});
  ASSERT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(3)) << run;  // The span, the header, one row.
  EXPECT_THAT(lines[0], testing::MatchesRegex("^from 20[^ ]+:[0-9]{2}:00Z to 20[^ ]+:00Z; "
                                              "[1-9][0-9]* events read$"))
      << run;
  EXPECT_EQ(lines[1],
            "START             QUEUE    CHANNEL  OFFERED  ANSWERED  ABANDONED  SL  ASA  AHT  "
            "TRANSFERRED  HANDED OFF  SAME AGENT")
      << run;
  const std::vector<std::string> row = absl::StrSplit(lines[2], ' ', absl::SkipEmpty());
  // The start is a date and a time: 13 cells in all.
  ASSERT_THAT(row, SizeIs(13)) << lines[2];
  EXPECT_THAT(row[1], testing::MatchesRegex("^[0-9]{2}:(00|15|30|45)$")) << lines[2];
  EXPECT_THAT(std::vector<std::string>(row.begin() + 2, row.end()),
              ElementsAre("support", "EMAIL", "1", "0", "0", "-", "-", "-", "0", "0", "-"))
      << lines[2];

  // CSV: the header, then the row with its start as RFC 3339.
  run = Cli({"report", from, to, "--csv"});
  ASSERT_EQ(run.exit_code, 0) << run;
  lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(2)) << run;
  EXPECT_THAT(lines[0], StartsWith("start,queue_id,channel,offered,answered,")) << run;
  std::vector<std::string> fields = absl::StrSplit(absl::StripSuffix(lines[1], "\r"), ',');
  ASSERT_THAT(fields, SizeIs(16)) << lines[1];
  EXPECT_THAT(fields[0], testing::MatchesRegex("^20[0-9-]+T[0-9]{2}:(00|15|30|45):00Z$"));
  EXPECT_EQ(fields[1], "support");
  EXPECT_EQ(fields[2], "EMAIL");
  EXPECT_EQ(fields[3], "1");
  EXPECT_EQ(fields[12], "") << "nothing answered: no speed of answer";

  // JSON: the response, the span widened to whole quarter hours.
  run = Cli({"report", from, to, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run;
  ASSERT_THAT(Lines(run.out), SizeIs(1)) << run;
  const auto report = FromJson<v1::IntervalReport>(run.out);
  ASSERT_EQ(report.rows_size(), 1) << run.out;
  EXPECT_EQ(report.rows(0).queue_id(), "support");
  EXPECT_EQ(report.rows(0).channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(report.rows(0).offered(), 1);
  EXPECT_EQ(report.rows(0).start().seconds() % 900, 0);
  EXPECT_GE(report.rows(0).start().seconds(), absl::ToUnixSeconds(before) - 900);
  EXPECT_LE(report.rows(0).start().seconds(), absl::ToUnixSeconds(after));
  EXPECT_EQ(report.from().seconds() % 900, 0);
  EXPECT_EQ(report.to().seconds() % 900, 0);
  EXPECT_GT(report.events_read(), 0);

  // --csv and --json together: the command line is wrong, nothing is sent.
  run = Cli({"report", from, to, "--csv", "--json"});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: INVALID_ARGUMENT: --csv: "),
                             HasSubstr("usage: omniroute report")))
      << run;
  EXPECT_THAT(run.out, IsEmpty());

  // The end before the start: the server refuses it, naming `to`.
  run = Cli({"report", absl::StrCat("--from=", rfc3339(after + absl::Hours(1))),
             absl::StrCat("--to=", rfc3339(before - absl::Hours(1)))});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: to: ")) << run;
  EXPECT_THAT(run.err, Not(HasSubstr("usage:")));
  EXPECT_THAT(run.out, IsEmpty());
}

TEST_F(CliEndToEndTest, CommitmentsAreRecordedListedAndClosed) {
  const v1::IngestMessageResponse in =
      Ingest({"--channel=VOICE", "--from=phone:+33612345678", "--id=call-1", "--thread=call-1",
              "the", "jar", "is", "spoiled"});
  const std::string conversation = absl::StrCat(in.conversation_id());
  CliRun commit = Cli({"commit", conversation, "--kind=pickup", "--due=+4h", "--deadline=+6h",
                       "--description=a courier picks up the jar", "--json"});
  ASSERT_EQ(commit.exit_code, 0) << commit;
  const v1::Commitment recorded = FromJson<v1::Commitment>(commit.out);
  EXPECT_EQ(recorded.status(), v1::COMMITMENT_STATUS_PENDING);
  EXPECT_EQ(recorded.deadline().seconds() - recorded.due_at().seconds(), 2 * 3600);

  const CliRun list = Cli({"commitments", conversation});
  ASSERT_EQ(list.exit_code, 0) << list;
  EXPECT_THAT(Lines(list.out),
              ElementsAre(AllOf(StartsWith(absl::StrCat("commitment ", recorded.commitment_id())),
                                HasSubstr("PICKUP  PENDING"),
                                HasSubstr("\"a courier picks up the jar\""))));
  const CliRun close =
      Cli({"close-commitment", absl::StrCat(recorded.commitment_id()), "fulfilled"});
  ASSERT_EQ(close.exit_code, 0) << close;
  EXPECT_THAT(close.out, HasSubstr("PICKUP  FULFILLED"));
}

// The server's default page (service.proto): 100 entries.
constexpr int kDefaultPageSize = 100;

// A thread longer than a page: printed whole by default, one page with its
// next token on request. The messages are ingested through the API itself,
// so that the test is quick; their ids are what the server answered.
TEST_F(CliEndToEndTest, TimelineReadsEveryPageUnlessAskedForOne) {
  std::unique_ptr<v1::ConversationService::Stub> stub = v1::ConversationService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  constexpr int kMessages = kDefaultPageSize + 20;
  std::vector<uint64_t> ids;
  uint64_t conversation = 0;
  for (int i = 0; i < kMessages; ++i) {
    v1::IngestMessageRequest request;
    request.set_tenant_id(tenant_);
    request.set_channel(v1::CHANNEL_CHAT);
    request.mutable_sender()->set_kind(v1::IDENTITY_KIND_EMAIL);
    request.mutable_sender()->set_value("ann@example.com");
    request.set_external_id(absl::StrCat("chat-", i));
    request.set_body(absl::StrCat("line ", i));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kDeadline);
    v1::IngestMessageResponse response;
    const grpc::Status status = stub->IngestMessage(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (i == 0) conversation = response.conversation_id();
    ASSERT_EQ(response.conversation_id(), conversation);
    ids.push_back(response.message_id());
  }
  const std::string id = absl::StrCat(conversation);
  const auto message_ids = [](const v1::GetTimelineResponse& timeline) {
    std::vector<uint64_t> out;
    for (const v1::TimelineEntry& e : timeline.entries()) out.push_back(e.message().message_id());
    return out;
  };

  // The whole thread, as one response.
  CliRun run = Cli({"timeline", id, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run;
  ASSERT_THAT(Lines(run.out), SizeIs(1));
  const v1::GetTimelineResponse whole = FromJson<v1::GetTimelineResponse>(run.out);
  EXPECT_THAT(message_ids(whole), ElementsAreArray(ids));
  EXPECT_THAT(whole.next_page_token(), IsEmpty());
  run = Cli({"timeline", id});
  ASSERT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(kMessages));
  EXPECT_THAT(lines.front(), HasSubstr("line 0"));
  EXPECT_THAT(lines.back(), HasSubstr(absl::StrCat("line ", kMessages - 1)));

  // Page by page with --json: each response as the server gave it.
  std::vector<uint64_t> paged;
  std::string token;
  int pages = 0;
  do {
    std::vector<std::string> args = {"timeline", id, "--json", "--page-size=50"};
    if (!token.empty()) args.push_back(absl::StrCat("--page-token=", token));
    run = Cli(args);
    ASSERT_EQ(run.exit_code, 0) << run;
    const v1::GetTimelineResponse page = FromJson<v1::GetTimelineResponse>(run.out);
    EXPECT_LE(page.entries_size(), 50);
    for (uint64_t m : message_ids(page)) paged.push_back(m);
    token = page.next_page_token();
    ASSERT_LT(++pages, 10) << "the pages never end";
  } while (!token.empty());
  EXPECT_THAT(paged, ElementsAreArray(ids));

  // Readable: one page, then the option that reads the next.
  run = Cli({"timeline", id, "--page-size=50"});
  ASSERT_EQ(run.exit_code, 0) << run;
  lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(51)) << run;
  EXPECT_THAT(lines[49], HasSubstr("line 49"));
  ASSERT_THAT(lines[50], StartsWith("next page: --page-token="));
  const std::string next = lines[50].substr(std::string("next page: ").size());
  // The rest, in a page of the default size: no further page.
  run = Cli({"timeline", id, next});
  ASSERT_EQ(run.exit_code, 0) << run;
  lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(kMessages - 50)) << run;
  EXPECT_THAT(lines.front(), HasSubstr("line 50"));
  EXPECT_THAT(run.out, Not(HasSubstr("next page")));

  // The server refuses a size out of range and a token it did not give.
  run = Cli({"timeline", id, "--page-size=5000"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: INVALID_ARGUMENT: "), HasSubstr("page_size")));
  run = Cli({"timeline", id, "--page-token=forged"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: INVALID_ARGUMENT: "), HasSubstr("page_token")));
}

TEST_F(CliEndToEndTest, ConversationsReadsEveryPageUnlessAskedForOne) {
  // A customer with five conversations: each is closed before the next
  // message opens another.
  std::vector<uint64_t> conversations;
  std::string customer;
  for (int i = 0; i < 5; ++i) {
    const v1::IngestMessageResponse in = Ingest(
        {"--channel=EMAIL", "--from=email:bob@example.com", absl::StrCat("--id=<b", i, "@x>"),
         absl::StrCat("problem ", i)});
    ASSERT_EQ(in.outcome(), v1::THREAD_OUTCOME_OPENED) << i;
    customer = absl::StrCat(in.customer_id());
    conversations.push_back(in.conversation_id());
    const CliRun closed = Cli({"status", absl::StrCat(in.conversation_id()), "CLOSED"});
    ASSERT_EQ(closed.exit_code, 0) << closed;
  }
  const auto ids = [](const v1::ListConversationsResponse& list) {
    std::vector<uint64_t> out;
    for (const v1::Conversation& c : list.conversations()) out.push_back(c.conversation_id());
    return out;
  };

  CliRun run = Cli({"conversations", customer, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run;
  const v1::ListConversationsResponse whole = FromJson<v1::ListConversationsResponse>(run.out);
  EXPECT_THAT(ids(whole), ElementsAreArray(conversations));
  EXPECT_THAT(whole.next_page_token(), IsEmpty());

  std::vector<uint64_t> paged;
  std::string token;
  int pages = 0;
  do {
    std::vector<std::string> args = {"conversations", customer, "--json", "--page-size=2"};
    if (!token.empty()) args.push_back(absl::StrCat("--page-token=", token));
    run = Cli(args);
    ASSERT_EQ(run.exit_code, 0) << run;
    const v1::ListConversationsResponse page = FromJson<v1::ListConversationsResponse>(run.out);
    EXPECT_LE(page.conversations_size(), 2);
    for (uint64_t c : ids(page)) paged.push_back(c);
    token = page.next_page_token();
    ASSERT_LT(++pages, 10) << "the pages never end";
  } while (!token.empty());
  EXPECT_THAT(paged, ElementsAreArray(conversations));

  run = Cli({"conversations", customer, "--page-size=2"});
  ASSERT_EQ(run.exit_code, 0) << run;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(4)) << run;  // Header, two, and the next page.
  EXPECT_THAT(lines[3], StartsWith("next page: --page-token="));

  run = Cli({"conversations", customer, "--page-token=forged"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: INVALID_ARGUMENT: "), HasSubstr("page_token")));
}

TEST_F(CliEndToEndTest, BadRequestsExitNonZeroNamingTheField) {
  // The server refuses it: exit code 1 and the server's field.
  CliRun run = Cli({"ingest", "--channel=EMAIL", "--from=email:not an address", "--id=b-1", "x"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: INVALID_ARGUMENT: "), HasSubstr("sender.value: ")))
      << run;
  EXPECT_THAT(run.err, Not(HasSubstr("usage:")));
  EXPECT_THAT(run.out, IsEmpty());

  run = Cli({"timeline", "999"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: NOT_FOUND: "), HasSubstr("999")));

  run = Cli({"reply", "999", "--channel=EMAIL", "--agent=ann", "hello"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: NOT_FOUND: "), HasSubstr("conversation")));

  // The command line is wrong: exit code 2, the flag named, nothing sent.
  run = Cli({"ingest", "--channel=EMAL", "--from=email:ann@example.com", "--id=b-2", "x"});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: INVALID_ARGUMENT: --channel: \"EMAL\""),
                             HasSubstr("usage: omniroute ingest")));
  run = Cli({"no-such-command"});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, HasSubstr("unknown command \"no-such-command\""));

  // An unknown tenant is the server's NOT_FOUND.
  run = Cli({"--tenant=nobody", "timeline", "1"});
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.err, StartsWith("error: NOT_FOUND: "));
}

}  // namespace
}  // namespace omniroute
