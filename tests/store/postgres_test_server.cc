// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/postgres_test_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <ios>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#ifndef OMNIROUTE_POSTGRES_BIN_DIR
#define OMNIROUTE_POSTGRES_BIN_DIR "/usr/lib/postgresql/15/bin"
#endif

namespace omniroute::testing_internal {
namespace {

constexpr char kSuperuser[] = "omniroute";
// How often the waits below look again: a poll of a condition, never a
// guess at how long something takes.
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

// The user that runs the server when the tests run as root.
struct RunAs {
  uid_t uid;
  gid_t gid;
};

absl::StatusOr<std::optional<RunAs>> Unprivileged() {
  if (geteuid() != 0) return std::optional<RunAs>();
  const passwd* user = getpwnam("postgres");
  if (user == nullptr) {
    return absl::FailedPreconditionError(
        "the tests run as root, which PostgreSQL refuses, and there is no \"postgres\" user to "
        "run it as (install Debian's postgresql package: bash tools/install-deps.sh)");
  }
  return std::optional<RunAs>(RunAs{user->pw_uid, user->pw_gid});
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

// Starts `argv` with stdout and stderr to `log`, as `run_as` if set. In the
// child, the parent's death stops the server (SIGINT: fast shutdown), so a
// test binary that crashes leaves no server behind.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& log,
                            const std::optional<RunAs>& run_as) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return absl::InternalError(absl::StrCat("cannot open ", log));
  if (run_as.has_value() && fchown(out, run_as->uid, run_as->gid) != 0) {
    close(out);
    return absl::InternalError(absl::StrCat("cannot give ", log, " to the postgres user"));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(out);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    if (run_as.has_value()) {
      if (setgroups(0, nullptr) != 0 || setgid(run_as->gid) != 0 || setuid(run_as->uid) != 0) {
        _exit(126);
      }
    }
    // After the change of user, which clears it.
    prctl(PR_SET_PDEATHSIG, SIGINT);
    if (getppid() == 1) _exit(125);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out);
  return pid;
}

// Waits for `pid` to exit, up to `timeout`; its exit status, or nullopt if
// it is still running.
std::optional<int> WaitFor(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0) return -1;
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(kPollInterval);
  }
}

// The server's command line on the cluster of `dir`.
std::vector<std::string> PostgresArgs(const std::string& dir,
                                      const PostgresTestServerOptions& options) {
  return {options.bin_dir + "/postgres",
          "-D",
          dir + "/data",
          "-c",
          "listen_addresses=",
          "-c",
          "unix_socket_directories=" + dir,
          "-c",
          absl::StrCat("fsync=", options.durable ? "on" : "off"),
          "-c",
          "shared_buffers=" + options.shared_buffers,
          "-c",
          absl::StrCat("max_connections=", options.max_connections)};
}

// Waits until the server `pid` answers a connection attempt (PQping: no
// login needed), up to a minute; an error with the tail of `log` if it
// exits first (*exited is set then: nothing is left to stop) or does not
// answer.
absl::Status WaitReady(pid_t pid, const std::string& conninfo, const std::string& log,
                       bool* exited) {
  *exited = false;
  const absl::Time deadline = absl::Now() + absl::Minutes(1);
  for (;;) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      *exited = true;
      return absl::UnavailableError(absl::StrCat("postgres exited (status ", status,
                                                 ") before accepting connections\n--- ", log,
                                                 " ---\n", Tail(log)));
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(
          absl::StrCat("no connection within a minute\n--- ", log, " ---\n", Tail(log)));
    }
    absl::SleepFor(kPollInterval);
  }
}

// Stops the server `pid`: fast shutdown (disconnects clients, no waiting
// for them), then SIGKILL if it lingers.
void Stop(pid_t pid) {
  kill(pid, SIGINT);
  if (!WaitFor(pid, absl::Seconds(30)).has_value()) {
    kill(pid, SIGKILL);
    WaitFor(pid, absl::Seconds(10));
  }
}

