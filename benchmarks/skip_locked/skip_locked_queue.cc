// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "skip_locked/skip_locked_queue.h"

#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace omniroute::baseline {
namespace {

// Skill s at level l as one integer: the encoding baseline.sql describes.
int SkillCode(routing::SkillId skill, int level) { return static_cast<int>(skill) * 16 + level; }

std::string IntArray(const std::vector<int>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// Owns a PGresult.
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string Trimmed(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

}  // namespace

absl::StatusOr<BaselineSql> ReadBaselineSql(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::map<std::string, std::string> sections;
  std::string line;
  std::string* current = nullptr;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "-- name: ")) {
      current = &sections[std::string(absl::StripAsciiWhitespace(line.substr(9)))];
      continue;
    }
    if (current == nullptr || absl::StartsWith(line, "--")) continue;
    absl::StrAppend(current, line, "\n");
  }
  BaselineSql sql;
  const std::pair<const char*, std::string*> wanted[] = {
      {"schema", &sql.schema},   {"add_queue", &sql.add_queue}, {"add_agent", &sql.add_agent},
      {"enqueue", &sql.enqueue}, {"claim", &sql.claim},         {"complete", &sql.complete}};
  for (const auto& [name, text] : wanted) {
    auto it = sections.find(name);
    if (it == sections.end() || absl::StripAsciiWhitespace(it->second).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no section \"-- name: ", name, "\""));
    }
    // A prepared statement is one statement: no trailing semicolon needed.
    *text = std::string(absl::StripSuffix(absl::StripTrailingAsciiWhitespace(it->second), ";"));
  }
  return sql;
}

absl::StatusOr<std::unique_ptr<SkipLockedQueue>> SkipLockedQueue::Open(
    const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", message));
  }
  return std::unique_ptr<SkipLockedQueue>(new SkipLockedQueue(conn));
}

absl::StatusOr<std::unique_ptr<SkipLockedQueue>> SkipLockedQueue::Connect(
    const std::string& conninfo, const BaselineSql& sql) {
  absl::StatusOr<std::unique_ptr<SkipLockedQueue>> queue = Open(conninfo);
  if (!queue.ok()) return queue.status();
  if (absl::Status s = (*queue)->Prepare(sql); !s.ok()) return s;
  return queue;
}

absl::StatusOr<std::unique_ptr<SkipLockedQueue>> SkipLockedQueue::CreateSchema(
    const std::string& conninfo, const BaselineSql& sql) {
  absl::StatusOr<std::unique_ptr<SkipLockedQueue>> queue = Open(conninfo);
  if (!queue.ok()) return queue.status();
  // Several statements: the simple query protocol runs them in one
  // transaction.
  if (absl::Status s = (*queue)->Execute(sql.schema); !s.ok()) return s;
  if (absl::Status s = (*queue)->Prepare(sql); !s.ok()) return s;
  return queue;
}

SkipLockedQueue::~SkipLockedQueue() { PQfinish(conn_); }

absl::Status SkipLockedQueue::Execute(const std::string& sql) {
  Result result(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK &&
      PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return absl::InternalError(absl::StrCat("PostgreSQL: ", Trimmed(PQerrorMessage(conn_))));
  }
  return absl::OkStatus();
}

absl::Status SkipLockedQueue::Prepare(const BaselineSql& sql) {
  const std::pair<const char*, const std::string*> statements[] = {{"add_queue", &sql.add_queue},
                                                                   {"add_agent", &sql.add_agent},
                                                                   {"enqueue", &sql.enqueue},
                                                                   {"claim", &sql.claim},
                                                                   {"complete", &sql.complete}};
  for (const auto& [name, text] : statements) {
    Result result(PQprepare(conn_, name, text->c_str(), 0, nullptr));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return absl::InternalError(
          absl::StrCat("PostgreSQL: preparing ", name, ": ", Trimmed(PQerrorMessage(conn_))));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PGresult*> SkipLockedQueue::RunPrepared(const char* name,
                                                       const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* result = PQexecPrepared(conn_, name, static_cast<int>(values.size()), values.data(),
                                    nullptr, nullptr, /*resultFormat=*/0);
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const std::string message = Trimmed(PQerrorMessage(conn_));
    PQclear(result);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat("PostgreSQL: ", name, ": ", message));
    }
    return absl::InternalError(absl::StrCat("PostgreSQL: ", name, ": ", message));
  }
  return result;
}

