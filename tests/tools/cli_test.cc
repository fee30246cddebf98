// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The omniroute command line without a server: its argument parsing
// (global flags, options, enums, identities, times, skills), and the exit
// codes and error lines of commands that fail before any call, or whose
// server is gone. The readable output is tested in cli_format_test.cc.

#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "cli/command_table.h"
#include "cli/enum_names.h"
#include "cli/errors.h"
#include "cli/identity_text.h"
#include "cli/paging.h"
#include "cli/printer.h"
#include "cli/time_text.h"
#include "cli/values.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/v1/service.pb.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using Kind = OptionSpec::Kind;

constexpr GlobalFlagSpec kGlobals[] = {
    {"server", false}, {"tenant", false}, {"json", true}, {"timeout", false}};

// The message of a failed parse, as a std::string for the matchers.
std::string ErrorOf(const absl::Status& status) { return std::string(status.message()); }
template <typename T>
std::string ErrorOf(const absl::StatusOr<T>& result) {
  return ErrorOf(result.status());
}

// ---------------------------------------------------------------- command line

TEST(SplitGlobalFlagsTest, GlobalFlagsGoBeforeOrAfterTheCommand) {
  absl::StatusOr<SplitCommandLine> split = SplitGlobalFlags(
      {"--server=10.0.0.1:7000", "--tenant", "acme", "timeline", "7", "--json", "--timeout=2s"},
      kGlobals);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->command, "timeline");
  EXPECT_THAT(split->command_args, ElementsAre("7"));
  ASSERT_EQ(split->globals.size(), 4);
  EXPECT_EQ(split->globals[0].name, "server");
  EXPECT_EQ(split->globals[0].value, "10.0.0.1:7000");
  EXPECT_EQ(split->globals[1].value, "acme");
  EXPECT_EQ(split->globals[2].name, "json");
  EXPECT_EQ(split->globals[2].value, "true");
  EXPECT_EQ(split->globals[3].value, "2s");
  EXPECT_FALSE(split->help);
}

TEST(SplitGlobalFlagsTest, CommandOptionsStayWithTheCommandAndDashDashEndsRecognition) {
  absl::StatusOr<SplitCommandLine> split = SplitGlobalFlags(
      {"ingest", "--channel=EMAIL", "--nojson", "hello", "--", "--json", "is", "text"}, kGlobals);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->command, "ingest");
  EXPECT_THAT(split->command_args,
              ElementsAre("--channel=EMAIL", "hello", "--", "--json", "is", "text"));
  ASSERT_EQ(split->globals.size(), 1);
  EXPECT_EQ(split->globals[0].name, "json");
  EXPECT_EQ(split->globals[0].value, "false");
}

TEST(SplitGlobalFlagsTest, HelpAndErrorsNameTheFlag) {
  absl::StatusOr<SplitCommandLine> help = SplitGlobalFlags({"help", "ingest"}, kGlobals);
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->help);
  EXPECT_EQ(help->command, "ingest");

  absl::StatusOr<SplitCommandLine> unknown = SplitGlobalFlags({"--channel=EMAIL", "x"}, kGlobals);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ErrorOf(unknown), HasSubstr("--channel=EMAIL"));

  absl::StatusOr<SplitCommandLine> no_value = SplitGlobalFlags({"tenants", "--server"}, kGlobals);
  EXPECT_THAT(ErrorOf(no_value), HasSubstr("--server needs a value"));
}

TEST(ParseArgsTest, ValuesRepeatsSwitchesAndPositionals) {
  const OptionSpec options[] = {
      {"channel"}, {"ref", Kind::kRepeated}, {"automatic", Kind::kSwitch}};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(
      {"7", "--channel", "EMAIL", "--ref=a", "--automatic", "--ref", "b", "--", "-x"}, options);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positional(), ElementsAre("7", "-x"));
  EXPECT_EQ(parsed->Value("channel"), "EMAIL");
  EXPECT_THAT(parsed->Values("ref"), ElementsAre("a", "b"));
  EXPECT_TRUE(parsed->Has("automatic"));
  EXPECT_FALSE(parsed->Has("other"));
  EXPECT_FALSE(parsed->help());
}

