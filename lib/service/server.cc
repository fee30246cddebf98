// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/server.h"

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/proto_convert.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/call_executor.h"
#include "service/change_feed.h"
#include "service/forwarder.h"
#include "service/http_endpoint.h"
#include "service/metrics.h"
#include "service/wallboard.h"
#include "service/services.h"
#include "service/tenant_config.h"
#include "service/wire_guard.h"

namespace omniroute::service {

class Server::Impl {
 public:
  explicit Impl(const ServerOptions& options) : options_(options) {}

  absl::Status Start() {
    clock_ = options_.clock != nullptr ? options_.clock : &SystemClock();
    // The listener's and the credentials' files first: a wrong file is
    // reported before anything is opened.
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> listener_credentials =
        MakeServerCredentials(options_.tls, options_.listen_address, options_.insecure);
    if (!listener_credentials.ok()) return listener_credentials.status();
    if (options_.authenticate) {
      absl::StatusOr<std::unique_ptr<Authenticator>> auth = Authenticator::Start(options_.auth);
      if (!auth.ok()) return auth.status();
      auth_ = *std::move(auth);
    }
    if (absl::Status s = CheckTenantLimits(options_.tenant_limits); !s.ok()) return s;
    if (options_.tenant_limits.requests_per_second > 0 || options_.tenant_limits.max_streams > 0) {
      limiter_ = std::make_unique<TenantLimiter>(options_.tenant_limits, *clock_);
    }
    admission_ = Admission{auth_.get(), limiter_.get()};
    if (!options_.metrics_listen.empty()) {
      // Bound before anything is opened, so that a port in use is reported
      // at once; scrapes before the server is ready are answered 503.
      metrics_ = std::make_unique<ServerMetrics>();
      std::map<std::string, HttpEndpoint::Handler> pages =
          WallboardPages([this]() -> const Engine* {
            return serving_.load(std::memory_order_acquire) ? engine_.get() : nullptr;
          });
      pages["/metrics"] = [this](const HttpRequest&) { return ServeMetrics(); };
      absl::StatusOr<std::unique_ptr<HttpEndpoint>> endpoint =
          HttpEndpoint::Start("metrics_listen", options_.metrics_listen, std::move(pages));
      if (!endpoint.ok()) return endpoint.status();
      metrics_endpoint_ = *std::move(endpoint);
    }
    const bool durable = !options_.data_dir.empty() || !options_.postgres_conninfo.empty();
    const bool node = !options_.node_id.empty();
    if (node) {
      if (options_.postgres_conninfo.empty()) {
        return absl::InvalidArgumentError(
            "node_id: a cluster node needs the shared PostgreSQL store (postgres_conninfo)");
      }
      if (options_.advertise_address.empty()) {
        // The other nodes and the clients are sent to this address: a
        // wildcard reaches nobody.
        const absl::string_view host = absl::string_view(options_.listen_address)
                                           .substr(0, options_.listen_address.rfind(':'));
        if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::" ||
            host == "[::0]") {
          return absl::InvalidArgumentError(absl::StrCat(
              "advertise_address: required on a cluster node whose listen_address (",
              options_.listen_address,
              ") binds every interface: give the host:port other nodes and clients reach it at"));
        }
      }
      OwnershipOptions ownership_options;
      ownership_options.node_id = options_.node_id;
      ownership_options.lease = options_.lease;
      ownership_options.clock = clock_;
      // A tenant with a configuration file gets it applied by whichever
      // node takes it (the files are the same on every node), where it
      // differs from what the tenant has.
      ownership_options.on_taken = [this](const std::string& tenant) { ApplyConfigOf(tenant); };
      if (absl::Status s = ValidateOwnershipOptions(ownership_options); !s.ok()) return s;
      PostgresLeaseOptions lease_options;
      lease_options.conninfo = options_.postgres_conninfo;
      lease_options.lock_timeout = options_.lease / 4;
      absl::StatusOr<std::unique_ptr<TenantLeases>> leases =
          OpenPostgresTenantLeases(lease_options);
      if (!leases.ok()) return leases.status();
      leases_ = *std::move(leases);
      ownership_ = std::make_unique<Ownership>(ownership_options, *leases_);
    }
    if (!options_.postgres_conninfo.empty()) {
      PostgresStoreOptions store_options;
      store_options.conninfo = options_.postgres_conninfo;
      store_options.fence = ownership_.get();
      if (node) {
        // A node paused inside an append must not keep the others from its
        // tenants past its lease (see PostgresStoreOptions).
        store_options.idle_in_transaction_timeout = options_.lease / 2;
      }
      absl::StatusOr<std::unique_ptr<EventStore>> store = OpenPostgresEventStore(store_options);
      if (!store.ok()) return store.status();
      store_ = *std::move(store);
    } else if (options_.data_dir.empty()) {
      store_ = NewMemoryEventStore();
    } else {
      std::error_code error;
      std::filesystem::create_directories(options_.data_dir, error);
      if (error) {
        return absl::FailedPreconditionError(
            absl::StrCat("data_dir: ", options_.data_dir, ": ", error.message()));
      }
      SqliteStoreOptions store_options;
      store_options.path = (std::filesystem::path(options_.data_dir) / "events.db").string();
      store_options.durability = options_.durability;
      absl::StatusOr<std::unique_ptr<EventStore>> store = OpenSqliteEventStore(store_options);
      if (!store.ok()) return store.status();
      store_ = *std::move(store);
    }
    EngineOptions engine_options;
    engine_options.clock = clock_;
    engine_options.store = store_.get();
    // A snapshot only shortens the replay of a restart, and a store in
    // memory has no restart (snapshots are built off the tenant's lock, but
    // still cost a core while they are).
    engine_options.snapshot_every_events =
        durable ? options_.snapshot_every_events : 0;
    engine_options.on_commit = [this](absl::string_view tenant,
                                      absl::Span<const ::omniroute::v1::Event> events) {
      feed_.Publish(tenant, events);
      // A commit may bring a timer closer than the one the loop waits for.
      for (const auto& e : events) {
        if (e.has_task_offered() || e.has_task_created() || e.has_task_ended() ||
            e.has_commitment_recorded() || e.has_offer_declined() || e.has_offer_withdrawn()) {
          WakeTimers();
          break;
        }
      }
    };
    if (metrics_ != nullptr) {
      ServerMetrics* metrics = metrics_.get();
      engine_options.on_store_write = [metrics](size_t events, absl::Duration took,
                                                const absl::Status& stored) {
        metrics->ObserveStoreWrite(events, took, stored);
      };
      engine_options.on_snapshot = [metrics](size_t bytes, absl::Duration took,
                                             const absl::Status& result) {
        metrics->ObserveSnapshot(bytes, took, result);
      };
    }
    if (node) {
      engine_options.open_tenants = false;
      engine_options.absent_tenant = [this](absl::string_view tenant) {
        return ownership_->NotHere(tenant);
      };
      // The tenant's streams here end with where it went, so that their
      // clients resume there.
      engine_options.on_release = [this](absl::string_view tenant) {
        feed_.End(tenant, ownership_->NotHere(tenant));
      };
      if (options_.forward_calls) {
        absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> peer_credentials =
            MakeChannelCredentials(options_.peer_tls);
        if (!peer_credentials.ok()) return peer_credentials.status();
        forwarder_ = std::make_unique<Forwarder>(options_.node_id, *std::move(peer_credentials));
      }
    }
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(engine_options);
    if (!engine.ok()) return engine.status();
    engine_ = *std::move(engine);

