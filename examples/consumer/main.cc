// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Uses an installed omniroute through its public headers only: opens an
// engine on a manual clock, creates a tenant, ingests one email and prints
// the customer and conversation it was filed under. Returns non-zero on any
// error.

#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "omniroute/clock.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"
#include "omniroute/identity.h"
#include "omniroute/tenant_options.h"

int main() {
  omniroute::ManualClock clock;
  absl::StatusOr<std::unique_ptr<omniroute::Engine>> engine =
      omniroute::Engine::Open({.clock = &clock});
  if (!engine.ok()) {
    std::cerr << "Engine::Open: " << engine.status() << "\n";
    return 1;
  }

  if (absl::Status status = (*engine)->CreateTenant("demo", omniroute::TenantOptions{});
      !status.ok()) {
    std::cerr << "CreateTenant: " << status << "\n";
    return 1;
  }

  omniroute::InboundMessage message;
  message.channel = omniroute::v1::CHANNEL_EMAIL;
  message.sender =
      omniroute::RawIdentity{omniroute::v1::IDENTITY_KIND_EMAIL, "", "Ann@Example.com"};
  message.external_id = "m1";
  message.body = "hello";

  absl::StatusOr<omniroute::IngestResult> result = (*engine)->IngestMessage("demo", message);
  if (!result.ok()) {
    std::cerr << "IngestMessage: " << result.status() << "\n";
    return 1;
  }

  std::cout << "customer: " << result->customer << "\n"
            << "conversation: " << result->conversation << "\n"
            << "message: " << result->message << "\n";
  return 0;
}
