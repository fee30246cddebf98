// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Server: omniroute behind gRPC. It opens the event store (a SQLite file in
// a data directory, or memory), the engine on it, loads the tenants'
// configuration files, serves the omniroute.v1 services with the standard
// health service and server reflection, and runs the routing timers on the
// engine's clock. tools/omniroute_server.cc is its command line; tests start
// it in-process on 127.0.0.1 port 0.
//
// A node of a cluster (ServerOptions::node_id) holds only the tenants it
// owns; Shutdown() first hands them off to the other nodes.
//
// Thread-safe. Shutdown() stops accepting calls, lets those in flight finish
// (until a deadline, then cancels them), stops the timer loop and closes the
// store, so that everything acknowledged is on disk.

#ifndef OMNIROUTE_LIB_SERVICE_SERVER_H_
#define OMNIROUTE_LIB_SERVICE_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "service/auth/authenticator.h"
#include "service/forwarder.h"
#include "service/ownership.h"
#include "service/tenant_limiter.h"
#include "service/transport_security.h"

namespace omniroute::service {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free one (see Server::port()).
  // Default: 127.0.0.1:50051.
  std::string listen_address = "127.0.0.1:50051";
  // Directory of the SQLite store (events.db), created if missing. Empty
  // (and no postgres_conninfo): events are kept in memory only (benchmarks,
  // demos).
  std::string data_dir;
  // A PostgreSQL connection string or postgresql:// URI: the store is that
  // database (omniroute/postgres_event_store.h, its tables in the schema
  // "omniroute", created if missing), shared with other servers, and
  // data_dir and durability are not used. Default: empty (SQLite or memory).
  std::string postgres_conninfo;
  // Makes this server one node of a cluster on the PostgreSQL store
  // (postgres_conninfo required): its id, unique among the servers that
  // share the database (service/ownership.h). Every server that shares a
  // database must run as a node. Default: empty, the server is its store's
  // only writer and serves every tenant.
  std::string node_id;
  // A node: the host:port clients reach it at, given to them with the
  // owner of a tenant. Default: listen_address with the port bound.
  std::string advertise_address;
  // A node: how long its lease lasts without a heartbeat (how long its
  // tenants wait for another node when it dies). At least 100 ms.
  // Default: 2 s.
  absl::Duration lease = absl::Seconds(2);
  // A node: a call for a tenant served by another node is forwarded there
  // and its answer passed back (service/forwarder.h), so that clients need
  // one address; false answers it UNAVAILABLE with the owner's address.
  // Default: true.
  bool forward_calls = true;
  // TLS of the listener (transport_security.h): the certificate chain and
  // key (cert_file, key_file) and, for mutual TLS, the CA of the clients'
  // certificates (ca_file). Empty: plain text, which is refused on an
  // address other machines can reach unless `insecure`.
  TlsFiles tls;
  bool insecure = false;
  // A node: how it reaches the other nodes it forwards calls to (the CA
  // of their certificates, and its own client certificate for mutual
  // TLS). Default: plain text.
  TlsFiles peer_tls;
  // Every call must carry a credential that these accept, for a role that
  // may make the call (auth/access_policy.h). False: no authentication at
  // all (local development, demos), which the server says at start-up.
  bool authenticate = false;
  AuthOptions auth;
  // Each tenant's request rate and open streams on this node (a refusal is
  // RESOURCE_EXHAUSTED with a retry delay). Default: no limits.
  TenantLimits tenant_limits;
  // Default: acknowledged only once fsync'ed.
  Durability durability = Durability::kSyncEachCommit;
  // Directory of tenants' configuration files (*.textproto,
  // proto/omniroute/v1/config.proto). Empty: none.
  std::string config_dir;
  // Largest request accepted; larger ones fail with RESOURCE_EXHAUSTED.
  // Default 4 MiB.
  int max_message_bytes = 4 << 20;
  // A snapshot after this many events of a tenant (on a durable store
  // only: in memory there is no restart to shorten). Default 100,000.
  uint64_t snapshot_every_events = 100000;
  // On a durable store, calls that wait for the engine (every command but
  // IngestMessage, which answers asynchronously, and reads that wait for
  // what they reflect to be stored) run on this many threads of their own
  // instead of gRPC's; in memory nothing waits and they run inline.
  // Default 64.
  int blocking_call_threads = 64;
  // host:port of an HTTP listener serving Prometheus metrics at /metrics
  // (service/metrics.h); port 0 picks a free one (see metrics_port()). The
  // page is not authenticated: bind it where only the scraper reaches.
  // Default: empty, no listener.
  std::string metrics_listen;
  // Time source. Not owned. Default: the system clock.
  Clock* clock = nullptr;
  // Fire routing timers when due. Tests on a ManualClock turn this off and
  // call RoutingService.RunDueTimers instead. Default true.
  bool run_timers = true;
  // gRPC's own completion-queue threads for the callback API are used;
  // this bounds how long Shutdown waits for calls in flight.
  absl::Duration shutdown_grace = absl::Seconds(10);
};

class Server {
 public:
  // Opens the store and the engine, applies the configuration files and
  // starts listening. Errors: the store's, the configuration's (file and
  // line), UNAVAILABLE if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);

  // Shuts down if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port bound (useful with port 0).
  int port() const;
  // The metrics listener's port; 0 without metrics_listen.
  int metrics_port() const;
  Engine& engine();
  // The node's share of the tenants; null unless node_id was set.
  Ownership* ownership();
  // What the node forwarded; null unless node_id and forward_calls.
  Forwarder* forwarder();

  // Reads the credentials' files again (API keys, JWKS); on error the
  // credentials in use stay. OK without authentication.
  absl::Status ReloadCredentials();

  // See the class comment. Idempotent.
  void Shutdown();
  // Blocks until Shutdown() has been called and completed.
  void Wait();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_SERVER_H_
