// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What the omniroute-log tests need around the real binary: a scratch
// directory, running the tool as a child process, a store decorator that
// records what the engine wrote (the tests' independent account of the
// store's contents), and small file helpers.

#ifndef OMNIROUTE_TESTS_TOOLS_LOG_TOOL_TEST_HELPERS_H_
#define OMNIROUTE_TESTS_TOOLS_LOG_TOOL_TEST_HELPERS_H_

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/forwarding_event_store.h"

extern char** environ;

namespace omniroute::testing_internal {

// A fresh directory under the test's temporary directory, removed with
// everything in it when the object goes.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::path(testing::TempDir()) / "omniroute-log-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string File(absl::string_view name) const { return (path_ / std::string(name)).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// What a run of the tool left: its exit code (128 + the signal if a signal
// ended it, which no test expects) and what it wrote.
struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::ostream& operator<<(std::ostream& os, const ToolRun& run) {
  return os << "exit code " << run.exit_code << "\n--- stdout:\n"
            << run.out << "--- stderr:\n"
            << run.err << "---";
}

// Runs the omniroute-log binary at `tool` with `args`, stdin from /dev/null
// and stdout/stderr into files of `scratch`, and waits for it. posix_spawn,
// so that it is safe while other threads of the test run.
inline ToolRun RunTool(const std::string& tool, const ScratchDir& scratch,
                       const std::vector<std::string>& args) {
  static int runs = 0;
  const std::string out_path = scratch.File(absl::StrCat("run-", ++runs, ".out"));
  const std::string err_path = scratch.File(absl::StrCat("run-", runs, ".err"));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<std::string> argv_strings = {tool};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  ToolRun run;
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, tool.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << tool << ": " << strerror(spawned);
    return run;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      ADD_FAILURE() << "waitpid: " << strerror(errno);
      return run;
    }
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.exit_code = 128 + WTERMSIG(status);
  run.out = FileBytes(out_path);
  run.err = FileBytes(err_path);
  return run;
}

// An EventStore that forwards to another and records every event whose
// Append succeeded: what the engine wrote, kept apart from the store.
// Thread-safe.
class RecordingStore final : public ForwardingEventStore {
 public:
  explicit RecordingStore(EventStore& store) : ForwardingEventStore(store) {}

  absl::Status Append(absl::string_view tenant_id,
                      absl::Span<const ::omniroute::v1::Event> events) override {
    absl::Status s = inner().Append(tenant_id, events);
    if (s.ok()) {
      absl::MutexLock lock(&mu_);
      std::vector<::omniroute::v1::Event>& log = written_[std::string(tenant_id)];
      log.insert(log.end(), events.begin(), events.end());
    }
    return s;
  }

  // Every event written so far, per tenant, in order.
  std::map<std::string, std::vector<::omniroute::v1::Event>> Written() const {
    absl::MutexLock lock(&mu_);
    return written_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<::omniroute::v1::Event>> written_ ABSL_GUARDED_BY(mu_);
};

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_TOOLS_LOG_TOOL_TEST_HELPERS_H_
