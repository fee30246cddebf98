// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Bad input on the wire, sent as a client from outside would send it: raw
// bytes that do not parse, strings that are not UTF-8, Timestamps and
// Durations outside protobuf's range, tenant and routing settings the
// library would not take as given. Every method and every field of those
// kinds is enumerated from the descriptors of service.proto, so that a
// method or field added later is covered without being listed here. Each
// call must be refused INVALID_ARGUMENT naming the field, and the tenant's
// state must be what it was.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "gtest/gtest.h"
#include "omniroute/v1/config.pb.h"
#include "service/bad_request_world.h"
#include "service/convert.h"
#include "service/service_test_support.h"
#include "service/tenant_config.h"
#include "service/wire_guard.h"

namespace omniroute::service_test {
namespace {

namespace pb = ::google::protobuf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Every method of every service of service.proto.
std::vector<const pb::MethodDescriptor*> AllMethods() {
  const pb::FileDescriptor* file = v1::CreateTenantRequest::descriptor()->file();
  std::vector<const pb::MethodDescriptor*> methods;
  for (int s = 0; s < file->service_count(); ++s) {
    for (int m = 0; m < file->service(s)->method_count(); ++m) {
      methods.push_back(file->service(s)->method(m));
    }
  }
  return methods;
}

std::string FullName(const pb::MethodDescriptor* method) {
  return absl::StrCat("/", method->service()->full_name(), "/", method->name());
}

bool IsTime(const pb::Descriptor* type) {
  return type->full_name() == "google.protobuf.Timestamp" ||
         type->full_name() == "google.protobuf.Duration";
}

// A field reached from a request: the fields on the way and its name as the
// server must give it ("settings.channels[0].continuity_window").
struct FieldPath {
  std::vector<const pb::FieldDescriptor*> fields;
  std::string name;
};

// Every field of `type` (nested messages included, each message type once
// per path) for which `want` holds.
void CollectPaths(const pb::Descriptor* type, std::vector<const pb::FieldDescriptor*>& stack,
                  const std::string& prefix, std::set<const pb::Descriptor*>& on_path,
                  const std::function<bool(const pb::FieldDescriptor*)>& want,
                  std::vector<FieldPath>* out) {
  on_path.insert(type);
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* f = type->field(i);
    const std::string name = absl::StrCat(prefix, f->name(), f->is_repeated() ? "[0]" : "");
    stack.push_back(f);
    if (want(f)) {
      out->push_back({stack, name});
    } else if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
               !IsTime(f->message_type()) && !on_path.contains(f->message_type())) {
      CollectPaths(f->message_type(), stack, absl::StrCat(name, "."), on_path, want, out);
    }
    stack.pop_back();
  }
  on_path.erase(type);
}

std::vector<FieldPath> Paths(const pb::Descriptor* type,
                             const std::function<bool(const pb::FieldDescriptor*)>& want) {
  std::vector<const pb::FieldDescriptor*> stack;
  std::set<const pb::Descriptor*> on_path;
  std::vector<FieldPath> out;
  CollectPaths(type, stack, "", on_path, want, &out);
  return out;
}

// The message that holds the last field of `path`, created on the way.
pb::Message* Parent(pb::Message* root, const FieldPath& path) {
  pb::Message* m = root;
  for (size_t i = 0; i + 1 < path.fields.size(); ++i) {
    const pb::FieldDescriptor* f = path.fields[i];
    m = f->is_repeated() ? m->GetReflection()->AddMessage(m, f)
                         : m->GetReflection()->MutableMessage(m, f);
  }
  return m;
}

