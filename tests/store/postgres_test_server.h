// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A real PostgreSQL server for the tests of the PostgreSQL event store: a
// fresh cluster in a temporary directory, served by `postgres` on a unix
// socket in that directory and no TCP port at all, stopped and removed at
// the end of the test binary. The cluster is a copy of one made by initdb
// once per machine (in /tmp, under a lock: concurrent test processes wait
// for the first), since ctest runs every test as a process of its own.
//
// One server per test binary, started the first time a test asks for it
// (so tests of other stores in the same binary never pay for it) and
// stopped by a gtest Environment when the binary ends; each test takes a
// database of its own (NewPostgresDatabase), so tests never see each
// other's data.
//
// PostgreSQL refuses to run as root: when the tests run as root (as CI
// does), initdb and postgres run as the unprivileged "postgres" user (which
// Debian's postgresql package creates), which owns the temporary directory.
// The binaries are those of OMNIROUTE_POSTGRES_BIN_DIR (set by
// tests/CMakeLists.txt; Debian's /usr/lib/postgresql/15/bin).
//
// The server runs with fsync=off: the tests check what the store does, not
// the disk; synchronous_commit is left as PostgreSQL has it. A benchmark
// that wants the real cost of a commit asks for a durable server
// (PostgresTestServerOptions::durable).
//
// The server itself (PostgresTestServer) needs no test framework, so that
// the benchmarks can start one too (library omniroute_postgres_server);
// the shared server of a test binary and NewPostgresDatabase report to
// googletest (library omniroute_postgres_test_server,
// postgres_shared_test_server.cc).
//
// Thread-safe: the shared server is started once; databases can be created
// from any thread.

#ifndef OMNIROUTE_TESTS_STORE_POSTGRES_TEST_SERVER_H_
#define OMNIROUTE_TESTS_STORE_POSTGRES_TEST_SERVER_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace omniroute::testing_internal {

// The directory of initdb and postgres this build was configured with.
std::string DefaultPostgresBinDir();

// How to run the server. Plain data; each field says its default.
struct PostgresTestServerOptions {
  // Whether commits reach the disk as on a production server: fsync=on
  // (synchronous_commit is on by default), so that a commit returns only
  // once its write-ahead log is flushed. Default: false (fsync=off, for
  // tests).
  bool durable = false;
  // The server's max_connections. Default: 60.
  int max_connections = 60;
  // The server's shared_buffers. Default: "16MB" (small: test binaries may
  // run side by side).
  std::string shared_buffers = "16MB";
  // Where initdb and postgres are. Default: OMNIROUTE_POSTGRES_BIN_DIR as
  // CMake set it (Debian's /usr/lib/postgresql/15/bin).
  std::string bin_dir = DefaultPostgresBinDir();
};

class PostgresTestServer {
 public:
  // Runs initdb and starts the server, waiting (up to a minute) until it
  // accepts connections. An error says which step failed, with the tail of
  // its log.
  static absl::StatusOr<std::unique_ptr<PostgresTestServer>> Start(
      const PostgresTestServerOptions& options = PostgresTestServerOptions());

  // Stops the server (fast shutdown, then SIGKILL if it lingers) and removes
  // its directory.
  ~PostgresTestServer();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  // The directory of the server's socket (the libpq "host").
  const std::string& socket_dir() const { return dir_; }
  // The cluster's data directory, whose base/ holds the relation files.
  std::string data_dir() const { return dir_ + "/data"; }

  // The conninfo of `database` on this server, as the superuser.
  std::string Conninfo(absl::string_view database) const;

  // Stops the server (fast shutdown: every connection is cut) and starts it
  // again on the same cluster, waiting until it accepts connections: what a
  // restart or a failover of the database looks like to its clients.
  // `while_down` (if any) runs while no server is up.
  absl::Status Restart(const std::function<void()>& while_down = nullptr);

  // Creates a new, empty database and returns its conninfo.
  absl::StatusOr<std::string> CreateDatabase();

  // Runs `sql` on `database` as the superuser; the rows of its last
  // statement, each column in text form ("" for NULL).
  absl::StatusOr<std::vector<std::vector<std::string>>> Query(absl::string_view database,
                                                              absl::string_view sql) const;

 private:
  PostgresTestServer(std::string dir, pid_t pid, PostgresTestServerOptions options)
      : dir_(std::move(dir)), options_(std::move(options)), pid_(pid) {}

  const std::string dir_;
  const PostgresTestServerOptions options_;  // Kept for Restart.
  pid_t pid_;  // -1 once stopped for good (a restart that failed).
  absl::Mutex mu_;
  int databases_ ABSL_GUARDED_BY(mu_) = 0;
};

// The test binary's server, started by the first call. Null (and the calling
// test failed, with the reason) if it cannot start.
PostgresTestServer* SharedPostgresServer();

// A new database on the shared server: its conninfo, or "" (and the calling
// test failed) if there is none.
std::string NewPostgresDatabase();

// The database name in a conninfo made by the server ("dbname=...").
std::string DatabaseOf(absl::string_view conninfo);

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_STORE_POSTGRES_TEST_SERVER_H_
