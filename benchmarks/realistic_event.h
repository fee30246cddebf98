// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The event the store benchmarks append: an inbound email as the engine
// records it (MessageRecorded, ~300 bytes serialized), so that the SQLite
// and the PostgreSQL store are measured on the same bytes.

#ifndef OMNIROUTE_BENCHMARKS_REALISTIC_EVENT_H_
#define OMNIROUTE_BENCHMARKS_REALISTIC_EVENT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::bench {

// The event at `sequence` of `tenant`; its message id and external id
// follow the sequence, so that every event records a new message.
inline ::omniroute::v1::Event RealisticEvent(absl::string_view tenant, uint64_t sequence) {
  ::omniroute::v1::Event event;
  event.set_sequence(sequence);
  event.set_tenant_id(std::string(tenant));
  event.mutable_time()->set_seconds(static_cast<int64_t>(1767225600 + sequence));
  event.mutable_time()->set_nanos(123456789);
  ::omniroute::v1::MessageRecorded* message = event.mutable_message_recorded();
  message->set_message_id(1000000 + sequence);
  message->set_conversation_id(40000 + sequence / 7);
  message->set_channel(::omniroute::v1::CHANNEL_EMAIL);
  message->set_direction(::omniroute::v1::DIRECTION_INBOUND);
  message->set_visibility(::omniroute::v1::VISIBILITY_PRIVATE);
  message->set_external_id(absl::StrCat("<CAFx7-", sequence, "-q9Zk@mail.example.com>"));
  message->set_thread_key("thread-8c1f2e");
  message->add_references("<CAFx7-previous-q9Zk@mail.example.com>");
  message->set_body(
      "Hello, my order 4471-2209 still has not arrived although the tracking page says "
      "it was delivered on Tuesday. Could you check with the courier and call me back "
      "this afternoon? Thanks, Dana");
  message->mutable_sender()->set_kind(::omniroute::v1::IDENTITY_KIND_EMAIL);
  message->mutable_sender()->set_value("dana.customer@example.org");
  return event;
}

}  // namespace omniroute::bench

#endif  // OMNIROUTE_BENCHMARKS_REALISTIC_EVENT_H_