std::unique_ptr<pb::Message> NewRequest(const pb::MethodDescriptor* method) {
  std::unique_ptr<pb::Message> m(
      pb::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  if (const pb::FieldDescriptor* tenant = method->input_type()->FindFieldByName("tenant_id")) {
    m->GetReflection()->SetString(m.get(), tenant, kTenant);
  }
  return m;
}

class WireInputTest : public BadRequestTest {
 protected:
  // Calls `method` with `bytes` as the request, whatever they are, and
  // returns how the call ended (unary and streaming methods alike).
  grpc::Status RawCall(const std::string& method, const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::CompletionQueue cq;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
        stub.PrepareCall(&context, method, &cq);
    void* got = nullptr;
    bool ok = false;
    const auto next = [&](intptr_t want) {
      EXPECT_TRUE(cq.Next(&got, &ok));
      EXPECT_EQ(got, reinterpret_cast<void*>(want));
      return ok;
    };
    call->StartCall(reinterpret_cast<void*>(1));
    next(1);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call->WriteLast(buffer, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    next(2);  // may fail when the server answered first
    grpc::ByteBuffer reply;
    for (;;) {
      call->Read(&reply, reinterpret_cast<void*>(3));
      if (!next(3)) break;
    }
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(4));
    next(4);
    cq.Shutdown();
    while (cq.Next(&got, &ok)) {
    }
    return status;
  }

  // What must not change: the tenant's log and state, and the tenants.
  struct State {
    uint64_t last_sequence;
    std::string dump;
    std::vector<std::string> tenants;
    bool operator==(const State&) const = default;
  };
  State Snapshot() {
    absl::StatusOr<uint64_t> last = server_->engine().LastSequence(kTenant);
    EXPECT_TRUE(last.ok()) << last.status();
    return State{last.value_or(0), Dump(), Tenants()};
  }

  void ExpectRefused(const grpc::Status& status, absl::string_view field,
                     const std::string& context) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << context << ": " << Describe(status);
    EXPECT_THAT(status.error_message(), StartsWith(absl::StrCat(field, ": ")))
        << context << ": " << Describe(status);
  }
};

TEST_F(WireInputTest, BytesThatDoNotParseAreRefusedByEveryMethod) {
  Build();
  const State before = Snapshot();
  // Field 1, length-delimited, then a length whose varint never ends.
  const std::string garbage("\x0a\xff\xff", 3);
  const std::vector<const pb::MethodDescriptor*> methods = AllMethods();
  ASSERT_GT(methods.size(), 40u);
  for (const pb::MethodDescriptor* method : methods) {
    const grpc::Status status = RawCall(FullName(method), garbage);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << FullName(method) << ": " << Describe(status);
    EXPECT_EQ(status.error_message(),
              absl::StrCat("request: bytes do not parse as ", method->input_type()->full_name()))
        << FullName(method);
  }
  EXPECT_TRUE(Snapshot() == before);
  // The server still serves.
  MustInvoke(*diagnostics_, &v1::DiagnosticsService::Stub::Ping, v1::PingRequest());
}

TEST_F(WireInputTest, InvalidUtf8InAnyStringFieldOfAnyRequestIsRefusedNamingIt) {
  Build();
  const State before = Snapshot();
  const std::string bad("ok\xc3\x28", 4);  // 0xC3 starts a 2-byte sequence; '(' does not continue it
  int checked = 0;
  std::set<std::string> seen;
  for (const pb::MethodDescriptor* method : AllMethods()) {
    for (const FieldPath& path : Paths(method->input_type(), [](const pb::FieldDescriptor* f) {
           return f->type() == pb::FieldDescriptor::TYPE_STRING;
         })) {
      std::unique_ptr<pb::Message> request = NewRequest(method);
      pb::Message* parent = Parent(request.get(), path);
      const pb::FieldDescriptor* field = path.fields.back();
      if (field->is_repeated()) {
        parent->GetReflection()->AddString(parent, field, bad);
      } else {
        parent->GetReflection()->SetString(parent, field, bad);
      }
      ExpectRefused(RawCall(FullName(method), request->SerializeAsString()), path.name,
                    absl::StrCat(FullName(method), " ", path.name));
      seen.insert(path.name);
      ++checked;
    }
  }
  // The kinds a client sends: tenant ids, bodies, external ids, identity
  // values, tags, names.
  for (const char* kind : {"tenant_id", "body", "external_id", "sender.value", "identity.value",
                           "tags[0]", "queue.display_name", "agent.agent_id",
                           "settings.rules[0].name", "settings.default_country_code"}) {
    EXPECT_TRUE(seen.contains(kind)) << kind;
  }
  EXPECT_GT(checked, 100);
  EXPECT_TRUE(Snapshot() == before);
}

