// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What the files of RoutingState share (routing_state.cc, the accessors and
// the derived state; agent_events.cc, task_events.cc and
// commitment_events.cc, the check and apply of each routing event).

#ifndef OMNIROUTE_LIB_ROUTING_ROUTING_STATE_INTERNAL_H_
#define OMNIROUTE_LIB_ROUTING_ROUTING_STATE_INTERNAL_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "routing/model.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/routing.pb.h"

namespace omniroute::routing::internal {

// DATA_LOSS naming the event and why it does not fit.
absl::Status Misfit(const ::omniroute::v1::Event& event, absl::string_view why);

// The channels of a list; CHANNEL_UNSPECIFIED marks an empty list
// (routing_config.cc), no channel.
ChannelMask MaskOfChannels(const google::protobuf::RepeatedField<int>& channels);

// Whether `queue` takes work of `channel`.
bool Serves(const ::omniroute::v1::QueueConfig& queue, Channel channel);

}  // namespace omniroute::routing::internal

#endif  // OMNIROUTE_LIB_ROUTING_ROUTING_STATE_INTERNAL_H_
