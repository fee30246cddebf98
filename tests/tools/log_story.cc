// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "tools/log_story.h"

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "log/state_fingerprint.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::testing_internal {

namespace v1 = ::omniroute::v1;

namespace {

// The name the tool gives an event's type: its payload field.
std::string TypeName(const v1::Event& event) {
  return v1::Event::descriptor()->FindFieldByNumber(event.payload_case())->name();
}

// Customer and conversation counts of `tenant`, from the engine's views.
void CountViews(const Engine& engine, const std::string& tenant, Story& story) {
  Story::Customers& customers = story.customers[tenant];
  for (uint64_t id = 1;; ++id) {
    absl::StatusOr<CustomerView> view = engine.GetCustomer(tenant, CustomerId(id));
    if (!view.ok()) break;
    ++customers.total;
    // GetCustomer answers for an absorbed id with the survivor.
    if (view->id == CustomerId(id) && !view->merged_into.has_value()) ++customers.active;
  }
  int& conversations = story.conversations[tenant];
  while (engine.GetConversation(tenant, ConversationId(conversations + 1)).ok()) ++conversations;
}

}  // namespace

std::map<std::string, int> CountTypes(const std::vector<v1::Event>& events) {
  std::map<std::string, int> counts;
  for (const v1::Event& e : events) ++counts[TypeName(e)];
  return counts;
}

