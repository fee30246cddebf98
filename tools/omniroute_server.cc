// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute-server: serves the omniroute.v1 API on its embedded store, or
// on a PostgreSQL database shared with other servers.
//
//   omniroute-server --listen=127.0.0.1:50051 --data_dir=/var/lib/omniroute
//                    --config_dir=/etc/omniroute/tenants
//   omniroute-server --listen=0.0.0.0:50051
//                    --store=postgresql://omniroute@db.internal/omniroute
//   omniroute-server --listen=0.0.0.0:50051 --node_id=node-a
//                    --advertise=10.0.0.5:50051 --lease_ms=2000
//                    --store=postgresql://omniroute@db.internal/omniroute
//
// With --node_id the server is one node of a cluster on the shared
// PostgreSQL store: it serves the tenants it owns (README, "Several
// servers"). SIGTERM then first hands its tenants off to the other nodes.
//
// SIGTERM or SIGINT shut it down gracefully: it stops accepting calls,
// finishes those in flight, and closes the store.

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/huge_page_heap.h"
#include "common/flag_help.h"
#include "google/protobuf/text_format.h"
#include "service/auth/api_keys.h"
#include "service/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on (port 0: any free port, see --port_file)");
ABSL_FLAG(std::string, data_dir, "omniroute-data",
          "directory of the SQLite event store (created if missing)");
ABSL_FLAG(std::string, store, "",
          "where events are kept: empty for the SQLite store in --data_dir (the default), or a "
          "postgresql:// URI for a PostgreSQL database (tables in its schema \"omniroute\", "
          "created if missing; libpq's PG* environment variables apply)");
ABSL_FLAG(bool, in_memory, false, "keep events in memory only (nothing survives a restart)");
ABSL_FLAG(std::string, durability, "sync",
          "SQLite store: sync (fsync before acknowledging), periodic, or none");
ABSL_FLAG(std::string, config_dir, "", "directory of tenant configuration files (*.textproto)");
ABSL_FLAG(int64_t, snapshot_every_events, 100000,
          "a tenant's state is snapshotted in the background every this many events (0: never), "
          "so that a start-up or a takeover by another node reads its latest snapshot and at "
          "most this many events after it; SQLite and PostgreSQL stores only");
ABSL_FLAG(std::string, port_file, "", "write the bound port to this file once listening");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port of an HTTP listener serving Prometheus metrics at /metrics (not "
          "authenticated; port 0: any free port, see --metrics_port_file); empty: none");
ABSL_FLAG(std::string, metrics_port_file, "",
          "write the metrics listener's bound port to this file once listening");
ABSL_FLAG(int, max_message_bytes, 4 << 20, "largest request accepted, in bytes");
ABSL_FLAG(std::string, node_id, "",
          "run as one node of a cluster on the --store PostgreSQL database: this node's id, "
          "unique among the servers sharing it (every one of them must set it)");
ABSL_FLAG(std::string, advertise, "",
          "cluster node: the host:port clients reach this node at (default: --listen's host "
          "with the bound port)");
ABSL_FLAG(int64_t, lease_ms, 2000,
          "cluster node: how long its tenants stay its own without a heartbeat, in ms (at least "
          "100): a dead node's tenants move after this long");

ABSL_FLAG(bool, forward, true,
          "cluster node: forward a call for a tenant served by another node there (false: "
          "answer it UNAVAILABLE with that node's address in the omniroute-owner metadata)");

ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of the server's TLS certificate chain (with --tls_key): the listener speaks "
          "TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM file of the CAs of client certificates: every client must present one they "
          "signed (mutual TLS)");
ABSL_FLAG(bool, insecure, false,
          "serve plain text on an address other machines can reach (refused otherwise)");
ABSL_FLAG(std::string, peer_tls_ca, "",
          "cluster node: PEM file of the CAs of the other nodes' certificates, to forward calls "
          "to them over TLS (with mutual TLS, this node presents --tls_cert/--tls_key)");
ABSL_FLAG(std::string, auth, "auto",
          "who may call: \"required\" (every call carries a credential of --api_keys or "
          "--jwks), \"none\" (anyone may call anything: local development only), \"auto\" "
          "(required when --api_keys or --jwks is given; none otherwise, on a loopback address "
          "only)");
ABSL_FLAG(std::string, api_keys, "",
          "API keys file (proto/omniroute/v1/credentials.proto; `omniroute-server --new_api_key` makes "
          "entries); read again on SIGHUP");
ABSL_FLAG(std::string, jwks, "",
          "JWKS file of the identity provider's keys: RS256/ES256 JWTs are accepted; read again "
          "on SIGHUP");
ABSL_FLAG(std::string, jwt_issuer, "", "the iss a JWT must have (with --jwks)");
ABSL_FLAG(std::string, jwt_audience, "", "the aud a JWT must name (with --jwks)");

ABSL_FLAG(double, tenant_requests_per_second, 0,
          "requests each tenant may make per second on this node, on average (0: no limit); "
          "over it, calls fail RESOURCE_EXHAUSTED with a retry delay");
