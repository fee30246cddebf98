// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What the cluster tests share: a fresh database on the test binary's real
// PostgreSQL per test, in-process nodes on it (127.0.0.1 port 0, a short
// lease), a store of its own to read what was committed, and waits that
// poll a condition until a deadline.

#ifndef OMNIROUTE_TESTS_SERVICE_CLUSTER_FIXTURE_H_
#define OMNIROUTE_TESTS_SERVICE_CLUSTER_FIXTURE_H_

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/postgres_event_store.h"
#include "service/server.h"
#include "store/postgres_test_server.h"

namespace omniroute::service_test {

inline constexpr absl::Duration kLease = absl::Seconds(1);
// Long enough for a loaded machine; every wait ends as soon as its
// condition holds.
inline constexpr absl::Duration kWait = absl::Seconds(30);

// Polls `condition` until it holds or `within` has passed.
template <typename Condition>
bool Eventually(Condition condition, absl::Duration within = kWait) {
  const absl::Time deadline = absl::Now() + within;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

inline std::vector<std::string> TenantNames(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(absl::StrCat("tenant-", i));
  return names;
}

// Whether each tenant of `tenants` is held by exactly one of `servers`.
inline bool ExactlyOneOwnerEach(const std::vector<std::string>& tenants,
                                const std::vector<service::Server*>& servers) {
  for (const std::string& tenant : tenants) {
    int owners = 0;
    for (service::Server* server : servers) {
      const std::vector<std::string> held = server->ownership()->Held();
      owners += std::count(held.begin(), held.end(), tenant);
    }
    if (owners != 1) return false;
  }
  return true;
}

class ClusterFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing_internal::NewPostgresDatabase();
    ASSERT_FALSE(conninfo_.empty());
  }

  // A node on the test's database; `forward`: ServerOptions::forward_calls;
  // `auth` (not null): calls need a credential these accept.
  std::unique_ptr<service::Server> StartNode(const std::string& id, bool forward = false,
                                             const service::AuthOptions* auth = nullptr) {
    service::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.postgres_conninfo = conninfo_;
    options.node_id = id;
    options.lease = kLease;
    options.forward_calls = forward;
    options.blocking_call_threads = 8;
    if (auth != nullptr) {
      options.authenticate = true;
      options.auth = *auth;
    }
    absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  static std::string Address(service::Server& server) {
    return absl::StrCat("127.0.0.1:", server.port());
  }

  // A store of its own on the database, to read what was committed.
  std::unique_ptr<EventStore> Reader() {
    PostgresStoreOptions options;
    options.conninfo = conninfo_;
    absl::StatusOr<std::unique_ptr<EventStore>> store = OpenPostgresEventStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // The external ids of the tenant's MessageRecorded events, each as often
  // as it is in the log.
  static std::multiset<std::string> StoredMessages(const EventStore& store,
                                                   const std::string& tenant) {
    std::multiset<std::string> ids;
    EXPECT_TRUE(store
                    .Read(tenant, 1,
                          [&](const ::omniroute::v1::Event& event) {
                            if (event.has_message_recorded()) {
                              ids.insert(event.message_recorded().external_id());
                            }
                            return true;
                          })
                    .ok());
    return ids;
  }

  std::string conninfo_;
};

}  // namespace omniroute::service_test

#endif  // OMNIROUTE_TESTS_SERVICE_CLUSTER_FIXTURE_H_
