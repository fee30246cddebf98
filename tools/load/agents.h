// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The agents of the mixed workload: each holds a RoutingService.StreamOffers
// stream and answers every offer it receives at once, AcceptOffer then
// CompleteTask, so that routed work flows through the server instead of
// piling up. Their calls run beside the workload's (they are not part of a
// closed loop's concurrency) and are measured like the others.
//
// An offer can be taken back while the agent's answer is on its way (the
// customer moved the conversation to another channel, two customers merged
// and their threads with them). When an answer is refused the agent reads
// the task: if it is no longer offered to, or assigned to, this agent the
// refusal is counted as superseded rather than as an error.

#ifndef OMNIROUTE_TOOLS_LOAD_AGENTS_H_
#define OMNIROUTE_TOOLS_LOAD_AGENTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "load/driver.h"

namespace omniroute::load {

class AgentStream;

class Agents {
 public:
  // Opens one stream per agent; the agents stop answering at `end`.
  Agents(Driver& driver, const std::string& tenant, const std::vector<std::string>& agent_ids,
         Clock::time_point end);
  ~Agents();

  // Cancels the streams and waits for them to end.
  void Stop();

  // Streams that ended before Stop(), and how (for the report).
  std::vector<std::string> failures() const;

 private:
  std::vector<std::unique_ptr<AgentStream>> streams_;
  bool stopped_ = false;
};

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_AGENTS_H_