// The same with a request that would be applied but for the one bad string.
TEST_F(WireInputTest, InvalidUtf8InAValidRequestChangesNothing) {
  Build();
  const State before = Snapshot();
  const std::string bad("\xff", 1);
  const v1::IngestMessageRequest valid =
      EmailMessage(kTenant, "eve@example.com", "<e1@example.com>", "hello");
  struct Case {
    std::string field;
    std::function<void(v1::IngestMessageRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"tenant_id", [&](auto& r) { r.set_tenant_id(bad); }},
      {"body", [&](auto& r) { r.set_body(absl::StrCat("fine ", bad)); }},
      {"external_id", [&](auto& r) { r.set_external_id(bad); }},
      {"sender.value", [&](auto& r) { r.mutable_sender()->set_value(bad); }},
      {"profile.display_name", [&](auto& r) { r.mutable_profile()->set_display_name(bad); }},
      {"tags[1]",
       [&](auto& r) {
         r.add_tags("fine");
         r.add_tags(bad);
       }},
      {"references[0]", [&](auto& r) { r.add_references(bad); }},
  };
  for (const Case& c : cases) {
    v1::IngestMessageRequest request = valid;
    c.spoil(request);
    ExpectRefused(RawCall("/omniroute.v1.ConversationService/IngestMessage",
                          request.SerializeAsString()),
                  c.field, c.field);
  }
  EXPECT_TRUE(Snapshot() == before);
  // The same message with good strings is taken: the refusals were about
  // the bytes alone.
  const grpc::Status ok = RawCall("/omniroute.v1.ConversationService/IngestMessage",
                                  valid.SerializeAsString());
  EXPECT_TRUE(ok.ok()) << Describe(ok);
  EXPECT_GT(Snapshot().last_sequence, before.last_sequence);
}

struct BadTime {
  int64_t seconds;
  int32_t nanos;
};

TEST_F(WireInputTest, TimesOutsideProtobufsRangeAreRefusedInEveryField) {
  Build();
  const State before = Snapshot();
  const std::vector<BadTime> bad_timestamps = {
      {-62135596801, 0},    // the second before 0001-01-01
      {253402300800, 0},    // 10000-01-01
      {-977324400000, 0},   // about year -29,000
      {978285000000000, 0}, // about year 31 million
      {0, 1000000000},      // nanos not normalized
      {0, -1},
  };
  const std::vector<BadTime> bad_durations = {
      {315576000001, 0}, {-315576000001, 0}, {0, 1000000000}, {0, -1000000000},
      {1, -1},           {-1, 1},
  };
  std::set<std::string> seen;
  for (const pb::MethodDescriptor* method : AllMethods()) {
    for (const FieldPath& path : Paths(method->input_type(), [](const pb::FieldDescriptor* f) {
           return f->type() == pb::FieldDescriptor::TYPE_MESSAGE && IsTime(f->message_type());
         })) {
      const pb::FieldDescriptor* field = path.fields.back();
      const bool timestamp = field->message_type()->full_name() == "google.protobuf.Timestamp";
      for (const BadTime& t : timestamp ? bad_timestamps : bad_durations) {
        std::unique_ptr<pb::Message> request = NewRequest(method);
        pb::Message* parent = Parent(request.get(), path);
        pb::Message* time = field->is_repeated()
                                ? parent->GetReflection()->AddMessage(parent, field)
                                : parent->GetReflection()->MutableMessage(parent, field);
        const pb::Descriptor* d = time->GetDescriptor();
        time->GetReflection()->SetInt64(time, d->FindFieldByName("seconds"), t.seconds);
        time->GetReflection()->SetInt32(time, d->FindFieldByName("nanos"), t.nanos);
        ExpectRefused(RawCall(FullName(method), request->SerializeAsString()), path.name,
                      absl::StrCat(FullName(method), " ", path.name, " = ", t.seconds, "s ",
                                   t.nanos, "ns"));
      }
      seen.insert(absl::StrCat(method->name(), " ", path.name));
    }
  }
  for (const char* expected :
       {"RecordCommitment due_at", "RecordCommitment deadline",
        "CreateTenant settings.channels[0].continuity_window",
        "CreateTenant settings.closed_retention", "UpsertQueue queue.expansion_steps[0].after",
        "UpsertAgent agent.wrap_up", "ConfigureRouting settings.default_preferred_agent_wait"}) {
    EXPECT_TRUE(seen.contains(expected)) << expected << " in " << absl::StrJoin(seen, ", ");
  }
  EXPECT_TRUE(Snapshot() == before);
}

