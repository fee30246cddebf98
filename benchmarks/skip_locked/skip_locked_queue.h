// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SKIP LOCKED baseline (benchmarks/skip_locked/baseline.sql, which says
// what it models and what not) driven from C++ over one libpq connection:
// the schema, queues, agents and tasks of omniroute's routing model
// (routing/model.h) written as its rows, and an agent's claim and
// completion. Each statement is prepared once per connection and runs in its
// own transaction (autocommit), as an application's would; EnqueueAll loads
// many tasks in one transaction.
//
// Thread-compatible: one connection per thread (a pool is one
// SkipLockedQueue per worker).

#ifndef OMNIROUTE_BENCHMARKS_SKIP_LOCKED_SKIP_LOCKED_QUEUE_H_
#define OMNIROUTE_BENCHMARKS_SKIP_LOCKED_SKIP_LOCKED_QUEUE_H_

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "routing/model.h"

namespace omniroute::baseline {

// The sections of baseline.sql.
struct BaselineSql {
  std::string schema;
  std::string add_queue;
  std::string add_agent;
  std::string enqueue;
  std::string claim;
  std::string complete;
};

// Reads and splits the file at `path`. NOT_FOUND when it cannot be read,
// INVALID_ARGUMENT naming the section when one is missing.
absl::StatusOr<BaselineSql> ReadBaselineSql(const std::string& path);

class SkipLockedQueue {
 public:
  // Connects to `conninfo` and prepares the statements of `sql` (the tables
  // need not exist yet for the connection, only for the statements: call
  // CreateSchema on one connection before opening the others).
  // UNAVAILABLE when the database cannot be reached, INTERNAL with the
  // server's message when a statement does not prepare.
  static absl::StatusOr<std::unique_ptr<SkipLockedQueue>> Connect(const std::string& conninfo,
                                                                  const BaselineSql& sql);
  // Creates the tables (dropping them first), then prepares the statements.
  static absl::StatusOr<std::unique_ptr<SkipLockedQueue>> CreateSchema(const std::string& conninfo,
                                                                       const BaselineSql& sql);
  ~SkipLockedQueue();
  SkipLockedQueue(const SkipLockedQueue&) = delete;
  SkipLockedQueue& operator=(const SkipLockedQueue&) = delete;

  // Runs `sql` (one or several statements, no parameters) as it is.
  absl::Status Execute(const std::string& sql);
  // Runs `body` in one transaction: committed if it returns OK, rolled back
  // (and its error returned) otherwise.
  absl::Status InTransaction(absl::FunctionRef<absl::Status()> body);

  absl::Status AddQueue(const routing::Queue& queue);
  absl::Status AddAgent(const routing::Agent& agent);
  absl::Status Enqueue(const routing::Task& task);
  // Every task in one transaction.
  absl::Status EnqueueAll(absl::Span<const routing::Task> tasks);

  struct Claimed {
    TaskId task;
    Channel channel;
    routing::QueueId queue;
    int64_t priority = 0;
  };
  // The task `agent` claimed, or nullopt when it may take none.
  absl::StatusOr<std::optional<Claimed>> Claim(routing::AgentId agent);
  // `agent` ends `task`. NOT_FOUND when the agent does not hold it.
  absl::Status Complete(routing::AgentId agent, TaskId task);

 private:
  explicit SkipLockedQueue(PGconn* conn) : conn_(conn) {}
  static absl::StatusOr<std::unique_ptr<SkipLockedQueue>> Open(const std::string& conninfo);
  absl::Status Prepare(const BaselineSql& sql);
  // Runs prepared statement `name`; the result (the caller clears it), or an
  // error naming the statement.
  absl::StatusOr<PGresult*> RunPrepared(const char* name, const std::vector<std::string>& params);

  PGconn* conn_;
};

}  // namespace omniroute::baseline

#endif  // OMNIROUTE_BENCHMARKS_SKIP_LOCKED_SKIP_LOCKED_QUEUE_H_
