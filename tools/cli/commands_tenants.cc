// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// tenants, create-tenant, ping, node: the commands that need no tenant.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/time_text.h"
#include "cli/values.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;
using Kind = OptionSpec::Kind;

absl::Status RunTenants(CommandContext& c) {
  v1::ListTenantsResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.tenants().ListTenants(ctx, v1::ListTenantsRequest(), &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    if (response.tenant_ids().empty()) return std::string("(no tenants)\n");
    return absl::StrCat(absl::StrJoin(response.tenant_ids(), "\n"), "\n");
  });
}

// The settings of a new tenant, or none when no option asks for any: the
// server then applies the library's defaults. A field left unset takes its
// default either way.
absl::StatusOr<bool> TenantSettingsFrom(const ParsedArgs& args, v1::TenantSettings* settings) {
  const bool any = args.Has("country") || args.Has("continuity-window") ||
                   args.Has("max-body-bytes") || args.Has("no-thread-merge") ||
                   args.Has("no-public-loop") || args.Has("thread-merge-window") ||
                   args.Has("closed-retention");
  if (!any) return false;
  if (std::optional<std::string> country = args.Value("country"); country.has_value()) {
    settings->set_default_country_code(*country);
  }
  if (std::optional<std::string> window = args.Value("continuity-window"); window.has_value()) {
    absl::StatusOr<absl::Duration> d = ParseDurationArg("--continuity-window", *window);
    if (!d.ok()) return d.status();
    // The default window travels as the CHANNEL_UNSPECIFIED entry.
    v1::ChannelSettings* fallback = settings->add_channels();
    fallback->set_channel(v1::CHANNEL_UNSPECIFIED);
    ToProto(*d, fallback->mutable_continuity_window());
  }
  if (std::optional<std::string> window = args.Value("thread-merge-window"); window.has_value()) {
    absl::StatusOr<absl::Duration> d = ParseDurationArg("--thread-merge-window", *window);
    if (!d.ok()) return d.status();
    ToProto(*d, settings->mutable_thread_merge_window());
  }
  if (std::optional<std::string> retention = args.Value("closed-retention");
      retention.has_value()) {
    absl::StatusOr<absl::Duration> d = ParseDurationArg("--closed-retention", *retention);
    if (!d.ok()) return d.status();
    ToProto(*d, settings->mutable_closed_retention());
  }
  if (std::optional<std::string> bytes = args.Value("max-body-bytes"); bytes.has_value()) {
    absl::StatusOr<int64_t> n = ParseInteger("--max-body-bytes", *bytes, 1, 1 << 20);
    if (!n.ok()) return n.status();
    settings->set_max_body_bytes(static_cast<uint32_t>(*n));
  }
  if (args.Has("no-thread-merge")) settings->set_merge_threads_on_customer_merge(false);
  if (args.Has("no-public-loop")) settings->set_close_public_loop(false);
  return true;
}

absl::Status RunCreateTenant(CommandContext& c) {
  v1::CreateTenantRequest request;
  request.set_tenant_id(c.Arg(0));
  absl::StatusOr<bool> has_settings = TenantSettingsFrom(c.args, request.mutable_settings());
  if (!has_settings.ok()) return has_settings.status();
  if (!*has_settings) request.clear_settings();
  v1::CreateTenantResponse response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.tenants().CreateTenant(ctx, request, &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response,
                         [&] { return absl::StrCat("tenant ", request.tenant_id(), " created"); });
}

absl::Status RunPing(CommandContext& c) {
  v1::PingResponse response;
  const absl::Time start = absl::Now();
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.diagnostics().Ping(ctx, v1::PingRequest(), &response);
      });
      !s.ok()) {
    return s;
  }
  const absl::Duration took = absl::Now() - start;
  return c.printer.Print(response, [&] {
    return absl::StrCat("pong from ", c.client.server(), " in ",
                        absl::FormatDuration(absl::Trunc(took, absl::Microseconds(10))));
  });
}

absl::Status RunNode(CommandContext& c) {
  v1::NodeStatus response;
  if (absl::Status s = c.client.Call([&](grpc::ClientContext* ctx) {
        return c.client.diagnostics().GetNodeStatus(ctx, v1::GetNodeStatusRequest(), &response);
      });
      !s.ok()) {
    return s;
  }
  return c.printer.Print(response, [&] {
    std::string text = response.node_id().empty()
                           ? std::string("not a cluster node (serves every tenant)\n")
                           : absl::StrCat("node ", response.node_id(), "\n");
    absl::StrAppend(&text, "tenants held: ",
                    response.held_tenant_ids().empty()
                        ? std::string("(none)")
                        : absl::StrJoin(response.held_tenant_ids(), " "),
                    "\n");
    if (!response.node_id().empty()) {
      absl::StrAppend(&text,
                      "stale appends refused by the fence: ", response.refused_stale_appends(),
                      "\n", "calls forwarded to owners: ", response.forwarded_calls(), "\n");
    }
    return text;
  });
}

}  // namespace

void AddTenantCommands(std::vector<Command>* table) {
  table->push_back({
      .name = "tenants",
      .usage = "",
      .summary = "list the tenants",
      .needs_tenant = false,
      .run = RunTenants,
  });
  table->push_back({
      .name = "create-tenant",
      .usage = "<id> [--country=CODE] [--continuity-window=DURATION] [--no-thread-merge] "
               "[--no-public-loop] ...",
      .summary = "create a tenant (1 to 64 characters of a-z, 0-9, _ and -)",
      .details = R"(Without options the tenant gets the server's defaults.
  --country=CODE                  country calling code completing national phone
                                  numbers, e.g. 33 (default: none)
  --continuity-window=DURATION    a message joins the customer's conversation
                                  active within this window (default 48h)
  --thread-merge-window=DURATION  merged customers' open conversations active
                                  within this window become one (default 7d)
  --no-thread-merge               do not merge threads when customers merge
  --no-public-loop                no "close the loop in public" task
  --max-body-bytes=N              largest message body (default 65536)
  --closed-retention=DURATION     a closed conversation stays in memory this
                                  long, then is read from the store (default 24h)
)",
      .options = {{"country"},
                  {"continuity-window"},
                  {"thread-merge-window"},
                  {"max-body-bytes"},
                  {"closed-retention"},
                  {"no-thread-merge", Kind::kSwitch},
                  {"no-public-loop", Kind::kSwitch}},
      .arguments = {"<id>"},
      .needs_tenant = false,
      .run = RunCreateTenant,
  });
  table->push_back({
      .name = "node",
      .usage = "",
      .summary = "the server as a cluster node: its id, the tenants it holds, its counters",
      .needs_tenant = false,
      .run = RunNode,
  });
  table->push_back({
      .name = "ping",
      .usage = "",
      .summary = "check that the server answers, and how fast",
      .needs_tenant = false,
      .run = RunPing,
  });
}

}  // namespace omniroute::cli
