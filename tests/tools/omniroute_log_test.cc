// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-log, run as the real binary against a store that a real engine
// wrote through the SQLite store (tools/log_story.h): what inspect counts,
// what export writes, what replay rebuilds, what backup copies, also while
// an engine keeps writing. Bad input: omniroute_log_bad_input_test.cc.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "tools/log_story.h"

namespace omniroute {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using testing_internal::CountTypes;
using testing_internal::EmailMessage;
using testing_internal::ExpectedFingerprint;
using testing_internal::ExpectSameEvents;
using testing_internal::FileBytes;
using testing_internal::kExitFailure;
using testing_internal::kExitOk;
using testing_internal::Lines;
using testing_internal::OmnirouteLogTest;
using testing_internal::ParseJsonLines;
using testing_internal::ReplayFingerprints;
using testing_internal::Row;
using testing_internal::StoredEvents;
using testing_internal::Story;
using testing_internal::ToolRun;
using testing_internal::WriteFile;
namespace v1 = ::omniroute::v1;

// ---------------------------------------------------------------- inspect

TEST_F(OmnirouteLogTest, InspectJsonCountsWhatTheEngineWrote) {
  const ToolRun run = Run({"inspect", "--json", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_THAT(run.err, IsEmpty());
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &json).ok()) << run.out;
  const auto& fields = json.fields();
  EXPECT_EQ(fields.at("store").string_value(), Db());

  const auto& tenants = fields.at("tenants").list_value().values();
  ASSERT_EQ(tenants.size(), 2);
  std::map<std::string, int> total_types;
  int total_events = 0;
  int i = 0;
  for (const auto& [tenant, events] : story_.written) {
    SCOPED_TRACE(tenant);
    const auto& t = tenants[i++].struct_value().fields();
    EXPECT_EQ(t.at("tenant").string_value(), tenant);
    EXPECT_EQ(t.at("events").number_value(), events.size());
    EXPECT_EQ(t.at("first_sequence").number_value(), 1);
    EXPECT_EQ(t.at("last_sequence").number_value(), events.back().sequence());
    EXPECT_EQ(t.at("first_time").string_value(),
              google::protobuf::util::TimeUtil::ToString(events.front().time()));
    EXPECT_EQ(t.at("last_time").string_value(),
              google::protobuf::util::TimeUtil::ToString(events.back().time()));
    std::map<std::string, int> types;
    for (const auto& [name, count] : t.at("event_types").struct_value().fields()) {
      types[name] = static_cast<int>(count.number_value());
    }
    EXPECT_EQ(types, CountTypes(events));
    for (const auto& [name, count] : types) total_types[name] += count;
    total_events += static_cast<int>(events.size());
    if (tenant == "acme") {
      EXPECT_EQ(t.at("snapshot_sequence").number_value(), story_.acme_snapshot);
    } else {
      EXPECT_TRUE(t.at("snapshot_sequence").has_null_value());
    }
  }
  const auto& total = fields.at("total").struct_value().fields();
  EXPECT_EQ(total.at("tenants").number_value(), 2);
  EXPECT_EQ(total.at("events").number_value(), total_events);
  std::map<std::string, int> types;
  for (const auto& [name, count] : total.at("event_types").struct_value().fields()) {
    types[name] = static_cast<int>(count.number_value());
  }
  EXPECT_EQ(types, total_types);
}

TEST_F(OmnirouteLogTest, InspectTablesShowTheSameCounts) {
  const ToolRun run = Run({"inspect", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  const std::vector<v1::Event>& acme = story_.written["acme"];
  const std::vector<v1::Event>& globex = story_.written["globex"];
  using google::protobuf::util::TimeUtil;
  EXPECT_THAT(
      Row(run.out, "acme"),
      ElementsAre("acme", absl::StrCat(acme.size()), "1", absl::StrCat(acme.size()),
                  TimeUtil::ToString(acme.front().time()), TimeUtil::ToString(acme.back().time()),
                  absl::StrCat(story_.acme_snapshot)))
      << run.out;
  EXPECT_THAT(Row(run.out, "globex"),
              ElementsAre("globex", absl::StrCat(globex.size()), "1", absl::StrCat(globex.size()),
                          TimeUtil::ToString(globex.front().time()),
                          TimeUtil::ToString(globex.back().time()), "-"))
      << run.out;
  // "total (2 tenants)  N  first-time  last-time"
  const std::vector<std::string> total = Row(run.out, "total");
  ASSERT_GE(total.size(), 4u) << run.out;
  EXPECT_EQ(total[1], "(2");
  EXPECT_EQ(total[3], absl::StrCat(acme.size() + globex.size())) << run.out;
  // The types table: one column per tenant, then the total.
  const int acme_messages = story_.messages["acme"];
  const int globex_messages = story_.messages["globex"];
  EXPECT_THAT(
      Row(run.out, "message_recorded"),
      ElementsAre("message_recorded", absl::StrCat(acme_messages), absl::StrCat(globex_messages),
                  absl::StrCat(acme_messages + globex_messages)))
      << run.out;
  EXPECT_THAT(Row(run.out, "customers_merged"), ElementsAre("customers_merged", "1", "1", "2"))
      << run.out;
}

TEST_F(OmnirouteLogTest, ExportLinesParseBackIntoTheStoredEvents) {
  const ToolRun run = Run({"export", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_THAT(run.err, IsEmpty());
  std::vector<v1::Event> stored = StoredEvents(Db(), "acme");
  const std::vector<v1::Event> globex = StoredEvents(Db(), "globex");
  stored.insert(stored.end(), globex.begin(), globex.end());
  // What the store holds is what the engine wrote, and export gives it back.
  std::vector<v1::Event> written = story_.written["acme"];
  written.insert(written.end(), story_.written["globex"].begin(), story_.written["globex"].end());
  ASSERT_NO_FATAL_FAILURE(ExpectSameEvents(stored, written));
  ASSERT_NO_FATAL_FAILURE(ExpectSameEvents(ParseJsonLines(run.out), stored));
  // One event per line, in the proto3 JSON mapping's field names.
  EXPECT_THAT(Lines(run.out)[0], AllOf(StartsWith("{"), HasSubstr("\"tenantId\":\"acme\""),
                                       HasSubstr("\"tenantConfigured\"")));
}

TEST_F(OmnirouteLogTest, ExportSelectsATenantAndAStartingSequence) {
  const std::vector<v1::Event>& acme = story_.written["acme"];
  ToolRun run = Run({"export", "--tenant", "acme", "--from", "5", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  ASSERT_NO_FATAL_FAILURE(ExpectSameEvents(ParseJsonLines(run.out),
                                           std::vector<v1::Event>(acme.begin() + 4, acme.end())));

  run = Run({"export", Db(), "--tenant=globex"});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  ASSERT_NO_FATAL_FAILURE(ExpectSameEvents(ParseJsonLines(run.out), story_.written["globex"]));

  // Past the end: nothing, and that is not an error.
  run = Run({"export", "--from", absl::StrCat(acme.size() + 1), "--tenant", "acme", Db()});
  EXPECT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_THAT(run.out, IsEmpty());

  run = Run({"export", "--tenant", "initech", Db()});
  EXPECT_EQ(run.exit_code, kExitFailure) << run;
  EXPECT_THAT(run.err, AllOf(HasSubstr("initech"), HasSubstr("no events"), HasSubstr(Db())));
}

// ---------------------------------------------------------------- replay

TEST_F(OmnirouteLogTest, ReplayFingerprintIsTheEnginesState) {
  const ToolRun run = Run({"replay", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_THAT(run.err, IsEmpty());
  std::map<std::string, std::string> expected;
  for (const auto& [tenant, dump] : story_.dumps) expected[tenant] = ExpectedFingerprint(dump);
  EXPECT_EQ(ReplayFingerprints(run.out), expected) << run.out;
  EXPECT_THAT(Lines(run.out).back(),
              AllOf(StartsWith("total: 2 tenants, "), HasSubstr("events/s"),
                    HasSubstr(absl::StrCat("fingerprint ", StoreFingerprint()))))
      << run.out;

  // The summary counts what the engine shows.
  for (const std::string tenant : {"acme", "globex"}) {
    SCOPED_TRACE(tenant);
    const Story::Customers& customers = story_.customers[tenant];
    const std::string section = run.out.substr(run.out.find(absl::StrCat("tenant ", tenant, ":")));
    EXPECT_THAT(
        Row(section, "customers"),
        ElementsAre("customers", absl::StrCat(customers.total), absl::StrCat("(", customers.active),
                    "active,", absl::StrCat(customers.total - customers.active), "merged)"));
    EXPECT_THAT(Row(section, "messages"),
                ElementsAre("messages", absl::StrCat(story_.messages[tenant])));
    EXPECT_THAT(Row(section, "handoffs"),
                ElementsAre("handoffs", absl::StrCat(story_.handoffs[tenant])));
    const std::vector<std::string> conversations = Row(section, "conversations");
    ASSERT_GE(conversations.size(), 2u);
    EXPECT_EQ(conversations[1], absl::StrCat(story_.conversations[tenant]));
    EXPECT_THAT(Row(section, "tenant"), Contains(absl::StrCat(story_.written[tenant].size())));
  }
  // acme after the unmerge: every customer active again; globex keeps its
  // merge.
  EXPECT_EQ(story_.customers["acme"].active, story_.customers["acme"].total);
  EXPECT_EQ(story_.customers["globex"].active, story_.customers["globex"].total - 1);
}

TEST_F(OmnirouteLogTest, ReplayDumpIsTheEnginesDump) {
  ToolRun run = Run({"replay", "--dump", "--tenant", "acme", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_EQ(run.out, story_.dumps["acme"]);

  run = Run({"replay", "--dump", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_EQ(run.out, story_.dumps["acme"] + story_.dumps["globex"]);
}

TEST_F(OmnirouteLogTest, ReplayFromTheSnapshotGivesTheSameFingerprint) {
  const ToolRun run = Run({"replay", "--from-snapshot", Db()});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_EQ(ReplayFingerprints(run.out)["acme"], ExpectedFingerprint(story_.dumps["acme"]));
  EXPECT_EQ(ReplayFingerprints(run.out)["globex"], ExpectedFingerprint(story_.dumps["globex"]));
  EXPECT_THAT(run.out,
              HasSubstr(absl::StrCat(
                  "tenant acme: snapshot at sequence ", story_.acme_snapshot, ", then ",
                  story_.written["acme"].size() - story_.acme_snapshot, " events (sequences ",
                  story_.acme_snapshot + 1, " to ", story_.written["acme"].size(), ")")))
      << run.out;
  // globex has no snapshot: replayed whole.
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("tenant globex: ", story_.written["globex"].size(),
                                              " events (sequences 1 to ")))
      << run.out;
}

// ---------------------------------------------------------------- backup

TEST_F(OmnirouteLogTest, BackupIsAVerifiedCopyWithTheSameState) {
  const std::string before = FileBytes(Db());
  const std::string copy = dir_.File("copy.db");
  ToolRun run = Run({"backup", Db(), copy});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(run.out, AllOf(HasSubstr("verified"), HasSubstr(copy)));
  EXPECT_THAT(Row(run.out, "acme"), ElementsAre("acme", absl::StrCat(story_.written["acme"].size()),
                                                absl::StrCat(story_.acme_snapshot)))
      << run.out;
  EXPECT_THAT(Row(run.out, "globex"),
              ElementsAre("globex", absl::StrCat(story_.written["globex"].size()), "-"))
      << run.out;
  EXPECT_TRUE(FileBytes(Db()) == before) << "the source was changed";

  run = Run({"replay", copy});
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_EQ(ReplayFingerprints(run.out)["acme"], ExpectedFingerprint(story_.dumps["acme"]));
  EXPECT_EQ(ReplayFingerprints(run.out)["globex"], ExpectedFingerprint(story_.dumps["globex"]));
  EXPECT_THAT(Lines(run.out).back(), HasSubstr(StoreFingerprint()));
}

TEST_F(OmnirouteLogTest, BackupWhileAnEngineAppendsIsAConsistentPrefix) {
  // An engine keeps writing to two tenants of the store while the backup
  // copies it one page per step, so the copy straddles many commits.
  SqliteStoreOptions options;
  options.path = Db();
  options.durability = Durability::kNoSync;
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  ManualClock clock;
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open({.clock = &clock, .store = store->get()});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("busy-1", TenantOptions{}).ok());
  ASSERT_TRUE((*engine)->CreateTenant("busy-2", TenantOptions{}).ok());

  std::atomic<bool> stop = false;
  std::atomic<int> ingested = 0;
  std::atomic<int> failures = 0;
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string tenant = i % 2 == 0 ? "busy-1" : "busy-2";
      auto r = (*engine)->IngestMessage(
          tenant, EmailMessage(absl::StrCat("user", i % 37, "@example.com"), absl::StrCat("m", i),
                               std::string(200, 'a' + i % 26)));
      if (r.ok()) {
        ingested.fetch_add(1);
      } else {
        failures.fetch_add(1);
      }
    }
  });
  // Enough history that the file has many pages, before the backup starts.
  while (ingested.load() < 300 && failures.load() == 0) std::this_thread::yield();
  const int before = ingested.load();
  const std::string copy = dir_.File("copy.db");
  const ToolRun run = Run({"backup", "--pages-per-step", "1", Db(), copy});
  const int after = ingested.load();
  stop = true;
  writer.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_EQ(run.exit_code, kExitOk) << run;
  EXPECT_GT(after, before) << "the engine wrote nothing while the backup ran";
  EXPECT_THAT(run.out, AllOf(HasSubstr(" steps"), Not(HasSubstr(" in 1 step")))) << run;

  // Every tenant of the copy is a prefix of its log in the store, without a
  // gap (Read checks that), and folds into the same state as that prefix.
  for (const std::string tenant : {"acme", "busy-1", "busy-2", "globex"}) {
    SCOPED_TRACE(tenant);
    const std::vector<v1::Event> copied = StoredEvents(copy, tenant);
    const std::vector<v1::Event> source = StoredEvents(Db(), tenant);
    ASSERT_FALSE(copied.empty());
    ASSERT_LE(copied.size(), source.size());
    tenant::TenantState prefix(tenant);
    for (size_t i = 0; i < copied.size(); ++i) {
      ASSERT_EQ(copied[i].sequence(), i + 1);
      ASSERT_EQ(copied[i].SerializeAsString(), source[i].SerializeAsString()) << i;
      ASSERT_TRUE(prefix.Apply(source[i]).ok());
    }
    const ToolRun replay = Run({"replay", "--tenant", tenant, copy});
    ASSERT_EQ(replay.exit_code, kExitOk) << replay;
    EXPECT_EQ(ReplayFingerprints(replay.out)[tenant],
              ExpectedFingerprint(tenant::DumpState(prefix)));
  }
}

TEST_F(OmnirouteLogTest, BackupNeverOverwritesAFile) {
  const std::string copy = dir_.File("copy.db");
  WriteFile(copy, "yesterday's backup");
  ToolRun run = Run({"backup", Db(), copy});
  EXPECT_EQ(run.exit_code, kExitFailure) << run;
  EXPECT_THAT(run.err, AllOf(HasSubstr(copy), HasSubstr("exists")));
  EXPECT_EQ(FileBytes(copy), "yesterday's backup");

  // A companion file left next to the destination would be read as part of
  // the new database: refused as well.
  const std::string other = dir_.File("other.db");
  WriteFile(other + "-wal", "stale");
  run = Run({"backup", Db(), other});
  EXPECT_EQ(run.exit_code, kExitFailure) << run;
  EXPECT_THAT(run.err, AllOf(HasSubstr(other + "-wal"), HasSubstr("exists")));
  EXPECT_FALSE(std::filesystem::exists(other));
  EXPECT_EQ(FileBytes(other + "-wal"), "stale");
}

}  // namespace
}  // namespace omniroute
