// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/tenant_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "routing/routing_config.h"
#include "service/convert.h"

namespace omniroute::service {
namespace {

namespace v1 = ::omniroute::v1;

// Keeps the first error with its position.
class FirstError final : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstError(std::string path) : path_(std::move(path)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!error_.empty()) return;
    // The parser counts from 0; editors from 1.
    error_ = absl::StrCat(path_, ":", line + 1, ":", column + 1, ": ", message);
  }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
};

absl::Status InFile(const LoadedConfig& loaded, absl::string_view where, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(loaded.path, ": ", where, s.message()));
}

template <typename Message>
bool Same(const Message& a, const Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

absl::StatusOr<LoadedConfig> ParseTenantConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseTenantConfig(text.str(), path);
}

absl::StatusOr<LoadedConfig> ParseTenantConfig(absl::string_view text, const std::string& path) {
  LoadedConfig loaded;
  loaded.path = path;
  FirstError errors(path);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &loaded.config)) {
    return absl::InvalidArgumentError(errors.error().empty() ? absl::StrCat(path, ": not a TenantConfig")
                                                             : errors.error());
  }
  if (loaded.config.tenant_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": tenant_id: required"));
  }
  // What the engine would take differently from the file is refused here,
  // before anything of any file is applied.
  const v1::TenantConfig& config = loaded.config;
  for (absl::Status s :
       {CheckTimeFields(config), CheckTenantSettings(config.settings(), "settings"),
        CheckRoutingSettings(config.routing(), "routing")}) {
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  for (int i = 0; i < config.agents_size(); ++i) {
    if (absl::Status s = CheckAgentConfig(config.agents(i), absl::StrCat("agents[", i, "]"));
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
    }
  }
  // An id listed twice would be applied twice, the last one winning, and
  // applied again at every start: the file would never be what the tenant
  // has. Refused, naming both places.
  // `ids(i)` of `size` entries named `field`: the first listed twice.
  const auto repeated = [&](absl::string_view field, absl::string_view id_field, int size,
                            const auto& ids) -> absl::Status {
    absl::flat_hash_map<std::string, int> seen;
    for (int i = 0; i < size; ++i) {
      const auto inserted = seen.emplace(ids(i), i);
      if (!inserted.second) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", field, "[", i, "].", id_field,
                                                       ": \"", ids(i), "\" is listed already (",
                                                       field, "[", inserted.first->second, "])"));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = repeated("queues", "queue_id", config.queues_size(),
                                [&](int i) { return config.queues(i).queue_id(); });
      !s.ok()) {
    return s;
  }
  if (absl::Status s = repeated("agents", "agent_id", config.agents_size(),
                                [&](int i) { return config.agents(i).agent_id(); });
      !s.ok()) {
    return s;
  }
  return loaded;
}

absl::StatusOr<std::vector<LoadedConfig>> LoadTenantConfigDir(const std::string& dir) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".textproto") {
      files.push_back(entry.path());
    }
  }
  if (error) {
    return absl::NotFoundError(absl::StrCat("config_dir: ", dir, ": ", error.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<LoadedConfig> configs;
  absl::flat_hash_map<std::string, std::string> seen;
  for (const auto& file : files) {
    absl::StatusOr<LoadedConfig> loaded = ParseTenantConfigFile(file.string());
    if (!loaded.ok()) return loaded.status();
    auto [it, inserted] = seen.try_emplace(loaded->config.tenant_id(), loaded->path);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(loaded->path, ": tenant \"",
                                                     loaded->config.tenant_id(),
                                                     "\" is configured in ", it->second, " too"));
    }
    configs.push_back(*std::move(loaded));
  }
  return configs;
}

Caller ConfigFileCaller(const LoadedConfig& loaded) {
  return Caller{loaded.path, "", v1::CALLER_CREDENTIAL_CONFIG_FILE};
}

absl::Status ApplyTenantConfig(Engine& engine, const LoadedConfig& loaded) {
  const v1::TenantConfig& config = loaded.config;
  const Caller caller = ConfigFileCaller(loaded);
  const std::string& tenant = config.tenant_id();
  const std::vector<std::string> tenants = engine.ListTenants();
  if (std::find(tenants.begin(), tenants.end(), tenant) == tenants.end()) {
    const TenantOptions options =
        config.has_settings() ? core::FromProto(config.settings()) : TenantOptions{};
    if (absl::Status s = engine.CreateTenant(tenant, options, caller); !s.ok()) {
      return InFile(loaded, "", s);
    }
  }
  for (int i = 0; i < config.queues_size(); ++i) {
    const QueueConfig wanted = routing::FromProto(config.queues(i));
    absl::StatusOr<QueueConfig> current = engine.GetQueue(tenant, wanted.id);
    if (current.ok()) {
      v1::QueueConfig a, b;
      routing::ToProto(*current, &a);
      routing::ToProto(wanted, &b);
      if (Same(a, b)) continue;
    }
    if (absl::Status s = engine.UpsertQueue(tenant, wanted, caller); !s.ok()) {
      return InFile(loaded, absl::StrCat("queues[", i, "]: "), s);
    }
  }
  if (config.has_routing()) {
    const RoutingSettings wanted = routing::FromProto(config.routing());
    absl::StatusOr<RoutingSettings> current = engine.GetRoutingSettings(tenant);
    v1::RoutingSettings a, b;
    if (current.ok()) routing::ToProto(*current, &a);
    routing::ToProto(wanted, &b);
    if (!current.ok() || !Same(a, b)) {
      if (absl::Status s = engine.ConfigureRouting(tenant, wanted, caller); !s.ok()) {
        return InFile(loaded, "routing: ", s);
      }
    }
  }
  for (int i = 0; i < config.agents_size(); ++i) {
    const AgentConfig wanted = routing::FromProto(config.agents(i));
    absl::StatusOr<AgentView> current = engine.GetAgent(tenant, wanted.id);
    if (current.ok()) {
      v1::AgentConfig a, b;
      routing::ToProto(current->config, &a);
      routing::ToProto(wanted, &b);
      if (Same(a, b)) continue;
    }
    if (absl::Status s = engine.UpsertAgent(tenant, wanted, caller); !s.ok()) {
      return InFile(loaded, absl::StrCat("agents[", i, "]: "), s);
    }
  }
  return absl::OkStatus();
}

}  // namespace omniroute::service
