// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/auth/access_policy.h"

#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"

namespace omniroute::service {
namespace {

constexpr uint32_t Bit(Role role) { return 1u << static_cast<int>(role); }
constexpr uint32_t kA = Bit(Role::kAdmin);
constexpr uint32_t kI = Bit(Role::kIntegration);
constexpr uint32_t kG = Bit(Role::kAgent);
constexpr uint32_t kR = Bit(Role::kReader);
// Reads: every role but agent, whose reads are its own agent's only.
constexpr uint32_t kReads = kA | kI | kR;
// Commands of an integration (and of an admin, who may do everything).
constexpr uint32_t kCommands = kA | kI;

constexpr std::array kTable = {
    MethodAccess{"/omniroute.v1.TenantService/CreateTenant", kA, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.TenantService/ListTenants", kA, CallScope::kNode},

    MethodAccess{"/omniroute.v1.CustomerService/GetCustomer", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CustomerService/FindCustomer", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CustomerService/LinkIdentity", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CustomerService/MergeCustomers", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CustomerService/UnmergeCustomer", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CustomerService/ListConversations", kReads, CallScope::kTenant},
    // A customer's whole personal data, out or erased: the data
    // protection officer's, not an integration's.
    MethodAccess{"/omniroute.v1.CustomerService/EraseCustomer", kA, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CustomerService/ExportCustomer", kA, CallScope::kTenant},

    MethodAccess{"/omniroute.v1.ConversationService/IngestMessage", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.ConversationService/RecordOutbound", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.ConversationService/Handoff", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.ConversationService/SetConversationStatus", kCommands,
                 CallScope::kTenant},
    MethodAccess{"/omniroute.v1.ConversationService/MergeConversations", kCommands,
                 CallScope::kTenant},
    MethodAccess{"/omniroute.v1.ConversationService/SplitConversation", kCommands,
                 CallScope::kTenant},
    MethodAccess{"/omniroute.v1.ConversationService/GetConversation", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.ConversationService/GetTimeline", kReads, CallScope::kTenant},

    MethodAccess{"/omniroute.v1.RoutingService/ConfigureRouting", kA, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetRoutingSettings", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/UpsertQueue", kA, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetQueue", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetQueueStats", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetQueueStatistics", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetIntervalReport", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/WatchQueueStatistics", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetAgentStatistics", kReads | kG, CallScope::kAgent},
    MethodAccess{"/omniroute.v1.RoutingService/UpsertAgent", kA, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetAgent", kReads | kG, CallScope::kAgent},
    MethodAccess{"/omniroute.v1.RoutingService/SetAgentPresence", kCommands | kG,
                 CallScope::kAgent},
    MethodAccess{"/omniroute.v1.RoutingService/StreamOffers", kCommands | kG, CallScope::kAgent},
    MethodAccess{"/omniroute.v1.RoutingService/AcceptOffer", kCommands | kG, CallScope::kAgent},
    MethodAccess{"/omniroute.v1.RoutingService/DeclineOffer", kCommands | kG, CallScope::kAgent},
    MethodAccess{"/omniroute.v1.RoutingService/CompleteTask", kCommands | kG, CallScope::kAgent},
    // Its agent_id is the target, not the caller: an agent's transfer goes
    // through its desk's integration.
    MethodAccess{"/omniroute.v1.RoutingService/TransferTask", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/AbandonTask", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetTask", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/GetConversationRouting", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.RoutingService/RunDueTimers", kA, CallScope::kTenant},

    MethodAccess{"/omniroute.v1.CommitmentService/RecordCommitment", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CommitmentService/CloseCommitment", kCommands, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CommitmentService/GetCommitment", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.CommitmentService/ListCommitments", kReads, CallScope::kTenant},

    MethodAccess{"/omniroute.v1.EventService/WatchEvents", kReads, CallScope::kTenant},
    MethodAccess{"/omniroute.v1.EventService/GetLastSequence", kReads, CallScope::kTenant},

    MethodAccess{"/omniroute.v1.DiagnosticsService/Ping", kReads | kG, CallScope::kAnyone},
    MethodAccess{"/omniroute.v1.DiagnosticsService/GetNodeStatus", kReads, CallScope::kNode},
    MethodAccess{"/omniroute.v1.DiagnosticsService/GetStateFingerprint", kReads,
                 CallScope::kTenant},
};

// The string field `name` of `request`, empty if it has none.
std::string StringField(const google::protobuf::Message& request, absl::string_view name) {
  const google::protobuf::FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName(std::string(name));
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return request.GetReflection()->GetString(request, field);
}

std::string Describe(const Principal& principal) {
  return absl::StrCat("\"", principal.name, "\" (role ", RoleName(principal.role), ")");
}

std::string AllowedRoles(uint32_t roles) {
  std::vector<absl::string_view> names;
  for (Role role : {Role::kAdmin, Role::kIntegration, Role::kAgent, Role::kReader}) {
    if ((roles & Bit(role)) != 0) names.push_back(RoleName(role));
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::Span<const MethodAccess> AccessTable() { return kTable; }

std::string TenantOfCall(absl::string_view method, const google::protobuf::Message& request) {
  const MethodAccess* access = FindMethodAccess(method);
  if (access == nullptr ||
      (access->scope != CallScope::kTenant && access->scope != CallScope::kAgent)) {
    return "";
  }
  return StringField(request, "tenant_id");
}

const MethodAccess* FindMethodAccess(absl::string_view method) {
  for (const MethodAccess& entry : kTable) {
    if (entry.method == method) return &entry;
  }
  return nullptr;
}

absl::Status Authorize(const Principal& principal, absl::string_view method,
                       const google::protobuf::Message& request) {
  const MethodAccess* access = FindMethodAccess(method);
  if (access == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(method, " is open to no one"));
  }
  if ((access->roles & Bit(principal.role)) == 0) {
    return absl::PermissionDeniedError(absl::StrCat(Describe(principal), " may not call ", method,
                                                    ": it needs one of the roles ",
                                                    AllowedRoles(access->roles)));
  }
  const bool every_tenant = principal.tenant == kEveryTenant;
  switch (access->scope) {
    case CallScope::kAnyone:
      return absl::OkStatus();
    case CallScope::kNode:
      if (every_tenant) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat(Describe(principal), " may not call ", method,
                       ": it is about every tenant and the credential is for tenant \"",
                       principal.tenant, "\" only"));
    case CallScope::kTenant:
    case CallScope::kAgent: {
      const std::string tenant = StringField(request, "tenant_id");
      if (!every_tenant && tenant != principal.tenant) {
        return absl::PermissionDeniedError(absl::StrCat("tenant_id: ", Describe(principal),
                                                        " may act on tenant \"", principal.tenant,
                                                        "\" only, not \"", tenant, "\""));
      }
      if (access->scope == CallScope::kAgent && principal.role == Role::kAgent) {
        const std::string agent = StringField(request, "agent_id");
        if (agent != principal.agent_id) {
          return absl::PermissionDeniedError(absl::StrCat("agent_id: ", Describe(principal),
                                                          " acts as agent \"", principal.agent_id,
                                                          "\" only, not \"", agent, "\""));
        }
      }
      return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError("unknown scope");
}

}  // namespace omniroute::service