// A commitment due in year -29,000 or 31 million used to be recorded and
// acted on; a valid one next to it still is.
TEST_F(WireInputTest, ACommitmentDueOutsideTheCalendarIsNotRecorded) {
  Build();
  const State before = Snapshot();
  for (int64_t seconds : {int64_t{-977324400000}, int64_t{978285000000000}}) {
    v1::RecordCommitmentRequest request = CommitmentRequest();
    request.mutable_due_at()->set_seconds(seconds);
    const Reply<v1::Commitment> reply =
        Invoke(*commitments_, &v1::CommitmentService::Stub::RecordCommitment, request);
    ExpectRefused(reply.status, "due_at", absl::StrCat("due_at seconds ", seconds));
  }
  v1::RecordCommitmentRequest late = CommitmentRequest();
  late.mutable_deadline()->set_seconds(late.due_at().seconds() + 3600);
  late.mutable_deadline()->set_nanos(1000000000);
  ExpectRefused(
      Invoke(*commitments_, &v1::CommitmentService::Stub::RecordCommitment, late).status,
      "deadline", "deadline nanos 1e9");
  EXPECT_TRUE(Snapshot() == before);
  MustInvoke(*commitments_, &v1::CommitmentService::Stub::RecordCommitment, CommitmentRequest());
  EXPECT_GT(Snapshot().last_sequence, before.last_sequence);
}

// ------------------------------------------------------------ settings

struct SettingsRow {
  std::string name;
  // The settings field (of TenantSettings or ChannelSettings) it is about.
  std::string covers;
  std::string text;  // TenantSettings in text format
  std::string field; // what the message must start with
};

std::vector<SettingsRow> TenantSettingsRows() {
  return {
      {"country code with a plus", "default_country_code", "default_country_code: '+33'",
       "default_country_code"},
      {"unknown channel", "channel", "channels { channel: 99 continuity_window { seconds: 60 } }",
       "settings.channels[0].channel"},
      {"channel twice", "channels",
       "channels { channel: CHANNEL_EMAIL continuity_window { seconds: 60 } } "
       "channels { channel: CHANNEL_EMAIL continuity_window { seconds: 120 } }",
       "settings.channels[1].channel"},
      {"negative continuity window", "continuity_window",
       "channels { channel: CHANNEL_EMAIL continuity_window { seconds: -3600 } }",
       "settings.channels[0].continuity_window"},
      {"negative default continuity window", "continuity_window",
       "channels { channel: CHANNEL_UNSPECIFIED continuity_window { nanos: -1 } }",
       "settings.channels[0].continuity_window"},
      {"continuity window nanos not normalized", "continuity_window",
       "channels { channel: CHANNEL_CHAT continuity_window { seconds: 1 nanos: 1000000000 } }",
       "settings.channels[0].continuity_window"},
      {"negative first-response target", "first_response_target",
       "channels { channel: CHANNEL_CHAT first_response_target { seconds: -60 } }",
       "settings.channels[0].first_response_target"},
      {"first-response target on the default entry", "first_response_target",
       "channels { channel: CHANNEL_UNSPECIFIED first_response_target { seconds: 60 } }",
       "settings.channels[0].first_response_target"},
      {"negative thread merge window", "thread_merge_window",
       "thread_merge_window { seconds: -1 }", "settings.thread_merge_window"},
      {"thread merge window past protobuf's range", "thread_merge_window",
       "thread_merge_window { seconds: 315576000001 }", "settings.thread_merge_window"},
      {"body limit over the ceiling", "max_body_bytes", "max_body_bytes: 2097152",
       "settings.max_body_bytes"},
      {"negative closed retention", "closed_retention", "closed_retention { seconds: -86400 }",
       "settings.closed_retention"},
  };
}

// Fields with no value to refuse (any bool is a setting).
const std::set<std::string> kNoInvalidValue = {"merge_threads_on_customer_merge",
                                               "close_public_loop"};

