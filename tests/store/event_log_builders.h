// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Events for the log tests of every store: each records which one it is (its
// customer id is its sequence, its display name "<tenant>#<sequence>"), so
// that reads can be checked by content, and the reads that collect them.

#ifndef OMNIROUTE_TESTS_STORE_EVENT_LOG_BUILDERS_H_
#define OMNIROUTE_TESTS_STORE_EVENT_LOG_BUILDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::testing_internal {

inline ::omniroute::v1::Event MakeEvent(absl::string_view tenant, uint64_t sequence) {
  ::omniroute::v1::Event event;
  event.set_sequence(sequence);
  event.set_tenant_id(std::string(tenant));
  event.mutable_time()->set_seconds(static_cast<int64_t>(1767225600 + sequence));
  event.mutable_customer_created()->set_customer_id(sequence);
  event.mutable_customer_created()->set_display_name(absl::StrCat(tenant, "#", sequence));
  return event;
}

inline std::vector<::omniroute::v1::Event> MakeEvents(absl::string_view tenant, uint64_t first,
                                                      uint64_t last) {
  std::vector<::omniroute::v1::Event> events;
  for (uint64_t s = first; s <= last; ++s) events.push_back(MakeEvent(tenant, s));
  return events;
}

// Every event of `tenant` from `from`, in the order the store gives them;
// the read is expected to succeed.
inline std::vector<::omniroute::v1::Event> ReadAll(const EventStore& store,
                                                   absl::string_view tenant, uint64_t from = 1) {
  std::vector<::omniroute::v1::Event> out;
  absl::Status s = store.Read(tenant, from, [&](const ::omniroute::v1::Event& e) {
    out.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

inline std::vector<uint64_t> Sequences(const std::vector<::omniroute::v1::Event>& events) {
  std::vector<uint64_t> out;
  for (const ::omniroute::v1::Event& e : events) out.push_back(e.sequence());
  return out;
}

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_STORE_EVENT_LOG_BUILDERS_H_
