// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// ExportCustomer: everything held about a customer, merges included, as JSON
// lines that parse back into omniroute.v1.CustomerExportRecord.

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/v1/export.pb.h"

namespace omniroute {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using testing_internal::EmailMessage;
namespace v1 = ::omniroute::v1;

class CustomerExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Open({.clock = &clock_});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant("acme", {}).ok());
  }

  std::vector<v1::CustomerExportRecord> Export(CustomerId customer) {
    std::vector<v1::CustomerExportRecord> records;
    absl::Status s = engine_->ExportCustomer("acme", customer, [&](absl::string_view line) {
      EXPECT_EQ(line.find('\n'), absl::string_view::npos);
      v1::CustomerExportRecord& record = records.emplace_back();
      auto parsed = google::protobuf::util::JsonStringToMessage(std::string(line), &record);
      EXPECT_TRUE(parsed.ok()) << line;
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return records;
  }

  ManualClock clock_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(CustomerExportTest, AMergedCustomersExportHoldsBothCustomersAndEveryMessage) {
  InboundMessage post = testing_internal::PublicPost("x", "parent_of_lea", "p-1", "spoiled jar");
  post.profile.display_name = "Lea's parent";
  auto social = engine_->IngestMessage("acme", post);
  ASSERT_TRUE(social.ok()) << social.status();
  clock_.Advance(absl::Minutes(5));
  auto email = engine_->IngestMessage("acme", EmailMessage("parent@example.com", "e-1", "photo attached"));
  ASSERT_TRUE(email.ok()) << email.status();
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(engine_->IngestMessage("acme", EmailMessage("parent@example.com", "e-2", "any news?")).ok());
  // Someone else, who must not appear.
  ASSERT_TRUE(engine_->IngestMessage("acme", EmailMessage("other@example.com", "o-1", "not me")).ok());
  // The email proves to be the same parent: the older (social) customer
  // survives and absorbs the email customer.
  auto linked = engine_->LinkIdentity("acme", social->customer,
                                      testing_internal::Email("parent@example.com"),
                                      Actor::Agent("camille"));
  ASSERT_TRUE(linked.ok()) << linked.status();
  ASSERT_EQ(linked->customer, social->customer);

  for (CustomerId asked : {social->customer, email->customer}) {
    const std::vector<v1::CustomerExportRecord> records = Export(asked);
    std::vector<uint64_t> customers;
    std::set<std::string> identities;
    std::vector<uint64_t> conversations;
    std::vector<std::string> bodies;
    std::string display_name;
    for (const v1::CustomerExportRecord& r : records) {
      if (r.has_customer()) {
        customers.push_back(r.customer().customer_id());
        for (const v1::Identity& i : r.customer().identities()) identities.insert(i.value());
        if (r.customer().customer_id() == social->customer.value()) {
          display_name = r.customer().display_name();
        }
      } else if (r.has_conversation()) {
        conversations.push_back(r.conversation().conversation_id());
      } else {
        ASSERT_TRUE(r.has_message());
        bodies.push_back(r.message().message().body());
      }
    }
    EXPECT_THAT(customers, ElementsAre(social->customer.value(), email->customer.value()));
    EXPECT_THAT(identities, UnorderedElementsAre("parent_of_lea", "parent@example.com"));
    EXPECT_EQ(display_name, "Lea's parent");
    // Both conversations (one now merged into the other) and all three
    // messages, wherever the merge put them.
    EXPECT_THAT(conversations, UnorderedElementsAre(social->conversation.value(),
                                                    email->conversation.value()));
    EXPECT_THAT(bodies, UnorderedElementsAre("spoiled jar", "photo attached", "any news?"));
    // The customer comes first.
    ASSERT_FALSE(records.empty());
    EXPECT_TRUE(records.front().has_customer());
    EXPECT_EQ(records.front().customer().customer_id(), social->customer.value());
  }
}

TEST_F(CustomerExportTest, UnknownCustomersAndWriteErrors) {
  EXPECT_EQ(engine_->ExportCustomer("acme", CustomerId(7), [](absl::string_view) {
    return absl::OkStatus();
  }).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->ExportCustomer("nobody", CustomerId(1), [](absl::string_view) {
    return absl::OkStatus();
  }).code(), absl::StatusCode::kNotFound);
  auto r = engine_->IngestMessage("acme", EmailMessage("ann@example.com", "e-1"));
  ASSERT_TRUE(r.ok());
  int lines = 0;
  absl::Status s = engine_->ExportCustomer("acme", r->customer, [&](absl::string_view) {
    ++lines;
    return absl::ResourceExhaustedError("client went away");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(lines, 1);
}

}  // namespace
}  // namespace omniroute
