// Calls a running omniroute-server with the generated C++ stubs
// (omniroute::grpc_proto): a customer writes in public, then by email; an
// agent links the two identities; the timeline shows one thread.
//
//   build/dev/examples/grpc_client 127.0.0.1:50051
//
// Creates the tenant "grpc-example" if it does not exist. Exits non-zero,
// with the gRPC status, if a call fails.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "omniroute/v1/service.grpc.pb.h"

namespace v1 = omniroute::v1;

namespace {

constexpr char kTenant[] = "grpc-example";

void Check(const grpc::Status& status, const char* step) {
  if (status.ok()) return;
  std::cerr << "grpc_client: " << step << ": " << status.error_code() << " "
            << status.error_message() << "\n";
  std::exit(1);
}

// A deadline on every call: a server that does not answer fails the
// example instead of hanging it.
std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "127.0.0.1:50051";
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto tenants = v1::TenantService::NewStub(channel);
  auto conversations = v1::ConversationService::NewStub(channel);
  auto customers = v1::CustomerService::NewStub(channel);

  v1::CreateTenantRequest create;
  create.set_tenant_id(kTenant);
  v1::CreateTenantResponse created;
  grpc::Status status = tenants->CreateTenant(Context().get(), create, &created);
  if (status.error_code() != grpc::StatusCode::ALREADY_EXISTS) Check(status, "create tenant");

  // A unique suffix, so that the example can run again on the same store.
  v1::GetLastSequenceRequest last_request;
  last_request.set_tenant_id(kTenant);
  v1::GetLastSequenceResponse last;
  Check(v1::EventService::NewStub(channel)->GetLastSequence(Context().get(), last_request, &last),
        "last sequence");
  const std::string run = std::to_string(last.sequence());

  v1::IngestMessageRequest post;
  post.set_tenant_id(kTenant);
  post.set_channel(v1::CHANNEL_PUBLIC_SOCIAL);
  post.mutable_sender()->set_kind(v1::IDENTITY_KIND_SOCIAL_HANDLE);
  post.mutable_sender()->set_network("x");
  post.mutable_sender()->set_value("@buyer_" + run);
  post.set_external_id("post-" + run);
  post.set_body("My new phone will not charge.");
  v1::IngestMessageResponse on_post;
  Check(conversations->IngestMessage(Context().get(), post, &on_post), "ingest post");

  v1::IngestMessageRequest email;
  email.set_tenant_id(kTenant);
  email.set_channel(v1::CHANNEL_EMAIL);
  email.mutable_sender()->set_kind(v1::IDENTITY_KIND_EMAIL);
  email.mutable_sender()->set_value("buyer" + run + "@example.com");
  email.set_external_id("<mail-" + run + "@example.com>");
  email.set_body("Here is the invoice for the phone.");
  v1::IngestMessageResponse on_email;
  Check(conversations->IngestMessage(Context().get(), email, &on_email), "ingest email");

  v1::LinkIdentityRequest link;
  link.set_tenant_id(kTenant);
  link.set_customer_id(on_post.customer_id());
  *link.mutable_identity() = email.sender();
  link.mutable_actor()->set_kind(v1::ACTOR_KIND_AGENT);
  link.mutable_actor()->set_id("agent-1");
  v1::LinkIdentityResponse linked;
  Check(customers->LinkIdentity(Context().get(), link, &linked), "link identity");
  std::cout << "customer " << on_email.customer_id() << " merged into " << linked.customer_id()
            << ", " << linked.merged_threads_size() << " thread(s) joined\n";

  // The timeline comes a page at a time: each page's next_page_token asks
  // for the next, until it is empty.
  v1::GetTimelineRequest timeline_request;
  timeline_request.set_tenant_id(kTenant);
  timeline_request.set_conversation_id(on_post.conversation_id());
  std::cout << "conversation " << on_post.conversation_id() << ":\n";
  int messages = 0;
  do {
    v1::GetTimelineResponse page;
    Check(conversations->GetTimeline(Context().get(), timeline_request, &page), "timeline");
    for (const v1::TimelineEntry& entry : page.entries()) {
      if (!entry.has_message()) continue;
      ++messages;
      std::cout << "  " << v1::Channel_Name(entry.message().channel()) << ": "
                << entry.message().body() << "\n";
    }
    timeline_request.set_page_token(page.next_page_token());
  } while (!timeline_request.page_token().empty());
  return messages >= 2 ? 0 : 1;
}