TEST_F(WireInputTest, EveryTenantSettingOutOfRangeIsRefusedNamingIt) {
  Build();
  const State before = Snapshot();
  std::set<std::string> covered;
  for (const SettingsRow& row : TenantSettingsRows()) {
    v1::CreateTenantRequest request;
    request.set_tenant_id("fresh");
    ASSERT_TRUE(pb::TextFormat::ParseFromString(row.text, request.mutable_settings())) << row.text;
    const Reply<v1::CreateTenantResponse> reply =
        Invoke(*tenants_, &v1::TenantService::Stub::CreateTenant, request);
    ExpectRefused(reply.status, row.field, row.name);
    covered.insert(row.covers);
  }
  EXPECT_TRUE(Snapshot() == before);
  // Every setting has a row, or no value to refuse.
  for (const pb::Descriptor* type :
       {v1::TenantSettings::descriptor(), v1::ChannelSettings::descriptor()}) {
    for (int i = 0; i < type->field_count(); ++i) {
      const std::string name = type->field(i)->name();
      EXPECT_TRUE(covered.contains(name) || kNoInvalidValue.contains(name))
          << type->full_name() << "." << name << " has no row";
    }
  }
  // The rows' settings without their fault are taken.
  v1::CreateTenantRequest fine;
  fine.set_tenant_id("fresh");
  ASSERT_TRUE(pb::TextFormat::ParseFromString(
      "channels { channel: CHANNEL_UNSPECIFIED continuity_window { seconds: 0 } } "
      "channels { channel: CHANNEL_EMAIL continuity_window { seconds: 60 nanos: 5 } "
      "first_response_target { seconds: 60 } } thread_merge_window { seconds: 315576000000 } "
      "closed_retention { seconds: 0 } max_body_bytes: 1048576",
      fine.mutable_settings()));
  MustInvoke(*tenants_, &v1::TenantService::Stub::CreateTenant, fine);
}

TEST_F(WireInputTest, RoutingSettingsNamingAChannelTwiceAreRefused) {
  Build();
  const State before = Snapshot();
  v1::ConfigureRoutingRequest request;
  request.set_tenant_id(kTenant);
  ASSERT_TRUE(pb::TextFormat::ParseFromString(
      "preferred_agent_waits { channel: CHANNEL_EMAIL wait { seconds: 60 } } "
      "preferred_agent_waits { channel: CHANNEL_EMAIL wait { seconds: 5 } }",
      request.mutable_settings()));
  ExpectRefused(Invoke(*routing_, &v1::RoutingService::Stub::ConfigureRouting, request).status,
                "settings.preferred_agent_waits[1].channel", "preferred agent wait twice");
  EXPECT_TRUE(Snapshot() == before);
}

TEST_F(WireInputTest, AnAgentWithTwoCostsForOneChannelIsRefused) {
  Build();
  const State before = Snapshot();
  v1::UpsertAgentRequest request;
  request.set_tenant_id(kTenant);
  *request.mutable_agent() = AgentWith("a3", {v1::CHANNEL_EMAIL, v1::CHANNEL_CHAT});
  ASSERT_TRUE(pb::TextFormat::MergeFromString(
      "channel_costs { channel: CHANNEL_CHAT units: 1 } "
      "channel_costs { channel: CHANNEL_CHAT units: 3 }",
      request.mutable_agent()));
  ExpectRefused(Invoke(*routing_, &v1::RoutingService::Stub::UpsertAgent, request).status,
                "agent.channel_costs[1].channel", "channel cost twice");
  EXPECT_TRUE(Snapshot() == before);
  request.mutable_agent()->mutable_channel_costs()->RemoveLast();
  MustInvoke(*routing_, &v1::RoutingService::Stub::UpsertAgent, request);
}

// ------------------------------------------------------------ config files

class TenantConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(absl::string_view text) {
    // By process: ctest runs this fixture's tests side by side.
    const std::string path = absl::StrCat(::testing::TempDir(), "/wire-input-", getpid(), "-",
                                          ++files_, ".textproto");
    std::ofstream(path) << text;
    written_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string& path : written_) std::remove(path.c_str());
  }
  int files_ = 0;
  std::vector<std::string> written_;
};

