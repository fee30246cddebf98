// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "tenant/caller_audit.h"

#include "core/proto_convert.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace omniroute::tenant {
namespace {

using google::protobuf::FieldDescriptor;
using ::omniroute::v1::Event;

// The payload's `caller` field, found through the schema so that the schema
// alone says which events are audited; nullptr for a payload without one.
const FieldDescriptor* CallerFieldOf(const Event& event) {
  if (event.payload_case() == Event::PAYLOAD_NOT_SET) return nullptr;
  const FieldDescriptor* payload = Event::descriptor()->FindFieldByNumber(event.payload_case());
  if (payload == nullptr || payload->message_type() == nullptr) return nullptr;
  const FieldDescriptor* caller = payload->message_type()->FindFieldByName("caller");
  if (caller == nullptr || caller->message_type() != ::omniroute::v1::Caller::descriptor()) {
    return nullptr;
  }
  return caller;
}

const FieldDescriptor* PayloadFieldOf(const Event& event) {
  return Event::descriptor()->FindFieldByNumber(event.payload_case());
}

}  // namespace

bool IsAudited(const Event& event) { return CallerFieldOf(event) != nullptr; }

const ::omniroute::v1::Caller* CallerOf(const Event& event) {
  const FieldDescriptor* field = CallerFieldOf(event);
  if (field == nullptr) return nullptr;
  const google::protobuf::Message& payload =
      event.GetReflection()->GetMessage(event, PayloadFieldOf(event));
  if (!payload.GetReflection()->HasField(payload, field)) return nullptr;
  return static_cast<const ::omniroute::v1::Caller*>(
      &payload.GetReflection()->GetMessage(payload, field));
}

void RecordCaller(const Caller& caller, absl::Span<Event> events) {
  if (!caller.recorded()) return;
  for (Event& event : events) {
    const FieldDescriptor* field = CallerFieldOf(event);
    if (field == nullptr) continue;
    google::protobuf::Message* payload =
        event.GetReflection()->MutableMessage(&event, PayloadFieldOf(event));
    core::ToProto(caller, static_cast<::omniroute::v1::Caller*>(
                              payload->GetReflection()->MutableMessage(payload, field)));
  }
}

}  // namespace omniroute::tenant