    if (!options_.config_dir.empty()) {
      absl::StatusOr<std::vector<LoadedConfig>> configs = LoadTenantConfigDir(options_.config_dir);
      if (!configs.ok()) return configs.status();
      if (node) {
        // Applied as the node takes or creates each tenant, once it serves.
        for (LoadedConfig& config : *configs) {
          const std::string tenant = config.config.tenant_id();
          configs_.emplace(tenant, std::move(config));
        }
      } else {
        for (const LoadedConfig& config : *configs) {
          if (absl::Status s = ApplyTenantConfig(*engine_, config); !s.ok()) return s;
        }
      }
    }

    if (durable) {
      if (options_.blocking_call_threads < 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "blocking_call_threads: must be at least 1, got ", options_.blocking_call_threads));
      }
      executor_ = std::make_unique<CallExecutor>(options_.blocking_call_threads);
    }
    CallExecutor* executor = executor_.get();
    Forwarder* forwarder = forwarder_.get();
    const Admission* auth =
        admission_.auth != nullptr || admission_.limiter != nullptr ? &admission_ : nullptr;
    tenants_ =
        std::make_unique<TenantServiceImpl>(*engine_, executor, ownership_.get(), forwarder, auth);
    customers_ = std::make_unique<CustomerServiceImpl>(*engine_, executor, forwarder, auth);
    conversations_ = std::make_unique<ConversationServiceImpl>(*engine_, executor, forwarder, auth);
    routing_ =
        std::make_unique<RoutingServiceImpl>(*engine_, *store_, feed_, executor, forwarder, auth);
    commitments_ = std::make_unique<CommitmentServiceImpl>(*engine_, executor, forwarder, auth);
    events_ =
        std::make_unique<EventServiceImpl>(*engine_, *store_, feed_, executor, forwarder, auth);
    diagnostics_ = std::make_unique<DiagnosticsServiceImpl>(*engine_, executor, ownership_.get(),
                                                            forwarder, auth);
    // Bad bytes and out-of-range times are refused INVALID_ARGUMENT naming
    // the field, before any handler runs (wire_guard.h says why here).
    if (absl::Status s = GuardRequests(*tenants_, *customers_, *conversations_, *routing_,
                                       *commitments_, *events_, *diagnostics_);
        !s.ok()) {
      return s;
    }

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options_.listen_address, *listener_credentials, &port_);
    builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
    builder.RegisterService(tenants_.get());
    builder.RegisterService(customers_.get());
    builder.RegisterService(conversations_.get());
    builder.RegisterService(routing_.get());
    builder.RegisterService(commitments_.get());
    builder.RegisterService(events_.get());
    builder.RegisterService(diagnostics_.get());
    if (metrics_ != nullptr) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
          interceptors;
      interceptors.push_back(metrics_->NewInterceptorFactory());
      builder.experimental().SetInterceptorCreators(std::move(interceptors));
    }
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("listen_address: cannot listen on ", options_.listen_address));
    }
    if (ownership_ != nullptr) {
      std::string address = options_.advertise_address;
      if (address.empty()) {
        const size_t colon = options_.listen_address.rfind(':');
        address = absl::StrCat(options_.listen_address.substr(0, colon), ":", port_);
      }
      if (absl::Status s = ownership_->Start(*engine_, *store_, std::move(address)); !s.ok()) {
        return s;
      }
      // A configured tenant that exists nowhere yet is created by the node
      // it is placed on; the others find it there (UNAVAILABLE naming it)
      // or already created (ALREADY_EXISTS).
      for (const auto& [tenant, config] : configs_) {
        const TenantOptions tenant_options = config.config.has_settings()
                                                 ? core::FromProto(config.config.settings())
                                                 : TenantOptions{};
        absl::Status created =
            ownership_->CreateTenant(tenant, tenant_options, ConfigFileCaller(config));
        if (created.ok()) {
          if (absl::Status s = ApplyTenantConfig(*engine_, config); !s.ok()) return s;
        } else if (!absl::IsUnavailable(created) && !absl::IsAlreadyExists(created)) {
          return absl::Status(created.code(), absl::StrCat(config.path, ": ", created.message()));
        }
      }
    }
    if (options_.run_timers) timer_thread_ = std::thread([this] { TimerLoop(); });
    serving_.store(true, std::memory_order_release);
    return absl::OkStatus();
  }

  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      if (shut_down_) return;
      shut_down_ = true;
    }
    // Scrapes read the engine: they end before it goes.
    serving_.store(false, std::memory_order_release);
    metrics_endpoint_.reset();
    // A node hands its tenants off first: the calls in flight on them
    // finish, later ones are sent to the new owners.
    if (ownership_ != nullptr) ownership_->Stop(/*hand_off=*/true);
    if (server_ != nullptr) {
      // New calls are refused at once; calls in flight get the grace period
      // and are then cancelled (streams end).
      server_->Shutdown(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(options_.shutdown_grace));
      server_->Wait();
    }
    // Every call has finished (Wait), so the executor has nothing left.
    executor_.reset();
    WakeTimers();
    if (timer_thread_.joinable()) timer_thread_.join();
    engine_.reset();
    // Closing the store syncs and checkpoints it.
    store_.reset();
    ownership_.reset();
    leases_.reset();
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  int port() const { return port_; }
  int metrics_port() const { return metrics_endpoint_ != nullptr ? metrics_endpoint_->port() : 0; }
  Engine& engine() { return *engine_; }
  Ownership* ownership() { return ownership_.get(); }
  Forwarder* forwarder() { return forwarder_.get(); }
  absl::Status ReloadCredentials() { return auth_ != nullptr ? auth_->Reload() : absl::OkStatus(); }

 private:
  // Applies the configuration file of `tenant`, if it has one, on a node
  // that just took it; a failure is reported and left for the next time
  // the tenant is taken (the node serves it as it is meanwhile).
  void ApplyConfigOf(const std::string& tenant) {
    auto it = configs_.find(tenant);
    if (it == configs_.end()) return;
    if (absl::Status s = ApplyTenantConfig(*engine_, it->second); !s.ok()) {
      std::cerr << "omniroute-server: node " << options_.node_id << ": " << s << "\n";
    }
  }

  HttpResponse ServeMetrics() {
    HttpResponse response;
    if (!serving_.load(std::memory_order_acquire)) {
      response.status = 503;
      response.body = "omniroute-server is starting or stopping\n";
      return response;
    }
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = metrics_->Render(*engine_, feed_, clock_->Now());
    return response;
  }

  void WakeTimers() {
    absl::MutexLock lock(&timer_mu_);
    timer_wake_ = true;
  }

  bool Stopping() {
    absl::MutexLock lock(&mu_);
    return shut_down_;
  }

  // Fires each tenant's due timers, then waits until the earliest next one,
  // a commit that may bring one closer, or shutdown.
  void TimerLoop() {
    while (!Stopping()) {
      absl::Time next = clock_->Now() + absl::Seconds(1);
      for (const std::string& tenant : engine_->ListTenants()) {
        absl::StatusOr<std::optional<absl::Time>> due = engine_->NextTimer(tenant);
        if (!due.ok() || !due->has_value()) continue;
        if (**due <= clock_->Now()) {
          // Errors are the store's: the next round tries again.
          (void)engine_->RunDueTimers(tenant);
          due = engine_->NextTimer(tenant);
          if (!due.ok() || !due->has_value()) continue;
        }
        next = std::min(next, **due);
      }
      absl::MutexLock lock(&timer_mu_);
      const absl::Duration wait = std::max(absl::ZeroDuration(), next - clock_->Now());
      timer_mu_.AwaitWithTimeout(absl::Condition(&timer_wake_), wait);
      timer_wake_ = false;
    }
  }

  const ServerOptions options_;
  Clock* clock_ = nullptr;
  // A cluster node's configuration files, by tenant: read-only once the
  // node runs.
  std::map<std::string, LoadedConfig> configs_;
  // A cluster node only; the store's fence, so declared before it.
  std::unique_ptr<TenantLeases> leases_;
  std::unique_ptr<Ownership> ownership_;
  std::unique_ptr<EventStore> store_;
  // A node that forwards calls; outlives the server, whose calls use it.
  std::unique_ptr<Forwarder> forwarder_;
  // Null without authentication.
  std::unique_ptr<Authenticator> auth_;
  // Null without limits.
  std::unique_ptr<TenantLimiter> limiter_;
  // What the services check each call against: the two above.
  Admission admission_;
  ChangeFeed feed_;
  // Null without metrics_listen. The endpoint serves scrapes while
  // serving_ (after Start, until Shutdown).
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<HttpEndpoint> metrics_endpoint_;
  std::atomic<bool> serving_{false};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<CallExecutor> executor_;
  std::unique_ptr<TenantServiceImpl> tenants_;
  std::unique_ptr<CustomerServiceImpl> customers_;
  std::unique_ptr<ConversationServiceImpl> conversations_;
  std::unique_ptr<RoutingServiceImpl> routing_;
  std::unique_ptr<CommitmentServiceImpl> commitments_;
  std::unique_ptr<EventServiceImpl> events_;
  std::unique_ptr<DiagnosticsServiceImpl> diagnostics_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread timer_thread_;
  absl::Mutex timer_mu_;
  bool timer_wake_ ABSL_GUARDED_BY(timer_mu_) = false;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Start(); !s.ok()) {
    impl->Shutdown();
    return s;
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { impl_->Shutdown(); }
int Server::port() const { return impl_->port(); }
int Server::metrics_port() const { return impl_->metrics_port(); }
Engine& Server::engine() { return impl_->engine(); }
Ownership* Server::ownership() { return impl_->ownership(); }
Forwarder* Server::forwarder() { return impl_->forwarder(); }
absl::Status Server::ReloadCredentials() { return impl_->ReloadCredentials(); }
void Server::Shutdown() { impl_->Shutdown(); }
void Server::Wait() { impl_->Wait(); }

}  // namespace omniroute::service