// The cluster every server starts from: initdb runs once per machine, user
// and PostgreSQL build, into /tmp, and each server copies its data directory
// (a tenth of initdb's second; a test binary's first test pays for initdb
// otherwise, and ctest runs each test as a binary of its own). Processes
// that ask at once wait on a lock file; the cluster counts only once its
// "ready" file exists, so an initdb cut short is redone. The path of the
// template's data directory, or why it could not be made.
absl::StatusOr<std::string> TemplateCluster(const std::string& bin,
                                            const std::optional<RunAs>& run_as) {
  std::ostringstream name;
  name << "/tmp/omniroute-pg-template-" << geteuid() << "-" << std::hex
       << std::hash<std::string>()(bin);
  const std::string root = name.str();
  const std::string data = root + "/data";
  const std::string ready = root + "/ready";
  const std::string lock_path = root + ".lock";
  const int lock = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return absl::InternalError(absl::StrCat("cannot open ", lock_path));
  struct Unlock {
    int fd;
    ~Unlock() {
      flock(fd, LOCK_UN);
      close(fd);
    }
  } unlock{lock};
  if (flock(lock, LOCK_EX) != 0)
    return absl::InternalError(absl::StrCat("cannot lock ", lock_path));
  std::error_code error;
  if (std::filesystem::exists(ready, error)) return data;

  std::filesystem::remove_all(root, error);  // an attempt that did not finish
  if (mkdir(root.c_str(), 0755) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", root));
  }
  if (run_as.has_value() && chown(root.c_str(), run_as->uid, run_as->gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot give ", root, " to the postgres user"));
  }
  const std::string log = root + "/initdb.log";
  absl::StatusOr<pid_t> initdb =
      Spawn({bin + "/initdb", "-D", data, "-U", kSuperuser, "-A", "trust", "--no-sync",
             "--no-instructions", "--encoding=UTF8", "--locale=C.UTF-8"},
            log, run_as);
  if (!initdb.ok()) return initdb.status();
  const std::optional<int> status = WaitFor(*initdb, absl::Minutes(2));
  if (!status.has_value()) {
    kill(*initdb, SIGKILL);
    WaitFor(*initdb, absl::Seconds(10));
    return absl::UnavailableError(
        absl::StrCat("initdb did not finish within 2 minutes\n--- ", log, " ---\n", Tail(log)));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::UnavailableError(
        absl::StrCat("initdb: exit status ", *status, "\n--- ", log, " ---\n", Tail(log)));
  }
  std::ofstream(ready) << "made by initdb of " << bin << "\n";
  if (!std::filesystem::exists(ready, error)) {
    return absl::InternalError(absl::StrCat("cannot write ", ready));
  }
  return data;
}

}  // namespace

std::string DefaultPostgresBinDir() { return OMNIROUTE_POSTGRES_BIN_DIR; }

