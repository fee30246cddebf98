// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Small builders and checks shared by the engine tests: inbound messages per
// channel, and a census of where every message of a tenant is.

#ifndef OMNIROUTE_TESTS_ENGINE_ENGINE_TEST_HELPERS_H_
#define OMNIROUTE_TESTS_ENGINE_ENGINE_TEST_HELPERS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"
#include "omniroute/identity.h"
#include "omniroute/types.h"

namespace omniroute::testing_internal {

namespace v1 = ::omniroute::v1;

inline RawIdentity Handle(absl::string_view network, absl::string_view handle) {
  return {v1::IDENTITY_KIND_SOCIAL_HANDLE, std::string(network), std::string(handle)};
}
inline RawIdentity Email(absl::string_view address) {
  return {v1::IDENTITY_KIND_EMAIL, "", std::string(address)};
}
inline RawIdentity Phone(absl::string_view number) {
  return {v1::IDENTITY_KIND_PHONE, "", std::string(number)};
}

inline InboundMessage Inbound(Channel channel, RawIdentity sender, absl::string_view external_id,
                              absl::string_view body = "hello",
                              std::vector<std::string> references = {},
                              absl::string_view thread_key = "") {
  InboundMessage m;
  m.channel = channel;
  m.sender = std::move(sender);
  m.external_id = std::string(external_id);
  m.body = std::string(body);
  m.references = std::move(references);
  m.thread_key = std::string(thread_key);
  return m;
}

inline InboundMessage PublicPost(absl::string_view network, absl::string_view handle,
                                 absl::string_view external_id, absl::string_view body = "post") {
  return Inbound(v1::CHANNEL_PUBLIC_SOCIAL, Handle(network, handle), external_id, body);
}
inline InboundMessage DirectMessage(absl::string_view network, absl::string_view handle,
                                    absl::string_view external_id,
                                    absl::string_view body = "dm",
                                    absl::string_view thread_key = "") {
  return Inbound(v1::CHANNEL_PRIVATE_SOCIAL, Handle(network, handle), external_id, body, {},
                 thread_key);
}
inline InboundMessage EmailMessage(absl::string_view address, absl::string_view external_id,
                                   absl::string_view body = "email",
                                   std::vector<std::string> references = {}) {
  return Inbound(v1::CHANNEL_EMAIL, Email(address), external_id, body, std::move(references));
}
inline InboundMessage Call(absl::string_view number, absl::string_view call_id,
                           absl::string_view body = "call") {
  return Inbound(v1::CHANNEL_VOICE, Phone(number), call_id, body, {}, call_id);
}

inline OutboundMessage Outbound(ConversationId conversation, Channel channel,
                                absl::string_view external_id, absl::string_view agent,
                                absl::string_view body = "answer",
                                std::vector<std::string> references = {}) {
  OutboundMessage m;
  m.conversation = conversation;
  m.channel = channel;
  m.external_id = std::string(external_id);
  m.agent_id = std::string(agent);
  m.body = std::string(body);
  m.references = std::move(references);
  return m;
}

// The message ids of a timeline, in order.
inline std::vector<MessageId> MessageIds(const std::vector<TimelineEntry>& timeline) {
  std::vector<MessageId> ids;
  for (const TimelineEntry& entry : timeline) {
    if (entry.message.has_value()) ids.push_back(entry.message->id);
  }
  return ids;
}

// Where every message of a tenant is: message id → the live (not merged)
// conversation whose timeline holds it. Records a test failure if a message
// shows up in two timelines, or in a timeline of a conversation other than
// the one the message says it is in.
inline std::map<MessageId, ConversationId> MessagePlacements(const Engine& engine,
                                                             absl::string_view tenant) {
  std::map<MessageId, ConversationId> where;
  for (uint64_t n = 1;; ++n) {
    const ConversationId id(n);
    absl::StatusOr<ConversationView> view = engine.GetConversation(tenant, id);
    if (!view.ok()) {
      EXPECT_EQ(view.status().code(), absl::StatusCode::kNotFound) << view.status();
      break;
    }
    if (view->status == v1::CONVERSATION_STATUS_MERGED) {
      EXPECT_EQ(view->message_count, 0) << id << " is merged but still holds messages";
      continue;
    }
    absl::StatusOr<std::vector<TimelineEntry>> timeline = engine.GetTimeline(tenant, id);
    EXPECT_TRUE(timeline.ok()) << timeline.status();
    if (!timeline.ok()) continue;
    int messages = 0;
    for (const TimelineEntry& entry : *timeline) {
      if (!entry.message.has_value()) continue;
      ++messages;
      EXPECT_EQ(entry.message->conversation, id) << entry.message->id;
      auto [it, inserted] = where.emplace(entry.message->id, id);
      EXPECT_TRUE(inserted) << entry.message->id << " is in both " << it->second << " and "
                            << id;
    }
    EXPECT_EQ(messages, view->message_count) << id;
  }
  return where;
}

// The ids 1..n, the messages a tenant must hold after n were stored.
inline std::vector<MessageId> FirstMessageIds(uint64_t n) {
  std::vector<MessageId> ids;
  for (uint64_t i = 1; i <= n; ++i) ids.push_back(MessageId(i));
  return ids;
}

inline std::vector<MessageId> Keys(const std::map<MessageId, ConversationId>& placements) {
  std::vector<MessageId> keys;
  for (const auto& [message, conversation] : placements) keys.push_back(message);
  return keys;
}

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_ENGINE_ENGINE_TEST_HELPERS_H_