TEST(ParseArgsTest, MistakesNameTheOption) {
  const OptionSpec options[] = {{"channel"}, {"automatic", Kind::kSwitch}};
  EXPECT_THAT(ErrorOf(ParseArgs({"--chanel=EMAIL"}, options)),
              HasSubstr("unknown option --chanel"));
  EXPECT_THAT(ErrorOf(ParseArgs({"--channel=EMAIL", "--channel=VOICE"}, options)),
              HasSubstr("--channel given twice"));
  EXPECT_THAT(ErrorOf(ParseArgs({"--automatic=yes"}, options)),
              HasSubstr("--automatic takes no value"));
  EXPECT_THAT(ErrorOf(ParseArgs({"--channel"}, options)), HasSubstr("--channel needs a value"));
  EXPECT_TRUE(ParseArgs({"--help"}, options)->help());
}

// ---------------------------------------------------------------- values

TEST(EnumNamesTest, NamesWithoutPrefixInAnyCase) {
  EXPECT_EQ(ParseEnum<v1::Channel>("--channel", "EMAIL").value(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(ParseEnum<v1::Channel>("--channel", "email").value(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(ParseEnum<v1::Channel>("--channel", "CHANNEL_EMAIL").value(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(ParseEnum<v1::Channel>("--channel", "public-social").value(),
            v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(ParseEnum<v1::ConversationStatus>("<STATUS>", "Pending_Customer").value(),
            v1::CONVERSATION_STATUS_PENDING_CUSTOMER);
  EXPECT_EQ(ParseEnum<v1::AgentPresence>("<PRESENCE>", "away").value(), v1::AGENT_PRESENCE_AWAY);
  EXPECT_EQ(ParseEnum<v1::CommitmentKind>("--kind", "callback").value(),
            v1::COMMITMENT_KIND_CALLBACK);
}

TEST(EnumNamesTest, UnknownAndUnspecifiedAreRefusedWithTheChoices) {
  const absl::Status bad = ParseEnum<v1::Channel>("--channel", "EMAL").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(),
            "--channel: \"EMAL\" is not a channel; one of PUBLIC_SOCIAL, PRIVATE_SOCIAL, EMAIL, "
            "VOICE, CHAT, SMS, MESSAGING");
  EXPECT_FALSE(ParseEnum<v1::Channel>("--channel", "UNSPECIFIED").ok());
  EXPECT_FALSE(ParseEnum<v1::Channel>("--channel", "").ok());
  EXPECT_THAT(ErrorOf(ParseEnum<v1::AgentPresence>("<PRESENCE>", "lunch")),
              HasSubstr("is not an agent presence; one of AVAILABLE, BUSY, AWAY, OFFLINE"));
}

TEST(EnumNamesTest, ShortNames) {
  EXPECT_EQ(ShortName(v1::CHANNEL_PRIVATE_SOCIAL), "PRIVATE_SOCIAL");
  EXPECT_EQ(ShortName(v1::TASK_STATUS_OFFERED), "OFFERED");
  EXPECT_EQ(ShortName(v1::OfferUpdate::KIND_EXPIRED), "EXPIRED");
  EXPECT_EQ(ShortName(static_cast<v1::Channel>(42)), "CHANNEL(42)");
}

TEST(IdentityTextTest, EveryFormOfTheBrief) {
  struct Case {
    std::string text;
    v1::IdentityKind kind;
    std::string network;
    std::string value;
  };
  const Case cases[] = {
      {"email:ann@example.com", v1::IDENTITY_KIND_EMAIL, "", "ann@example.com"},
      {"phone:+33612345678", v1::IDENTITY_KIND_PHONE, "", "+33612345678"},
      {"handle@x:parent_of_lea", v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", "parent_of_lea"},
      {"social_id@x:123", v1::IDENTITY_KIND_SOCIAL_ID, "x", "123"},
      {"crm@salesforce:0031", v1::IDENTITY_KIND_CRM_ID, "salesforce", "0031"},
      {"crm:0031", v1::IDENTITY_KIND_CRM_ID, "", "0031"},
      {"SOCIAL_HANDLE@x:Lea", v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", "Lea"},
      {"custom@loyalty:A:77", v1::IDENTITY_KIND_CUSTOM, "loyalty", "A:77"},
      {"Ann@Example.com", v1::IDENTITY_KIND_EMAIL, "", "Ann@Example.com"},
      {"+33 6 12 34 56 78", v1::IDENTITY_KIND_PHONE, "", "+33 6 12 34 56 78"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<v1::RawIdentity> identity = ParseIdentity("--from", c.text);
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(identity->kind(), c.kind);
    EXPECT_EQ(identity->network(), c.network);
    EXPECT_EQ(identity->value(), c.value);
  }
}

TEST(IdentityTextTest, MistakesNameTheArgument) {
  EXPECT_THAT(ErrorOf(ParseIdentity("--from", "fax:123")),
              AllOf(StartsWith("--from: "), HasSubstr("not an identity kind")));
  EXPECT_THAT(ErrorOf(ParseIdentity("--from", "email:")), HasSubstr("has no value"));
  EXPECT_THAT(ErrorOf(ParseIdentity("--from", "email@x:ann@example.com")),
              HasSubstr("email takes no network"));
  EXPECT_THAT(ErrorOf(ParseIdentity("--from", "handle@:lea")), HasSubstr("empty network"));
  EXPECT_THAT(ErrorOf(ParseIdentity("<identity>", "parent_of_lea")),
              AllOf(StartsWith("<identity>: "), HasSubstr("is not an identity")));

  absl::StatusOr<v1::RawIdentity> handle = ParseIdentity("--from", "handle:lea");
  ASSERT_TRUE(handle.ok());
  EXPECT_THAT(ErrorOf(CheckIdentityNetwork("--from", *handle)),
              HasSubstr("a handle needs its network: write handle@NETWORK:lea"));
  handle->set_network("x");
  EXPECT_TRUE(CheckIdentityNetwork("--from", *handle).ok());
}

TEST(IdentityTextTest, PrintedIdentitiesReadBack) {
  for (const std::string text :
       {"email:ann@example.com", "phone:+33612345678", "handle@x:parent_of_lea", "social_id@x:123",
        "crm@salesforce:0031", "custom@loyalty:A-77"}) {
    absl::StatusOr<v1::RawIdentity> raw = ParseIdentity("x", text);
    ASSERT_TRUE(raw.ok()) << text;
    v1::Identity identity;
    identity.set_kind(raw->kind());
    identity.set_network(raw->network());
    identity.set_value(raw->value());
    EXPECT_EQ(FormatIdentity(identity), text);
  }
}

TEST(TimeTextTest, DurationsWithDays) {
  EXPECT_EQ(ParseDurationArg("--x", "90s").value(), absl::Seconds(90));
  EXPECT_EQ(ParseDurationArg("--x", "1h30m").value(), absl::Minutes(90));
  EXPECT_EQ(ParseDurationArg("--x", "2d").value(), absl::Hours(48));
  EXPECT_EQ(ParseDurationArg("--x", "1d12h").value(), absl::Hours(36));
  EXPECT_THAT(ErrorOf(ParseDurationArg("--wrap-up", "soon")),
              AllOf(StartsWith("--wrap-up: "), HasSubstr("not a duration")));
  EXPECT_THAT(ErrorOf(ParseDurationArg("--x", "0s")), HasSubstr("longer than zero"));
  EXPECT_FALSE(ParseDurationArg("--x", "-5m").ok());
  EXPECT_FALSE(ParseDurationArg("--x", "inf").ok());
  EXPECT_FALSE(ParseDurationArg("--x", "").ok());
  EXPECT_FALSE(ParseDurationArg("--x", "3").ok());
}

TEST(TimeTextTest, TimesAreRfc3339OrFromNow) {
  const absl::Time now = absl::FromUnixSeconds(1714640400);  // 2024-05-02T09:00:00Z
  EXPECT_EQ(ParseTimeArg("--due", "+2h", now).value(), now + absl::Hours(2));
  EXPECT_EQ(ParseTimeArg("--due", "+1d", now).value(), now + absl::Hours(24));
  EXPECT_EQ(ParseTimeArg("--due", "2024-05-02T17:00:00Z", now).value(), now + absl::Hours(8));
  EXPECT_EQ(ParseTimeArg("--due", "2024-05-02T17:00:00+02:00", now).value(), now + absl::Hours(6));
  EXPECT_THAT(ErrorOf(ParseTimeArg("--due", "tomorrow", now)),
              AllOf(StartsWith("--due: "), HasSubstr("RFC 3339")));
  EXPECT_FALSE(ParseTimeArg("--due", "+", now).ok());

  google::protobuf::Timestamp timestamp;
  ToProto(now + absl::Milliseconds(250), &timestamp);
  EXPECT_EQ(timestamp.seconds(), 1714640400);
  EXPECT_EQ(timestamp.nanos(), 250000000);
  EXPECT_EQ(FormatTimestamp(timestamp), "2024-05-02T09:00:00Z");
  EXPECT_EQ(FormatTimestamp(google::protobuf::Timestamp()), "-");
  // What is printed can be given back.
  EXPECT_EQ(ParseTimeArg("--due", FormatTimestamp(timestamp), now).value(), now);
}

TEST(ValuesTest, IdsSkillsChannelsCostsAndSteps) {
  EXPECT_EQ(ParseId("<task>", "12").value(), 12u);
  EXPECT_THAT(ErrorOf(ParseId("<task>", "0")), HasSubstr("<task>: \"0\" is not an id"));
  EXPECT_FALSE(ParseId("<task>", "-3").ok());
  EXPECT_FALSE(ParseId("<task>", "12a").ok());
  EXPECT_FALSE(ParseId("<task>", "99999999999999999999").ok());

  EXPECT_THAT(ErrorOf(ParseInteger("--reach", "-1", 0, 10)),
              HasSubstr("--reach: -1 is out of range (0 to 10)"));

  absl::StatusOr<v1::SkillLevel> skill = ParseSkill("--skill", "billing:7");
  ASSERT_TRUE(skill.ok());
  EXPECT_EQ(skill->skill(), "billing");
  EXPECT_EQ(skill->level(), 7);
  EXPECT_THAT(ErrorOf(ParseSkill("--skill", "billing")), HasSubstr("write name:level"));
  EXPECT_THAT(ErrorOf(ParseSkill("--skill", "billing:11")), HasSubstr("out of range (1 to 10)"));

  EXPECT_THAT(ParseChannelList("--channels", "email, Voice").value(),
              ElementsAre(v1::CHANNEL_EMAIL, v1::CHANNEL_VOICE));
  EXPECT_THAT(ErrorOf(ParseChannelList("--channels", "EMAIL,EMAIL")),
              HasSubstr("EMAIL is listed twice"));
  EXPECT_THAT(ErrorOf(ParseChannelList("--channels", "EMAIL,FAX")),
              HasSubstr("--channels: \"FAX\" is not a channel"));
  EXPECT_FALSE(ParseChannelList("--channels", "").ok());

  absl::StatusOr<v1::ChannelCost> cost = ParseChannelCost("--cost", "voice:4");
  ASSERT_TRUE(cost.ok());
  EXPECT_EQ(cost->channel(), v1::CHANNEL_VOICE);
  EXPECT_EQ(cost->units(), 4);

  absl::StatusOr<v1::ExpansionStep> relax = ParseExpansionStep("--relax", "10m:2", true);
  ASSERT_TRUE(relax.ok());
  EXPECT_EQ(relax->after().seconds(), 600);
  EXPECT_EQ(relax->relax_levels(), 2);
  absl::StatusOr<v1::ExpansionStep> overflow = ParseExpansionStep("--overflow", "1d:backup", false);
  ASSERT_TRUE(overflow.ok());
  EXPECT_EQ(overflow->after().seconds(), 86400);
  EXPECT_EQ(overflow->overflow_queue_id(), "backup");
  EXPECT_THAT(ErrorOf(ParseExpansionStep("--overflow", "backup", false)),
              HasSubstr("write WAIT:queue"));
}

TEST(ErrorsTest, CategoriesDecideTheExitCode) {
  const absl::Status usage = absl::InvalidArgumentError("--channel: required");
  const absl::Status rpc =
      RpcError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "identity.value: empty"));
  const absl::Status local = LocalError(absl::UnavailableError("stdout closed"));
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(usage), kExitUsage);
  EXPECT_EQ(ExitCodeFor(rpc), kExitFailure);
  EXPECT_EQ(ExitCodeFor(local), kExitFailure);
  EXPECT_TRUE(IsRpcError(rpc));
  EXPECT_FALSE(IsUsageError(rpc));
  EXPECT_EQ(ErrorLine(rpc), "error: INVALID_ARGUMENT: identity.value: empty");
}

// ---------------------------------------------------------------- paging

// A list of `total` timeline entries served `size` at a time; a page's
// token is the index of its next entry. Records the requests it gets.
struct FakeTimeline {
  int total = 0;
  int size = 1;
  std::vector<std::string> tokens_seen;

  absl::Status operator()(const v1::GetTimelineRequest& request, v1::GetTimelineResponse* page) {
    tokens_seen.push_back(request.page_token());
    int from = 0;
    if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &from)) {
      return RpcError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_token: forged"));
    }
    for (int i = from; i < total && i < from + size; ++i) {
      page->add_entries()->mutable_message()->set_message_id(i + 1);
    }
    if (from + size < total) page->set_next_page_token(absl::StrCat(from + size));
    return absl::OkStatus();
  }
};

std::vector<uint64_t> Ids(const v1::GetTimelineResponse& timeline) {
  std::vector<uint64_t> ids;
  for (const v1::TimelineEntry& e : timeline.entries()) ids.push_back(e.message().message_id());
  return ids;
}

TEST(ReadEveryPageTest, FollowsTheTokensToTheLastPage) {
  FakeTimeline fake{.total = 7, .size = 3};
  v1::GetTimelineRequest request;
  request.set_conversation_id(9);
  v1::GetTimelineResponse whole;
  whole.set_next_page_token("left over");
  ASSERT_TRUE((ReadEveryPage<v1::GetTimelineRequest, v1::GetTimelineResponse>(
                   request, &whole, std::ref(fake)))
                  .ok());
  EXPECT_THAT(Ids(whole), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  EXPECT_THAT(whole.next_page_token(), IsEmpty());
  EXPECT_THAT(fake.tokens_seen, ElementsAre("", "3", "6"));

  // An empty list is one page.
  FakeTimeline empty{.total = 0, .size = 3};
  ASSERT_TRUE((ReadEveryPage<v1::GetTimelineRequest, v1::GetTimelineResponse>(
                   request, &whole, std::ref(empty)))
                  .ok());
  EXPECT_THAT(Ids(whole), IsEmpty());
  EXPECT_THAT(empty.tokens_seen, ElementsAre(""));
}

TEST(ReadEveryPageTest, AnErrorOrATokenGivenBackEndsTheRead) {
  v1::GetTimelineRequest request;
  request.set_page_token("forged");
  v1::GetTimelineResponse whole;
  FakeTimeline fake{.total = 7, .size = 3};
  const absl::Status refused = ReadEveryPage<v1::GetTimelineRequest, v1::GetTimelineResponse>(
      request, &whole, std::ref(fake));
  EXPECT_TRUE(IsRpcError(refused));
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);

  // A server that answers every page with the token it was sent.
  int calls = 0;
  const absl::Status loop = ReadEveryPage<v1::GetTimelineRequest, v1::GetTimelineResponse>(
      v1::GetTimelineRequest(), &whole,
      [&calls](const v1::GetTimelineRequest&, v1::GetTimelineResponse* page) {
        ++calls;
        page->add_entries();
        page->set_next_page_token("same");
        return absl::OkStatus();
      });
  EXPECT_TRUE(IsRpcError(loop));
  EXPECT_EQ(loop.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(ErrorOf(loop), HasSubstr("\"same\""));
  EXPECT_EQ(calls, 2);
}

TEST(OnePageFromTest, EitherOptionAsksForOnePage) {
  const OptionSpec options[] = {{kPageSizeOption}, {kPageTokenOption}};
  absl::StatusOr<ParsedArgs> none = ParseArgs({"7"}, options);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(OnePageFrom(*none)->has_value());

  absl::StatusOr<ParsedArgs> size = ParseArgs({"7", "--page-size=25"}, options);
  ASSERT_TRUE(size.ok());
  absl::StatusOr<std::optional<OnePage>> page = OnePageFrom(*size);
  ASSERT_TRUE(page.ok() && page->has_value());
  EXPECT_EQ((*page)->page_size, 25);
  EXPECT_EQ((*page)->page_token, "");

  absl::StatusOr<ParsedArgs> token = ParseArgs({"7", "--page-token", "abc"}, options);
  ASSERT_TRUE(token.ok());
  page = OnePageFrom(*token);
  ASSERT_TRUE(page.ok() && page->has_value());
  EXPECT_EQ((*page)->page_size, 0);
  EXPECT_EQ((*page)->page_token, "abc");
}

// ---------------------------------------------------------------- commands

// Runs a command as main() would, without a server unless one is named.
struct CommandRun {
  int exit_code;
  std::string out;
  std::string err;
};

CommandRun RunCli(const std::vector<std::string>& args, const std::string& tenant = "acme",
                  const std::string& in = "") {
  absl::StatusOr<SplitCommandLine> split = SplitGlobalFlags(args, kGlobals);
  EXPECT_TRUE(split.ok()) << split.status();
  const Command* command = FindCommand(split->command);
  EXPECT_NE(command, nullptr) << split->command;
  GlobalOptions options;
  // Nothing listens on port 1: a call fails at once with UNAVAILABLE.
  options.server = "127.0.0.1:1";
  options.tenant = tenant;
  // --json as main() reads it (the other globals are set above).
  for (const GlobalFlag& flag : split->globals) {
    if (flag.name == "json") EXPECT_TRUE(absl::SimpleAtob(flag.value, &options.json)) << flag.value;
  }
  Client client(options.server, absl::Seconds(5));
  std::ostringstream out, err;
  std::istringstream input(in);
  const int code = RunCommand(*command, split->command_args, options, client,
                              Streams{out, err, input}, absl::FromUnixSeconds(1714640400));
  return {code, out.str(), err.str()};
}

TEST(RunCommandTest, UsageErrorsNameTheFlagOrArgumentAndExitTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"ingest", "--from=email:ann@example.com", "--id=m1", "hi"}, "--channel: required"},
      {{"ingest", "--channel=EMAL", "--from=email:a@b.c", "--id=m1"},
       "--channel: \"EMAL\" is not a channel"},
      {{"ingest", "--channel=EMAIL", "--from=handle:lea", "--id=m1"},
       "--from: a handle needs its network"},
      {{"ingest", "--channel=EMAIL", "--from=handle@x:lea", "--network=y", "--id=m1"},
       "--network: \"y\" contradicts"},
      {{"ingest", "--channel=EMAIL", "--from=email:a@b.c", "--id=m1", "--reach=lots"},
       "--reach: \"lots\" is not an integer"},
      {{"timeline"}, "missing <conversation>"},
      {{"timeline", "seven"}, "<conversation>: \"seven\" is not an id"},
      {{"timeline", "7", "8"}, "unexpected argument \"8\""},
      {{"status", "7", "DONE"}, "<STATUS>: \"DONE\" is not a conversation status"},
      {{"presence", "ann", "lunch"}, "<PRESENCE>: \"lunch\" is not an agent presence"},
      {{"agent-upsert", "ann", "--skill=billing:7"}, "--channels: required"},
      {{"agent-upsert", "ann", "--channels=EMAIL", "--skill=billing"}, "--skill: \"billing\""},
      {{"transfer", "12"}, "--queue or --agent: give exactly one"},
      {{"commit", "3", "--kind=CALLBACK", "--due=later", "--description=x"}, "--due: \"later\""},
      {{"commit", "3", "--kind=CALLBACK", "--due=+2h", "--deadline=+1h", "--description=x"},
       "--deadline: +1h is before --due"},
      {{"close-commitment", "4", "MISSED"}, "FULFILLED or CANCELLED, not MISSED"},
      {{"watch", "--count=0"}, "--count: 0 is out of range"},
      {{"find", "fax:123"}, "<identity>: \"fax\" is not an identity kind"},
      {{"link", "1", "--bogus"}, "unknown option --bogus"},
      {{"timeline", "7", "--page-size=ten"}, "--page-size: \"ten\" is not an integer"},
      {{"timeline", "7", "--page-size=0"}, "--page-size: 0 is out of range"},
      {{"conversations", "3", "--page-size=-2"}, "--page-size: -2 is out of range"},
      {{"conversations", "3", "--page-size=99999999999"}, "--page-size: 99999999999"},
      {{"timeline", "7", "--page"}, "unknown option --page"},
      {{"agent-statistics"}, "missing <agent>"},
      {{"agent-statistics", "ann", "bob"}, "unexpected argument \"bob\""},
      {{"statistics", "--window=5m"}, "unknown option --window"},
      {{"report", "--to=2026-12-07T10:00:00Z"}, "--from: required"},
      {{"report", "--from=", "--to=2026-12-07T10:00:00Z"}, "--from: required"},
      {{"report", "--from=2026-12-07T09:00:00Z"}, "--to: required"},
      {{"report", "--from=2026-12-07T09:00:00Z", "--to=tomorrow"},
       "--to: \"tomorrow\" is not a time"},
      {{"report", "--from=2026-12-07 09:00", "--to=2026-12-07T10:00:00Z"},
       "--from: \"2026-12-07 09:00\" is not a time"},
      {{"report", "--from=2026-12-07T09:00:00Z", "--to=2026-12-07T25:00:00Z"},
       "--to: \"2026-12-07T25:00:00Z\" is not a time"},
      {{"report", "--from=2026-12-07T09:00:00Z", "--to=2026-12-07T10:00:00Z", "--csv", "--json"},
       "--csv: cannot be combined with --json"},
      {{"report", "--json", "--csv", "--from=2026-12-07T09:00:00Z", "--to=2026-12-07T10:00:00Z"},
       "--csv: cannot be combined with --json"},
      {{"report", "--from=2026-12-07T09:00:00Z", "--to=2026-12-07T10:00:00Z", "--csv=yes"},
       "--csv takes no value"},
      {{"report", "support", "--from=2026-12-07T09:00:00Z", "--to=2026-12-07T10:00:00Z"},
       "unexpected argument \"support\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrJoin(c.args, " "));
    const CommandRun run = RunCli(c.args);
    EXPECT_EQ(run.exit_code, kExitUsage) << run.err;
    EXPECT_THAT(run.err, AllOf(StartsWith("error: INVALID_ARGUMENT: "), HasSubstr(c.message),
                               HasSubstr(absl::StrCat("usage: omniroute ", c.args[0]))));
    EXPECT_THAT(run.out, IsEmpty());
  }
}

TEST(RunCommandTest, TenantScopedCommandsNeedATenant) {
  const CommandRun run = RunCli({"timeline", "7"}, /*tenant=*/"");
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("--tenant: required by 'timeline'"));
  for (const char* name : {"statistics", "agent-statistics"}) {
    const CommandRun stats = RunCli({name, "ann"}, /*tenant=*/"");
    EXPECT_EQ(stats.exit_code, kExitUsage) << name;
    EXPECT_THAT(stats.err, HasSubstr(absl::StrCat("--tenant: required by '", name, "'")));
  }
}

TEST(RunCommandTest, StatisticsTakesAnyNumberOfQueues) {
  // No queue, one or several: each reaches the (missing) server.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"statistics"}, {"statistics", "support"},
        {"statistics", "support", "billing", "--json"}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    const CommandRun run = RunCli(args);
    EXPECT_EQ(run.exit_code, kExitFailure) << run.err;
    EXPECT_THAT(run.err, StartsWith("error: UNAVAILABLE: "));
  }
}

TEST(RunCommandTest, ReportTakesRfc3339OrRelativeTimesAndEitherOutput) {
  // Well-formed: each reaches the (missing) server. The order of the times
  // is the server's to check (it names the field).
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"report", "--from=2026-12-07T09:00:00Z",
                                 "--to=2026-12-07T10:00:00Z"},
        {"report", "--from", "2026-12-07T10:00:00+01:00", "--to", "+1h", "--csv"},
        {"report", "--from=2026-12-07T09:00:00.5Z", "--to=2026-12-07T09:00:00Z", "--json"}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    const CommandRun run = RunCli(args);
    EXPECT_EQ(run.exit_code, kExitFailure) << run.err;
    EXPECT_THAT(run.err, StartsWith("error: UNAVAILABLE: "));
    EXPECT_THAT(run.out, IsEmpty());
  }
  const CommandRun run =
      RunCli({"report", "--from=2026-12-07T09:00:00Z", "--to=2026-12-07T10:00:00Z"}, "");
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("--tenant: required by 'report'"));

  const CommandRun help = RunCli({"report", "--help"});
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_THAT(help.out, AllOf(StartsWith("usage: omniroute report --from=TIME --to=TIME [--csv]\n"),
                              HasSubstr("--csv"), HasSubstr("RFC 3339"), HasSubstr("SAME AGENT")));
  EXPECT_THAT(GeneralHelp(), HasSubstr("  report "));
}