void PlayStory(const std::string& path, Story& story) {
  SqliteStoreOptions options;
  options.path = path;
  options.durability = Durability::kNoSync;
  absl::StatusOr<std::unique_ptr<EventStore>> sqlite = OpenSqliteEventStore(options);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  RecordingStore store(**sqlite);
  ManualClock clock;
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open({.clock = &clock, .store = &store});
  ASSERT_TRUE(opened.ok()) << opened.status();
  Engine& engine = **opened;

  ASSERT_TRUE(engine.CreateTenant("acme", TenantOptions{}).ok());
  auto post = engine.IngestMessage("acme", PublicPost("x", "ann", "p1", "the jar was open"));
  ASSERT_TRUE(post.ok()) << post.status();
  ++story.messages["acme"];
  clock.Advance(absl::Minutes(5));
  auto mail = engine.IngestMessage("acme", EmailMessage("ann@example.com", "e1", "photos"));
  ASSERT_TRUE(mail.ok()) << mail.status();
  ASSERT_NE(mail->customer, post->customer);
  ++story.messages["acme"];
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(engine
                  .RecordOutbound("acme", {.conversation = post->conversation,
                                           .channel = v1::CHANNEL_PUBLIC_SOCIAL,
                                           .external_id = "p2",
                                           .body = "please DM us",
                                           .agent_id = "agent-1"})
                  .ok());
  ++story.messages["acme"];
  ASSERT_TRUE(engine
                  .Handoff("acme", post->conversation, v1::CHANNEL_PRIVATE_SOCIAL, "personal data",
                           Actor::Agent("agent-1"))
                  .ok());
  ++story.handoffs["acme"];
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(engine.IngestMessage("acme", DirectMessage("x", "ann", "d1", "my email")).ok());
  ++story.messages["acme"];
  auto link = engine.LinkIdentity("acme", post->customer, Email("ann@example.com"),
                                  Actor::Agent("agent-1"));
  ASSERT_TRUE(link.ok()) << link.status();
  ASSERT_EQ(link->absorbed, mail->customer) << "the link must merge the two customers";
  clock.Advance(absl::Minutes(5));
  // The merged thread is on private messages (the channel ann used last);
  // her email joins it and moves it to email: a handoff by the customer.
  auto thread = engine.GetConversation("acme", post->conversation);
  ASSERT_TRUE(thread.ok()) << thread.status();
  ASSERT_EQ(thread->channel, v1::CHANNEL_PRIVATE_SOCIAL);
  auto receipt = engine.IngestMessage("acme", EmailMessage("ann@example.com", "e2", "receipt"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  ASSERT_EQ(receipt->conversation, post->conversation);
  ++story.messages["acme"];
  ++story.handoffs["acme"];
  ASSERT_TRUE(engine.TakeSnapshot("acme").ok());
  story.acme_snapshot = *engine.LastSequence("acme");
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(engine.IngestMessage("acme", PublicPost("x", "bob", "p3", "same here")).ok());
  ++story.messages["acme"];
  ASSERT_TRUE(engine.UnmergeCustomer("acme", mail->customer, Actor::Agent("agent-1")).ok());
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(engine
                  .SetConversationStatus("acme", post->conversation,
                                         v1::CONVERSATION_STATUS_RESOLVED, Actor::Agent("agent-1"))
                  .ok());

  ASSERT_TRUE(engine.CreateTenant("globex", TenantOptions{}).ok());
  auto call = engine.IngestMessage("globex", Call("+1 415 555 0100", "call-1", "order"));
  ASSERT_TRUE(call.ok()) << call.status();
  ++story.messages["globex"];
  clock.Advance(absl::Minutes(1));
  // The same caller texts: the SMS joins the call's conversation and moves
  // it to SMS, a handoff by the customer.
  auto sms = engine.IngestMessage(
      "globex", Inbound(v1::CHANNEL_SMS, Phone("+14155550100"), "s1", "tracking number?"));
  ASSERT_TRUE(sms.ok()) << sms.status();
  ASSERT_EQ(sms->conversation, call->conversation);
  ++story.messages["globex"];
  ++story.handoffs["globex"];
  // An email from an address not yet known, then linked to the caller: a
  // merge that stays.
  auto email = engine.IngestMessage("globex", EmailMessage("carol@example.com", "g1", "invoice"));
  ASSERT_TRUE(email.ok()) << email.status();
  ASSERT_NE(email->customer, call->customer);
  ++story.messages["globex"];
  auto carol = engine.LinkIdentity("globex", call->customer, Email("carol@example.com"),
                                   Actor::Agent("agent-7"));
  ASSERT_TRUE(carol.ok()) << carol.status();
  ASSERT_EQ(carol->absorbed, email->customer);

  story.written = store.Written();
  for (const std::string tenant : {"acme", "globex"}) {
    absl::StatusOr<std::string> dump = engine.DumpState(tenant);
    ASSERT_TRUE(dump.ok()) << dump.status();
    story.dumps[tenant] = *dump;
    CountViews(engine, tenant, story);
    ASSERT_EQ(story.written[tenant].size(), *engine.LastSequence(tenant));
  }
  // The story is what the test meant it to be.
  const std::map<std::string, int> acme = CountTypes(story.written["acme"]);
  ASSERT_EQ(acme.at("message_recorded"), story.messages["acme"]);
  ASSERT_EQ(acme.at("handoff_recorded"), story.handoffs["acme"]);
  ASSERT_EQ(acme.at("customers_merged"), 1);
  ASSERT_EQ(acme.at("customer_unmerged"), 1);
  ASSERT_EQ(acme.at("tenant_configured"), 1);
  const std::map<std::string, int> globex = CountTypes(story.written["globex"]);
  ASSERT_EQ(globex.at("message_recorded"), story.messages["globex"]);
  ASSERT_EQ(globex.at("handoff_recorded"), story.handoffs["globex"]);
  ASSERT_EQ(globex.at("customers_merged"), 1);
}

std::vector<v1::Event> StoredEvents(const std::string& path, const std::string& tenant) {
  SqliteStoreOptions options;
  options.path = path;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(options);
  EXPECT_TRUE(store.ok()) << store.status();
  std::vector<v1::Event> events;
  if (!store.ok()) return events;
  absl::Status s = (*store)->Read(tenant, 1, [&](const v1::Event& e) {
    events.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return events;
}

void FlipStoredBit(const std::string& path, absl::string_view table, absl::string_view column,
                   const std::string& tenant, uint64_t sequence) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  const std::string select_sql =
      absl::StrCat("SELECT ", column, " FROM ", table, " WHERE tenant = ?1 AND sequence = ?2");
  sqlite3_stmt* select = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, select_sql.c_str(), -1, &select, nullptr), SQLITE_OK);
  sqlite3_bind_text(select, 1, tenant.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(select, 2, static_cast<int64_t>(sequence));
  ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
  std::string blob(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                   static_cast<size_t>(sqlite3_column_bytes(select, 0)));
  sqlite3_finalize(select);
  ASSERT_FALSE(blob.empty());
  blob[blob.size() / 2] ^= 0x10;
  const std::string update_sql =
      absl::StrCat("UPDATE ", table, " SET ", column, " = ?3 WHERE tenant = ?1 AND sequence = ?2");
  sqlite3_stmt* update = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, update_sql.c_str(), -1, &update, nullptr), SQLITE_OK);
  sqlite3_bind_text(update, 1, tenant.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(update, 2, static_cast<int64_t>(sequence));
  sqlite3_bind_blob(update, 3, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(update), SQLITE_DONE);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_finalize(update);
  sqlite3_close_v2(db);
}

void FlipPayloadBit(const std::string& path, const std::string& tenant, uint64_t sequence) {
  FlipStoredBit(path, "events", "payload", tenant, sequence);
}

std::vector<std::string> Lines(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::vector<std::string> Row(absl::string_view text, absl::string_view first) {
  for (const std::string& line : Lines(text)) {
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!cells.empty() && cells[0] == first) return cells;
  }
  return {};
}

std::map<std::string, std::string> ReplayFingerprints(absl::string_view out) {
  std::map<std::string, std::string> fingerprints;
  std::string tenant;
  for (const std::string& line : Lines(out)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "tenant ")) {
      tenant = std::string(rest.substr(0, rest.find(':')));
    } else if (absl::ConsumePrefix(&rest, "  fingerprint")) {
      fingerprints[tenant] = std::string(absl::StripAsciiWhitespace(rest));
    }
  }
  return fingerprints;
}

std::string ExpectedFingerprint(const std::string& dump) {
  return log_tool::FormatFingerprint(log_tool::StateFingerprint(dump));
}

std::vector<v1::Event> ParseJsonLines(const std::string& out) {
  std::vector<v1::Event> events;
  for (const std::string& line : Lines(out)) {
    v1::Event event;
    const auto parsed = google::protobuf::util::JsonStringToMessage(line, &event);
    EXPECT_TRUE(parsed.ok()) << parsed.ToString() << ": " << line;
    events.push_back(std::move(event));
  }
  return events;
}

void ExpectSameEvents(const std::vector<v1::Event>& actual,
                      const std::vector<v1::Event>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(actual[i], expected[i]))
        << "event " << i << ":\n"
        << actual[i].DebugString() << "expected:\n"
        << expected[i].DebugString();
  }
}

}  // namespace omniroute::testing_internal