ABSL_FLAG(int64_t, tenant_burst, 0,
          "requests a tenant may make at once after a quiet spell (0: one second's worth)");
ABSL_FLAG(int64_t, tenant_max_streams, 0,
          "server streams (WatchEvents, StreamOffers) each tenant may hold open on this node "
          "(0: no limit)");

ABSL_FLAG(std::string, new_api_key, "",
          "print a new API key and its entry for the --api_keys file, then exit: "
          "ID:ROLE:TENANT[:AGENT] (ROLE admin, integration, agent or reader; TENANT an id or *)");

int main(int argc, char** argv) {
  // First, before any thread: see base/huge_page_heap.h.
  omniroute::base::RestartWithHugePageHeap(argv);
  omniroute::tools::SetUpFlagHelp(
      "Serves the omniroute.v1 gRPC API on an embedded SQLite event store, in memory, or on a "
      "PostgreSQL database shared with other servers.\n\n"
      "  omniroute-server --listen=127.0.0.1:50051 --data_dir=DIR [--config_dir=DIR]\n"
      "  omniroute-server --listen=HOST:PORT --store=postgresql://... [--node_id=ID]\n\n"
      "SIGTERM or SIGINT stop it gracefully.",
      __FILE__, argc, argv);
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex
  // acquisition would also update a process-wide lock-order graph (3-4% of
  // a busy server's CPU, behind a global lock). The tests keep that check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Signals are taken by this thread alone (sigwait below), so every thread
  // the server starts must inherit a mask that blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (const std::string spec = absl::GetFlag(FLAGS_new_api_key); !spec.empty()) {
    std::vector<std::string> parts = absl::StrSplit(spec, ':');
    if (parts.size() < 3 || parts.size() > 4) {
      std::cerr << "omniroute-server: --new_api_key: expected ID:ROLE:TENANT[:AGENT], got \""
                << spec << "\"\n";
      return 2;
    }
    parts.resize(4);
    absl::StatusOr<omniroute::service::NewApiKey> key =
        omniroute::service::MakeApiKey(parts[0], parts[0], parts[1], parts[2], parts[3]);
    if (!key.ok()) {
      std::cerr << "omniroute-server: --new_api_key: " << key.status().message() << "\n";
      return 2;
    }
    std::string entry;
    google::protobuf::TextFormat::PrintToString(key->entry, &entry);
    std::cout << "# The key: give it to its holder; it is not stored anywhere.\n# " << key->token
              << "\n# Its entry for the --api_keys file:\nkey {\n"
              << entry << "}\n";
    return 0;
  }

  omniroute::service::ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_in_memory) ? "" : absl::GetFlag(FLAGS_data_dir);
  const std::string store = absl::GetFlag(FLAGS_store);
  if (!store.empty()) {
    if (!absl::StartsWith(store, "postgresql://") && !absl::StartsWith(store, "postgres://")) {
      std::cerr << "omniroute-server: --store: must be a postgresql:// URI (or empty for the "
                   "SQLite store in --data_dir)\n";
      return 2;
    }
    if (absl::GetFlag(FLAGS_in_memory)) {
      std::cerr << "omniroute-server: --store and --in_memory cannot be used together\n";
      return 2;
    }
    options.postgres_conninfo = store;
    options.data_dir.clear();
  }
  const std::string durability = absl::GetFlag(FLAGS_durability);
  if (durability == "sync") {
    options.durability = omniroute::Durability::kSyncEachCommit;
  } else if (durability == "periodic") {
    options.durability = omniroute::Durability::kSyncPeriodically;
  } else if (durability == "none") {
    options.durability = omniroute::Durability::kNoSync;
  } else {
    std::cerr << "omniroute-server: --durability: \"" << durability
              << "\" must be sync, periodic or none\n";
    return 2;
  }
  options.config_dir = absl::GetFlag(FLAGS_config_dir);
  const int64_t snapshot_every_events = absl::GetFlag(FLAGS_snapshot_every_events);
  if (snapshot_every_events < 0) {
    std::cerr << "omniroute-server: --snapshot_every_events: must be >= 0 (0: never), got "
              << snapshot_every_events << "\n";
    return 2;
  }
  options.snapshot_every_events = static_cast<uint64_t>(snapshot_every_events);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  if (options.max_message_bytes <= 0) {
    std::cerr << "omniroute-server: --max_message_bytes: must be positive\n";
    return 2;
  }

  options.node_id = absl::GetFlag(FLAGS_node_id);
  options.advertise_address = absl::GetFlag(FLAGS_advertise);
  const int64_t lease_ms = absl::GetFlag(FLAGS_lease_ms);
  if (options.node_id.empty()) {
    if (!options.advertise_address.empty() || lease_ms != 2000 || !absl::GetFlag(FLAGS_forward)) {
      std::cerr << "omniroute-server: --advertise, --lease_ms and --forward are for a cluster "
                   "node: set --node_id (and --store) too\n";
      return 2;
    }
  } else {
    if (options.postgres_conninfo.empty()) {
      std::cerr << "omniroute-server: --node_id: a cluster node needs --store=postgresql://...\n";
      return 2;
    }
    if (lease_ms < 100) {
      std::cerr << "omniroute-server: --lease_ms: must be at least 100, got " << lease_ms << "\n";
      return 2;
    }
    options.lease = absl::Milliseconds(lease_ms);
    options.forward_calls = absl::GetFlag(FLAGS_forward);
  }

  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls.ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.insecure = absl::GetFlag(FLAGS_insecure);
  options.peer_tls.ca_file = absl::GetFlag(FLAGS_peer_tls_ca);
  if (!options.tls.ca_file.empty()) {
    // Mutual TLS between nodes too: a node presents its own certificate.
    options.peer_tls.cert_file = options.tls.cert_file;
    options.peer_tls.key_file = options.tls.key_file;
  }
  options.tenant_limits.requests_per_second = absl::GetFlag(FLAGS_tenant_requests_per_second);
  options.tenant_limits.burst = absl::GetFlag(FLAGS_tenant_burst);
  options.tenant_limits.max_streams = absl::GetFlag(FLAGS_tenant_max_streams);
  options.auth.api_keys_file = absl::GetFlag(FLAGS_api_keys);
  options.auth.jwks_file = absl::GetFlag(FLAGS_jwks);
  options.auth.jwt_issuer = absl::GetFlag(FLAGS_jwt_issuer);
  options.auth.jwt_audience = absl::GetFlag(FLAGS_jwt_audience);
  const bool credentials = !options.auth.api_keys_file.empty() || !options.auth.jwks_file.empty();
  const std::string auth = absl::GetFlag(FLAGS_auth);
  if (auth == "required") {
    options.authenticate = true;
  } else if (auth == "none") {
    if (credentials) {
      std::cerr << "omniroute-server: --auth=none: --api_keys and --jwks would not be used\n";
      return 2;
    }
  } else if (auth == "auto") {
    options.authenticate = credentials;
    if (!credentials && !omniroute::service::IsLoopbackAddress(options.listen_address)) {
      std::cerr << "omniroute-server: --listen " << options.listen_address
                << " can be reached from other machines: give credentials (--api_keys, "
                   "--jwks) or say --auth=none\n";
      return 2;
    }
  } else {
    std::cerr << "omniroute-server: --auth: \"" << auth
              << "\" is not one of required, none, auto\n";
    return 2;
  }
  if (!options.authenticate) {
    std::cerr << "omniroute-server: WARNING: no authentication: anyone who reaches "
              << options.listen_address
              << " may read and change every tenant (give --api_keys or --jwks)\n";
  }

  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (options.metrics_listen.empty() && !absl::GetFlag(FLAGS_metrics_port_file).empty()) {
    std::cerr << "omniroute-server: --metrics_port_file needs --metrics_listen\n";
    return 2;
  }

  absl::StatusOr<std::unique_ptr<omniroute::service::Server>> server =
      omniroute::service::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "omniroute-server: " << server.status() << "\n";
    return 1;
  }
  // Written whole under a temporary name, then renamed: a reader never
  // sees half a number.
  const auto write_port_file = [](const char* flag, const std::string& path, int port) {
    if (path.empty()) return true;
    const std::string temporary = path + ".tmp";
    {
      std::ofstream out(temporary, std::ios::trunc);
      out << port << "\n";
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
      std::cerr << "omniroute-server: --" << flag << ": cannot write " << path << "\n";
      return false;
    }
    return true;
  };
  if (!write_port_file("metrics_port_file", absl::GetFlag(FLAGS_metrics_port_file),
                       (*server)->metrics_port()) ||
      !write_port_file("port_file", absl::GetFlag(FLAGS_port_file), (*server)->port())) {
    return 1;
  }

  // After the port file (whoever waits for the line finds the file
  // written), in one write so that no reader sees half of it.
  const std::string where =
      !options.node_id.empty()
          ? absl::StrCat("cluster node ", options.node_id, " on the PostgreSQL store")
      : !options.postgres_conninfo.empty() ? std::string("PostgreSQL store")
      : options.data_dir.empty()           ? std::string("in memory")
                                           : absl::StrCat("store in ", options.data_dir);
  const std::string metrics =
      options.metrics_listen.empty()
          ? std::string()
          : absl::StrCat("; metrics on port ", (*server)->metrics_port(), " at /metrics");
  std::cerr << absl::StrCat("omniroute-server: listening on port ", (*server)->port(), " (", where,
                            metrics, ")\n")
            << std::flush;
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    absl::Status reloaded = (*server)->ReloadCredentials();
    std::cerr << "omniroute-server: SIGHUP: "
              << (reloaded.ok()
                      ? std::string("credentials read again")
                      : absl::StrCat("credentials kept as they were: ", reloaded.ToString()))
              << "\n"
              << std::flush;
  }
  std::cerr << "omniroute-server: " << (received == SIGTERM ? "SIGTERM" : "SIGINT")
            << ", shutting down\n";
  (*server)->Shutdown();
  std::cerr << "omniroute-server: stopped\n";
  return 0;
}