TEST(RunCommandTest, AnUnreachableServerIsAnRpcErrorNamingIt) {
  const CommandRun run = RunCli({"timeline", "7"});
  EXPECT_EQ(run.exit_code, kExitFailure) << run.err;
  EXPECT_THAT(run.err, AllOf(StartsWith("error: UNAVAILABLE: "), HasSubstr("127.0.0.1:1")));
  EXPECT_THAT(run.err, Not(HasSubstr("usage:")));

  // A stream too, with where to resume.
  const CommandRun watch = RunCli({"watch", "--from=5"});
  EXPECT_EQ(watch.exit_code, kExitFailure) << watch.err;
  EXPECT_THAT(watch.err, AllOf(StartsWith("error: UNAVAILABLE: "), HasSubstr("--from=5")));
}

TEST(RunCommandTest, HelpForEveryCommand) {
  for (const Command& command : Commands()) {
    SCOPED_TRACE(command.name);
    const CommandRun run = RunCli({std::string(command.name), "--help"});
    EXPECT_EQ(run.exit_code, kExitOk);
    EXPECT_THAT(run.out, StartsWith(absl::StrCat("usage: omniroute ", command.name)));
    EXPECT_THAT(GeneralHelp(), HasSubstr(absl::StrCat("  ", command.name, " ")));
  }
}

TEST(RunCommandTest, ABodyOfDashIsReadFromStandardInput) {
  // The body is read before the call, which then fails on the missing
  // server: what matters is that "-" did not end up as the body's text. The
  // parse is checked directly.
  const OptionSpec none[] = {{"x"}};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs({"3", "-"}, none);
  ASSERT_TRUE(parsed.ok());
  GlobalOptions options;
  Client client("127.0.0.1:1", absl::Seconds(1));
  std::ostringstream out;
  Printer printer(out, false);
  std::istringstream in("line one\nline two\n");
  CommandContext context{*parsed, options, client, printer, in, absl::Now()};
  EXPECT_EQ(context.Body(1).value(), "line one\nline two");

  absl::StatusOr<ParsedArgs> words = ParseArgs({"3", "the", "jar", "is", "spoiled"}, none);
  CommandContext typed{*words, options, client, printer, in, absl::Now()};
  EXPECT_EQ(typed.Body(1).value(), "the jar is spoiled");
}

}  // namespace
}  // namespace omniroute::cli
