// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Tenants' configuration files (proto/omniroute/v1/config.proto, protobuf
// text format, one tenant per file): parsed with errors that give the file
// and line, and applied to an engine where they differ from what the tenant
// has, so that restarting with the same files changes nothing.

#ifndef OMNIROUTE_LIB_SERVICE_TENANT_CONFIG_H_
#define OMNIROUTE_LIB_SERVICE_TENANT_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/engine.h"
#include "omniroute/v1/config.pb.h"

namespace omniroute::service {

struct LoadedConfig {
  std::string path;
  ::omniroute::v1::TenantConfig config;
};

// Parses one file. INVALID_ARGUMENT "<path>:<line>:<column>: <reason>" for a
// syntax error or an unknown field, "<path>: <field>: <reason>" for a value
// the engine would not take as written (a Timestamp or Duration outside
// protobuf's range, a negative window, a channel listed twice:
// CheckTenantSettings and its siblings in convert.h); NOT_FOUND if it
// cannot be read.
absl::StatusOr<LoadedConfig> ParseTenantConfigFile(const std::string& path);
// The same for the text of a file, whose errors name `path`.
absl::StatusOr<LoadedConfig> ParseTenantConfig(absl::string_view text, const std::string& path);

// Every *.textproto file of `dir`, in name order. Two files for one tenant
// are refused (INVALID_ARGUMENT naming both).
absl::StatusOr<std::vector<LoadedConfig>> LoadTenantConfigDir(const std::string& dir);

// What the events a configuration file makes record as their caller (the
// audit trail): the file's path, CALLER_CREDENTIAL_CONFIG_FILE.
Caller ConfigFileCaller(const LoadedConfig& loaded);

// Creates the tenant if needed, then applies queues, routing settings and
// agents that differ from the tenant's, recording ConfigFileCaller(loaded)
// in their events. Errors name the file and the field
// ("acme.textproto: queues[1]: queue.channels: ...").
absl::Status ApplyTenantConfig(Engine& engine, const LoadedConfig& loaded);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_TENANT_CONFIG_H_
