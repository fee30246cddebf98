// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The tenant's dispatch table: every event type of the schema has a
// handler, so a new event type cannot be forgotten by the fold.

#include "tenant/event_handlers.h"

#include "gtest/gtest.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::tenant {
namespace {

using ::omniroute::v1::Event;

TEST(EventHandlersTest, EveryEventTypeHasACheckAndAnApply) {
  const google::protobuf::OneofDescriptor* payload = Event::descriptor()->FindOneofByName("payload");
  ASSERT_NE(payload, nullptr);
  ASSERT_GT(payload->field_count(), 0);
  for (int i = 0; i < payload->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = payload->field(i);
    const EventHandler* handler = HandlerFor(static_cast<Event::PayloadCase>(field->number()));
    ASSERT_NE(handler, nullptr) << field->name() << " has no handler";
    EXPECT_NE(handler->check, nullptr) << field->name();
    EXPECT_NE(handler->apply, nullptr) << field->name();
  }
}

TEST(EventHandlersTest, NoHandlerForAnEventWithoutPayload) {
  EXPECT_EQ(HandlerFor(Event::PAYLOAD_NOT_SET), nullptr);
}

}  // namespace
}  // namespace omniroute::tenant