absl::Status SkipLockedQueue::AddQueue(const routing::Queue& queue) {
  std::vector<int> required;
  for (const routing::SkillLevel& s : queue.required_skills) {
    required.push_back(SkillCode(s.skill, s.level));
  }
  absl::StatusOr<PGresult*> result =
      RunPrepared("add_queue", {absl::StrCat(queue.id.value()), IntArray(required)});
  if (!result.ok()) return result.status();
  PQclear(*result);
  return absl::OkStatus();
}

absl::Status SkipLockedQueue::AddAgent(const routing::Agent& agent) {
  std::vector<int> skills;
  for (const routing::SkillLevel& s : agent.skills) {
    for (int level = routing::kMinSkillLevel; level <= s.level; ++level) {
      skills.push_back(SkillCode(s.skill, level));
    }
  }
  std::vector<int> channels;
  std::vector<int> costs;
  for (int c = 1; c < routing::kChannelCount; ++c) {
    if (routing::Contains(agent.channels, static_cast<Channel>(c))) channels.push_back(c);
    costs.push_back(agent.costs[c]);
  }
  absl::StatusOr<PGresult*> result = RunPrepared(
      "add_agent", {absl::StrCat(agent.id.value()), IntArray(skills), IntArray(channels),
                    IntArray(costs), absl::StrCat(agent.capacity), absl::StrCat(agent.load)});
  if (!result.ok()) return result.status();
  PQclear(*result);
  return absl::OkStatus();
}

absl::Status SkipLockedQueue::Enqueue(const routing::Task& task) {
  absl::StatusOr<PGresult*> result =
      RunPrepared("enqueue", {absl::StrCat(task.id.value()), absl::StrCat(task.queue.value()),
                              absl::StrCat(static_cast<int>(task.channel)),
                              absl::StrCat(task.priority), absl::StrCat(task.arrival)});
  if (!result.ok()) return result.status();
  const bool inserted = std::string(PQcmdTuples(*result)) == "1";
  PQclear(*result);
  if (!inserted) {
    return absl::NotFoundError(
        absl::StrCat("task ", task.id.value(), ": unknown queue ", task.queue.value()));
  }
  return absl::OkStatus();
}

absl::Status SkipLockedQueue::InTransaction(absl::FunctionRef<absl::Status()> body) {
  if (absl::Status s = Execute("BEGIN"); !s.ok()) return s;
  if (absl::Status s = body(); !s.ok()) {
    (void)Execute("ROLLBACK");
    return s;
  }
  return Execute("COMMIT");
}

absl::Status SkipLockedQueue::EnqueueAll(absl::Span<const routing::Task> tasks) {
  return InTransaction([&]() -> absl::Status {
    for (const routing::Task& task : tasks) {
      if (absl::Status s = Enqueue(task); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<SkipLockedQueue::Claimed>> SkipLockedQueue::Claim(
    routing::AgentId agent) {
  absl::StatusOr<PGresult*> run = RunPrepared("claim", {absl::StrCat(agent.value())});
  if (!run.ok()) return run.status();
  Result result(*run);
  if (PQntuples(result.get()) == 0) return std::nullopt;
  uint64_t task = 0;
  int channel = 0;
  uint64_t queue = 0;
  int64_t priority = 0;
  if (PQnfields(result.get()) != 4 || !absl::SimpleAtoi(PQgetvalue(result.get(), 0, 0), &task) ||
      !absl::SimpleAtoi(PQgetvalue(result.get(), 0, 1), &channel) ||
      !absl::SimpleAtoi(PQgetvalue(result.get(), 0, 2), &queue) ||
      !absl::SimpleAtoi(PQgetvalue(result.get(), 0, 3), &priority)) {
    return absl::InternalError("claim: the row returned is not (task, channel, queue, priority)");
  }
  return Claimed{TaskId(task), static_cast<Channel>(channel), routing::QueueId(queue), priority};
}

absl::Status SkipLockedQueue::Complete(routing::AgentId agent, TaskId task) {
  absl::StatusOr<PGresult*> run =
      RunPrepared("complete", {absl::StrCat(agent.value()), absl::StrCat(task.value())});
  if (!run.ok()) return run.status();
  Result result(*run);
  if (PQntuples(result.get()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("agent ", agent.value(), " does not hold task ", task.value()));
  }
  return absl::OkStatus();
}

}  // namespace omniroute::baseline
