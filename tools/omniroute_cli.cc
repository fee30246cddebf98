// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute: the command-line client of the omniroute server, for the
// everyday operations (ingest a message, read a thread, link identities,
// run agents and queues, keep commitments, follow offers and the change
// feed). See `omniroute --help`; the commands are in tools/cli/.
//
// The global flags are absl flags (so their defaults and types live in one
// place), but this file parses the command line itself: global flags may
// come after the command, each command has options of its own (some
// repeatable, as absl flags cannot be), and every usage error must exit with
// code 2 in the same "error: CODE: message" form as the rest.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/command_line.h"
#include "cli/command_table.h"
#include "cli/errors.h"
#include "cli/interrupt.h"
#include "common/channel_target.h"
#include "common/client_channel.h"

namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

ABSL_FLAG(std::string, server, EnvOr("OMNIROUTE_SERVER", "127.0.0.1:50051"),
          "host:port of the omniroute server, or of several nodes of a cluster, comma-separated "
          "IP literals (the first that answers serves; the next when it goes away)");
ABSL_FLAG(std::string, tenant, EnvOr("OMNIROUTE_TENANT", ""), "the tenant to work in");
ABSL_FLAG(bool, json, false, "print each response as one JSON object per line");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "deadline of each call");
ABSL_FLAG(std::string, token, EnvOr("OMNIROUTE_TOKEN", ""),
          "credential sent with every call as \"authorization: Bearer <token>\": an API key "
          "(omr_...) or a JWT");
ABSL_FLAG(std::string, tls_ca, EnvOr("OMNIROUTE_TLS_CA", ""),
          "PEM file of the CA to verify the server's certificate with: the channel speaks TLS");
ABSL_FLAG(std::string, tls_cert, EnvOr("OMNIROUTE_TLS_CERT", ""),
          "PEM file of the client certificate, for a server that requires mutual TLS");
ABSL_FLAG(std::string, tls_key, EnvOr("OMNIROUTE_TLS_KEY", ""),
          "PEM file of the private key of --tls_cert");
ABSL_FLAG(bool, insecure, false,
          "send --token over plain text to a server on another machine (something else "
          "encrypts the link); without it, a token goes in clear to a loopback address only");

namespace omniroute::cli {
namespace {

constexpr GlobalFlagSpec kGlobalFlags[] = {
    {"server", false},   {"tenant", false},  {"json", true},
    {"timeout", false},  {"token", false},   {"tls_ca", false},
    {"tls_cert", false}, {"tls_key", false}, {"insecure", true},
};

int UsageFailure(const absl::Status& status) {
  std::cerr << ErrorLine(status) << "\n"
            << "usage: omniroute [--server=HOST:PORT] [--tenant=ID] [--json] <command> [args]\n"
            << "Try 'omniroute --help'.\n";
  return kExitUsage;
}

// Sets each global flag from its text through absl's own parser, so that
// "--timeout=2m" and "--json=false" mean what they mean to absl.
absl::Status ApplyGlobalFlags(const std::vector<GlobalFlag>& flags) {
  for (const GlobalFlag& flag : flags) {
    absl::CommandLineFlag* target = absl::FindCommandLineFlag(flag.name);
    std::string error;
    if (target == nullptr || !target->ParseFrom(flag.value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": ", error));
    }
  }
  if (absl::GetFlag(FLAGS_server).empty()) {
    return absl::InvalidArgumentError("--server: empty; write HOST:PORT, e.g. 127.0.0.1:50051");
  }
  if (absl::StatusOr<std::string> target =
          omniroute::tools::ChannelTarget("--server", absl::GetFlag(FLAGS_server));
      !target.ok()) {
    return target.status();
  }
  if (absl::GetFlag(FLAGS_timeout) <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout: must be longer than zero");
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  // First, before gRPC starts any thread: they must inherit the blocked
  // signals (interrupt.h).
  InstallInterruptHandling();
  std::ios::sync_with_stdio(false);

  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<SplitCommandLine> split = SplitGlobalFlags(args, kGlobalFlags);
  if (!split.ok()) return UsageFailure(split.status());
  if (absl::Status s = ApplyGlobalFlags(split->globals); !s.ok()) return UsageFailure(s);

  const Command* command = split->command.empty() ? nullptr : FindCommand(split->command);
  if (split->help) {
    std::cout << (command != nullptr ? CommandHelp(*command) : GeneralHelp());
    std::cout.flush();
    return std::cout.good() ? kExitOk : kExitFailure;
  }
  if (split->command.empty()) return UsageFailure(absl::InvalidArgumentError("missing command"));
  if (command == nullptr) {
    return UsageFailure(
        absl::InvalidArgumentError(absl::StrCat("unknown command \"", split->command, "\"")));
  }

  GlobalOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.tenant = absl::GetFlag(FLAGS_tenant);
  options.json = absl::GetFlag(FLAGS_json);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  tools::ClientSecurity security;
  security.token = absl::GetFlag(FLAGS_token);
  security.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  security.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  security.tls_key = absl::GetFlag(FLAGS_tls_key);
  security.insecure = absl::GetFlag(FLAGS_insecure);
  // The files are read once here, so that a wrong one is a usage error.
  if (auto checked = tools::OpenClientChannel(options.server, security); !checked.ok()) {
    return UsageFailure(checked.status());
  }
  Client client(options.server, options.timeout, security);
  const Streams streams{std::cout, std::cerr, std::cin};
  return RunCommand(*command, split->command_args, options, client, streams, absl::Now());
}

}  // namespace
}  // namespace omniroute::cli

int main(int argc, char** argv) { return omniroute::cli::Main(argc, argv); }