absl::Status PostgresTestServer::Restart(const std::function<void()>& while_down) {
  absl::MutexLock lock(&mu_);
  if (pid_ > 0) Stop(pid_);
  pid_ = -1;
  if (while_down) while_down();
  absl::StatusOr<std::optional<RunAs>> run_as = Unprivileged();
  if (!run_as.ok()) return run_as.status();
  const std::string log = dir_ + "/server.log";
  absl::StatusOr<pid_t> server = Spawn(PostgresArgs(dir_, options_), log, *run_as);
  if (!server.ok()) return server.status();
  bool exited = false;
  if (absl::Status ready = WaitReady(*server, Conninfo("postgres"), log, &exited); !ready.ok()) {
    if (!exited) Stop(*server);
    return absl::UnavailableError(
        absl::StrCat("cannot restart the tests' PostgreSQL server: ", ready.message()));
  }
  pid_ = *server;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start(
    const PostgresTestServerOptions& options) {
  absl::StatusOr<std::optional<RunAs>> run_as = Unprivileged();
  if (!run_as.ok()) return run_as.status();
  // Under /tmp rather than the test's TempDir: a socket's path must stay
  // short (about 100 bytes).
  std::string dir = "/tmp/omniroute-pg-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  if (run_as->has_value() && chown(dir.c_str(), (*run_as)->uid, (*run_as)->gid) != 0) {
    std::filesystem::remove_all(dir);
    return absl::InternalError(absl::StrCat("cannot give ", dir, " to the postgres user"));
  }
  const std::string& bin = options.bin_dir;
  const std::string data = dir + "/data";
  const std::string log = dir + "/server.log";
  auto fail = [&](absl::string_view step, const std::string& why) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot start a PostgreSQL server for the tests (", bin, "): ", step, ": ",
                     why, "\n--- ", log, " ---\n", Tail(log)));
    std::filesystem::remove_all(dir);
    return status;
  };

  std::error_code error;
  if (!std::filesystem::exists(bin + "/initdb", error) ||
      !std::filesystem::exists(bin + "/postgres", error)) {
    return fail("initdb", "no initdb and postgres there (Debian's postgresql-15 package has them)");
  }
  absl::StatusOr<std::string> cluster = TemplateCluster(bin, *run_as);
  if (!cluster.ok()) return fail("initdb", std::string(cluster.status().message()));
  // As the server's user, so that the copy is theirs; -a keeps the modes
  // PostgreSQL checks (0700 on the data directory).
  absl::StatusOr<pid_t> copy = Spawn({"/bin/cp", "-a", *cluster, data}, log, *run_as);
  if (!copy.ok()) return fail("copy of the template cluster", std::string(copy.status().message()));
  const std::optional<int> copy_status = WaitFor(*copy, absl::Minutes(2));
  if (!copy_status.has_value()) {
    kill(*copy, SIGKILL);
    WaitFor(*copy, absl::Seconds(10));
    return fail("copy of the template cluster", "did not finish within 2 minutes");
  }
  if (!WIFEXITED(*copy_status) || WEXITSTATUS(*copy_status) != 0) {
    return fail("copy of the template cluster", absl::StrCat("exit status ", *copy_status));
  }

  absl::StatusOr<pid_t> server = Spawn(PostgresArgs(dir, options), log, *run_as);
  if (!server.ok()) return fail("postgres", std::string(server.status().message()));
  auto started = std::unique_ptr<PostgresTestServer>(new PostgresTestServer(dir, *server, options));
  bool exited = false;
  if (absl::Status ready = WaitReady(*server, started->Conninfo("postgres"), log, &exited);
      !ready.ok()) {
    if (exited) started->pid_ = -1;
    return absl::UnavailableError(
        absl::StrCat("cannot start a PostgreSQL server for the tests: ", ready.message()));
  }
  return started;
}

PostgresTestServer::~PostgresTestServer() {
  if (pid_ > 0) Stop(pid_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PostgresTestServer::Conninfo(absl::string_view database) const {
  return absl::StrCat("host=", dir_, " dbname=", database, " user=", kSuperuser);
}

absl::StatusOr<std::string> PostgresTestServer::CreateDatabase() {
  std::string name;
  {
    absl::MutexLock lock(&mu_);
    name = absl::StrCat("test_", ++databases_);
  }
  absl::StatusOr<std::vector<std::vector<std::string>>> created =
      Query("postgres", absl::StrCat("CREATE DATABASE ", name));
  if (!created.ok()) return created.status();
  return Conninfo(name);
}

absl::StatusOr<std::vector<std::vector<std::string>>> PostgresTestServer::Query(
    absl::string_view database, absl::string_view sql) const {
  PGconn* conn = PQconnectdb(Conninfo(database).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = absl::UnavailableError(PQerrorMessage(conn));
    PQfinish(conn);
    return status;
  }
  PGresult* result = PQexec(conn, std::string(sql).c_str());
  absl::StatusOr<std::vector<std::vector<std::string>>> rows;
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    rows = absl::InternalError(absl::StrCat(sql, ": ", PQresultErrorMessage(result)));
  } else {
    rows.emplace();
    for (int row = 0; row < PQntuples(result); ++row) {
      std::vector<std::string>& values = rows->emplace_back();
      for (int column = 0; column < PQnfields(result); ++column) {
        values.emplace_back(PQgetvalue(result, row, column),
                            static_cast<size_t>(PQgetlength(result, row, column)));
      }
    }
  }
  PQclear(result);
  PQfinish(conn);
  return rows;
}

std::string DatabaseOf(absl::string_view conninfo) {
  const size_t at = conninfo.find("dbname=");
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = conninfo.substr(at + 7);
  return std::string(rest.substr(0, rest.find(' ')));
}

}  // namespace omniroute::testing_internal