TEST_F(TenantConfigFileTest, OutOfRangeSettingsAreRefusedWithTheFileAndTheField) {
  for (const SettingsRow& row : TenantSettingsRows()) {
    if (row.covers == "default_country_code") continue;  // the library's, when applied
    const std::string path = Write(absl::StrCat("tenant_id: 'acme' settings { ", row.text, " }"));
    absl::StatusOr<service::LoadedConfig> loaded = service::ParseTenantConfigFile(path);
    ASSERT_FALSE(loaded.ok()) << row.name;
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << row.name;
    EXPECT_THAT(std::string(loaded.status().message()), StartsWith(absl::StrCat(path, ": ", row.field, ": ")))
        << row.name;
  }
  const std::string routing = Write(
      "tenant_id: 'acme' routing { aging_per_point { seconds: 1 nanos: -5 } }");
  absl::StatusOr<service::LoadedConfig> loaded = service::ParseTenantConfigFile(routing);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith(absl::StrCat(routing, ": routing.aging_per_point: ")));
  const std::string agent = Write(
      "tenant_id: 'acme' agents { agent_id: 'a1' channels: CHANNEL_EMAIL "
      "channel_costs { channel: CHANNEL_EMAIL units: 1 } "
      "channel_costs { channel: CHANNEL_EMAIL units: 2 } }");
  loaded = service::ParseTenantConfigFile(agent);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith(absl::StrCat(agent, ": agents[0].channel_costs[1].channel: ")));
  const std::string fine = Write(
      "tenant_id: 'acme' settings { channels { channel: CHANNEL_EMAIL "
      "continuity_window { seconds: 60 } } }");
  EXPECT_TRUE(service::ParseTenantConfigFile(fine).ok());
}

// ------------------------------------------------------------ the pieces

TEST(ExplainUnparsableTest, NamesTheFieldAtAnyDepth) {
  v1::IngestMessageRequest r;
  r.set_tenant_id("acme");
  r.mutable_sender()->set_value(std::string("a\xff", 2));
  EXPECT_EQ(service::ExplainUnparsable(*v1::IngestMessageRequest::descriptor(),
                                       r.SerializeAsString())
                .message(),
            "sender.value: not valid UTF-8 at byte 1");

  // A nested message cut short.
  // tenant_id (1) "acme", then sender (3): 3 bytes that hold a field 3 of
  // length 5.
  const std::string cut = std::string("\x0a\x04", 2) + "acme" + "\x1a\x03" + "\x1a\x05x";
  const absl::Status s =
      service::ExplainUnparsable(*v1::IngestMessageRequest::descriptor(), cut);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("sender: bytes do not parse as "));
  EXPECT_THAT(std::string(s.message()), HasSubstr(v1::IngestMessageRequest::descriptor()
                                         ->FindFieldByName("sender")
                                         ->message_type()
                                         ->full_name()));
}

TEST(CheckTimeFieldsTest, TakesProtobufsBoundsAndRefusesPastThem) {
  v1::RecordCommitmentRequest r;
  r.mutable_due_at()->set_seconds(-62135596800);
  r.mutable_deadline()->set_seconds(253402300799);
  r.mutable_deadline()->set_nanos(999999999);
  EXPECT_TRUE(service::CheckTimeFields(r).ok());
  r.mutable_deadline()->set_seconds(253402300800);
  r.mutable_deadline()->set_nanos(0);
  EXPECT_THAT(std::string(service::CheckTimeFields(r, "commitment").message()),
              StartsWith("commitment.deadline: "));

  v1::UpsertQueueRequest q;
  q.mutable_queue()->mutable_offer_timeout()->set_seconds(-315576000000);
  q.mutable_queue()->mutable_offer_timeout()->set_nanos(-999999999);
  EXPECT_TRUE(service::CheckTimeFields(q).ok());
  q.mutable_queue()->mutable_offer_timeout()->set_nanos(999999999);  // sign differs
  EXPECT_THAT(std::string(service::CheckTimeFields(q).message()),
              StartsWith("queue.offer_timeout: "));
}

}  // namespace
}  // namespace omniroute::service_test
