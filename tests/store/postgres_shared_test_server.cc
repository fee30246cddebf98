// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The shared PostgreSQL server of a test binary (postgres_test_server.h):
// started by the first test that asks for it, stopped by a googletest
// Environment when the binary's tests are done; a failure to start fails
// each test that asks, with the reason.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "store/postgres_test_server.h"

namespace omniroute::testing_internal {
namespace {

absl::Mutex shared_mu;
PostgresTestServer* shared_server ABSL_GUARDED_BY(shared_mu) = nullptr;
// Why the shared server could not start, so that every test that asks for
// it fails with the reason without trying again.
absl::Status* shared_error ABSL_GUARDED_BY(shared_mu) = nullptr;

// Stops the shared server when the binary's tests are done.
class PostgresEnvironment : public testing::Environment {
 public:
  void TearDown() override {
    absl::MutexLock lock(&shared_mu);
    delete shared_server;
    shared_server = nullptr;
  }
};

testing::Environment* const kEnvironment =
    testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

PostgresTestServer* SharedPostgresServer() {
  absl::MutexLock lock(&shared_mu);
  if (shared_server == nullptr && shared_error == nullptr) {
    absl::StatusOr<std::unique_ptr<PostgresTestServer>> started = PostgresTestServer::Start();
    if (started.ok()) {
      shared_server = started->release();
    } else {
      shared_error = new absl::Status(started.status());
    }
  }
  if (shared_server == nullptr) ADD_FAILURE() << *shared_error;
  return shared_server;
}

std::string NewPostgresDatabase() {
  PostgresTestServer* server = SharedPostgresServer();
  if (server == nullptr) return "";
  absl::StatusOr<std::string> conninfo = server->CreateDatabase();
  if (!conninfo.ok()) {
    ADD_FAILURE() << "cannot create a database for the test: " << conninfo.status();
    return "";
  }
  return *conninfo;
}

}  // namespace omniroute::testing_internal
