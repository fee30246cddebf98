// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The story the omniroute-log tests play into a store with a real engine, the
// fixture that plays it, and helpers to read what the tool printed.
//
// The expected values of the tests come from what the story did (the events
// a recording store saw the engine write, the engine's own dumps and views),
// never from the tool's output.

#ifndef OMNIROUTE_TESTS_TOOLS_LOG_STORY_H_
#define OMNIROUTE_TESTS_TOOLS_LOG_STORY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "log/state_fingerprint.h"
#include "omniroute/v1/events.pb.h"
#include "tools/log_tool_test_helpers.h"

namespace omniroute::testing_internal {

// Exit codes of omniroute-log.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// What the story did, counted by the test as it did it.
struct Story {
  // Every event the engine wrote, per tenant (from RecordingStore).
  std::map<std::string, std::vector<::omniroute::v1::Event>> written;
  // The engine's DumpState of each tenant at the end.
  std::map<std::string, std::string> dumps;
  // Messages recorded (ingested or sent) and handoffs, per tenant.
  std::map<std::string, int> messages;
  std::map<std::string, int> handoffs;
  // acme's snapshot, taken in the middle of the story.
  uint64_t acme_snapshot = 0;
  // Customers of each tenant, as the engine shows them at the end.
  struct Customers {
    int total = 0;
    int active = 0;
  };
  std::map<std::string, Customers> customers;
  std::map<std::string, int> conversations;
};

// Plays the story into a new SQLite store at `path` with a real engine, and
// closes both. acme: a public post, an email from an identity not yet known
// to be the same customer, an answer, a handoff to private messages, a DM,
// a link that merges the two customers, an email while merged (the customer
// moves the thread to email), a snapshot, a second customer, the unmerge, a
// resolution. globex: a call, an SMS (the customer moves the thread to SMS),
// an email from an unknown address, and a link that merges it for good.
void PlayStory(const std::string& path, Story& story);

// Events per type name (the payload field: "message_recorded").
std::map<std::string, int> CountTypes(const std::vector<::omniroute::v1::Event>& events);

// Every event of `tenant` in the store at `path`, opened read-only.
std::vector<::omniroute::v1::Event> StoredEvents(const std::string& path,
                                                 const std::string& tenant);

// Flips one bit in the middle of the blob `column` of the row of `table`
// ("events" or "snapshots") for (tenant, sequence), keeping its checksum,
// through SQLite as a damaging tool would.
void FlipStoredBit(const std::string& path, absl::string_view table, absl::string_view column,
                   const std::string& tenant, uint64_t sequence);
void FlipPayloadBit(const std::string& path, const std::string& tenant, uint64_t sequence);

// The lines of `text`, without their line ends.
std::vector<std::string> Lines(absl::string_view text);

// The cells (split at spaces) of the first line of `text` whose first cell
// is `first`; empty if none.
std::vector<std::string> Row(absl::string_view text, absl::string_view first);

// replay's fingerprints: tenant → the value of its "fingerprint" line.
std::map<std::string, std::string> ReplayFingerprints(absl::string_view out);

// The fingerprint replay prints for a state with this dump.
std::string ExpectedFingerprint(const std::string& dump);

// export's lines, parsed back into events.
std::vector<::omniroute::v1::Event> ParseJsonLines(const std::string& out);

// Checks that `actual` and `expected` hold equal events, in order.
void ExpectSameEvents(const std::vector<::omniroute::v1::Event>& actual,
                      const std::vector<::omniroute::v1::Event>& expected);

// Plays the story into events.db of a fresh scratch directory, and runs the
// tool (OMNIROUTE_LOG_PATH) there.
class OmnirouteLogTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(PlayStory(Db(), story_)); }

  std::string Db() const { return dir_.File("events.db"); }

  ToolRun Run(const std::vector<std::string>& args) const {
    return RunTool(OMNIROUTE_LOG_PATH, dir_, args);
  }

  // The fingerprint of every tenant's dump in tenant order: replay's total.
  std::string StoreFingerprint() const {
    uint64_t fingerprint = log_tool::kEmptyFingerprint;
    for (const auto& [tenant, dump] : story_.dumps) {
      fingerprint = log_tool::ExtendFingerprint(fingerprint, dump);
    }
    return log_tool::FormatFingerprint(fingerprint);
  }

  ScratchDir dir_;
  Story story_;
};

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_TOOLS_LOG_STORY_H_
